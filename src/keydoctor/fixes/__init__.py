"""Fixes: plans first (file diffs, AWS calls), applied only on request, always reversible.

The public entry points:

* :func:`plan_fixes` computes the plans for named fixes, or, with no names, for every
  fix the offline audit's findings call for (:func:`finding_fixes`: the rules declare it);
* :func:`apply_plans` carries them out, safe ones always, unsafe ones only with consent;
* :func:`fix_scenario` does both in one call for the lab's "fix it" step.

Nothing in this package prints: the command renders plans and outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from keydoctor.errors import UsageError
from keydoctor.fixes.plan import FixError, Outcome, Plan, Safety, StepCounter, execute
from keydoctor.model import Finding
from keydoctor.redact import Redactor

if TYPE_CHECKING:
    from keydoctor.fixes.logcheck import LogCheck

__all__ = [
    "FIX_NAMES",
    "FixError",
    "FixReport",
    "Outcome",
    "Plan",
    "Safety",
    "apply_plans",
    "fix_scenario",
    "finding_fixes",
    "fixes_for_findings",
    "lock_paths",
    "plan_fixes",
    "shared_paths",
]

FIX_NAMES = ("tidy", "rotate-key", "set-region", "move-keys")


def finding_fixes() -> dict[str, str]:
    """Which ``keydoctor fix`` repairs which finding code, as the rules declare it.

    Every rule names its remedy (:class:`keydoctor.checks.base.Remedy`); those of kind
    keydoctor-fix name a fix of :data:`FIX_NAMES`. The offline rules and the live ones
    are read here (the Redshift rules sit above this layer and name no keydoctor fix).
    """
    from keydoctor.checks import all_rules
    from keydoctor.probes.rules import RULES as LIVE

    return {
        rule.code: rule.remedy.fix_name
        for rule in [*all_rules().values(), *LIVE]
        if rule.remedy.fix_name is not None
    }


def fixes_for_findings(findings: Iterable[Finding | str]) -> list[str]:
    """The fixes the findings (or bare finding codes) call for, in :data:`FIX_NAMES` order."""
    codes = set()
    for finding in findings:
        if isinstance(finding, str):
            codes.add(finding)
        elif finding.location is None or finding.location.kind != "env":
            # A file fix cannot reach a value that lives in an environment variable; the
            # finding's own fix (an export line) is the remedy there.
            codes.add(finding.code)
    declared = finding_fixes()
    wanted = {declared[code] for code in codes if code in declared}
    return [name for name in FIX_NAMES if name in wanted]


def shared_paths(environ: dict[str, str]) -> tuple[str, str]:
    """The config and credentials files of ``environ``, expanded."""
    from keydoctor.sources.files import default_paths, expand

    (config, _), (creds, _) = default_paths(environ)
    return expand(config, environ), expand(creds, environ)


def plan_fixes(
    names: Sequence[str] | None,
    *,
    environ: dict[str, str],
    profile: str | None = None,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    delete_old: bool = False,
    redactor: Redactor | None = None,
    findings: Sequence[Finding | str] | None = None,
    rollback: bool = False,
    log_check: LogCheck | None = None,
) -> list[Plan]:
    """Compute the plans; changes nothing (rotation and set-region ask AWS read-only questions).

    ``names`` empty or None means: the fixes the findings call for (the offline audit is
    run when ``findings`` is not given), plus set-region when a bucket is named.
    """
    chosen = list(names or [])
    for name in chosen:
        if name not in FIX_NAMES:
            raise UsageError(f"unknown fix {name!r}; choose from {', '.join(FIX_NAMES)}")
    if not chosen:
        if findings is None:
            from keydoctor.audit import run_audit

            findings = run_audit(profile=profile, environ=environ).findings
        chosen = fixes_for_findings(findings)
        if bucket and "set-region" not in chosen:
            chosen.append("set-region")
        elif not bucket and "set-region" in chosen:
            chosen.remove("set-region")  # it cannot run without the bucket's name
    config_path, creds_path = shared_paths(environ)
    plans: list[Plan] = []
    for name in FIX_NAMES:
        if name not in chosen:
            continue
        if name == "tidy":
            from keydoctor.fixes.tidy import plan_tidy

            plans.extend(plan_tidy([("credentials", creds_path), ("config", config_path)]))
        elif name == "move-keys":
            from keydoctor.fixes.move import plan_move_keys

            plans.append(plan_move_keys(config_path, creds_path))
        elif name == "rotate-key":
            from keydoctor.fixes.rotate import plan_rotation

            plans.append(
                plan_rotation(
                    environ,
                    profile,
                    endpoint_url=endpoint_url,
                    delete_old=delete_old,
                    redactor=redactor,
                    rollback=rollback,
                    log_check=log_check,
                )
            )
        elif name == "set-region":
            plans.append(
                _plan_set_region(environ, profile, bucket, endpoint_url, config_path, redactor)
            )
    return plans


def _plan_set_region(
    environ: dict[str, str],
    profile: str | None,
    bucket: str | None,
    endpoint_url: str | None,
    config_path: str,
    redactor: Redactor | None,
) -> Plan:
    from keydoctor.fixes.region import bucket_region, plan_set_region
    from keydoctor.model import Secret
    from keydoctor.sources.chain import gather, resolve

    if not bucket:
        raise UsageError("set-region needs --bucket NAME (the bucket whose region to use)")
    environment = gather(environ, profile)
    winner = resolve(environment).winner
    if winner is None or winner.access_key_id is None or winner.secret_access_key is None:
        plan = Plan("set-region", Safety.SAFE, f"set the region of profile {environment.profile}")
        plan.blocked = (
            f"profile {environment.profile} yields no access key to ask S3 with; "
            "fix its credentials first"
        )
        return plan
    if redactor is not None:
        redactor.add_secret(winner.secret_access_key.reveal())
        if winner.session_token is not None:
            redactor.add_secret(winner.session_token.reveal())
    region = bucket_region(
        bucket,
        winner.access_key_id.strip(),
        Secret(winner.secret_access_key.reveal().strip()),
        session_token=winner.session_token,
        endpoint_url=endpoint_url,
    )
    current = environment.profile_config.get("region")
    plan = plan_set_region(
        config_path, environment.profile, region, current if isinstance(current, str) else None
    )
    override = environ.get("AWS_DEFAULT_REGION")
    if override and override != region:
        plan.notes.append(
            f"AWS_DEFAULT_REGION={override} is set and overrides the profile's "
            f"region; change it too: export AWS_DEFAULT_REGION={region}"
        )
    plan.notes.append(
        f"bucket {bucket} is in {region} (asked S3, read-only: HeadBucket, "
        "and GetBucketLocation when HeadBucket does not say)"
    )
    return plan


def apply_plans(plans: Sequence[Plan], *, allow_unsafe: bool) -> list[Outcome]:
    """Apply every plan in order; an unsafe one is skipped without ``allow_unsafe``.

    Each plan rolls itself back when one of its steps fails, and the plans after it do not
    run (they may build on it). A plan that touches a file an earlier plan of the run wrote
    applies its change to that new text; a file changed by anyone else is refused.
    """
    counter = StepCounter()
    outcomes: list[Outcome] = []
    failed: str | None = None
    for plan in plans:
        if not plan.steps and plan.blocked is None:
            continue
        if failed is not None:
            # A later fix may build on the one that failed (tidy-sections on tidy): stop.
            outcomes.append(Outcome(plan, False, [], [], error=f"not run: {failed} failed"))
            continue
        if plan.safety is Safety.UNSAFE and not allow_unsafe:
            outcomes.append(
                Outcome(plan, False, [], [], error="unsafe: needs --unsafe", skipped=True)
            )
            continue
        outcome = execute(plan, counter)
        outcomes.append(outcome)
        if outcome.error is not None and not outcome.applied:
            failed = plan.name
    return outcomes


@dataclass
class FixReport:
    """What :func:`fix_scenario` did: the plans, their outcomes, and whether all applied."""

    plans: list[Plan]
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.applied or o.skipped for o in self.outcomes)

    def summary(self) -> list[str]:
        lines: list[str] = []
        for outcome in self.outcomes:
            state = "applied" if outcome.applied else ("skipped" if outcome.skipped else "failed")
            lines.append(
                f"{outcome.plan.name}: {state}" + (f" ({outcome.error})" if outcome.error else "")
            )
            lines.extend(f"  {entry}" for entry in outcome.log)
        return lines


def fix_scenario(
    environ: dict[str, str],
    *,
    fixes: Sequence[str] = (),
    profile: str | None = None,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    unsafe: bool = False,
    delete_old: bool = False,
    apply: bool = True,
    findings: Sequence[Finding | str] | None = None,
) -> FixReport:
    """The lab's "fix it" step: plan the fixes for a scenario's environment and apply them.

    ``environ`` is the scenario's environment (its HOME holds the ``.aws`` files);
    ``fixes`` names the fixes, or is empty for "what the findings call for": the
    ``findings`` given (Finding objects or codes, e.g. those of a ``keydoctor check``
    JSON document, live ones included), else the offline audit's. The result says what
    each plan did; the caller re-runs its check to show the problem is gone.
    """
    from keydoctor.fixes.lock import holding

    redactor = Redactor()

    def plan() -> list[Plan]:
        return plan_fixes(
            list(fixes),
            environ=environ,
            profile=profile,
            bucket=bucket,
            endpoint_url=endpoint_url,
            delete_old=delete_old,
            redactor=redactor,
            findings=findings,
        )

    if not apply:
        return FixReport(plan())
    with holding(lock_paths(environ)):
        report = FixReport(plan())
        report.outcomes = apply_plans(report.plans, allow_unsafe=unsafe)
    return report


def lock_paths(environ: dict[str, str]) -> list[str]:
    """Files whose folders a fix must lock: the shared files, and ~/.aws (the home of a
    rotation's hand-off file and journal)."""
    import os

    home = environ.get("HOME") or os.path.expanduser("~")
    return [*shared_paths(environ), os.path.join(home, ".aws", "keydoctor")]
