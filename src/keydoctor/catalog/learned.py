"""The weights ``explain`` ranks pasted-text evidence with, fitted on the real-error corpus.

Hand-set priors and clue weights were tuned on the cases at hand and did not carry over to
texts never seen before. ``learned.json`` holds instead what ``evals/corpus/fit.py`` fitted
on the training side of the corpus: a bias per cause category, a weight per evidence
feature (the error code, its family, each clue that fired, the tool, its language, the
HTTP status, the words near the error) and a weight for where the error's catalog entry
lists the category (the catalog lists causes most common first: evidence whose weight is
fitted, not set).
Scoring is a sum of numbers read from data, so the runtime needs no numerical library;
the features are computed by :mod:`keydoctor.catalog.matcher`, the same function the
fitting script calls, so training and runtime see the same evidence.

``learned.json`` is JSON rather than TOML because ``explain`` reads it on every run and
``json`` parses it in well under a millisecond (``tomllib`` took 15-25 ms).
``questions.toml`` holds the one command that tells two likely categories apart, named
when the top cause is not probable enough to be trusted alone.

Both files are validated on load, like every catalog file: an unknown category, a weight
that is not a number or a probability threshold outside (0, 1) is a :class:`CatalogError`.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from keydoctor.catalog.schema import CatalogError
from keydoctor.model import Category

_CATEGORIES = {c.value: c for c in Category}
_PROVENANCE_KEYS = {
    "corpus_sha256",
    "split_sha256",
    "extra_sha256",
    "corpus_train_cases",
    "train_cases",
    "fitted_cases",
    "model",
    "hyperparameter",
    "folds",
}


@dataclass(frozen=True)
class LearnedWeights:
    """The fitted numbers of ``learned.json``, typed.

    ``temperature`` divides every learned score (fitted so that the probabilities match
    how often the top cause was right on held-back folds of the training side);
    ``threshold`` is the probability below which the top cause is called uncertain.
    """

    provenance: Mapping[str, str | int | float]
    temperature: float
    threshold: float
    bias: Mapping[Category, float]
    weights: Mapping[Category, Mapping[str, float]]
    positions: tuple[float, ...]  # added to an error's 1st, 2nd, ... listed category

    def score(self, category: Category, features: Iterable[str], position: int | None) -> float:
        """The category's learned score for these features, already divided by the
        temperature; ``position`` is where the error's catalog causes list the category
        (0 first; the last number of ``positions`` counts for it and every later place),
        None when they do not list it. A feature the fit never saw adds nothing."""
        table = self.weights.get(category, {})
        terms = [self.bias.get(category, 0.0), *(table.get(f, 0.0) for f in features)]
        if position is not None and self.positions:
            terms.append(self.positions[min(position, len(self.positions) - 1)])
        # fsum: the features are a set, whose order changes with each process's string
        # hashing; a plain sum would then differ in its last bits from run to run.
        return math.fsum(terms) / self.temperature

    def weighs(self, features: Iterable[str]) -> bool:
        """Whether any of these features carries a weight: a text with none of them has no
        evidence to rank causes on beyond the biases, and is not guessed at."""
        return any(f in table for f in features for table in self.weights.values())

    def contributions(self, category: Category, features: Iterable[str]) -> list[tuple[str, float]]:
        """The features that raised this category, largest weight first (for ``why``)."""
        table = self.weights.get(category, {})
        raised = [(f, table[f]) for f in features if table.get(f, 0.0) > 0]
        return sorted(raised, key=lambda item: (-item[1], item[0]))


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"learned.json {where}: must be a finite number")
    return float(value)


def _category(where: str, name: str, file: str = "learned.json") -> Category:
    if name not in _CATEGORIES:
        raise CatalogError(f"{file} {where}: category {name!r} is not in the vocabulary")
    return _CATEGORIES[name]


def parse_learned(raw: dict[str, Any]) -> LearnedWeights:
    """Validate the parsed ``learned.json``."""
    if set(raw) != {"about", "provenance", "calibration", "listing", "category"}:
        raise CatalogError(
            "learned.json: expected about, provenance, calibration, listing, category"
        )
    provenance = raw["provenance"]
    if not isinstance(provenance, dict) or set(provenance) != _PROVENANCE_KEYS:
        raise CatalogError(
            f"learned.json provenance: expected the keys {', '.join(sorted(_PROVENANCE_KEYS))}"
        )
    calibration = raw["calibration"]
    if not isinstance(calibration, dict) or set(calibration) != {"temperature", "threshold"}:
        raise CatalogError("learned.json calibration: expected temperature and threshold")
    temperature = _number("calibration.temperature", calibration["temperature"])
    threshold = _number("calibration.threshold", calibration["threshold"])
    if temperature <= 0:
        raise CatalogError("learned.json calibration.temperature: must be positive")
    if not 0 < threshold < 1:
        raise CatalogError("learned.json calibration.threshold: must be between 0 and 1")
    listing = raw["listing"]
    if not isinstance(listing, dict) or set(listing) != {"positions"}:
        raise CatalogError("learned.json listing: expected positions")
    if not isinstance(listing["positions"], list):
        raise CatalogError("learned.json listing.positions: must be a list of numbers")
    positions = tuple(_number("listing.positions", v) for v in listing["positions"])
    tables = raw["category"]
    if not isinstance(tables, dict) or not tables:
        raise CatalogError("learned.json: needs at least one category")
    bias: dict[Category, float] = {}
    weights: dict[Category, dict[str, float]] = {}
    for name, table in tables.items():
        where = f"category.{name}"
        category = _category(where, name)
        if not isinstance(table, dict) or set(table) - {"bias", "weights"}:
            raise CatalogError(f"learned.json {where}: expected bias and weights")
        bias[category] = _number(f"{where}.bias", table.get("bias"))
        features = table.get("weights", {})
        if not isinstance(features, dict):
            raise CatalogError(f"learned.json {where}.weights: must be a table")
        weights[category] = {
            str(feature): _number(f"{where}.weights.{feature}", value)
            for feature, value in features.items()
        }
    return LearnedWeights(dict(provenance), temperature, threshold, bias, weights, positions)


@lru_cache(maxsize=1)
def learned() -> LearnedWeights:
    """The packaged weights, parsed once per process."""
    text = Path(__file__).with_name("learned.json").read_text("utf-8")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise CatalogError(f"learned.json: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise CatalogError("learned.json: must be an object")
    return parse_learned(raw)


def probabilities(scores: Mapping[Category, float]) -> dict[Category, float]:
    """Softmax of the scores: each category's probability among these candidates."""
    if not scores:
        return {}
    top = max(scores.values())
    exps = {c: math.exp(s - top) for c, s in scores.items()}
    total = sum(exps.values())
    return {c: e / total for c, e in exps.items()}


@dataclass(frozen=True)
class Question:
    """The one command whose answer tells the two likeliest categories apart."""

    between: tuple[Category, Category]
    command: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "between": [c.value for c in self.between],
            "command": self.command,
            "why": self.why,
        }


@dataclass(frozen=True)
class QuestionTable:
    """``questions.toml``: a command per pair of categories, and one per category alone."""

    pairs: Mapping[frozenset[Category], tuple[str, str]]
    single: Mapping[Category, tuple[str, str]]

    def template(self, first: Category, second: Category) -> tuple[str, str] | None:
        """The (command, why) for this pair, else the top category's own confirming one."""
        return self.pairs.get(frozenset((first, second))) or self.single.get(first)


def _command(where: str, table: object) -> tuple[str, str]:
    if not isinstance(table, dict) or set(table) - {"command", "why", "between"}:
        raise CatalogError(f"questions.toml {where}: expected command and why")
    command, why = table.get("command"), table.get("why")
    if not isinstance(command, str) or not command.strip():
        raise CatalogError(f"questions.toml {where}: 'command' must be a non-empty string")
    if not command.startswith(("keydoctor ", "aws ")):
        raise CatalogError(f"questions.toml {where}: a question is a keydoctor or aws command")
    if not isinstance(why, str) or not why.strip():
        raise CatalogError(f"questions.toml {where}: 'why' must be a non-empty string")
    return command.strip(), why.strip()


def parse_questions(raw: dict[str, Any]) -> QuestionTable:
    """Validate the parsed ``questions.toml``."""
    if set(raw) - {"pair", "category"}:
        raise CatalogError("questions.toml: expected [[pair]] and [category.<name>] only")
    pairs: dict[frozenset[Category], tuple[str, str]] = {}
    items = raw.get("pair", [])
    if not isinstance(items, list):
        raise CatalogError("questions.toml: 'pair' must be an array of tables ([[pair]])")
    for index, item in enumerate(items):
        where = f"pair #{index + 1}"
        between = item.get("between") if isinstance(item, dict) else None
        if not isinstance(between, list) or len(between) != 2 or between[0] == between[1]:
            raise CatalogError(f"questions.toml {where}: 'between' names two categories")
        key = frozenset(_category(where, str(name), "questions.toml") for name in between)
        if key in pairs:
            raise CatalogError(f"questions.toml {where}: the same pair is listed twice")
        pairs[key] = _command(where, item)
    single: dict[Category, tuple[str, str]] = {}
    categories = raw.get("category", {})
    if not isinstance(categories, dict):
        raise CatalogError("questions.toml: 'category' must be a table of named entries")
    for name, table in categories.items():
        where = f"[category.{name}]"
        single[_category(where, name, "questions.toml")] = _command(where, table)
    return QuestionTable(pairs, single)


@lru_cache(maxsize=1)
def questions() -> QuestionTable:
    """The packaged question table, parsed once per process."""
    text = Path(__file__).with_name("questions.toml").read_text("utf-8")
    return parse_questions(tomllib.loads(text))
