"""SARIF 2.1.0, for code-scanning dashboards: one result per finding.

Rules carry the finding code, title and category; levels map critical/high to
``error``, medium to ``warning``, low/info to ``note``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from keydoctor import __version__

if TYPE_CHECKING:
    from keydoctor.examine import CheckResult
    from keydoctor.model import Finding

_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}


class _Entry(NamedTuple):
    """What SARIF shows of one finding, every string already masked."""

    code: str
    severity: str
    category: str
    title: str
    explanation: str
    fix: str
    path: str | None
    line: int | None


class SarifFormatter:
    """``keydoctor check --format sarif``: the result's findings, each value masked first."""

    def format(self, result: CheckResult) -> str:
        from keydoctor.reporters import Masker

        return findings_log(result.findings, Masker(result.audit.redactor))


def findings_log(findings: Iterable[Finding], mask: Callable[[str], str]) -> str:
    """The SARIF log of ``findings`` in their order, each value passed through ``mask``.

    ``check`` and ``redshift`` both write theirs with it.
    """
    return _log(_entry(f, mask) for f in findings)


def _entry(finding: Finding, mask: Callable[[str], str]) -> _Entry:
    loc = finding.location
    return _Entry(
        code=mask(finding.code),
        severity=mask(finding.severity.value),
        category=mask(finding.category.value),
        title=mask(finding.title),
        explanation=mask(finding.explanation),
        fix=mask(finding.fix),
        path=mask(loc.path) if loc is not None and loc.path is not None else None,
        line=loc.line if loc is not None else None,
    )


def _location(entry: _Entry) -> list[dict[str, Any]]:
    if not entry.path:
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": "file://" + entry.path}}
    if entry.line:
        physical["region"] = {"startLine": entry.line}
    return [{"physicalLocation": physical}]


def _log(entries: Iterable[_Entry]) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for e in entries:
        rules.setdefault(
            e.code,
            {
                "id": e.code,
                "name": e.title,
                "shortDescription": {"text": e.title},
                "help": {"text": e.fix},
                "properties": {
                    "category": e.category,
                    "security-severity": _SCORES.get(e.severity, "0.0"),
                },
            },
        )
        results.append(
            {
                "ruleId": e.code,
                "level": _LEVELS.get(e.severity, "note"),
                "message": {"text": f"{e.title}: {e.explanation} Fix: {e.fix}"},
                "locations": _location(e),
                "properties": {"severity": e.severity, "category": e.category},
            }
        )
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keydoctor",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/keydoctor/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
