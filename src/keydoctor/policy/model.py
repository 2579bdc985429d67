"""Policy documents parsed into frozen statements that remember their lines.

A person told "statement 3 denies" still has to find it; "lines 14-22 of deny.json" they can
open. ``json`` gives no positions, so the text is read twice: once by ``json`` (which also
names the line of a syntax error), once by a small scanner that finds where each element of
the top-level ``Statement`` array starts and ends. Every shape IAM rejects is a
``PolicyError`` naming the file and the line, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keydoctor.errors import InputError

EFFECTS = ("Allow", "Deny")


class PolicyError(InputError):
    """A policy document that IAM would not accept: the message names the file and line."""


@dataclass(frozen=True)
class Principal:
    """One entry of ``Principal`` / ``NotPrincipal``: its kind (AWS, Service, ...) and value."""

    kind: str  # "*", "AWS", "Service", "Federated", "CanonicalUser"
    value: str


@dataclass(frozen=True)
class Condition:
    """One operator/key pair of a ``Condition`` block with its values (ORed)."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """One statement. Exactly one of each pair (Action/NotAction, ...) is set when present."""

    index: int  # 1-based position in the policy
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: tuple[Principal, ...] | None
    not_principals: tuple[Principal, ...] | None
    conditions: tuple[Condition, ...]
    lines: tuple[int, int]  # (0, 0) when the document came without its text

    @property
    def label(self) -> str:
        """How a person names it: its Sid, else its position."""
        return self.sid if self.sid else f"#{self.index}"


@dataclass(frozen=True)
class Policy:
    """A parsed policy document and the name it is reported under (a file or policy name)."""

    name: str
    statements: tuple[Statement, ...]


def _strings(value: Any, where: str, field: str, line: int) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise PolicyError(f"{where}, line {line}: {field} must be a string or a list of strings")
    return tuple(items)


def _scalar_strings(value: Any, where: str, field: str, line: int) -> tuple[str, ...]:
    """Condition values: strings, booleans and numbers as IAM writes them back as text."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyError(f"{where}, line {line}: {field} values must be strings")
    return tuple(out)


def _principals(value: Any, where: str, field: str, line: int) -> tuple[Principal, ...]:
    if value == "*":
        return (Principal("*", "*"),)
    if not isinstance(value, dict) or not value:
        raise PolicyError(f'{where}, line {line}: {field} must be "*" or an object like '
                          '{"AWS": "arn:aws:iam::111122223333:root"}')
    found: list[Principal] = []
    for kind, raw in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}, line {line}: {field} has an unknown kind {kind!r}")
        for item in _strings(raw, where, f"{field}.{kind}", line):
            found.append(Principal("*", "*") if kind == "AWS" and item == "*" else
                         Principal(kind, item))
    return tuple(found)


def _conditions(value: Any, where: str, line: int) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}, line {line}: Condition must be an object")
    found: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(block, dict) or not block:
            raise PolicyError(
                f"{where}, line {line}: Condition operator {operator} needs an object of keys"
            )
        for key, values in block.items():
            found.append(
                Condition(operator, key, _scalar_strings(values, where, f"{operator}.{key}", line))
            )
    return tuple(found)


def _one_of(raw: dict[str, Any], first: str, second: str, where: str, line: int,
            required: bool) -> tuple[Any, Any]:
    if first in raw and second in raw:
        raise PolicyError(f"{where}, line {line}: a statement has {first} or {second}, not both")
    if required and first not in raw and second not in raw:
        raise PolicyError(f"{where}, line {line}: the statement has neither {first} nor {second}")
    return raw.get(first), raw.get(second)


def _statement(raw: Any, index: int, lines: tuple[int, int], where: str) -> Statement:
    line = lines[0]
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}, line {line}: each statement must be an object")
    effect = raw.get("Effect")
    if effect not in EFFECTS:
        raise PolicyError(f'{where}, line {line}: Effect must be "Allow" or "Deny", '
                          f"not {effect!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}, line {line}: Sid must be a string")
    action, not_action = _one_of(raw, "Action", "NotAction", where, line, required=True)
    resource, not_resource = _one_of(raw, "Resource", "NotResource", where, line, required=False)
    principal, not_principal = _one_of(raw, "Principal", "NotPrincipal", where, line,
                                       required=False)
    return Statement(
        index=index,
        sid=sid or None,
        effect=effect,
        actions=_strings(action, where, "Action", line) if action is not None else None,
        not_actions=(_strings(not_action, where, "NotAction", line)
                     if not_action is not None else None),
        resources=_strings(resource, where, "Resource", line) if resource is not None else None,
        not_resources=(_strings(not_resource, where, "NotResource", line)
                       if not_resource is not None else None),
        principals=(_principals(principal, where, "Principal", line)
                    if principal is not None else None),
        not_principals=(_principals(not_principal, where, "NotPrincipal", line)
                        if not_principal is not None else None),
        conditions=_conditions(raw["Condition"], where, line) if "Condition" in raw else (),
        lines=lines,
    )


def _skip_string(text: str, i: int) -> int:
    """Index just past the JSON string that starts at ``text[i] == '"'``."""
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    return i


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def statement_spans(text: str) -> list[tuple[int, int]]:
    """The first and last line of each element of the top-level ``Statement`` value.

    The text is already known to be valid JSON, so a scanner that tracks strings and
    nesting is enough: it finds the ``"Statement"`` key at depth one and records where each
    element of its array (or the single object) begins and ends.
    """
    depth = 0
    i = 0
    last_key: str | None = None
    spans: list[tuple[int, int]] = []
    element_depth: int | None = None  # the depth at which statement elements open
    start: int | None = None
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = _skip_string(text, i)
            if depth == 1 and element_depth is None:
                rest = text[end:].lstrip()
                if rest.startswith(":"):
                    last_key = json.loads(text[i:end])
            i = end
            continue
        if ch in "{[":
            if element_depth is None and depth == 1 and last_key == "Statement":
                element_depth = depth + 1 if ch == "[" else depth
                if ch == "{":
                    start = i
            elif element_depth is not None and depth == element_depth and start is None:
                start = i
            depth += 1
        elif ch in "}]":
            depth -= 1
            if element_depth is not None and start is not None and depth == element_depth:
                spans.append((_line_of(text, start), _line_of(text, i)))
                start = None
            if element_depth is not None and depth <= element_depth and ch == "]" or (
                element_depth == 1 and depth == 1
            ):
                return spans
        i += 1
    return spans


def parse_policy(text: str, name: str) -> Policy:
    """Parse one policy document as AWS stores it; ``name`` is used in every message."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{name}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise PolicyError(f"{name}, line 1: nested too deeply to be a policy") from None
    return policy_from_document(document, name, text)


def policy_from_document(document: Any, name: str, text: str | None = None) -> Policy:
    """A policy from an already-decoded document (IAM's API answers), lines if text is known."""
    if not isinstance(document, dict):
        raise PolicyError(f"{name}, line 1: a policy is a JSON object with a Statement")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError(f"{name}, line 1: the policy has no Statement")
    items = raw if isinstance(raw, list) else [raw]
    spans = statement_spans(text) if text is not None else []
    if len(spans) != len(items):
        spans = [(0, 0)] * len(items)  # lines unknown (a document without its text)
    return Policy(
        name=name,
        statements=tuple(
            _statement(item, index + 1, spans[index], name) for index, item in enumerate(items)
        ),
    )
