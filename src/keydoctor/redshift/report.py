"""Run the whole check on SQL text and build the document the reporters print.

:func:`check_sql` is the library entry point (text in, :class:`RedshiftRun` out);
:func:`build_document` gives the JSON shape (``statements``, each with ``kind``,
``bucket``, ``prefix``, ``region``, ``auth`` and ``findings``, plus the flat
``findings`` and ``summary`` that ``check`` also has, so SARIF and exit codes work the
same way); :func:`render_text` is the people's view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keydoctor import __version__
from keydoctor.model import Finding, Location, Severity
from keydoctor.redact import Redactor
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import (
    SQL_VERBS,
    TEXT_SOURCES,
    StatementResult,
    check_statement,
    corrected_clause,
)
from keydoctor.redshift.credentials import KNOWN_KEYS, MISSPELLINGS
from keydoctor.redshift.parser import parse
from keydoctor.redshift.statement import Statement

if TYPE_CHECKING:
    from keydoctor.reporters.text import Painter

MAX_INPUT_BYTES = 16 * 1024 * 1024
SCHEMA_VERSION = 1


@dataclass
class RedshiftRun:
    source: str
    results: list[StatementResult]
    findings: list[Finding]  # input-level findings (size limit, nothing to check)
    redactor: Redactor
    mode: str = "offline"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def all_findings(self) -> list[Finding]:
        found = list(self.findings)
        for result in self.results:
            found.extend(result.findings)
        return found


def check_sql(
    text: str,
    *,
    source: str = "<argument>",
    truncated: bool = False,
    probe: Any = None,
) -> RedshiftRun:
    """Parse and check every statement; probe them too when ``probe`` settings are given."""
    statements = parse(text)
    results: list[StatementResult] = []
    skipped: dict[str, int] = {}
    for statement in statements:
        if _needs_checking(statement):
            results.append(check_statement(statement, source))
        else:
            word = statement.first_word.upper()
            label = word if word in SQL_VERBS else "other"
            skipped[label] = skipped.get(label, 0) + 1
    redactor = Redactor()
    for result in results:
        for value in result.secrets:
            redactor.add_secret(value)
            for piece in value.replace(",", ";").split(";"):
                _, _, inner = piece.partition("=")
                redactor.add_secret(inner.strip() or None)
        if result.auth.key_id:
            redactor.add_key_id(result.auth.key_id)
    findings: list[Finding] = []
    where = Location(
        kind="text" if source in TEXT_SOURCES else "file",
        path=None if source in TEXT_SOURCES else source,
    )
    if truncated:
        findings.append(
            R.INPUT_LIMIT.finding(
                f"The input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; only its "
                "beginning was checked (a statement cut at the limit may be reported as broken).",
                "Split the file, or pass only the COPY/UNLOAD statements.",
                where,
            )
        )
    if not any(r.statement.is_copy_or_unload for r in results):
        findings.append(
            R.NOT_COPY.finding(
                "The input holds no COPY or UNLOAD statement"
                + (" (it is empty)." if not statements else "."),
                "Pass the SQL that holds the COPY or UNLOAD, as an argument, with --file or on "
                "stdin.",
                where,
                severity=Severity.HIGH,
            )
        )
    elif skipped:
        findings.append(
            R.NOT_COPY.finding(
                f"{sum(skipped.values())} statement(s) are not COPY or UNLOAD and were skipped: "
                + ", ".join(f"{word} ×{n}" for word, n in sorted(skipped.items()))
                + ".",
                "Nothing to do, unless one of them was meant to be a COPY or UNLOAD.",
                where,
            )
        )
    mode = "offline"
    if probe is not None and any(r.statement.is_copy_or_unload for r in results):
        from keydoctor.redshift.probe import probe_all

        probed = probe_all(results, probe)
        for result in results:
            found = probed.get(result.statement.index)
            if found is not None:
                result.probes.extend(line.to_dict() for line in found.lines)
                result.findings.extend(found.findings)
        mode = "online"
    return RedshiftRun(source, results, findings, redactor, mode)


def _needs_checking(statement: Statement) -> bool:
    """COPY/UNLOAD, and the other statements that can hold a finding of their own.

    A SQL dump holds thousands of statements keydoctor does not check; one line that
    counts them by verb says as much as thousands of identical findings.
    """
    if statement.is_copy_or_unload or statement.unterminated:
        return True
    word = statement.first_word.lower()
    return word in KNOWN_KEYS or word in MISSPELLINGS


def statement_dict(result: StatementResult) -> dict[str, Any]:
    st = result.statement
    s3 = result.s3
    data: dict[str, Any] = {
        "index": st.index,
        "line": st.line,
        "kind": st.kind if st.is_copy_or_unload else "OTHER",
        "bucket": s3.bucket if s3 else None,
        "prefix": s3.prefix if s3 else None,
        "region": st.region.text.strip() if st.region is not None else None,
        "manifest": st.manifest,
        "formats": list(st.formats),
        "auth": result.auth.to_dict(),
        "corrected_clause": (
            corrected_clause(result.auth) if result.auth.kind in ("keys", "role") else None
        ),
        "probes": list(result.probes),
        "findings": [f.to_dict() for f in by_severity(result.findings)],
    }
    return data


def by_severity(findings: list[Finding]) -> list[Finding]:
    """Worst first; within a severity, the order the checks found them in (stable sort)."""
    return sorted(findings, key=lambda f: -f.severity.rank)


def build_document(run: RedshiftRun) -> dict[str, Any]:
    findings = run.all_findings
    counts = {s.value: 0 for s in reversed(list(Severity))}
    for f in findings:
        counts[f.severity.value] += 1
    return {
        "tool": "keydoctor",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "command": "redshift",
        "mode": run.mode,
        "source": run.source,
        "statements": [statement_dict(r) for r in run.results],
        "input_findings": [f.to_dict() for f in run.findings],
        "findings": [f.to_dict() for f in by_severity(findings)],
        "summary": counts,
    }


def render_text(document: dict[str, Any], *, color: bool = False) -> str:
    """Statement by statement: what it is, what was probed, what is wrong and the fix."""

    from keydoctor.reporters.text import Painter

    paint = Painter(color)

    lines: list[str] = []
    for f in document.get("input_findings", []):
        lines.extend(_finding_lines(f, paint))
    for st in document["statements"]:
        if st["kind"] == "OTHER" and all(f["severity"] == "info" for f in st["findings"]):
            lines.append(
                paint(
                    "dim", f"Statement {st['index']} (line {st['line']}): not COPY/UNLOAD, skipped"
                )
            )
            continue
        head = f"Statement {st['index']} (line {st['line']}): {st['kind']}"
        if st["bucket"]:
            head += f" s3://{st['bucket']}/{st['prefix']}"
        lines.append(paint("bold", head))
        auth = st["auth"]
        if auth["kind"] != "none":
            desc = auth["kind"]
            if auth.get("access_key_id"):
                desc += f", key {auth['access_key_id']}"
                if auth.get("has_session_token"):
                    desc += " with session token"
            if auth.get("roles"):
                desc += ", role " + ",".join(auth["roles"])
            lines.append(f"  auth:   {desc}" + (f" ({auth['form']})" if auth.get("form") else ""))
        if st["region"]:
            lines.append(f"  region: {st['region']} (REGION clause)")
        for probe in st["probes"]:
            mark = (
                paint("green", "ok")
                if probe["outcome"] == "ok"
                else paint("high", probe["outcome"])
            )
            lines.append(
                f"  probe:  {probe['name']}: {mark}"
                + (f" ({probe['detail']})" if probe["detail"] else "")
            )
        if not st["findings"]:
            lines.append("  " + paint("green", "No problems found."))
        for f in st["findings"]:
            lines.extend("  " + line for line in _finding_lines(f, paint))
        lines.append("")
    summary = document["summary"]
    total = sum(summary.values())
    counted = ", ".join(f"{n} {sev}" for sev, n in summary.items() if n)
    lines.append(
        f"{len(document['statements'])} statement(s), {total} finding(s)"
        + (f": {counted}" if counted else "")
    )
    return "\n".join(lines) + "\n"


def _finding_lines(f: dict[str, Any], paint: Painter) -> list[str]:
    sev = f["severity"]
    return [
        paint(sev, f"{sev.upper():8}")
        + f" {f['code']} {f['title']}"
        + paint("dim", f"  [{f['category']}]"),
        "         " + f["explanation"],
        "         " + paint("bold", "fix: ") + f["fix"],
    ]


def render(fmt: str, run: RedshiftRun, *, color: bool = False) -> str:
    """Text, JSON or SARIF; every format passes the run's Redactor."""
    document = build_document(run)
    if fmt == "text":
        return run.redactor.scrub(render_text(document, color=color))
    from keydoctor.reporters import render as shared_render

    return shared_render(fmt, document, run.redactor)
