"""The labelled corpus of real error texts (evals/corpus): shape, masking and split."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "evals" / "corpus"
CASES = CORPUS / "cases.jsonl"
SPLIT = CORPUS / "split.json"

VOCABULARY = {
    "no-credentials",
    "provider-failure",
    "wrong-source",
    "config-malformed",
    "key-id-wrong",
    "secret-wrong",
    "session-token",
    "region-endpoint",
    "clock-skew",
    "permission-missing",
    "explicit-deny",
    "trust-policy",
    "kms",
    "signing-other",
    "not-credentials",
    "hygiene",
}
REQUIRED = ("id", "source", "tool", "family", "text", "code", "root_cause", "category", "evidence")
KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
SECRET_RUN = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _split_module() -> ModuleType:
    """Import evals/corpus/split.py, which is not part of the package."""
    spec = importlib.util.spec_from_file_location("corpus_split", CORPUS / "split.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases() -> list[dict[str, Any]]:
    lines = CASES.read_text(encoding="utf-8").splitlines()
    cases = []
    for number, line in enumerate(lines, 1):
        assert line.strip(), f"blank line {number}"
        case = json.loads(line)
        assert isinstance(case, dict), f"line {number} is not an object"
        cases.append(case)
    return cases


CORPUS_CASES = _cases()


def _looks_secret(run: str) -> bool:
    """A 40-character base64 run with upper, lower case and digits: shaped like a secret key."""
    return bool(re.search(r"[A-Z]", run) and re.search(r"[a-z]", run) and re.search(r"\d", run))


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS_CASES) >= 50


def test_required_fields_present_and_non_empty() -> None:
    for case in CORPUS_CASES:
        for field in REQUIRED:
            value = case.get(field)
            assert isinstance(value, str) and value.strip(), (case.get("id"), field)
        assert len(case["evidence"]) <= 200, case["id"]


def test_category_in_vocabulary_and_subcategory_only_on_region_endpoint() -> None:
    for case in CORPUS_CASES:
        assert case["category"] in VOCABULARY, (case["id"], case["category"])
        if case["category"] == "region-endpoint":
            sub = case.get("subcategory")
            assert isinstance(sub, str) and sub.strip(), case["id"]
        else:
            assert "subcategory" not in case, case["id"]


def test_ids_unique_and_well_formed() -> None:
    ids = [case["id"] for case in CORPUS_CASES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"k\d{4}", i) for i in ids), ids


def test_no_duplicate_source_and_text() -> None:
    pairs = [(case["source"], case["text"]) for case in CORPUS_CASES]
    assert len(pairs) == len(set(pairs))


def test_sources_are_http_urls() -> None:
    for case in CORPUS_CASES:
        assert re.match(r"https?://\S+$", case["source"]), case["id"]


def test_no_unmasked_key_ids_or_secrets() -> None:
    for case in CORPUS_CASES:
        for field in ("text", "evidence", "root_cause"):
            value = case[field]
            assert not KEY_ID.search(value), (case["id"], field)
            runs = [r for r in SECRET_RUN.findall(value) if _looks_secret(r)]
            assert not runs, (case["id"], field, [r[:4] for r in runs])


def test_split_covers_every_source_once_and_follows_the_rule() -> None:
    split = json.loads(SPLIT.read_text(encoding="utf-8"))
    heldout: list[str] = split["heldout_sources"]
    train: list[str] = split["train_sources"]
    listed = heldout + train
    assert len(listed) == len(set(listed)), "a source is listed twice"
    assert set(listed) == {case["source"] for case in CORPUS_CASES}
    module = _split_module()
    assert all(module.is_heldout(s) for s in heldout)
    assert not any(module.is_heldout(s) for s in train)
    assert module.compute_split(CORPUS_CASES) == split


def test_split_rule_is_by_normalised_url() -> None:
    module = _split_module()
    url = "https://github.com/aws/aws-cli/issues/1"
    assert module.normalise("HTTPS://GitHub.com/aws/aws-cli/issues/1/") == url
    assert module.is_heldout(url) == module.is_heldout(url + "#issuecomment-1")


def test_every_case_has_a_family_from_the_vocabulary() -> None:
    families = set(_split_module().FAMILIES)
    for case in CORPUS_CASES:
        assert case.get("family") in families, (case["id"], case.get("family"))


def test_families_are_spread() -> None:
    """At least 15 families and none above a quarter once the corpus is 500 cases or more."""
    counts: dict[str, int] = {}
    for case in CORPUS_CASES:
        counts[case["family"]] = counts.get(case["family"], 0) + 1
    if len(CORPUS_CASES) >= 500:
        assert len(counts) >= 15, counts
        assert max(counts.values()) <= len(CORPUS_CASES) / 4, counts
    else:
        assert len(counts) >= 12, counts
