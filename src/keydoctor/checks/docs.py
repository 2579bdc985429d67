"""Render docs/rules.md from the rule declarations: the rules are their own documentation.

Run ``python -m keydoctor.checks.docs > docs/rules.md``; a test fails when the checked-in
page and the rules disagree.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from pathlib import Path

from keydoctor.checks import all_rules
from keydoctor.checks.base import FixKind, Rule

# The golden cases live in the repository's tests; an installed package has none, and its
# pages are then rendered without examples.
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"

FAMILIES = {
    "KD1": "Key material: the key id, the secret and the token themselves",
    "KD2": "Credential sources and profiles",
    "KD3": "The shared config and credentials files",
    "KD4": "Region and endpoint",
    "KD5": "Temporary credentials and expiry",
}


def proof_status(rule: Rule) -> str:
    """ "proven" or "manual": every fix that is not a manual step is carried out by a test,
    exactly as printed, and the finding must be gone afterwards (tests/test_fixes_proven.py
    fails for a rule with such a fix and no proof), so the kind alone decides it."""
    return "manual" if rule.remedy.kind is FixKind.MANUAL else "proven"


def fix_line(rule: Rule) -> str:
    """The rule's fix kind in one sentence, for its page and ``keydoctor rules CODE``."""
    if rule.remedy.kind is FixKind.MANUAL:
        return "Fix: manual (a step only a person can take; the finding's fix says which)."
    return (
        f"Fix: {rule.remedy.describe()}; proven (a test carries out the printed fix "
        "and checks again)."
    )


def rule_table(rules: Iterable[Rule]) -> list[str]:
    """The Markdown summary table of some rules, one row each."""
    lines = [
        "| code | name | severity | category | title | fix | proof |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        lines.append(
            f"| {rule.code} | `{rule.name}` | {rule.severity.value} | "
            f"`{rule.category.value}` | {rule.title} | {rule.remedy.kind.value} | "
            f"{proof_status(rule)} |"
        )
    return lines


def rule_example(code: str) -> list[str]:
    """What a user sees for the rule's golden case (``tests/fixtures/<CODE>``), if it has one."""
    folder = FIXTURES / code
    expected = folder / "expected.json"
    if not expected.is_file():
        return []
    described = ""
    for name in ("case.toml", "online.toml"):
        if (folder / name).is_file():
            described = str(
                tomllib.loads((folder / name).read_text("utf-8")).get("description", "")
            )
            break
    found = json.loads(expected.read_text("utf-8")).get("findings", [])
    finding = next((f for f in found if f.get("code") == code), None)
    if finding is None:
        return []
    return [
        f"Example (`tests/fixtures/{code}`{': ' + described if described else ''}):",
        "",
        "```",
        f"{finding['severity'].upper()} {code} {finding['title']}",
        finding["explanation"],
        f"fix: {finding['fix']}",
        "```",
        "",
    ]


def rule_details(rules: Iterable[Rule], level: str = "###") -> list[str]:
    """One heading, the documentation and the golden example of each rule."""
    lines: list[str] = []
    for rule in rules:
        lines += [
            f"{level} {rule.code} {rule.name}",
            "",
            rule.docs,
            "",
            fix_line(rule),
            "",
            *rule_example(rule.code),
        ]
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
        "Each rule declares the kind of its fix: a command, a config edit, a `keydoctor fix`",
        "(safe, or unsafe: needs `--unsafe`) or a manual step. Every fix that is not manual is",
        "*proven*: a test builds the failing setup in a throwaway HOME, carries out the fix",
        "exactly as `keydoctor check` printed it, and checks again (`tests/test_fixes_proven.py`).",
        "The online probes' rules (KD6xx, KD7xx, KD9xx) are in `probe-rules.md`, the Redshift",
        "rules (KD8xx) in `redshift-rules.md`, the error reference in `errors/`.",
        "",
    ]
    lines += rule_sections(all_rules().values(), FAMILIES)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_rules_page(), end="")
