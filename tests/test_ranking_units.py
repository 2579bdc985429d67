"""Exact unit tests of the ranker's weights and arithmetic (``catalog/ranking.py``).

``weights()`` parses the packaged ``ranking.toml`` once per process, so the parser is
tested here on small documents of its own: every key it reads (each given a distinct
number, so that two keys read in each other's place show), and every rejection with its
words. The scoring is tested on causes and findings built by hand, with the sums worked
out from the rule in the module's docstring: the prior, plus the weight of every clue that
fired, plus a boost per high or critical audit finding of the cause's category.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from keydoctor.catalog.ranking import (
    Scored,
    Weights,
    audit_boost,
    json_text,
    main,
    parse_weights,
    score_cause,
    toml_document,
    weights,
)
from keydoctor.catalog.schema import CatalogError, Cause
from keydoctor.model import Category, Finding, Severity

RANKING = Path(__file__).resolve().parents[1] / "src" / "keydoctor" / "catalog" / "ranking.toml"
RANKING_JSON = RANKING.with_name("ranking.json")


def _document() -> dict[str, Any]:
    """A valid ranking document whose every number differs from every other."""
    return {
        "finding": {"boost_critical": 11, "boost_high": 12.5},
        "standalone": {
            "observed_critical": 21.0,
            "observed_high": 22.0,
            "predicted_critical": 23.0,
            "predicted_high": 24.0,
            "misnamed_section_bonus": 25.0,
            "misnamed_section": ["KD1", "KD2"],
            "explains_unreachable": ["KD3"],
            "unreachable": ["KD4", "KD5"],
            "explains_unreachable_bonus": 26.0,
        },
        "observed": {
            "restates_answer": ["KD6"],
            "ruled_out_by_acceptance": ["clock-skew", "kms"],
            "accepted_penalty": -31.0,
        },
    }


def test_every_key_is_read_into_its_own_field() -> None:
    parsed = parse_weights(_document())
    assert parsed == Weights(
        boost={Severity.CRITICAL: 11.0, Severity.HIGH: 12.5},
        observed={Severity.CRITICAL: 21.0, Severity.HIGH: 22.0},
        predicted={Severity.CRITICAL: 23.0, Severity.HIGH: 24.0},
        misnamed_section=frozenset({"KD1", "KD2"}),
        misnamed_section_bonus=25.0,
        restates_answer=frozenset({"KD6"}),
        ruled_out_by_acceptance=frozenset({Category.CLOCK_SKEW, Category.KMS}),
        accepted_penalty=-31.0,
        explains_unreachable=frozenset({"KD3"}),
        unreachable=frozenset({"KD4", "KD5"}),
        explains_unreachable_bonus=26.0,
    )
    # An integer in the file becomes a float: the scores are floats throughout.
    assert type(parsed.boost[Severity.CRITICAL]) is float
    assert set(parsed.boost) == {Severity.CRITICAL, Severity.HIGH}


def test_empty_lists_are_accepted() -> None:
    raw = _document()
    raw["observed"]["ruled_out_by_acceptance"] = []
    raw["standalone"]["unreachable"] = []
    parsed = parse_weights(raw)
    assert parsed.ruled_out_by_acceptance == frozenset()
    assert parsed.unreachable == frozenset()


@pytest.mark.parametrize(
    "tables",
    [
        ["finding", "standalone"],
        ["finding", "observed"],
        ["standalone", "observed"],
        ["finding", "standalone", "observed", "extra"],
        [],
    ],
)
def test_the_three_tables_exactly(tables: list[str]) -> None:
    full = _document()
    raw = {name: full.get(name, {}) for name in tables}
    with pytest.raises(CatalogError) as caught:
        parse_weights(raw)
    assert str(caught.value) == "ranking.toml: expected the tables finding, standalone, observed"


NUMBERS = [
    ("finding", "boost_critical"),
    ("finding", "boost_high"),
    ("standalone", "observed_critical"),
    ("standalone", "observed_high"),
    ("standalone", "predicted_critical"),
    ("standalone", "predicted_high"),
    ("standalone", "misnamed_section_bonus"),
    ("standalone", "explains_unreachable_bonus"),
    ("observed", "accepted_penalty"),
]
NAMES = [
    ("standalone", "misnamed_section"),
    ("standalone", "explains_unreachable"),
    ("standalone", "unreachable"),
    ("observed", "restates_answer"),
    ("observed", "ruled_out_by_acceptance"),
]


@pytest.mark.parametrize(("table", "key"), NUMBERS)
@pytest.mark.parametrize("value", ["missing", "3", True, False, None, [1.0]])
def test_a_number_that_is_missing_or_not_a_number_is_refused(
    table: str, key: str, value: object
) -> None:
    raw = _document()
    if value == "missing":
        del raw[table][key]
    else:
        raw[table][key] = value
    with pytest.raises(CatalogError) as caught:
        parse_weights(raw)
    assert str(caught.value) == f"ranking.toml [{table}]: {key} must be a number"


@pytest.mark.parametrize(("table", "key"), NUMBERS)
def test_an_integer_is_a_number(table: str, key: str) -> None:
    raw = _document()
    raw[table][key] = 7
    parsed = parse_weights(raw)
    read = {
        "boost_critical": parsed.boost[Severity.CRITICAL],
        "boost_high": parsed.boost[Severity.HIGH],
        "observed_critical": parsed.observed[Severity.CRITICAL],
        "observed_high": parsed.observed[Severity.HIGH],
        "predicted_critical": parsed.predicted[Severity.CRITICAL],
        "predicted_high": parsed.predicted[Severity.HIGH],
        "misnamed_section_bonus": parsed.misnamed_section_bonus,
        "explains_unreachable_bonus": parsed.explains_unreachable_bonus,
        "accepted_penalty": parsed.accepted_penalty,
    }
    assert read[key] == 7.0
    assert type(read[key]) is float


@pytest.mark.parametrize(("table", "key"), NAMES)
@pytest.mark.parametrize("value", ["missing", "KD1", ["KD1", 2], [None], {"a": "b"}, None])
def test_a_list_that_is_missing_or_not_of_strings_is_refused(
    table: str, key: str, value: object
) -> None:
    raw = _document()
    if value == "missing":
        del raw[table][key]
    else:
        raw[table][key] = value
    with pytest.raises(CatalogError) as caught:
        parse_weights(raw)
    assert str(caught.value) == f"ranking.toml [{table}]: {key} must be a list of strings"


def test_unknown_categories_are_named_in_order() -> None:
    raw = _document()
    raw["observed"]["ruled_out_by_acceptance"] = ["kms", "Kms", "no-such", "clock-skew"]
    with pytest.raises(CatalogError) as caught:
        parse_weights(raw)
    assert str(caught.value) == "ranking.toml [observed]: unknown categories Kms, no-such"


def test_every_category_of_the_vocabulary_is_accepted() -> None:
    raw = _document()
    raw["observed"]["ruled_out_by_acceptance"] = [c.value for c in Category]
    assert parse_weights(raw).ruled_out_by_acceptance == frozenset(Category)


def test_the_parser_does_not_change_its_input() -> None:
    raw = _document()
    before = copy.deepcopy(raw)
    parse_weights(raw)
    assert raw == before


def test_the_packaged_weights() -> None:
    """The numbers ``ranking.toml`` states (read from the file's comments and values)."""
    table = weights()
    assert table.boost == {Severity.CRITICAL: 3.0, Severity.HIGH: 3.0}
    assert table.observed == {Severity.CRITICAL: 9.0, Severity.HIGH: 8.0}
    assert table.predicted == {Severity.CRITICAL: 2.5, Severity.HIGH: 2.0}
    assert table.misnamed_section == {"KD210", "KD301", "KD302"}
    assert table.misnamed_section_bonus == 1.0
    assert table.explains_unreachable == {"KD408", "KD409"}
    assert table.unreachable == {"KD901"}
    assert table.explains_unreachable_bonus == 1.0
    assert table.restates_answer == {"KD610", "KD611"}
    assert table.ruled_out_by_acceptance == {
        Category.NO_CREDENTIALS,
        Category.KEY_ID_WRONG,
        Category.SECRET_WRONG,
        Category.SESSION_TOKEN,
        Category.CLOCK_SKEW,
        Category.PROVIDER_FAILURE,
    }
    assert table.accepted_penalty == -20.0
    assert weights() is table  # parsed once
    assert parse_weights(tomllib.loads(RANKING.read_text("utf-8"))) == table


def _finding(code: str, severity: Severity, category: Category) -> Finding:
    return Finding(code, severity, category, f"title of {code}", "explanation", "fix")


def _weights(**boost: float) -> Weights:
    parsed = parse_weights(_document())
    table = {Severity[name.upper()]: value for name, value in boost.items()}
    return Weights(
        boost=table,
        observed=parsed.observed,
        predicted=parsed.predicted,
        misnamed_section=parsed.misnamed_section,
        misnamed_section_bonus=parsed.misnamed_section_bonus,
        restates_answer=parsed.restates_answer,
        ruled_out_by_acceptance=parsed.ruled_out_by_acceptance,
        accepted_penalty=parsed.accepted_penalty,
    )


def test_finding_boost_by_severity_and_nothing_for_the_others() -> None:
    table = _weights(critical=5.0, high=3.0)
    assert table.finding_boost(_finding("KD1", Severity.CRITICAL, Category.KMS)) == 5.0
    assert table.finding_boost(_finding("KD1", Severity.HIGH, Category.KMS)) == 3.0
    for severity in (Severity.MEDIUM, Severity.LOW, Severity.INFO):
        assert table.finding_boost(_finding("KD1", severity, Category.KMS)) == 0.0
    assert _weights(critical=5.0).finding_boost(_finding("K", Severity.HIGH, Category.KMS)) == 0.0


def test_weights_defaults_add_nothing() -> None:
    table = _weights(high=1.0)
    assert table.explains_unreachable == frozenset()
    assert table.unreachable == frozenset()
    assert table.explains_unreachable_bonus == 0.0


class _Fired:
    def __init__(self, *names: str) -> None:
        self.names = set(names)
        self.asked: list[str] = []

    def fired(self, name: str) -> bool:
        self.asked.append(name)
        return name in self.names


def _cause(prior: float, clues: tuple[tuple[str, float], ...], category: Category) -> Cause:
    return Cause("kms-key", category, "Title", "Explanation", "Fix", None, prior, clues)


def _why(name: str) -> str:
    return f"because {name}"


def test_score_is_prior_plus_fired_weights_plus_boosts() -> None:
    cause = _cause(
        1.5,
        (("raised", 2.0), ("lowered", -1.25), ("absent", 4.0), ("zero", 0.0), ("half", 0.5)),
        Category.KMS,
    )
    findings = [
        _finding("KD1", Severity.HIGH, Category.KMS),
        _finding("KD2", Severity.MEDIUM, Category.KMS),
        _finding("KD3", Severity.CRITICAL, Category.KMS),
        _finding("KD4", Severity.CRITICAL, Category.CLOCK_SKEW),
        _finding("KD5", Severity.HIGH, Category.KMS),
    ]
    clues = _Fired("raised", "lowered", "zero", "half")
    scored = score_cause(cause, clues, _why, findings, _weights(critical=5.0, high=3.0))
    # 1.5 + 2.0 - 1.25 + 0.0 + 0.5, then KD3 (5.0) + KD1 (3.0) + KD5 (3.0)
    assert scored.score == 13.75
    assert scored.cause is cause
    assert scored.why == (
        "because raised",
        "because half",
        "the audit of this machine found KD3: title of KD3",
        "the audit of this machine found KD1: title of KD1",
        "the audit of this machine found KD5: title of KD5",
    )
    assert [f.code for f in scored.findings] == ["KD3", "KD1", "KD5"]
    assert clues.asked == ["raised", "lowered", "absent", "zero", "half"]
    assert isinstance(scored, Scored)


def test_score_without_clues_or_findings_is_the_prior() -> None:
    cause = _cause(-0.75, (("a", 1.0),), Category.KMS)
    scored = score_cause(cause, _Fired(), _why, [], _weights(high=3.0))
    assert scored == Scored(cause, -0.75, (), ())


def test_a_reason_said_twice_is_listed_once() -> None:
    cause = _cause(0.0, (("a", 1.0), ("b", 2.0), ("c", 3.0)), Category.KMS)
    scored = score_cause(cause, _Fired("a", "b", "c"), lambda n: "same" if n != "b" else "b", [])
    assert scored.why == ("same", "b")
    assert scored.score == 6.0


def test_score_with_the_packaged_weights() -> None:
    cause = _cause(1.0, (("a", 2.0),), Category.SECRET_WRONG)
    findings = [
        _finding("KD9", Severity.CRITICAL, Category.SECRET_WRONG),
        _finding("KD8", Severity.HIGH, Category.SECRET_WRONG),
    ]
    scored = score_cause(cause, _Fired("a"), _why, findings)
    assert scored.score == 1.0 + 2.0 + 3.0 + 3.0


def test_audit_boost_keeps_high_and_critical_of_the_category_most_severe_first() -> None:
    findings = [
        _finding("KD1", Severity.HIGH, Category.KMS),
        _finding("KD2", Severity.LOW, Category.KMS),
        _finding("KD3", Severity.CRITICAL, Category.KMS),
        _finding("KD4", Severity.HIGH, Category.KMS),
        _finding("KD5", Severity.CRITICAL, Category.HYGIENE),
        _finding("KD6", Severity.MEDIUM, Category.KMS),
        _finding("KD7", Severity.CRITICAL, Category.KMS),
    ]
    boost, mine, said = audit_boost(Category.KMS, iter(findings), _weights(critical=7.0, high=2.0))
    assert boost == 7.0 + 7.0 + 2.0 + 2.0
    # Stable among equals: KD3 before KD7, KD1 before KD4, as given.
    assert [f.code for f in mine] == ["KD3", "KD7", "KD1", "KD4"]
    assert said == [
        f"the audit of this machine found {c}: title of {c}" for c in ("KD3", "KD7", "KD1", "KD4")
    ]
    assert isinstance(mine, tuple)


def test_audit_boost_of_nothing() -> None:
    assert audit_boost(Category.KMS, [], _weights(high=3.0)) == (0, (), [])
    assert audit_boost(Category.KMS, [_finding("K", Severity.MEDIUM, Category.KMS)]) == (0, (), [])


def test_audit_boost_with_the_packaged_weights() -> None:
    findings = [_finding("KD1", Severity.HIGH, Category.KMS)]
    assert audit_boost(Category.KMS, findings)[0] == 3.0


def test_toml_document_is_ranking_toml_as_written() -> None:
    document = toml_document()
    assert set(document) == {"finding", "standalone", "observed"}
    assert document["finding"] == {"boost_critical": 3.0, "boost_high": 3.0}
    assert document["observed"]["accepted_penalty"] == -20.0
    assert document["standalone"]["unreachable"] == ["KD901"]
    assert document == tomllib.loads(RANKING.read_text("utf-8"))


def test_json_text_is_sorted_indented_and_ends_with_a_newline() -> None:
    assert json_text({"b": 1, "a": [1.5, "x"]}) == (
        '{\n  "a": [\n    1.5,\n    "x"\n  ],\n  "b": 1\n}\n'
    )


def test_main_prints_the_json_of_ranking_toml(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main([]) == 0
    printed = capsys.readouterr().out
    assert printed == RANKING_JSON.read_text("utf-8")
    assert main(["--check"]) == 0
    assert capsys.readouterr().out == printed
    monkeypatch.setattr("sys.argv", ["ranking"])
    assert main() == 0
    assert capsys.readouterr().out == printed


SMALL_TOML = """
[finding]
boost_critical = 1.5
boost_high = 2

[standalone]
observed_critical = 3.0
observed_high = 4.0
predicted_critical = 5.0
predicted_high = 6.0
misnamed_section_bonus = 7.0
misnamed_section = ["KD1"]
explains_unreachable = []
unreachable = ["KD2"]
explains_unreachable_bonus = 8.0

[observed]
restates_answer = []
ruled_out_by_acceptance = ["kms"]
accepted_penalty = -9.0
"""

SMALL_JSON = """{
  "finding": {
    "boost_critical": 1.5,
    "boost_high": 2
  },
  "observed": {
    "accepted_penalty": -9.0,
    "restates_answer": [],
    "ruled_out_by_acceptance": [
      "kms"
    ]
  },
  "standalone": {
    "explains_unreachable": [],
    "explains_unreachable_bonus": 8.0,
    "misnamed_section": [
      "KD1"
    ],
    "misnamed_section_bonus": 7.0,
    "observed_critical": 3.0,
    "observed_high": 4.0,
    "predicted_critical": 5.0,
    "predicted_high": 6.0,
    "unreachable": [
      "KD2"
    ]
  }
}
"""


@pytest.fixture
def beside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module's files looked up in a folder of the test's own (``__file__`` moved
    there), so that ``--write`` writes there and not into the package."""
    from keydoctor.catalog import ranking

    (tmp_path / "ranking.toml").write_text(SMALL_TOML, "utf-8")
    monkeypatch.setattr(ranking, "__file__", str(tmp_path / "ranking.py"))
    return tmp_path


def test_write_makes_ranking_json_from_ranking_toml(
    beside: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["ranking"])
    assert main(["--write"]) == 0
    assert (beside / "ranking.json").read_text("utf-8") == SMALL_JSON
    assert capsys.readouterr().out == ""


def test_write_from_the_command_line(
    beside: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["ranking", "--write"])
    assert main() == 0
    assert (beside / "ranking.json").read_text("utf-8") == SMALL_JSON
    assert capsys.readouterr().out == ""


def test_without_write_nothing_is_written(
    beside: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["ranking", "--write"])
    for argv in ([], ["--WRITE"], ["--write", "--write"], ["write"]):
        assert main(argv) == 0
        assert capsys.readouterr().out == SMALL_JSON
    assert not (beside / "ranking.json").exists()


def test_a_bad_ranking_toml_is_refused_before_anything_is_written(beside: Path) -> None:
    (beside / "ranking.toml").write_text(SMALL_TOML.replace("boost_high = 2", ""), "utf-8")
    with pytest.raises(CatalogError) as caught:
        main(["--write"])
    assert str(caught.value) == "ranking.toml [finding]: boost_high must be a number"
    assert not (beside / "ranking.json").exists()
