"""``keydoctor rules``: every rule listed, one rule's page, unknown codes refused."""

from __future__ import annotations

import json
import subprocess
import sys

from keydoctor.registry import every_rule


def _rules(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "rules", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lists_every_rule_once() -> None:
    proc = _rules()
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines()]
    assert listed == list(every_rule())


def test_one_rule_by_code_or_name_shows_its_documentation() -> None:
    rule = every_rule()["KD501"]
    by_code = _rules("kd501")
    by_name = _rules(rule.name)
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout
    assert rule.docs in by_code.stdout and "session-token" in by_code.stdout
    document = json.loads(_rules("KD610", "--output", "json").stdout)
    assert document["code"] == "KD610" and document["category"] == "key-id-wrong"


def test_an_unknown_rule_is_a_usage_error() -> None:
    proc = _rules("KD000")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "no rule 'KD000'" in proc.stderr


def test_a_rule_shows_the_kind_of_its_fix() -> None:
    page = _rules("KD301").stdout
    assert "Fix: keydoctor-fix (`keydoctor fix tidy --apply --unsafe`, unsafe" in page
    assert "proven" in page
    manual = json.loads(_rules("KD610", "--format", "json").stdout)["fix"]
    assert manual == {"kind": "manual", "keydoctor_fix": None, "unsafe": False, "proof": "manual"}
    command = json.loads(_rules("KD312", "--format", "json").stdout)["fix"]
    assert command["kind"] == "command" and command["proof"] == "proven"
    listed = {line.split()[0]: line.split()[3] for line in _rules().stdout.splitlines()}
    assert listed["KD309"] == "keydoctor-fix" and listed["KD108"] == "manual"
