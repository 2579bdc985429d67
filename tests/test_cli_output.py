"""Standard output that cannot carry the report: an ASCII-only encoding, a reader that
went away, a closed descriptor, a full disk. None of them is an internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEY_ID = "AKIAZ7LEAKCHECKKEY01"
SECRET = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"


@pytest.fixture
def home_env(tmp_path: Path) -> dict[str, str]:
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    os.chmod(aws / "credentials", 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHONIO", "LC_"))}
    env.update({"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def _keydoctor(env: dict[str, str], *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        text=True,
        timeout=60,
        **kw,
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_ascii_stdout_degrades_instead_of_failing(home_env: dict[str, str], fmt: str) -> None:
    env = {**home_env, "PYTHONIOENCODING": "ascii"}
    proc = _keydoctor(env, "check", "--offline", "--format", fmt, capture_output=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.isascii()
    if fmt == "text":
        assert "AKIA...EY01" in proc.stdout
    else:
        json.loads(proc.stdout)  # the escapes keep JSON valid
        assert fmt == "sarif" or "AKIA...EY01" in proc.stdout
    assert SECRET not in proc.stdout


def test_characters_without_an_ascii_form_become_json_escapes() -> None:
    from keydoctor.console import degrade

    text = json.dumps({"a": "caf\u00e9 \u2026 \U0001f511"}, ensure_ascii=False)
    shown = degrade(text, "ascii")
    assert shown.isascii()
    assert json.loads(shown) == {"a": "caf\u00e9 ... \U0001f511"}


def test_ascii_stdout_for_fix_preview(home_env: dict[str, str]) -> None:
    path = Path(home_env["HOME"]) / ".aws" / "credentials"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # a diff to show
    env = {**home_env, "PYTHONIOENCODING": "ascii"}
    proc = _keydoctor(env, "fix", "tidy", capture_output=True)
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr
    assert "AKIA...EY01" in proc.stdout and proc.stdout.isascii()


def test_reader_gone_exits_quietly(home_env: dict[str, str]) -> None:
    """``keydoctor check | head -0``: the pipe's reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _keydoctor(home_env, "check", "--offline", stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_closed_stdout_is_one_line_error(home_env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m keydoctor check --offline >&-'],
        env=home_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("keydoctor: error: standard output is closed")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_is_one_line_error(home_env: dict[str, str]) -> None:
    with open("/dev/full", "w") as full:
        proc = _keydoctor(home_env, "check", "--offline", stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot write to standard output" in proc.stderr
    assert "internal error" not in proc.stderr
