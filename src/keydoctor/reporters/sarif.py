"""SARIF 2.1.0, for code-scanning dashboards: one result per finding.

Rules carry the finding code, title and category; levels map critical/high to
``error``, medium to ``warning``, low/info to ``note``.
"""

from __future__ import annotations

import json
from typing import Any

from keydoctor import __version__

_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}


def _location(loc: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not loc or not loc.get("path"):
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": "file://" + str(loc["path"])}}
    if loc.get("line"):
        physical["region"] = {"startLine": int(loc["line"])}
    return [{"physicalLocation": physical}]


def render_sarif(document: dict[str, Any]) -> str:
    findings: list[dict[str, Any]] = list(document.get("findings", []))
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rules.setdefault(
            f["code"],
            {
                "id": f["code"],
                "name": f["title"],
                "shortDescription": {"text": f["title"]},
                "help": {"text": f["fix"]},
                "properties": {
                    "category": f["category"],
                    "security-severity": _SCORES.get(f["severity"], "0.0"),
                },
            },
        )
        results.append(
            {
                "ruleId": f["code"],
                "level": _LEVELS.get(f["severity"], "note"),
                "message": {"text": f"{f['title']}: {f['explanation']} Fix: {f['fix']}"},
                "locations": _location(f.get("location")),
                "properties": {"severity": f["severity"], "category": f["category"]},
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
