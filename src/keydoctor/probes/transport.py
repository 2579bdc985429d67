"""botocore clients for the probes, and the one function that asks a question safely.

Clients are created lazily, only on the online path, with a tight connect/read timeout,
retries off (a probe must answer in seconds and report the first failure as it is) and
an honest User-Agent. The credentials are those the offline audit resolved: static keys
are handed to botocore as they are (with any stray character, so that AWS judges exactly
what the SDK would send); for providers that fetch credentials (assume-role, SSO,
credential_process ...) botocore's own session resolves them for the same profile.

:meth:`Transport.ask` turns every exception into a :class:`~keydoctor.probes.access.RawAnswer`
and classifies it (:func:`keydoctor.probes.access.classify`): no traceback leaves a probe.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keydoctor.model import CredentialSource
from keydoctor.probes import access, clients
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
    # A fix acts with exactly the keys it names: no shared file or variable may add to
    # them (``isolated``), and it may try again where a probe reports the first failure.
    isolated: bool = False
    attempts: int = 1

    def static_keys(self) -> clients.StaticKeys | None:
        """The resolved static keys, when the source has them (else botocore's chain)."""
        source = self.source
        if source is None or source.access_key_id is None:
            return None
        return clients.StaticKeys(
            source.access_key_id,
            source.secret_access_key.reveal() if source.secret_access_key else "",
            source.session_token.reveal() if source.session_token is not None else None,
        )


PROBED_SERVICES = ("iam", "s3", "sts")


class Transport:
    """A botocore session and its clients, shared by the probe threads."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._fast: dict[tuple[str, str], Any] = {}
        self._unreachable: Failure | None = None  # once the endpoint is known dead

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

    def prepare_direct(self, services: tuple[str, ...] = PROBED_SERVICES) -> None:
        """Make the direct clients before the questions go out, where they apply.

        The probe threads would otherwise load the HTTP client and the signer themselves,
        beside the caller's own imports, and the first request would leave only when both
        were done. A service that needs botocore gets nothing here (its client is made
        by the thread that asks, as before).
        """
        region = self.target.region
        with self._lock:
            for service in services:
                if (service, region) not in self._fast:
                    made = self._fast_client(service, region)
                    if made is not None:
                        self._fast[(service, region)] = made

    def _fast_client(self, service: str, region: str) -> Any:
        target = self.target
        keys = target.static_keys()
        if target.settings is None or keys is None:
            return None
        from keydoctor.probes import endpoints

        if service not in endpoints.FAST_SERVICES:
            return None
        from keydoctor.probes import wire

        if not (wire.header_safe(keys.access_key_id) and wire.header_safe(keys.session_token)):
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
            keys=keys,
            timeout=target.timeout,
            user_agent=clients.USER_AGENT,
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
                self._session = clients.new_session(
                    profile=self.target.profile,
                    isolated=self.target.isolated,
                    services=PROBED_SERVICES,
                    keep_answers=True,
                    metadata_timeout=self.target.timeout,
                )
            clients.allow_service(self._session, service)
            made = clients.make_client(
                service,
                keys=self.target.static_keys(),
                region=region,
                endpoint_url=self.target.endpoint_url,
                session=self._session,
                connect_timeout=self.target.timeout,
                read_timeout=self.target.timeout,
                attempts=self.target.attempts,
                user_agent=clients.USER_AGENT,
                path_style=bool(self.target.endpoint_url),
            )
            self._clients[key] = made
            return made

    def ask(
        self,
        probe: ProbeResult,
        call: Callable[[Any], dict[str, Any]],
        region: str | None = None,
    ) -> dict[str, Any] | None:
        """Run ``call(client)`` for the probe's service; fill the probe in; never raise.

        Returns the parsed answer when AWS said yes, else None with ``probe.failure`` set.
        """
        if self._unreachable is not None:
            # The endpoint already failed to answer: do not wait another timeout for it.
            probe.failure = self._unreachable
            probe.outcome = oc.UNREACHABLE
            probe.local_time = datetime.now(UTC)
            return None
        start = time.perf_counter()
        response: dict[str, Any] | None = None
        raw: access.RawAnswer | None = None
        try:
            client = self.client(probe.service, region)
            response = call(client)
        except Exception as exc:  # classified below; nothing escapes a probe
            raw = access.answer_of(exc, probe.operation)
        finally:
            probe.duration_ms = (time.perf_counter() - start) * 1000.0
            probe.local_time = datetime.now(UTC)
        if raw is not None:
            raw = dataclasses.replace(
                raw, operation=raw.operation or probe.operation, duration_ms=probe.duration_ms
            )
            try:
                probe.failure = access.classify(raw, self.target, probe.operation)
            except Exception as inner:  # a bug in classification must not stop the run
                name = raw.failure.name if raw.failure else raw.code
                probe.failure = Failure(
                    oc.ERROR, name, raw.message, f"unclassified error ({type(inner).__name__})"
                )
            probe.outcome = probe.failure.outcome
            if probe.outcome == oc.UNREACHABLE:
                self._unreachable = probe.failure
            probe.headers = {k: v for k, v in raw.headers.items() if k in _KEPT_HEADERS}
            return None
        meta = (response or {}).get("ResponseMetadata") or {}
        headers = {str(k).lower(): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
        probe.headers = {k: v for k, v in headers.items() if k in _KEPT_HEADERS}
        probe.outcome = oc.OK
        return response


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
