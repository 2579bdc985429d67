"""The functions a program calls itself: ``diagnose`` and ``check``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from keydoctor.integration.diagnosis import Diagnosis, for_exception, for_text
from keydoctor.model import Finding, Resolution, Severity


def diagnose(error: BaseException | str | bytes, *, audit: bool | None = None) -> Diagnosis:
    """The structured diagnosis of an exception or of error text.

    ``error`` may be an exception (a ``ClientError``, ``NoCredentialsError`` ... caught
    with or without the hook: one the hook already diagnosed is returned as it is) or
    any text an AWS tool printed (AWS CLI output, a traceback, a log). ``audit`` runs
    the offline audit of this machine's credentials as extra evidence; by default it
    does for exceptions (they were raised here) and not for text (it may come from
    anywhere). Never touches the network.
    """
    if isinstance(error, BaseException):
        return for_exception(error, audit=True if audit is None else audit)
    if isinstance(error, bytes):
        error = error.decode("utf-8", errors="replace")
    if not isinstance(error, str):
        raise TypeError(f"diagnose() takes an exception or text, not {type(error).__name__}")
    return for_text(error, audit=bool(audit))


@dataclass(frozen=True)
class CheckReport:
    """The offline audit's result, as ``keydoctor check --format json`` describes it.

    ``findings`` and ``resolution`` are the model objects; :meth:`to_dict` is exactly
    the JSON document (masked by the same redactor as the CLI's output).
    """

    findings: tuple[Finding, ...]
    resolution: Resolution = field(repr=False)  # holds raw key ids: not for repr
    region: str | None = None
    region_origin: str | None = None
    _document: str = field(default="{}", repr=False)  # the rendered, redacted JSON

    @property
    def ok(self) -> bool:
        """True when nothing would make an SDK call fail (no high or critical finding)."""
        return not any(f.severity >= Severity.HIGH for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self._document)
        return value


def check(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    expect_account: str | None = None,
    environ: dict[str, str] | None = None,
) -> CheckReport:
    """Run the offline audit (what ``keydoctor check --offline`` does) from Python.

    ``environ`` replaces ``os.environ`` for the audit (HOME, AWS_* variables), which is
    how tests and multi-tenant programs audit a setting other than their own.
    """
    from keydoctor.audit import run_audit
    from keydoctor.reporters import render
    from keydoctor.reporters.document import build_document

    result = run_audit(
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        expect_account=expect_account,
        environ=environ,
    )
    return CheckReport(
        findings=tuple(result.findings),
        resolution=result.resolution,
        region=result.region,
        region_origin=result.region_origin,
        _document=render("json", build_document(result), result.redactor),
    )
