"""Bad input never gives a traceback: a finding, or one line on stderr, and the right exit.

Each case runs ``keydoctor check --offline`` as a user would (a subprocess, a fresh
HOME) on a broken file: binary, 100 MB, not UTF-8, symlinked, unreadable, garbage INI,
a FIFO, a directory, a HOME that does not exist. Exit codes follow the conventions:
1 when a finding at or above ``--fail-on`` (high) says the SDK call will fail, 0 when
the input is odd but harmless, 2 for usage errors.

Permission checks need care: the tests run as root, and root reads any file. Where
``setpriv`` can drop ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` from the child,
the permission cases run the CLI without them, so the kernel really refuses the read;
where it cannot, those cases are skipped with the reason.

The property-based test feeds random bytes as both shared files straight into
:func:`keydoctor.audit.run_audit` and renders every format: no exception, and no
planted secret in the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keydoctor.audit import run_audit
from keydoctor.examine import CheckResult
from keydoctor.reporters import FORMATS, check_formatter
from privileges import drop_dac_prefix

KEY_ID = "AKIAZ7LEAKTESTKEY0ID"
SECRET = "Lk9/Planted+Secret0Value1ForBadInputTest"
TOKEN = "IQoJb3JpZ2luX2VjEPlantedSessionTokenForBadInputTests0123456789abcdefXYZ"
GOOD_CREDS = f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
GOOD_CONFIG = "[default]\nregion = eu-west-1\n"


def run_cli(
    env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "keydoctor", "check", "--offline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, and nothing secret, whatever happened."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout
    for secret in (SECRET, TOKEN):
        assert secret[:12] not in result.stdout + result.stderr
    if result.returncode == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("keydoctor:"), result.stderr


def findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    doc = json.loads(result.stdout)
    found: list[dict[str, object]] = doc["findings"]
    return found


def codes(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {str(f["code"]) for f in findings(result)}


def severe(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {str(f["code"]) for f in findings(result) if f["severity"] in ("high", "critical")}


def home_of(env: dict[str, str]) -> Path:
    return Path(env["HOME"])


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


# --- files the SDK cannot use: a high or critical finding, exit 1 -------------------------


@pytest.mark.parametrize(
    "name, data",
    [
        ("binary", b"\x00\x01\x02\xff\xfe" * 400 + GOOD_CREDS.encode()),
        ("latin1", GOOD_CREDS.encode() + "# caf\u00e9 cr\u00e8me\n".encode("latin-1")),
        ("garbage_ini", b"this is not ini\n" + GOOD_CREDS.encode()),
        ("unclosed_header", b"[default\n" + GOOD_CREDS.encode()),
        ("nested_garbage", (GOOD_CREDS + "s3 =\n  no equals sign\n").encode()),
        ("duplicate_section", (GOOD_CREDS + GOOD_CREDS).encode()),
        ("bom", b"\xef\xbb\xbf" + GOOD_CREDS.encode()),
    ],
)
def test_broken_credentials_file(clean_env: dict[str, str], name: str, data: bytes) -> None:
    write(home_of(clean_env) / ".aws" / "credentials", data)
    write(home_of(clean_env) / ".aws" / "config", GOOD_CONFIG)
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert result.returncode == 1, (name, result.stdout[-800:], result.stderr)
    assert severe(result), (name, codes(result))
    text = run_cli(clean_env)
    assert_clean(text)
    assert text.returncode == 1


@pytest.mark.parametrize("kind", ["config", "credentials"])
def test_huge_file_is_refused_quickly(clean_env: dict[str, str], kind: str) -> None:
    """100 MB (sparse, so the test is fast): keydoctor refuses to parse it, says so."""
    path = write(home_of(clean_env) / ".aws" / kind, "[default]\n" + "# padding\n" * 10)
    with open(path, "r+b") as handle:
        handle.truncate(100 * 1024 * 1024)
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert result.returncode == 1
    assert any("MB" in str(f["explanation"]) for f in findings(result)), findings(result)


def test_config_path_is_a_directory(clean_env: dict[str, str]) -> None:
    (home_of(clean_env) / ".aws" / "config").mkdir()
    write(home_of(clean_env) / ".aws" / "credentials", GOOD_CREDS)
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    # botocore skips a directory, so the SDK still finds the keys; keydoctor says why the
    # config file is ignored.
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"]["method"] == "shared-credentials-file"
    assert any("directory" in str(f["explanation"]) for f in findings(result))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_config_is_a_fifo_does_not_hang(clean_env: dict[str, str]) -> None:
    os.mkfifo(home_of(clean_env) / ".aws" / "config")
    write(home_of(clean_env) / ".aws" / "credentials", GOOD_CREDS)
    result = run_cli(clean_env, "--format", "json")  # timeout=60 would fail a hang
    assert_clean(result)
    assert any("regular file" in str(f["explanation"]) for f in findings(result))


def test_parent_of_config_path_is_a_file(clean_env: dict[str, str]) -> None:
    blocker = write(home_of(clean_env) / "blocker", "plain file")
    clean_env["AWS_CONFIG_FILE"] = str(blocker / "config")
    write(home_of(clean_env) / ".aws" / "credentials", GOOD_CREDS)
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert result.returncode in (0, 1)
    assert json.loads(result.stdout)["credentials"]["winner"]["method"] == (
        "shared-credentials-file"
    )


# --- symlinks ---------------------------------------------------------------------------


def test_symlinked_credentials_are_followed(clean_env: dict[str, str]) -> None:
    real = write(home_of(clean_env) / "vault" / "aws-credentials", GOOD_CREDS)
    (home_of(clean_env) / ".aws" / "credentials").symlink_to(real)
    write(home_of(clean_env) / ".aws" / "config", GOOD_CONFIG)
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"]["method"] == "shared-credentials-file"
    assert doc["credentials"]["winner"]["access_key_id"] == "AKIA…Y0ID"
    assert KEY_ID not in result.stdout


def test_dangling_and_looping_symlinks(clean_env: dict[str, str]) -> None:
    aws = home_of(clean_env) / ".aws"
    (aws / "credentials").symlink_to(aws / "nowhere")
    (aws / "config").symlink_to(aws / "config")  # a loop: stat fails with ELOOP
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert result.returncode in (0, 1)
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"] is None
    assert findings(result), "an unusable config file must be reported"


# --- HOME ---------------------------------------------------------------------------------


def test_home_that_does_not_exist(clean_env: dict[str, str], tmp_path: Path) -> None:
    clean_env["HOME"] = str(tmp_path / "no" / "such" / "home")
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert result.returncode == 1  # nothing found at all: every SDK call would fail
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"] is None
    assert findings(result)
    text = run_cli(clean_env)
    assert_clean(text)
    assert text.returncode == 1


def test_home_unset(clean_env: dict[str, str]) -> None:
    del clean_env["HOME"]
    clean_env["AWS_ACCESS_KEY_ID"] = KEY_ID
    clean_env["AWS_SECRET_ACCESS_KEY"] = SECRET
    result = run_cli(clean_env, "--format", "json")
    assert_clean(result)
    assert json.loads(result.stdout)["credentials"]["winner"]["method"] == "env"


# --- permissions: the kernel must refuse, so root's bypass is dropped ----------------------


def _permission_prefix() -> tuple[str, ...]:
    prefix = drop_dac_prefix()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE with setpriv")
    return prefix


def test_credentials_file_permission_denied(clean_env: dict[str, str]) -> None:
    prefix = _permission_prefix()
    path = write(home_of(clean_env) / ".aws" / "credentials", GOOD_CREDS)
    path.chmod(0)
    try:
        result = run_cli(clean_env, "--format", "json", prefix=prefix)
    finally:
        path.chmod(0o600)
    assert_clean(result)
    assert result.returncode == 1
    assert any("permission denied" in str(f["explanation"]).lower() for f in findings(result))
    # botocore silently treats an unreadable file as empty: no winner, and keydoctor says why
    assert json.loads(result.stdout)["credentials"]["winner"] is None


def test_aws_folder_without_search_permission(clean_env: dict[str, str]) -> None:
    prefix = _permission_prefix()
    aws = home_of(clean_env) / ".aws"
    write(aws / "credentials", GOOD_CREDS)
    aws.chmod(0o600)  # readable listing, but no x bit: nothing inside can be opened
    try:
        result = run_cli(clean_env, "--format", "json", prefix=prefix)
    finally:
        aws.chmod(0o700)
    assert_clean(result)
    assert result.returncode == 1
    assert any("permission denied" in str(f["explanation"]).lower() for f in findings(result))


# --- usage errors: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("--expect-account", "not-an-account"), ("--format", "xml"), ("--fail-on", "severe")],
)
def test_usage_errors_are_one_line(clean_env: dict[str, str], args: tuple[str, ...]) -> None:
    result = run_cli(clean_env, *args)
    assert_clean(result)
    assert result.returncode == 2
    assert result.stdout == ""


def test_strange_profile_names(clean_env: dict[str, str]) -> None:
    write(home_of(clean_env) / ".aws" / "credentials", GOOD_CREDS)
    for name in ("a\nb", "\u200bdev", "../../etc/passwd", "x" * 5000, "[profile x]"):
        result = run_cli(clean_env, "--profile", name, "--format", "json")
        assert_clean(result)
        assert result.returncode == 1
        assert "KD202" in codes(result) or severe(result)


# --- property-based: random bytes as both files ----------------------------------------------

_SECRET_LINE = (
    f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    f"aws_session_token = {TOKEN}\n"
).encode()


def _fragments(secret: str, size: int = 8) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


_ALL_FRAGMENTS = _fragments(SECRET) | _fragments(TOKEN)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    config=st.binary(max_size=600),
    creds_prefix=st.binary(max_size=300),
    creds_suffix=st.binary(max_size=300),
    plant_in=st.sampled_from(["credentials", "config", "both"]),
)
def test_random_bytes_never_crash_or_leak(
    tmp_path_factory: pytest.TempPathFactory,
    config: bytes,
    creds_prefix: bytes,
    creds_suffix: bytes,
    plant_in: str,
) -> None:
    home = tmp_path_factory.mktemp("home")
    aws = home / ".aws"
    aws.mkdir()
    planted = b"\n" + _SECRET_LINE + b"\n"
    creds = creds_prefix + (planted if plant_in != "config" else b"") + creds_suffix
    conf = config + (planted if plant_in != "credentials" else b"")
    (aws / "credentials").write_bytes(creds)
    (aws / "config").write_bytes(conf)
    environ = {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin"}
    result = run_audit(environ=environ)
    checked = CheckResult(result, tuple(result.findings))
    for fmt in FORMATS:
        rendered = check_formatter(fmt).format(checked)
        if fmt == "json":
            json.loads(rendered)
        leaked = [f for f in _ALL_FRAGMENTS if f in rendered]
        assert not leaked, (fmt, leaked[:3])
