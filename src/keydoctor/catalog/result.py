"""The frozen answer of :func:`keydoctor.catalog.diagnose_text`.

Plain data with ``to_dict()`` so that the CLI, the JSON output and other modules (the
``run`` wrapper, reporters) all see the same shape. Every string in here was built from
masked text: key ids appear as ``AKIA…WXYZ`` and secrets never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keydoctor.catalog.denials import AwsDenial
from keydoctor.catalog.facts import KeyInfo
from keydoctor.catalog.learned import Question
from keydoctor.model import Category


@dataclass(frozen=True)
class RankedCause:
    """One cause of an error, with the clues that put it at its rank."""

    cause_id: str
    category: Category
    title: str
    explanation: str
    fix: str
    confirm: str | None
    score: float
    why: tuple[str, ...]
    # The probability that the cause's category is the right one among the error's
    # candidates (softmax of the learned scores, calibrated): causes of one category share it.
    probability: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.cause_id,
            "category": self.category.value,
            "title": self.title,
            "why": list(self.why),
            "explanation": self.explanation,
            "fix": self.fix,
            "confirm": self.confirm,
            "score": round(self.score, 2),
            "probability": round(self.probability, 3),
        }


@dataclass(frozen=True)
class ErrorReport:
    """One error found in the text, with its causes ranked."""

    code: str
    service: str
    http_status: int | None
    title: str
    meaning: str
    # The catalog's other names for the error, then those the text gave it (a class with
    # its namespace, the exception that carried the message, a code it stands in for).
    aliases: tuple[str, ...]
    line: str  # the (masked, shortened) line where it was found
    causes: tuple[RankedCause, ...]
    # Set when the top cause is below the learned threshold: the command that decides.
    question: Question | None = None

    @property
    def uncertain(self) -> bool:
        return self.question is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "error_code": self.code,
            "service": self.service,
            "http_status": self.http_status,
            "title": self.title,
            "meaning": self.meaning,
            "aliases": list(self.aliases),
            "line": self.line,
            "causes": [c.to_dict() for c in self.causes],
            "uncertain": self.uncertain,
            "question": self.question.to_dict() if self.question else None,
        }


@dataclass(frozen=True)
class Explanation:
    """What keydoctor makes of a pasted text.

    ``errors`` lists every distinct error found, the most telling first; the top-level
    fields (``error_code``, ``service``, ``causes``) repeat the first one so that the
    common single-error case reads simply. ``found`` is False when the text shows no AWS
    error keydoctor knows; ``unknown_codes`` then lists AWS-looking codes it did see, and
    ``guesses`` the causes the rest of its evidence points to (tool, status, clues, words),
    the top-level ``causes`` and ``question`` then being those.
    """

    found: bool
    errors: tuple[ErrorReport, ...]
    tool: str | None
    operation: str | None
    regions: tuple[str, ...]
    bucket: str | None
    endpoint: str | None
    keys: tuple[KeyInfo, ...]
    secret_in_text: bool
    unknown_codes: tuple[str, ...]
    warnings: tuple[str, ...]
    # The language of the tool named (Java, Go, ...), and the HTTP status the text shows:
    # "403" with no code at all still says the request was signed and refused.
    language: str | None = None
    status: int | None = None
    # AWS's own words for the layer that decided a denial ("with an explicit deny in a
    # service control policy"), read into the policy evaluator's layers.
    denied_by: AwsDenial | None = None
    guesses: tuple[RankedCause, ...] = ()
    guess_question: Question | None = None

    @property
    def error_code(self) -> str | None:
        return self.errors[0].code if self.errors else None

    @property
    def service(self) -> str | None:
        return self.errors[0].service if self.errors else None

    @property
    def causes(self) -> tuple[RankedCause, ...]:
        return self.errors[0].causes if self.errors else self.guesses

    @property
    def question(self) -> Question | None:
        return self.errors[0].question if self.errors else self.guess_question

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "guessed": not self.errors and bool(self.guesses),
            "error_code": self.error_code,
            "service": self.service,
            "tool": self.tool,
            "language": self.language,
            "status": self.status,
            "denied_by": self.denied_by.to_dict() if self.denied_by else None,
            "operation": self.operation,
            "region": self.regions[0] if self.regions else None,
            "regions": list(self.regions),
            "bucket": self.bucket,
            "endpoint": self.endpoint,
            "causes": [c.to_dict() for c in self.causes],
            "uncertain": self.question is not None,
            "question": self.question.to_dict() if self.question else None,
            "keys": [k.to_dict() for k in self.keys],
            "secret_in_text": self.secret_in_text,
            "errors": [e.to_dict() for e in self.errors],
            "unknown_codes": list(self.unknown_codes),
            "warnings": list(self.warnings),
        }


# The frozen result ``keydoctor explain`` renders (``reporters/explain.py``) and
# ``keydoctor.catalog.diagnose_text`` returns: the explanation is the whole result.
ExplainResult = Explanation
