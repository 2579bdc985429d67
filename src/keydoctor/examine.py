"""The whole check as one function: audit → probes → the one ranker → a typed result.

``keydoctor check`` renders a :class:`CheckResult`, and ``keydoctor.check()`` returns the
very same object, so a program sees exactly what the command prints. The result is
frozen: nothing downstream adds to it, and every format is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keydoctor.audit import AuditResult, sort_findings, start_audit
from keydoctor.model import CredentialSource, Finding, Resolution, Severity

if TYPE_CHECKING:
    from keydoctor.diagnosis import Cause
    from keydoctor.probes.runner import ProbePlan, ProbeReport

NOT_ASKED = "no usable credentials were resolved; AWS was not asked"


@dataclass(frozen=True)
class CheckResult:
    """What ``keydoctor check`` learned, offline and (when asked) online.

    ``findings`` are final: the audit's (weighed against what the endpoint answered) and
    the probes'. ``diagnosis`` is the top cause when something at or above high was found,
    ``causes`` the others, best first. The audit keeps the raw credentials and the run's
    redactor, so reprs and every output go through masking.
    """

    audit: AuditResult
    findings: tuple[Finding, ...]
    online: bool = False
    report: ProbeReport | None = None
    probes_skipped: str | None = None
    diagnosis: Cause | None = None
    causes: tuple[Cause, ...] = ()

    @property
    def resolution(self) -> Resolution:
        return self.audit.resolution

    @property
    def region(self) -> str | None:
        return self.audit.region

    @property
    def region_origin(self) -> str | None:
        return self.audit.region_origin

    @property
    def ok(self) -> bool:
        """True when nothing makes an SDK call fail (no high or critical finding)."""
        return not any(f.severity >= Severity.HIGH for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (``docs/schema.json``), every value masked."""
        from keydoctor.redact import redact_tree
        from keydoctor.reporters.document import check_document

        document: dict[str, Any] = redact_tree(check_document(self), self.audit.redactor.scrub)
        return document

    def __repr__(self) -> str:
        return (
            f"CheckResult(online={self.online}, ok={self.ok}, "
            f"findings={[f.code for f in self.findings]}, "
            f"diagnosis={self.diagnosis.category.value if self.diagnosis else None})"
        )


def run_check(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    expect_account: str | None = None,
    environ: Mapping[str, str] | None = None,
    online: bool = False,
    plan: ProbePlan | None = None,
    timeout: float = 2.5,
    progress: Callable[[str], None] | None = None,
) -> CheckResult:
    """Audit, then (``online``) ask the endpoint and rank every piece of evidence.

    Online, the questions leave as soon as the sources are resolved: the offline rules
    run (and load) while the answers travel, in this thread, and cost no wall time.
    """
    started = start_audit(
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        expect_account=expect_account,
        environ=dict(environ) if environ is not None else None,
    )
    resolution = started.resolution
    if not online:
        audit = started.finish()
        return CheckResult(audit, tuple(audit.findings))
    report = None
    skipped = None
    if resolution.winner is None:
        audit = started.finish()
        offline = list(audit.findings)
        skipped = NOT_ASKED
        report = _instance_role(audit, endpoint_url, plan, expect_account, timeout, progress)
        if report is not None:
            skipped = None
            offline = weigh_predictions(offline, report, endpoint_url=endpoint_url)
    else:
        from keydoctor.probes.runner import ProbePlan, run_probes

        finished: list[AuditResult] = []

        def meanwhile() -> None:
            finished.append(started.finish())
            _ready_the_ranker()

        # Probes should echo nothing secret; the redactor knows the variable's value anyway.
        started.redactor.add_secret(started.environment.env.get("AWS_SECRET_ACCESS_KEY"))
        if progress is not None:
            progress("asking AWS ...")
        report = run_probes(
            resolution.winner,
            region=started.region,
            profile=resolution.profile,
            explicit_profile=started.environment.explicit_profile,
            endpoint_url=endpoint_url,
            plan=plan or ProbePlan(expect_account=expect_account),
            timeout=timeout,
            progress=progress,
            settings=started.environment.profile_config,
            region_origin=started.region_origin,
            meanwhile=meanwhile,
            environ=started.environment.env,
            profiles=started.environment.profiles,
        )
        audit = finished[0] if finished else started.finish()
        # What the endpoint answered outranks what the audit predicted (the exit code too).
        offline = weigh_predictions(list(audit.findings), report, endpoint_url=endpoint_url)
    from keydoctor.diagnosis import check_evidence, rank

    evidence = check_evidence(
        offline, resolution, report, region=audit.region, endpoint_url=endpoint_url
    )
    ranked = rank(evidence)
    findings = sort_findings([*offline, *(report.findings if report else [])])
    serious = any(f.severity >= Severity.HIGH for f in findings) or bool(
        report is not None and report.auth_failures()
    )
    top = ranked[0] if ranked and serious else None
    return CheckResult(
        audit,
        tuple(findings),
        online=True,
        report=report,
        probes_skipped=skipped,
        diagnosis=top,
        causes=tuple(ranked[1:]) if top is not None else (),
    )


def weigh_predictions(
    offline: list[Finding], report: ProbeReport, *, endpoint_url: str | None
) -> list[Finding]:
    """The ranker's own weighing, imported only once there are answers to weigh."""
    from keydoctor.diagnosis import weigh_predictions as weigh

    return weigh(offline, report, endpoint_url=endpoint_url)


def _instance_role(
    audit: AuditResult,
    endpoint_url: str | None,
    plan: ProbePlan | None,
    expect_account: str | None,
    timeout: float,
    progress: Callable[[str], None] | None,
) -> ProbeReport | None:
    """The last link of botocore's chain, which the offline audit cannot see: IMDS.

    When no other source gave credentials (and none failed), botocore asks the instance
    metadata service. So does this: IMDSv2's token, the role, its credentials. With
    credentials, every other probe runs with them, as the SDK would; without, the report
    holds only the metadata probes and what they found (the hop limit, no role).
    None when IMDS is switched off or the chain stopped at an error.
    """
    import dataclasses

    from keydoctor.probes import providers
    from keydoctor.probes.runner import ProbePlan, ProbeReport, run_probes
    from keydoctor.probes.transport import Target

    env = audit.environment.env
    if audit.resolution.failure is not None or providers.imds_disabled(env):
        return None
    if progress is not None:
        progress("asking the instance metadata service (IMDSv2) ...")
    region = audit.region or "us-east-1"
    target = Target(region=region, endpoint_url=None, profile=None, source=None, timeout=timeout)
    found = providers.imds_check(env, audit.environment.profile_config, target)
    if found.keys is None:
        return ProbeReport(
            identity=None,
            probes=found.probes,
            findings=found.findings,
            skew_seconds=None,
            region_used=region,
        )
    from keydoctor.model import Location, Secret

    keys = found.keys
    audit.redactor.add_secret(keys.secret_access_key)
    audit.redactor.add_secret(keys.session_token)
    audit.redactor.add_key_id(keys.access_key_id)
    source = CredentialSource(
        method="iam-role",
        location=Location(kind="imds", path=providers.imds_endpoint(env, {})),
        access_key_id=keys.access_key_id,
        secret_access_key=Secret(keys.secret_access_key),
        session_token=Secret(keys.session_token) if keys.session_token else None,
    )
    report = run_probes(
        source,
        region=audit.region,
        profile=audit.resolution.profile,
        explicit_profile=audit.environment.explicit_profile,
        endpoint_url=endpoint_url,
        plan=plan or ProbePlan(expect_account=expect_account),
        timeout=timeout,
        progress=progress,
        settings=audit.environment.profile_config,
        region_origin=audit.region_origin,
    )
    return dataclasses.replace(
        report,
        probes=[*found.probes, *report.probes],
        findings=[*found.findings, *report.findings],
    )


def _ready_the_ranker() -> None:
    """Load the ranker, its weights and the text reporter while the probes' answers travel.

    Imports are most of a check's cost; done here, in the wait for the network, they
    cost no wall time (``bench/check_vs_cli.py``).
    """
    from keydoctor import diagnosis  # noqa: F401  (ranking comes next)
    from keydoctor.catalog.ranking import weights
    from keydoctor.reporters import text  # noqa: F401  (rendering comes next)

    weights()
