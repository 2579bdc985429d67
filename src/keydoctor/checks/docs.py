"""Render docs/rules.md from the rule declarations: the rules are their own documentation.

Run ``python -m keydoctor.checks.docs > docs/rules.md``; a test fails when the checked-in
page and the rules disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from keydoctor.checks import all_rules
from keydoctor.checks.base import Rule

FAMILIES = {
    "KD1": "Key material: the key id, the secret and the token themselves",
    "KD2": "Credential sources and profiles",
    "KD3": "The shared config and credentials files",
    "KD4": "Region and endpoint",
    "KD5": "Temporary credentials and expiry",
}


def rule_table(rules: Iterable[Rule]) -> list[str]:
    """The Markdown summary table of some rules, one row each."""
    lines = ["| code | name | severity | category | title |", "|---|---|---|---|---|"]
    for rule in rules:
        lines.append(
            f"| {rule.code} | `{rule.name}` | {rule.severity.value} | "
            f"`{rule.category.value}` | {rule.title} |"
        )
    return lines


def rule_details(rules: Iterable[Rule], level: str = "###") -> list[str]:
    """One heading and the documentation of each rule."""
    lines: list[str] = []
    for rule in rules:
        lines += [f"{level} {rule.code} {rule.name}", "", rule.docs, ""]
    return lines


def rule_sections(rules: Iterable[Rule], families: dict[str, str]) -> list[str]:
    """A section per family (code prefix): its table, then each rule's documentation."""
    ordered = sorted(rules, key=lambda r: r.code)
    lines: list[str] = []
    for prefix, title in families.items():
        family = [r for r in ordered if r.code.startswith(prefix)]
        lines += [f"## {prefix}xx: {title}", "", *rule_table(family), "", *rule_details(family)]
    return lines


def render_rules_page() -> str:
    lines = [
        "# Offline rules",
        "",
        "Generated from the rule declarations in `src/keydoctor/checks/` "
        "(`python -m keydoctor.checks.docs > docs/rules.md`). Codes never change meaning.",
        "Severity high or critical means the SDK call will fail; medium and below is a risk.",
        "The online probes' rules (KD6xx, KD7xx, KD9xx) are in `probe-rules.md`, the Redshift",
        "rules (KD8xx) in `redshift-rules.md`, the error reference in `errors/`.",
        "",
    ]
    lines += rule_sections(all_rules().values(), FAMILIES)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_rules_page(), end="")
