"""Rules of the profiles family (being written)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from keydoctor.checks.base import AuditContext, Rule
from keydoctor.model import Finding

RULES: tuple[Rule, ...] = ()
CHECKS: tuple[Callable[[AuditContext], Iterator[Finding]], ...] = ()
