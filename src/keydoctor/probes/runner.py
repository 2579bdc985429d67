"""Run every probe concurrently and gather their answers into one :class:`ProbeReport`.

Phase one asks everything that needs no earlier answer at once (who am I, list buckets,
each bucket's region, list, read and write tests, the user's keys). Phase two runs only
when something was denied: it reads the caller's own policies to say why. Each probe
has its own timeout, so the whole run takes about the slowest single answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from keydoctor.model import CredentialSource, Finding
from keydoctor.probes import capabilities as caps
from keydoctor.probes import outcome as oc
from keydoctor.probes import s3 as s3_probes
from keydoctor.probes import verdicts, why
from keydoctor.probes.iam import KeysReport, PolicyReading, access_keys, read_own_policies
from keydoctor.probes.identity import IAM_USER, Identity, who_am_i
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.policy import ALLOWED, evaluate
from keydoctor.probes.rules import LIST_BUCKETS_DENIED
from keydoctor.probes.transport import DEFAULT_TIMEOUT, Target, Transport

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
) -> ProbeReport:
    """Ask AWS as the SDK in this shell would, concurrently; never raises for AWS's sake.

    ``settings`` is the profile's configuration as the audit read it; with it, the probes
    may skip botocore's client machinery where it would change nothing (see
    :mod:`keydoctor.probes.wire`). ``region_origin`` says where ``region`` came from (the
    audit's words), so a wrong region's fix changes it there. ``meanwhile`` runs once
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
    transport = Transport(target)
    key = plan.key
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="probe") as pool:
        sts_future = pool.submit(who_am_i, transport)
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
        keys_future = None if temporary else pool.submit(access_keys, transport)
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
            if progress is not None:
                progress("reading the caller's own policies to explain a denial")
            reading = read_own_policies(transport, identity)
            if reading.probe is not None:
                probes.append(reading.probe)
            bucket_policies: dict[str, dict[str, Any] | None] = {}
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
                    verdict = why.verdict(why.decide(
                        reading.policies, bucket_policies[bucket], bucket, identity, probe,
                        key, secure))
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
    regions = {
        p.name.split(" ", 1)[1]: str(p.data["region"])
        for p in region_probes
        if p.data.get("region")
    }
    return ProbeReport(
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
