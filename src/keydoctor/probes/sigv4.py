"""AWS Signature Version 4, for the few requests the probes send themselves.

Importing botocore's signer pulls in most of botocore (about 70 ms); the signature itself
is a handful of HMACs. The keys are used exactly as resolved, stray characters included,
so that AWS judges the same key material the SDK would send.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def uri_encode(text: str, safe: str = "") -> str:
    """RFC 3986 encoding as SigV4 wants it: only ``A-Za-z0-9-_.~`` (and ``safe``) stay."""
    return quote(text, safe="-_.~" + safe)


def canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode("utf-8"), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def sign(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: dict[str, str],
    payload_hash: str,
    region: str,
    service: str,
    access_key_id: str,
    secret: str,
    session_token: str | None,
    now: datetime,
) -> None:
    """Add ``X-Amz-Date`` (and the token) to ``headers`` and sign them in place.

    ``path`` is the already-encoded request path (S3 keys are encoded once, as S3 wants;
    the query services only ever ask for ``/``). ``headers`` must hold ``Host``.
    """
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    headers["X-Amz-Date"] = stamp
    if session_token is not None:
        headers["X-Amz-Security-Token"] = session_token
    signed = {
        name.lower(): " ".join(value.strip().split())
        for name, value in headers.items()
        if name.lower() not in ("user-agent", "content-length", "expect")
    }
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            path,
            canonical_query(query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret, day, region, service), to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
