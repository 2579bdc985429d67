"""The key id, secret and token of a clause get the same scrutiny as the offline audit's.

The inspectors live in :mod:`keydoctor.checks.keys` (``inspect_key_id``,
``inspect_secret``, ``inspect_token``, ``inspect_pair``: plain strings in, masked
``ValueProblem`` objects out). This module is the one seam between the Redshift checks
and them: :func:`inspect` returns ``(rule, explanation)`` pairs whatever is installed.
When the audit's inspectors are not available, a small built-in set of the same rules
(same codes) covers length, alphabet, prefix, whitespace, swap and the ASIA token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keydoctor.checks.base import Rule
from keydoctor.model import Category, Severity
from keydoctor.redact import mask_key_id

Problem = tuple[Rule, str]  # the rule and a masked explanation


def inspect(key_id: str | None, secret: str | None, token: str | None) -> list[Problem]:
    """Every key-material problem of the triple, in masked words."""
    audit = _audit_inspectors()
    if audit is not None:
        return audit(key_id, secret, token)
    return _builtin(key_id, secret, token)


def _audit_inspectors() -> Callable[[str | None, str | None, str | None], list[Problem]] | None:
    from keydoctor.checks import keys

    needed = ("inspect_key_id", "inspect_secret", "inspect_token", "inspect_pair")
    if not all(hasattr(keys, name) for name in needed):
        return None
    module: Any = keys

    def run(key_id: str | None, secret: str | None, token: str | None) -> list[Problem]:
        hint = ""
        found: list[Any] = []
        if key_id is not None:
            found += module.inspect_key_id(key_id, hint)
        if secret is not None:
            found += module.inspect_secret(secret, hint)
        if token is not None:
            found += module.inspect_token(token, hint)
        found += module.inspect_pair(key_id, secret, token, hint)
        return [(p.rule, p.explanation) for p in found]

    return run


# -- built-in fallback: the same codes as the audit's keys family -----------------------
H, C = Severity.HIGH, Severity.CRITICAL
_WS = Rule("KD101", "value-whitespace", H, Category.SECRET_WRONG,
           "Stray whitespace or line break in a credential value",
           "AWS compares the exact bytes; a stray blank changes the key.")
_INVISIBLE = Rule("KD103", "value-invisible-characters", H, Category.SECRET_WRONG,
                  "Invisible, non-ASCII or look-alike character in a credential value",
                  "Characters copied from chat tools and PDFs that look like nothing or like "
                  "Latin letters.")
_ID_LEN = Rule("KD104", "key-id-length", H, Category.KEY_ID_WRONG,
               "Access key id is not 20 characters", "Access key ids are exactly 20 characters.")
_ID_ALPHA = Rule("KD105", "key-id-alphabet", H, Category.KEY_ID_WRONG,
                 "Access key id has characters no key id has", "Key ids use only A-Z and 0-9.")
_ID_PREFIX = Rule("KD106", "key-id-prefix", H, Category.KEY_ID_WRONG, "Not an access key id",
                  "Only AKIA and ASIA ids are access keys.")
_SEC_LEN = Rule("KD107", "secret-length", H, Category.SECRET_WRONG,
                "Secret access key is not 40 characters", "Secrets are exactly 40 characters.")
_SWAP = Rule("KD108", "id-secret-swapped", C, Category.SECRET_WRONG,
             "Access key id and secret are swapped", "The two values are in each other's place.")
_SEC_ALPHA = Rule("KD111", "secret-alphabet", H, Category.SECRET_WRONG,
                  "Secret access key has characters no secret has",
                  "Secrets use letters, digits, '+' and '/' only.")
_ASIA = Rule("KD501", "temporary-key-without-token", C, Category.SESSION_TOKEN,
             "Temporary (ASIA) key without its session token",
             "ASIA keys only work together with their session token.")
_AKIA_TOKEN = Rule("KD502", "token-with-long-term-key", H, Category.SESSION_TOKEN,
                   "Session token set with a long-term (AKIA) key",
                   "A session token belongs to an ASIA key.")
_SECRET_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _chars(value: str, what: str) -> list[Problem]:
    found: list[Problem] = []
    blanks = [i + 1 for i, c in enumerate(value) if c in " \t\r\n"]
    odd = [i + 1 for i, c in enumerate(value) if not c.isascii() or (not c.isprintable() and c not in " \t\r\n")]
    if blanks:
        found.append((_WS, f"The {what} contains whitespace at position(s) "
                      + ", ".join(map(str, blanks[:4])) + f" of {len(value)}."))
    if odd:
        found.append((_INVISIBLE, f"The {what} contains invisible or non-ASCII characters at "
                      "position(s) " + ", ".join(map(str, odd[:4])) + f" of {len(value)}."))
    return found


def _builtin(key_id: str | None, secret: str | None, token: str | None) -> list[Problem]:
    found: list[Problem] = []
    kid = "".join(c for c in key_id or "" if c.isascii() and c.isprintable() and not c.isspace())
    sec = "".join(c for c in secret or "" if c.isascii() and c.isprintable() and not c.isspace())
    if key_id is not None:
        found += _chars(key_id, "access key id")
    if secret is not None:
        found += _chars(secret, "secret access key")
    if token is not None:
        found += _chars(token, "session token")
    if kid and sec and len(kid) == 40 and len(sec) == 20 and sec[:4] in ("AKIA", "ASIA"):
        found.append((_SWAP, "The access key id holds a 40-character value and the secret holds "
                      f"{mask_key_id(sec)}, which is a key id."))
        return found
    if key_id is not None and kid:
        looks_like_id = kid.isupper() and kid.isalnum() and len(kid) <= 32
        shown = mask_key_id(kid) if looks_like_id else "The value in the key id field"
        if kid[:4] not in ("AKIA", "ASIA"):
            found.append((_ID_PREFIX, f"{shown} does not start with AKIA or ASIA."))
        if len(kid) != 20:
            found.append((_ID_LEN, f"The access key id {shown} is {len(kid)} "
                          "characters long; AWS key ids have 20."))
        if any(not (c.isupper() or c.isdigit()) for c in kid):
            found.append((_ID_ALPHA, f"The access key id {shown} has characters "
                          "other than A-Z and 0-9."))
    if secret is not None and sec:
        if len(sec) != 40:
            found.append((_SEC_LEN, f"The secret access key is {len(sec)} characters long; "
                          "AWS secrets have 40."))
        if set(sec) - _SECRET_CHARS:
            found.append((_SEC_ALPHA, "The secret access key has characters other than letters, "
                          "digits, '+' and '/'."))
    if kid.startswith("ASIA") and not token:
        found.append((_ASIA, f"{mask_key_id(kid)} is a temporary key (ASIA) but the clause has "
                      "no session token."))
    if kid.startswith("AKIA") and token:
        found.append((_AKIA_TOKEN, f"{mask_key_id(kid)} is a long-term key (AKIA) but the "
                      "clause also has a session token; AWS rejects the pair."))
    return found
