"""The ranker's weights (``ranking.toml``) and the scoring of one catalog cause.

``ranking.toml`` is the file people edit; ``ranking.json`` is the same document, written
by ``python -m keydoctor.catalog.ranking --write``, and the one a command reads: Python's
TOML parser alone costs an online check about 3% of its instructions, for 2 KB of data
(``tests/test_catalog.py`` fails when the two differ).

Scoring lives here, beside the data, so that ``explain`` (clues found in a text) and
``check`` (clues established by the audit and the probes) score a cause with the same
arithmetic: the cause's prior, plus the weight of every clue that fired, plus a boost for
every audit finding of the cause's category.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from keydoctor.model import Category, Finding, Severity

if TYPE_CHECKING:
    from keydoctor.catalog.schema import CatalogError, Cause


class ClueSource(Protocol):
    """Answers whether a named clue holds (a text pattern matched, or a fact is known)."""

    def fired(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Weights:
    """The numbers of ``ranking.toml``, typed."""

    boost: dict[Severity, float]
    observed: dict[Severity, float]
    predicted: dict[Severity, float]
    misnamed_section: frozenset[str]
    misnamed_section_bonus: float
    restates_answer: frozenset[str]
    ruled_out_by_acceptance: frozenset[Category]
    accepted_penalty: float
    explains_unreachable: frozenset[str] = frozenset()
    unreachable: frozenset[str] = frozenset()
    explains_unreachable_bonus: float = 0.0

    def finding_boost(self, finding: Finding) -> float:
        return self.boost.get(finding.severity, 0.0)


def _invalid(message: str) -> CatalogError:
    """The error for a bad ``ranking.toml``.

    The catalog's schema module is loaded only here: a healthy online check reads the
    weights but never the error catalog, and need not compile its loader.
    """
    from keydoctor.catalog.schema import CatalogError

    return CatalogError(message)


def _number(where: str, table: dict[str, Any], key: str) -> float:
    value = table.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _invalid(f"ranking.toml [{where}]: {key} must be a number")
    return float(value)


def _names(where: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(f"ranking.toml [{where}]: {key} must be a list of strings")
    return tuple(value)


def parse_weights(raw: dict[str, Any]) -> Weights:
    """Validate ``ranking.toml``; a missing or mistyped number is a :class:`CatalogError`."""
    if set(raw) != {"finding", "standalone", "observed"}:
        raise _invalid("ranking.toml: expected the tables finding, standalone, observed")
    finding, standalone, observed = raw["finding"], raw["standalone"], raw["observed"]
    categories = {c.value: c for c in Category}
    refusal = _names("observed", observed, "ruled_out_by_acceptance")
    unknown = [c for c in refusal if c not in categories]
    if unknown:
        raise _invalid(f"ranking.toml [observed]: unknown categories {', '.join(unknown)}")
    return Weights(
        boost={
            Severity.CRITICAL: _number("finding", finding, "boost_critical"),
            Severity.HIGH: _number("finding", finding, "boost_high"),
        },
        observed={
            Severity.CRITICAL: _number("standalone", standalone, "observed_critical"),
            Severity.HIGH: _number("standalone", standalone, "observed_high"),
        },
        predicted={
            Severity.CRITICAL: _number("standalone", standalone, "predicted_critical"),
            Severity.HIGH: _number("standalone", standalone, "predicted_high"),
        },
        misnamed_section=frozenset(_names("standalone", standalone, "misnamed_section")),
        misnamed_section_bonus=_number("standalone", standalone, "misnamed_section_bonus"),
        restates_answer=frozenset(_names("observed", observed, "restates_answer")),
        ruled_out_by_acceptance=frozenset(categories[c] for c in refusal),
        accepted_penalty=_number("observed", observed, "accepted_penalty"),
        explains_unreachable=frozenset(_names("standalone", standalone, "explains_unreachable")),
        unreachable=frozenset(_names("standalone", standalone, "unreachable")),
        explains_unreachable_bonus=_number("standalone", standalone, "explains_unreachable_bonus"),
    )


@lru_cache(maxsize=1)
def weights() -> Weights:
    """The packaged weights, parsed once per process."""
    text = Path(__file__).with_name("ranking.json").read_text("utf-8")
    return parse_weights(json.loads(text))


def toml_document() -> dict[str, Any]:
    """``ranking.toml`` as written, the source of ``ranking.json``."""
    import tomllib

    return tomllib.loads(Path(__file__).with_name("ranking.toml").read_text("utf-8"))


def json_text(document: dict[str, Any]) -> str:
    """The text ``--write`` gives ``ranking.json`` for ``document``."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Scored:
    """A catalog cause with its score and the reasons that raised it."""

    cause: Cause
    score: float
    why: tuple[str, ...]
    findings: tuple[Finding, ...]  # the audit findings of its category, most severe first


def score_cause(
    cause: Cause,
    clues: ClueSource,
    clue_why: Callable[[str], str],
    findings: Iterable[Finding],
    table: Weights | None = None,
) -> Scored:
    """Prior + fired clue weights + a boost per failing audit finding of the cause's category."""
    table = table or weights()
    score = cause.prior
    why: list[str] = []
    for name, weight in cause.clues:
        if clues.fired(name):
            score += weight
            if weight > 0:
                why.append(clue_why(name))
    boost, mine, said = audit_boost(cause.category, findings, table)
    why.extend(said)
    return Scored(cause, score + boost, tuple(dict.fromkeys(why)), mine)


def audit_boost(
    category: Category, findings: Iterable[Finding], table: Weights | None = None
) -> tuple[float, tuple[Finding, ...], list[str]]:
    """What the audit of this machine adds to a category: a boost per failing finding.

    Shared by the hand-weighted score of live answers and the learned score of pasted
    text: the audit saw this very machine, whichever way the text evidence is weighed.
    """
    table = table or weights()
    mine = sorted(
        (f for f in findings if f.category is category and f.severity >= Severity.HIGH),
        key=lambda f: -f.severity.rank,
    )
    boost = sum(table.finding_boost(finding) for finding in mine)
    said = [f"the audit of this machine found {f.code}: {f.title}" for f in mine]
    return boost, tuple(mine), said


def main(argv: list[str] | None = None) -> int:
    """``--write``: regenerate ``ranking.json`` from ``ranking.toml`` (validated first)."""
    args = sys.argv[1:] if argv is None else argv
    document = toml_document()
    parse_weights(document)
    text = json_text(document)
    if args == ["--write"]:
        Path(__file__).with_name("ranking.json").write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
