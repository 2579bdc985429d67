"""Formatters: one class per output format, each building its own output from a typed result.

The shape follows pip-audit's ``_format/``: a command produces a frozen result
(:class:`~keydoctor.examine.CheckResult` for ``check``, an
:class:`~keydoctor.catalog.result.ExplainResult` for ``explain``), picks a formatter by
name, and prints what ``format(result)`` returns. No command renders part of the output
itself, and no formatter reads another one's output back.

Redaction happens on values, while they are still structured: every string a formatter
takes from a check's result passes the run's :class:`~keydoctor.redact.Redactor` (and the
removal of a ``credential_process``'s stderr) *before* it is escaped, quoted or placed in a
line (a secret that JSON escapes would no longer be found in the serialised text, and a
replacement there could cut an escape in half). The text formatter scrubs its final text
once more: whatever a check or a probe wrote, no known secret and nothing shaped like a
key leaves unmasked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from keydoctor.redact import Redactor, hide_process_output

if TYPE_CHECKING:
    from keydoctor.examine import CheckResult

FORMATS = ("text", "json", "sarif")

ResultT_contra = TypeVar("ResultT_contra", contravariant=True)


class Formatter(Protocol[ResultT_contra]):
    """Turns one typed result into the whole output of a command, as a string."""

    def format(self, result: ResultT_contra) -> str:
        """The output, masked, ending with one newline."""
        ...


class Masker:
    """One string of a result as it may be shown: the run's secrets and key ids masked.

    The same treatment :func:`~keydoctor.redact.redact_tree` gives every string of a
    document, offered to formatters that place values one by one.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, value: str) -> str:
        return self.redactor.scrub(hide_process_output(value))


def check_formatter(fmt: str, *, color: bool = False) -> Formatter[CheckResult]:
    """The formatter of ``keydoctor check`` for ``fmt`` (one of :data:`FORMATS`).

    Each format's module is imported only when asked for: the text path never loads
    :mod:`json`.
    """
    if fmt == "json":
        from keydoctor.reporters.json_report import JsonFormatter

        return JsonFormatter()
    if fmt == "sarif":
        from keydoctor.reporters.sarif import SarifFormatter

        return SarifFormatter()
    if fmt == "text":
        from keydoctor.reporters.text import TextFormatter

        return TextFormatter(color=color)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
