"""How a rule is declared: once, with its code, severity, category and documentation.

A rule's docstring-like ``docs`` is its documentation page (what it does, why it matters,
how to fix it), as in bandit and ruff. ``Rule.finding`` is the only way checks create
findings, so no finding can exist without a declared rule behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from keydoctor.model import Category, Finding, Location, Resolution, Severity
from keydoctor.sources.chain import Environment


@dataclass(frozen=True)
class Rule:
    """A stable finding code and everything that never changes about it."""

    code: str
    name: str  # kebab-case, e.g. "secret-whitespace"
    severity: Severity
    category: Category
    title: str
    docs: str  # what it does, why it matters, how to fix; rendered into docs/rules

    def finding(
        self,
        explanation: str,
        fix: str,
        location: Location | None = None,
        *,
        severity: Severity | None = None,
        title: str | None = None,
        confidence: str = "high",
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            category=self.category,
            title=title or self.title,
            explanation=explanation,
            fix=fix,
            location=location,
            confidence=confidence,
        )


@dataclass
class AuditContext:
    """What every offline check may look at."""

    environment: Environment
    resolution: Resolution
    region_flag: str | None = None
    endpoint_flag: str | None = None
    expect_account: str | None = None
    now: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return self.environment.env


CheckFunction = Callable[[AuditContext], Iterator[Finding]]
