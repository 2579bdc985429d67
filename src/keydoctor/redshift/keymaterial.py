"""The key id, secret and token of a clause get the same scrutiny as the offline audit's.

The inspectors live in :mod:`keydoctor.checks.keys` (plain strings in, masked
``ValueProblem`` objects out, with the audit's own KD1xx/KD5xx rules). This module is
the one seam between the Redshift checks and them: :func:`inspect` returns
``(rule, explanation)`` pairs, and the Redshift checks write the fix themselves, as the
corrected clause.
"""

from __future__ import annotations

from keydoctor.checks import keys
from keydoctor.checks.base import Rule

Problem = tuple[Rule, str]  # the rule and a masked explanation


def inspect(key_id: str | None, secret: str | None, token: str | None) -> list[Problem]:
    """Every key-material problem of the triple, in masked words."""
    found: list[keys.ValueProblem] = []
    if key_id is not None:
        found += keys.inspect_key_id(key_id, "")
    if secret is not None:
        found += keys.inspect_secret(secret, "")
    if token is not None:
        found += keys.inspect_token(token, "")
    found += keys.inspect_pair(key_id, secret, token, "")
    return [(p.rule, p.explanation) for p in found]
