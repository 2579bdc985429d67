"""The lab's small pieces: the typo maker, the judge of the top cause, the flag filter."""

from __future__ import annotations

import re

from keydoctor.lab.runner import (
    JUDGED_DIAGNOSIS,
    JUDGED_OFFLINE,
    check_flags,
    supported_args,
    top_cause,
)
from keydoctor.lab.scenarios import SCENARIOS, mistype
from keydoctor.model import Category

KEY_ID = re.compile(r"^AKIA[A-Z2-7]{16}$")


def test_mistype_changes_one_character_and_keeps_the_shape() -> None:
    for original in ("AKIAIOSFODNN7EXAMPLE", "AKIAZZZZZZZZZZZZZQZZ", "AKIA2345672345674567"):
        typo = mistype(original)
        assert KEY_ID.match(typo) or not KEY_ID.match(original)
        assert len(typo) == len(original)
        assert sum(a != b for a, b in zip(original, typo, strict=True)) == 1


def test_top_cause_prefers_the_live_diagnosis() -> None:
    document = {
        "diagnosis": {"category": "secret-wrong", "title": "t"},
        "findings": [{"severity": "critical", "category": "wrong-source"}],
    }
    assert top_cause(document)[:2] == (JUDGED_DIAGNOSIS, "secret-wrong")
    assert top_cause({"diagnosis": None, "findings": []})[:2] == (JUDGED_DIAGNOSIS, None)


def test_top_cause_without_diagnosis_uses_the_worst_failing_finding() -> None:
    document = {
        "findings": [
            {"severity": "high", "category": "session-token"},
            {"severity": "high", "category": "wrong-source"},
        ]
    }
    assert top_cause(document)[:2] == (JUDGED_OFFLINE, "session-token")
    only_risks = {"findings": [{"severity": "medium", "category": "hygiene"}]}
    assert top_cause(only_risks)[:2] == (JUDGED_OFFLINE, None)


def test_supported_args_keeps_known_flags_with_their_values() -> None:
    args = ["--bucket", "b", "--key", "k", "--region", "eu-west-1"]
    kept, dropped = supported_args(args, frozenset({"--region", "--key"}))
    assert kept == ["--key", "k", "--region", "eu-west-1"]
    assert dropped == ["--bucket"]
    assert "--endpoint-url" in check_flags()


def test_every_scenario_expects_a_category_from_the_vocabulary() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    for scenario in SCENARIOS:
        assert scenario.expected is None or isinstance(scenario.expected, Category)
        assert re.fullmatch(r"[a-z0-9-]+", scenario.name)
        assert len(f"lab-{scenario.name}") <= 63  # bucket names are the scenario's name
