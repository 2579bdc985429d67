"""Evaluate the caller's own IAM policies for one action on one resource.

This is the identity-policy part of AWS's evaluation logic, enough to answer "why was I
denied": an explicit Deny that matches wins (we name the policy and the statement);
otherwise, if no Allow matches, the Allow is missing and we say which least-privilege
statement to add. Statements with a ``Condition`` are reported as conditional: we cannot
know the request context AWS evaluates them with, so they never decide alone.

Resource-based policies (bucket policies), SCPs, permission boundaries and session
policies are not visible to the caller; when the identity policies allow the request,
the Deny must come from one of those, and the verdict says so.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

ALLOWED = "allowed"
EXPLICIT_DENY = "explicit-deny"
NO_ALLOW = "no-allow"
# The evaluator's names for the layers that only take away (keydoctor.policy.evaluate),
# repeated here so that a check without a denial never loads the evaluator.
BOUNDARY = "permissions-boundary"
KMS_KEY = "kms-key-policy"


@dataclass(frozen=True)
class NamedPolicy:
    """One policy document and where it came from, for the report."""

    name: str  # e.g. "inline policy reader-policy of user alice"
    document: dict[str, Any]


@dataclass
class Verdict:
    """What the identity policies say about one action on one resource."""

    decision: str  # allowed / explicit-deny / no-allow
    deny_policy: str | None = None
    deny_statement: str | None = None
    allow_policy: str | None = None
    conditional: list[str] = field(default_factory=list)  # policies whose match had a Condition
    detail: str | None = None  # what the full evaluator adds (conditions, depends-on keys)
    layer: str | None = None  # the evaluator's deciding layer (permissions-boundary, ...)
    change: str | None = None  # the evaluator's smallest change that would allow it
    limited_by: str | None = None  # the boundary / key policy that decided, by name
    kms_key: str | None = None  # set when the KMS half (the object's key) decided
    kms_reason: str | None = None  # the evaluator's reason for the KMS half
    kms_action: str | None = None  # what S3 asked KMS for (kms:Decrypt, kms:GenerateDataKey)


def parse_document(raw: Any) -> dict[str, Any] | None:
    """A policy document as IAM returns it: a dict, JSON text, or URL-encoded JSON text."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return None
    for text in (raw, urllib.parse.unquote(raw)):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM's glob: ``*`` any run of characters, ``?`` one character."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.IGNORECASE if ignore_case else 0
    return re.fullmatch(regex, value, flags) is not None


def _matches(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        if not any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(
            _wildcard(p, resource, ignore_case=False) for p in _as_list(statement["Resource"])
        )
    if "NotResource" in statement:
        return not any(
            _wildcard(p, resource, ignore_case=False) for p in _as_list(statement["NotResource"])
        )
    return False


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement")
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [s for s in raw if isinstance(s, dict)]
    return []


def _label(statement: dict[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f'statement "{sid}"' if sid else f"statement #{index + 1}"


def evaluate(policies: list[NamedPolicy], action: str, resource: str) -> Verdict:
    """Explicit Deny first, then Allow, as AWS evaluates identity policies."""
    allow: tuple[str, str] | None = None
    conditional: list[str] = []
    for policy in policies:
        for index, statement in enumerate(_statements(policy.document)):
            if not _matches(statement, action, resource):
                continue
            effect = str(statement.get("Effect", "")).lower()
            if statement.get("Condition"):
                conditional.append(f"{policy.name}, {_label(statement, index)} ({effect})")
                continue
            if effect == "deny":
                return Verdict(
                    EXPLICIT_DENY,
                    deny_policy=policy.name,
                    deny_statement=_label(statement, index),
                    conditional=conditional,
                )
            if effect == "allow" and allow is None:
                allow = (policy.name, _label(statement, index))
    if allow is not None:
        return Verdict(ALLOWED, allow_policy=f"{allow[0]}, {allow[1]}", conditional=conditional)
    return Verdict(NO_ALLOW, conditional=conditional)


def least_privilege_statement(action: str, resource: str) -> str:
    """The statement to add, as JSON on one line."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps(statement)


def _principal_values(statement: dict[str, Any]) -> list[str] | None:
    """The AWS principals a resource-policy statement names (None: no Principal key)."""
    if "Principal" not in statement:
        return None
    principal = statement["Principal"]
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return _as_list(principal.get("AWS"))
    return []


def for_principal(document: dict[str, Any], arn: str, account: str) -> dict[str, Any]:
    """The statements of a resource policy (a bucket policy) that apply to this caller.

    A statement applies when its Principal is ``*``, the caller's ARN, the account id or
    the account's root ARN; ``NotPrincipal`` statements apply unless they name the caller.
    """
    names = {"*", arn, account, f"arn:aws:iam::{account}:root"}
    kept: list[dict[str, Any]] = []
    for statement in _statements(document):
        values = _principal_values(statement)
        if values is not None:
            if names & set(values):
                kept.append(statement)
        elif "NotPrincipal" in statement:
            excluded = statement["NotPrincipal"]
            listed = _as_list(excluded.get("AWS")) if isinstance(excluded, dict) else []
            if not names & set(listed):
                kept.append(statement)
    return {"Version": document.get("Version", "2012-10-17"), "Statement": kept}
