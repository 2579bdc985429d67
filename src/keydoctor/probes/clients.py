"""The one place that makes botocore sessions and clients: probes, fixes and the hook.

Three kinds of caller want slightly different clients, and each difference is a named
argument here rather than a copy of the setup:

* the probes ask as the SDK in this shell would (the profile's session, one attempt,
  tight timeouts) and keep every raw answer (:func:`keydoctor.probes.access.keep_answers`);
* a fix acts with exactly the keys it names: its session is cut off from the shared files
  and the environment (``isolated``);
* the hook asks STS once, at the failing client's own endpoint unless that is AWS's.

botocore is imported lazily, so the offline path never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from keydoctor import __version__

USER_AGENT = f"keydoctor/{__version__}"


@dataclass(frozen=True)
class StaticKeys:
    """Static credentials exactly as resolved, for signing only (never printed)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def _named_services_loader(services: Iterable[str], data_path: str | None) -> Any:
    """botocore's data loader, listing only ``services`` (the ones this session will use).

    botocore's loader lists every service directory (hundreds of ``listdir`` calls, once
    per model type) just to check that a service name exists; our sessions know theirs.
    Models are still found on the same search path (``AWS_DATA_PATH``, ``~/.aws/models``,
    botocore's data), so a user's own model files keep precedence.
    """
    from botocore.loaders import Loader

    class NamedServicesLoader(Loader):  # type: ignore[misc]
        def __init__(self, wanted: set[str], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.wanted = wanted

        def list_available_services(self, type_name: str) -> list[str]:
            paths = list(self.search_paths)
            return sorted(
                name
                for name in self.wanted
                if any(os.path.isdir(os.path.join(path, name)) for path in paths)
            )

    extra = None
    if data_path:
        extra = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
    return NamedServicesLoader(set(services), extra_search_paths=extra)


def new_session(
    *,
    profile: str | None = None,
    isolated: bool = False,
    services: Iterable[str] | None = None,
    keep_answers: bool = False,
    metadata_timeout: float | None = None,
) -> Any:
    """A botocore session.

    ``isolated``: no shared file and no variable may add to or override the keys given to
    its clients. ``services``: the only services its clients will be made for (see
    :func:`_named_services_loader`; :func:`allow_service` adds one). ``keep_answers``: every
    client keeps its raw answers for :func:`keydoctor.probes.access.answer_of`.
    ``metadata_timeout``: the container credentials endpoint is asked once, with this
    timeout (see :func:`_ask_container_once`).
    """
    import botocore.session

    session = botocore.session.Session(profile=profile)
    if isolated:
        session.set_config_variable("config_file", os.devnull)
        session.set_config_variable("credentials_file", os.devnull)
        session.set_config_variable("profile", None)
    if services is not None:
        loader = _named_services_loader(services, session.get_config_variable("data_path"))
        session.register_component("data_loader", loader)
    if keep_answers:
        from keydoctor.probes.access import keep_answers as keeping

        keeping(session)
    if metadata_timeout is not None:
        _ask_container_once(session, metadata_timeout)
    return session


def _ask_container_once(session: Any, timeout: float) -> None:
    """Make the session's container provider ask its endpoint once, within ``timeout``.

    botocore's ``ContainerMetadataFetcher`` tries three times with a one-second pause
    after each failure (two-second timeout each), and every client whose credentials
    are not resolved yet starts over: a refused token cost a check about ten seconds.
    A probe reports the first answer as it is, like every other probe (one attempt, the
    probes' timeout); the application's own botocore keeps its retries. The endpoint
    contract (URL, token header, answer) stays botocore's own code.
    """
    import botocore.credentials
    import botocore.httpsession
    import botocore.utils

    class OnceFetcher(botocore.utils.ContainerMetadataFetcher):  # type: ignore[misc]
        RETRY_ATTEMPTS = 1
        TIMEOUT_SECONDS = timeout

    fetcher = OnceFetcher(
        session=botocore.httpsession.URLLib3Session(timeout=timeout), sleep=lambda _: None
    )
    resolver = session.get_component("credential_provider")
    providers = getattr(resolver, "providers", None)
    if not isinstance(providers, list):
        return
    for index, provider in enumerate(providers):
        if getattr(provider, "METHOD", None) == botocore.credentials.ContainerProvider.METHOD:
            providers[index] = botocore.credentials.ContainerProvider(fetcher=fetcher)


def allow_service(session: Any, service: str) -> None:
    """Let a session made with ``services`` make clients for ``service`` too."""
    loader = session.get_component("data_loader")
    wanted = getattr(loader, "wanted", None)
    if isinstance(wanted, set):
        wanted.add(service)


def make_client(
    service: str,
    *,
    keys: StaticKeys | None,
    region: str | None,
    endpoint_url: str | None = None,
    session: Any = None,
    connect_timeout: float,
    read_timeout: float,
    attempts: int = 1,
    user_agent: str | None = None,
    user_agent_extra: str | None = None,
    path_style: bool = False,
) -> Any:
    """A botocore client for ``service``: the keys given (else the session's own chain).

    ``attempts`` counts the first try: 1 means no retry (a probe reports the first
    failure as it is). ``session`` defaults to a fresh one; pass the caller's own to share
    loaded models between clients.
    """
    from botocore.config import Config

    if session is None:
        session = new_session()
    options: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retries": {"total_max_attempts": attempts, "mode": "standard"},
    }
    if user_agent is not None:
        options["user_agent"] = user_agent
    if user_agent_extra is not None:
        options["user_agent_extra"] = user_agent_extra
    if path_style:
        options["s3"] = {"addressing_style": "path"}
    kwargs: dict[str, Any] = {
        "region_name": region or "us-east-1",
        "endpoint_url": endpoint_url,
        "config": Config(**options),
    }
    if keys is not None:
        kwargs["aws_access_key_id"] = keys.access_key_id
        kwargs["aws_secret_access_key"] = keys.secret_access_key
        kwargs["aws_session_token"] = keys.session_token
    return session.create_client(service, **kwargs)
