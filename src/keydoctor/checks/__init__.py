"""The offline rules, registered in one explicit list.

Each module declares its rules once (``RULES``) and its check functions (``CHECKS``);
:func:`run_offline_checks` runs them all in a fixed order and never lets one rule's bug
take the others down silently: a crash in a check is a bug, and it propagates to the CLI,
which reports it as an internal error (exit 2).
"""

from __future__ import annotations

from keydoctor.checks import files, keys, network, profiles, providers, region, sso
from keydoctor.checks.base import AuditContext, CheckFunction, Rule
from keydoctor.model import Finding, Severity

_MODULES = (keys, profiles, providers, files, region, network, sso)

ALL_CHECKS: tuple[CheckFunction, ...] = tuple(c for m in _MODULES for c in m.CHECKS)


def all_rules() -> dict[str, Rule]:
    """Every offline rule by code; codes are unique (a test proves it)."""
    rules: dict[str, Rule] = {}
    for module in _MODULES:
        for rule in module.RULES:
            if rule.code in rules:
                raise ValueError(f"duplicate rule code {rule.code}")
            rules[rule.code] = rule
    return rules


def run_offline_checks(ctx: AuditContext) -> list[Finding]:
    findings: list[Finding] = []
    for check in ALL_CHECKS:
        findings.extend(check(ctx))
    failure = ctx.resolution.failure
    if failure is not None and not any(f.severity >= Severity.HIGH for f in findings):
        # The SDK would fail here; no silence allowed even when no rule knows the failure.
        findings.append(profiles.provider_failure_finding(ctx, failure))
    return findings
