"""Who am I: STS GetCallerIdentity, and what kind of principal the ARN names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keydoctor.probes import outcome as oc
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import Transport

IAM_USER = "iam-user"
ASSUMED_ROLE = "assumed-role"
FEDERATED = "federated-user"
ROOT = "root"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Identity:
    """The caller as STS sees it."""

    account: str
    arn: str
    user_id: str
    principal_type: str
    name: str | None  # user name, role name or federated name

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "arn": self.arn,
            "user_id": self.user_id,
            "principal_type": self.principal_type,
        }


def parse_arn(arn: str) -> tuple[str, str | None]:
    """The principal type and name in a caller ARN.

    ``arn:aws:iam::123456789012:user/path/alice`` → (iam-user, alice);
    ``arn:aws:sts::123456789012:assumed-role/Reader/session`` → (assumed-role, Reader).
    """
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return UNKNOWN, None
    resource = parts[5]
    if resource == "root":
        return ROOT, None
    kind, _, rest = resource.partition("/")
    if kind == "user" and rest:
        return IAM_USER, rest.rsplit("/", 1)[-1]
    if kind == "assumed-role" and rest:
        return ASSUMED_ROLE, rest.split("/", 1)[0]
    if kind == "federated-user" and rest:
        return FEDERATED, rest
    return UNKNOWN, None


def describe_failure(probe: ProbeResult) -> str:
    """One line for a failed probe: the AWS code and message, or why no answer came."""
    failure = probe.failure
    if failure is None:
        return "no answer"
    if probe.outcome == oc.AUTH_FAILED:
        return f"{failure.code}: {failure.message or failure.reason}"
    return f"{failure.code}: {failure.reason}"


def who_am_i(transport: Transport) -> tuple[ProbeResult, Identity | None]:
    probe = ProbeResult(
        name="sts:GetCallerIdentity",
        service="sts",
        operation="GetCallerIdentity",
        asked="Who am I? (aws sts get-caller-identity)",
        action="sts:GetCallerIdentity",
    )
    answer = transport.ask(probe, lambda c: c.get_caller_identity())
    if answer is None:
        probe.answer = describe_failure(probe)
        return probe, None
    arn = str(answer.get("Arn", ""))
    kind, name = parse_arn(arn)
    identity = Identity(
        account=str(answer.get("Account", "")),
        arn=arn,
        user_id=str(answer.get("UserId", "")),
        principal_type=kind,
        name=name,
    )
    probe.answer = f"{arn} (account {identity.account}, {kind})"
    return probe, identity
