"""``keydoctor explain``: name the AWS error in a pasted text and rank its causes.

Reads the text from the argument, ``--file`` or stdin; ``--batch`` reads JSON lines with a
``text`` field and answers one JSON line each. With ``--check`` the offline audit of this
machine runs too, and its findings raise the causes of their category.

Exit codes: 0 an error was explained, 1 no AWS error found, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keydoctor.model import Finding
    from keydoctor.reporters.explain import BatchLine

_MAX_INPUT = 64 * 1024 * 1024  # refuse to read more than this; the matcher reduces it anyway


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="the error text (else --file, else stdin)")
    parser.add_argument(
        "--file", metavar="FILE", help="read the error text from FILE ('-' = stdin)"
    )
    parser.add_argument(
        "--batch",
        metavar="FILE.jsonl",
        help="explain every JSON line's 'text' field; one JSON result per line",
    )
    parser.add_argument(
        "--format",
        "--output",
        dest="format",
        choices=["text", "json"],
        default="text",
        help="output format (--output: the AWS CLI's name)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="also run the offline audit; its findings re-rank the causes",
    )
    parser.add_argument("--profile", help="profile for --check (else AWS_PROFILE, else default)")
    parser.add_argument("--region", help="region the failing call used (a hint for ranking)")
    parser.add_argument("--endpoint-url", dest="endpoint_url", help="endpoint the call used (hint)")
    parser.add_argument(
        "--all", action="store_true", help="show every cause, not only the top three (text)"
    )


def _read_bytes(path: str) -> bytes:
    from keydoctor.errors import InputError

    if path == "-":
        return sys.stdin.buffer.read(_MAX_INPUT)
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_INPUT)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _findings(args: argparse.Namespace) -> list[Finding]:
    if not args.check:
        return []
    from keydoctor.audit import run_audit

    return list(run_audit(profile=args.profile, region=args.region).findings)


def _hints(args: argparse.Namespace) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    if args.region:
        hints["region"] = args.region
    if args.endpoint_url:
        hints["endpoint_url"] = args.endpoint_url
    return hints


def run(args: argparse.Namespace) -> int:
    from keydoctor.errors import UsageError

    sources = [
        s for s in (args.text is not None, args.file is not None, args.batch is not None) if s
    ]
    if len(sources) > 1:
        raise UsageError("give the text as an argument, with --file or with --batch, not several")
    findings = _findings(args)
    hints = _hints(args)
    if args.batch is not None:
        return _run_batch(args.batch, findings, hints)
    if args.text is not None:
        raw: str | bytes = args.text
    elif args.file is not None:
        raw = _read_bytes(args.file)
    else:
        if sys.stdin.isatty():
            raise UsageError("paste the error as an argument, with --file FILE, or on stdin")
        raw = _read_bytes("-")
    from keydoctor.catalog.matcher import diagnose
    from keydoctor.reporters.explain import explain_formatter

    explanation = diagnose(raw, findings=findings, hints=hints)
    _write(explain_formatter(args.format, show_all=args.all).format(explanation))
    return 0 if explanation.found else 1


def _run_batch(path: str, findings: list[Finding], hints: dict[str, Any]) -> int:
    """One JSON result per input line; a line that cannot be read is one error result.

    A hostile line (nested a hundred thousand levels deep, binary, or text with lone
    surrogates that no output encoding takes) must not end the batch: the lines before it
    are already answered, and the lines after it still are. Results written so far are
    flushed even if something unforeseen stops the run.
    """
    from keydoctor.reporters.explain import ExplainBatchLineFormatter

    formatter = ExplainBatchLineFormatter()
    data = _read_bytes(path).decode("utf-8", errors="replace")
    any_found = False
    out: list[str] = []
    try:
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            answer = _batch_line(number, line, findings, hints)
            any_found = any_found or answer.found
            out.append(formatter.format(answer))
            if len(out) >= 200:
                _write("".join(out))
                out.clear()
    finally:
        if out:
            _write("".join(out))
    return 0 if any_found else 1


def _batch_line(
    number: int, line: str, findings: list[Finding], hints: dict[str, Any]
) -> BatchLine:
    """The answer to one line of a batch, typed for its formatter."""
    from keydoctor.catalog.matcher import diagnose
    from keydoctor.redact import scrub_patterns
    from keydoctor.reporters.explain import BatchLine

    try:
        item = json.loads(line)
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, str):
            raise ValueError("no 'text' string field")
    except RecursionError:
        return BatchLine(number, error="unreadable line: nested too deeply")
    except ValueError as exc:
        message = scrub_patterns(str(exc).splitlines()[0] if str(exc) else "invalid JSON")
        return BatchLine(number, error=f"unreadable line: {message}")
    explanation = diagnose(_printable(text), findings=findings, hints=hints)
    ident = item.get("id")
    if isinstance(ident, str):
        return BatchLine(number, explanation, scrub_patterns(_printable(ident)))
    if isinstance(ident, int):
        return BatchLine(number, explanation, ident)
    return BatchLine(number, explanation)


def _printable(text: str) -> str:
    """``text`` with lone surrogates (valid in JSON, not in UTF-8) replaced."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
