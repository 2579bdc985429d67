"""``keydoctor check --endpoint-url`` against a real S3-compatible server: SeaweedFS.

Each case runs the CLI as a user would (subprocess, fresh HOME) against one of the three
gateways of the ``seaweed`` fixture (see ``tests/seaweed.py``): STS answering 503 (the
server's default), STS working, and neither STS nor IAM offered (405, empty body). Every
answer here is SeaweedFS's own; nothing is replayed.

What is asserted: the diagnosis names what the server answered, healthy set-ups exit 0,
and no run turns a missing STS or IAM into a diagnosis. The clock case runs keydoctor
under ``faketime`` (Debian's libfaketime) 20 minutes behind, so that SeaweedFS judges a
request signed by a clock that is really off; it is skipped where ``faketime`` is missing.
"""

from __future__ import annotations

import json
import shutil
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
    codes: tuple[str, ...] = ()  # one of these probe findings must be there
    clock: str | None = None  # a faketime offset for keydoctor's clock, e.g. "-20m"


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
    Case(
        "reader-writes",
        READER,
        ("--bucket", BUCKET, "--write-test"),
        "permission-missing",
        codes=("KD708", "KD709"),
    ),
    Case(
        "scoped-away", SCOPED, ("--bucket", BUCKET), "permission-missing", codes=("KD704", "KD709")
    ),
    Case(
        "missing-bucket",
        ADMIN,
        ("--bucket", "kd-no-such-bucket"),
        "not-credentials",
        codes=("KD703",),
    ),
    Case(
        "dead-port",
        ADMIN,
        ("--bucket", BUCKET),
        "not-credentials",
        dead_port=True,
        codes=("KD901",),
    ),
    # A session token beside long-term keys: SeaweedFS then looks the key up among the
    # temporary credentials it issued and answers InvalidAccessKeyId.
    Case(
        "stray-token",
        ADMIN,
        ("--bucket", BUCKET),
        "session-token",
        token="FwoGZXIvYXdzEJr//////////wEaDkeydoctorStrayTokenValue0123456789",
    ),
    Case("clock-20-min-off", READER, ("--bucket", BUCKET), "clock-skew", clock="-20m"),
)
REFUSED = ("key-id-wrong", "secret-wrong", "session-token", "clock-skew")
# Words that belong to AWS alone; a finding about another server must not use them.
AWS_ONLY = (
    "AWS does not know",
    "AWS knows",
    "AWS answered",
    "IAM console",
    "simulate-principal-policy",
    "health dashboard",
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
    faketime = []
    if case.clock is not None:
        found = shutil.which("faketime")
        if found is None:
            pytest.skip("faketime (Debian's libfaketime) is not installed")
        faketime = [found, "-f", case.clock]
    result = subprocess.run(
        [
            *faketime,
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
    codes = [f["code"] for f in doc["findings"]]
    if case.category is None:
        assert diagnosis is None, diagnosis
        assert result.returncode == 0, doc["findings"]
    else:
        assert diagnosis is not None, doc["findings"]
        assert diagnosis["category"] == case.category, diagnosis
        assert result.returncode == 1
    assert not case.codes or set(case.codes) & set(codes), codes
    # A missing STS or IAM is information, never a fault: no "service trouble", no
    # "not an AWS answer", and one KD904 where the set-up lacks them.
    if not case.dead_port:
        assert not {"KD901", "KD902", "KD903"} & set(codes), doc["findings"]
        # SeaweedFS checks the signature before it says STS is not configured: refused
        # keys get a 403 from STS there, which says nothing about what it offers.
        absent = setup == "no-sts-iam" or (setup == "sts-503" and case.category not in REFUSED)
        assert ("KD904" in codes) == absent, codes
    for finding in doc["findings"]:
        text = " ".join((finding["title"], finding["explanation"], finding["fix"]))
        assert not [w for w in AWS_ONLY if w in text], finding
    for secret in (case.user.secret, case.secret, case.token):
        if secret:
            assert secret not in result.stdout + result.stderr


def test_keys_of_other_users_are_not_the_callers(
    seaweed: Seaweed, clean_env: dict[str, str]
) -> None:
    """With a trailing space in the key id, SeaweedFS's IAM lists every user's keys: only
    the caller's count, and no other user's key gets a delete command."""
    case = Case("space", READER, ("--bucket", BUCKET), None, key_id=READER.access_key_id + " ")
    result, doc = run_check(seaweed, "sts-503", clean_env, case)
    keys = next(p for p in doc["probes"] if p["name"] == "iam:ListAccessKeys")
    assert keys["outcome"] == "ok"
    assert "2 key(s) of 2 other user(s), not the caller's" in keys["answer"]
    assert not [f for f in doc["findings"] if f["code"] in ("KD713", "KD715")]
    assert "delete-access-key" not in result.stdout


@pytest.mark.parametrize("setup", SETUPS)
def test_live_success_outranks_the_offline_prediction(
    seaweed: Seaweed, clean_env: dict[str, str], setup: str
) -> None:
    """SeaweedFS accepts a key id with a trailing space (every probe succeeds); AWS would
    not. The exit code follows the live result, and the offline finding stays a warning."""
    case = Case("space", READER, ("--bucket", BUCKET), None, key_id=READER.access_key_id + " ")
    result, doc = run_check(seaweed, setup, clean_env, case)
    refused = ("denied", "auth-failed", "unreachable", "server-error", "not-aws")
    assert not [p for p in doc["probes"] if p["outcome"] in refused], doc["probes"]
    assert result.returncode == 0, doc["findings"]
    assert doc["diagnosis"] is None
    warned = [f for f in doc["findings"] if f["code"] == "KD101"]  # the stray space
    assert warned and all(f["severity"] == "medium" for f in warned)
    assert all("AWS would reject it" in f["explanation"] for f in warned)
