"""Every condition operator of IAM, with ``…IfExists``, ``ForAnyValue:`` and ``ForAllValues:``.

The rules, from AWS's condition-operator pages:
- keys in a block are ANDed, the values of one key are ORed; for a negated operator
  (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike`` ...) the request value must differ
  from every value;
- a missing key fails a positive operator and satisfies a negated one and any ``…IfExists``;
- ``Null`` tests only presence: ``"true"`` matches an absent key;
- a single-valued operator never matches a multivalued key (use a set operator);
- ``ForAllValues:`` matches when every request value matches (an absent key matches);
  ``ForAnyValue:`` when at least one does (an absent key does not).
Each evaluation says whether it turned on a missing key, so the answer can list the
conditions that a different request context would change.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from keydoctor.policy.match import Context, Unresolved, glob_matches, resolve_text
from keydoctor.policy.model import Condition

BASE_OPERATORS = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
    "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
)
_BY_LOWER = {name.lower(): name for name in BASE_OPERATORS}


@dataclass(frozen=True)
class Operator:
    """A condition operator taken apart: set prefix, base operator, IfExists."""

    written: str
    base: str  # one of BASE_OPERATORS, or "Null"; "" when unknown
    set_operator: str | None  # "ForAnyValue" / "ForAllValues"
    if_exists: bool

    @property
    def negated(self) -> bool:
        return "not" in self.base.lower()


def parse_operator(written: str) -> Operator:
    rest = written
    set_operator: str | None = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if rest.lower().startswith(prefix.lower()):
            set_operator = prefix[:-1]
            rest = rest[len(prefix):]
    if rest.lower() == "null":
        return Operator(written, "Null", set_operator, False)
    if_exists = rest.lower().endswith("ifexists")
    if if_exists:
        rest = rest[: -len("IfExists")]
    return Operator(written, _BY_LOWER.get(rest.lower(), ""), set_operator, if_exists)


def known_operator(written: str) -> bool:
    return parse_operator(written).base != ""


@dataclass(frozen=True)
class ConditionResult:
    """One condition evaluated: matched or not, and whether the key was absent."""

    condition: Condition
    matched: bool
    key_missing: bool
    request_value: str | tuple[str, ...] | None


def _number(text: str) -> float | None:
    try:
        return float(text) if "." in text else float(int(text, 10))
    except ValueError:
        return None


_EPOCH = re.compile(r"-?\d+\Z")
_UNIX_START = datetime(1970, 1, 1, tzinfo=UTC)


def _date(text: str) -> int | None:
    """An ISO 8601 date-time or a UNIX epoch, as whole milliseconds since 1970.

    An integer is an epoch in seconds (AWS on ``aws:EpochTime``: "This key also accepts the
    number of seconds since January 1, 1970"); anything else is an ISO 8601 date, with or
    without a time, an offset ("Z" or "+01:00"; none means UTC) and fractional seconds.
    Fractions below the millisecond are dropped, not rounded, and the arithmetic is in
    integers, so ``2026-01-15T12:00:00.25Z`` equals ``2026-01-15T13:00:00.250+01:00`` and an
    epoch of whole seconds equals the ISO date of that second exactly.
    """
    if _EPOCH.match(text):
        return int(text) * 1000
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _UNIX_START
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _compare(kind: str, policy: str, request: str, test: str) -> bool | None:
    parse: Callable[[str], float | int | None] = _number if kind == "Numeric" else _date
    p, r = parse(policy), parse(request)
    if p is None or r is None:
        return None
    return {
        "Equals": r == p, "NotEquals": r != p, "LessThan": r < p, "LessThanEquals": r <= p,
        "GreaterThan": r > p, "GreaterThanEquals": r >= p,
    }[test]


def _ip(policy: str, request: str, expect_inside: bool) -> bool:
    try:
        network = ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False
    try:
        address = ipaddress.ip_address(request)
    except ValueError:
        return False
    if address.version != network.version:
        return not expect_inside
    return (address in network) == expect_inside


def _arn(policy: str, request: str, context: Context, expect_match: bool) -> bool:
    p_parts = policy.split(":")
    r_parts = request.split(":")
    if len(p_parts) < 6 or len(r_parts) < 6:
        return False
    p = [*p_parts[:5], ":".join(p_parts[5:])]
    r = [*r_parts[:5], ":".join(r_parts[5:])]
    matched = all(glob_matches(pp, rp, context) for pp, rp in zip(p[1:], r[1:], strict=True))
    try:
        for part in p[1:]:
            resolve_text(part, context)
    except Unresolved:
        return False
    return matched == expect_match


def _one(base: str, policy: str, request: str, context: Context) -> bool:
    """Whether one request value satisfies one policy value (negation already applied)."""
    if base in ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"):
        if _unresolved(policy, context):
            return False
        equal = glob_matches(policy, request, context, ignore_case="IgnoreCase" in base,
                             wildcards="Like" in base)
        return not equal if "Not" in base else equal
    if base.startswith("Numeric") or base.startswith("Date"):
        kind = "Numeric" if base.startswith("Numeric") else "Date"
        result = _compare(kind, policy, request, base[len(kind):])
        return bool(result)
    if base == "Bool":
        try:
            wanted = resolve_text(policy, context).lower()
        except Unresolved:
            return False
        if wanted not in ("true", "false") or request.lower() not in ("true", "false"):
            return False
        return wanted == request.lower()
    if base == "BinaryEquals":
        return policy == request
    if base in ("IpAddress", "NotIpAddress"):
        return _ip(policy, request, base == "IpAddress")
    if base in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return _arn(policy, request, context, "Not" not in base)
    return False


def _unresolved(policy: str, context: Context) -> bool:
    try:
        resolve_text(policy, context)
    except Unresolved:
        return True
    return False


def _value_matches(base: str, values: tuple[str, ...], request: str, context: Context) -> bool:
    """One request value against all of a condition's values: OR, or NOR when negated."""
    results = [_one(base, value, request, context) for value in values]
    return all(results) if "Not" in base else any(results)


def evaluate_condition(condition: Condition, context: Context) -> ConditionResult:
    op = parse_operator(condition.operator)
    value = context.get(condition.key.lower())
    missing = value is None
    if op.base == "Null":
        goal = "true" if missing else "false"
        matched = any(v.lower() == goal for v in condition.values)
        return ConditionResult(condition, matched, missing, value)
    if op.base == "":
        return ConditionResult(condition, False, missing, value)
    if op.set_operator is not None:
        if value is None:
            return ConditionResult(condition, op.set_operator == "ForAllValues", True, None)
        items = (value,) if isinstance(value, str) else value
        each = [_value_matches(op.base, condition.values, item, context) for item in items]
        matched = all(each) if op.set_operator == "ForAllValues" else any(each)
        return ConditionResult(condition, matched, False, value)
    if value is None:
        return ConditionResult(condition, op.if_exists or op.negated, True, None)
    if not isinstance(value, str):
        return ConditionResult(condition, False, False, value)
    return ConditionResult(
        condition, _value_matches(op.base, condition.values, value, context), False, value
    )


def evaluate_block(conditions: tuple[Condition, ...],
                   context: Context) -> tuple[bool, tuple[ConditionResult, ...]]:
    """All conditions of a statement: they match when every one matches."""
    results = tuple(evaluate_condition(c, context) for c in conditions)
    return all(r.matched for r in results), results
