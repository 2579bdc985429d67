"""The IAM questions about the caller's own keys, and reading its own policies.

Every call here may be denied: a user without iam:* rights is normal, and a denial is
"could not check", never a fault of the setup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from keydoctor.probes import outcome as oc
from keydoctor.probes.identity import ASSUMED_ROLE, IAM_USER, Identity
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import Transport

if TYPE_CHECKING:
    from keydoctor.probes.policy import NamedPolicy

QUARANTINE_PREFIX = "AWSCompromisedKeyQuarantine"


@dataclass
class KeyInfo:
    access_key_id: str
    status: str
    created: datetime | None
    last_used: datetime | None = None
    last_service: str | None = None


@dataclass
class KeysReport:
    """The caller's own keys. ``others`` counts keys of other users that the answer held:
    some S3-compatible servers list every user's keys, and those are never the caller's."""

    probe: ProbeResult
    user: str | None = None
    keys: list[KeyInfo] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)  # attached managed policy names
    attached_probe: ProbeResult | None = None
    others: dict[str, int] = field(default_factory=dict)  # other user -> number of keys


def _caller_user(listed: list[tuple[str | None, KeyInfo]], in_use: str) -> str | None:
    """The user whose keys these are: the owner of the key in use, else the only user."""
    for user, info in listed:
        if info.access_key_id == in_use:
            return user
    users = {user for user, _ in listed}
    return users.pop() if len(users) == 1 else None


def access_keys(transport: Transport) -> KeysReport:
    """ListAccessKeys for the caller's own user (no user name: IAM uses the caller's),
    then when each key was last used and which managed policies are attached."""
    probe = ProbeResult(
        name="iam:ListAccessKeys",
        service="iam",
        operation="ListAccessKeys",
        asked="Which access keys does my user have? (aws iam list-access-keys)",
        action="iam:ListAccessKeys",
    )
    answer = transport.ask(probe, lambda c: c.list_access_keys())
    report = KeysReport(probe=probe)
    if answer is None:
        code = probe.failure.code if probe.failure else "error"
        probe.answer = f"could not check ({code})"
        return report
    listed = [
        (
            item.get("UserName"),
            KeyInfo(
                access_key_id=str(item.get("AccessKeyId", "")),
                status=str(item.get("Status", "")),
                created=item.get("CreateDate"),
            ),
        )
        for item in answer.get("AccessKeyMetadata", [])
    ]
    source = transport.target.source
    in_use = (source.access_key_id or "").strip() if source is not None else ""
    report.user = _caller_user(listed, in_use)
    for user, info in listed:
        if user == report.user:
            report.keys.append(info)
        else:
            name = str(user or "an unnamed user")
            report.others[name] = report.others.get(name, 0) + 1
    for info in report.keys:
        used = ProbeResult(name="", service="iam", operation="GetAccessKeyLastUsed", asked="")
        key_id = info.access_key_id

        def last_used(client: Any, key_id: str = key_id) -> dict[str, Any]:
            answer: dict[str, Any] = client.get_access_key_last_used(AccessKeyId=key_id)
            return answer

        got = transport.ask(used, last_used)
        probe.duration_ms += used.duration_ms
        if got is not None:
            last = got.get("AccessKeyLastUsed", {}) or {}
            info.last_used = last.get("LastUsedDate")
            service = last.get("ServiceName")
            info.last_service = None if service in (None, "N/A") else str(service)
    if report.user:
        attached = ProbeResult(
            name="iam:ListAttachedUserPolicies",
            service="iam",
            operation="ListAttachedUserPolicies",
            asked="Which managed policies are attached to my user?",
            action="iam:ListAttachedUserPolicies",
        )
        user = report.user
        got = transport.ask(attached, lambda c: c.list_attached_user_policies(UserName=user))
        if got is not None:
            report.attached = [
                str(p.get("PolicyName", "")) for p in got.get("AttachedPolicies", [])
            ]
            attached.answer = ", ".join(report.attached) or "none"
        else:
            attached.answer = (
                f"could not check ({attached.failure.code if attached.failure else 'error'})"
            )
        report.attached_probe = attached
    statuses = ", ".join(f"{k.access_key_id} {k.status}" for k in report.keys)
    probe.answer = f"{len(report.keys)} key(s): {statuses}" if report.keys else "no keys"
    if report.others:
        count = sum(report.others.values())
        probe.answer += (
            f"; and {count} key(s) of {len(report.others)} other user(s), not the caller's"
        )
    return report


@dataclass
class PolicyReading:
    """The caller's own identity policies, or why they could not be read."""

    policies: list[NamedPolicy] = field(default_factory=list)
    complete: bool = True
    problem: str | None = None
    probe: ProbeResult | None = None
    boundary: NamedPolicy | None = None  # the permissions boundary, when one is set and read
    boundary_problem: str | None = None  # why the boundary could not be read (never guessed)


BOUNDARY_UNREAD = "could not read the permissions boundary: it could change the answer"


def read_own_policies(transport: Transport, identity: Identity) -> PolicyReading:
    """Inline, attached and group policies of a user; inline and attached of a role."""
    # Only a denial reads policies: the parser is loaded then, not by a healthy check.
    from keydoctor.probes.policy import NamedPolicy, parse_document

    probe = ProbeResult(
        name="iam:read-own-policies",
        service="iam",
        operation="GetUserPolicy/GetRolePolicy",
        asked="Which policies apply to me? (to explain a denial)",
    )
    reading = PolicyReading(probe=probe)
    name = identity.name
    if name is None or identity.principal_type not in (IAM_USER, ASSUMED_ROLE):
        reading.complete = False
        reading.problem = f"policies of a {identity.principal_type} principal cannot be read"
        probe.outcome = oc.SKIPPED
        probe.answer = reading.problem
        return reading
    is_user = identity.principal_type == IAM_USER

    def call(operation: str, fn: Any) -> dict[str, Any] | None:
        step = ProbeResult(name="", service="iam", operation=operation, asked="")
        got = transport.ask(step, fn)
        probe.duration_ms += step.duration_ms
        if got is None and reading.complete:
            reading.complete = False
            code = step.failure.code if step.failure else "error"
            reading.problem = f"iam:{operation} was refused ({code})"
        return got

    def managed(arn: str, label: str) -> None:
        got = call("GetPolicy", lambda c: c.get_policy(PolicyArn=arn))
        if got is None:
            return
        version = got.get("Policy", {}).get("DefaultVersionId")
        body = call(
            "GetPolicyVersion", lambda c: c.get_policy_version(PolicyArn=arn, VersionId=version)
        )
        if body is not None:
            document = parse_document(body.get("PolicyVersion", {}).get("Document"))
            if document is not None:
                reading.policies.append(NamedPolicy(label, document))

    owner = "user" if is_user else "role"
    if is_user:
        inline = call("ListUserPolicies", lambda c: c.list_user_policies(UserName=name))
    else:
        inline = call("ListRolePolicies", lambda c: c.list_role_policies(RoleName=name))
    for pname in (inline or {}).get("PolicyNames", []):
        if is_user:
            got = call(
                "GetUserPolicy", lambda c, p=pname: c.get_user_policy(UserName=name, PolicyName=p)
            )
        else:
            got = call(
                "GetRolePolicy", lambda c, p=pname: c.get_role_policy(RoleName=name, PolicyName=p)
            )
        document = parse_document((got or {}).get("PolicyDocument"))
        if document is not None:
            reading.policies.append(
                NamedPolicy(f"inline policy {pname} of {owner} {name}", document)
            )
    if is_user:
        attached = call(
            "ListAttachedUserPolicies", lambda c: c.list_attached_user_policies(UserName=name)
        )
    else:
        attached = call(
            "ListAttachedRolePolicies", lambda c: c.list_attached_role_policies(RoleName=name)
        )
    for item in (attached or {}).get("AttachedPolicies", []):
        managed(
            str(item.get("PolicyArn")),
            f"managed policy {item.get('PolicyName')} attached to {owner} {name}",
        )
    if is_user:
        groups = call("ListGroupsForUser", lambda c: c.list_groups_for_user(UserName=name))
        for group in (groups or {}).get("Groups", []):
            gname = str(group.get("GroupName"))
            listed = call(
                "ListGroupPolicies", lambda c, g=gname: c.list_group_policies(GroupName=g)
            )
            for pname in (listed or {}).get("PolicyNames", []):
                got = call(
                    "GetGroupPolicy",
                    lambda c, g=gname, p=pname: c.get_group_policy(GroupName=g, PolicyName=p),
                )
                document = parse_document((got or {}).get("PolicyDocument"))
                if document is not None:
                    reading.policies.append(
                        NamedPolicy(f"inline policy {pname} of group {gname}", document)
                    )
            g_attached = call(
                "ListAttachedGroupPolicies",
                lambda c, g=gname: c.list_attached_group_policies(GroupName=g),
            )
            for item in (g_attached or {}).get("AttachedPolicies", []):
                managed(
                    str(item.get("PolicyArn")),
                    f"managed policy {item.get('PolicyName')} attached to group {gname}",
                )
    _read_boundary(transport, identity, reading, probe)
    if reading.complete:
        probe.answer = f"read {len(reading.policies)} policy document(s)"
        if reading.boundary is not None:
            probe.answer += " and the permissions boundary"
        elif reading.boundary_problem is not None:
            probe.answer += f"; {reading.boundary_problem}"
    else:
        probe.outcome = oc.DENIED
        probe.answer = f"could not read them all: {reading.problem}"
    return reading


def _read_boundary(transport: Transport, identity: Identity, reading: PolicyReading,
                   probe: ProbeResult) -> None:
    """The caller's permissions boundary (GetUser/GetRole, then its default version).

    A boundary can only take away, so an identity Allow is not the answer until the
    boundary is known. A refused read is not "no boundary": it is recorded in
    ``boundary_problem`` and reported as a part that could change the answer. It does not
    make the reading incomplete, since the identity policies are still all known.
    """
    from keydoctor.probes.policy import NamedPolicy, parse_document

    name = identity.name
    if name is None:
        return
    is_user = identity.principal_type == IAM_USER
    failed: list[str] = []

    def call(operation: str, fn: Any) -> dict[str, Any] | None:
        step = ProbeResult(name="", service="iam", operation=operation, asked="")
        got = transport.ask(step, fn)
        probe.duration_ms += step.duration_ms
        if got is None:
            code = step.failure.code if step.failure else "error"
            failed.append(f"iam:{operation} was refused ({code})")
        return got

    if is_user:
        got = call("GetUser", lambda c: c.get_user(UserName=name))
        holder = (got or {}).get("User", {})
    else:
        got = call("GetRole", lambda c: c.get_role(RoleName=name))
        holder = (got or {}).get("Role", {})
    arn = (holder.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if got is not None and arn:
        policy = call("GetPolicy", lambda c: c.get_policy(PolicyArn=arn))
        version = (policy or {}).get("Policy", {}).get("DefaultVersionId")
        if version:
            body = call("GetPolicyVersion",
                        lambda c: c.get_policy_version(PolicyArn=arn, VersionId=version))
            document = parse_document((body or {}).get("PolicyVersion", {}).get("Document"))
            if document is not None:
                owner = "user" if is_user else "role"
                reading.boundary = NamedPolicy(
                    f"the permissions boundary {arn.rsplit('/', 1)[-1]} of {owner} {name}",
                    document)
                return
        if not failed:
            failed.append(f"the document of {arn} could not be decoded")
    if failed:
        reading.boundary_problem = f"{BOUNDARY_UNREAD} ({failed[0]})"
