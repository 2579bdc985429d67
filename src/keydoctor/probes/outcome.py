"""What one probe asked and what came back, as plain data.

A :class:`ProbeResult` never holds a secret: it keeps the AWS error code and message,
the HTTP status, a few response headers (Date, x-amz-bucket-region) and the fields of
the answer that the report needs (account, ARN, key ids that reporters mask).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Outcomes, from the point of view of the person running the check.
OK = "ok"
DENIED = "denied"
NOT_FOUND = "not-found"
AUTH_FAILED = "auth-failed"  # the keys (or token, or clock) were refused
REDIRECT = "redirect"  # S3 says: ask another region
UNREACHABLE = "unreachable"  # no answer: refused, DNS, timeout, TLS, proxy
SERVER_ERROR = "server-error"  # 5xx, throttling
NOT_AWS = "not-aws"  # HTML or unreadable answer
PROVIDER = "provider-failed"  # credentials could not be obtained locally
ERROR = "error"  # anything else AWS answered
SKIPPED = "skipped"


@dataclass(frozen=True)
class Failure:
    """Why a probe did not get the answer it asked for, already classified."""

    outcome: str
    code: str  # AWS error code, or the botocore exception class
    message: str
    reason: str  # plain words: "connection refused", "timed out after 2.0 s" ...
    status: int | None = None
    operation: str | None = None  # set when botocore's credential fetch failed (AssumeRole)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "reason": self.reason,
            "status": self.status,
            "operation": self.operation,
        }


@dataclass
class ProbeResult:
    """One question asked of AWS: the question, the answer and how long it took."""

    name: str  # e.g. "s3:ListObjectsV2 my-bucket"
    service: str
    operation: str
    asked: str
    outcome: str = OK
    answer: str = ""
    duration_ms: float = 0.0
    action: str | None = None  # the IAM action it needs, e.g. s3:ListBucket
    resource: str | None = None  # the ARN it touches
    failure: Failure | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    local_time: datetime | None = None  # when the answer arrived, by the local clock

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "name": self.name,
            "asked": self.asked,
            "answer": self.answer,
            "outcome": self.outcome,
            "duration_ms": round(self.duration_ms, 1),
        }
        if self.action:
            result["action"] = self.action
        if self.resource:
            result["resource"] = self.resource
        if self.failure is not None:
            result["error"] = self.failure.to_dict()
        hop = self.data.get("hop")
        if isinstance(hop, dict):  # one AssumeRole of a role chain (probes/providers.py)
            result["hop"] = dict(hop)
        return result
