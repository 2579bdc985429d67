"""Render docs/rules.md from the rule declarations: the rules are their own documentation.

Run ``python -m keydoctor.checks.docs > docs/rules.md``; a test fails when the checked-in
page and the rules disagree.
"""

from __future__ import annotations

from keydoctor.checks import all_rules

FAMILIES = {
    "KD1": "Key material: the key id, the secret and the token themselves",
    "KD2": "Credential sources and profiles",
    "KD3": "The shared config and credentials files",
    "KD4": "Region and endpoint",
    "KD5": "Temporary credentials and expiry",
}


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
    rules = sorted(all_rules().values(), key=lambda r: r.code)
    for prefix, title in FAMILIES.items():
        lines += [f"## {prefix}xx: {title}", ""]
        lines += ["| code | name | severity | category | title |", "|---|---|---|---|---|"]
        family = [r for r in rules if r.code.startswith(prefix)]
        for rule in family:
            lines.append(
                f"| {rule.code} | `{rule.name}` | {rule.severity.value} | "
                f"`{rule.category.value}` | {rule.title} |"
            )
        lines.append("")
        for rule in family:
            lines += [f"### {rule.code} {rule.name}", "", rule.docs, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_rules_page(), end="")
