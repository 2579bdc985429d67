"""The key-material inspectors on plain strings, and the offline account decoder."""

from __future__ import annotations

import pytest

from keydoctor.checks import all_rules, keys
from keydoctor.keyid import decode_account
from keydoctor.model import Category

GOOD_ID = "AKIAY34FZKBOKMUTVV7A"
GOOD_SECRET = "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"


def codes(problems: list[keys.ValueProblem]) -> list[str]:
    return [p.rule.code for p in problems]


def test_clean_values_have_no_problems() -> None:
    assert keys.inspect_key_id(GOOD_ID, "") == []
    assert keys.inspect_secret(GOOD_SECRET, "") == []
    assert keys.inspect_pair(GOOD_ID, GOOD_SECRET, None, "") == []


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        (GOOD_ID + " ", "KD101", "a space at the end (position 21)"),
        ("\t" + GOOD_ID, "KD101", "a tab at the start (position 1)"),
        ('"' + GOOD_ID + '"', "KD102", "quote character"),
        (
            GOOD_ID[:10] + "\u200b" + GOOD_ID[10:],
            "KD103",
            "zero-width space (U+200B) at position 11",
        ),
        (GOOD_ID[:19] + "\u0410", "KD103", "looks like Latin 'A'"),
        (GOOD_ID[:19], "KD104", "19 characters"),
        (GOOD_ID.lower(), "KD105", "lower-case letters"),
        ("XKIA" + GOOD_ID[4:], "KD106", "does not start with AKIA"),
        ("AKIA" + GOOD_ID[4:].lower(), "KD105", "lower-case letters"),
        ("AROAY34FZKBOKMUTVV7A", "KD106", "IAM role id"),
        ("AKIAIOSFODNN7EXAMPLE", "KD109", "documentation example"),
    ],
)
def test_key_id_problems_name_the_position(value: str, code: str, words: str) -> None:
    problems = keys.inspect_key_id(value, "fix")
    assert code in codes(problems)
    text = " ".join(p.explanation for p in problems)
    assert words in text
    assert GOOD_ID not in text  # masked, never whole


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (GOOD_SECRET + "%", "KD107"),
        (GOOD_SECRET[:39] + "%", "KD111"),
        (GOOD_SECRET + "\n", "KD101"),
        (GOOD_SECRET[:20] + " " + GOOD_SECRET[20:], "KD101"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "KD109"),
    ],
)
def test_secret_problems(value: str, code: str) -> None:
    problems = keys.inspect_secret(value, "fix")
    assert code in codes(problems)
    for problem in problems:
        assert GOOD_SECRET[:8] not in problem.explanation


def test_pair_checks() -> None:
    assert codes(keys.inspect_pair(GOOD_SECRET, GOOD_ID, None, "")) == ["KD108"]
    assert codes(keys.inspect_pair("ASIA" + GOOD_ID[4:], GOOD_SECRET, None, "")) == ["KD501"]
    assert codes(keys.inspect_pair(GOOD_ID, GOOD_SECRET, "token", "")) == ["KD502"]
    assert keys.inspect_pair("ASIA" + GOOD_ID[4:], GOOD_SECRET, "token", "") == []


def test_account_decoding() -> None:
    # The worked example published with the decoding method.
    assert decode_account("ASIAY34FZKBOKMUTVV7A") == "609629065308"
    # Old-format ids (fifth character A-P) cannot be decoded: unknown, never a guess.
    assert decode_account("AKIAIOSFODNN7EXAMPLE") is None
    assert decode_account("AKIA") is None
    assert decode_account("not a key at all....") is None


def test_rules_are_complete_and_use_the_vocabulary() -> None:
    rules = all_rules()
    assert len(rules) >= 40
    for code, rule in rules.items():
        assert code == rule.code and code.startswith("KD") and len(code) == 5
        assert isinstance(rule.category, Category)
        assert rule.title and len(rule.docs) > 40
    names = [r.name for r in rules.values()]
    assert len(names) == len(set(names))
