"""The KMS half of a denied S3 request on SSE-KMS objects: which key, and its key policy.

S3 asks KMS as the caller (``kms:Decrypt`` to read, ``kms:GenerateDataKey`` to write), so
an S3 request that every S3 policy allows can still be refused by the key. The key policy
is the key's resource policy, and the primary one: AWS's "Key policies in AWS KMS" page says
IAM policies "are not effective" for a key unless its key policy allows the account
(``arn:aws:iam::ACCOUNT:root``); the evaluator applies that rule. Here only the reading:
what the caller may read is read, and what it may not is named, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.policy import Verdict, parse_document
from keydoctor.probes.transport import Transport

if TYPE_CHECKING:
    from keydoctor.policy import Decision

# The AWS managed key for S3 lets every principal of the account use it through S3; its
# policy cannot be changed, so it never decides a denial.
AWS_MANAGED_S3 = "aws/s3"


@dataclass
class KeyReading:
    """The key a denied object request needs, and its key policy, or why it is unknown."""

    key: str  # as the bucket's configuration names it
    arn: str | None = None
    document: dict[str, Any] | None = None
    problem: str | None = None  # "depends on ...": what could not be read, and why
    probes: list[ProbeResult] = field(default_factory=list)


def _refused(probe: ProbeResult) -> str:
    code = probe.failure.code if probe.failure else "error"
    return f"{probe.name.split(' ', 1)[0]} was refused ({code})"


def key_arn(key: str, region: str, account: str) -> str | None:
    """The ARN of a key named by id or ARN; None for an alias (only KMS can resolve it)."""
    if key.startswith("arn:") and ":key/" in key:
        return key
    if key.startswith("arn:") or key.startswith("alias/"):
        return None
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def read_key(transport: Transport, key: str, region: str, account: str) -> KeyReading:
    """Resolve ``key`` (DescribeKey for an alias) and read its "default" key policy."""
    reading = KeyReading(key)
    arn = key_arn(key, region, account)
    if arn is None:
        probe = ProbeResult(name=f"kms:DescribeKey {key}", service="kms",
                            operation="DescribeKey",
                            asked=f"Which key is {key}? (to explain a denial)",
                            action="kms:DescribeKey")
        answer = transport.ask(probe, lambda c: c.describe_key(KeyId=key), region=region)
        reading.probes.append(probe)
        arn = (answer or {}).get("KeyMetadata", {}).get("Arn")
        probe.answer = f"key {arn}" if arn else f"could not resolve it ({_refused(probe)})"
        if not arn:
            reading.problem = (f"depends on the KMS key policy of key {key}, which keydoctor "
                               f"could not resolve ({_refused(probe)})")
            return reading
    reading.arn = str(arn)
    probe = ProbeResult(name=f"kms:GetKeyPolicy {arn}", service="kms", operation="GetKeyPolicy",
                        asked="Does the key policy let me use the key? (to explain a denial)",
                        action="kms:GetKeyPolicy", resource=str(arn))
    answer = transport.ask(
        probe, lambda c: c.get_key_policy(KeyId=str(arn), PolicyName="default"), region=region)
    reading.probes.append(probe)
    if answer is None:
        probe.answer = f"could not read it ({probe.failure.code if probe.failure else 'error'})"
        reading.problem = (f"depends on the KMS key policy of key {arn}, which keydoctor "
                           f"could not read ({_refused(probe)})")
        return reading
    reading.document = parse_document(answer.get("Policy"))
    if reading.document is None:
        probe.answer = "unreadable key policy document"
        reading.problem = (f"depends on the KMS key policy of key {arn}, whose document "
                           "is unreadable")
    else:
        probe.answer = "read"
    return reading


@dataclass
class BucketKey:
    """What a bucket's default encryption says about its KMS key, read once per bucket."""

    key: KeyReading | None  # None: no SSE-KMS default, or the AWS managed key
    problem: str | None  # the default encryption could not be read
    probes: list[ProbeResult]


def bucket_key(transport: Transport, bucket: str, region: str, account: str) -> BucketKey:
    """The bucket's default SSE-KMS key and its key policy, as far as the caller may read."""
    from keydoctor.probes import s3 as s3_probes

    probe, key = s3_probes.bucket_encryption(transport, bucket)
    if key is None:
        problem = None
        if probe.failure is not None and probe.failure.status != 404:
            problem = (f"the default encryption of bucket {bucket} could not be read "
                       f"({_refused(probe)}): if it is SSE-KMS, its key's policy could "
                       "change the answer")
        return BucketKey(None, problem, [probe])
    if key in (AWS_MANAGED_S3, f"alias/{AWS_MANAGED_S3}"):
        return BucketKey(None, None, [probe])
    if key.startswith("arn:") and key.count(":") >= 5:
        region = key.split(":")[3] or region
    reading = read_key(transport, key, region, account)
    return BucketKey(reading, None, [probe, *reading.probes])


def explain(found: BucketKey, s3_action: str, verdict: Verdict,
            decide: Callable[[dict[str, Any], str], Decision | None]) -> Verdict:
    """The S3 verdict (IAM and the bucket allow) completed by the KMS half.

    ``decide(document, arn)`` runs the evaluator on the key policy. A KMS denial becomes the
    verdict; a part that could not be read is added to the S3 verdict's details.
    """
    from keydoctor.probes import why

    notes = [found.problem] if found.problem else []
    reading = found.key
    if reading is not None and reading.problem:
        notes.append(reading.problem)
    if reading is not None and reading.document is not None and reading.arn is not None:
        decision = decide(reading.document, reading.arn)
        if decision is not None:
            kms = why.kms_verdict(decision, s3_action, verdict.allow_policy,
                                  reading.arn)
            if kms is not None:
                # What the S3 half could not see (a boundary, context) still stands.
                if verdict.detail:
                    kms.detail = f"{kms.detail} {verdict.detail}" if kms.detail else \
                        verdict.detail
                return kms
    if notes:
        extra = " ".join(n[0].upper() + n[1:] + "." for n in notes)
        verdict.detail = f"{verdict.detail} {extra}" if verdict.detail else extra
    return verdict
