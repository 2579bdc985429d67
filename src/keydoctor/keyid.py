"""What an AWS key id says by itself: its kind (from the prefix) and, often, its account.

IAM unique ids start with a four-letter prefix that names the kind of entity (AWS's IAM
reference, "Unique identifiers"). Only ``AKIA`` (long-term) and ``ASIA`` (temporary) are
access keys; an ``AIDA`` user id or ``AROA`` role id pasted as a key is a classic mix-up.

Newer key ids also encode the owning account: base32-decode the 16 characters after the
prefix, take the first six bytes as a big-endian number, keep bits 7..46. This was
published by security researchers and works only for ids minted after AWS changed the
format, recognisable by a fifth character in Q–Z or 2–7. For the others we say "unknown"
rather than compute a wrong number.
"""

from __future__ import annotations

import base64
import binascii

PREFIXES: dict[str, str] = {
    "AKIA": "long-term access key (IAM user or root)",
    "ASIA": "temporary access key (STS); needs its session token",
    "ABIA": "AWS STS service bearer token",
    "ACCA": "context-specific credential",
    "AGPA": "IAM user group id",
    "AIDA": "IAM user id",
    "AIPA": "EC2 instance profile id",
    "ANPA": "managed policy id",
    "ANVA": "managed policy version id",
    "APKA": "public key id (CloudFront key pair)",
    "AROA": "IAM role id",
    "ASCA": "certificate id",
}
ACCESS_KEY_PREFIXES = ("AKIA", "ASIA")
_DECODABLE_FIFTH = set("QRSTUVWXYZ234567")
_ACCOUNT_MASK = 0x7FFFFFFFFF80


def prefix_meaning(key_id: str) -> str | None:
    return PREFIXES.get(key_id[:4])


def decode_account(key_id: str) -> str | None:
    """The 12-digit account that owns a new-format key id, or None when unknowable."""
    value = key_id.strip()
    if len(value) != 20 or value[:4] not in PREFIXES or value[4] not in _DECODABLE_FIFTH:
        return None
    try:
        raw = base64.b32decode(value[4:])
    except (binascii.Error, ValueError):
        return None
    number = int.from_bytes(raw[:6], "big")
    account = (number & _ACCOUNT_MASK) >> 7
    # The 40 bits can hold numbers of 13 digits; AWS accounts have exactly 12, so such an
    # id is not a real key id of the new format and its account is unknown.
    if account > 999_999_999_999:
        return None
    return f"{account:012d}"
