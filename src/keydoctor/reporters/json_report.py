"""JSON: the documented object (``docs/schema.json``), stable key order, one trailing newline."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keydoctor.examine import CheckResult


class JsonFormatter:
    """``keydoctor check --format json``: the result's document, masked value by value.

    The same object :meth:`CheckResult.to_dict` returns to a program, serialised; masking
    comes before serialising, so an escaped secret cannot slip past it.
    """

    def format(self, result: CheckResult) -> str:
        return render_json(result.to_dict())


def render_json(document: dict[str, Any]) -> str:
    """A document that is already masked, serialised as every command's JSON is."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
