"""Role-chain cases found offline, each proven against botocore and repaired as printed.

A source_profile loop or dead end (KD206 names the walk ``a -> b -> a`` and the one
setting that ends it), ``credential_source = Ec2InstanceMetadata`` with
``AWS_EC2_METADATA_DISABLED=true`` (KD518) and an ``mfa_serial`` role used by a process
without a terminal (KD519). Every setup is also handed to botocore itself, in the same
HOME and the same detached session, so the finding is shown to predict what botocore
really does; then the printed fix is applied and ``check`` must be clean of the code.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keydoctor.shell import runnable_part

KEY_ID = "AKIAY34FZKBOKMUTVV7A"
SECRET = "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"
KEYS = f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
ROLE = "arn:aws:iam::111122223333:role/app"
BIN = str(Path(sys.executable).parent)

# What botocore raises when it first needs the profile's credentials (no request is sent:
# the failure comes before it, or the role is never reached).
BOTOCORE = """
import sys, warnings
warnings.simplefilter("ignore")
import botocore.session
try:
    session = botocore.session.Session(profile=sys.argv[1])
    credentials = session.get_credentials()
    credentials.get_frozen_credentials()
except BaseException as exc:
    print(type(exc).__name__)
else:
    print("ok")
"""


def _run(args: list[str], env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """A process as cron or CI runs it: no controlling terminal, standard input empty."""
    return subprocess.run(
        args,
        env={**env, "PATH": BIN + os.pathsep + env.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _write(env: dict[str, str], config: str, credentials: str = KEYS) -> Path:
    home = Path(env["HOME"])
    for name, text in (("config", config), ("credentials", credentials)):
        (home / ".aws" / name).write_text(text, encoding="utf-8")
        os.chmod(home / ".aws" / name, 0o600)
    return home


def _check(env: dict[str, str], home: Path, profile: str) -> tuple[list[dict[str, Any]], int]:
    cmd = [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", "json"]
    proc = _run([*cmd, "--profile", profile], env, home)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)["findings"], proc.returncode


# STS at a closed loopback port: botocore that gets as far as sending AssumeRole says so
# with EndpointConnectionError, and nothing leaves the machine.
SENT = "EndpointConnectionError"


def _botocore(env: dict[str, str], home: Path, profile: str) -> str:
    closed = {**env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    proc = _run([sys.executable, "-c", BOTOCORE, profile], closed, home)
    return proc.stdout.strip()


def _only(findings: list[dict[str, Any]], code: str) -> dict[str, Any]:
    found = [f for f in findings if f["code"] == code]
    assert len(found) == 1, findings
    return found[0]


def _apply(env: dict[str, str], home: Path, fix: str) -> None:
    step = runnable_part(fix)
    assert shlex.split(step)[0] in ("aws", "unset"), fix
    proc = _run(["sh", "-c", f"set -e\n{step}\n"], env, home)
    assert proc.returncode == 0, proc.stderr


LOOP = (
    "[default]\nregion = us-east-1\n"
    f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\nregion = us-east-1\n"
    f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\nregion = us-east-1\n"
)
DEAD_END = (
    "[default]\nregion = us-east-1\n"
    f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\nregion = us-east-1\n"
    f"[profile b]\nrole_arn = {ROLE}\nsource_profile = gone\nregion = us-east-1\n"
)
NO_KEYS = (
    "[default]\nregion = us-east-1\n"
    f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\nregion = us-east-1\n"
    "[profile b]\nregion = us-east-1\n"
)


@pytest.mark.parametrize(
    ("config", "walk", "raised"),
    [
        (LOOP, "a -> b -> a", "InfiniteLoopConfigError"),
        (DEAD_END, "a -> b -> gone", "InvalidConfigError"),
        (NO_KEYS, "a -> b", "InvalidConfigError"),
    ],
    ids=["loop", "missing-source", "source-without-keys"],
)
def test_source_profile_walk_is_named_and_the_printed_fix_ends_it(
    clean_env: dict[str, str], config: str, walk: str, raised: str
) -> None:
    home = _write(clean_env, config)
    assert _botocore(clean_env, home, "a") == raised
    findings, code = _check(clean_env, home, "a")
    finding = _only(findings, "KD206")
    assert code == 1 and finding["category"] == "provider-failure"
    assert f"({walk})" in finding["explanation"], finding
    # The hop to change is the last profile that names a source; default holds keys.
    edit = walk.split(" -> ")[-2]
    assert runnable_part(finding["fix"]) == (
        f"aws configure set source_profile default --profile {edit}"
    )
    _apply(clean_env, home, finding["fix"])
    findings, code = _check(clean_env, home, "a")
    assert [f for f in findings if f["code"] == "KD206"] == [] and code == 0, findings
    assert _botocore(clean_env, home, "a") == SENT


def test_a_loop_with_no_profile_holding_keys_names_the_section_to_change(
    clean_env: dict[str, str],
) -> None:
    home = _write(clean_env, LOOP, credentials="")
    finding = _only(_check(clean_env, home, "a")[0], "KD206")
    assert "(a -> b -> a)" in finding["explanation"]
    assert finding["fix"].startswith("Point source_profile under [profile b]"), finding


IMDS_ROLE = (
    "[default]\nregion = us-east-1\n"
    f"[profile ec2]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
    "region = us-east-1\n"
)


def test_imds_disabled_under_an_ec2_credential_source(clean_env: dict[str, str]) -> None:
    assert clean_env["AWS_EC2_METADATA_DISABLED"] == "true"
    home = _write(clean_env, IMDS_ROLE)
    assert _botocore(clean_env, home, "ec2") == "CredentialRetrievalError"
    findings, code = _check(clean_env, home, "ec2")
    finding = _only(findings, "KD518")
    assert (finding["severity"], finding["category"], code) == ("critical", "provider-failure", 1)
    assert runnable_part(finding["fix"]) == "unset AWS_EC2_METADATA_DISABLED"
    # KD518 says why; the generic provider finding does not repeat it.
    assert [f for f in findings if f["code"] == "KD206"] == []
    without = {k: v for k, v in clean_env.items() if k != "AWS_EC2_METADATA_DISABLED"}
    findings, code = _check(without, home, "ec2")
    assert [f for f in findings if f["code"] in ("KD518", "KD206")] == [] and code == 0


MFA_ROLE = (
    "[default]\nregion = us-east-1\n"
    f"[profile mfa]\nrole_arn = {ROLE}\nsource_profile = default\n"
    "mfa_serial = arn:aws:iam::111122223333:mfa/jane\nregion = us-east-1\n"
)


def test_mfa_serial_without_a_terminal(clean_env: dict[str, str]) -> None:
    home = _write(clean_env, MFA_ROLE)
    # botocore's getpass finds no /dev/tty, falls back to the empty standard input: EOF.
    assert _botocore(clean_env, home, "mfa") == "EOFError"
    findings, code = _check(clean_env, home, "mfa")
    finding = _only(findings, "KD519")
    assert (finding["severity"], finding["category"], code) == ("high", "provider-failure", 1)
    assert "remove mfa_serial from [profile mfa]" in finding["fix"]
    assert finding["location"]["key"] == "mfa_serial"
    # The fix as written: the mfa_serial line removed from the profile.
    config = home / ".aws" / "config"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(x for x in lines if not x.startswith("mfa_serial")), "utf-8")
    findings, code = _check(clean_env, home, "mfa")
    assert [f for f in findings if f["code"] == "KD519"] == [] and code == 0, findings
    assert _botocore(clean_env, home, "mfa") == SENT


def test_mfa_serial_of_a_role_not_in_use_is_not_reported(clean_env: dict[str, str]) -> None:
    home = _write(clean_env, MFA_ROLE)
    findings, _code = _check(clean_env, home, "default")
    assert [f for f in findings if f["code"] == "KD519"] == []


@pytest.mark.parametrize("where", ["Environment", "EcsContainer"])
def test_credential_source_with_nothing_behind_it(clean_env: dict[str, str], where: str) -> None:
    """credential_source on a machine that has none of it: no keys exported, no agent."""
    config = (
        "[default]\nregion = us-east-1\n"
        f"[profile job]\nrole_arn = {ROLE}\ncredential_source = {where}\nregion = us-east-1\n"
    )
    home = _write(clean_env, config)
    assert _botocore(clean_env, home, "job") == "CredentialRetrievalError"
    findings, code = _check(clean_env, home, "job")
    finding = _only(findings, "KD206")
    assert code == 1 and f"credential_source {where}" in finding["explanation"]
    if where == "Environment":
        assert finding["fix"].startswith("export AWS_ACCESS_KEY_ID=")
        fixed = {**clean_env, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    else:
        assert "replace it under [profile job] with source_profile = " in finding["fix"]
        (home / ".aws" / "config").write_text(
            config.replace("credential_source = EcsContainer", "source_profile = default"),
            encoding="utf-8",
        )
        fixed = clean_env
    findings, code = _check(fixed, home, "job")
    assert [f for f in findings if f["code"] == "KD206"] == [] and code == 0, findings
    assert _botocore(fixed, home, "job") == SENT
