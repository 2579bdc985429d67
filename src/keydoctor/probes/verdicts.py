"""Turn probe answers into findings: authentication, clock, reachability, S3, IAM.

Each function reads finished :class:`ProbeResult` objects and returns findings built
from the rules in :mod:`keydoctor.probes.rules`. Key ids are masked here already;
reporters mask again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from keydoctor.catalog import codes
from keydoctor.model import CredentialSource, Finding, Severity
from keydoctor.probes import access
from keydoctor.probes import outcome as oc
from keydoctor.probes import rules as R
from keydoctor.probes.arns import grant_resource
from keydoctor.probes.capabilities import AWS, Capabilities, Endpoint
from keydoctor.probes.iam import QUARANTINE_PREFIX, KeysReport
from keydoctor.probes.identity import ROOT, Identity
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import server_time
from keydoctor.redact import mask_key_id
from keydoctor.shell import command, profile_args

if TYPE_CHECKING:
    from keydoctor.probes.policy import Verdict

SKEW_REPORTED = 60.0  # seconds: the threshold for a finding
SKEW_REFUSED = 300.0  # seconds: AWS refuses signatures beyond 5 minutes
OLD_KEY_DAYS = 90
AWS_KEYS_PER_USER = 2  # IAM's limit of access keys per user

TEMPORARY_KEY_FIX = (
    "Get fresh temporary credentials from where these came from (aws sso login, aws sts "
    "assume-role / get-session-token, or your login tool) and set the key id, the secret and "
    "the session token of that one answer together"
)


def clock_skew(probes: list[ProbeResult]) -> float | None:
    """Median of (AWS Date header - local clock) over every answer, in seconds."""
    samples: list[float] = []
    for probe in probes:
        served = server_time(probe.headers)
        if served is None or probe.local_time is None:
            continue
        # The Date header is truncated to the second and was stamped before the answer
        # travelled; half the round trip and the truncation stay well under a minute.
        samples.append((served - probe.local_time).total_seconds())
    if not samples:
        return None
    # The median by hand: the statistics module costs ~10 ms to import, the check ~0.15 s.
    ordered = sorted(samples)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _is_signature_expired(probe: ProbeResult) -> bool:
    f = probe.failure
    return f is not None and "signature expired" in f.message.lower()


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe_key(source: CredentialSource | None) -> str:
    if source is None or not source.access_key_id:
        return "the credentials botocore resolved"
    return f"key {mask_key_id(source.access_key_id.strip())} ({source.location.describe()})"


def auth_findings(
    probes: list[ProbeResult],
    source: CredentialSource | None,
    skew: float | None,
    endpoint: Endpoint = AWS,
) -> list[Finding]:
    """One finding per distinct refusal code, with the probes that met it, in the words of
    the endpoint that refused (AWS, or the S3-compatible server)."""
    by_code: dict[str, list[ProbeResult]] = {}
    for probe in probes:
        if probe.outcome == oc.AUTH_FAILED and probe.failure is not None:
            code = probe.failure.code
            # STS says InvalidClientTokenId where S3 says InvalidAccessKeyId: one finding.
            family = (
                next((c for c in by_code if codes.family(c) == codes.UNKNOWN_KEY), code)
                if codes.family(code) == codes.UNKNOWN_KEY
                else code
            )
            by_code.setdefault(family, []).append(probe)
    findings: list[Finding] = []
    who = _describe_key(source)
    location = source.location if source is not None else None
    key_id = (source.access_key_id or "").strip() if source else ""
    temporary = key_id.startswith("ASIA")
    has_token = bool(source and source.session_token)
    skewed = skew is not None and abs(skew) > SKEW_REFUSED
    speaker = endpoint.speaker
    custom = endpoint.custom
    for code, hits in by_code.items():
        said = f"{_upper(speaker)} answered " + "; ".join(
            f"{c} to {', '.join(p.name for p in hits if p.failure and p.failure.code == c)}"
            for c in dict.fromkeys(p.failure.code for p in hits if p.failure)
        )
        if codes.family(code) == codes.UNKNOWN_KEY:
            extra = ""
            if temporary and not has_token:
                extra = (
                    " The key id starts with ASIA, so it is temporary, and no session "
                    f"token was sent with it: without its token {speaker} does not know it."
                )
            elif temporary:
                extra = (
                    " The key id starts with ASIA (temporary): the session token sent "
                    "with it may be stale or from another set of credentials."
                )
            fix = (
                "Copy the access key id again from the IAM console, or create a new key: "
                "aws iam create-access-key --user-name USER, then aws configure set "
                "aws_access_key_id NEW_ID"
            )
            if custom:
                fix = (
                    f"Compare the access key id with the keys in {endpoint.admin} and copy it "
                    "again, or create a new key there; then aws configure set "
                    "aws_access_key_id NEW_ID"
                )
            findings.append(
                R.KEY_UNKNOWN.finding(
                    f"{said}: {speaker} does not know {who}.{extra}",
                    # A temporary key is never copied again nor made in IAM: it comes
                    # with its secret and token from STS, SSO or the login tool.
                    TEMPORARY_KEY_FIX if temporary else fix,
                    location,
                    title="The endpoint does not know this access key id" if custom else None,
                )
            )
        elif codes.family(code) == codes.SIGNATURE and (
            skewed or any(_is_signature_expired(p) for p in hits)
        ):
            findings.append(
                R.CLOCK_SKEW.finding(
                    f"{said} because the request's time is outside {endpoint.possessive} "
                    "5-minute window"
                    + (f" (local clock off by {skew:+.0f} s)" if skew is not None else "")
                    + ". The keys may well be right.",
                    "Synchronise the clock: sudo timedatectl set-ntp true (or chronyc makestep), "
                    "then retry",
                    severity=Severity.CRITICAL,
                    title=f"The local clock is too far from {endpoint.possessive}: "
                    "signatures are refused",
                )
            )
        elif codes.family(code) == codes.SIGNATURE:
            findings.append(
                R.SIGNATURE_MISMATCH.finding(
                    f"{said}: {speaker} knows {who} but the signature made with its secret key "
                    "does not match. The secret is wrong, altered (a stray space, quote or "
                    "newline) or belongs to another key id.",
                    "Paste the secret again without quotes or spaces: aws configure set "
                    "aws_secret_access_key ... (or create a new key pair)",
                    location,
                    title=(
                        "The endpoint rejected the signature: the secret key does not match "
                        "the key id"
                        if custom
                        else None
                    ),
                )
            )
        elif codes.family(code) == codes.TOKEN_EXPIRED:
            findings.append(
                R.TOKEN_EXPIRED.finding(
                    f"{said}: the temporary credentials of {who} have expired.",
                    "Get fresh credentials (aws sso login, assume the role again) and remove the "
                    "stale AWS_SESSION_TOKEN / aws_session_token",
                    location,
                )
            )
        elif codes.family(code) == codes.TOKEN_INVALID:
            findings.append(
                R.TOKEN_INVALID.finding(
                    f"{said}: the session token sent with {who} is malformed or not valid here.",
                    "Copy key id, secret and session token together from one fresh set of "
                    "temporary credentials",
                    location,
                )
            )
        elif codes.family(code) == codes.SKEW and any(
            f.code == R.CLOCK_SKEW.code for f in findings
        ):
            continue  # the signature refusal already named the clock
        elif codes.family(code) == codes.SKEW:
            findings.append(
                R.CLOCK_SKEW.finding(
                    f"{said}: the request time differs too much from {endpoint.possessive} clock"
                    + (f" (local clock off by {skew:+.0f} s)" if skew is not None else "")
                    + ".",
                    "Synchronise the clock: sudo timedatectl set-ntp true (or chronyc makestep)",
                    severity=Severity.CRITICAL,
                    title=f"The local clock is too far from {endpoint.possessive}: "
                    "requests are refused",
                )
            )
        elif codes.family(code) == codes.HEADER:
            message = hits[0].failure.message if hits[0].failure else ""
            findings.append(
                R.SIGNED_FOR_WRONG_REGION.finding(
                    f"{said}: {message}",
                    "Set the region the bucket lives in: region_name=... in the client, or "
                    "export AWS_REGION=... AWS_DEFAULT_REGION=...",
                )
            )
    if (
        skew is not None
        and abs(skew) > SKEW_REPORTED
        and not any(f.code == R.CLOCK_SKEW.code for f in findings)
    ):
        findings.append(
            R.CLOCK_SKEW.finding(
                f"{_upper(endpoint.possessive)} Date header differs from the local clock by "
                f"{skew:+.0f} s. {_upper(speaker)} refuses signed requests beyond 5 minutes.",
                "Synchronise the clock: sudo timedatectl set-ntp true (or chronyc makestep)",
            )
        )
    return findings


# A certificate the default bundle does not trust: a TLS-inspecting proxy, or a server with
# its own authority. Only the bundle holding that authority's certificate mends it (the
# network-path section shows which bundle was tried).
_TLS_FIX = (
    "export AWS_CA_BUNDLE=/path/to/ca.pem   (the PEM certificate of the authority that signed "
    "the endpoint's certificate, or of the TLS-inspecting proxy in between; your network team "
    "has it), then run keydoctor check again"
)


def reach_findings(probes: list[ProbeResult], endpoint: Endpoint = AWS) -> list[Finding]:
    """One finding per distinct reason an endpoint could not be used."""
    seen: dict[tuple[str, str], list[ProbeResult]] = {}
    for probe in probes:
        f = probe.failure
        if f is not None and probe.outcome in (oc.UNREACHABLE, oc.SERVER_ERROR, oc.NOT_AWS):
            seen.setdefault((probe.outcome, f.reason), []).append(probe)
    findings: list[Finding] = []
    for (kind, reason), hits in seen.items():
        names = ", ".join(p.name for p in hits)
        if kind == oc.UNREACHABLE:
            findings.append(
                R.UNREACHABLE.finding(
                    f"Could not reach the endpoint because {reason} ({names}). This says nothing "
                    "about the keys.",
                    _TLS_FIX
                    if any(access.tls_refused(p.failure) for p in hits)
                    else "Check --endpoint-url / AWS_ENDPOINT_URL, HTTPS_PROXY and NO_PROXY, "
                    "the network and AWS_CA_BUNDLE; then run keydoctor check again",
                )
            )
        elif kind == oc.SERVER_ERROR:
            findings.append(
                R.SERVER_ERROR.finding(
                    f"Could not get an answer because {reason} ({names}). This is not a problem "
                    "with the keys.",
                    "Retry later; if it persists, check the server's logs and health"
                    if endpoint.custom
                    else "Retry later; if it persists, check the service health dashboard",
                )
            )
        else:
            findings.append(
                R.NOT_AWS.finding(
                    f"Could not get an AWS answer because {reason} ({names}). A proxy, captive "
                    "portal or web server answered instead; the keys were not judged.",
                    "Check --endpoint-url and HTTPS_PROXY/NO_PROXY",
                )
            )
    return findings


def provider_findings(probes: list[ProbeResult], source: CredentialSource | None) -> list[Finding]:
    for probe in probes:
        failure = probe.failure
        if probe.outcome == oc.PROVIDER and failure is not None:
            method = source.method if source else "the credential chain"
            role = source.details.get("role_arn", "the role") if source else "the role"
            if failure.operation in ("AssumeRole", "AssumeRoleWithWebIdentity") and (
                codes.family(failure.code) == codes.DENIED
            ):
                return [
                    R.ROLE_NOT_ASSUMABLE.finding(
                        f"STS refused {failure.operation} on {role}: "
                        f"{failure.message.rstrip('.')}. The role's trust policy does not "
                        "admit the caller (or the caller lacks sts:AssumeRole).",
                        f"Add the caller's ARN as a Principal with Action sts:AssumeRole to the "
                        f"trust policy of {role} (aws iam update-assume-role-policy), and allow "
                        f"sts:AssumeRole on {role} in the caller's own policy",
                        source.location if source else None,
                    )
                ]
            return [
                R.PROVIDER_FAILED.finding(
                    f"botocore's {method} provider failed before any request was sent: "
                    f"{failure.code}: {failure.message}",
                    "For SSO: aws sso login --profile PROFILE; for assume-role: check the source "
                    "profile's keys and the role's trust policy; for credential_process: run the "
                    "command by hand",
                    source.location if source else None,
                )
            ]
    return []


def identity_findings(identity: Identity | None, expect_account: str | None) -> list[Finding]:
    findings: list[Finding] = []
    if identity is None:
        return findings
    if identity.principal_type == ROOT:
        findings.append(
            R.ROOT_KEYS.finding(
                f"STS says the caller is {identity.arn}: these are the account's root keys.",
                "Create an IAM user or role with the permissions needed, use its keys, and delete "
                "the root access keys (console: Security credentials)",
            )
        )
    if expect_account and identity.account != expect_account:
        findings.append(
            R.ACCOUNT_MISMATCH.finding(
                f"The keys belong to account {identity.account}, not {expect_account}.",
                "Select the profile for that account (--profile / AWS_PROFILE) or unset "
                "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
            )
        )
    return findings


def region_fix(
    region: str,
    profile: str,
    bucket: str,
    endpoint_url: str | None = None,
    *,
    origin: str | None = None,
) -> str:
    """The step that makes the client use the bucket's region, for where the wrong one came
    from (``origin``, as the audit names it), then the other places a region can be set.

    A region from AWS_DEFAULT_REGION wins over every profile: the variables are set again.
    A --region flag is the user's to change. Otherwise `keydoctor fix set-region` asks S3
    and writes the profile's region. Values are quoted, as they reach a shell.
    """
    export = "export " + command(f"AWS_REGION={region}", f"AWS_DEFAULT_REGION={region}")
    elsewhere = (
        f"region_name={region!r} in boto3.client('s3', ...); in Redshift COPY/UNLOAD add "
        f"REGION {sql_literal(region)}"
    )
    if origin == "--region":
        return f"Pass {command('--region', region)} instead   (or {elsewhere})"
    if origin is not None and origin.startswith("AWS_"):
        return f"{export}   (the variable wins over the profile; or {elsewhere})"
    args = ["--bucket", bucket, *profile_args(profile)]
    if endpoint_url:
        args += ["--endpoint-url", endpoint_url]
    return (
        R.BUCKET_REGION.remedy.invocation(*args)
        + f"   (or use region {region}: {elsewhere}; or {export}, which wins over the profile)"
    )


def sql_literal(value: str) -> str:
    """A SQL string literal: quotes around it, quotes inside it doubled."""
    return "'" + value.replace("'", "''") + "'"


def s3_findings(
    region_probes: list[ProbeResult],
    configured: str | None,
    used: str,
    profile: str,
    endpoint: Endpoint = AWS,
    *,
    region_origin: str | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    for probe in region_probes:
        bucket = probe.name.split(" ", 1)[1]
        if probe.outcome == oc.NOT_FOUND:
            said = (
                f"{_upper(endpoint.speaker)} answered 404 for bucket {bucket}: it does not "
                "exist there."
                if endpoint.custom
                else f"S3 answered 404 for bucket {bucket}: it does not exist (or is in "
                "another partition)."
            )
            findings.append(
                R.BUCKET_MISSING.finding(
                    said, f"Check the bucket name: {endpoint.cli('aws s3 ls')}"
                )
            )
            continue
        actual = probe.data.get("region")
        if actual and actual != used:
            where = (
                f"{configured} (configured)"
                if configured
                else f"no region configured, so {used} was used"
            )
            findings.append(
                R.BUCKET_REGION.finding(
                    f"Bucket {bucket} lives in {actual}, the client uses {where}"
                    + (" and S3 answered with a redirect" if probe.outcome == oc.REDIRECT else "")
                    + ".",
                    region_fix(str(actual), profile, bucket, endpoint.url, origin=region_origin),
                )
            )
    return findings


def missing_object_finding(probe: ProbeResult, *, hidden: bool = False) -> Finding:
    """HeadObject said 404 (or 403 to a caller without s3:ListBucket): no such key."""
    where = probe.name.split(" ", 1)[1]
    bucket = where.split("/", 1)[0]
    prefix = where.split("/", 1)[1].rsplit("/", 1)[0] if "/" in where.split("/", 1)[1] else ""
    said = (
        f"S3 answered 403 for s3://{where} although the caller's policies allow s3:GetObject "
        "on it. They do not allow s3:ListBucket on the bucket, and then S3 answers 403 instead "
        "of 404 for a key that does not exist: the object is most likely missing."
        if hidden
        else f"S3 answered 404 for s3://{where}: the credentials work and may read it, but "
        "there is no object under that key."
    )
    return R.OBJECT_MISSING.finding(
        said,
        "Check the key's spelling and case: "
        + command("aws", "s3", "ls", f"s3://{bucket}/" + (f"{prefix}/" if prefix else "")),
    )


OWN_POLICIES = "the caller's own policies"  # when the evaluator named no allowing statement


def denial_finding(
    probe: ProbeResult,
    verdict: Verdict | None,
    problem: str | None,
    bucket: str,
    key: str | None,
    endpoint: Endpoint = AWS,
) -> Finding:
    """Why one S3 probe was denied: explicit Deny, missing Allow, or cannot tell."""
    # The evaluator's module is loaded by a denial only (a healthy check never needs it).
    from keydoctor.probes.policy import (
        BOUNDARY,
        EXPLICIT_DENY,
        KMS_KEY,
        NO_ALLOW,
        least_privilege_statement,
    )

    action = probe.action or "s3:*"
    resource = probe.resource or f"arn:aws:s3:::{bucket}"
    grant = resource
    if action in ("s3:GetObject", "s3:PutObject"):
        grant = grant_resource(bucket, key)
    statement = least_privilege_statement(action, grant)
    if verdict is not None and verdict.decision == EXPLICIT_DENY:
        return R.EXPLICIT_DENY.finding(
            f"{probe.name} was denied: {verdict.deny_policy}, {verdict.deny_statement}, denies "
            f"{action} on {resource}. A Deny wins over any Allow."
            + (f" {verdict.detail}" if verdict.detail else ""),
            f"Remove or narrow that Deny statement ({verdict.deny_policy}, "
            f"{verdict.deny_statement}), or use a principal it does not cover",
            title=f"An explicit Deny refuses {action}",
        )
    if verdict is not None and verdict.kms_key is not None:
        kms_action = verdict.kms_action or "kms:*"
        change = verdict.change or ""
        return (R.EXPLICIT_DENY if verdict.decision == EXPLICIT_DENY else
                _DENIAL_RULES.get(action, R.LIST_DENIED)).finding(
            f"{probe.name} was denied by the object's KMS key: "
            f"{verdict.allow_policy or OWN_POLICIES} allows "
            f"{action} on {resource}, but S3 must also call {kms_action} as the caller on KMS "
            f"key {verdict.kms_key} (the key of the bucket's default encryption), and "
            f"{verdict.kms_reason}."
            + (f" {verdict.detail}" if verdict.detail else ""),
            change[:1].upper() + change[1:],
            title=(f"The KMS key policy does not allow {kms_action}"
                   if verdict.layer == KMS_KEY else f"{kms_action} on the object's key is denied"),
        )
    if verdict is not None and verdict.decision == NO_ALLOW and verdict.layer == BOUNDARY:
        return _DENIAL_RULES.get(action, R.LIST_DENIED).finding(
            f"{probe.name} was denied by the permissions boundary: "
            f"{verdict.allow_policy or OWN_POLICIES} "
            f"allows {action} on {resource}, but {verdict.limited_by or 'the boundary'} does "
            "not, and a boundary caps what the caller's own policies can grant."
            + (f" {verdict.detail}" if verdict.detail else ""),
            (verdict.change or "")[:1].upper() + (verdict.change or "")[1:]
            + (f" ({verdict.limited_by})" if verdict.limited_by else ""),
            title=f"The permissions boundary does not allow {action}",
        )
    if verdict is not None and verdict.decision == NO_ALLOW:
        rule = {
            "s3:ListBucket": R.LIST_DENIED,
            "s3:GetObject": R.GET_DENIED,
            "s3:PutObject": R.PUT_DENIED,
        }.get(action, R.LIST_DENIED)
        note = ""
        if action == "s3:ListBucket":
            note = (
                " s3:ListBucket applies to the bucket ARN itself, without /*; a grant "
                "on bucket/* does not cover it."
            )
        if verdict.conditional:
            note += " Statements with conditions also match: " + "; ".join(verdict.conditional)
        if verdict.detail:
            note += f" {verdict.detail}"
        return rule.finding(
            f"{probe.name} was denied and none of the caller's policies allows {action} on "
            f"{resource}.{note}",
            f"Add this statement to the user's or role's policy: {statement}",
            title=f"No policy allows {action} on {grant}",
        )
    if verdict is not None:  # identity policies allow it: the Deny is elsewhere
        return R.EXPLICIT_DENY.finding(
            f"{probe.name} was denied although {verdict.allow_policy} allows {action} on "
            f"{resource}. The refusal comes from a policy the caller cannot see: the bucket "
            "policy, an SCP, a permissions boundary or a session policy."
            + (f" {verdict.detail}" if verdict.detail else ""),
            "Look at the bucket policy ("
            + command("aws", "s3api", "get-bucket-policy", "--bucket", bucket)
            + ") and "
            "at the account's SCPs and the principal's permissions boundary",
            title=f"{action} is allowed by IAM but denied elsewhere",
            confidence="medium",
        )
    if endpoint.custom:
        return R.DENIED_UNKNOWN.finding(
            f"{probe.name} was denied ({action} on {resource}) and keydoctor could not read the "
            f"caller's policies ({problem or 'not permitted'}): either the caller lacks "
            f"{action} there, or a bucket policy refuses it.",
            grant_at_endpoint(endpoint, action, grant, bucket, statement),
            confidence="medium",
        )
    return R.DENIED_UNKNOWN.finding(
        f"{probe.name} was denied ({action} on {resource}) and keydoctor could not read the "
        f"caller's policies ({problem or 'not permitted'}): either no policy allows it, or a "
        "Deny (bucket policy, SCP, boundary) refuses it.",
        f"If the Allow is missing, add: {statement}. To find out, ask an administrator to run "
        + command(
            "aws",
            "iam",
            "simulate-principal-policy",
            "--policy-source-arn",
            "ARN",
            "--action-names",
            action,
            "--resource-arns",
            resource,
        ),
        confidence="medium",
    )


# What SeaweedFS calls each S3 right in its identities ("actions": ["Read:bucket", ...]).
_SEAWEED_ACTIONS = {"s3:ListBucket": "List", "s3:GetObject": "Read", "s3:PutObject": "Write"}
_DENIAL_RULES = {
    "s3:ListBucket": R.LIST_DENIED,
    "s3:GetObject": R.GET_DENIED,
    "s3:PutObject": R.PUT_DENIED,
}


def grant_at_endpoint(
    endpoint: Endpoint, action: str, grant: str, bucket: str, statement: str
) -> str:
    """Where to grant ``action`` at an S3-compatible server, in that server's terms."""
    where = f"Grant {action} on {grant} to this key's user in {endpoint.admin}"
    if (endpoint.server or "").lower() == "seaweedfs" and action in _SEAWEED_ACTIONS:
        where += (
            f' (SeaweedFS: add "{_SEAWEED_ACTIONS[action]}:{bucket}" to the identity\'s '
            '"actions" in its S3 configuration, or weed shell s3.configure)'
        )
    return (
        f"{where}, or allow it in the bucket policy of {bucket} for that user: {statement} "
        f"with a Principal naming the user "
        f"({endpoint.cli('aws s3api put-bucket-policy --bucket ' + bucket + ' --policy ...')})"
    )


def denial_without_identity(
    probe: ProbeResult, bucket: str, key: str | None, capabilities: Capabilities
) -> Finding:
    """A denial seen while STS named no caller: still a finding, never a silent pass.

    Without an identity the caller's policies cannot be read, so the finding says which
    right is missing and where it is granted: in AWS's IAM, or, at a server without IAM
    or STS, in that server's own user admin or a bucket policy.
    """
    from keydoctor.probes.policy import least_privilege_statement

    endpoint = capabilities.endpoint
    action = probe.action or "s3:*"
    resource = probe.resource or f"arn:aws:s3:::{bucket}"
    grant = grant_resource(bucket, key) if action in ("s3:GetObject", "s3:PutObject") else resource
    statement = least_privilege_statement(action, grant)
    code = probe.failure.code if probe.failure else "403"
    if not endpoint.custom:
        return denial_finding(
            probe, None, "STS did not say who the caller is", bucket, key, endpoint
        )
    missing = capabilities.missing
    offers = "neither STS nor IAM" if len(missing) == 2 else f"no {''.join(missing)}"
    why = (
        f" The endpoint offers {offers}, so the caller's own rights could not be read."
        if missing
        else " STS did not say who the caller is, so the caller's rights could not be read."
    )
    return _DENIAL_RULES.get(action, R.LIST_DENIED).finding(
        f"{probe.name} was denied ({code}): this key may not {action} on {resource} at "
        f"{endpoint.speaker}.{why}",
        grant_at_endpoint(endpoint, action, grant, bucket, statement),
        title=f"{action} on {grant} is not allowed for this key",
        confidence="medium",
    )


def capability_findings(capabilities: Capabilities) -> list[Finding]:
    """One info finding naming what the endpoint does not offer, and what was skipped."""
    said = []
    if not capabilities.sts:
        said.append(f"STS answered {capabilities.sts_said}")
    if not capabilities.iam:
        said.append(f"IAM answered {capabilities.iam_said}")
    if not said:
        return []
    skipped = []
    if not capabilities.sts:
        skipped.append("identity")
    skipped.append("policy")
    if not capabilities.iam:
        skipped.append("access-key")
    names = " and ".join(capabilities.missing)
    return [
        R.ENDPOINT_CAPABILITIES.finding(
            f"{names} not offered here: {', '.join(skipped[:-1])} and {skipped[-1]} analysis "
            f"skipped. {_upper(capabilities.endpoint.speaker)} answered S3 requests properly "
            f"while {'; '.join(said)}. This is how the server is set up, not a fault.",
            "Nothing to fix; denials are explained in the server's own terms",
            title=f"{names} not offered here: identity and policy analysis skipped"
            if not capabilities.sts
            else f"{names} not offered here: policy analysis skipped",
        )
    ]


def iam_findings(
    report: KeysReport | None,
    source: CredentialSource | None,
    now: datetime | None = None,
    endpoint: Endpoint = AWS,
    *,
    identity_known: bool = True,
) -> list[Finding]:
    """Findings about the caller's own keys only: keys of other users in the answer (some
    servers list every user's) are never attributed to the caller. ``identity_known`` is
    False when STS did not accept the keys, so that a refusal of ListAccessKeys is not
    called harmless."""
    if report is None:
        return []
    now = now or datetime.now(UTC)
    findings: list[Finding] = []
    probe = report.probe
    if not probe.ok:
        code = probe.failure.code if probe.failure else "error"
        family = codes.family(code)
        refused_keys = probe.outcome == oc.AUTH_FAILED or family in (
            codes.UNKNOWN_KEY,
            codes.SIGNATURE,
        )
        expired = family == codes.TOKEN_EXPIRED
        if refused_keys or expired or not identity_known:
            why = (
                f"because {endpoint.speaker} refused the keys themselves"
                if refused_keys or expired
                else "and STS did not accept the keys either, so the refusal most likely "
                "comes from the keys themselves"
            )
            findings.append(
                R.IAM_UNCHECKED.finding(
                    f"iam:ListAccessKeys was refused ({code}) {why}; the age and status of the "
                    "user's keys could not be checked. The fault is the keys': see the "
                    "findings about them.",
                    "Fix the keys first (see the other findings); then run keydoctor check again",
                )
            )
        elif probe.outcome in (oc.DENIED, oc.ERROR):
            findings.append(
                R.IAM_UNCHECKED.finding(
                    f"iam:ListAccessKeys was refused ({code}): could not check the age and status "
                    "of the user's keys. This is not a fault of the setup.",
                    "Nothing to fix; to check by hand: aws iam list-access-keys (with a principal "
                    "allowed to)",
                )
            )
        return findings
    in_use = (source.access_key_id or "").strip() if source else ""
    for info in report.keys:
        masked = mask_key_id(info.access_key_id)
        if info.access_key_id == in_use and info.status.lower() == "inactive":
            findings.append(
                R.KEY_INACTIVE.finding(
                    f"IAM lists the key in use, {masked}, as Inactive: {endpoint.speaker} "
                    "refuses requests signed with it.",
                    f"Activate key {masked} in {endpoint.admin} (or switch to the user's "
                    "active key)"
                    if endpoint.custom
                    else f"aws iam update-access-key --access-key-id {masked} --status Active "
                    "(or switch to the user's active key)",
                    source.location if source else None,
                )
            )
        if info.created is not None:
            created = info.created if info.created.tzinfo else info.created.replace(tzinfo=UTC)
            age = now - created
            if age > timedelta(days=OLD_KEY_DAYS):
                findings.append(
                    R.OLD_KEY.finding(
                        f"Key {masked} of user {report.user} was created {age.days} days ago.",
                        f"Rotate it in {endpoint.admin}: create a new key for {report.user}, "
                        f"switch to it, then deactivate and delete {masked}"
                        if endpoint.custom
                        else f"Rotate it: aws iam create-access-key --user-name {report.user}, "
                        "switch to "
                        f"the new key, then aws iam update-access-key --access-key-id {masked} "
                        "--status Inactive and delete it",
                    )
                )
        if info.access_key_id != in_use and len(report.keys) > 1 and report.user:
            used = f"last used {info.last_used:%Y-%m-%d}" if info.last_used else "never used"
            fix = (
                f"If nothing uses it: aws iam delete-access-key --user-name {report.user} "
                f"--access-key-id {masked}"
            )
            if endpoint.custom:
                fix = (
                    f"If nothing uses it, delete key {masked} of {report.user} in {endpoint.admin}"
                )
            findings.append(
                R.UNUSED_KEY.finding(
                    f"User {report.user} has {'a second' if len(report.keys) == 2 else 'another'} "
                    f"key, {masked} ({info.status}, {used}).",
                    fix,
                )
            )
    if len(report.keys) > AWS_KEYS_PER_USER and report.user:
        where = endpoint.admin if endpoint.custom else "IAM (aws iam delete-access-key)"
        findings.append(
            R.TOO_MANY_KEYS.finding(
                f"User {report.user} has {len(report.keys)} access keys; AWS allows "
                f"{AWS_KEYS_PER_USER} per user. The extra ones are likely forgotten copies.",
                f"Delete the keys nothing uses in {where}, keeping at most {AWS_KEYS_PER_USER}",
            )
        )
    for name in report.attached:
        if name.startswith(QUARANTINE_PREFIX):
            findings.append(
                R.QUARANTINED.finding(
                    f"The policy {name} is attached to user {report.user}: AWS found this user's "
                    "key exposed and blocked most actions.",
                    f"Rotate the key (aws iam create-access-key --user-name {report.user}; "
                    "delete the "
                    f"exposed one), check CloudTrail, then aws iam detach-user-policy --user-name "
                    f"{report.user} --policy-arn arn:aws:iam::aws:policy/{name}",
                )
            )
    return findings
