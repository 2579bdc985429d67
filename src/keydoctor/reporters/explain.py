"""The formatters of ``keydoctor explain``: text for people, JSON as documented.

Both take the typed :class:`~keydoctor.catalog.result.ExplainResult`. Its strings were
built from text whose secrets were already replaced where they sat
(:func:`~keydoctor.redact.scrub_pasted`), and key ids in it are masked, so the formatters
place values as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keydoctor.catalog.denials import AwsDenial
    from keydoctor.catalog.learned import Question
    from keydoctor.catalog.result import ErrorReport, ExplainResult, RankedCause
    from keydoctor.reporters import Formatter

TOP_CAUSES = 3


def explain_formatter(fmt: str, *, show_all: bool = False) -> Formatter[ExplainResult]:
    """The formatter of ``keydoctor explain`` for ``fmt`` (``text`` or ``json``)."""
    if fmt == "json":
        return ExplainJsonFormatter()
    if fmt == "text":
        return ExplainTextFormatter(show_all=show_all)
    raise ValueError(f"explain writes text or json, not {fmt!r}")


class ExplainJsonFormatter:
    """The documented JSON object of ``explain --format json``, indented, one newline."""

    def format(self, result: ExplainResult) -> str:
        import json

        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class BatchLine:
    """The answer to one line of ``explain --batch``: its explanation, or why it was unreadable.

    ``ident`` is the line's own ``id`` (a string already masked, or a number), kept so a
    caller can match answers to cases; ``error`` is set instead of ``result`` when the
    line could not be read.
    """

    number: int
    result: ExplainResult | None = None
    ident: str | int | None = None
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.result is not None and self.result.found


class ExplainBatchLineFormatter:
    """One JSON line of ``explain --batch`` (the explanation as ``--format json`` gives it,
    led by the line number), so the batch writes what the JSON formatter would."""

    def format(self, line: BatchLine) -> str:
        import json

        document: dict[str, object] = {"line": line.number}
        if line.result is None:
            document["error"] = line.error
            document["found"] = False
        else:
            document.update(line.result.to_dict())
            if line.ident is not None:
                document["id"] = line.ident
        return json.dumps(document, ensure_ascii=False) + "\n"


class ExplainTextFormatter:
    """The human answer: each error, its likeliest causes with why and how to fix.

    ``show_all`` lists every cause; otherwise the top three and a count of the rest.
    """

    def __init__(self, *, show_all: bool = False) -> None:
        self.show_all = show_all

    def format(self, result: ExplainResult) -> str:
        lines: list[str] = []
        for warning in result.warnings:
            if "secret" in warning:
                lines.append(f"WARNING: {warning}")
        if result.secret_in_text:
            lines.append("")
        if not result.found:
            if result.unknown_codes:
                lines.append(
                    "No AWS error that keydoctor knows was found. The text shows the code(s) "
                    + ", ".join(result.unknown_codes)
                    + ", which are not in keydoctor's catalog yet."
                )
            else:
                lines.append("No AWS error found in this text.")
            if result.guesses:
                lines.extend(f"  {item}" for item in _context(result))
                lines += ["", "  From the rest of the text, the likeliest causes:"]
                lines.extend(self._causes(result.guesses, result.guess_question))
            return "\n".join(lines).lstrip("\n") + "\n"
        context = _context(result)
        if len(result.errors) > 1:
            lines.append(f"{len(result.errors)} errors found.")
        for index, error in enumerate(result.errors):
            if index:
                lines.append("")
            lines.extend(
                self._error(
                    error,
                    context if index == 0 else [],
                    result.denied_by if index == 0 else None,
                )
            )
        return "\n".join(lines) + "\n"

    def _error(self, error: ErrorReport, context: list[str], denied: AwsDenial | None) -> list[str]:
        status = f" (HTTP {error.http_status})" if error.http_status else ""
        lines = [f"{error.code}{status}: {error.title}", f"  service: {error.service}"]
        lines.extend(f"  {item}" for item in context)
        if error.line:
            lines.append(f"  seen in: {error.line}")
        if denied is not None:
            lines.append(f"  AWS says: {denied.describe()} ({denied.words!r}).")
            command = denied.simulate()
            if command:
                lines.append(f"  check it offline with that policy saved to a file: {command}")
        lines += [f"  {error.meaning}", "", "  Likely causes, most likely first:"]
        return lines + self._causes(error.causes, error.question)

    def _causes(self, causes: tuple[RankedCause, ...], question: Question | None) -> list[str]:
        """The ranked causes, each with why and how to fix, and the deciding question."""
        lines: list[str] = []
        shown = causes if self.show_all else causes[:TOP_CAUSES]
        for rank, cause in enumerate(shown, start=1):
            chance = f" ({cause.probability:.0%})"
            lines.append(f"  {rank}. [{cause.category.value}] {cause.title}{chance}")
            lines.append(f"     why: {'; '.join(cause.why)}")
            lines.append(f"     {cause.explanation}")
            lines.append(f"     fix: {cause.fix}")
            if cause.confirm:
                lines.append(f"     confirm: {cause.confirm}")
        hidden = len(causes) - len(shown)
        if hidden > 0:
            lines.append(f"  (+{hidden} less likely causes: --all shows them)")
        if question is not None and causes:
            first, second = question.between
            lines.append(f"  Not sure: the first cause is only {causes[0].probability:.0%} likely.")
            pair = f"{first.value} from {second.value}" if second is not first else first.value
            lines.append(f"  To tell {pair}, run: {question.command}")
            lines.append(f"     ({question.why})")
        return lines


def _context(result: ExplainResult) -> list[str]:
    """What the text says around the error: tool, status, operation, region, bucket, keys."""
    context: list[str] = []
    if result.tool:
        language = f" ({result.language})" if result.language else ""
        context.append(f"tool: {result.tool}{language}")
    if result.status:
        context.append(f"HTTP status: {result.status}")
    if result.operation:
        context.append(f"operation: {result.operation}")
    if result.regions:
        context.append("region: " + ", ".join(result.regions))
    if result.bucket:
        context.append(f"bucket: {result.bucket}")
    if result.endpoint:
        context.append(f"endpoint: {result.endpoint}")
    for key in result.keys:
        context.append(f"key: {key.masked} ({key.kind}; account {key.account})")
    return context
