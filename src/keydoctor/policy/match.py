"""Action, resource and principal matching, with IAM's wildcards and policy variables.

IAM's glob has two wildcards, ``*`` (any run, possibly empty) and ``?`` (one character);
policy variables ``${aws:username}`` are replaced from the request context, ``${*}``,
``${?}`` and ``${$}`` stand for the literal characters, and ``${key, 'default'}`` supplies a
value when the key is absent. A variable with no value makes that one pattern match
nothing, as AWS's policy-variable page says ("If there is no value ... the policy element
does not match"). Actions match case-insensitively; an ARN's partition, service, region and
account segments do too, its resource part does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from keydoctor.policy.model import Principal

Context = Mapping[str, str | tuple[str, ...]]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Unresolved(Exception):
    """A policy variable with no value in the request: the pattern matches nothing."""


class _Var(str):
    """A policy variable's inside (``aws:username, 'x'``) among regex fragments."""


@lru_cache(maxsize=8192)
def _pieces(pattern: str, wildcards: bool) -> tuple[str, ...]:
    """``pattern`` cut once into regex fragments and ``_Var`` placeholders (cached)."""
    out: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "$" and pattern.startswith("${", i):
            end = pattern.find("}", i + 2)
            if end != -1:
                out.append(re.escape("".join(literal)))
                literal = []
                out.append(_Var(pattern[i + 2 : end]))
                i = end + 1
                continue
        if wildcards and ch in "*?":
            out.append(re.escape("".join(literal)))
            literal = []
            out.append(".*?" if ch == "*" else ".")
        else:
            literal.append(ch)
        i += 1
    out.append(re.escape("".join(literal)))
    return tuple(piece for piece in out if piece != "")


def substitute(pattern: str, context: Context, *, wildcards: bool) -> str:
    """``pattern`` as a regex source: variables replaced, wildcards kept or made literal."""
    return "".join(
        re.escape(_variable(piece, context)) if isinstance(piece, _Var) else piece
        for piece in _pieces(pattern, wildcards)
    )


def _variable(inside: str, context: Context) -> str:
    if inside in ("*", "?", "$"):
        return inside
    name, sep, default = inside.partition(", ")
    value = context.get(name.strip().lower())
    if isinstance(value, str) and value:
        return value
    if sep and default.startswith("'") and default.endswith("'") and len(default) > 2:
        return default[1:-1]
    raise Unresolved(name.strip())


def resolve_text(value: str, context: Context) -> str:
    """A condition value with its variables replaced (no wildcards): ``Unresolved`` if absent."""
    out: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(value):
        out.append(value[last : match.start()])
        out.append(_variable(match.group(1), context))
        last = match.end()
    out.append(value[last:])
    return "".join(out)


def glob_matches(pattern: str, value: str, context: Context, *, ignore_case: bool = False,
                 wildcards: bool = True) -> bool:
    """One IAM string pattern against one value; an unresolved variable never matches."""
    if "$" not in pattern and not (wildcards and ("*" in pattern or "?" in pattern)):
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    try:
        source = substitute(pattern, context, wildcards=wildcards)
    except Unresolved:
        return False
    return _compiled(source, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _compiled(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@lru_cache(maxsize=16384)
def action_matches(pattern: str, action: str) -> bool:
    """``s3:Get*`` against ``s3:GetObject``: the service exactly, the name as a glob, any case."""
    if pattern == "*":
        return True
    p_service, sep, p_name = pattern.partition(":")
    a_service, _, a_name = action.partition(":")
    if not sep or not p_name or not p_name.strip() or len(p_name.split()) != 1:
        return False
    if p_service.lower() != a_service.lower():
        return False
    return glob_matches(p_name, a_name, {}, ignore_case=True)


@lru_cache(maxsize=16384)
def _segment_matches(pattern: str, value: str) -> bool:
    """Partition, service, region or account: a glob, any case (a variable never matches)."""
    return glob_matches(pattern, value, {}, ignore_case=True)


def _segments(arn: str) -> list[str] | None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return [*parts[1:5], ":".join(parts[5:])]


def _product(service: str, region: str, account: str, resource: str) -> str:
    """The resource-type prefix of an ARN's resource part (``key/``), matched literally.

    S3 bucket and object ARNs have no prefix: the bucket name is the resource.
    """
    if service == "s3" and region == "" and account == "":
        return ""
    cut = [i for i in (resource.find("/"), resource.find(":")) if i != -1]
    return resource[: min(cut) + 1] if cut else ""


SHORT_EXPAND = "expand"  # identity, boundary, session: pad a short ARN with "*"
SHORT_IF_WILDCARD = "if-wildcard"  # resource policies: only a short ARN ending in a wildcard
SHORT_REJECT_PLAIN = "reject-plain"  # SCPs: a short ARN without a final wildcard is invalid
SHORT_REJECT = "reject"  # RCPs: every short ARN is invalid


def resource_matches(pattern: str, arn: str, context: Context, short: str) -> bool | None:
    """A policy's ``Resource`` entry against the request's resource ARN.

    None when the entry cannot be judged (a policy variable with no value, an ARN the
    policy type does not accept, a padded short ARN that does not match): such an entry
    is "not this resource" for ``Resource`` and also not proof of "another resource" for
    ``NotResource``, so that statement does not apply either way.
    """
    if pattern == "*":
        return True
    if arn == "*":
        return False
    policy = _segments(pattern)
    padded = False
    if policy is None:
        parts = pattern.split(":")
        wildcard = parts[-1].endswith("*") if short == SHORT_REJECT_PLAIN else "*" in pattern
        if short == SHORT_REJECT or (short == SHORT_REJECT_PLAIN and not wildcard):
            return None
        if short == SHORT_IF_WILDCARD and not wildcard:
            return False
        policy = _segments(":".join(parts + ["*"] * (6 - len(parts))))
        if policy is None:
            return None
        padded = True
    request = _segments(arn)
    if request is None:
        return False
    verdict: bool | None = True
    for p_part, r_part in zip(policy[:4], request[:4], strict=True):
        if not _segment_matches(p_part, r_part):
            verdict = False
            break
    if verdict:
        product = _product(policy[1], policy[2], policy[3], policy[4])
        if not request[4].startswith(product):
            verdict = False
        else:
            try:
                substitute(policy[4][len(product):], context, wildcards=True)
            except Unresolved:
                return None
            verdict = glob_matches(policy[4][len(product):], request[4][len(product):], context)
    if not verdict and padded:
        return None
    return verdict


@dataclass(frozen=True)
class Caller:
    """The principal making the request, as its ARN says."""

    arn: str
    account: str
    kind: str  # "user", "role", "assumed-role", "federated-user", "root", "service", "other"

    @classmethod
    def parse(cls, value: str) -> Caller:
        if value.endswith(".amazonaws.com") and ":" not in value:
            return cls(value, "", "service")
        parts = value.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            return cls(value, "", "other")
        resource = ":".join(parts[5:])
        head = resource.split("/", 1)[0]
        if parts[2] == "iam" and resource == "root":
            kind = "root"
        elif (parts[2], head) in (("iam", "user"), ("iam", "role"), ("sts", "assumed-role"),
                                  ("sts", "federated-user")):
            kind = head
        else:
            kind = "other"
        return cls(value, parts[4], kind)

    @property
    def is_session(self) -> bool:
        return self.kind in ("assumed-role", "federated-user")


# How a Principal entry matched the caller, strongest first.
DIRECT = "direct"  # the caller's own ARN, "*", or its service name
SESSION_OF_ROLE = "role-of-session"  # the role whose session is calling
SESSION_OF_USER = "user-of-session"  # the user whose federated session is calling
ACCOUNT = "account"  # the caller's account: delegates to the account's IAM policies
NO_MATCH = "none"

_ACCOUNT_ID = re.compile(r"\d{12}\Z")
_ACCOUNT_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):root\Z")


def _principal_match(entry: Principal, caller: Caller) -> str:
    if entry.kind == "*":
        return DIRECT
    if entry.kind in ("Service", "Federated", "CanonicalUser"):
        return DIRECT if entry.value == caller.arn else NO_MATCH
    value = entry.value
    account = value if _ACCOUNT_ID.match(value) else None
    found = _ACCOUNT_ARN.match(value)
    if found:
        account = found.group(1)
    if account is not None:
        return ACCOUNT if account == caller.account else NO_MATCH
    if caller.kind == "assumed-role" and _role_of_session(value, caller.arn):
        return SESSION_OF_ROLE
    if caller.kind == "federated-user":
        parts = caller.arn.split(":")
        name = ":".join(parts[5:]).split("/", 1)[-1]
        if value == f"arn:{parts[1]}:iam::{parts[4]}:user/{name}":
            return SESSION_OF_USER
    return DIRECT if value == caller.arn else NO_MATCH


def _role_of_session(role_arn: str, session_arn: str) -> bool:
    """``arn:aws:iam::A:role/path/R`` is the role of ``arn:aws:sts::A:assumed-role/R/s``."""
    role = role_arn.split(":")
    session = session_arn.split(":")
    if len(role) < 6 or len(session) < 6 or role[2] != "iam" or not role[5].startswith("role/"):
        return False
    if role[1] != session[1] or role[4] != session[4]:
        return False
    role_name = role[5].rsplit("/", 1)[-1]
    session_parts = ":".join(session[5:]).split("/")
    return len(session_parts) >= 3 and role_name.lower() == session_parts[1].lower()


def principals_match(entries: tuple[Principal, ...], caller: Caller) -> str:
    """The strongest way any entry of a ``Principal`` element names the caller."""
    found = {_principal_match(entry, caller) for entry in entries}
    for level in (DIRECT, SESSION_OF_USER, SESSION_OF_ROLE, ACCOUNT):
        if level in found:
            return level
    return NO_MATCH


def not_principals_match(entries: tuple[Principal, ...], caller: Caller) -> str:
    """``NotPrincipal``: it applies to every caller none of its entries names."""
    if any(_principal_match(entry, caller) != NO_MATCH for entry in entries):
        return NO_MATCH
    return DIRECT
