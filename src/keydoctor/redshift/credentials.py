"""Read the inside of a ``CREDENTIALS '...'`` string: ``key=value`` pairs split by ``;``.

Redshift accepts exactly ``aws_access_key_id``, ``aws_secret_access_key`` and ``token``
(temporary keys), or ``aws_iam_role`` alone (plus ``master_symmetric_key`` for
client-side encrypted data). The string must hold no spaces or line breaks at all, which
is the first cause the S3ServiceException troubleshooting page names.

Everything here describes problems by key name and position only, never by value.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

KNOWN_KEYS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "token",
    "aws_iam_role",
    "master_symmetric_key",
)

# What people type instead of the keys above (from the seed's own examples and common
# SDK names), mapped to the key Redshift wants.
MISSPELLINGS = {
    "aws_access_key": "aws_access_key_id",
    "access_key_id": "aws_access_key_id",
    "access_key": "aws_access_key_id",
    "aws_key_id": "aws_access_key_id",
    "awsaccesskeyid": "aws_access_key_id",
    "accesskeyid": "aws_access_key_id",
    "aws_access_id": "aws_access_key_id",
    "aws_secret_key": "aws_secret_access_key",
    "secret_access_key": "aws_secret_access_key",
    "secret_key": "aws_secret_access_key",
    "aws_secret": "aws_secret_access_key",
    "aws_secret_access": "aws_secret_access_key",
    "awssecretaccesskey": "aws_secret_access_key",
    "secretaccesskey": "aws_secret_access_key",
    "aws_session_token": "token",
    "session_token": "token",
    "aws_token": "token",
    "security_token": "token",
    "aws_security_token": "token",
    "sessiontoken": "token",
    "iam_role": "aws_iam_role",
    "aws_role": "aws_iam_role",
    "role_arn": "aws_iam_role",
    "aws_iam_role_arn": "aws_iam_role",
    "iam_role_arn": "aws_iam_role",
}
_WHITESPACE_NAMES = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


@dataclass(frozen=True)
class Blank:
    """One whitespace character inside the string, located by the part it is in."""

    char_name: str
    where: str


@dataclass
class CredentialsString:
    """The parsed string. ``values`` is keyed by the corrected key name."""

    values: dict[str, str] = field(default_factory=dict, repr=False)
    blanks: list[Blank] = field(default_factory=list)
    unknown_keys: list[tuple[str, str | None]] = field(default_factory=list)  # (typed, meant)
    wrong_case: list[tuple[str, str]] = field(default_factory=list)  # (typed, meant)
    duplicates: list[str] = field(default_factory=list)
    parts_without_equals: list[int] = field(default_factory=list)  # 1-based part numbers
    empty_values: list[str] = field(default_factory=list)
    comma_separated: bool = False
    wrapping_quotes: bool = False  # the value itself starts and ends with quotes

    @property
    def has_keys(self) -> bool:
        return "aws_access_key_id" in self.values or "aws_secret_access_key" in self.values

    @property
    def has_role(self) -> bool:
        return "aws_iam_role" in self.values


def _printable_key(key: str) -> str | None:
    """A key name we may show: short and made of name characters only."""
    if key and len(key) <= 40 and all(c.isascii() and (c.isalnum() or c == "_") for c in key):
        return key
    return None


def _meant(key: str) -> str | None:
    lowered = key.lower()
    if lowered in MISSPELLINGS:
        return MISSPELLINGS[lowered]
    close = difflib.get_close_matches(lowered, KNOWN_KEYS, n=1, cutoff=0.75)
    return close[0] if close else None


def parse_credentials(text: str) -> CredentialsString:
    """Parse the string leniently: report each oddity, then read what it meant."""
    result = CredentialsString()
    stripped = text
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        result.wrapping_quotes = True
        stripped = stripped[1:-1]
    _locate_blanks(stripped, result)
    compact = "".join(c for c in stripped if c not in _WHITESPACE_NAMES)
    parts = compact.split(";")
    if any(
        "," in p and "=" in p.split(",", 1)[1] and not p.lower().startswith("aws_iam_role")
        for p in parts
    ):
        # "id=...,aws_secret_access_key=..." : commas used where semicolons belong.
        result.comma_separated = True
        parts = [
            q
            for p in parts
            for q in (p.split(",") if not p.lower().startswith("aws_iam_role") else [p])
        ]
    for number, part in enumerate(parts, start=1):
        if not part:
            continue
        if "=" not in part:
            result.parts_without_equals.append(number)
            continue
        key, _, value = part.partition("=")
        corrected = key
        if key not in KNOWN_KEYS:
            if key.lower() in KNOWN_KEYS:
                corrected = key.lower()
                result.wrong_case.append((key, corrected))
            else:
                meant = _meant(key)
                shown = _printable_key(key) or f"(part {number}, not a key name)"
                result.unknown_keys.append((shown, meant))
                if meant is None:
                    continue
                corrected = meant
        if corrected in result.values:
            result.duplicates.append(corrected)
            continue
        if not value:
            result.empty_values.append(corrected)
        result.values[corrected] = value
    return result


def _locate_blanks(text: str, result: CredentialsString) -> None:
    """Name each whitespace character by the key whose part holds it (no values shown)."""
    for part in text.split(";"):
        key = part.split("=", 1)[0].strip() if "=" in part else ""
        shown = _printable_key(key) or "a part without a key name"
        eq = part.find("=")
        for index, char in enumerate(part):
            if char not in _WHITESPACE_NAMES:
                continue
            if index < len(part) - len(part.lstrip()):
                where = f"before `{shown}`" if key else "at the start of a part"
            elif part.strip() and index >= len(part.rstrip()):
                where = f"after the value of `{shown}`"
            elif eq >= 0 and index < eq:
                where = f"inside the key name `{shown}`"
            elif eq >= 0 and index > eq and not part[eq + 1 : index].strip():
                where = f"right after `{shown}=`"
            else:
                where = f"inside the value of `{shown}`"
            result.blanks.append(Blank(_WHITESPACE_NAMES[char], where))
