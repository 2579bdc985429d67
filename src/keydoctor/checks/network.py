"""KD408–KD409: the network path a request takes before any credential is looked at.

A CA bundle that cannot be loaded, or a proxy that swallows requests meant for a local
S3-compatible server, makes every call fail with an error that people read as a credential
problem. Both are decided by the environment and the config alone, the same way botocore
decides them, so they are found offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from keydoctor.checks.base import COMMAND, AuditContext, Rule
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.redact import mask_url
from keydoctor.shell import command
from keydoctor.sources.proxies import bypasses_proxy, proxies_from

CA_BUNDLE_UNUSABLE = Rule(
    "KD408",
    "ca-bundle-unusable",
    Severity.CRITICAL,
    Category.NOT_CREDENTIALS,
    "The CA bundle botocore is told to use cannot be loaded",
    "botocore verifies TLS with the file named by AWS_CA_BUNDLE, else the profile's "
    "`ca_bundle`, else REQUESTS_CA_BUNDLE. When that file is missing, unreadable, a folder, "
    "empty, or holds no PEM certificate, every request fails before AWS sees it (an SSL or "
    "'invalid path' error, or InvalidConfigError for an empty value), whatever the keys are. "
    "Point the setting at the PEM file that holds the CA certificate you need (a TLS "
    "inspecting proxy's, or your S3-compatible server's), or remove it to use the default "
    "bundle.",
)
ENDPOINT_THROUGH_PROXY = Rule(
    "KD409",
    "local-endpoint-through-proxy",
    Severity.HIGH,
    Category.REGION_ENDPOINT,
    "Requests for a local endpoint go to the proxy",
    "With HTTP(S)_PROXY set, botocore sends every request through the proxy unless NO_PROXY "
    "names the host. A proxy cannot reach `localhost` or an address of your private network "
    "the way you can, so requests for a local or in-network S3-compatible endpoint fail at "
    "the proxy (a 403, 502 or 503 page, or a timeout) and look like refused credentials. "
    "Add the endpoint's host to NO_PROXY.",
    remedy=COMMAND,
)

RULES = (CA_BUNDLE_UNUSABLE, ENDPOINT_THROUGH_PROXY)


# Enough of a file to find a certificate in any real bundle (the system bundle is ~220 KB).
_CA_READ_LIMIT = 8 * 1024 * 1024
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class CaSetting:
    """Which CA bundle setting botocore would use, and where it was found."""

    name: str  # AWS_CA_BUNDLE, ca_bundle or REQUESTS_CA_BUNDLE
    value: str
    location: Location


def effective_ca_bundle(ctx: AuditContext) -> CaSetting | None:
    """The CA bundle setting that wins, in botocore's order (None: the default bundle)."""
    env = ctx.env
    if "AWS_CA_BUNDLE" in env:
        return CaSetting(
            "AWS_CA_BUNDLE", env["AWS_CA_BUNDLE"], Location("env", key="AWS_CA_BUNDLE")
        )
    value = ctx.environment.profile_config.get("ca_bundle")
    if isinstance(value, str):
        where = Location(
            "file",
            path=ctx.environment.config.path,
            profile=ctx.environment.profile,
            key="ca_bundle",
        )
        return CaSetting("ca_bundle", value, where)
    if "REQUESTS_CA_BUNDLE" in env:
        where = Location("env", key="REQUESTS_CA_BUNDLE")
        return CaSetting("REQUESTS_CA_BUNDLE", env["REQUESTS_CA_BUNDLE"], where)
    return None


def ca_bundle_problem(path: str) -> str | None:
    """Why the file at ``path`` cannot serve as a CA bundle, in words (None: it can).

    Only the file's shape is judged: whether it holds the CA a given endpoint needs is
    for the live check, which makes the TLS handshake.
    """
    if not path.strip():
        return "is empty, which botocore rejects (InvalidConfigError)"
    try:
        with open(path, "rb") as handle:
            head = handle.read(_CA_READ_LIMIT)
    except FileNotFoundError:
        return "names a file that does not exist"
    except IsADirectoryError:
        return "names a folder; it must name one PEM file"
    except PermissionError:
        return "names a file this user may not read"
    except OSError as exc:
        return f"names a file that cannot be read ({exc.strerror or type(exc).__name__})"
    if not head.strip():
        return "names an empty file"
    if _PEM_BEGIN not in head:
        return "names a file that holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None


def check_ca_bundle(ctx: AuditContext) -> Iterator[Finding]:
    setting = effective_ca_bundle(ctx)
    if setting is None:
        return
    problem = ca_bundle_problem(setting.value)
    if problem is None:
        return
    shown = setting.value if setting.value.strip() else "''"
    plain = _all_plain_http(ctx)
    if plain is not None:
        yield CA_BUNDLE_UNUSABLE.finding(
            f"{setting.name}={shown} {problem}. It does not matter while every request goes "
            f"to {mask_url(plain)} over plain http, but any https endpoint will fail.",
            _ca_fix(setting),
            setting.location,
            severity=Severity.LOW,
        )
        return
    yield CA_BUNDLE_UNUSABLE.finding(
        f"{setting.name}={shown} {problem}, so every TLS connection fails before any "
        "credential is checked.",
        _ca_fix(setting),
        setting.location,
    )


def _ca_fix(setting: CaSetting) -> str:
    if setting.name == "ca_bundle":
        return (
            "Set ca_bundle in the profile to the PEM file of the CA you need, or remove "
            f"the line: {command('aws', 'configure', 'set', 'ca_bundle', '/path/to/ca.pem')}"
        )
    return (
        f"{command('export', f'{setting.name}=/path/to/ca.pem')} (the PEM file of the CA "
        f"you need), or {command('unset', setting.name)} to use the default bundle"
    )


def _all_plain_http(ctx: AuditContext) -> str | None:
    """The endpoint every service is sent to, when it is plain http (no CA is loaded then)."""
    candidates: list[str | None] = [ctx.endpoint_flag]
    if ctx.env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        candidates.append(ctx.env.get("AWS_ENDPOINT_URL"))
        value = ctx.environment.profile_config.get("endpoint_url")
        candidates.append(value if isinstance(value, str) else None)
    for url in candidates:
        if url:
            return url if url.strip().lower().startswith("http://") else None
    return None


def _in_network(host: str) -> bool:
    """True for a host a proxy outside this machine or network cannot reach as we can."""
    import ipaddress

    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith((".localhost", ".local", ".internal")):
        return True
    if "." not in lowered and ":" not in lowered:
        return True  # a single-label name resolves only on this network
    try:
        address = ipaddress.ip_address(lowered)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _endpoint_overrides(ctx: AuditContext) -> list[tuple[str, str]]:
    """Every endpoint URL this run would send to: the flag, the variables, the profile."""
    found: list[tuple[str, str]] = []
    if ctx.endpoint_flag:
        found.append(("--endpoint-url", ctx.endpoint_flag))
    if ctx.env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        for name, value in sorted(ctx.env.items()):
            if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
                found.append((name, value))
        configured = ctx.environment.profile_config.get("endpoint_url")
        if isinstance(configured, str):
            found.append(("endpoint_url", configured))
    return found


def check_endpoint_proxy(ctx: AuditContext) -> Iterator[Finding]:
    proxies = proxies_from(ctx.env)
    if not proxies:
        return
    from urllib.parse import urlsplit  # lazy: only when a proxy is set

    no_proxy_name = "no_proxy" if "no_proxy" in ctx.env else "NO_PROXY"
    reported: set[str] = set()
    for name, url in _endpoint_overrides(ctx):
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
        except ValueError:
            continue
        scheme = parts.scheme.lower()
        if not host or scheme not in ("http", "https") or host in reported:
            continue
        proxy = proxies.get(scheme)
        if proxy is None or not _in_network(host):
            continue
        if bypasses_proxy(parts.netloc, proxies):
            continue
        reported.add(host)
        current = ctx.env.get(no_proxy_name, "")
        wanted = f"{current},{host}" if current.strip() else host
        yield ENDPOINT_THROUGH_PROXY.finding(
            f"{name}={mask_url(url)} points to a local or in-network host, but {scheme}_proxy "
            f"({mask_url(proxy)}) is set and {no_proxy_name} does not name {host}, so "
            "every request for it goes to the proxy instead.",
            command("export", f"{no_proxy_name}={wanted}"),
            Location("env", key=no_proxy_name),
        )


CHECKS = (check_ca_bundle, check_endpoint_proxy)
