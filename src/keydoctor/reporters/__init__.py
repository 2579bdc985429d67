"""Reporters receive a finished document (plain dicts and lists) and return a string.

Every reporter's output goes through :func:`render`, which runs the run's
:class:`~keydoctor.redact.Redactor` over every value of the document before any reporter
sees it (a secret that JSON escapes would no longer be found in the serialised text, and
a replacement there could cut an escape in half), and once more over the final text of
the text report: whatever a check or a probe wrote, no known secret and nothing shaped
like a key leaves unmasked.
"""

from __future__ import annotations

from typing import Any

from keydoctor.redact import Redactor, redact_tree

FORMATS = ("text", "json", "sarif")


def render(fmt: str, document: dict[str, Any], redactor: Redactor, *, color: bool = False) -> str:
    document = redact_tree(document, redactor.scrub)
    if fmt == "json":
        from keydoctor.reporters.json_report import render_json

        text = render_json(document)
    elif fmt == "sarif":
        from keydoctor.reporters.sarif import render_sarif

        text = render_sarif(document)
    else:
        from keydoctor.reporters.text import render_text

        text = redactor.scrub(render_text(document, color=color))
    return text
