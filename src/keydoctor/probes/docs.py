"""Render docs/probe-rules.md from the probe rule declarations.

Run ``python -m keydoctor.probes.docs > docs/probe-rules.md``; a test fails when the
checked-in page and the rules disagree.
"""

from __future__ import annotations

from keydoctor.checks.docs import rule_sections
from keydoctor.probes.rules import RULES

FAMILIES = {
    "KD6": "Live identity and authentication (STS, signatures, tokens, clock)",
    "KD7": "Live permissions: S3 and IAM",
    "KD9": "Reachability: answers that say nothing about the keys",
}


def render_probe_rules_page() -> str:
    lines = [
        "# Live probe rules",
        "",
        "Generated from `src/keydoctor/probes/rules.py` "
        "(`python -m keydoctor.probes.docs > docs/probe-rules.md`). Codes never change meaning.",
        "These findings come from `keydoctor check` online (the default); `--offline` skips them.",
        "",
    ]
    lines += rule_sections(RULES, FAMILIES)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_probe_rules_page(), end="")
