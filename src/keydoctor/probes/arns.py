"""The S3 resource ARNs a probe touches and the ones a fix grants.

Kept apart from :mod:`keydoctor.probes.policy`: the probes name their resource before
they ask, and loading the policy evaluator then would put it before the first request.
"""

from __future__ import annotations

__all__ = ["grant_resource", "object_resource"]


def object_resource(bucket: str, key: str | None) -> str:
    """The ARN an object probe touches, and the prefix form to grant (bucket/prefix/*)."""
    if not key:
        return f"arn:aws:s3:::{bucket}/*"
    return f"arn:aws:s3:::{bucket}/{key.lstrip('/')}"


def grant_resource(bucket: str, key: str | None) -> str:
    """Least privilege for objects: the key's prefix with /*, or the bucket's objects."""
    k = (key or "").lstrip("/")
    if k.endswith("/"):
        prefix = k.rstrip("/")
    elif "/" in k:
        prefix = k.rsplit("/", 1)[0]
    else:
        return f"arn:aws:s3:::{bucket}/*"
    return f"arn:aws:s3:::{bucket}/{prefix}/*"
