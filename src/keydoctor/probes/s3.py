"""The S3 questions of the troubleshooting pages: can I list my buckets, where does this
bucket live, may I list it, may I read the key, may I write (only when asked)."""

from __future__ import annotations

from typing import Any

from keydoctor.probes import outcome as oc
from keydoctor.probes.arns import grant_resource, object_resource
from keydoctor.probes.identity import describe_failure
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import Transport


def _explain(probe: ProbeResult, ok_text: str) -> None:
    if probe.ok:
        probe.answer = ok_text
    elif probe.failure is not None:
        words = {
            oc.DENIED: "denied",
            oc.NOT_FOUND: "not found",
        }.get(probe.outcome)
        detail = f"{probe.failure.code}"
        probe.answer = f"{words} ({detail})" if words else describe_failure(probe)


def list_buckets(transport: Transport) -> ProbeResult:
    probe = ProbeResult(
        name="s3:ListBuckets",
        service="s3",
        operation="ListBuckets",
        asked="Which buckets can I see? (aws s3 ls)",
        action="s3:ListAllMyBuckets",
        resource="*",
    )
    answer = transport.ask(probe, lambda c: c.list_buckets())
    if answer is not None:
        names = [str(b.get("Name")) for b in answer.get("Buckets", [])]
        probe.data["buckets"] = names
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        probe.answer = f"{len(names)} bucket(s)" + (f": {shown}" if names else "")
    else:
        _explain(probe, "")
    return probe


def region_of_location(constraint: object) -> str:
    """GetBucketLocation's LocationConstraint as a region name.

    For historical reasons S3 answers an empty constraint for us-east-1 and ``EU`` for
    eu-west-1; every other value is the region itself.
    """
    if constraint is None or constraint == "":
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def bucket_region(transport: Transport, bucket: str) -> ProbeResult:
    """Where the bucket lives: x-amz-bucket-region on HeadBucket (also on 301/403 answers),
    else GetBucketLocation."""
    probe = ProbeResult(
        name=f"s3:HeadBucket {bucket}",
        service="s3",
        operation="HeadBucket",
        asked=f"Does bucket {bucket} exist, and in which region?",
        action="s3:ListBucket",
        resource=f"arn:aws:s3:::{bucket}",
    )
    transport.ask(probe, lambda c: c.head_bucket(Bucket=bucket))
    region = probe.headers.get("x-amz-bucket-region")
    if region is None and probe.outcome in (oc.OK, oc.DENIED):
        location = ProbeResult(
            name=f"s3:GetBucketLocation {bucket}",
            service="s3",
            operation="GetBucketLocation",
            asked="",
        )
        answer = transport.ask(location, lambda c: c.get_bucket_location(Bucket=bucket))
        probe.duration_ms += location.duration_ms
        if answer is not None:
            region = region_of_location(answer.get("LocationConstraint"))
        elif location.failure is not None:
            # Why neither answer named the region: what `fix set-region` reports.
            probe.data["location_failure"] = location.failure.code
    if region:
        probe.data["region"] = region
    if probe.outcome == oc.NOT_FOUND:
        probe.answer = "the bucket does not exist (404)"
    elif region:
        state = {
            oc.OK: "exists",
            oc.DENIED: "exists, HeadBucket denied",
            oc.REDIRECT: "exists, S3 redirects",
        }.get(probe.outcome, probe.outcome)
        probe.answer = f"{state}; region {region}"
    else:
        _explain(probe, "exists; region not reported")
    return probe


def list_objects(transport: Transport, bucket: str, key: str | None) -> ProbeResult:
    prefix = key.lstrip("/") if key and key.endswith("/") else None
    probe = ProbeResult(
        name=f"s3:ListObjectsV2 {bucket}",
        service="s3",
        operation="ListObjectsV2",
        asked=f"May I list bucket {bucket}" + (f" under {prefix}?" if prefix else "?"),
        action="s3:ListBucket",
        resource=f"arn:aws:s3:::{bucket}",
    )
    params: dict[str, object] = {"Bucket": bucket, "MaxKeys": 1}
    if prefix:
        params["Prefix"] = prefix
    answer = transport.ask(probe, lambda c: c.list_objects_v2(**params))
    if answer is not None:
        probe.answer = "allowed" + (" (empty)" if not answer.get("KeyCount") else "")
    else:
        _explain(probe, "")
    return probe


def head_object(transport: Transport, bucket: str, key: str) -> ProbeResult:
    clean = key.lstrip("/")
    probe = ProbeResult(
        name=f"s3:HeadObject {bucket}/{clean}",
        service="s3",
        operation="HeadObject",
        asked=f"May I read s3://{bucket}/{clean}?",
        action="s3:GetObject",
        resource=object_resource(bucket, clean),
    )
    answer = transport.ask(probe, lambda c: c.head_object(Bucket=bucket, Key=clean))
    if answer is not None:
        probe.answer = f"allowed ({answer.get('ContentLength', 0)} bytes)"
    else:
        _explain(probe, "")
    return probe


def write_test(transport: Transport, bucket: str, key: str | None) -> ProbeResult:
    """Write one uniquely named empty object, then delete it."""
    base = grant_resource(bucket, key)[len(f"arn:aws:s3:::{bucket}/") : -1]
    import uuid  # only the write test needs it; uuid is slow to import

    name = f"{base}keydoctor-write-test-{uuid.uuid4().hex}"
    probe = ProbeResult(
        name=f"s3:PutObject {bucket}",
        service="s3",
        operation="PutObject",
        asked=f"May I write to s3://{bucket}/{base}? (one empty object, deleted after)",
        action="s3:PutObject",
        resource=f"arn:aws:s3:::{bucket}/{name}",
    )
    answer = transport.ask(probe, lambda c: c.put_object(Bucket=bucket, Key=name, Body=b""))
    if answer is None:
        _explain(probe, "")
        return probe
    cleanup = ProbeResult(name="", service="s3", operation="DeleteObject", asked="")
    transport.ask(cleanup, lambda c: c.delete_object(Bucket=bucket, Key=name))
    probe.duration_ms += cleanup.duration_ms
    if cleanup.ok:
        probe.answer = "allowed (test object written and deleted)"
    else:
        code = cleanup.failure.code if cleanup.failure else "error"
        probe.answer = (
            f"allowed, but deleting the test object failed ({code}): remove s3://{bucket}/{name}"
        )
    return probe


def bucket_policy(transport: Transport, bucket: str) -> tuple[ProbeResult, dict[str, Any] | None]:
    """The bucket's policy, when the caller may read it (to find a Deny that IAM cannot show)."""
    probe = ProbeResult(
        name=f"s3:GetBucketPolicy {bucket}",
        service="s3",
        operation="GetBucketPolicy",
        asked=f"Does the policy of bucket {bucket} deny me? (to explain a denial)",
        action="s3:GetBucketPolicy",
        resource=f"arn:aws:s3:::{bucket}",
    )
    answer = transport.ask(probe, lambda c: c.get_bucket_policy(Bucket=bucket))
    if answer is None:
        code = probe.failure.code if probe.failure else "error"
        probe.answer = (
            "no bucket policy" if code == "NoSuchBucketPolicy" else (f"could not read it ({code})")
        )
        return probe, None
    from keydoctor.probes.policy import parse_document  # only a denial reads a policy

    document = parse_document(answer.get("Policy"))
    probe.answer = "read" if document is not None else "unreadable policy document"
    return probe, document


def bucket_encryption(transport: Transport, bucket: str) -> tuple[ProbeResult, str | None]:
    """The KMS key the bucket encrypts new objects with by default, when it uses SSE-KMS.

    Returns the key as the configuration names it (an id, ARN or alias), ``"aws/s3"`` for
    the AWS managed key, or None: no SSE-KMS default, or the configuration was not readable
    (the probe's failure says which).
    """
    probe = ProbeResult(
        name=f"s3:GetBucketEncryption {bucket}",
        service="s3",
        operation="GetBucketEncryption",
        asked=f"Does bucket {bucket} encrypt with a KMS key? (to explain a denial)",
        action="s3:GetEncryptionConfiguration",
        resource=f"arn:aws:s3:::{bucket}",
    )
    answer = transport.ask(probe, lambda c: c.get_bucket_encryption(Bucket=bucket))
    if answer is None:
        if probe.failure is not None and probe.failure.status == 404:
            probe.answer = "no default encryption"
        else:
            probe.answer = f"could not read it ({probe.failure.code if probe.failure else 'error'})"
        return probe, None
    rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            key = str(default.get("KMSMasterKeyID") or "aws/s3")
            probe.answer = f"SSE-KMS with key {key}"
            return probe, key
    probe.answer = "no SSE-KMS default"
    return probe, None
