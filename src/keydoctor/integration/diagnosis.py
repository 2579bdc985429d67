"""Turn one failed call (or a pasted error text) into a ranked, masked diagnosis.

Two sources of knowledge are combined:

* the error catalog (:func:`keydoctor.catalog.diagnose_text`) ranks the known causes of
  the error code, using the clues in the message and the hints the failed client gives
  (service, operation, region, endpoint);
* the offline audit (:func:`keydoctor.audit.run_audit`) of *the credentials this very
  client used* contributes its findings that make a call fail (severity high or
  critical), which raise the causes of their category.

Which credentials are audited: when the client got explicit keys (``aws_access_key_id=``
in code) or the machine now resolves other keys than the client holds, those keys
alone are audited, in an environment of their own; otherwise the machine's environment
and the session's profile are, exactly as ``keydoctor check`` would. Audits are cached
by a digest of the inputs, so a loop of failing calls audits once.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from keydoctor.diagnosis import Answer, Cause, Evidence, key_facts, rank
from keydoctor.integration.classify import ErrorFacts, error_facts
from keydoctor.integration.clientfacts import ClientFacts, without_userinfo
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.redact import Redactor, mask_key_id, scrub_patterns

MORE = "run `keydoctor check` for more"
_CACHE_SIZE = 32
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Diagnosis:
    """keydoctor's answer for one error: the ranked causes and the facts behind them.

    ``causes[0]`` is the top cause; ``findings`` are the audit findings (high and
    critical) about the credentials the client used; ``client`` is the masked view of
    that client; ``explanation`` is the catalog's full answer (``None`` without catalog).
    Every string here is masked: no secret, no full key id.
    """

    error_code: str
    kind: str  # "client-error", "botocore", "other" or "text"
    operation: str | None
    service: str | None
    causes: tuple[Cause, ...]
    findings: tuple[Finding, ...] = ()
    client: dict[str, Any] = field(default_factory=dict)
    explanation: Any = None
    probe: dict[str, Any] | None = None

    @property
    def top(self) -> Cause | None:
        return self.causes[0] if self.causes else None

    @property
    def found(self) -> bool:
        return bool(self.causes)

    def summary(self) -> str:
        """The one ``keydoctor:`` line added to an exception message."""
        top = self.top
        if top is None:
            return f"keydoctor: no known cause for {self.error_code}; {MORE}"
        fix = _one_line(top.fix)
        title = _one_line(top.title).rstrip(".")
        return scrub_patterns(f"keydoctor: [{top.category.value}] {title}. Fix: {fix} ({MORE})")

    def to_dict(self) -> dict[str, Any]:
        explanation = self.explanation
        return {
            "error_code": self.error_code,
            "kind": self.kind,
            "operation": self.operation,
            "service": self.service,
            "summary": self.summary(),
            "top": self.top.to_dict() if self.top else None,
            "causes": [c.to_dict() for c in self.causes],
            "findings": [f.to_dict() for f in self.findings],
            "client": dict(self.client),
            "probe": self.probe,
            "explanation": explanation.to_dict() if hasattr(explanation, "to_dict") else None,
        }


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


# -- the audit of the client's credentials, cached ---------------------------------------
class _AuditCache:
    """A small thread-safe LRU of audit findings keyed by a digest of their inputs."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[Finding, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: tuple[Finding, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


AUDIT_CACHE = _AuditCache(_CACHE_SIZE)


def _own_keys_environ(facts: ClientFacts) -> dict[str, str]:
    """An environment in which the client's own keys are the only credentials.

    The shared files are pointed at paths that do not exist so that nothing else on the
    machine can mix in; HOME stays, since some checks describe paths relative to it.
    """
    environ = {
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "AWS_CONFIG_FILE": os.devnull + ".keydoctor-none",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull + ".keydoctor-none",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if facts.access_key_id is not None:
        environ["AWS_ACCESS_KEY_ID"] = facts.access_key_id
    if facts.secret_access_key is not None:
        environ["AWS_SECRET_ACCESS_KEY"] = facts.secret_access_key.reveal()
    if facts.session_token is not None:
        environ["AWS_SESSION_TOKEN"] = facts.session_token.reveal()
    return environ


_IN_CODE = Location(kind="client", key="credentials given to the client in code")
_NOT_ABOUT_OWN_KEYS = frozenset({Category.WRONG_SOURCE, Category.HYGIENE})


def audit_findings(facts: ClientFacts) -> tuple[Finding, ...]:
    """The audit findings that make a call fail, for the credentials the client used.

    Cached; never raises (an audit that fails gives no findings, and the diagnosis
    then rests on the catalog alone).
    """
    key = facts.fingerprint()
    cached = AUDIT_CACHE.get(key)
    if cached is not None:
        return cached
    try:
        findings = _audit(facts)
    except Exception:
        findings = ()
    AUDIT_CACHE.put(key, findings)
    return findings


def _audit(facts: ClientFacts) -> tuple[Finding, ...]:
    from keydoctor.audit import run_audit

    own_keys = facts.method == "explicit"
    if not own_keys:
        result = run_audit(
            profile=facts.profile, region=facts.region, endpoint_url=facts.endpoint_url
        )
        winner = result.resolution.winner
        if facts.static_keys and (winner is None or winner.access_key_id != facts.access_key_id):
            own_keys = True  # the machine resolves other keys now; audit the client's own
        else:
            return tuple(f for f in result.findings if f.severity >= Severity.HIGH)
    result = run_audit(
        region=facts.region, endpoint_url=facts.endpoint_url, environ=_own_keys_environ(facts)
    )
    return tuple(
        _in_code(f) if f.location is not None and f.location.kind == "env" else f
        for f in result.findings
        if f.severity >= Severity.HIGH
        and f.category not in _NOT_ABOUT_OWN_KEYS
        and (f.location is None or f.location.kind != "file")  # the stand-in paths' artefacts
    )


def _in_code(finding: Finding) -> Finding:
    """A finding on keys given in code: the variables it names are stand-ins for them."""
    return replace(
        finding,
        location=_IN_CODE,
        fix=finding.fix.rstrip(".")
        + "; here the client got its keys in code, so pass the value there (boto3.client(..., "
        "aws_access_key_id=, aws_secret_access_key=, aws_session_token=))",
    )


# -- building the diagnosis --------------------------------------------------------------
def _ranked(
    error: ErrorFacts,
    findings: tuple[Finding, ...],
    hints: dict[str, Any],
    *,
    keys_accepted: bool = False,
    facts: ClientFacts | None = None,
) -> tuple[Any, tuple[Cause, ...]]:
    """The catalog's reading of the error, then the one ranker over all the evidence.

    The code the client saw (or, for a text, the first error the catalog finds in it) is
    the answer; the message's wording and the client's settings are clues; the audit's
    findings are what this machine shows. A critical finding's category rises through
    the ranker's boost and its words (which name the variable or file) replace the
    catalog's general ones.
    """
    try:
        from keydoctor.catalog import diagnose_text
        from keydoctor.catalog.matcher import text_clues
    except ImportError:
        return None, ()
    explanation = diagnose_text(error.text, findings=list(findings), hints=hints)
    code = explanation.error_code if explanation.found else None
    answers = (Answer(code, (error.operation,) if error.operation else ()),) if code else ()
    key_id = facts.access_key_id if facts is not None else None
    evidence = Evidence(
        answers=answers,
        facts=frozenset(
            key_facts(key_id, token_sent=facts is not None and facts.session_token is not None)
        ),
        text=text_clues(error.text, hints=hints),
        predicted=findings,
        keys_accepted=keys_accepted,
        key=mask_key_id(key_id) if key_id else "the key",
    )
    return explanation, tuple(rank(evidence))


def _hints(error: ErrorFacts, facts: ClientFacts | None, tool: str | None) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    if error.kind == "client-error":
        hints["code"] = error.code
    if tool:
        hints["tool"] = tool
    operation = error.operation or (facts.operation if facts else None)
    if operation:
        hints["operation"] = operation
    if facts is not None:
        if facts.service:
            hints["service"] = facts.service
        if facts.region:
            hints["region"] = facts.region
        if facts.endpoint_url and not _deliberate_local_pair(facts):
            hints["endpoint_url"] = without_userinfo(facts.endpoint_url)
    return hints


def _deliberate_local_pair(facts: ClientFacts) -> bool:
    """Keys given in code to a client of a loopback endpoint (a local emulator).

    The catalog reads a non-AWS endpoint as a clue that the keys belong to another
    store, which is right for pasted text and for keys that the chain picked up. When
    the program itself handed these keys to a client of 127.0.0.1/localhost, it paired
    them with its local emulator on purpose, so the endpoint is no such clue.
    """
    if facts.method != "explicit" or not facts.endpoint_url:
        return False
    host = facts.endpoint_url.split("://", 1)[-1].split("/", 1)[0]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.strip("[]") in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def _scrub_cause(cause: Cause, redactor: Redactor) -> Cause:
    return replace(
        cause,
        title=redactor.scrub(cause.title),
        fix=redactor.scrub(cause.fix),
        why=tuple(redactor.scrub(w) for w in cause.why),
        explanation=redactor.scrub(cause.explanation),
    )


def build(
    error: ErrorFacts,
    facts: ClientFacts | None,
    *,
    audit: bool,
    tool: str | None = "boto3",
    probe: dict[str, Any] | None = None,
) -> Diagnosis:
    """Diagnose one error: audit (cached) the client's credentials, then rank the causes."""
    findings: tuple[Finding, ...] = ()
    if audit:
        findings = audit_findings(facts or ClientFacts())
    explanation, causes = _ranked(
        error,
        findings,
        _hints(error, facts, tool),
        keys_accepted=bool(probe is not None and probe.get("ok")),
        facts=facts,
    )
    redactor = facts.redactor() if facts is not None else Redactor()
    return Diagnosis(
        error_code=error.code,
        kind=error.kind,
        operation=error.operation or (facts.operation if facts else None),
        service=facts.service if facts else None,
        causes=tuple(_scrub_cause(c, redactor) for c in causes),
        findings=findings,
        client=facts.to_dict() if facts is not None else {},
        explanation=explanation,
        probe=probe,
    )


def for_text(text: str, *, audit: bool = False) -> Diagnosis:
    """Diagnose pasted error text (AWS CLI output, a traceback, a log line)."""
    findings = audit_findings(ClientFacts()) if audit else ()
    error = ErrorFacts(kind="text", code="", text=text)
    explanation, causes = _ranked(error, findings, {})
    code = getattr(explanation, "error_code", None) or "unknown"
    return Diagnosis(
        error_code=code,
        kind="text",
        operation=getattr(explanation, "operation", None),
        service=getattr(explanation, "service", None),
        causes=tuple(_scrub_cause(c, Redactor()) for c in causes),
        findings=findings,
        explanation=explanation,
    )


def for_exception(
    exc: BaseException, facts: ClientFacts | None = None, *, audit: bool = True
) -> Diagnosis:
    """Diagnose an exception caught without the hook (``keydoctor.diagnose(exc)``)."""
    existing = getattr(exc, "keydoctor", None)
    if isinstance(existing, Diagnosis):
        return existing
    message = getattr(exc, "_keydoctor_original_message", None)
    return build(error_facts(exc, message), facts, audit=audit)
