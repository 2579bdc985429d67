"""Where botocore would send the probes' requests, for the three services they use.

botocore resolves endpoints through its rule sets and ``endpoints.json`` (about 60 ms to
load). For STS, S3 and IAM in the standard partitions the answer is short and stable:
regional STS (``sts.{region}.amazonaws.com``), global IAM (``iam.amazonaws.com``, and the
China and GovCloud variants), S3 regional with ``s3.amazonaws.com`` for us-east-1, virtual
hosts for DNS-compatible bucket names. Anything else (FIPS, dual-stack, configured endpoint
URLs, other partitions, legacy STS mode, proxies, custom S3 settings) answers ``None``,
and the probes use a botocore client, which knows those cases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FAST_SERVICES = ("sts", "s3", "iam")

# Partition by region name: (pattern, DNS suffix, IAM host, IAM signing region).
_PARTITIONS: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (
        re.compile(r"^us-gov-[a-z]+-\d+$"),
        "amazonaws.com",
        "iam.us-gov.amazonaws.com",
        "us-gov-west-1",
    ),
    (
        re.compile(r"^cn-[a-z]+-\d+$"),
        "amazonaws.com.cn",
        "iam.cn-north-1.amazonaws.com.cn",
        "cn-north-1",
    ),
    (
        re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$"),
        "amazonaws.com",
        "iam.amazonaws.com",
        "us-east-1",
    ),
)

# Settings under which botocore's endpoint or transport differs from the plain case.
_ENV_BLOCKERS = (
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
    "AWS_S3_USE_ARN_REGION",
    "AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS",
    "AWS_DATA_PATH",
    "AWS_DEFAULTS_MODE",  # smart defaults may switch S3 us-east-1 to its regional endpoint
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)
_CONFIG_BLOCKERS = (
    "endpoint_url",
    "services",
    "use_fips_endpoint",
    "use_dualstack_endpoint",
    "s3",
    "s3_us_east_1_regional_endpoint",
    "defaults_mode",
    "s3_use_arn_region",
    "s3_disable_multiregion_access_points",
)
_BUCKET_VIRTUAL = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Route:
    """One request's destination: scheme, host (with port), path prefix, signing region."""

    scheme: str
    host: str
    port: int | None
    path: str  # path prefix, "" or "/bucket"
    signing_region: str

    @property
    def url(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}{self.path or '/'}"


def blocked_by(env: Mapping[str, str], settings: Mapping[str, Any]) -> str | None:
    """Why the plain route cannot be trusted here (a setting botocore honours), or None."""
    upper = {k.upper(): v for k, v in env.items()}
    for name in _ENV_BLOCKERS:
        if upper.get(name):
            return name
    for name in upper:
        if name.startswith("AWS_ENDPOINT_URL"):
            return name
        if name == "AWS_STS_REGIONAL_ENDPOINTS" and upper[name].strip().lower() != "regional":
            return name
    for name in _CONFIG_BLOCKERS:
        if name in settings:
            return name
    mode = settings.get("sts_regional_endpoints")
    if mode is not None and str(mode).strip().lower() != "regional":
        return "sts_regional_endpoints"
    return None


def _partition(region: str) -> tuple[str, str, str] | None:
    for pattern, suffix, iam_host, iam_region in _PARTITIONS:
        if pattern.match(region):
            return suffix, iam_host, iam_region
    return None


def route(
    service: str, region: str, endpoint_url: str | None, bucket: str | None = None
) -> Route | None:
    """Where ``service`` in ``region`` answers (for S3: addressing ``bucket``), or None."""
    if endpoint_url is not None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        if parts.path not in ("", "/") or parts.query:
            return None
        signing = region  # botocore signs for the client's region at a custom endpoint
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        path = f"/{bucket}" if bucket else ""  # custom endpoints: path style
        return Route(parts.scheme, host, parts.port, path, signing)
    part = _partition(region)
    if part is None:
        return None
    suffix, iam_host, iam_region = part
    if service == "iam":
        return Route("https", iam_host, None, "", iam_region)
    if service == "sts":
        return Route("https", f"sts.{region}.{suffix}", None, "", region)
    if service != "s3":
        return None
    base = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.{suffix}"
    if bucket is None:
        return Route("https", base, None, "", region)
    if _BUCKET_VIRTUAL.match(bucket) and not _IP_LIKE.match(bucket):
        return Route("https", f"{bucket}.{base}", None, "", region)
    return Route("https", base, None, f"/{bucket}", region)
