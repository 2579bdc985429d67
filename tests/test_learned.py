"""The learned weights of ``explain``: fitted on the corpus they claim, never on held-out.

``catalog/learned.json`` is written by ``evals/corpus/fit.py --write``; its header records
the sha256 of the corpus, of its split and of the other labelled sets it was fitted on, so
a corpus that grew without a re-fit fails here (re-run the script). The full re-fit
(``fit.py --check``) takes longer and is left to the script.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from keydoctor.catalog.learned import (
    learned,
    parse_learned,
    parse_questions,
    probabilities,
    questions,
)
from keydoctor.catalog.schema import CatalogError
from keydoctor.model import Category

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "evals" / "corpus"
LEARNED = REPO / "src" / "keydoctor" / "catalog" / "learned.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_fit", CORPUS / "fit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_fit"] = module
    spec.loader.exec_module(module)
    return module


def test_weights_were_fitted_on_this_corpus_and_split() -> None:
    provenance = learned().provenance
    assert provenance["corpus_sha256"] == _sha(CORPUS / "cases.jsonl"), "run fit.py --write"
    assert provenance["split_sha256"] == _sha(CORPUS / "split.json"), "run fit.py --write"
    extra = "".join(
        _sha(REPO / "tests" / "data" / name)
        for name in ("errors-sample.jsonl", "explain_cases.jsonl")
    )
    assert provenance["extra_sha256"] == hashlib.sha256(extra.encode()).hexdigest()


def test_training_set_holds_no_held_out_thread() -> None:
    fit = _fit_module()
    examples, corpus = fit.train_examples()
    split = json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))
    heldout = {fit.normalise(s) for s in split["heldout_sources"]}
    assert corpus == len(split["train_sources"])
    assert not {fit.normalise(e.source) for e in examples} & heldout
    assert learned().provenance["train_cases"] == len(examples)


def test_probabilities_are_a_softmax() -> None:
    chances = probabilities({Category.KMS: 1.0, Category.HYGIENE: 1.0, Category.CLOCK_SKEW: 0.0})
    assert chances[Category.KMS] == pytest.approx(chances[Category.HYGIENE])
    assert sum(chances.values()) == pytest.approx(1.0)
    assert chances[Category.CLOCK_SKEW] < chances[Category.KMS]
    assert probabilities({}) == {}


def test_every_category_has_a_deciding_question() -> None:
    table = questions()
    assert set(table.single) == set(Category)
    for command, why in [*table.pairs.values(), *table.single.values()]:
        assert command.startswith(("aws ", "keydoctor ")) and why


def _raw() -> dict[str, Any]:
    return dict(json.loads(LEARNED.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.pop("listing"), "expected about, provenance"),
        (lambda raw: raw["calibration"].update(threshold=1.5), "between 0 and 1"),
        (lambda raw: raw["calibration"].update(temperature=0), "positive"),
        (lambda raw: raw["category"].update({"typo": {"bias": 0.0}}), "vocabulary"),
        (
            lambda raw: raw["category"]["kms"]["weights"].update({"code:X": "high"}),
            "finite number",
        ),
    ],
)
def test_broken_weights_are_refused(change: object, message: str) -> None:
    raw = _raw()
    change(raw)  # type: ignore[operator]
    with pytest.raises(CatalogError, match=message):
        parse_learned(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"pair": [{"between": ["kms"], "command": "aws x", "why": "w"}]}, "two categories"),
        ({"category": {"kms": {"command": "rm -rf /", "why": "w"}}}, "keydoctor or aws"),
        ({"category": {"typo": {"command": "aws x", "why": "w"}}}, "vocabulary"),
        ({"category": {"kms": {"command": "aws x"}}}, "why"),
    ],
)
def test_broken_questions_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_questions(raw)
