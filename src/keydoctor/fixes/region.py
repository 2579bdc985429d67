"""``set-region``: write a bucket's real region into the profile that reads it.

S3 names a bucket's region in the ``x-amz-bucket-region`` header of every HeadBucket
answer, including the 301 PermanentRedirect and the 403 a wrong region gets; only when
that header is missing does keydoctor ask ``GetBucketLocation`` (whose empty answer means
us-east-1 and ``EU`` means eu-west-1, for historical reasons). Changing the region does not
change which credentials are used, so this fix is safe.
"""

from __future__ import annotations

from typing import Any

from keydoctor.fixes import atomic, ini
from keydoctor.fixes.aws import error_code, make_client
from keydoctor.fixes.plan import FileWrite, FixError, Plan, RunState, Safety
from keydoctor.model import Secret

_LEGACY_LOCATIONS = {"": "us-east-1", "EU": "eu-west-1"}


def _header_region(response: dict[str, Any]) -> str | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get("x-amz-bucket-region")
    return str(value) if value else None


def bucket_region(
    bucket: str,
    key_id: str,
    secret: Secret,
    *,
    session_token: Secret | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> str:
    """The region the bucket lives in, as S3 itself says."""
    s3 = make_client("s3", key_id, secret, session_token=session_token,
                     endpoint_url=endpoint_url, region=region)
    try:
        found = _header_region(s3.head_bucket(Bucket=bucket))
    except Exception as exc:
        response = getattr(exc, "response", None)
        found = _header_region(response) if isinstance(response, dict) else None
        code = error_code(exc)
        if found is None and code in ("404", "NoSuchBucket"):
            raise FixError(f"bucket {bucket} does not exist") from None
    if found:
        return found
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or ""
    except Exception as exc:
        raise FixError(
            f"could not learn the region of bucket {bucket}: "
            f"{error_code(exc) or type(exc).__name__}"
        ) from None
    return _LEGACY_LOCATIONS.get(location, location)


def plan_set_region(config_path: str, profile: str, region: str, current: str | None) -> Plan:
    plan = Plan("set-region", Safety.SAFE,
                f"set region = {region} in profile {profile}")
    if current == region:
        plan.notes.append(f"profile {profile} already uses {region}")
        return plan
    try:
        before = atomic.read_bytes(config_path)
        text = before.decode("utf-8") if before is not None else ""
    except UnicodeDecodeError:
        raise FixError(f"{config_path} is not UTF-8 text; save it as UTF-8 first") from None
    except OSError as exc:
        raise FixError(f"{config_path} cannot be read ({exc.strerror or exc})") from None
    def render(current: str, _state: RunState) -> str:
        return ini.set_options(
            current,
            ini.profile_matcher("config", profile),
            ini.section_header_for("config", profile),
            {"region": region},
        )

    after = render(text, RunState())
    plan.steps.append(FileWrite(config_path, before, render, after,
                                mode=None if before is not None else 0o600,
                                why=f"region of profile {profile}"))
    if current:
        plan.notes.append(f"profile {profile}: region {current} -> {region}")
    return plan
