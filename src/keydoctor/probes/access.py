"""What came back from one request, as neutral data, and the one place that judges it.

Both ways of asking produce the same :class:`RawAnswer`: the direct client
(:mod:`keydoctor.probes.wire`) builds it from its own HTTP exchange, and a botocore client's
exception becomes one in :func:`answer_of`. :func:`classify` then sorts a ``RawAnswer`` into
one outcome with a reason a person can read, so a refusal, a timeout or an HTML portal page
is judged alike whichever client asked.

botocore keeps the raw HTTP answer of a failed call to itself; a session made with
:func:`keep_answers` keeps it per call, with no shared state: its response parser hands
the status, headers and start of the body of an unreadable answer to the
:class:`AnswerError` it raises, and puts the start of an error body into the error
response, which travels in botocore's own ``ClientError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keydoctor.catalog import codes
from keydoctor.probes import outcome as oc
from keydoctor.probes.outcome import Failure

if TYPE_CHECKING:
    from keydoctor.probes.transport import Target

BODY_HEAD_BYTES = 512
BODY_HEAD = "KeydoctorBodyHead"  # where a kept error body travels in ResponseMetadata

# Why no readable answer came (Unanswered.kind).
PROXY = "proxy"
CONNECT_TIMEOUT = "connect-timeout"
READ_TIMEOUT = "read-timeout"
TLS = "tls"
CONNECT = "connect"  # DNS, refused or another connection failure: see the detail
CLOSED = "closed"
UNREADABLE = "unreadable"  # an answer came, but no AWS XML/JSON answer could be read
CREDENTIALS = "credentials"  # the SDK could not obtain credentials
NO_REGION = "no-region"
OTHER = "other"


@dataclass(frozen=True)
class Unanswered:
    """Why a request got no readable answer: the connection's or the SDK's own failure."""

    kind: str
    name: str  # the name reports show as the code, e.g. "ConnectTimeoutError"
    message: str  # one line, scrubbed
    detail: str = ""  # for CONNECT: the underlying socket error, to tell DNS from refusal


@dataclass(frozen=True)
class RawAnswer:
    """One request's answer as it came, before anyone judged it. Holds no credential."""

    operation: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body_head: bytes = b""
    code: str = ""
    message: str = ""
    duration_ms: float = 0.0
    failure: Unanswered | None = None


class AnswerError(Exception):
    """A request that did not succeed, with its :class:`RawAnswer` (our clients raise it)."""

    def __init__(self, answer: RawAnswer) -> None:
        super().__init__(answer.code or (answer.failure.message if answer.failure else ""))
        self.answer = answer


def short(exc: BaseException) -> str:
    """The first line of an exception's text, at most 300 characters, secrets scrubbed."""
    from keydoctor.redact import scrub_patterns

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return scrub_patterns(text[:300])


def _lowered(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


# -- botocore: per-call raw answers --------------------------------------------------------


def keep_answers(session: Any) -> None:
    """Make every client of ``session`` keep the raw answers of its failed calls."""
    from botocore.parsers import ResponseParserFactory

    class KeepingParser:
        """botocore's parser for one protocol, keeping what it cannot read."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def parse(self, response: dict[str, Any], shape: Any) -> Any:
            status = response.get("status_code")
            body = response.get("body")
            head = body[:BODY_HEAD_BYTES] if isinstance(body, bytes) else b""
            try:
                parsed = self._inner.parse(response, shape)
            except Exception as exc:
                if not _is_parse_error(exc):
                    raise
                raise AnswerError(
                    RawAnswer(
                        operation="",
                        status=status if isinstance(status, int) else None,
                        headers=_lowered(response.get("headers")),
                        body_head=head,
                        failure=Unanswered(UNREADABLE, type(exc).__name__, short(exc)),
                    )
                ) from exc
            meta = parsed.get("ResponseMetadata") if isinstance(parsed, dict) else None
            if isinstance(status, int) and status >= 300 and isinstance(meta, dict):
                # (A modeled error's second parse has no metadata: it is merged into the
                # first, which already carries the body's start.)
                meta[BODY_HEAD] = head
            return parsed

    class KeepingParserFactory(ResponseParserFactory):  # type: ignore[misc]
        def create_parser(self, protocol_name: str) -> Any:
            return KeepingParser(super().create_parser(protocol_name))

    session.register_component("response_parser_factory", KeepingParserFactory())


def _is_parse_error(exc: BaseException) -> bool:
    from botocore.parsers import ResponseParserError

    return isinstance(exc, (ResponseParserError, KeyError, ValueError))


_CONNECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("ProxyConnectionError", PROXY),
    ("ConnectTimeoutError", CONNECT_TIMEOUT),
    ("ReadTimeoutError", READ_TIMEOUT),
    ("SSLError", TLS),
    ("EndpointConnectionError", CONNECT),
    ("ConnectionClosedError", CLOSED),
    ("HTTPClientError", CLOSED),
    ("ConnectionError", CLOSED),
)
_PROVIDER_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "ProfileNotFound",
    "InvalidConfigError",
    "NoAuthTokenError",
    "UnauthorizedSSOTokenError",
    "SSOTokenLoadError",
)


def answer_of(exc: BaseException, operation: str = "") -> RawAnswer:
    """The :class:`RawAnswer` behind an exception raised while asking."""
    if isinstance(exc, AnswerError):
        return exc.answer
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {}) or {}
        meta = exc.response.get("ResponseMetadata", {}) or {}
        head = meta.get(BODY_HEAD, b"")
        return RawAnswer(
            operation=str(getattr(exc, "operation_name", "") or operation),
            status=meta.get("HTTPStatusCode"),
            headers=_lowered(meta.get("HTTPHeaders")),
            body_head=head if isinstance(head, bytes) else b"",
            code=str(error.get("Code") or ""),
            message=str(error.get("Message") or ""),
        )
    for class_name, kind in _CONNECTION_KINDS:
        if isinstance(exc, getattr(bx, class_name)):
            inner = exc.kwargs.get("error") if isinstance(exc, bx.BotoCoreError) else None
            detail = f"{type(inner).__name__}: {inner}" if inner is not None else str(exc)
            shown = type(exc).__name__ if kind == CLOSED else class_name
            return RawAnswer(operation, failure=Unanswered(kind, shown, short(exc), detail))
    name = type(exc).__name__
    provider = tuple(getattr(bx, n) for n in _PROVIDER_ERRORS if hasattr(bx, n))
    if isinstance(exc, provider) or name in _PROVIDER_ERRORS:
        return RawAnswer(operation, failure=Unanswered(CREDENTIALS, name, short(exc)))
    if isinstance(exc, bx.NoRegionError):
        return RawAnswer(operation, failure=Unanswered(NO_REGION, name, short(exc)))
    return RawAnswer(operation, failure=Unanswered(OTHER, name, short(exc)))


# -- classification --------------------------------------------------------------------------

_CREDENTIAL_OPERATIONS = {
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetRoleCredentials",
    "CreateToken",
}
# The answer codes by family come from the one table (catalog/codes.toml); whether a
# family refuses the credentials themselves is its ``auth`` flag there.
_NOT_FOUND_FAMILIES = (codes.NO_BUCKET, codes.NO_ENTITY, codes.NOT_FOUND)
_REDIRECT_FAMILIES = (codes.REDIRECT, codes.TEMPORARY_REDIRECT, codes.WRONG_LOCATION)


def looks_html(head: bytes) -> bool:
    """True when a body starts like a web page (a portal, a proxy), not an AWS answer."""
    text = head.lstrip()[:64].lower()
    return text.startswith(b"<!doctype html") or text.startswith(b"<html")


def classify(raw: RawAnswer, target: Target, asked_operation: str = "") -> Failure:
    """Sort one unsuccessful answer into one outcome, with a reason a person can read."""
    from keydoctor.probes.capabilities import speaker_for
    from keydoctor.redact import mask_url

    where = f"the AWS endpoint in {target.region}"
    if target.endpoint_url:
        where = mask_url(target.endpoint_url)
    if raw.failure is None:
        return _judge_answer(raw, target, asked_operation, where, speaker_for(target.endpoint_url))
    return _judge_silence(raw, raw.failure, target, where)


def _judge_answer(
    raw: RawAnswer, target: Target, asked_operation: str, where: str, speaker: str
) -> Failure:
    """An answer AWS (or whoever listens there) gave with an error code or status."""
    code, message, status = raw.code, raw.message, raw.status
    fetched = target.source is None or target.source.access_key_id is None
    asked = asked_operation.replace(" ", "").lower() == raw.operation.lower()
    if raw.operation in _CREDENTIAL_OPERATIONS and fetched and not asked:
        # botocore was fetching the credentials (assume-role, web identity, SSO) for a
        # provider-based profile: the probe itself was never sent. A probe that asks
        # AssumeRole itself (with static keys) is judged like any other answer.
        return Failure(
            oc.PROVIDER,
            code or str(status),
            message,
            f"getting the credentials failed: {raw.operation} answered {code or status}",
            status,
            operation=raw.operation,
        )
    family = codes.family(code)
    # An HTML page is no AWS answer unless it carries a named AWS refusal (a bare status
    # such as "403" is what any web server or proxy says).
    refused_keys = codes.is_auth(code)
    named_refusal = (refused_keys or family == codes.DENIED) and not code.isdigit()
    if looks_html(raw.body_head) and not named_refusal:
        return Failure(
            oc.NOT_AWS,
            code or str(status),
            "HTML page instead of an AWS answer",
            f"{where} answered HTTP {status} with an HTML page, not an AWS XML/JSON answer",
            status,
        )
    if refused_keys:
        return Failure(
            oc.AUTH_FAILED, code, message, f"{speaker} refused the request: {code}", status
        )
    if family == codes.DENIED:
        return Failure(oc.DENIED, code, message or "Forbidden", "access denied", status)
    if family in _NOT_FOUND_FAMILIES:
        return Failure(oc.NOT_FOUND, code, message or "Not Found", "not found", status)
    if family in _REDIRECT_FAMILIES:
        return Failure(
            oc.REDIRECT,
            code,
            message or "Moved Permanently",
            "S3 says the bucket must be addressed in another region",
            status,
        )
    if family == codes.THROTTLE or (isinstance(status, int) and status >= 500):
        return Failure(
            oc.SERVER_ERROR,
            code or str(status),
            message,
            f"{where} answered HTTP {status} ({code or 'server error'}): a service-side "
            "problem or throttling",
            status,
        )
    said = (
        f"{speaker} answered {code}"
        if code
        else f"{speaker} answered HTTP {status} without an error code"
        + (f": {message.strip().splitlines()[0][:200]}" if message.strip() else "")
    )
    return Failure(oc.ERROR, code or str(status), message, said, status)


def _judge_silence(raw: RawAnswer, failure: Unanswered, target: Target, where: str) -> Failure:
    """No readable answer: the connection failed, the answer was no AWS answer, or the SDK
    could not even start."""
    kind, name, text = failure.kind, failure.name, failure.message
    if kind == PROXY:
        reason = f"the proxy (HTTPS_PROXY/HTTP_PROXY) refused or failed to connect to {where}"
        return Failure(oc.UNREACHABLE, name, text, reason)
    if kind == CONNECT_TIMEOUT:
        reason = f"connecting to {where} timed out after {target.timeout:g} s"
        return Failure(oc.UNREACHABLE, name, text, reason)
    if kind == READ_TIMEOUT:
        return Failure(
            oc.UNREACHABLE, name, text, f"{where} did not answer within {target.timeout:g} s"
        )
    if kind == TLS:
        reason = (
            f"the TLS handshake with {where} failed (certificate or proxy interception; "
            "check AWS_CA_BUNDLE)"
        )
        return Failure(oc.UNREACHABLE, name, text, reason)
    if kind == CONNECT:
        lowered = (failure.detail or text).lower()
        if (
            "gaierror" in lowered
            or "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or "temporary failure in name resolution" in lowered
        ):
            reason = f"the name of {where} could not be resolved (DNS)"
        elif "refused" in lowered:
            reason = f"the connection to {where} was refused (nothing listens there)"
        else:
            reason = f"could not connect to {where}"
        return Failure(oc.UNREACHABLE, name, text, reason)
    if kind == CLOSED:
        reason = f"the connection to {where} broke before an answer came"
        return Failure(oc.UNREACHABLE, name, text, reason)
    status = raw.status
    if kind == UNREADABLE and status is not None:
        html = looks_html(raw.body_head)
        if status >= 500 and not html:
            return Failure(
                oc.SERVER_ERROR,
                str(status),
                text,
                f"{where} answered HTTP {status} without a readable body: a "
                "service-side problem or throttling",
                status,
            )
        if html:
            reason = f"{where} answered HTTP {status} with an HTML page, not an AWS XML/JSON answer"
        else:
            reason = f"{where} answered something that is not a readable AWS answer"
        return Failure(oc.NOT_AWS, name, text, reason, status)
    if kind == CREDENTIALS:
        return Failure(oc.PROVIDER, name, text, "the SDK could not obtain credentials")
    if kind == NO_REGION:
        return Failure(oc.ERROR, name, text, "no region is configured")
    return Failure(oc.ERROR, name, text, "unexpected error")


def tls_refused(failure: Failure | None) -> bool:
    """Whether a probe failed in the TLS handshake (its certificate was not trusted)."""
    return failure is not None and failure.outcome == oc.UNREACHABLE and failure.code == "SSLError"
