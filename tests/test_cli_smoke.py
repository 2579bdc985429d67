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


def test_env_keys_hide_the_profile_named_by_aws_profile(clean_env: dict[str, str]) -> None:
    """Issue acceptance: env keys + AWS_PROFILE=dev → env wins, dev shadowed, wrong-source."""
    home = clean_env["HOME"]
    with open(f"{home}/.aws/credentials", "w", encoding="utf-8") as handle:
        handle.write(
            "[dev]\naws_access_key_id = AKIAY34FZKBOKMUTVV7B\n"
            "aws_secret_access_key = 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\n"
        )
    env = dict(clean_env)
    env.update(
        {
            "AWS_PROFILE": "dev",
            "AWS_ACCESS_KEY_ID": "AKIAY34FZKBOKMUTVV7A",
            "AWS_SECRET_ACCESS_KEY": "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",
        }
    )
    result = run_cli(["check", "--offline", "--format", "json"], env)
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"]["method"] == "env"
    assert doc["credentials"]["winner"]["access_key_id"] == "AKIA…VV7A"
    shadowed = doc["credentials"]["shadowed"]
    assert [(s["method"], s["profile"]) for s in shadowed] == [("shared-credentials-file", "dev")]
    assert "env comes first" in shadowed[0]["reason"]
    wrong = [f for f in doc["findings"] if f["category"] == "wrong-source" and f["code"] == "KD201"]
    assert wrong and "unset AWS_ACCESS_KEY_ID" in wrong[0]["fix"]
    assert result.returncode == 1
    assert "q8Rk2T0x" not in result.stdout + result.stderr
    # --profile dev skips the environment keys, as botocore does.
    result = run_cli(["check", "--offline", "--format", "json", "--profile", "dev"], env)
    doc = json.loads(result.stdout)
    assert doc["credentials"]["winner"]["method"] == "shared-credentials-file"
    assert doc["credentials"]["shadowed"][0]["method"] == "env"
    assert "--profile was given" in doc["credentials"]["shadowed"][0]["reason"]


def test_sarif_and_text_formats(clean_env: dict[str, str]) -> None:
    env = dict(clean_env, AWS_ACCESS_KEY_ID="ASIAY34FZKBOKMUTVV7C",
               AWS_SECRET_ACCESS_KEY="q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ")
    sarif = json.loads(run_cli(["check", "--offline", "--format", "sarif"], env).stdout)
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "KD501" and r["level"] == "error" for r in results)
    text = run_cli(["check", "--offline"], env)
    assert "KD501" in text.stdout and "\033[" not in text.stdout  # no colour when piped
    assert text.returncode == 1
    low = run_cli(["check", "--offline", "--fail-on", "critical"], dict(clean_env))
    assert low.returncode == 1  # no credentials at all is critical
