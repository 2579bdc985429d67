"""The frozen data that flows from sources through checks to reporters.

Everything here is plain data: no I/O, no imports beyond the standard library, so that
reporters and tests can build and compare these objects cheaply. Secrets are held in
:class:`Secret`, whose ``repr`` and ``str`` never reveal the value, so that a stray
``print`` or a traceback cannot leak one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Severity(enum.Enum):
    """How bad a finding is: high and critical mean the SDK call will fail."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class Category(enum.Enum):
    """The project's fixed vocabulary of causes (shared/evals/README.md).

    Finer detail belongs in a finding's code, never in a new member here.
    """

    NO_CREDENTIALS = "no-credentials"
    PROVIDER_FAILURE = "provider-failure"
    WRONG_SOURCE = "wrong-source"
    CONFIG_MALFORMED = "config-malformed"
    KEY_ID_WRONG = "key-id-wrong"
    SECRET_WRONG = "secret-wrong"
    SESSION_TOKEN = "session-token"
    REGION_ENDPOINT = "region-endpoint"
    CLOCK_SKEW = "clock-skew"
    PERMISSION_MISSING = "permission-missing"
    EXPLICIT_DENY = "explicit-deny"
    TRUST_POLICY = "trust-policy"
    KMS = "kms"
    SIGNING_OTHER = "signing-other"
    NOT_CREDENTIALS = "not-credentials"
    HYGIENE = "hygiene"


class Secret:
    """A secret string that refuses to show itself.

    ``reveal()`` is the one way to read it; everything else prints ``<redacted>``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    def __str__(self) -> str:
        return "<redacted>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Location:
    """Where a fact was found: a file (and line), an environment variable, a flag."""

    kind: str  # "env", "file", "flag", "imds", "container", "text", "aws"
    path: str | None = None
    line: int | None = None
    profile: str | None = None
    key: str | None = None  # the variable or INI key, e.g. AWS_ACCESS_KEY_ID

    def describe(self) -> str:
        if self.kind == "env":
            return f"environment variable {self.key}" if self.key else "environment"
        if self.kind == "file" and self.path:
            where = self.path + (f":{self.line}" if self.line else "")
            parts = [where]
            if self.profile:
                parts.append(f"profile {self.profile}")
            if self.key:
                parts.append(self.key)
            return ", ".join(parts)
        if self.kind == "flag":
            return f"command-line flag {self.key}" if self.key else "command line"
        pieces = [self.kind] + [p for p in (self.path, self.profile, self.key) if p]
        return " ".join(pieces)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "profile": self.profile,
            "key": self.key,
        }


@dataclass(frozen=True)
class Finding:
    """One problem or risk, with everything a person needs to act on it.

    ``explanation`` and ``fix`` are built from masked values only; reporters still pass
    them through :mod:`keydoctor.redact` as a second line of defence.
    """

    code: str
    severity: Severity
    category: Category
    title: str
    explanation: str
    fix: str
    location: Location | None = None
    confidence: str = "high"  # high / medium / low: separate from severity, as in bandit

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "category": self.category.value,
            "title": self.title,
            "explanation": self.explanation,
            "fix": self.fix,
            "confidence": self.confidence,
            "location": self.location.to_dict() if self.location else None,
        }


@dataclass(frozen=True)
class CredentialSource:
    """One place that offers credentials, in the order botocore would try it.

    ``method`` is botocore's own name for the provider (``env``,
    ``shared-credentials-file``, ``assume-role`` ...). For providers that fetch
    credentials later (assume-role, SSO, process, container, IMDS) the key fields are
    empty and ``details`` says what would be used.
    """

    method: str
    location: Location
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: Secret | None = None
    session_token: Secret | None = None
    expiry: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # why it lost, for a shadowed source
    error: str | None = None  # why botocore would fail on it (stops the chain)

    @property
    def has_static_keys(self) -> bool:
        return self.access_key_id is not None or self.secret_access_key is not None


@dataclass(frozen=True)
class Resolution:
    """The outcome of walking the credential chain as botocore would."""

    profile: str
    profile_origin: str  # "--profile", "AWS_DEFAULT_PROFILE", "AWS_PROFILE" or "default"
    winner: CredentialSource | None
    shadowed: tuple[CredentialSource, ...]
    failure: str | None  # the exception botocore would raise, in words (masked)
    searched: tuple[str, ...]  # every place looked at, for "nothing found"
