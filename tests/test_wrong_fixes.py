"""``bench/wrong_fixes.py`` still works: a wrong command in a catalog cause and in a rule's
finding are each caught by the tests that state those fixes.

The whole run (every cause and every rule, 167 replacements) takes minutes and is a
benchmark; this runs two of them, so that the script cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_wrong_catalog_fix_and_a_wrong_rule_fix_are_caught() -> None:
    proc = subprocess.run(
        [sys.executable, "bench/wrong_fixes.py", "--only", "key-id-unknown", "KD810"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith("caught ") and "key-id-unknown" in line and "test_catalog_fix_facts" in line
        for line in lines
    ), proc.stdout
    assert any(
        line.startswith("caught ") and "KD810" in line and "test_redshift_golden" in line
        for line in lines
    ), proc.stdout
    assert lines[-1].startswith("2 of 2 caught"), proc.stdout
