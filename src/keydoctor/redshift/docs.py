"""Render docs/redshift-rules.md from the KD8xx declarations: the rules are their own docs.

Run ``python -m keydoctor.redshift.docs > docs/redshift-rules.md``; a test fails when the
checked-in page and the rules disagree.
"""

from __future__ import annotations

from keydoctor.checks.docs import rule_details, rule_table
from keydoctor.redshift.rules import RULES


def render_rules_page() -> str:
    lines = [
        "# Redshift rules (KD8xx)",
        "",
        "Generated from `src/keydoctor/redshift/rules.py` "
        "(`python -m keydoctor.redshift.docs > docs/redshift-rules.md`). Codes never change "
        "meaning. KD801-KD819 are read from the statement itself (`keydoctor redshift "
        "--offline`); KD820-KD839 come from the probes made with the statement's credentials. "
        "Problems of the key id, secret or token themselves carry the audit's own KD1xx/KD5xx "
        "codes (docs/rules.md).",
        "",
    ]
    lines += [*rule_table(RULES), "", *rule_details(RULES, level="##")]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_rules_page(), end="")
