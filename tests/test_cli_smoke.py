"""The CLI as a user runs it: a subprocess, a fresh HOME, no AWS variables."""

from __future__ import annotations

import json
import subprocess
import sys


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_and_help(clean_env: dict[str, str]) -> None:
    result = run_cli(["--version"], clean_env)
    assert result.returncode == 0
    assert result.stdout.startswith("keydoctor ")
    result = run_cli([], clean_env)
    assert result.returncode == 2


def test_unknown_flag_is_usage_error(clean_env: dict[str, str]) -> None:
    result = run_cli(["check", "--no-such-flag"], clean_env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_offline_json_in_empty_home(clean_env: dict[str, str]) -> None:
    result = run_cli(["check", "--offline", "--format", "json"], clean_env)
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"] is None
    assert doc["profile"] == {"name": "default", "origin": "default"}
