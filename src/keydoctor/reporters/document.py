"""Build the one documented JSON object (docs/schema.json) from a check's typed result."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from keydoctor import __version__
from keydoctor.model import CredentialSource, Finding, Severity
from keydoctor.redact import mask_key_id

if TYPE_CHECKING:
    from keydoctor.audit import AuditResult
    from keydoctor.examine import CheckResult

SCHEMA_VERSION = 1


def source_dict(source: CredentialSource, *, winner: bool) -> dict[str, Any]:
    """A credential source as the JSON shows it: key id masked, secrets only as flags."""
    data: dict[str, Any] = {
        "method": source.method,
        "profile": source.profile,
        "access_key_id": mask_key_id(source.access_key_id) if source.access_key_id else None,
        "has_secret": bool(source.secret_access_key),
        "has_session_token": bool(source.session_token),
        "location": source.location.describe(),
        "expiry": source.expiry.isoformat() if source.expiry else None,
        "details": dict(source.details),
    }
    if not winner:
        data["reason"] = source.reason
    return data


def findings_list(findings: list[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]


def summary(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity.value for f in findings)
    return {s.value: counts.get(s.value, 0) for s in reversed(list(Severity))}


def build_document(result: AuditResult) -> dict[str, Any]:
    res = result.resolution
    env = result.environment
    return {
        "tool": "keydoctor",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "mode": "offline",
        "profile": {"name": res.profile, "origin": res.profile_origin},
        "region": {"name": result.region, "origin": result.region_origin},
        "files": {
            "config": env.config.path,
            "credentials": env.credentials.path,
        },
        "credentials": {
            "winner": source_dict(res.winner, winner=True) if res.winner else None,
            "shadowed": [source_dict(s, winner=False) for s in res.shadowed],
            "failure": res.failure,
            "searched": list(res.searched),
        },
        "findings": findings_list(result.findings),
        "summary": summary(result.findings),
    }


def check_document(result: CheckResult) -> dict[str, Any]:
    """The whole document of ``keydoctor check``: the audit, then the online part."""
    document = build_document(result.audit)
    findings = list(result.findings)
    document["findings"] = findings_list(findings)
    document["summary"] = summary(findings)
    if not result.online:
        return document
    report = result.report
    document.update(
        {
            "mode": "online",
            "identity": report.identity.to_dict() if report and report.identity else None,
            "probes": report.probe_dicts() if report else [],
            "diagnosis": result.diagnosis.to_dict() if result.diagnosis else None,
            "causes": [c.to_dict() for c in result.causes],
        }
    )
    if report is None:
        document["probes_skipped"] = result.probes_skipped
    else:
        document["region_used"] = report.region_used
        skew = report.skew_seconds
        document["clock_skew_seconds"] = round(skew, 1) if skew is not None else None
        document["bucket_regions"] = dict(report.bucket_regions)
        if report.network:
            document["network_path"] = [line.to_dict() for line in report.network]
    return document
