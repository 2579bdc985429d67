"""The offline audit as a library call: gather, resolve, run the checks.

This is what ``keydoctor check --offline`` does before rendering, and what the Python
API (:func:`keydoctor.audit`) returns. It never imports boto3 and never touches the
network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from keydoctor.model import CredentialSource, Finding, Resolution
from keydoctor.redact import Redactor
from keydoctor.sources.chain import Environment, audited_environment, gather, resolve
from keydoctor.sources.files import unfold


@dataclass
class AuditResult:
    """Everything the offline audit learned; reporters turn it into text, JSON or SARIF."""

    environment: Environment
    resolution: Resolution
    findings: list[Finding]
    region: str | None
    region_origin: str | None
    redactor: Redactor
    extra: dict[str, object] = field(default_factory=dict)


def collect_secrets(env: Environment, resolution: Resolution) -> Redactor:
    """Every secret value this run has seen, so that no reporter can print one."""
    redactor = Redactor()
    sources: list[CredentialSource] = list(resolution.shadowed)
    if resolution.winner is not None:
        sources.append(resolution.winner)
    for source in sources:
        if source.secret_access_key is not None:
            redactor.add_secret(source.secret_access_key.reveal())
        if source.session_token is not None:
            redactor.add_secret(source.session_token.reveal())
        redactor.add_key_id(source.access_key_id)
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        redactor.add_secret(env.env.get(name))
    redactor.add_key_id(env.env.get("AWS_ACCESS_KEY_ID"))
    for shared in (env.config, env.credentials):
        for entry in shared.entries:
            lowered = entry.key.lower()
            if "secret" in lowered or "token" in lowered or "password" in lowered:
                redactor.add_secret(entry.raw_value)
                redactor.add_secret(entry.raw_value.strip().strip("'\""))
            elif "access_key" in lowered or lowered.endswith("key_id"):
                redactor.add_key_id(entry.raw_value.strip().strip("'\""))
        # Key material on an indented line sits inside another value in botocore's view.
        for value in shared.folded_values:
            redactor.add_secret(value)
    for values in list(env.profiles.values()) + list(env.config_profiles.values()):
        for key, value in values.items():
            if isinstance(value, str) and ("secret" in key or "token" in key):
                redactor.add_secret(value)
    return redactor


def effective_region(env: Environment, flag: str | None) -> tuple[str | None, str | None]:
    """The region botocore would use, and where it came from.

    botocore reads ``AWS_DEFAULT_REGION`` then the profile's ``region``; ``AWS_REGION`` is
    read by the AWS CLI v2 and the other SDKs but not by botocore itself.
    """
    if flag:
        return flag, "--region"
    value = env.env.get("AWS_DEFAULT_REGION")
    if value:
        return value, "AWS_DEFAULT_REGION"
    region = env.profile_config.get("region")
    if isinstance(region, str) and region:
        first, folded = unfold(region)
        if folded:
            # The folded lines can hold key material: only the first line is ever shown.
            return first, f"profile [{env.profile}] region, with {folded} line(s) folded in: KD314"
        return region, f"profile [{env.profile}] region"
    return None, None


@dataclass
class StartedAudit:
    """An audit whose sources are read and resolved, and whose rules have not run yet.

    The online check asks with the resolved credentials as soon as it has them, and runs
    (and loads) the offline rules while the answers travel; :meth:`finish` gives what
    :func:`run_audit` gives.
    """

    environment: Environment
    resolution: Resolution
    region: str | None
    region_origin: str | None
    redactor: Redactor
    region_flag: str | None
    endpoint_flag: str | None
    expect_account: str | None
    now: datetime

    def finish(self) -> AuditResult:
        """Run the offline rules: the audit's result."""
        from keydoctor.checks import run_offline_checks
        from keydoctor.checks.base import AuditContext

        ctx = AuditContext(
            environment=self.environment,
            resolution=self.resolution,
            region_flag=self.region_flag,
            endpoint_flag=self.endpoint_flag,
            expect_account=self.expect_account,
            now=self.now,
        )
        return AuditResult(
            environment=self.environment,
            resolution=self.resolution,
            findings=sort_findings(run_offline_checks(ctx)),
            region=self.region,
            region_origin=self.region_origin,
            redactor=self.redactor,
        )


def start_audit(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    expect_account: str | None = None,
    environ: dict[str, str] | None = None,
    now: datetime | None = None,
) -> StartedAudit:
    """Gather and resolve the sources (all the probes need); the rules run in ``finish``."""
    env_map = dict(environ) if environ is not None else audited_environment()
    environment = gather(env_map, profile)
    resolution = resolve(environment)
    eff_region, origin = effective_region(environment, region)
    return StartedAudit(
        environment=environment,
        resolution=resolution,
        region=eff_region,
        region_origin=origin,
        redactor=collect_secrets(environment, resolution),
        region_flag=region,
        endpoint_flag=endpoint_url,
        expect_account=expect_account,
        now=now or datetime.now(UTC),
    )


def run_audit(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    expect_account: str | None = None,
    environ: dict[str, str] | None = None,
    now: datetime | None = None,
) -> AuditResult:
    return start_audit(
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        expect_account=expect_account,
        environ=environ,
        now=now,
    ).finish()


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then by code, so that output is stable."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.title))


def audit(
    profile: str | None = None,
    region: str | None = None,
    expect_account: str | None = None,
    environ: dict[str, str] | None = None,
) -> AuditResult:
    """Run the offline audit from Python and return the structured result."""
    return run_audit(profile=profile, region=region, expect_account=expect_account, environ=environ)
