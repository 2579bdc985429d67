"""Golden cases: every clause form and every seed case, parsed and checked offline.

Each directory under tests/fixtures/redshift/ holds ``input.sql`` and ``expected.json``
(per statement: kind, bucket, prefix, region, masked auth, and each finding's code,
severity and fix). Set KEYDOCTOR_UPDATE_GOLDEN=1 to rewrite the expected files after a
deliberate change, then read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from keydoctor.redshift.report import build_document, check_sql

FIXTURES = Path(__file__).parent / "fixtures" / "redshift"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.sql").exists())


def golden_view(sql: str) -> dict[str, Any]:
    document = build_document(check_sql(sql, source="input.sql"))
    return {
        "statements": [
            {
                "kind": s["kind"],
                "bucket": s["bucket"],
                "prefix": s["prefix"],
                "region": s["region"],
                "auth": s["auth"],
                "findings": [
                    {"code": f["code"], "severity": f["severity"], "fix": f["fix"]}
                    for f in s["findings"]
                ],
            }
            for s in document["statements"]
        ],
        "input_findings": [f["code"] for f in document["input_findings"]],
    }


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    sql = (FIXTURES / case / "input.sql").read_text(encoding="utf-8")
    expected_path = FIXTURES / case / "expected.json"
    view = golden_view(sql)
    if os.environ.get("KEYDOCTOR_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(view, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert view == json.loads(expected_path.read_text(encoding="utf-8"))


def test_every_offline_rule_has_a_golden_case() -> None:
    from keydoctor.redshift import rules

    # KD816 (input over 16 MiB) is proved in test_redshift_bad_input.py.
    offline = {r.code for r in rules.RULES if r.code < "KD820"} - {"KD816"}
    seen: set[str] = set()
    for case in CASES:
        expected = json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))
        seen.update(expected["input_findings"])
        for statement in expected["statements"]:
            seen.update(f["code"] for f in statement["findings"])
    assert offline - seen == set()
