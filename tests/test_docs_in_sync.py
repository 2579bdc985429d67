"""Checked-in documentation generated from code must match the code."""

from __future__ import annotations

from pathlib import Path

from keydoctor.checks.docs import render_rules_page

ROOT = Path(__file__).resolve().parents[1]


def test_rules_page_is_in_sync() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == render_rules_page(), "run: python -m keydoctor.checks.docs > docs/rules.md"
