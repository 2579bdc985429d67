"""Masking of key ids and removal of secrets: the one gate every output passes.

Key ids are shown as their first and last four characters (``AKIA…WXYZ``) so that a
person can still tell two keys apart; secrets and session tokens are never shown in
any form, not even their length in a way that would help a guess.

Two layers protect every report: the code that writes explanations uses
:func:`mask_key_id` on purpose, and every reporter runs its final text through a
:class:`Redactor` that knows the exact secret values seen in this run and also masks
anything shaped like a key id or a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from keydoctor.keyid import PREFIXES

ELLIPSIS = "…"

# Access key ids and the other IAM unique ids share this shape: a four letter prefix and
# sixteen base32 characters. The lenient form also catches ids with a wrong length.
KEY_ID_PATTERN = re.compile(
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,20}\b"
)
# A secret access key: 40 characters of base64 alphabet. Only masked when the text also
# names a secret near it, or when it is free-standing and mixed-case with digits, so that
# long words and hashes are not eaten needlessly.
_SECRET_NEAR_WORD = re.compile(
    r"(?i)(secret[_ ]?(?:access)?[_ ]?key|aws_secret_access_key|secretaccesskey|secret_key|"
    r"SECRET_ACCESS_KEY|password)(\W{0,6})([A-Za-z0-9/+=]{30,60})"
)
_FREE_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
_TOKEN_NEAR_WORD = re.compile(
    r"(?i)(session[_ ]?token|security[_ ]?token|x-amz-security-token|token)(\W{0,6})"
    r"([A-Za-z0-9/+=%]{60,})"
)
_SIGNATURE = re.compile(r"(?i)(Signature=|X-Amz-Signature=)([0-9a-f]{64}|[A-Za-z0-9%/+=]{20,})")

REDACTED_SECRET = "<secret redacted>"
REDACTED_TOKEN = "<session token redacted>"


# A known prefix, then no symbol of a secret's base64 alphabet, 16 to 32 characters: a
# secret (40) never fits, while a key id typed in lower case or with a look-alike letter
# (Cyrillic А) still shows its ends, which is what tells the user what is wrong with it.
_KEY_ID_SHAPE = re.compile(r"[A-Za-z]{4}[^/+=\s]{12,28}")
HIDDEN_VALUE = "(hidden: not shaped like a key id)"


def mask_key_id(key_id: str | None) -> str:
    """Show a key id as its first and last four characters, and anything else not at all.

    Only a value shaped like an IAM id (a known prefix such as ``AKIA``, 16 to 32
    characters in all, none of them ``/``, ``+``, ``=`` or a blank) is partly shown: a
    person can tell two keys apart and no secret is exposed. Anything else that reaches
    this function in a key id's place may be a secret (the two swapped, a folded line, a
    pasted token), so it is hidden whole; not even its ends are shown.
    """
    if key_id is None:
        return "(none)"
    value = key_id.strip()
    if not value:
        return "(empty)"
    if not is_key_id_shaped(value):
        return HIDDEN_VALUE
    return value[:4] + ELLIPSIS + value[-4:]


def is_key_id_shaped(value: str) -> bool:
    """True for a value that looks like an IAM id (``AKIA…``, ``ASIA…``, ``AIDA…``)."""
    return bool(_KEY_ID_SHAPE.fullmatch(value)) and value[:4].upper() in PREFIXES


def _looks_random(candidate: str) -> bool:
    has_upper = any(c.isupper() for c in candidate)
    has_lower = any(c.islower() for c in candidate)
    has_digit = any(c.isdigit() for c in candidate)
    return has_upper and has_lower and has_digit


class Redactor:
    """Removes known secrets and anything shaped like a key from text.

    ``secrets`` are exact values met during this run (secret keys, session tokens); they
    are removed wherever they appear, together with their stripped forms so that a
    secret with a stray space is caught either way.
    """

    def __init__(self, secrets: Iterable[str] = (), key_ids: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for raw in secrets:
            if not raw:
                continue
            for form in (raw, raw.strip()):
                if len(form) >= 6:
                    values.add(form)
        # Longest first, so that a secret containing another is removed whole.
        self._secrets = sorted(values, key=len, reverse=True)
        ids: set[str] = set()
        for raw in key_ids:
            if raw and len(raw.strip()) >= 6:
                ids.add(raw.strip())
        self._key_ids = sorted(ids, key=len, reverse=True)

    def add_secret(self, value: str | None) -> None:
        if value and len(value.strip()) >= 6:
            for form in {value, value.strip()}:
                if form not in self._secrets:
                    self._secrets.append(form)
            self._secrets.sort(key=len, reverse=True)

    def add_key_id(self, value: str | None) -> None:
        if value and len(value.strip()) >= 6 and value.strip() not in self._key_ids:
            self._key_ids.append(value.strip())
            self._key_ids.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED_SECRET)
        for key_id in self._key_ids:
            if key_id in text:
                text = text.replace(key_id, mask_key_id(key_id))
        return scrub_patterns(text)


def scrub_patterns(text: str) -> str:
    """Mask whatever looks like a key id, a secret, a token or a signature."""
    text = KEY_ID_PATTERN.sub(lambda m: mask_key_id(m.group(0)), text)
    text = _SECRET_NEAR_WORD.sub(lambda m: m.group(1) + m.group(2) + REDACTED_SECRET, text)
    text = _TOKEN_NEAR_WORD.sub(lambda m: m.group(1) + m.group(2) + REDACTED_TOKEN, text)
    text = _SIGNATURE.sub(lambda m: m.group(1) + "<signature redacted>", text)
    text = _FREE_SECRET.sub(
        lambda m: REDACTED_SECRET if _looks_random(m.group(1)) else m.group(1), text
    )
    return text


def contains_secret_shape(text: str) -> bool:
    """True when the text holds something that looks like a secret key or token."""
    if _SECRET_NEAR_WORD.search(text) or _TOKEN_NEAR_WORD.search(text):
        return True
    return any(_looks_random(m.group(1)) for m in _FREE_SECRET.finditer(text))
