"""One ranker for every command: the same evidence gives the same top cause and fix.

The case is the one the troubleshooting pages keep returning to: a temporary (``ASIA``)
key in ``~/.aws/credentials`` without its session token. botocore ignores
``AWS_SESSION_TOKEN`` for keys that come from the file, so the only right fix is the
token line in the same file (``aws configure set aws_session_token``). The offline
audit, the online check (against the moto server, which answers an unknown temporary
key with InvalidClientTokenId / InvalidAccessKeyId as AWS does), the in-app hook and
``explain --check`` must all put that cause first, with that fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import keydoctor
from keydoctor.catalog import codes
from keydoctor.diagnosis import Answer, Evidence, rank
from keydoctor.integration.diagnosis import AUDIT_CACHE
from keydoctor.lab.emulator import Emulator
from keydoctor.model import Category

TEMP_KEY_ID = "ASIAY34FZKBOKMUTVV7A"  # AWS's published example id: unknown to moto
SECRET = "q9Wv2Lr7Tz4Xc1Nb8Mk3Hj6Gf5Ds0Ap2Yu7Ie4Ow"
TOKEN_LINE_FIX = "aws configure set aws_session_token"


def _keydoctor(env: dict[str, str], *args: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *args, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def temp_key_in_file(clean_env: dict[str, str], moto_server: Emulator) -> dict[str, str]:
    credentials = Path(clean_env["HOME"]) / ".aws" / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {TEMP_KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    credentials.chmod(0o600)
    return dict(clean_env, AWS_DEFAULT_REGION="us-east-1")


def test_temporary_key_in_file_same_cause_and_fix_everywhere(
    temp_key_in_file: dict[str, str], moto_server: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = temp_key_in_file
    offline = _keydoctor(env, "check", "--offline")
    kd501 = next(f for f in offline["findings"] if f["code"] == "KD501")
    assert kd501["category"] == "session-token"
    assert TOKEN_LINE_FIX in kd501["fix"]

    online = _keydoctor(env, "check", "--endpoint-url", moto_server.endpoint)
    assert online["diagnosis"]["category"] == "session-token"
    assert online["diagnosis"]["fix"] == kd501["fix"]
    assert "export AWS_SESSION_TOKEN" not in online["diagnosis"]["fix"]

    # The hook, in this process, on a client that reads the same file.
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", env["HOME"])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    AUDIT_CACHE.clear()
    keydoctor.install()
    try:
        client = boto3.session.Session().client(
            "sts", region_name="us-east-1", endpoint_url=moto_server.endpoint
        )
        with pytest.raises(ClientError) as caught:
            client.get_caller_identity()
    finally:
        keydoctor.uninstall()
        AUDIT_CACHE.clear()
    diagnosis = caught.value.keydoctor  # type: ignore[attr-defined]
    assert diagnosis.top is not None
    assert diagnosis.top.category is Category.SESSION_TOKEN
    assert diagnosis.top.fix == kd501["fix"]

    # explain --check: the pasted error, read on the same machine.
    pasted = str(caught.value).split("\nkeydoctor:")[0]
    explained = _keydoctor(env, "explain", "--check", pasted)
    assert explained["causes"][0]["category"] == "session-token"


def test_same_evidence_same_ranking_whoever_builds_it() -> None:
    """The ranker is a function of the evidence alone: check's and the hook's evidence for
    the same key and answer give the same order."""
    from keydoctor.diagnosis import key_facts

    facts = frozenset(key_facts(TEMP_KEY_ID, token_sent=False))
    for code in sorted(codes.codes(codes.UNKNOWN_KEY)):
        evidence = Evidence(answers=(Answer(code, ("sts:GetCallerIdentity",)),), facts=facts)
        first = [c.category for c in rank(evidence)]
        again = [c.category for c in rank(evidence)]
        assert first == again
        assert first[0] is Category.SESSION_TOKEN, (code, first)


def test_acceptance_rules_out_key_causes() -> None:
    """A denial comes back only to valid keys: causes about the keys drop behind it."""
    facts = frozenset({"temporary-key"})
    denied = Evidence(answers=(Answer("AccessDenied", ("s3:GetObject",)),), facts=facts)
    ranked = rank(denied)
    assert ranked[0].category in (Category.PERMISSION_MISSING, Category.EXPLICIT_DENY)
    key_causes = [c for c in ranked if c.category is Category.SESSION_TOKEN]
    assert all("accepted these same credentials" in " ".join(c.why) for c in key_causes)


def test_python_api_returns_what_the_command_prints(
    temp_key_in_file: dict[str, str], moto_server: Emulator
) -> None:
    """``keydoctor.check(online=True)`` is the result ``keydoctor check`` renders."""
    printed = _keydoctor(temp_key_in_file, "check", "--endpoint-url", moto_server.endpoint)
    result = keydoctor.check(
        environ=temp_key_in_file, online=True, endpoint_url=moto_server.endpoint
    )
    returned = result.to_dict()
    assert not result.ok
    assert returned["diagnosis"] == printed["diagnosis"]
    assert returned["findings"] == printed["findings"]
    assert [p["name"] for p in returned["probes"]] == [p["name"] for p in printed["probes"]]
    assert SECRET not in json.dumps(returned) + repr(result)
