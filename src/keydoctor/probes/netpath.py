"""The network path to each host the run will call, judged before any credential is.

A proxy that should not be used (or should), a CA bundle that does not hold the CA of a
TLS-inspecting proxy, a name that does not resolve: each makes every request fail, and
each reads like a credentials failure in the SDK's words. So for every host the probes
will ask, this says in one line which proxy botocore would use (HTTPS_PROXY / NO_PROXY,
matched as urllib matches them), which CA bundle verifies TLS, what DNS answers, whether
the host (or the proxy's CONNECT tunnel) is reachable, and whether TLS verifies with that
bundle. It makes the connection the SDK would make and sends no request over it.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from keydoctor.redact import mask_url
from keydoctor.sources.proxies import proxy_for

_CA_VARIABLES = ("AWS_CA_BUNDLE", "ca_bundle", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class PathLine:
    """One host's network path, as plain words and flags (never a credential)."""

    url: str  # scheme://host[:port], masked
    host: str
    proxy: str | None  # masked proxy URL, None when botocore goes direct
    ca_bundle: str  # which bundle verifies TLS and where it was named
    dns: str
    reachable: bool
    reach: str  # why (not) reachable, in words
    tls: str  # "verified", "not verified: ...", "plain http", "not tried"

    @property
    def ok(self) -> bool:
        return self.reachable and (self.tls.startswith("verified") or self.tls == "plain http")

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "host": self.host,
            "proxy": self.proxy,
            "ca_bundle": self.ca_bundle,
            "dns": self.dns,
            "reachable": self.reachable,
            "reach": self.reach,
            "tls": self.tls,
        }


def ca_bundle_for(env: Mapping[str, str], settings: Mapping[str, Any]) -> tuple[str, str]:
    """The CA bundle botocore verifies with, and its name: AWS_CA_BUNDLE, then the
    profile's ca_bundle, then REQUESTS_CA_BUNDLE, else botocore's own bundle."""
    if env.get("AWS_CA_BUNDLE"):
        return env["AWS_CA_BUNDLE"], "AWS_CA_BUNDLE"
    configured = settings.get("ca_bundle")
    if isinstance(configured, str) and configured:
        return configured, "ca_bundle"
    if env.get("REQUESTS_CA_BUNDLE"):
        return env["REQUESTS_CA_BUNDLE"], "REQUESTS_CA_BUNDLE"
    return botocore_bundle(), "botocore's default"


def botocore_bundle() -> str:
    """botocore's own bundle, ``botocore.httpsession.DEFAULT_CA_BUNDLE``: the ``cacert.pem``
    beside the package. Found from the package's folder, because importing
    ``botocore.httpsession`` loads urllib3 and botocore's utilities (about 60 ms of CPU in
    the middle of the probes) for one file name."""
    import botocore

    return os.path.join(os.path.dirname(botocore.__file__), "cacert.pem")


def _resolve(host: str, port: int) -> tuple[list[str], str | None]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return [], f"not resolved ({type(exc).__name__}: {exc})"
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses, None


def _tunnel(sock: socket.socket, host: str, port: int) -> str | None:
    """Ask the proxy for a CONNECT tunnel; None when it agreed, else what it said."""
    request = f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
    sock.sendall(request.encode("ascii"))
    answer = b""
    while b"\r\n\r\n" not in answer and len(answer) < 16384:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    status = answer.split(b"\r\n", 1)[0].decode("latin-1", "replace").strip()
    parts = status.split(" ", 2)
    if len(parts) >= 2 and parts[1] == "200":
        return None
    return status[:120] or "the proxy closed the connection"


def trace(
    url: str, env: Mapping[str, str], settings: Mapping[str, Any], timeout: float
) -> PathLine:
    """The path botocore's connection to ``url`` would take, tried once (no request sent)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    shown = mask_url(f"{scheme}://{parts.netloc}")
    proxy = proxy_for(url, dict(env))
    bundle, named = ca_bundle_for(env, settings)
    ca_words = f"{named} ({bundle})" if scheme == "https" else "none needed (plain http)"

    def line(dns: str, reachable: bool, reach: str, tls: str) -> PathLine:
        return PathLine(
            shown, host, mask_url(proxy) if proxy else None, ca_words, dns, reachable, reach, tls
        )

    connect_host, connect_port = host, port
    dns_words = ""
    if proxy is not None:
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        connect_host = proxy_parts.hostname or ""
        connect_port = proxy_parts.port or 80
        dns_words = "left to the proxy"
    addresses, dns_error = _resolve(connect_host, connect_port)
    if dns_error is not None:
        where = f"the proxy {connect_host}" if proxy else host
        return line(f"{where}: {dns_error}", False, "not tried (no address)", "not tried")
    if not dns_words:
        dns_words = ", ".join(addresses[:3])
    try:
        sock = socket.create_connection((connect_host, connect_port), timeout=timeout)
    except TimeoutError:
        return line(dns_words, False, f"connecting timed out after {timeout:g} s", "not tried")
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        target = "the proxy" if proxy else host
        return line(dns_words, False, f"cannot connect to {target}: {why}", "not tried")
    try:
        if proxy is not None and scheme == "https":
            refused = _tunnel(sock, host, port)
            if refused is not None:
                return line(dns_words, False, f"the proxy refused CONNECT: {refused}", "not tried")
        reach = "via the proxy's tunnel" if proxy is not None else "connected"
        if scheme != "https":
            return line(dns_words, True, reach, "plain http")
        try:
            context = ssl.create_default_context(cafile=bundle)
        except (OSError, ssl.SSLError) as exc:
            return line(
                dns_words, True, reach, f"not tried: the CA bundle cannot be loaded ({exc})"
            )
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                version = tls.version() or "TLS"
        except ssl.SSLCertVerificationError as exc:
            said = exc.verify_message or str(exc)
            return line(dns_words, True, reach, f"not verified with {named}: {said}")
        except (ssl.SSLError, OSError) as exc:
            return line(dns_words, True, reach, f"handshake failed: {type(exc).__name__}")
        return line(dns_words, True, reach, f"verified ({version})")
    except TimeoutError:
        return line(dns_words, True, "connected", f"no answer within {timeout:g} s")
    except OSError as exc:
        return line(dns_words, False, f"connection broke: {type(exc).__name__}", "not tried")
    finally:
        sock.close()


def hosts_to_call(
    region: str,
    endpoint_url: str | None,
    buckets: tuple[str, ...],
    env: Mapping[str, str],
    settings: Mapping[str, Any],
) -> list[str]:
    """``scheme://host[:port]`` of every endpoint the run will call, each once.

    Without ``--endpoint-url``, botocore's configured endpoints count as it reads them:
    ``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL``, then the profile's
    ``endpoint_url`` (none of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true).
    """
    from keydoctor.probes.endpoints import route

    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"
    wanted: list[tuple[str, str | None]] = [(service, None) for service in ("sts", "s3", "iam")]
    wanted += [("s3", bucket) for bucket in buckets]
    urls: list[str] = []
    for service, bucket in wanted:
        endpoint = endpoint_url
        if endpoint is None and not ignore:
            configured = settings.get("endpoint_url")
            endpoint = (
                env.get(f"AWS_ENDPOINT_URL_{service.upper()}")
                or env.get("AWS_ENDPOINT_URL")
                or (configured if isinstance(configured, str) else None)
            )
        found = route(service, region, endpoint or None, bucket)
        if found is None:
            continue
        url = f"{found.scheme}://{found.host}" + (f":{found.port}" if found.port else "")
        if url not in urls:
            urls.append(url)
    return urls
