"""Role settings STS refuses, asked of moto's STS and IAM as botocore would send them.

``external_id``: moto (5.x, IAM authentication enforced) evaluates a trust policy's
``StringEquals`` on ``sts:ExternalId`` as AWS does, so a wrong or missing external id is
refused by moto itself with the AccessDenied AWS gives (which never says that the external
id was the reason). ``duration_seconds`` above the role's ``MaxSessionDuration``: moto
does not check it, so the replay server in front of moto answers an AssumeRole that asks
for more than the role's maximum with the ValidationError AWS gives ("The requested
DurationSeconds exceeds the MaxSessionDuration set for this role.", as people paste it from
the AWS CLI; the corpus cases k4206-k4207 quote it) and passes every other request to moto
unchanged, so the check after the fix runs against moto itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from keydoctor.lab.emulator import Emulator
from keydoctor.shell import runnable_part
from replay_server import Answer, Route, replaying, sts_error

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


def _refusing_above(maximum: int) -> Route:
    """A route that refuses AssumeRole above ``maximum`` seconds as STS does; every other
    request (an AssumeRole within the maximum too) goes on to moto."""
    refusal = sts_error(
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        status=400,
    )

    def route(operation: str, body: str, headers: dict[str, str]) -> Answer | None:
        asked = urllib.parse.parse_qs(body).get("DurationSeconds", ["0"])[0]
        return refusal if operation == "AssumeRole" and int(asked) > maximum else None

    return route


def test_duration_above_the_roles_maximum_is_named_then_fixed(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    tag = f"{time.time_ns() % 10**9}"
    user = moto_server.create_user(f"analyst-{tag}", ALL)
    role = f"reports-{tag}"
    maximum = moto_server.client("iam").create_role(
        RoleName=role,
        AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{ACCOUNT}:user/{user.user}"),
    )["Role"]["MaxSessionDuration"]
    assert maximum == 3600  # AWS's default, as moto reports it
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n",
        encoding="utf-8",
    )
    (home / ".aws" / "credentials").chmod(0o600)
    (home / ".aws" / "config").write_text(
        f"[profile reports]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{role}\n"
        "source_profile = base\nduration_seconds = 28800\nregion = us-east-1\n",
        encoding="utf-8",
    )
    with replaying({}, route=_refusing_above(maximum), upstream=moto_server.endpoint) as server:
        endpoint = server.endpoint
        env = dict(clean_env, AWS_ENDPOINT_URL=endpoint, PATH=BIN + ":" + clean_env["PATH"])
        proc, doc = _check(env, "--profile", "reports", "--endpoint-url", endpoint)
        assert user.secret_access_key not in proc.stdout + proc.stderr
        assert proc.returncode == 1
        hop = next(p for p in doc["probes"] if p["name"] == "sts:AssumeRole hop 1/1")
        assert hop["outcome"] != "ok"
        finding = next(f for f in doc["findings"] if f["code"] == "KD638")
        assert (finding["severity"], finding["category"]) == ("critical", "config-malformed")
        assert "the profile asks for duration_seconds = 28800, longer than the role's " \
            "maximum session. STS answered ValidationError: The requested DurationSeconds " \
            "exceeds the MaxSessionDuration set for this role." in finding["explanation"]
        assert doc["diagnosis"]["source"] == "observed:KD638", doc["diagnosis"]
        step = runnable_part(finding["fix"])
        assert step == "aws configure set duration_seconds 3600 --profile reports"
        subprocess.run(step, shell=True, env=env, check=True, cwd=home)
        proc, doc = _check(env, "--profile", "reports", "--endpoint-url", endpoint)
        assert proc.returncode == 0, doc["findings"]
        assert {f["code"] for f in doc["findings"]} & {"KD638", "KD615", "KD617"} == set()
        hop = next(p for p in doc["probes"] if p["name"] == "sts:AssumeRole hop 1/1")
        assert hop["outcome"] == "ok"
