"""botocore clients for the probes, and the one function that asks a question safely.

Clients are created lazily, only on the online path, with a tight connect/read timeout,
retries off (a probe must answer in seconds and report the first failure as it is) and
an honest User-Agent. The credentials are those the offline audit resolved: static keys
are handed to botocore as they are (with any stray character, so that AWS judges exactly
what the SDK would send); for providers that fetch credentials (assume-role, SSO,
credential_process ...) botocore's own session resolves them for the same profile.

:func:`ask` turns every exception into a classified :class:`~keydoctor.probes.outcome.Failure`:
no traceback leaves a probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keydoctor import __version__
from keydoctor.catalog import codes
from keydoctor.model import CredentialSource
from keydoctor.probes import outcome as oc
from keydoctor.probes.outcome import Failure, ProbeResult

DEFAULT_TIMEOUT = 2.5
_KEPT_HEADERS = ("date", "x-amz-bucket-region", "content-type", "location", "server")


@dataclass(frozen=True)
class Target:
    """Where and as whom the probes ask: the same as the SDK in this shell would."""

    region: str
    endpoint_url: str | None
    profile: str | None  # only when named with --profile; else botocore finds it itself
    source: CredentialSource | None
    timeout: float = DEFAULT_TIMEOUT
    # The profile's settings as the audit read them: given, the probes may ask STS, S3
    # and IAM directly (keydoctor.probes.wire) when nothing there changes botocore's
    # endpoints; None keeps every call on botocore clients.
    settings: Mapping[str, Any] | None = None


class _LastResponse(threading.local):
    """The last raw HTTP answer seen by this thread (set by a botocore event hook)."""

    status: int | None = None
    headers: dict[str, str] | None = None
    body_head: bytes = b""


PROBED_SERVICES = ("iam", "s3", "sts")


def _narrow_service_listing(session: Any) -> None:
    """Let this session's loader look only for the three services the probes use.

    botocore's loader lists every service directory (hundreds of ``listdir`` calls, once
    per model type) just to check that a service name exists; the probes know theirs.
    Models are still found on the same search path (``AWS_DATA_PATH``, ``~/.aws/models``,
    botocore's data), so a user's own model files keep precedence.
    """
    import os

    loader = session.get_component("data_loader")
    paths = list(loader.search_paths)

    def known_services(type_name: str) -> list[str]:
        return [
            name
            for name in PROBED_SERVICES
            if any(os.path.isdir(os.path.join(path, name)) for path in paths)
        ]

    loader.list_available_services = known_services


class Transport:
    """A botocore session and its clients, shared by the probe threads."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._fast: dict[tuple[str, str], Any] = {}
        self._last = _LastResponse()
        self._unreachable: Failure | None = None  # once the endpoint is known dead

    def _make_session(self) -> Any:
        import botocore.session

        session = botocore.session.Session(profile=self.target.profile)
        _narrow_service_listing(session)
        return session

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for ``service`` in ``region`` (default: the target's), made once.

        The direct client (:class:`keydoctor.probes.wire.FastClient`) when the keys are
        static and botocore would use the plain endpoint; else a botocore client.
        """
        region = region or self.target.region
        key = (service, region)
        with self._lock:
            existing = self._fast.get(key)
            if existing is None:
                existing = self._fast_client(service, region)
                if existing is not None:
                    self._fast[key] = existing
        if existing is not None:
            return existing
        return self.botocore_client(service, region)

    def _fast_client(self, service: str, region: str) -> Any:
        target = self.target
        source = target.source
        if target.settings is None or source is None or source.access_key_id is None:
            return None
        from keydoctor.probes import endpoints

        if service not in endpoints.FAST_SERVICES:
            return None
        token = source.session_token.reveal() if source.session_token is not None else None
        secret = source.secret_access_key.reveal() if source.secret_access_key else ""
        from keydoctor.probes import wire

        if not (wire.header_safe(source.access_key_id) and wire.header_safe(token)):
            return None
        import os

        if endpoints.blocked_by(os.environ, target.settings) is not None:
            return None
        if endpoints.route(service, region, target.endpoint_url) is None:
            return None
        ca_bundle = os.environ.get("AWS_CA_BUNDLE") or target.settings.get("ca_bundle")
        return wire.FastClient(
            service=service,
            region=region,
            endpoint_url=target.endpoint_url,
            keys=wire.Keys(source.access_key_id, secret, token),
            timeout=target.timeout,
            user_agent=f"keydoctor/{__version__}",
            last=self._last,
            ca_bundle=str(ca_bundle) if ca_bundle else None,
            fallback=lambda: self.botocore_client(service, region),
        )

    def botocore_client(self, service: str, region: str | None = None) -> Any:
        """A botocore client for ``service`` in ``region``, made once."""
        region = region or self.target.region
        key = (service, region)
        with self._lock:
            existing = self._clients.get(key)
            if existing is not None:
                return existing
            if self._session is None:
                self._session = self._make_session()
            if service not in PROBED_SERVICES:
                # Another service: give the loader back its full listing.
                loader = self._session.get_component("data_loader")
                loader.__dict__.pop("list_available_services", None)
            from botocore.config import Config

            config = Config(
                connect_timeout=self.target.timeout,
                read_timeout=self.target.timeout,
                retries={"total_max_attempts": 1, "mode": "standard"},
                user_agent=f"keydoctor/{__version__}",
                s3={"addressing_style": "path"} if self.target.endpoint_url else None,
            )
            kwargs: dict[str, Any] = {
                "region_name": region,
                "endpoint_url": self.target.endpoint_url,
                "config": config,
            }
            source = self.target.source
            if source is not None and source.access_key_id is not None:
                kwargs["aws_access_key_id"] = source.access_key_id
                kwargs["aws_secret_access_key"] = (
                    source.secret_access_key.reveal() if source.secret_access_key else ""
                )
                if source.session_token is not None:
                    kwargs["aws_session_token"] = source.session_token.reveal()
            made = self._session.create_client(service, **kwargs)
            made.meta.events.register("before-parse", self._remember_response)
            self._clients[key] = made
            return made

    def _remember_response(self, response_dict: dict[str, Any], **_: Any) -> None:
        headers = response_dict.get("headers") or {}
        body = response_dict.get("body") or b""
        self._last.status = response_dict.get("status_code")
        self._last.headers = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        self._last.body_head = body[:512] if isinstance(body, bytes) else b""

    def ask(
        self,
        probe: ProbeResult,
        call: Callable[[Any], dict[str, Any]],
        region: str | None = None,
    ) -> dict[str, Any] | None:
        """Run ``call(client)`` for the probe's service; fill the probe in; never raise.

        Returns the parsed answer when AWS said yes, else None with ``probe.failure`` set.
        """
        self._last.status = None
        self._last.headers = None
        self._last.body_head = b""
        if self._unreachable is not None:
            # The endpoint already failed to answer: do not wait another timeout for it.
            probe.failure = self._unreachable
            probe.outcome = oc.UNREACHABLE
            probe.local_time = datetime.now(UTC)
            return None
        start = time.perf_counter()
        response: dict[str, Any] | None = None
        try:
            client = self.client(probe.service, region)
            response = call(client)
        except Exception as exc:  # classified below; nothing escapes a probe
            try:
                probe.failure = classify(exc, self._last, self.target, probe.operation)
            except Exception as inner:  # a bug in classification must not stop the run
                probe.failure = Failure(
                    oc.ERROR,
                    type(exc).__name__,
                    _short(exc),
                    f"unclassified error ({type(inner).__name__})",
                )
            probe.outcome = probe.failure.outcome
            if probe.outcome == oc.UNREACHABLE:
                self._unreachable = probe.failure
        finally:
            probe.duration_ms = (time.perf_counter() - start) * 1000.0
            probe.local_time = datetime.now(UTC)
        meta_headers: dict[str, str] = {}
        if response is not None:
            meta = response.get("ResponseMetadata") or {}
            meta_headers = {
                str(k).lower(): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()
            }
        elif self._last.headers:
            meta_headers = self._last.headers
        probe.headers = {k: v for k, v in meta_headers.items() if k in _KEPT_HEADERS}
        if response is not None:
            probe.outcome = oc.OK
        return response


# -- classification --------------------------------------------------------------------------

_CREDENTIAL_OPERATIONS = {
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetRoleCredentials",
    "CreateToken",
}
# The answer codes by family come from the one table (catalog/codes.toml).
_AUTH_FAMILIES = (
    codes.UNKNOWN_KEY,
    codes.SIGNATURE,
    codes.TOKEN_EXPIRED,
    codes.TOKEN_INVALID,
    codes.SKEW,
    codes.HEADER,
)
_NOT_FOUND_FAMILIES = (codes.NO_BUCKET, codes.NO_ENTITY, codes.NOT_FOUND)
_REDIRECT_FAMILIES = (codes.REDIRECT, codes.TEMPORARY_REDIRECT, codes.WRONG_LOCATION)


def _looks_html(head: bytes) -> bool:
    text = head.lstrip()[:64].lower()
    return text.startswith(b"<!doctype html") or text.startswith(b"<html")


def classify(
    exc: BaseException, last: _LastResponse, target: Target, asked_operation: str = ""
) -> Failure:
    """Sort an exception into one outcome, with a reason a person can read."""
    from botocore import exceptions as bx

    from keydoctor.probes.capabilities import speaker_for
    from keydoctor.redact import mask_url

    where = f"the AWS endpoint in {target.region}"
    if target.endpoint_url:
        where = mask_url(target.endpoint_url)
    speaker = speaker_for(target.endpoint_url)
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {}) or {}
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "")
        meta = exc.response.get("ResponseMetadata", {}) or {}
        status = meta.get("HTTPStatusCode") or last.status
        operation = str(getattr(exc, "operation_name", "") or "")
        fetched = target.source is None or target.source.access_key_id is None
        asked = asked_operation.replace(" ", "").lower() == operation.lower()
        if operation in _CREDENTIAL_OPERATIONS and fetched and not asked:
            # botocore was fetching the credentials (assume-role, web identity, SSO) for a
            # provider-based profile: the probe itself was never sent. A probe that asks
            # AssumeRole itself (with static keys) is judged like any other answer.
            return Failure(
                oc.PROVIDER,
                code or str(status),
                message,
                f"getting the credentials failed: {operation} answered {code or status}",
                status,
                operation=operation,
            )
        family = codes.family(code)
        # An HTML page is no AWS answer unless it carries a named AWS refusal (a bare
        # status such as "403" is what any web server or proxy says).
        named_refusal = family in (*_AUTH_FAMILIES, codes.DENIED) and not code.isdigit()
        if _looks_html(last.body_head) and not named_refusal:
            return Failure(
                oc.NOT_AWS,
                code or str(status),
                "HTML page instead of an AWS answer",
                f"{where} answered HTTP {status} with an HTML page, not an AWS XML/JSON answer",
                status,
            )
        if family in _AUTH_FAMILIES:
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
    if isinstance(exc, bx.ProxyConnectionError):
        return Failure(
            oc.UNREACHABLE,
            "ProxyConnectionError",
            _short(exc),
            f"the proxy (HTTPS_PROXY/HTTP_PROXY) refused or failed to connect to {where}",
        )
    if isinstance(exc, bx.ConnectTimeoutError):
        return Failure(
            oc.UNREACHABLE,
            "ConnectTimeoutError",
            _short(exc),
            f"connecting to {where} timed out after {target.timeout:g} s",
        )
    if isinstance(exc, bx.ReadTimeoutError):
        return Failure(
            oc.UNREACHABLE,
            "ReadTimeoutError",
            _short(exc),
            f"{where} did not answer within {target.timeout:g} s",
        )
    if isinstance(exc, bx.SSLError):
        return Failure(
            oc.UNREACHABLE,
            "SSLError",
            _short(exc),
            f"the TLS handshake with {where} failed (certificate or proxy "
            "interception; check AWS_CA_BUNDLE)",
        )
    if isinstance(exc, bx.EndpointConnectionError):
        inner = exc.kwargs.get("error")
        text = f"{type(inner).__name__}: {inner}" if inner is not None else str(exc)
        lowered = text.lower()
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
        return Failure(oc.UNREACHABLE, "EndpointConnectionError", _short(exc), reason)
    if isinstance(exc, (bx.ConnectionClosedError, bx.HTTPClientError, bx.ConnectionError)):
        return Failure(
            oc.UNREACHABLE,
            type(exc).__name__,
            _short(exc),
            f"the connection to {where} broke before an answer came",
        )
    import sys

    # botocore's parser error, if botocore's parsers were ever loaded (a botocore client
    # was used); the direct client raises a ValueError of the same name instead.
    parsers = sys.modules.get("botocore.parsers")
    parser_errors: tuple[type[BaseException], ...] = (
        (parsers.ResponseParserError,) if parsers is not None else ()
    )
    parse_failed = isinstance(exc, (*parser_errors, KeyError, ValueError)) and (
        last.status is not None
    )
    if (
        parse_failed
        and last.status is not None
        and last.status >= 500
        and not _looks_html(last.body_head)
    ):
        return Failure(
            oc.SERVER_ERROR,
            str(last.status),
            _short(exc),
            f"{where} answered HTTP {last.status} without a readable body: a "
            "service-side problem or throttling",
            last.status,
        )
    if parse_failed or (last.status is not None and _looks_html(last.body_head)):
        if _looks_html(last.body_head):
            reason = (
                f"{where} answered HTTP {last.status} with an HTML page, not an AWS XML/JSON answer"
            )
        else:
            reason = f"{where} answered something that is not a readable AWS answer"
        return Failure(oc.NOT_AWS, type(exc).__name__, _short(exc), reason, last.status)
    if isinstance(
        exc,
        (
            bx.NoCredentialsError,
            bx.PartialCredentialsError,
            bx.CredentialRetrievalError,
            bx.TokenRetrievalError,
            bx.ProfileNotFound,
            bx.InvalidConfigError,
            bx.NoAuthTokenError,
        ),
    ) or type(exc).__name__ in ("UnauthorizedSSOTokenError", "SSOTokenLoadError"):
        return Failure(
            oc.PROVIDER, type(exc).__name__, _short(exc), "the SDK could not obtain credentials"
        )
    if isinstance(exc, bx.NoRegionError):
        return Failure(oc.ERROR, "NoRegionError", _short(exc), "no region is configured")
    return Failure(oc.ERROR, type(exc).__name__, _short(exc), "unexpected error")


def _short(exc: BaseException) -> str:
    from keydoctor.redact import scrub_patterns

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return scrub_patterns(text[:300])


def server_time(headers: dict[str, str]) -> datetime | None:
    """The Date header of an answer, as an aware datetime (None if absent or unreadable)."""
    value = headers.get("date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
