"""The blind readings of the held-out texts (evals/blind): complete, valid, and as reported.

They are the ceiling keydoctor's held-out figures are read against (how much of the cause a
careful reader can tell from the text alone), so a reading that skipped cases, named a
category outside the vocabulary, or no longer matches the README's table would mislead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from keydoctor.model import Category

REPO = Path(__file__).resolve().parent.parent
BLIND = REPO / "evals" / "blind"
CORPUS = REPO / "evals" / "corpus"
READINGS = sorted(BLIND.glob("*.jsonl"))
KEY_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
SECRET_RUN = re.compile(r"[A-Za-z0-9/+]{40}")


def _held_out() -> dict[str, str]:
    """Each held-out case's id and its labelled category."""
    heldout = set(
        json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))["heldout_sources"]
    )
    labels = {}
    for line in (CORPUS / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["source"] in heldout:
            labels[case["id"]] = case["category"]
    return labels


def _reading(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_there_are_readings() -> None:
    assert {p.stem for p in READINGS} >= {"text-only-1", "text-only-2", "with-tool-name"}


@pytest.mark.parametrize("path", READINGS, ids=lambda p: p.stem)
def test_a_reading_covers_every_held_out_case_once(path: Path) -> None:
    rows = _reading(path)
    ids = [str(row["id"]) for row in rows]
    assert len(ids) == len(set(ids)), "a case read twice"
    assert set(ids) == set(_held_out()), "a reading covers exactly the held-out side"
    vocabulary = {c.value for c in Category}
    for row in rows:
        top3 = row["top3"]
        assert isinstance(top3, list) and len(top3) == 3 == len(set(top3)), row["id"]
        assert set(top3) <= vocabulary, row["id"]
        why = str(row["why"])
        assert not KEY_ID.search(why) and not SECRET_RUN.search(why), row["id"]


def test_the_readme_table_matches_the_files() -> None:
    labels = _held_out()
    readme = (BLIND / "README.md").read_text(encoding="utf-8")
    names = {
        "text-only-1": "text only, reading 1",
        "text-only-2": "text only, reading 2",
        "with-tool-name": "text and the corpus's tool name",
    }
    for stem, name in names.items():
        reading = {str(r["id"]): list(r["top3"]) for r in _reading(BLIND / f"{stem}.jsonl")}
        top1 = sum(reading[i][0] == want for i, want in labels.items()) / len(labels)
        top3 = sum(want in reading[i] for i, want in labels.items()) / len(labels)
        assert f"| {name} | {top1:.1%} | {top3:.1%} |" in readme, stem
    assert f"On the {len(labels)} held-out cases" in readme
