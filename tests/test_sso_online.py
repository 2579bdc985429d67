"""SSO online: GetRoleCredentials with the cached token, on a loopback portal, then moto.

moto has no SSO portal (``sso``), so the portal is :class:`keydoctor.lab.sso_portal.SsoPortal`
on 127.0.0.1, answering as the IAM Identity Center portal API reference documents (200 with
``roleCredentials``; 401 UnauthorizedException "Session token not found or invalid"; 403
ForbiddenException "No access"). The credentials it hands out are moto's own temporary keys,
so every later probe is answered by moto. botocore reaches the same portal through
``AWS_ENDPOINT_URL_SSO``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keydoctor.checks.sso import token_cache_name
from keydoctor.lab.emulator import Emulator
from keydoctor.lab.sso_portal import RoleKeys, SsoPortal

START = "https://lab.awsapps.com/start"
ACCOUNT = "123456789012"
BIN = str(Path(sys.executable).parent)


@pytest.fixture
def portal() -> Iterator[SsoPortal]:
    with SsoPortal() as server:
        yield server


def _role_keys(server: Emulator) -> RoleKeys:
    """Temporary keys of a fresh moto role, as the portal's permission set would give."""
    role = f"AWSReservedSSO_{uuid.uuid4().hex[:8]}"
    assert server.admin is not None
    admin = f"arn:aws:iam::{ACCOUNT}:user/{server.admin.user}"  # whom moto lets assume it
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": admin},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = server.client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(allow))
    creds = server.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="sso-user"
    )["Credentials"]
    return RoleKeys(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def _setup(clean_env: dict[str, str], portal: SsoPortal, token: str, role: str) -> dict[str, str]:
    home = Path(clean_env["HOME"])
    (home / ".aws" / "config").write_text(
        f"[profile sso]\nsso_start_url = {START}\nsso_region = us-east-1\n"
        f"sso_account_id = {ACCOUNT}\nsso_role_name = {role}\nregion = us-east-1\n",
        encoding="utf-8",
    )
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (cache / token_cache_name(START, None)).write_text(
        json.dumps(
            {
                "startUrl": START,
                "region": "us-east-1",
                "accessToken": token,
                "expiresAt": "2099-01-01T00:00:00Z",
            }
        ),
        encoding="utf-8",
    )
    return {
        **clean_env,
        "AWS_ENDPOINT_URL_SSO": portal.endpoint,
        "PATH": BIN + ":" + clean_env.get("PATH", ""),
    }


def _check(env: dict[str, str], server: Emulator) -> tuple[dict[str, Any], int]:
    argv = [sys.executable, "-m", "keydoctor", "check", "--format", "json", "--profile", "sso"]
    proc = subprocess.run(
        [*argv, "--endpoint-url", server.endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout), proc.returncode


def _codes(document: dict[str, Any]) -> set[str]:
    return {f["code"] for f in document["findings"]}


def _sso_probe(document: dict[str, Any]) -> dict[str, Any]:
    (probe,) = [p for p in document["probes"] if p["name"] == "sso:GetRoleCredentials"]
    return probe  # type: ignore[no-any-return]


def test_assigned_role_gets_moto_credentials_and_check_is_clean(
    moto_server: Emulator, portal: SsoPortal, clean_env: dict[str, str]
) -> None:
    keys = _role_keys(moto_server)
    token = uuid.uuid4().hex
    portal.grant(token, ACCOUNT, "ReadOnly", keys)
    document, code = _check(_setup(clean_env, portal, token, "ReadOnly"), moto_server)
    assert _sso_probe(document)["outcome"] == "ok"
    assert code == 0 and not _codes(document) & {"KD505", "KD615", "KD626", "KD627"}
    assert document["identity"]["account"] == ACCOUNT
    text = json.dumps(document)
    assert token not in text and keys.secret_access_key not in text
    assert keys.session_token not in text


def test_token_the_portal_refuses(
    moto_server: Emulator, portal: SsoPortal, clean_env: dict[str, str]
) -> None:
    """401: the token's date is fine, the session behind it is gone. The fix is a login,
    which the test stands in for by giving the portal a token and the cache that token."""
    env = _setup(clean_env, portal, "ended-session", "ReadOnly")
    document, code = _check(env, moto_server)
    assert code == 1
    (finding,) = [f for f in document["findings"] if f["code"] == "KD626"]
    assert finding["fix"] == "aws sso login --profile sso"
    assert "KD615" not in _codes(document)  # the specific finding replaces the generic one
    assert document["diagnosis"]["category"] == "provider-failure"
    # What `aws sso login` leaves behind: a token the portal knows, in the same file.
    fresh = uuid.uuid4().hex
    portal.grant(fresh, ACCOUNT, "ReadOnly", _role_keys(moto_server))
    _setup_token(env, fresh)
    document, code = _check(env, moto_server)
    assert code == 0 and "KD626" not in _codes(document)


def _setup_token(env: dict[str, str], token: str) -> None:
    path = Path(env["HOME"]) / ".aws" / "sso" / "cache" / token_cache_name(START, None)
    document = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**document, "accessToken": token}), encoding="utf-8")


def test_role_not_assigned_and_the_printed_command_with_an_assigned_role(
    moto_server: Emulator, portal: SsoPortal, clean_env: dict[str, str]
) -> None:
    """403 No access: the fix names the permission set and account, and the command that
    switches to a role the user has; run as printed (NAME: a role the portal lists)."""
    token = uuid.uuid4().hex
    portal.grant(token, ACCOUNT, "DataReader", _role_keys(moto_server))
    env = _setup(clean_env, portal, token, "Admin")
    document, code = _check(env, moto_server)
    assert code == 1
    (finding,) = [f for f in document["findings"] if f["code"] == "KD627"]
    assert finding["category"] == "permission-missing"
    assert "assign permission set Admin to you in account 123456789012" in finding["fix"]
    assert _sso_probe(document)["outcome"] == "denied"
    assert document["diagnosis"]["category"] == "permission-missing"
    command = finding["fix"].split("use a role you have: ", 1)[1].split(" (", 1)[0]
    listed = portal.answer(f"/assignment/roles?account_id={ACCOUNT}", token)[2]
    (assigned,) = [r["roleName"] for r in listed["roleList"]]  # type: ignore[union-attr, index]
    step = command.replace("NAME", shlex.quote(str(assigned)))
    assert shlex.split(step)[:4] == ["aws", "configure", "set", "sso_role_name"]
    subprocess.run(["sh", "-c", step], env=env, check=True, timeout=120, capture_output=True)
    document, code = _check(env, moto_server)
    assert code == 0 and not _codes(document) & {"KD627", "KD615"}
    assert _sso_probe(document)["outcome"] == "ok"


def test_botocore_reaches_the_same_portal_and_agrees(
    moto_server: Emulator, portal: SsoPortal, clean_env: dict[str, str]
) -> None:
    """botocore's SSO provider, pointed at the portal, gets the same keys, and raises
    UnauthorizedSSOTokenError where keydoctor reports KD626."""
    keys = _role_keys(moto_server)
    portal.grant("good", ACCOUNT, "ReadOnly", keys)
    script = (
        "import botocore.session, json\n"
        "s = botocore.session.Session(profile='sso')\n"
        "try:\n"
        "    print(json.dumps({'key': s.get_credentials().get_frozen_credentials().access_key}))\n"
        "except Exception as e:\n"
        "    print(json.dumps({'error': type(e).__name__}))\n"
    )
    env = _setup(clean_env, portal, "good", "ReadOnly")
    for token, expected in (
        ("good", {"key": keys.access_key_id}),
        ("bad", {"error": "UnauthorizedSSOTokenError"}),
    ):
        _setup_token(env, token)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
        assert json.loads(out.stdout) == expected
