"""The proxy botocore would use for a URL, read from the environment as urllib reads it.

Shared by the offline rules (``checks/network.py``) and the network path the probes trace
(``probes/netpath.py``). It lives apart from the rules so that a probe's thread can load
it without loading the rules package, which the online check loads while its questions
travel (:func:`keydoctor.examine.run_check`).
"""

from __future__ import annotations


def proxies_from(env: dict[str, str]) -> dict[str, str]:
    """The proxies Python's ``urllib`` (and so botocore) reads from ``env``.

    The same two passes as ``urllib.request.getproxies_environment``: any spelling first,
    then the lower-case spelling wins, and an empty lower-case variable removes the proxy.
    """
    proxies: dict[str, str] = {}
    for name, value in env.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy"):
            proxies[lowered[:-6]] = value
    if "REQUEST_METHOD" in env:  # a CGI request could have set HTTP_PROXY
        proxies.pop("http", None)
    for name, value in env.items():
        if name.endswith("_proxy") and name == name.lower():
            if value:
                proxies[name[:-6]] = value
            else:
                proxies.pop(name[:-6], None)
    return proxies


def proxy_for(url: str, env: dict[str, str]) -> str | None:
    """The proxy botocore would send a request for ``url`` through (None: direct).

    The proxy for the URL's scheme, unless NO_PROXY names its host, matched the way
    urllib (and so botocore) matches it.
    """
    from urllib.parse import urlsplit  # lazy: it brings ipaddress, unused offline

    proxies = proxies_from(env)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    proxy = proxies.get(parts.scheme.lower())
    if proxy is None or bypasses_proxy(parts.netloc, proxies):
        return None
    return proxy


def bypasses_proxy(netloc: str, proxies: dict[str, str]) -> bool:
    """urllib's NO_PROXY matching, which botocore relies on (through ``proxy_bypass``).

    Imported only when a proxy meets a local endpoint: ``urllib.request`` brings
    ``http.client`` and ``email`` with it, a quarter of the offline audit's time.
    """
    import urllib.request

    bypass: bool = urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        netloc, proxies
    )
    return bypass
