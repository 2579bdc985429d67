"""Which hosts are AWS's own: the one answer for the probes, the hook and pasted text.

An answer from AWS and an answer from an S3-compatible server or a proxy mean different
things (a bare 403 from a portal is no AWS refusal), so every module that has to tell them
apart asks here. It lives with the catalog because pasted text is judged by it too, and
the catalog sits below everything that talks to the network.
"""

from __future__ import annotations

from urllib.parse import urlsplit

AWS_SUFFIXES = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".api.aws",
    ".on.aws",
    ".c2s.ic.gov",
    ".sc2s.sgov.gov",
)


def host_of(url: str) -> str:
    """The host name of ``url`` (a full URL or a bare ``host[:port]``), lower case."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        host = ""
    return host.lower().rstrip(".")


def is_aws_host(url: str | None) -> bool:
    """True for AWS's own endpoints (and for no endpoint URL: botocore's default is AWS)."""
    if url is None:
        return True
    host = host_of(url)
    return any(host.endswith(suffix) or host == suffix[1:] for suffix in AWS_SUFFIXES)
