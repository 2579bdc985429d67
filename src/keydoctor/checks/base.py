"""How a rule is declared: once, with its code, severity, category and documentation.

A rule's docstring-like ``docs`` is its documentation page (what it does, why it matters,
how to fix it), as in bandit and ruff. ``Rule.finding`` is the only way checks create
findings, so no finding can exist without a declared rule behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from keydoctor.model import Category, Finding, Location, Resolution, Severity
from keydoctor.shell import command
from keydoctor.sources.chain import Environment


class FixKind(StrEnum):
    """What kind of step a rule's printed fix is, which decides how it can be proven.

    ``command``: a shell command built with :func:`keydoctor.shell.command` from validated
    values; ``config-edit``: one setting (file, section, key, value) to write;
    ``keydoctor-fix``: ``keydoctor fix NAME`` with exactly the flags it needs;
    ``manual``: a step only a person can take (a value to paste again, a policy to write).
    Every kind but ``manual`` is carried out literally by a test, and the finding must
    be gone afterwards (tests/test_fixes_proven.py).
    """

    COMMAND = "command"
    CONFIG_EDIT = "config-edit"
    KEYDOCTOR_FIX = "keydoctor-fix"
    MANUAL = "manual"


@dataclass(frozen=True)
class Remedy:
    """The fix a rule declares, as data: its kind and, for a keydoctor fix, which one.

    Rules sit below the fixes in the layers, so a rule names its fix (``"tidy"``) and
    never imports it; :func:`keydoctor.fixes.fixes_for_findings` reads these names.

    A printed fix of a non-manual kind begins with the step itself, ready to paste; what
    follows two blanks and a parenthesis is commentary (an alternative, what it does), which
    :func:`keydoctor.shell.runnable_part` leaves out.
    """

    kind: FixKind = FixKind.MANUAL
    fix_name: str | None = None  # keydoctor-fix: the name given to `keydoctor fix`
    unsafe: bool = False  # keydoctor-fix: it can change which credentials are used

    def __post_init__(self) -> None:
        if (self.kind is FixKind.KEYDOCTOR_FIX) != (self.fix_name is not None):
            raise ValueError("a keydoctor-fix remedy, and only it, names its fix")

    def invocation(self, *args: str) -> str:
        """``keydoctor fix NAME ARGS --apply`` (and ``--unsafe`` when it needs consent).

        ``args`` are the flags this finding's fix needs (``--bucket B``), quoted here.
        """
        if self.fix_name is None:
            raise ValueError(f"a {self.kind.value} remedy has no keydoctor fix")
        flags = ("--apply", "--unsafe") if self.unsafe else ("--apply",)
        return command("keydoctor", "fix", self.fix_name, *args, *flags)

    def describe(self) -> str:
        """The kind in words, for ``keydoctor rules`` and the rule pages."""
        if self.kind is FixKind.KEYDOCTOR_FIX:
            safety = "unsafe: needs --unsafe" if self.unsafe else "safe"
            return f"keydoctor-fix (`{self.invocation()}`, {safety})"
        return self.kind.value


MANUAL = Remedy()
COMMAND = Remedy(FixKind.COMMAND)
CONFIG_EDIT = Remedy(FixKind.CONFIG_EDIT)


def keydoctor_fix(name: str, *, unsafe: bool = False) -> Remedy:
    """The remedy of a rule whose finding `keydoctor fix NAME` repairs."""
    return Remedy(FixKind.KEYDOCTOR_FIX, name, unsafe)


@dataclass(frozen=True)
class Rule:
    """A stable finding code and everything that never changes about it."""

    code: str
    name: str  # kebab-case, e.g. "secret-whitespace"
    severity: Severity
    category: Category
    title: str
    docs: str  # what it does, why it matters, how to fix; rendered into docs/rules
    remedy: Remedy = MANUAL  # the kind of fix its findings print

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
