"""Every rule of the project in one place: offline (KD1xx-KD5xx), live (KD6xx, KD7xx,
KD9xx) and Redshift (KD8xx), by code.

The families declare their rules where they are checked; this module only gathers them,
so ``keydoctor rules``, the documentation and the tests read one registry. Rule modules
are plain declarations: importing them loads no network code.
"""

from __future__ import annotations

from functools import lru_cache

from keydoctor.checks import all_rules
from keydoctor.checks.base import Rule


@lru_cache(maxsize=1)
def every_rule() -> dict[str, Rule]:
    """Every rule by code, in code order; a duplicate code is an error."""
    from keydoctor.probes.rules import RULES as LIVE
    from keydoctor.redshift.rules import RULES as REDSHIFT

    rules: dict[str, Rule] = {}
    for rule in [*all_rules().values(), *LIVE, *REDSHIFT]:
        if rule.code in rules:
            raise ValueError(f"duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return dict(sorted(rules.items()))


def family_of(code: str) -> str:
    """Where a rule's findings come from, in words."""
    hundred = code[2:3]
    if hundred in "12345":
        return "offline audit (keydoctor check --offline)"
    if hundred == "8":
        return "Redshift COPY/UNLOAD (keydoctor redshift)"
    return "live probes (keydoctor check)"
