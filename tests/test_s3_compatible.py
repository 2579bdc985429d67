"""``keydoctor check --endpoint-url`` against a real S3-compatible server: SeaweedFS.

Each case runs the CLI as a user would (subprocess, fresh HOME) against one of the three
gateways of the ``seaweed`` fixture (see ``tests/seaweed.py``): STS answering 503 (the
server's default), STS working, and neither STS nor IAM offered (405, empty body). Every
answer here is SeaweedFS's own; nothing is replayed.

What is asserted: the diagnosis names what the server answered, healthy set-ups exit 0,
and no run turns a missing STS or IAM into a diagnosis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from seaweed import ADMIN, BUCKET, READER, SCOPED, SCOPED_BUCKET, SETUPS, Seaweed, User, free_port

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    """One way of calling the server, and what the diagnosis must say."""

    name: str
    user: User
    args: tuple[str, ...]
    category: str | None  # None: healthy, no diagnosis, exit 0
    key_id: str | None = None  # instead of the user's
    secret: str | None = None
    token: str | None = None
    dead_port: bool = False


CASES = (
    Case("healthy-admin", ADMIN, ("--bucket", BUCKET, "--write-test"), None),
    Case("healthy-reader", READER, ("--bucket", BUCKET), None),
    Case("healthy-scoped", SCOPED, ("--bucket", SCOPED_BUCKET, "--write-test"), None),
    Case(
        "unknown-key",
        READER,
        ("--bucket", BUCKET),
        "key-id-wrong",
        key_id="AKIAKDNOBODY00000009",
    ),
    Case(
        "wrong-secret",
        READER,
        ("--bucket", BUCKET),
        "secret-wrong",
        secret="kdWrongSecret".ljust(39, "0") + "9",
    ),
    Case("reader-writes", READER, ("--bucket", BUCKET, "--write-test"), "permission-missing"),
    Case("scoped-away", SCOPED, ("--bucket", BUCKET), "permission-missing"),
    Case("missing-bucket", ADMIN, ("--bucket", "kd-no-such-bucket"), "not-credentials"),
    Case("dead-port", ADMIN, ("--bucket", BUCKET), "not-credentials", dead_port=True),
)


def run_check(
    seaweed: Seaweed, setup: str, env: dict[str, str], case: Case
) -> tuple[subprocess.CompletedProcess[str], Any]:
    endpoint = f"http://127.0.0.1:{free_port()}" if case.dead_port else seaweed.endpoint(setup)
    env = dict(
        env,
        AWS_ACCESS_KEY_ID=case.key_id or case.user.access_key_id,
        AWS_SECRET_ACCESS_KEY=case.secret or case.user.secret,
        AWS_DEFAULT_REGION="us-east-1",
    )
    if case.token is not None:
        env["AWS_SESSION_TOKEN"] = case.token
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "check",
            "--format",
            "json",
            "--endpoint-url",
            endpoint,
            *case.args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_diagnosis_matches_the_server(
    seaweed: Seaweed, clean_env: dict[str, str], setup: str, case: Case
) -> None:
    result, doc = run_check(seaweed, setup, clean_env, case)
    diagnosis = doc["diagnosis"]
    if case.category is None:
        assert diagnosis is None, diagnosis
        assert result.returncode == 0, doc["findings"]
    else:
        assert diagnosis is not None, doc["findings"]
        assert diagnosis["category"] == case.category, diagnosis
        assert result.returncode == 1
    for secret in (case.user.secret, case.secret):
        if secret:
            assert secret not in result.stdout + result.stderr
