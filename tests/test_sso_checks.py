"""KD508–KD512 against botocore itself: the same config and caches, read by both.

botocore runs in a child process with the case's HOME (its cache folders are fixed when
botocore is imported), the SSO portal and OIDC endpoints pointed at a closed loopback port,
so nothing can leave the machine. Where a rule says botocore refuses, botocore must refuse
with the error the rule names; where it is quiet, botocore must get past the config.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import SSOCredentialFetcher
from botocore.utils import SSOTokenLoader

from keydoctor.checks.sso import cli_cache_name, token_cache_name
from privileges import drop_dac_prefix, give_away

START = "https://corp.awsapps.com/start"
SESSION = f"[sso-session corp]\nsso_start_url = {START}\nsso_region = us-east-1\n"
ROLE = "sso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
# What a botocore program does, and what the AWS CLI v2 does: it gives the SSO provider a
# file cache in ~/.aws/cli/cache (awscli/customizations/sso/__init__.py).
BOTOCORE = """
import json, os, sys
import botocore.session
from botocore.credentials import JSONFileCache
session = botocore.session.Session(profile=sys.argv[1])
if sys.argv[2] == "cli":
    provider = session.get_component("credential_provider").get_provider("sso")
    provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
try:
    creds = session.get_credentials().get_frozen_credentials()
    print(json.dumps({"key": creds.access_key}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""
LOADER = """
import json, os, sys
from botocore.utils import JSONFileCache, SSOTokenLoader
loader = SSOTokenLoader(JSONFileCache(os.path.expanduser("~/.aws/sso/cache")))
try:
    print(json.dumps({"expires": loader(sys.argv[1])["expiresAt"]}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__}))
"""


def _home(tmp_path: Path, config: str, files: dict[str, Any] | None = None) -> Path:
    home = tmp_path / "case"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config, encoding="utf-8")
    for rel, content in (files or {}).items():
        path = home / ".aws" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
    return home


def _env(home: Path, clean_env: dict[str, str]) -> dict[str, str]:
    return {
        **clean_env,
        "HOME": str(home),
        "USER": "root",
        "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_SSO_OIDC": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _run(env: dict[str, str], argv: list[str], prefix: tuple[str, ...] = ()) -> str:
    proc = subprocess.run(
        [*prefix, *argv], env=env, capture_output=True, text=True, timeout=120, cwd=env["HOME"]
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def _check(env: dict[str, str], prefix: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    argv = [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", "json"]
    out = _run(env, [*argv, "--profile", "sso"], prefix)
    return json.loads(out)["findings"]  # type: ignore[no-any-return]


def _botocore(env: dict[str, str], mode: str = "app") -> dict[str, str]:
    return json.loads(_run(env, [sys.executable, "-c", BOTOCORE, "sso", mode]))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("session", "start_url"),
    [
        ("corp", START),
        (None, START),
        (None, "https://d-90670a1b2c.awsapps.com/start#/"),
        ("équipe", START),
    ],
)
def test_cache_names_are_botocores(session: str | None, start_url: str) -> None:
    loader_key = SSOTokenLoader()._generate_cache_key(start_url, session)
    assert token_cache_name(start_url, session) == loader_key + ".json"
    fetcher = SSOCredentialFetcher(
        start_url, "us-east-1", "ReadOnly", "123456789012", None, sso_session_name=session
    )
    assert cli_cache_name("123456789012", "ReadOnly", session, start_url) == (
        fetcher._cache_key + ".json"
    )


CONFIGS = [
    ("KD508", f"[profile sso]\nsso_session = crop\n{ROLE}{SESSION}", "InvalidConfigError"),
    (
        "KD509",
        f"[profile sso]\nsso_session = corp\n{ROLE}[sso-session corp]\nsso_start_url = {START}\n",
        "InvalidConfigError",
    ),
    (
        "KD510",
        f"[profile sso]\nsso_session = corp\nsso_start_url = https://old.awsapps.com/start\n"
        f"{ROLE}{SESSION}",
        "InvalidConfigError",
    ),
    # The profile cannot give what the session lacks: the token provider reads the section.
    (
        "KD509",
        f"[profile sso]\nsso_session = corp\nsso_region = us-east-1\n{ROLE}"
        f"[sso-session corp]\nsso_start_url = {START}\n",
        "InvalidConfigError",
    ),
    # The profile may repeat a value the session gives.
    (
        None,
        f"[profile sso]\nsso_session = corp\nsso_start_url = {START}\n{ROLE}{SESSION}",
        "SSOTokenLoadError",
    ),
]


@pytest.mark.parametrize(("code", "config", "botocore_error"), CONFIGS)
def test_config_rules_fire_exactly_when_botocore_refuses(
    code: str | None, config: str, botocore_error: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    env = _env(_home(tmp_path, config), clean_env)
    assert _botocore(env).get("error") == botocore_error
    codes = {f["code"] for f in _check(env)}
    ours = codes & {"KD508", "KD509", "KD510", "KD206"}
    assert ours == ({code} if code else set())


def test_kd509_fix_applied_lets_botocore_past_the_config(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    """The line the fix names, added under the section (the file's last), as a person would."""
    token = {
        "startUrl": START,
        "region": "eu-west-1",
        "accessToken": "t",
        "expiresAt": "2020-01-01T00:00:00Z",
    }
    config = (
        f"[profile sso]\nsso_session = corp\n{ROLE}[sso-session corp]\nsso_start_url = {START}\n"
    )
    home = _home(tmp_path, config, {"sso/cache/" + token_cache_name(START, "corp"): token})
    env = _env(home, clean_env)
    (finding,) = [f for f in _check(env) if f["code"] == "KD509"]
    line = finding["fix"].split(": ", 1)[1].split("   (")[0]
    assert line == "sso_region = eu-west-1"
    with open(home / ".aws" / "config", "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    assert "KD509" not in {f["code"] for f in _check(env)}
    assert _botocore(env).get("error") != "InvalidConfigError"


def test_cli_works_from_its_cache_while_a_program_fails(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    """KD512: the very split botocore shows. The CLI-style session answers from
    ~/.aws/cli/cache; a plain botocore session reads the expired token and raises."""
    config = f"[profile sso]\nsso_start_url = {START}\nsso_region = us-east-1\n{ROLE}"
    expired = {
        "startUrl": START,
        "region": "us-east-1",
        "accessToken": "t",
        "expiresAt": "2020-01-01T00:00:00Z",
    }
    creds = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "ASIAY34FZKBOKMUTVV7Q",
            "SecretAccessKey": "not-a-secret",
            "SessionToken": "not-a-token",
            "Expiration": "2099-01-01T00:00:00Z",
        },
    }
    cli_file = "cli/cache/" + cli_cache_name("123456789012", "ReadOnly", None, START)
    files = {"sso/cache/" + token_cache_name(START, None): expired, cli_file: creds}
    env = _env(_home(tmp_path, config, files), clean_env)
    assert _botocore(env, "app") == {
        "error": "UnauthorizedSSOTokenError",
        "message": _botocore(env, "app")["message"],
    }
    assert _botocore(env, "cli") == {"key": "ASIAY34FZKBOKMUTVV7Q"}
    (finding,) = [f for f in _check(env) if f["code"] == "KD512"]
    assert cli_file in finding["explanation"] and finding["fix"].startswith(
        "aws sso login --profile sso"
    )
    assert "not-a-secret" not in json.dumps(finding) and "not-a-token" not in json.dumps(finding)
    # Cached credentials with 15 minutes or less left are not used by the CLI either.
    creds["Credentials"]["Expiration"] = "2020-01-01T00:00:00Z"  # type: ignore[index]
    (Path(env["HOME"]) / ".aws" / cli_file).write_text(json.dumps(creds), encoding="utf-8")
    assert "error" in _botocore(env, "cli")
    assert "KD512" not in {f["code"] for f in _check(env)}


def test_caches_of_a_sudo_login_and_the_printed_fix(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    """KD511: botocore's loader fails on root's files; the printed chown, run as root (where
    sudo changes nothing, so it is left out), gives them back and botocore reads the token."""
    prefix = drop_dac_prefix()
    if prefix is None or not prefix:
        pytest.skip("needs root able to drop CAP_DAC_OVERRIDE to give files away")
    config = f"[profile sso]\nsso_start_url = {START}\nsso_region = us-east-1\n{ROLE}"
    token = {
        "startUrl": START,
        "region": "us-east-1",
        "accessToken": "t",
        "expiresAt": "2099-01-01T00:00:00Z",
    }
    home = _home(tmp_path / "a b", config, {"sso/cache/" + token_cache_name(START, None): token})
    (home / ".aws" / "cli" / "cache").mkdir(parents=True)
    give_away(home / ".aws" / "sso")
    give_away(home / ".aws" / "cli")
    env = _env(home, clean_env)
    loader = [sys.executable, "-c", LOADER, START]
    assert json.loads(_run(env, loader, prefix)) == {"error": "KeyError"}
    found = [f for f in _check(env, prefix) if f["code"] in ("KD511", "KD505")]
    assert [f["code"] for f in found] == ["KD511"], found
    step = found[0]["fix"].split("   (")[0]
    words = shlex.split(step)
    assert words[:3] == ["sudo", "chown", "-R"]
    assert words[4:] == [str(home / ".aws" / "sso"), str(home / ".aws" / "cli")]
    subprocess.run(["sh", "-c", step.removeprefix("sudo ")], env=env, check=True, timeout=60)
    assert json.loads(_run(env, loader, prefix)) == {"expires": "2099-01-01T00:00:00Z"}
    assert "KD511" not in {f["code"] for f in _check(env, prefix)}
