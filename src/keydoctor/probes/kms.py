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
from keydoctor.probes.policy import NO_ALLOW, Verdict, parse_document
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


# ListGrants answers at most this many grants per page; one page is read.
GRANTS_PAGE = 100


@dataclass
class GrantReading:
    """Whether a grant on the key lets the caller do what S3 asks KMS for.

    Grants are the key's other way to allow (AWS's "Grants in AWS KMS" page): a grant whose
    grantee is the caller and whose operations include the one S3 needs allows it even when
    the key policy does not. An explicit Deny still wins over a grant, so grants are read only
    for a key policy that simply does not allow.
    """

    grant_id: str | None  # the grant that allows, when one does
    problem: str | None  # "a grant ... could still allow it": what could not be decided
    probe: ProbeResult


def principal_arns(arn: str, account: str) -> frozenset[str]:
    """The ARNs a grant may name for this caller: its own, and its role's for a session.

    A grant names an IAM principal; an assumed-role session (``arn:aws:sts::A:assumed-role/
    R/s``) is matched by its role ``arn:aws:iam::A:role/R``.
    """
    arns = {arn}
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        arns.add(f"arn:aws:iam::{account}:role/{role}")
    return frozenset(arns)


def caller_grant(transport: Transport, arn: str, region: str, principals: frozenset[str],
                 kms_action: str) -> GrantReading:
    """Read the key's grants (one page) and find one that lets ``principals`` do
    ``kms_action`` (``kms:Decrypt`` / ``kms:GenerateDataKey``)."""
    operation = kms_action.split(":", 1)[-1]
    probe = ProbeResult(name=f"kms:ListGrants {arn}", service="kms", operation="ListGrants",
                        asked=f"Does a grant let me call {kms_action}? (to explain a denial)",
                        action="kms:ListGrants", resource=arn)
    answer = transport.ask(probe, lambda c: c.list_grants(KeyId=arn, Limit=GRANTS_PAGE),
                           region=region)
    if answer is None:
        probe.answer = f"could not read them ({probe.failure.code if probe.failure else 'error'})"
        return GrantReading(None, f"a grant on key {arn} could still allow {kms_action}: "
                            f"keydoctor could not list the grants ({_refused(probe)})", probe)
    grants = [g for g in answer.get("Grants") or [] if isinstance(g, dict)]
    mine = [g for g in grants if g.get("GranteePrincipal") in principals
            and operation in (g.get("Operations") or [])]
    plain = [g for g in mine if not g.get("Constraints")]
    if plain:
        grant_id = str(plain[0].get("GrantId", "?"))
        probe.answer = f"grant {grant_id} allows {kms_action}"
        return GrantReading(grant_id, None, probe)
    problem = None
    if mine:
        # S3 sends the encryption context aws:s3:arn; a constrained grant turns on it.
        problem = (f"grant {mine[0].get('GrantId', '?')} on key {arn} allows {kms_action} "
                   "only for a given encryption context (S3 sends aws:s3:arn): it could "
                   "allow this request")
    elif answer.get("Truncated"):
        problem = (f"key {arn} has more than {GRANTS_PAGE} grants and keydoctor read the "
                   f"first {GRANTS_PAGE}: a later one could allow {kms_action}")
    probe.answer = (f"{len(grants)} grant(s), none lets the caller call {kms_action}"
                    if problem is None else f"{len(grants)} grant(s) read; see the finding")
    return GrantReading(None, problem, probe)


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
            decide: Callable[[dict[str, Any], str], Decision | None],
            grants: Callable[[str, str], GrantReading] | None = None) -> Verdict:
    """The S3 verdict (IAM and the bucket allow) completed by the KMS half.

    ``decide(document, arn)`` runs the evaluator on the key policy. A KMS denial becomes the
    verdict; a part that could not be read is added to the S3 verdict's details. When the key
    policy simply does not allow, ``grants(arn, kms_action)`` reads the key's grants: a grant
    for the caller allows, so the key policy is not named as the refusal.
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
            if kms is not None and kms.decision == NO_ALLOW and grants is not None \
                    and kms.kms_action:
                grant = grants(reading.arn, kms.kms_action)
                if grant.grant_id is not None:
                    notes.append(f"grant {grant.grant_id} on KMS key {reading.arn} lets the "
                                 f"caller call {kms.kms_action}, so the key does not refuse")
                    kms = None
                elif grant.problem:
                    kms.detail = f"{kms.detail} {_sentence(grant.problem)}" if kms.detail \
                        else _sentence(grant.problem)
            if kms is not None:
                # What the S3 half could not see (a boundary, context) still stands.
                if verdict.detail:
                    kms.detail = f"{kms.detail} {verdict.detail}" if kms.detail else \
                        verdict.detail
                return kms
    if notes:
        extra = " ".join(_sentence(n) for n in notes)
        verdict.detail = f"{verdict.detail} {extra}" if verdict.detail else extra
    return verdict


def _sentence(note: str) -> str:
    return note[0].upper() + note[1:] + "."
