"""What a failed call tells about itself: service, operation, region, endpoint, credentials.

Read from a live botocore client (or session) *after* a call failed, never before, so
the successful path pays nothing. Reading is careful in two ways:

* credential objects are read through ``vars()`` so that a refreshable credential's
  properties (which may refresh, i.e. call AWS or run a process) are never triggered;
* every value is optional: botocore's private attributes may change between versions,
  and a missing one only makes the diagnosis less specific, never raises.

The raw key id, secret and token stay inside :class:`ClientFacts` (the secret and token
as :class:`~keydoctor.model.Secret`) and leave it only masked or as a one-way digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from keydoctor.model import Secret
from keydoctor.redact import Redactor, mask_key_id, mask_url


@dataclass(frozen=True)
class ClientFacts:
    """The facts of one client (or session) that matter for a diagnosis."""

    service: str | None = None
    operation: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None  # named explicitly on the session, else None
    method: str | None = None  # botocore's provider name: env, explicit, sso, ...
    access_key_id: str | None = None
    secret_access_key: Secret | None = None
    session_token: Secret | None = None
    has_credentials: bool = False

    @property
    def static_keys(self) -> bool:
        return self.access_key_id is not None and self.secret_access_key is not None

    def fingerprint(self) -> str:
        """A one-way digest of everything the audit depends on, for the cache."""
        parts = [
            self.profile or "",
            self.method or "",
            self.region or "",
            self.endpoint_url or "",
            self.access_key_id or "",
            self.secret_access_key.reveal() if self.secret_access_key else "",
            self.session_token.reveal() if self.session_token else "",
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def redactor(self) -> Redactor:
        """A redactor that knows this client's own secret values."""
        secrets = [s.reveal() for s in (self.secret_access_key, self.session_token) if s]
        key_ids = [self.access_key_id] if self.access_key_id else []
        return Redactor(secrets=secrets, key_ids=key_ids)

    def to_dict(self) -> dict[str, Any]:
        """Masked view, safe to print."""
        return {
            "service": self.service,
            "operation": self.operation,
            "region": self.region,
            "endpoint_url": without_userinfo(self.endpoint_url),
            "profile": self.profile,
            "credential_method": self.method,
            "access_key_id": mask_key_id(self.access_key_id) if self.access_key_id else None,
            "session_token": bool(self.session_token),
            "has_credentials": self.has_credentials,
        }


def without_userinfo(url: str | None) -> str | None:
    """An endpoint URL as reports show it: :func:`keydoctor.redact.mask_url` (no
    ``user:password@``, no query), None staying None."""
    return None if url is None else mask_url(url)


def _plain(obj: Any, name: str) -> Any:
    """An attribute from the instance dict only: no property, no refresh, no I/O."""
    try:
        values = vars(obj)
    except TypeError:
        return None
    if "_" + name in values:
        return values["_" + name]
    return values.get(name)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def credential_facts(credentials: Any) -> dict[str, Any]:
    """Method, key id, secret and token of a botocore credentials object, read safely."""
    if credentials is None:
        return {"has_credentials": False}
    secret = _text(_plain(credentials, "secret_key"))
    token = _text(_plain(credentials, "token"))
    return {
        "has_credentials": True,
        "method": _text(_plain(credentials, "method")),
        "access_key_id": _text(_plain(credentials, "access_key")),
        "secret_access_key": Secret(secret) if secret else None,
        "session_token": Secret(token) if token else None,
    }


def explicit_profile(session: Any) -> str | None:
    """The profile named on a botocore session itself (``Session(profile=...)``).

    botocore drops the environment-variable keys from its chain only for such a
    profile, so the audit must know the difference from ``AWS_PROFILE``.
    """
    if session is None:
        return None
    instance_vars = _plain(session, "session_instance_vars")
    if isinstance(instance_vars, dict):
        return _text(instance_vars.get("profile"))
    return None


def from_client(client: Any, operation: str | None, session: Any = None) -> ClientFacts:
    """Facts of a botocore client after one of its calls failed."""
    meta = getattr(client, "meta", None)
    service: str | None = None
    region: str | None = None
    endpoint: str | None = None
    if meta is not None:
        try:
            service = _text(meta.service_model.service_name)
        except Exception:  # a half-built client: fewer facts, no failure
            service = None
        region = _text(getattr(meta, "region_name", None))
        endpoint = _text(getattr(meta, "endpoint_url", None))
    signer = _plain(client, "request_signer")
    credentials = _plain(signer, "credentials") if signer is not None else None
    return ClientFacts(
        service=service,
        operation=operation,
        region=region,
        endpoint_url=endpoint,
        profile=explicit_profile(session),
        **credential_facts(credentials),
    )


def from_session(
    session: Any, service: str | None = None, region: str | None = None
) -> ClientFacts:
    """Facts of a botocore session whose ``create_client`` failed (no client exists)."""
    return ClientFacts(service=service, region=region, profile=explicit_profile(session))
