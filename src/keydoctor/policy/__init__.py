"""AWS's policy evaluation, offline: why a request is allowed or denied, and by what.

``evaluate(request, policies)`` walks the layers in the order AWS documents and returns a
frozen ``Decision``. ``build_request`` turns what a person types (an action, an ARN, a
principal ARN, ``key=value`` pairs) into a ``Request`` the way a real request would carry
it: keys the action cannot carry are dropped (and listed), multivalued keys keep every
value, single-valued keys their first. Nothing here imports boto3 or botocore.
"""

from __future__ import annotations

from collections.abc import Iterable

from keydoctor.errors import UsageError
from keydoctor.policy import data
from keydoctor.policy.evaluate import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    PolicySet,
    Request,
    StatementRef,
    evaluate,
)
from keydoctor.policy.match import Caller
from keydoctor.policy.model import Policy, PolicyError, parse_policy

# The request key that names an object's KMS key, and what S3 asks KMS for on the caller's
# behalf: AWS's "Using SSE-KMS" page: kms:Decrypt to read, kms:GenerateDataKey to write.
KMS_KEY_CONTEXT = "s3:x-amz-server-side-encryption-aws-kms-key-id"
KMS_HALF = {"s3:GetObject": "kms:Decrypt", "s3:PutObject": "kms:GenerateDataKey"}

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "Decision",
    "Policy",
    "PolicyError",
    "PolicySet",
    "Request",
    "StatementRef",
    "KMS_HALF",
    "KMS_KEY_CONTEXT",
    "build_request",
    "evaluate",
    "kms_request",
    "parse_policy",
]


def build_request(action: str, resource: str, principal: str,
                  pairs: Iterable[tuple[str, str]] = ()) -> tuple[Request, tuple[str, ...]]:
    """A ``Request`` from typed values, and the context keys dropped as not applicable.

    Raises ``UsageError`` for an action AWS does not have or an ARN it does not act on,
    naming what it expects, so a typo is one line and not a wrong answer.
    """
    info = data.action_info(action)
    if info is None:
        raise UsageError(
            f"{action!r} is not an action of {', '.join(data.services())} "
            f"(AWS's service authorization data, {data.source()})"
        )
    resource_type: str | None = None
    if info.resource_types:
        resource_type = data.resource_type_for(info, resource)
        if resource_type is None:
            kinds = "; ".join(
                f"{rt}: {data.resource_type_arn(info.service, rt)}" for rt in info.resource_types
            )
            raise UsageError(f"{info.full_name} does not act on {resource!r}; it takes {kinds}")
    elif resource != "*":
        raise UsageError(f"{info.full_name} takes no resource ARN: use --resource '*'")
    caller = Caller.parse(principal)
    if caller.kind == "other":
        raise UsageError(
            f"{principal!r} is not a principal ARN (arn:aws:iam::ACCOUNT:user/NAME, "
            "...:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)"
        )
    context: dict[str, str | tuple[str, ...]] = {}
    ignored: list[str] = []
    resource_account = caller.account
    for key, value in pairs:
        if key.lower() == "aws:resourceaccount":
            resource_account = value
        if not data.key_applies(info, resource_type, key):
            ignored.append(key)
            continue
        low = key.lower()
        if data.is_multivalued(key):
            previous = context.get(low, ())
            context[low] = (*((previous,) if isinstance(previous, str) else previous), value)
        elif low not in context:
            context[low] = value
    request = Request(f"{info.service}:{info.name}", resource, principal, resource_account,
                      context)
    return request, tuple(ignored)


def kms_request(s3_action: str, key_arn: str, principal: str,
                pairs: Iterable[tuple[str, str]] = ()) -> tuple[Request, tuple[str, ...]] | None:
    """The KMS half of an S3 request on an SSE-KMS object, or None for other actions.

    S3 calls KMS as the caller, so the request is the caller's: the same principal and
    context, the KMS action for the S3 one, on the key's ARN, with ``kms:ViaService`` set
    to the S3 of the key's region (unless the context gives one). ``policy simulate
    --kms-key-policy`` and ``check``'s live diagnosis both build it here, so they agree.
    """
    kms_action = KMS_HALF.get(s3_action)
    if kms_action is None:
        return None
    given = list(pairs)
    region = key_arn.split(":")[3] if key_arn.count(":") >= 5 else ""
    if region and not any(k.lower() == "kms:viaservice" for k, _ in given):
        given.append(("kms:ViaService", f"s3.{region}.amazonaws.com"))
    return build_request(kms_action, key_arn, principal, given)
