"""``set-region``: write a bucket's real region into the profile that reads it.

S3 names a bucket's region in the ``x-amz-bucket-region`` header of every HeadBucket
answer, including the 301 PermanentRedirect and the 403 a wrong region gets; only when
that header is missing does keydoctor ask ``GetBucketLocation`` (whose empty answer means
us-east-1 and ``EU`` means eu-west-1, for historical reasons). Changing the region does not
change which credentials are used, so this fix is safe.
"""

from __future__ import annotations

from keydoctor.fixes import atomic, ini
from keydoctor.fixes.aws import ATTEMPTS, READ_TIMEOUT
from keydoctor.fixes.plan import FileWrite, FixError, Plan, RunState, Safety
from keydoctor.model import CredentialSource, Location, Secret


def bucket_region(
    bucket: str,
    key_id: str,
    secret: Secret,
    *,
    session_token: Secret | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> str:
    """The region the bucket lives in, as S3 itself says.

    The question is the probes' own (:func:`keydoctor.probes.s3.bucket_region`), asked
    from a session that reads no shared file, so that ``check``, ``redshift`` and this fix
    learn a bucket's region the same way.
    """
    from keydoctor.probes import outcome as oc
    from keydoctor.probes import s3 as s3_probes
    from keydoctor.probes.transport import Target, Transport

    source = CredentialSource(
        method="fix",
        location=Location(kind="aws"),
        access_key_id=key_id,
        secret_access_key=secret,
        session_token=session_token,
    )
    target = Target(
        region=region or "us-east-1",
        endpoint_url=endpoint_url,
        profile=None,
        source=source,
        timeout=READ_TIMEOUT,
        isolated=True,
        attempts=ATTEMPTS,
    )
    probe = s3_probes.bucket_region(Transport(target), bucket)
    found = probe.data.get("region")
    if isinstance(found, str) and found:
        return found
    if probe.outcome == oc.NOT_FOUND:
        raise FixError(f"bucket {bucket} does not exist")
    why = probe.data.get("location_failure") or (probe.failure.code if probe.failure else "")
    raise FixError(f"could not learn the region of bucket {bucket}: {why or 'no answer'}")


def plan_set_region(config_path: str, profile: str, region: str, current: str | None) -> Plan:
    plan = Plan("set-region", Safety.SAFE, f"set region = {region} in profile {profile}")
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
    plan.steps.append(
        FileWrite(
            config_path,
            before,
            render,
            after,
            mode=None if before is not None else 0o600,
            why=f"region of profile {profile}",
        )
    )
    if current:
        plan.notes.append(f"profile {profile}: region {current} -> {region}")
    return plan
