"""Role settings STS refuses, asked of moto's STS and IAM as botocore would send them.

``external_id``: moto (5.x, IAM authentication enforced) evaluates a trust policy's
``StringEquals`` on ``sts:ExternalId`` as AWS does, so a wrong or missing external id is
refused by moto itself with the AccessDenied AWS gives (which never says that the external
id was the reason). ``duration_seconds`` above the role's ``MaxSessionDuration``: moto
does not check it, so the ValidationError AWS answers is replayed over loopback
(tests/replay_server.py) and the test says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from keydoctor.lab.emulator import Emulator
from keydoctor.shell import runnable_part

ACCOUNT = "123456789012"
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
BIN = str(Path(sys.executable).parent)


def _trust(principal: str, external_id: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _check(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout)


def test_wrong_external_id_refused_by_moto_then_fixed(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    tag = f"{time.time_ns() % 10**9}"
    user = moto_server.create_user(f"partner-{tag}", ALL)
    role = f"vendor-{tag}"
    moto_server.client("iam").create_role(
        RoleName=role,
        AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{ACCOUNT}:user/{user.user}", "Acme-7731"),
    )
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n",
        encoding="utf-8",
    )
    (home / ".aws" / "credentials").chmod(0o600)
    (home / ".aws" / "config").write_text(
        f"[profile vendor]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{role}\nsource_profile = base\n"
        "external_id = Acme-7713\nregion = us-east-1\n",
        encoding="utf-8",
    )
    env = dict(clean_env, AWS_ENDPOINT_URL=moto_server.endpoint, PATH=BIN + ":" + clean_env["PATH"])
    proc, doc = _check(env, "--profile", "vendor", "--endpoint-url", moto_server.endpoint)
    assert user.secret_access_key not in proc.stdout + proc.stderr
    assert proc.returncode == 1
    hop = next(p for p in doc["probes"] if p["name"] == "sts:AssumeRole hop 1/1")
    assert hop["outcome"] == "denied"
    finding = next(f for f in doc["findings"] if f["code"] == "KD639")
    assert finding["category"] == "trust-policy"
    assert "external_id = Acme-7713" in finding["explanation"]
    assert doc["diagnosis"]["category"] == "trust-policy"
    assert doc["diagnosis"]["source"] == "observed:KD639", doc["diagnosis"]
    # The fix as printed, with ID the one the role's owner gave (the trust policy's).
    step = runnable_part(finding["fix"])
    assert step == "aws configure set external_id ID --profile vendor"
    subprocess.run(step.replace(" ID ", " Acme-7731 "), shell=True, env=env, check=True, cwd=home)
    proc, doc = _check(env, "--profile", "vendor", "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 0, doc["findings"]
    assert {f["code"] for f in doc["findings"]} & {"KD639", "KD617", "KD623"} == set()
    hop = next(p for p in doc["probes"] if p["name"] == "sts:AssumeRole hop 1/1")
    assert hop["outcome"] == "ok"
