"""The Redshift seed scenarios, as entries of ``keydoctor lab list`` and ``lab run``.

:mod:`keydoctor.lab.redshift_scenarios` builds each failure of the seed's COPY and judges
keydoctor's answer; this module gives each one a lab name (``redshift-...``) and the same
face as the lab's other scenarios (title, seed, expected category, story), so that the
lab lists, runs and judges them with the rest, on the same emulator.

There is no Redshift cluster in the lab: the "application" is the COPY statement a data
engineer would run, and keydoctor is asked as ``keydoctor redshift`` would be asked
(:func:`keydoctor.redshift.report.check_sql` with the emulator as endpoint). The verdict
is the one :mod:`keydoctor.lab.redshift_scenarios` defines: the worst finding's category
is the expected one, and the expected finding code is among the findings. A COPY's
credentials live in the SQL, which ``keydoctor fix`` does not edit: its fix is manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keydoctor.lab.emulator import Emulator
from keydoctor.lab.redshift_scenarios import SCENARIOS as REDSHIFT_SCENARIOS
from keydoctor.lab.redshift_scenarios import RedshiftScenario, RedshiftSetup
from keydoctor.model import Category

PREFIX = "redshift-"
DEFAULT_FAIL_ON = "high"  # keydoctor redshift's --fail-on when a person gives none
SEED = "seed 000 (S3ServiceException errors from Amazon Redshift COPY)"


@dataclass(frozen=True)
class RedshiftEntry:
    """A Redshift scenario under its lab name."""

    scenario: RedshiftScenario

    @property
    def name(self) -> str:
        return PREFIX + self.scenario.name.removeprefix("rs-")

    @property
    def title(self) -> str:
        return f"Redshift COPY: {self.scenario.title}"

    @property
    def seed(self) -> str:
        return SEED

    @property
    def expected(self) -> Category | None:
        return self.scenario.expected

    @property
    def expected_id(self) -> str | None:
        return self.scenario.expected.value if self.scenario.expected else None

    @property
    def expected_code(self) -> str | None:
        return self.scenario.expected_code

    @property
    def story(self) -> str:
        return self.scenario.story

    @property
    def fix_says(self) -> tuple[str, ...]:
        return self.scenario.fix_says

    @property
    def exit_code(self) -> int:
        return self.scenario.exit_code

    @property
    def fix(self) -> None:
        return None  # the credentials are in the SQL; keydoctor fix edits no SQL


ENTRIES: tuple[RedshiftEntry, ...] = tuple(RedshiftEntry(s) for s in REDSHIFT_SCENARIOS)


@dataclass
class RedshiftPrepared:
    """A Redshift scenario built on the emulator: its statement and the cluster's region."""

    entry: RedshiftEntry
    setup: RedshiftSetup
    endpoint: str


@dataclass
class RedshiftVerdict:
    """keydoctor redshift's answer, already masked by the run's own Redactor."""

    named: str | None
    codes: list[str]
    code_ok: bool
    cause: dict[str, Any] | None
    statement: str
    fixes: list[str]  # the fix of every failing finding, the worst first
    exit_code: int  # what ``keydoctor redshift`` exits with for these findings


def prepare(emulator: Emulator, entry: RedshiftEntry) -> RedshiftPrepared:
    setup = entry.scenario.build(emulator, f"lab-{entry.scenario.name}")
    return RedshiftPrepared(entry, setup, emulator.endpoint)


def command(prepared: RedshiftPrepared) -> list[str]:
    """The ``keydoctor redshift`` command a person would type (the SQL goes on stdin)."""
    return [
        "keydoctor",
        "redshift",
        "--endpoint-url",
        prepared.endpoint,
        "--cluster-region",
        prepared.setup.cluster_region,
    ]


def judge(prepared: RedshiftPrepared) -> RedshiftVerdict:
    """Ask keydoctor about the statement; name the worst cause as the scenario module does."""
    from keydoctor.commands.common import exit_code
    from keydoctor.lab.redshift_scenarios import named_cause
    from keydoctor.model import Severity
    from keydoctor.redshift.probe import ProbeSettings
    from keydoctor.redshift.report import check_sql

    run = check_sql(
        prepared.setup.sql,
        probe=ProbeSettings(
            endpoint_url=prepared.endpoint, cluster_region=prepared.setup.cluster_region
        ),
    )
    findings = run.all_findings
    top = named_cause(findings)
    codes = [f.code for f in findings]
    expected_code = prepared.entry.expected_code
    scrub = run.redactor.scrub
    cause = None
    if top is not None:
        cause = {
            "category": top.category.value,
            "code": top.code,
            "severity": top.severity.value,
            "title": scrub(top.title),
            "explanation": scrub(top.explanation),
            "fix": scrub(top.fix),
        }
    ranked = sorted(
        (f for f in findings if f.severity >= Severity.HIGH and f.fix),
        key=lambda f: -f.severity.rank,
    )
    fixes: list[str] = []
    for finding in ([top] if top is not None else []) + ranked:
        text = scrub(finding.fix)
        if text and text not in fixes:
            fixes.append(text)
    return RedshiftVerdict(
        named=top.category.value if top else None,
        codes=codes,
        code_ok=expected_code is None or expected_code in codes,
        cause=cause,
        statement=scrub(" ".join(prepared.setup.sql.split())),
        fixes=fixes,
        exit_code=exit_code(findings, DEFAULT_FAIL_ON),
    )
