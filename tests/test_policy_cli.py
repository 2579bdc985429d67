"""``keydoctor policy simulate`` as a person runs it, on the examples of AWS's documentation.

Each folder of tests/fixtures/policy/ holds the policy files of one example and a
``case.toml``: the page it comes from, the arguments, and what the page says the answer
is (decision, deciding layer, policy and statement, exit code). The facts are written
from the documentation, never copied from keydoctor's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
CASES = sorted(p for p in FIXTURES.iterdir() if (p / "case.toml").exists())


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "policy", "simulate", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_documented_example(case: Path) -> None:
    spec: dict[str, Any] = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    done = _run(case, *spec["args"], "--format", "json")
    assert done.returncode == spec["exit_code"], done.stderr
    answer = json.loads(done.stdout)
    assert answer["decision"] == spec["decision"]
    for key, value in spec.get("deciding", {}).items():
        assert answer["deciding"][key] == value, (key, answer["deciding"])
    text = _run(case, *spec["args"])
    assert text.returncode == spec["exit_code"]
    assert text.stdout.startswith(f"{spec['decision']}: ")
    deciding = spec.get("deciding", {})
    if "statement" in deciding:
        assert f"statement {deciding['statement']}" in text.stdout


def test_an_implicit_deny_names_the_statement_to_add(tmp_path: Path) -> None:
    case = FIXTURES / "cross-account-needs-the-bucket-policy"
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    answer = json.loads(_run(case, *spec["args"], "--format", "json").stdout)
    assert answer["change"].startswith("add to the resource-based policy: ")
    statement = json.loads(answer["change"].split(": ", 1)[1])
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"}
    assert statement["Action"] == "s3:GetObject"


def test_a_condition_on_an_absent_key_is_listed(tmp_path: Path) -> None:
    case = FIXTURES / "bucket-policy-denies-plain-http"
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    args = [a for a in spec["args"] if a not in ("--context", "aws:SecureTransport=false")]
    done = _run(case, *args, "--format", "json")
    answer = json.loads(done.stdout)
    assert done.returncode == 0 and answer["decision"] == "allowed"
    assert [(m["key"], m["outcome"]) for m in answer["missing_keys"]] == [
        ("aws:SecureTransport", "failed because absent")]
    assert "aws:SecureTransport" in _run(case, *args).stdout


def test_a_near_miss_says_what_the_condition_wanted(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"Statement": [{
        "Sid": "FromOffice", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}))
    done = _run(tmp_path, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k",
                "--principal", "arn:aws:iam::111122223333:user/a", "--identity-policy",
                "p.json", "--context", "aws:SourceIp=198.51.100.9")
    assert done.returncode == 1
    assert "statement FromOffice of p.json (lines 1-1) would allow it if IpAddress " \
        "aws:SourceIp [\"203.0.113.0/24\"] (the request has aws:SourceIp=198.51.100.9)" \
        in done.stdout


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}\n', "bad.json, line 3:"),
        (b'{"Statement": [{"Effect": "Allow", "Action": "*",\n "Resource": 3}]}',
         "bad.json, line 1: Resource must be"),
        (b"\xff\xfe\x00garbage", "bad.json, line 1: not UTF-8"),
        (b"", "bad.json, line 1: not valid JSON"),
    ],
)
def test_malformed_policy_is_one_line_and_exit_2(tmp_path: Path, content: bytes,
                                                 words: str) -> None:
    (tmp_path / "bad.json").write_bytes(content)
    done = _run(tmp_path, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k",
                "--principal", "arn:aws:iam::111122223333:user/a", "--identity-policy",
                "bad.json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--action", "s3:GetObjekt", "--resource", "arn:aws:s3:::b/k"], "not an action"),
        (["--action", "s3:ListBucket", "--resource", "arn:aws:s3:::b/k/x:y"], "does not act"),
        (["--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--context", "novalue"],
         "KEY=VALUE"),
        (["--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--identity-policy",
          "missing.json"], "cannot read missing.json"),
        (["--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--principal",
          "arn:aws:iam::111122223333:root", "--boundary", "b.json"],
         "--boundary: AWS attaches no policy to the account root user"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                               words: str) -> None:
    if "--principal" not in args:
        args = [*args, "--principal", "arn:aws:iam::111122223333:user/a"]
    done = _run(tmp_path, *args)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_policy_simulate_never_imports_the_sdk(tmp_path: Path) -> None:
    case = FIXTURES / "sse-kms-object-needs-decrypt"
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keydoctor", "policy", "simulate",
         *spec["args"]], cwd=case, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "keydoctor.policy.evaluate" in imported
    assert not {m for m in imported if m.split(".")[0] in ("boto3", "botocore", "moto")}
