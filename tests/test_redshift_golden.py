"""Golden cases: every clause form and every seed case, parsed and checked offline.

Each directory under tests/fixtures/redshift/ holds ``input.sql`` and ``expected.json``
(per statement: kind, bucket, prefix, region, masked auth, and each finding's code,
severity and fix), the snapshot. Beside them ``case.toml`` states what a person expects,
written from the statement and not from the output: the exit code of ``keydoctor redshift
--offline``, the input's own findings, and per statement every finding's code, severity,
category and the essential words of its fix (a clean statement states none). The run and
the stored snapshot are both held to those facts, and KEYDOCTOR_UPDATE_GOLDEN=1 rewrites a
snapshot only from a run that meets them, so regenerating can never make a wrong answer
pass. Read the diff.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tomllib
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


FAILING = ("high", "critical")


def _spec(case: str) -> dict[str, Any]:
    return tomllib.loads((FIXTURES / case / "case.toml").read_text(encoding="utf-8"))


def _exit_code(case: str) -> int:
    """What ``keydoctor redshift --offline --file input.sql`` exits with."""
    from keydoctor.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["redshift", "--offline", "--file", str(FIXTURES / case / "input.sql")])


def fact_problems(
    spec: dict[str, Any], statements: list[dict[str, Any]], inputs: list[Any], code: int
) -> list[str]:
    """Where a run or a snapshot departs from the facts its case states (empty: none).

    ``inputs`` are the input's own findings: dicts with code and severity from a run,
    bare codes from a snapshot (which keeps only those)."""
    problems: list[str] = []
    if code != spec["exit_code"]:
        problems.append(f"exit code {code}, stated {spec['exit_code']}")
    stated_inputs = spec["input_findings"]
    if [i["code"] if isinstance(i, dict) else i for i in inputs] != [
        i["code"] for i in stated_inputs
    ]:
        problems.append(f"input findings {inputs}, stated {stated_inputs}")
    elif inputs and isinstance(inputs[0], dict):
        shown = [(i["code"], i["severity"]) for i in inputs]
        if shown != [(i["code"], i["severity"]) for i in stated_inputs] or not all(
            part in found["fix"]
            for found, entry in zip(inputs, stated_inputs, strict=True)
            for part in entry["fix_says"]
        ):
            shown_fixes = [(i["code"], i["severity"], i["fix"]) for i in inputs]
            problems.append(f"input findings {shown_fixes}, stated {stated_inputs}")
    stated = spec["expect"]
    for index, statement in enumerate(statements):
        mine = [e for e in stated if e["statement"] == index]
        if sorted(f["code"] for f in statement["findings"]) != sorted(e["code"] for e in mine):
            codes = [f["code"] for f in statement["findings"]]
            problems.append(f"statement {index}: codes {codes}, stated {[e['code'] for e in mine]}")
            continue
        for entry in mine:
            if not any(
                f["code"] == entry["code"]
                and f["severity"] == entry["severity"]
                and f.get("category", entry["category"]) == entry["category"]
                and all(part in f["fix"] for part in entry["fix_says"])
                for f in statement["findings"]
            ):
                shown = [
                    (f["severity"], f.get("category"), f["fix"])
                    for f in statement["findings"]
                    if f["code"] == entry["code"]
                ]
                problems.append(f"statement {index} {entry['code']}: stated {entry}, got {shown}")
    if any(e["statement"] >= len(statements) for e in stated):
        problems.append(f"facts for a statement beyond the {len(statements)} parsed")
    return problems


def _run_problems(case: str, sql: str) -> list[str]:
    document = build_document(check_sql(sql, source="input.sql"))
    return fact_problems(
        _spec(case), document["statements"], document["input_findings"], _exit_code(case)
    )


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    sql = (FIXTURES / case / "input.sql").read_text(encoding="utf-8")
    problems = _run_problems(case, sql)
    assert problems == [], "not rewritten, the stated facts fail:\n" + "\n".join(problems)
    expected_path = FIXTURES / case / "expected.json"
    view = golden_view(sql)
    if os.environ.get("KEYDOCTOR_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(view, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert view == json.loads(expected_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES)
def test_stored_snapshot_meets_the_stated_facts(case: str) -> None:
    """A snapshot rewritten from wrong output cannot pass: it is held to the facts too.

    Its exit code is the one its findings give (1 when one is high or above)."""
    snapshot = json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))
    spec = _spec(case)
    severities = [f["severity"] for s in snapshot["statements"] for f in s["findings"]]
    severities += [i["severity"] for i in spec["input_findings"]]
    code = 1 if any(s in FAILING for s in severities) else 0
    problems = fact_problems(spec, snapshot["statements"], snapshot["input_findings"], code)
    assert problems == [], "\n".join(problems)


def test_every_case_states_its_facts() -> None:
    for case in CASES:
        spec = _spec(case)
        assert spec.get("exit_code") in (0, 1), f"{case}: exit_code not stated"
        assert isinstance(spec.get("input_findings"), list), f"{case}: input findings unstated"
        for entry in spec["input_findings"]:
            assert set(entry) == {"code", "severity", "fix_says"} and entry["fix_says"], case
        for entry in spec.get("expect", None) or []:
            assert set(entry) == {"statement", "code", "severity", "category", "fix_says"}, case
            assert entry["fix_says"] and all(entry["fix_says"]), case
        assert "expect" in spec, f"{case}: findings not stated (expect = [] for none)"


def test_redshift_fact_check_catches_a_wrong_fix_severity_and_exit() -> None:
    """The checker itself fails on each kind of departure (so a pass means something)."""
    entry = {
        "statement": 0,
        "code": "KD810",
        "severity": "critical",
        "category": "config-malformed",
        "fix_says": ["IAM_ROLE default"],
    }
    spec = {"exit_code": 1, "input_findings": [], "expect": [entry]}
    right = {"code": "KD810", "severity": "critical", "fix": "Write: IAM_ROLE default"}
    assert fact_problems(spec, [{"findings": [right]}], [], 1) == []
    assert fact_problems(spec, [{"findings": [right]}], [], 0)
    wrong = dict(right, fix="Write: IAM_ROLE 'default'")
    assert fact_problems(spec, [{"findings": [wrong]}], [], 1)
    assert fact_problems(spec, [{"findings": [dict(right, severity="high")]}], [], 1)
    assert fact_problems(spec, [{"findings": [dict(right, category="hygiene")]}], [], 1)
    assert fact_problems(spec, [{"findings": []}], [], 1)
    assert fact_problems(spec, [{"findings": [right]}], ["KD801"], 1)
    assert fact_problems(spec, [{"findings": [right]}, {"findings": [right]}], [], 1)
    with_input = dict(
        spec, input_findings=[{"code": "KD801", "severity": "info", "fix_says": ["Nothing"]}]
    )
    shown = {"code": "KD801", "severity": "info", "fix": "Nothing to do."}
    assert fact_problems(with_input, [{"findings": [right]}], [shown], 1) == []
    assert fact_problems(with_input, [{"findings": [right]}], [dict(shown, fix="x")], 1)


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


def test_rules_page_is_in_sync() -> None:
    from keydoctor.redshift.docs import render_rules_page

    page = (Path(__file__).resolve().parents[1] / "docs" / "redshift-rules.md").read_text(
        encoding="utf-8"
    )
    assert page == render_rules_page(), (
        "run: python -m keydoctor.redshift.docs > docs/redshift-rules.md"
    )


def test_rule_codes_are_unique_and_kd8() -> None:
    from keydoctor.redshift.rules import RULES

    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(c.startswith("KD8") for c in codes)
    assert all(r.docs and r.title for r in RULES)
