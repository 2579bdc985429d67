"""Run every probe concurrently and gather their answers into one :class:`ProbeReport`.

Phase one asks everything that needs no earlier answer at once (who am I, list buckets,
each bucket's region, list, read and write tests, the user's keys). Phase two runs only
when something was denied: it reads the caller's own policies to say why. Each probe
has its own timeout, so the whole run takes about the slowest single answer.

A plan whose questions depend on earlier answers (``keydoctor redshift``) is run by
:mod:`keydoctor.probes.plans` on the same transport and classification.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keydoctor.model import CredentialSource, Finding, Secret
from keydoctor.probes import capabilities as caps
from keydoctor.probes import outcome as oc
from keydoctor.probes import s3 as s3_probes
from keydoctor.probes.iam import KeysReport, PolicyReading, access_keys, read_own_policies
from keydoctor.probes.identity import IAM_USER, Identity, who_am_i
from keydoctor.probes.netpath import PathLine, hosts_to_call, trace
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import DEFAULT_TIMEOUT, Target, Transport

if TYPE_CHECKING:
    from keydoctor.policy import Decision
    from keydoctor.probes.providers import ProviderCheck

# The sources whose provider makes its own request first (probes/providers.py): only for
# them is that module loaded, so a check with static keys does not pay for it.
PROVIDER_METHODS = frozenset({"container-role", "assume-role-with-web-identity", "assume-role"})

MAX_WORKERS = 8


@dataclass(frozen=True)
class ProbePlan:
    """What to ask: the buckets and key from the command line, and whether to write."""

    buckets: tuple[str, ...] = ()
    key: str | None = None
    write_test: bool = False
    expect_account: str | None = None


@dataclass
class ProbeReport:
    """Everything the live probes learned."""

    identity: Identity | None
    probes: list[ProbeResult]
    findings: list[Finding]
    skew_seconds: float | None
    region_used: str
    keys: KeysReport | None = None
    policies: PolicyReading | None = None
    bucket_regions: dict[str, str] = field(default_factory=dict)
    capabilities: caps.Capabilities | None = None
    network: list[PathLine] = field(default_factory=list)  # one line per host called

    def auth_failures(self) -> list[ProbeResult]:
        return [p for p in self.probes if p.outcome == oc.AUTH_FAILED]

    def probe_dicts(self) -> list[dict[str, Any]]:
        """The ``probes`` list of the JSON document."""
        return [p.to_dict() for p in self.probes]


def run_probes(
    source: CredentialSource | None,
    *,
    region: str | None,
    profile: str,
    explicit_profile: bool,
    endpoint_url: str | None,
    plan: ProbePlan,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    settings: Mapping[str, Any] | None = None,
    region_origin: str | None = None,
    meanwhile: Callable[[], None] | None = None,
    environ: Mapping[str, str] | None = None,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> ProbeReport:
    """Ask AWS as the SDK in this shell would, concurrently; never raises for AWS's sake.

    ``settings`` is the profile's configuration as the audit read it; with it, the probes
    may skip botocore's client machinery where it would change nothing (see
    :mod:`keydoctor.probes.wire`). ``region_origin`` says where ``region`` came from (the
    audit's words), so a wrong region's fix changes it there. ``environ`` and ``profiles``
    (the audited variables and every profile's settings) let the provider probes
    (:mod:`keydoctor.probes.providers`) make each provider's own request: the container
    endpoint, web identity, each hop of a role chain. ``meanwhile`` runs once
    every question is on its way, while the answers travel: the caller's own preparation
    (imports of what reads the answers) then costs no wall time.
    """
    used_region = region or "us-east-1"
    target = Target(
        region=used_region,
        endpoint_url=endpoint_url,
        profile=profile if explicit_profile else None,
        source=source,
        timeout=timeout,
        settings=settings,
    )
    walked: list[ProviderCheck] | None = None
    if environ is not None and source is not None and source.method in ("assume-role", "sso"):
        # A role chain is walked first, hop by hop: when it holds, the other probes ask
        # with the last hop's credentials (the very ones botocore would obtain), instead
        # of botocore assuming every role again; when it breaks, botocore's own chain
        # asks, and its error is judged as before. SSO likewise: GetRoleCredentials with
        # the cached token first, and its keys for the other probes.
        from keydoctor.probes.providers import role_chain_check, sso_check

        if source.method == "sso":
            walked = [sso_check(source, environ, profiles or {}, target)]
        else:
            walked = [role_chain_check(profiles or {}, source, target)]
        obtained = walked[0].keys
        if obtained is not None:
            source = dataclasses.replace(
                source,
                access_key_id=obtained.access_key_id,
                secret_access_key=Secret(obtained.secret_access_key),
                session_token=Secret(obtained.session_token) if obtained.session_token else None,
            )
            target = dataclasses.replace(target, source=source)
    transport = Transport(target)
    transport.prepare_direct()
    key = plan.key
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="probe") as pool:
        sts_future = pool.submit(who_am_i, transport)
        provider_future = None
        if (
            environ is not None
            and walked is None
            and source is not None
            and source.method in PROVIDER_METHODS
        ):
            from keydoctor.probes.providers import provider_checks

            provider_future = pool.submit(
                provider_checks, source, env=environ, profiles=profiles or {}, target=target
            )
        list_future = pool.submit(s3_probes.list_buckets, transport)
        region_futures: list[Future[ProbeResult]] = []
        bucket_futures: list[tuple[str, Future[ProbeResult]]] = []
        for bucket in plan.buckets:
            region_futures.append(pool.submit(s3_probes.bucket_region, transport, bucket))
            bucket_futures.append(
                (bucket, pool.submit(s3_probes.list_objects, transport, bucket, key))
            )
            if key and not key.endswith("/"):
                bucket_futures.append(
                    (bucket, pool.submit(s3_probes.head_object, transport, bucket, key))
                )
            if plan.write_test:
                bucket_futures.append(
                    (bucket, pool.submit(s3_probes.write_test, transport, bucket, key))
                )
        temporary = bool(source and (source.access_key_id or "").strip().startswith("ASIA"))
        temporary = temporary or bool(source and source.method == "sso")  # role credentials
        keys_future = None if temporary else pool.submit(access_keys, transport)
        # The network path is traced beside the questions, never in their way.
        path_futures = []
        if environ is not None:
            path_futures = [
                pool.submit(trace, url, environ, settings or {}, timeout)
                for url in hosts_to_call(
                    used_region, endpoint_url, plan.buckets, environ, settings or {}
                )
            ]
        total = 2 + len(region_futures) + len(bucket_futures) + (keys_future is not None)
        done = 0

        def tick(_: object) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(f"asking AWS: {done}/{total} answers")

        watched: list[Future[Any]] = [sts_future, list_future, *region_futures]
        watched.extend(f for _, f in bucket_futures)
        if keys_future is not None:
            watched.append(keys_future)
        for fut in watched:
            fut.add_done_callback(tick)
        if meanwhile is not None:
            meanwhile()
        # What judges the answers (it loads the rules) is loaded while they travel. Only
        # this thread imports it: no probe thread loads the rules' package.
        from keydoctor.probes import verdicts
        from keydoctor.probes.rules import (
            LIST_BUCKETS_DENIED,
            PROVIDER_FAILED,
            ROLE_NOT_ASSUMABLE,
        )

        sts_probe, identity = sts_future.result()
        probes: list[ProbeResult] = [sts_probe, list_future.result()]
        region_probes = [f.result() for f in region_futures]
        probes.extend(region_probes)
        bucket_probes = [(b, f.result()) for b, f in bucket_futures]
        probes.extend(p for _, p in bucket_probes)
        keys_report: KeysReport | None = None
        # What the endpoint offers, judged from these answers alone (no request of its own).
        keys_probe = keys_future.result().probe if keys_future is not None else None
        endpoint = caps.Endpoint.of(endpoint_url, probes + ([keys_probe] if keys_probe else []))
        offered = caps.assess(endpoint, sts_probe, keys_probe, probes[1:])
        if not offered.sts:
            caps.mark_not_offered(sts_probe, offered.sts_said)
        if not offered.iam and keys_probe is not None:
            caps.mark_not_offered(keys_probe, offered.iam_said)
        if keys_future is not None:
            keys_report = keys_future.result()
            if identity is not None and identity.principal_type != IAM_USER:
                keys_report = None  # roles and root have no user keys to list
            elif keys_report.probe.outcome in (
                oc.AUTH_FAILED,
                oc.UNREACHABLE,
                oc.NOT_AWS,
                oc.SERVER_ERROR,
                oc.PROVIDER,
                oc.SKIPPED,
            ):
                probes.append(keys_report.probe)
                keys_report = None
            else:
                probes.append(keys_report.probe)
                if keys_report.attached_probe is not None:
                    probes.append(keys_report.attached_probe)

        if any(p.outcome == oc.AUTH_FAILED for p in probes):
            for probe in probes:
                if probe.outcome == oc.DENIED and probe.failure and probe.failure.code == "403":
                    # A HEAD answer has no body: its 403 cannot tell a denial from the
                    # refused keys the other probes report.
                    probe.outcome = oc.ERROR
                    probe.answer = "403 without a reason (HEAD answers have no body)"
        findings: list[Finding] = []
        skew = verdicts.clock_skew(probes)
        findings.extend(verdicts.provider_findings(probes, source))
        findings.extend(verdicts.capability_findings(offered))
        findings.extend(verdicts.auth_findings(probes, source, skew, endpoint))
        findings.extend(verdicts.reach_findings(probes, endpoint))
        findings.extend(verdicts.identity_findings(identity, plan.expect_account))
        findings.extend(
            verdicts.s3_findings(
                region_probes, region, used_region, profile, endpoint, region_origin=region_origin
            )
        )
        list_probe = probes[1]
        if list_probe.outcome == oc.DENIED and identity is not None:
            findings.append(
                LIST_BUCKETS_DENIED.finding(
                    "ListBuckets (aws s3 ls) was denied: the caller may not list all buckets. "
                    "Most programs do not need it.",
                    'If you want aws s3 ls to work, add {"Effect": "Allow", "Action": '
                    '"s3:ListAllMyBuckets", "Resource": "*"}',
                )
            )
        findings.extend(
            verdicts.iam_findings(
                keys_report, source, endpoint=endpoint, identity_known=identity is not None
            )
        )
        findings.extend(
            verdicts.missing_object_finding(p)
            for _, p in bucket_probes
            if p.operation == "HeadObject" and p.outcome == oc.NOT_FOUND
        )

        denied = [(b, p) for b, p in bucket_probes if p.outcome == oc.DENIED]
        reading: PolicyReading | None = None
        if denied and identity is None:
            # No caller to read policies for: every denial is still a finding.
            findings.extend(
                verdicts.denial_without_identity(probe, bucket, key, offered)
                for bucket, probe in denied
            )
        elif denied and identity is not None:
            # Only a denial is explained from policies: a healthy check never loads the
            # evaluator's readers of IAM, bucket and KMS key policies.
            from keydoctor.probes import kms, why
            from keydoctor.probes.policy import ALLOWED, evaluate

            if progress is not None:
                progress("reading the caller's own policies to explain a denial")
            reading = read_own_policies(transport, identity)
            if reading.probe is not None:
                probes.append(reading.probe)
            bucket_policies: dict[str, dict[str, Any] | None] = {}
            bucket_keys: dict[str, kms.BucketKey] = {}
            secure = not endpoint_url or endpoint_url.lower().startswith("https:")
            for bucket, probe in denied:
                verdict = None
                if reading.complete and probe.action and probe.resource:
                    # The bucket policy takes part in every denial (a Deny, or an Allow
                    # for someone else), when the caller may read it.
                    if bucket not in bucket_policies:
                        policy_probe, document = s3_probes.bucket_policy(transport, bucket)
                        probes.append(policy_probe)
                        bucket_policies[bucket] = document
                    boundary = reading.boundary
                    verdict = why.verdict(
                        why.decide(
                            reading.policies,
                            bucket_policies[bucket],
                            bucket,
                            identity,
                            probe,
                            key,
                            secure,
                            boundary,
                        ),
                        unread=tuple(x for x in (reading.boundary_problem,) if x),
                        limited_by=boundary.name if boundary is not None else None,
                    )
                if (verdict is not None and verdict.decision == ALLOWED
                        and probe.action in ("s3:GetObject", "s3:PutObject")):
                    # IAM and the bucket allow it: S3 also asks KMS, as the caller, when
                    # the bucket encrypts with a KMS key.
                    if bucket not in bucket_keys:
                        where = next((str(r.data["region"]) for r in region_probes
                                      if r.name.split(" ", 1)[1:] == [bucket]
                                      and r.data.get("region")), used_region)
                        found = kms.bucket_key(transport, bucket, where, identity.account)
                        probes.extend(found.probes)
                        bucket_keys[bucket] = found

                    def decide(document: dict[str, Any], arn: str, p: ProbeResult = probe,
                               who: Identity = identity,
                               read: PolicyReading = reading) -> Decision | None:
                        return why.decide_kms(read.policies, document, arn, who, p, key,
                                              secure, read.boundary)

                    def grants(arn: str, kms_action: str,
                               who: Identity = identity) -> kms.GrantReading:
                        # A key ARN names its region: ListGrants goes where the key lives.
                        grant = kms.caller_grant(transport, arn, arn.split(":")[3] or used_region,
                                                 kms.principal_arns(who.arn, who.account),
                                                 kms_action)
                        probes.append(grant.probe)
                        return grant

                    verdict = kms.explain(bucket_keys[bucket], probe.action, verdict, decide,
                                          grants)
                if (
                    verdict is not None
                    and verdict.decision == ALLOWED
                    and probe.action == "s3:GetObject"
                    and evaluate(
                        reading.policies, "s3:ListBucket", f"arn:aws:s3:::{bucket}"
                    ).decision
                    != ALLOWED
                ):
                    # Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key.
                    findings.append(verdicts.missing_object_finding(probe, hidden=True))
                    continue
                findings.append(
                    verdicts.denial_finding(probe, verdict, reading.problem, bucket, key, endpoint)
                )
        checked = walked or []
        if provider_future is not None:
            checked = provider_future.result()
        if checked:
            # The provider's own requests are listed first (they say why the others could
            # not ask), but judged only by their own module: a metadata endpoint that does
            # not answer is no unreachable AWS endpoint.
            probes[:0] = [p for c in checked for p in c.probes]
            specific = [f for c in checked for f in c.findings]
            if specific:
                # The provider's own finding names the failing piece and its fix; the
                # generic "provider failed" / "role cannot be assumed" would only restate it.
                generic = {PROVIDER_FAILED.code, ROLE_NOT_ASSUMABLE.code}
                findings = [f for f in findings if f.code not in generic]
            findings.extend(specific)
    regions = {
        p.name.split(" ", 1)[1]: str(p.data["region"])
        for p in region_probes
        if p.data.get("region")
    }
    network = [f.result() for f in path_futures]
    return ProbeReport(
        network=network,
        identity=identity,
        probes=probes,
        findings=findings,
        skew_seconds=skew,
        region_used=used_region,
        keys=keys_report,
        policies=reading,
        bucket_regions=regions,
        capabilities=offered,
    )
