"""Why a live S3 request was denied, by the same evaluator as ``keydoctor policy simulate``.

When a probe is denied and the caller may read its own policies, the identity policies
(inline, attached, groups) and the bucket policy go through :mod:`keydoctor.policy` with
the request context a probe really knows: the caller's ARN, account and user name, the
time, whether the endpoint is HTTPS, and the S3 keys of the very request (``s3:prefix``,
``s3:max-keys``). Everything else the request carries (``aws:SourceIp``, VPC endpoint,
principal tags, MFA, organisation) keydoctor cannot see from here: a condition on such a
key is reported as "depends on", never guessed. What the caller cannot read (SCPs, RCPs,
a session policy) is named as a place that could change the answer. The caller's
permissions boundary is read when it may be (``iam:GetUser`` / ``iam:GetRole``); when it
may not, the answer says so instead of assuming there is none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from keydoctor.probes.policy import (
    ALLOWED,
    BOUNDARY,
    EXPLICIT_DENY,
    KMS_KEY,
    NO_ALLOW,
    NamedPolicy,
    Verdict,
)

if TYPE_CHECKING:
    from keydoctor.policy import Decision
    from keydoctor.probes.identity import Identity
    from keydoctor.probes.outcome import ProbeResult

# Global keys a probe sets itself; any other aws: key is unknown from here.
KNOWN_GLOBAL = frozenset(
    {
        "aws:securetransport",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:username",
        "aws:userid",
        "aws:principaltype",
        "aws:currenttime",
        "aws:epochtime",
        "aws:resourceaccount",
    }
)


def context_for(
    identity: Identity, probe: ProbeResult, key: str | None, secure: bool
) -> list[tuple[str, str]]:
    """The request context keys the probe's own request carried, as AWS would see them."""
    now = datetime.now(UTC)
    pairs = [
        ("aws:SecureTransport", "true" if secure else "false"),
        ("aws:PrincipalAccount", identity.account),
        ("aws:userid", identity.user_id),
        ("aws:CurrentTime", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("aws:EpochTime", str(int(now.timestamp()))),
    ]
    if identity.principal_type == "iam-user":
        pairs += [
            ("aws:PrincipalArn", identity.arn),
            ("aws:username", identity.name or ""),
            ("aws:PrincipalType", "User"),
        ]
    elif identity.principal_type == "assumed-role" and identity.name:
        role = f"arn:aws:iam::{identity.account}:role/{identity.name}"
        pairs += [("aws:PrincipalArn", role), ("aws:PrincipalType", "AssumedRole")]
    if probe.operation == "ListObjectsV2":
        pairs.append(("s3:max-keys", "1"))
        if key and key.endswith("/"):
            pairs.append(("s3:prefix", key.lstrip("/")))
    return pairs


def _policies(named: list[NamedPolicy]) -> tuple[Any, ...]:
    from keydoctor.policy.model import policy_from_document

    return tuple(policy_from_document(p.document, p.name) for p in named)


def decide(
    identity_policies: list[NamedPolicy],
    bucket_document: dict[str, Any] | None,
    bucket: str,
    identity: Identity,
    probe: ProbeResult,
    key: str | None,
    secure: bool,
    boundary: NamedPolicy | None = None,
) -> Decision | None:
    """The evaluator's answer for one probe; None when a document cannot be evaluated."""
    from keydoctor.errors import KeydoctorError
    from keydoctor.policy import PolicySet, build_request, evaluate
    from keydoctor.policy.model import policy_from_document

    if not probe.action or not probe.resource:
        return None
    try:
        request, _ignored = build_request(
            probe.action, probe.resource, identity.arn, context_for(identity, probe, key, secure)
        )
        resource = (
            policy_from_document(bucket_document, f"the bucket policy of {bucket}")
            if bucket_document is not None
            else None
        )
        return evaluate(
            request,
            PolicySet(
                identity=_policies(identity_policies),
                resource=resource,
                boundary=_policies([boundary])[0] if boundary is not None else None,
            ),
        )
    except KeydoctorError:
        return None


def decide_kms(
    identity_policies: list[NamedPolicy],
    key_document: dict[str, Any],
    key_arn: str,
    identity: Identity,
    probe: ProbeResult,
    key: str | None,
    secure: bool,
    boundary: NamedPolicy | None = None,
) -> Decision | None:
    """The KMS half of an S3 object request: the caller's KMS action on the object's key.

    The key policy is the resource policy of this half (the evaluator's ``kms-key-policy``
    layer, where IAM policies count only if the key policy allows the account), and the
    caller's identity policies and boundary take part as in any request. None when the
    probe is not a GET or PUT of an object, or a document cannot be evaluated.
    """
    from keydoctor.errors import KeydoctorError
    from keydoctor.policy import PolicySet, evaluate, kms_request
    from keydoctor.policy.evaluate import KMS_KEY as LAYER
    from keydoctor.policy.model import policy_from_document

    if not probe.action:
        return None
    try:
        half = kms_request(
            probe.action, key_arn, identity.arn, context_for(identity, probe, key, secure)
        )
        if half is None:
            return None
        return evaluate(
            half[0],
            PolicySet(
                identity=_policies(identity_policies),
                resource=policy_from_document(key_document, key_policy_name(key_arn)),
                resource_layer=LAYER,
                boundary=_policies([boundary])[0] if boundary is not None else None,
            ),
        )
    except KeydoctorError:
        return None


def key_policy_name(key_arn: str) -> str:
    """How a key policy is named in a finding."""
    return f"the key policy of KMS key {key_arn}"


def kms_verdict(
    decision: Decision, s3_action: str, s3_allowed_by: str | None, key_arn: str
) -> Verdict | None:
    """A denial decided by the KMS half, in the shape the denial findings read; None when
    KMS allows too (then the refusal is elsewhere, and the S3 verdict stands)."""
    from keydoctor.policy import KMS_HALF

    if decision.decision == ALLOWED:
        return None
    notes: list[str] = []
    unknown = depends_on(decision)
    if unknown:
        notes.append(
            "The answer also depends on context keydoctor cannot see from here: "
            + "; ".join(unknown)
            + "."
        )
    ref = decision.deciding
    return Verdict(
        EXPLICIT_DENY if decision.decision == EXPLICIT_DENY else NO_ALLOW,
        allow_policy=s3_allowed_by,
        layer=decision.layer,
        change=decision.change,
        limited_by=key_policy_name(key_arn),
        kms_key=key_arn,
        kms_reason=decision.reason,
        kms_action=KMS_HALF.get(s3_action),
        deny_policy=ref.policy if ref is not None else None,
        deny_statement=_label(ref.statement) if ref is not None else None,
        detail=" ".join(notes) or None,
    )


def _label(statement: str) -> str:
    return (
        f"statement #{statement[1:]}"
        if statement.startswith("#")
        else f"statement {json.dumps(statement)}"
    )


def depends_on(decision: Decision) -> list[str]:
    """Conditions on keys the probe cannot know, as "KEY (statement S of P)"."""
    out: list[str] = []
    for missing in decision.missing_keys:
        low = missing.key.lower()
        if low.startswith("aws:") and low not in KNOWN_GLOBAL:
            text = f"{missing.key} ({_label(missing.ref.statement)} of {missing.ref.policy})"
            if text not in out:
                out.append(text)
    return out


def verdict(
    decision: Decision | None, unread: tuple[str, ...] = (), limited_by: str | None = None
) -> Verdict | None:
    """The evaluator's answer in the shape the denial findings read, with its details.

    ``unread`` names the layers the caller could not read (a permissions boundary, a KMS
    key policy): each one is said, since it could change the answer. ``limited_by`` is
    the name of the boundary or key policy that took part, for when it decides.
    """
    if decision is None:
        return None
    unknown = depends_on(decision)
    notes: list[str] = [text[0].upper() + text[1:] + "." for text in unread]
    if unknown:
        notes.append(
            "The answer also depends on context keydoctor cannot see from here: "
            + "; ".join(unknown)
            + "."
        )
    if decision.decision == EXPLICIT_DENY and decision.deciding is not None:
        ref = decision.deciding
        because = decision.change.partition("; it applied because ")[2]
        if because:
            notes.insert(0, f"It applies because {because}.")
        return Verdict(
            EXPLICIT_DENY,
            deny_policy=ref.policy,
            deny_statement=_label(ref.statement),
            detail=" ".join(notes) or None,
            layer=decision.layer,
        )
    if decision.decision == ALLOWED:
        by = decision.deciding
        allow = f"{by.policy}, {_label(by.statement)}" if by is not None else "a policy"
        return Verdict(ALLOWED, allow_policy=allow, detail=" ".join(notes) or None)
    details: list[str] = []
    allowed_by = "; ".join(f"{r.policy}, {_label(r.statement)}" for r in decision.allowed_by)
    if decision.layer in (BOUNDARY, KMS_KEY):
        # The caller's own policies grant it; a layer that can only take away did not.
        return Verdict(
            NO_ALLOW,
            allow_policy=allowed_by or None,
            layer=decision.layer,
            change=decision.change,
            limited_by=limited_by,
            detail=" ".join(notes) or None,
        )
    if decision.change.startswith("statement "):  # an Allow whose condition failed
        details.append(decision.change[0].upper() + decision.change[1:] + ".")
    if decision.elsewhere:
        named = "; ".join(f"{_label(r.statement)} of {r.policy}" for r in decision.elsewhere)
        details.append(f"The bucket policy allows it only to other principals ({named}).")
    return Verdict(NO_ALLOW, detail=" ".join(details + notes) or None, layer=decision.layer)
