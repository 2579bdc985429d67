"""Exact unit tests of the learned scoring ``explain`` ranks causes with (``catalog/learned.py``).

``matcher._rank`` orders an error's causes by :meth:`LearnedWeights.score` and names its
reasons from :meth:`LearnedWeights.contributions`; the probabilities are
:func:`probabilities`, and the deciding question comes from ``questions.toml``. So this
module is part of the ranker. The expected values are worked out by hand from the rule in
``learned.json``'s ``about``: (bias + the weights of the features present + the weight of
the listing position) / temperature; and a softmax for the probabilities.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from keydoctor.catalog.learned import (
    LearnedWeights,
    Question,
    QuestionTable,
    learned,
    parse_learned,
    parse_questions,
    probabilities,
    questions,
)
from keydoctor.catalog.schema import CatalogError
from keydoctor.model import Category

PROVENANCE: dict[str, Any] = {
    "corpus_sha256": "a",
    "split_sha256": "b",
    "extra_sha256": "c",
    "corpus_train_cases": 1,
    "train_cases": 2,
    "fitted_cases": 3,
    "model": "m",
    "hyperparameter": 0.5,
    "folds": 5,
}


def _raw() -> dict[str, Any]:
    return {
        "about": "test weights",
        "provenance": dict(PROVENANCE),
        "calibration": {"temperature": 2, "threshold": 0.5},
        "listing": {"positions": [1, -0.5]},
        "category": {
            "kms": {"bias": 0.25, "weights": {"code:A": 1.5, "clue:x": -2}},
            "clock-skew": {"bias": -1},
        },
    }


def _model() -> LearnedWeights:
    return LearnedWeights(
        provenance={},
        temperature=2.0,
        threshold=0.5,
        bias={Category.KMS: 1.0, Category.CLOCK_SKEW: -0.5},
        weights={
            Category.KMS: {"a": 2.0, "b": -1.0, "c": 0.5, "z": 0.0, "d": 2.0},
            Category.CLOCK_SKEW: {"a": 3.0},
        },
        positions=(4.0, 1.0),
    )


def test_score_is_bias_plus_present_weights_plus_position_over_temperature() -> None:
    model = _model()
    # (1.0 + 2.0 - 1.0 + 0.5 + 4.0) / 2.0
    assert model.score(Category.KMS, ["a", "b", "c"], 0) == 3.25
    # (1.0 + 2.0 + 1.0) / 2.0: the second position
    assert model.score(Category.KMS, ["a"], 1) == 2.0
    # a position past the fitted ones counts as the last: (1.0 + 2.0 + 1.0) / 2.0
    assert model.score(Category.KMS, ["a"], 2) == 2.0
    assert model.score(Category.KMS, ["a"], 7) == 2.0
    # a category the error's entry does not list gets no listing number: (1.0 + 2.0) / 2.0
    assert model.score(Category.KMS, ["a"], None) == 1.5
    # features the fit never saw add nothing: (-0.5 + 0) / 2.0
    assert model.score(Category.CLOCK_SKEW, ["unseen", "b"], None) == -0.25
    # a category the fit never saw: no bias, no weights, only the position
    assert model.score(Category.HYGIENE, ["a", "b"], 1) == 0.5
    assert model.score(Category.HYGIENE, ["a"], None) == 0.0


def test_contributions_are_the_raising_features_largest_first() -> None:
    model = _model()
    assert model.contributions(Category.KMS, ["z", "c", "b", "d", "a", "unseen"]) == [
        ("a", 2.0),
        ("d", 2.0),
        ("c", 0.5),
    ]
    assert model.contributions(Category.CLOCK_SKEW, ["b", "a"]) == [("a", 3.0)]
    assert model.contributions(Category.HYGIENE, ["a"]) == []


def test_probabilities_are_a_softmax() -> None:
    assert probabilities({}) == {}
    chances = probabilities({Category.KMS: 0.0, Category.HYGIENE: math.log(3.0)})
    assert chances[Category.KMS] == pytest.approx(0.25, abs=1e-12)
    assert chances[Category.HYGIENE] == pytest.approx(0.75, abs=1e-12)
    assert probabilities({Category.KMS: -4.0}) == {Category.KMS: 1.0}


def test_probabilities_of_large_scores_do_not_overflow() -> None:
    chances = probabilities({Category.KMS: 1000.0, Category.HYGIENE: 1000.0 + math.log(3.0)})
    assert chances[Category.KMS] == pytest.approx(0.25, abs=1e-12)
    assert chances[Category.HYGIENE] == pytest.approx(0.75, abs=1e-12)
    small = probabilities({Category.KMS: -1000.0, Category.HYGIENE: -1000.0})
    assert small == {Category.KMS: 0.5, Category.HYGIENE: 0.5}


def test_parse_learned_reads_every_number() -> None:
    model = parse_learned(_raw())
    assert model == LearnedWeights(
        provenance=PROVENANCE,
        temperature=2.0,
        threshold=0.5,
        bias={Category.KMS: 0.25, Category.CLOCK_SKEW: -1.0},
        weights={Category.KMS: {"code:A": 1.5, "clue:x": -2.0}, Category.CLOCK_SKEW: {}},
        positions=(1.0, -0.5),
    )
    assert type(model.temperature) is float
    assert type(model.positions[0]) is float
    assert type(model.bias[Category.CLOCK_SKEW]) is float
    assert type(model.weights[Category.KMS]["clue:x"]) is float


def test_parse_learned_does_not_change_its_input() -> None:
    raw = _raw()
    before = copy.deepcopy(raw)
    model = parse_learned(raw)
    assert raw == before
    raw["provenance"]["model"] = "changed"
    assert model.provenance["model"] == "m"


def _broken(path: str, value: object) -> dict[str, Any]:
    raw = _raw()
    *parents, last = path.split("/")
    table = raw
    for name in parents:
        table = table[name]
    if value is _DELETE:
        del table[last]
    else:
        table[last] = value
    return raw


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "about",
            _DELETE,
            "learned.json: expected about, provenance, calibration, listing, category",
        ),
        ("extra", 1, "learned.json: expected about, provenance, calibration, listing, category"),
        (
            "provenance",
            [],
            "learned.json provenance: expected the keys corpus_sha256, "
            "corpus_train_cases, extra_sha256, fitted_cases, folds, hyperparameter, model, "
            "split_sha256, train_cases",
        ),
        (
            "provenance/folds",
            _DELETE,
            "learned.json provenance: expected the keys corpus_sha256, "
            "corpus_train_cases, extra_sha256, fitted_cases, folds, hyperparameter, model, "
            "split_sha256, train_cases",
        ),
        ("calibration", "x", "learned.json calibration: expected temperature and threshold"),
        ("calibration/other", 1, "learned.json calibration: expected temperature and threshold"),
        (
            "calibration/threshold",
            _DELETE,
            "learned.json calibration: expected temperature and threshold",
        ),
        (
            "calibration/temperature",
            "2",
            "learned.json calibration.temperature: must be a finite number",
        ),
        (
            "calibration/temperature",
            True,
            "learned.json calibration.temperature: must be a finite number",
        ),
        (
            "calibration/temperature",
            math.inf,
            "learned.json calibration.temperature: must be a finite number",
        ),
        (
            "calibration/temperature",
            math.nan,
            "learned.json calibration.temperature: must be a finite number",
        ),
        (
            "calibration/threshold",
            None,
            "learned.json calibration.threshold: must be a finite number",
        ),
        ("calibration/temperature", 0, "learned.json calibration.temperature: must be positive"),
        ("calibration/temperature", -0.5, "learned.json calibration.temperature: must be positive"),
        ("calibration/threshold", 0, "learned.json calibration.threshold: must be between 0 and 1"),
        ("calibration/threshold", 1, "learned.json calibration.threshold: must be between 0 and 1"),
        (
            "calibration/threshold",
            -0.1,
            "learned.json calibration.threshold: must be between 0 and 1",
        ),
        (
            "calibration/threshold",
            1.5,
            "learned.json calibration.threshold: must be between 0 and 1",
        ),
        ("listing", [1.0], "learned.json listing: expected positions"),
        ("listing/more", [], "learned.json listing: expected positions"),
        ("listing/positions", 1.0, "learned.json listing.positions: must be a list of numbers"),
        ("listing/positions", [1, "x"], "learned.json listing.positions: must be a finite number"),
        ("category", {}, "learned.json: needs at least one category"),
        ("category", [1], "learned.json: needs at least one category"),
        (
            "category/typo",
            {"bias": 0.0},
            "learned.json category.typo: category 'typo' is not in the vocabulary",
        ),
        ("category/kms", 1.0, "learned.json category.kms: expected bias and weights"),
        (
            "category/kms",
            {"bias": 1.0, "prior": 2.0},
            "learned.json category.kms: expected bias and weights",
        ),
        (
            "category/kms",
            {"weights": {}},
            "learned.json category.kms.bias: must be a finite number",
        ),
        (
            "category/kms",
            {"bias": 1.0, "weights": []},
            "learned.json category.kms.weights: must be a table",
        ),
        (
            "category/kms",
            {"bias": 1.0, "weights": {"code:A": False}},
            "learned.json category.kms.weights.code:A: must be a finite number",
        ),
    ],
)
def test_broken_weights_are_refused_with_their_words(
    path: str, value: object, message: str
) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_learned(_broken(path, value))
    assert str(caught.value) == message


def test_edges_that_are_accepted() -> None:
    raw = _raw()
    raw["calibration"]["threshold"] = 0.999
    raw["calibration"]["temperature"] = 1e-9
    raw["listing"]["positions"] = []
    model = parse_learned(raw)
    assert model.threshold == 0.999
    assert model.positions == ()
    raw["calibration"]["threshold"] = 0.001
    assert parse_learned(raw).threshold == 0.001


def test_the_packaged_weights() -> None:
    """What ``learned.json`` says of itself (its calibration and listing), read by hand."""
    model = learned()
    assert model.temperature == 0.9109
    assert model.threshold == 0.55
    assert model.positions == (2.8574, 1.6451, 1.463, 1.2801)
    assert model.provenance["model"] == "logistic-l2"
    assert model.bias[Category.CLOCK_SKEW] == -0.1088
    assert len(model.weights[Category.CLOCK_SKEW]) == 780
    # the catalog now offers a hygiene cause for some training texts, so it is fitted too
    assert Category.HYGIENE in model.bias
    assert learned() is model


def test_question_to_dict() -> None:
    question = Question((Category.KMS, Category.CLOCK_SKEW), "aws x", "because")
    assert question.to_dict() == {
        "between": ["kms", "clock-skew"],
        "command": "aws x",
        "why": "because",
    }


def test_template_prefers_the_pair_then_the_first_category_alone() -> None:
    table = QuestionTable(
        pairs={frozenset((Category.KMS, Category.CLOCK_SKEW)): ("aws pair", "pair why")},
        single={Category.KMS: ("aws kms", "kms why"), Category.HYGIENE: ("aws h", "h why")},
    )
    assert table.template(Category.CLOCK_SKEW, Category.KMS) == ("aws pair", "pair why")
    assert table.template(Category.KMS, Category.HYGIENE) == ("aws kms", "kms why")
    assert table.template(Category.HYGIENE, Category.KMS) == ("aws h", "h why")
    assert table.template(Category.SECRET_WRONG, Category.KMS) is None


def test_parse_questions_reads_pairs_and_single_commands() -> None:
    table = parse_questions(
        {
            "pair": [
                {"between": ["kms", "clock-skew"], "command": "aws kms x  ", "why": " w1 "},
                {"between": ["hygiene", "kms"], "command": "keydoctor check", "why": "w2"},
            ],
            "category": {"kms": {"command": "aws kms y", "why": "w3"}},
        }
    )
    assert table == QuestionTable(
        pairs={
            frozenset((Category.KMS, Category.CLOCK_SKEW)): ("aws kms x", "w1"),
            frozenset((Category.HYGIENE, Category.KMS)): ("keydoctor check", "w2"),
        },
        single={Category.KMS: ("aws kms y", "w3")},
    )
    assert parse_questions({}) == QuestionTable({}, {})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"other": []}, "questions.toml: expected [[pair]] and [category.<name>] only"),
        ({"pair": {"between": []}}, "questions.toml: 'pair' must be an array of tables ([[pair]])"),
        ({"pair": ["kms"]}, "questions.toml pair #1: 'between' names two categories"),
        (
            {
                "pair": [
                    {"between": ["kms", "hygiene"], "command": "aws a", "why": "w"},
                    {"between": "kms", "command": "aws a", "why": "w"},
                ]
            },
            "questions.toml pair #2: 'between' names two categories",
        ),
        (
            {"pair": [{"between": ["kms"]}]},
            "questions.toml pair #1: 'between' names two categories",
        ),
        (
            {"pair": [{"between": ["kms", "kms", "hygiene"]}]},
            "questions.toml pair #1: 'between' names two categories",
        ),
        (
            {"pair": [{"between": ["kms", "kms"]}]},
            "questions.toml pair #1: 'between' names two categories",
        ),
        (
            {"pair": [{"between": ["kms", "typo"], "command": "aws a", "why": "w"}]},
            "questions.toml pair #1: category 'typo' is not in the vocabulary",
        ),
        (
            {
                "pair": [
                    {"between": ["kms", "hygiene"], "command": "aws a", "why": "w"},
                    {"between": ["hygiene", "kms"], "command": "aws b", "why": "w"},
                ]
            },
            "questions.toml pair #2: the same pair is listed twice",
        ),
        (
            {"pair": [{"between": ["kms", "hygiene"], "command": "aws a", "why": "w", "x": 1}]},
            "questions.toml pair #1: expected command and why",
        ),
        ({"category": []}, "questions.toml: 'category' must be a table of named entries"),
        ({"category": {"kms": "aws a"}}, "questions.toml [category.kms]: expected command and why"),
        (
            {"category": {"typo": {"command": "aws a", "why": "w"}}},
            "questions.toml [category.typo]: category 'typo' is not in the vocabulary",
        ),
        (
            {"category": {"kms": {"why": "w"}}},
            "questions.toml [category.kms]: 'command' must be a non-empty string",
        ),
        (
            {"category": {"kms": {"command": "  ", "why": "w"}}},
            "questions.toml [category.kms]: 'command' must be a non-empty string",
        ),
        (
            {"category": {"kms": {"command": 3, "why": "w"}}},
            "questions.toml [category.kms]: 'command' must be a non-empty string",
        ),
        (
            {"category": {"kms": {"command": "awsx", "why": "w"}}},
            "questions.toml [category.kms]: a question is a keydoctor or aws command",
        ),
        (
            {"category": {"kms": {"command": " rm -rf x", "why": "w"}}},
            "questions.toml [category.kms]: a question is a keydoctor or aws command",
        ),
        (
            {"category": {"kms": {"command": "aws a", "why": " "}}},
            "questions.toml [category.kms]: 'why' must be a non-empty string",
        ),
        (
            {"category": {"kms": {"command": "aws a", "why": ["w"]}}},
            "questions.toml [category.kms]: 'why' must be a non-empty string",
        ),
        (
            {"category": {"kms": {"command": "aws a"}}},
            "questions.toml [category.kms]: 'why' must be a non-empty string",
        ),
    ],
)
def test_broken_questions_are_refused_with_their_words(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_questions(raw)
    assert str(caught.value) == message


def test_a_command_may_start_with_keydoctor_or_aws() -> None:
    table = parse_questions(
        {
            "category": {
                "kms": {"command": "keydoctor check", "why": "w"},
                "hygiene": {"command": "aws sts get-caller-identity", "why": "w", "between": []},
            }
        }
    )
    assert table.single[Category.KMS] == ("keydoctor check", "w")
    assert table.single[Category.HYGIENE] == ("aws sts get-caller-identity", "w")


def test_the_packaged_questions() -> None:
    """Read by hand from ``questions.toml``: its first pair and two single commands."""
    table = questions()
    assert table.template(Category.SIGNING_OTHER, Category.SECRET_WRONG) == (
        "aws sts get-caller-identity",
        "with the same keys: SignatureDoesNotMatch means the secret is wrong; an identity "
        "means the keys work and the failing tool signs differently",
    )
    assert table.single[Category.NO_CREDENTIALS] == (
        "aws configure list",
        "it shows whether any key is found, and from which source",
    )
    assert table.single[Category.SESSION_TOKEN][0] == "keydoctor check --offline"
    assert len(table.pairs) == 27
    assert questions() is table
