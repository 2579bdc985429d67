"""Run the whole check on SQL text into a frozen :class:`RedshiftResult`, and format it.

:func:`check_sql` is the library entry point (text in, :class:`RedshiftResult` out). Each
output format is a small class whose ``format(result)`` builds its own text from the typed
result, as pip-audit's ``_format/`` classes do: :class:`JsonFormat` gives the documented
shape (``statements``, each with ``kind``, ``bucket``, ``prefix``, ``region``, ``auth``,
``probes`` and ``findings``, plus the flat ``findings`` and ``summary`` that ``check`` also
has, so SARIF and exit codes work the same way), :class:`SarifFormat` one SARIF result per
finding, :class:`TextFormat` the people's view. Every format passes the run's Redactor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from keydoctor import __version__
from keydoctor.model import Finding, Location, Severity
from keydoctor.redact import Redactor, redact_tree
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import (
    SQL_VERBS,
    TEXT_SOURCES,
    Authorization,
    StatementResult,
    check_statement,
    corrected_clause,
    safe_key_id,
)
from keydoctor.redshift.credentials import KNOWN_KEYS, MISSPELLINGS
from keydoctor.redshift.parser import parse
from keydoctor.redshift.statement import Statement

if TYPE_CHECKING:
    # Online only: the offline check imports nothing of the probes.
    from keydoctor.redshift.probe import Probed, ProbeSettings
    from keydoctor.redshift.verdicts import ProbeLine
    from keydoctor.reporters.text import Painter

MAX_INPUT_BYTES = 16 * 1024 * 1024
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class AuthView:
    """How a statement authorises, as reports show it: the key id masked, no secret."""

    kind: str  # "keys", "role", "none" or "mixed"
    form: str | None  # "credentials", "access-key-id", "iam-role"
    has_keys: bool  # keys or mixed: the key fields below are reported
    access_key_id: str | None = None  # masked
    has_secret: bool = False
    has_session_token: bool = False
    roles: tuple[str, ...] = ()  # ("default",) for IAM_ROLE default

    @classmethod
    def of(cls, auth: Authorization) -> AuthView:
        has_keys = auth.kind in ("keys", "mixed")
        return cls(
            kind=auth.kind,
            form=auth.form or None,
            has_keys=has_keys,
            access_key_id=safe_key_id(auth.key_id) if has_keys and auth.key_id else None,
            has_secret=has_keys and bool(auth.secret),
            has_session_token=has_keys and bool(auth.token),
            roles=("default",) if auth.role_default else auth.roles,
        )


@dataclass(frozen=True)
class StatementReport:
    """One statement as checked (and probed): what it is, what was asked, what is wrong."""

    index: int
    line: int
    kind: str  # COPY, UNLOAD or OTHER
    bucket: str | None
    prefix: str | None
    region: str | None  # the REGION clause as written
    manifest: bool
    formats: tuple[str, ...]
    auth: AuthView
    corrected_clause: str | None
    probes: tuple[ProbeLine, ...]
    findings: tuple[Finding, ...]  # in the order the checks and probes found them

    @classmethod
    def of(cls, result: StatementResult, probes: tuple[ProbeLine, ...] = ()) -> StatementReport:
        st, s3, auth = result.statement, result.s3, result.auth
        return cls(
            index=st.index,
            line=st.line,
            kind=st.kind if st.is_copy_or_unload else "OTHER",
            bucket=s3.bucket if s3 else None,
            prefix=s3.prefix if s3 else None,
            region=st.region.text.strip() if st.region is not None else None,
            manifest=st.manifest,
            formats=tuple(st.formats),
            auth=AuthView.of(auth),
            corrected_clause=corrected_clause(auth) if auth.kind in ("keys", "role") else None,
            probes=probes,
            findings=tuple(result.findings),
        )


@dataclass(frozen=True)
class RedshiftResult:
    """Everything ``keydoctor redshift`` found, ready for any format."""

    source: str
    mode: str  # "offline" or "online"
    statements: tuple[StatementReport, ...]
    input_findings: tuple[Finding, ...]  # about the input as a whole (size, nothing to check)
    redactor: Redactor = field(repr=False, compare=False)

    @property
    def all_findings(self) -> list[Finding]:
        found = list(self.input_findings)
        for statement in self.statements:
            found.extend(statement.findings)
        return found


def check_sql(
    text: str,
    *,
    source: str = "<argument>",
    truncated: bool = False,
    probe: ProbeSettings | None = None,
) -> RedshiftResult:
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
    probed: dict[int, Probed] = {}
    if probe is not None and any(r.statement.is_copy_or_unload for r in results):
        from keydoctor.redshift.probe import probe_all

        probed = probe_all(results, probe)
        mode = "online"
    reports: list[StatementReport] = []
    for result in results:
        found = probed.get(result.statement.index)
        if found is not None:
            result.findings.extend(found.findings)
        reports.append(StatementReport.of(result, found.lines if found is not None else ()))
    return RedshiftResult(source, mode, tuple(reports), tuple(findings), redactor)


def _needs_checking(statement: Statement) -> bool:
    """COPY/UNLOAD, and the other statements that can hold a finding of their own.

    A SQL dump holds thousands of statements keydoctor does not check; one line that
    counts them by verb says as much as thousands of identical findings.
    """
    if statement.is_copy_or_unload or statement.unterminated:
        return True
    word = statement.first_word.lower()
    return word in KNOWN_KEYS or word in MISSPELLINGS


def by_severity(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """Worst first; within a severity, the order the checks found them in (stable sort)."""
    return sorted(findings, key=lambda f: -f.severity.rank)


def _summary(findings: list[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in reversed(list(Severity))}
    for f in findings:
        counts[f.severity.value] += 1
    return counts


class Format(Protocol):
    """One output format: the typed result in, the text to print out."""

    def format(self, result: RedshiftResult) -> str: ...


class JsonFormat:
    """The documented JSON object (docs/schema.json), each value redacted before dumping."""

    def document(self, result: RedshiftResult) -> dict[str, Any]:
        """The JSON shape of the result, not yet redacted."""
        return {
            "tool": "keydoctor",
            "version": __version__,
            "schema_version": SCHEMA_VERSION,
            "command": "redshift",
            "mode": result.mode,
            "source": result.source,
            "statements": [self.statement(s) for s in result.statements],
            "input_findings": [f.to_dict() for f in result.input_findings],
            "findings": [f.to_dict() for f in by_severity(result.all_findings)],
            "summary": _summary(result.all_findings),
        }

    @staticmethod
    def auth(auth: AuthView) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": auth.kind, "form": auth.form}
        if auth.has_keys:
            data["access_key_id"] = auth.access_key_id
            data["has_secret"] = auth.has_secret
            data["has_session_token"] = auth.has_session_token
        if auth.roles:
            data["roles"] = list(auth.roles)
        return data

    def statement(self, st: StatementReport) -> dict[str, Any]:
        return {
            "index": st.index,
            "line": st.line,
            "kind": st.kind,
            "bucket": st.bucket,
            "prefix": st.prefix,
            "region": st.region,
            "manifest": st.manifest,
            "formats": list(st.formats),
            "auth": self.auth(st.auth),
            "corrected_clause": st.corrected_clause,
            "probes": [p.to_dict() for p in st.probes],
            "findings": [f.to_dict() for f in by_severity(st.findings)],
        }

    def format(self, result: RedshiftResult) -> str:
        document = redact_tree(self.document(result), result.redactor.scrub)
        return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


class SarifFormat:
    """SARIF 2.1.0: one result per finding, worst first, written by ``check``'s own SARIF
    writer (:func:`keydoctor.reporters.sarif.findings_log`); each value masked first."""

    def format(self, result: RedshiftResult) -> str:
        from keydoctor.reporters import Masker
        from keydoctor.reporters.sarif import findings_log

        return findings_log(by_severity(result.all_findings), Masker(result.redactor))


class TextFormat:
    """Statement by statement: what it is, what was probed, what is wrong and the fix."""

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def format(self, result: RedshiftResult) -> str:
        from keydoctor.reporters.text import Painter

        paint = Painter(self.color)
        lines: list[str] = []
        for f in result.input_findings:
            lines.extend(self.finding(f, paint))
        for st in result.statements:
            lines.extend(self.statement(st, paint))
        summary = _summary(result.all_findings)
        total = sum(summary.values())
        counted = ", ".join(f"{n} {sev}" for sev, n in summary.items() if n)
        lines.append(
            f"{len(result.statements)} statement(s), {total} finding(s)"
            + (f": {counted}" if counted else "")
        )
        return result.redactor.scrub("\n".join(lines) + "\n")

    def statement(self, st: StatementReport, paint: Painter) -> list[str]:
        if st.kind == "OTHER" and all(f.severity is Severity.INFO for f in st.findings):
            return [
                paint("dim", f"Statement {st.index} (line {st.line}): not COPY/UNLOAD, skipped")
            ]
        head = f"Statement {st.index} (line {st.line}): {st.kind}"
        if st.bucket:
            head += f" s3://{st.bucket}/{st.prefix}"
        lines = [paint("bold", head)]
        auth = st.auth
        if auth.kind != "none":
            desc = auth.kind
            if auth.access_key_id:
                desc += f", key {auth.access_key_id}"
                if auth.has_session_token:
                    desc += " with session token"
            if auth.roles:
                desc += ", role " + ",".join(auth.roles)
            lines.append(f"  auth:   {desc}" + (f" ({auth.form})" if auth.form else ""))
        if st.region:
            lines.append(f"  region: {st.region} (REGION clause)")
        for probe in st.probes:
            mark = paint("green", "ok") if probe.outcome == "ok" else paint("high", probe.outcome)
            lines.append(
                f"  probe:  {probe.name}: {mark}" + (f" ({probe.detail})" if probe.detail else "")
            )
        if not st.findings:
            lines.append("  " + paint("green", "No problems found."))
        for f in by_severity(st.findings):
            lines.extend("  " + line for line in self.finding(f, paint))
        lines.append("")
        return lines

    @staticmethod
    def finding(f: Finding, paint: Painter) -> list[str]:
        sev = f.severity.value
        return [
            paint(sev, f"{sev.upper():8}")
            + f" {f.code} {f.title}"
            + paint("dim", f"  [{f.category.value}]"),
            "         " + f.explanation,
            "         " + paint("bold", "fix: ") + f.fix,
        ]


def formatter(fmt: str, *, color: bool = False) -> Format:
    """The format class for ``--format``."""
    if fmt == "json":
        return JsonFormat()
    if fmt == "sarif":
        return SarifFormat()
    return TextFormat(color=color)


def build_document(result: RedshiftResult) -> dict[str, Any]:
    """The JSON shape of a result (before redaction), for tests and the library."""
    return JsonFormat().document(result)


def render(fmt: str, result: RedshiftResult, *, color: bool = False) -> str:
    """Text, JSON or SARIF; every format passes the run's Redactor."""
    return formatter(fmt, color=color).format(result)
