"""The one table of AWS answer codes by family, read from ``codes.toml``.

Every module that has to tell an unknown key from a bad signature, a denial from a
redirect, asks here, so that a code is never one thing to the probes and another to the
hook or the ranker. The table is small and loaded without the rest of the catalog (no
regular expressions), so the online check pays well under a millisecond for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from keydoctor.errors import KeydoctorError

UNKNOWN_KEY = "unknown-key"
SIGNATURE = "signature"
TOKEN_EXPIRED = "token-expired"
TOKEN_INVALID = "token-invalid"
SKEW = "skew"
HEADER = "header"
DENIED = "denied"
NO_BUCKET = "no-bucket"
NO_ENTITY = "no-entity"
NOT_FOUND = "not-found"
REDIRECT = "redirect"
TEMPORARY_REDIRECT = "temporary-redirect"
WRONG_LOCATION = "wrong-location"
NOT_OFFERED = "not-offered"
THROTTLE = "throttle"
FAMILIES = (
    UNKNOWN_KEY,
    SIGNATURE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    SKEW,
    HEADER,
    DENIED,
    NO_BUCKET,
    NO_ENTITY,
    NOT_FOUND,
    REDIRECT,
    TEMPORARY_REDIRECT,
    WRONG_LOCATION,
    NOT_OFFERED,
    THROTTLE,
)


class CodeTableError(KeydoctorError):
    """``codes.toml`` is invalid; the message says where."""


@dataclass(frozen=True)
class Family:
    """A group of answer codes that mean the same thing to keydoctor."""

    name: str
    meaning: str
    auth: bool  # the endpoint refused the credentials themselves
    codes: frozenset[str]


@dataclass(frozen=True)
class CodeTable:
    """Families by name, and the family of each code."""

    families: dict[str, Family]
    by_code: dict[str, str]

    def family(self, code: str | None) -> str | None:
        """The family of ``code`` (``None`` for a code no family holds)."""
        return self.by_code.get(code or "")

    def codes(self, *names: str) -> frozenset[str]:
        """Every code of the named families."""
        found: set[str] = set()
        for name in names:
            found |= self.families[name].codes
        return frozenset(found)

    def is_auth(self, code: str | None) -> bool:
        """True when ``code`` means the credentials themselves were refused."""
        name = self.family(code)
        return name is not None and self.families[name].auth


def parse_table(raw: dict[str, Any]) -> CodeTable:
    """Validate and build the table; every problem is a :class:`CodeTableError`."""
    if set(raw) != {"family"} or not isinstance(raw["family"], dict):
        raise CodeTableError("codes.toml: expected only [family.<name>] tables")
    families: dict[str, Family] = {}
    by_code: dict[str, str] = {}
    for name, table in raw["family"].items():
        where = f"codes.toml [family.{name}]"
        if name not in FAMILIES:
            raise CodeTableError(f"{where}: unknown family (known: {', '.join(FAMILIES)})")
        if not isinstance(table, dict) or set(table) != {"auth", "meaning", "codes"}:
            raise CodeTableError(f"{where}: needs exactly auth, meaning and codes")
        codes = table["codes"]
        if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
            raise CodeTableError(f"{where}: codes must be a list of non-empty strings")
        if not isinstance(table["auth"], bool) or not isinstance(table["meaning"], str):
            raise CodeTableError(f"{where}: auth is true or false, meaning is a sentence")
        for code in codes:
            if code in by_code:
                raise CodeTableError(f"{where}: {code} is already in family {by_code[code]}")
            by_code[code] = name
        families[name] = Family(name, table["meaning"], table["auth"], frozenset(codes))
    missing = [n for n in FAMILIES if n not in families]
    if missing:
        raise CodeTableError(f"codes.toml: missing families {', '.join(missing)}")
    return CodeTable(families, by_code)


@lru_cache(maxsize=1)
def code_table() -> CodeTable:
    """The packaged table, parsed once per process (only when an answer needs a family)."""
    import tomllib

    text = Path(__file__).with_name("codes.toml").read_text("utf-8")
    return parse_table(tomllib.loads(text))


def family(code: str | None) -> str | None:
    """Shorthand for ``code_table().family(code)``."""
    return code_table().family(code)


def codes(*names: str) -> frozenset[str]:
    """Shorthand for ``code_table().codes(*names)``."""
    return code_table().codes(*names)


def is_auth(code: str | None) -> bool:
    """Shorthand for ``code_table().is_auth(code)``."""
    return code_table().is_auth(code)
