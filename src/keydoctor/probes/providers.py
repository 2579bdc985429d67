"""One request that proves each credential provider: the container endpoint, IMDSv2,
AssumeRoleWithWebIdentity, and AssumeRole hop by hop along a role chain.

When a provider fails, botocore says little: "Unable to locate credentials", "Error
retrieving metadata", or the last AssumeRole error of a chain without the hop it came
from. These probes make the provider's own request, as botocore would make it, and say
which step broke: the endpoint did not answer, refused the token, answered something that
is not credentials; IMDS never answered the token PUT (the hop limit); STS refused the
web identity token or one hop of the chain.

Every failed exchange becomes an :class:`~keydoctor.probes.access.RawAnswer` and is judged
by :func:`~keydoctor.probes.access.classify`, like any other probe. The metadata services
are asked with ``http.client`` and the probes' timeout; STS with a botocore client from
:mod:`keydoctor.probes.clients`. Credentials obtained here are never shown (key ids are
masked by the reporters) and never leave this process except to STS itself.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from keydoctor.model import CredentialSource, Finding
from keydoctor.probes import access
from keydoctor.probes import outcome as oc
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.rules import (
    CONTAINER_ANSWER_UNUSABLE,
    CONTAINER_TOKEN_REFUSED,
    CONTAINER_UNREACHABLE,
    DURATION_ABOVE_ROLE_MAXIMUM,
    EXTERNAL_ID_REFUSED,
    IMDS_NO_ROLE,
    IMDS_TOKEN_UNANSWERED,
    ROLE_CHAIN_HOP_FAILED,
    SSO_ROLE_NOT_ASSIGNED,
    SSO_TOKEN_REFUSED,
    WEB_IDENTITY_NOT_TRUSTED,
    WEB_IDENTITY_TOKEN_REFUSED,
)
from keydoctor.probes.transport import Target
from keydoctor.shell import command, profile_args

CONTAINER_HOST = "http://169.254.170.2"
IMDS_ENDPOINT = "http://169.254.169.254"
IMDS_TOKEN_TTL = "21600"
_CREDENTIAL_FIELDS = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")
_READ_LIMIT = 64 * 1024


@dataclass
class ProviderCheck:
    """What one provider probe learned: its probes (a chain has one per hop), its
    findings, and the credentials it obtained (for the other probes to use; never shown).
    """

    probes: list[ProbeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    keys: StaticKeys | None = None


# -- plain HTTP to a metadata service ----------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]


def _exchange(
    method: str, url: str, headers: Mapping[str, str], timeout: float, operation: str
) -> _Reply | access.RawAnswer:
    """One HTTP request; the reply, or the :class:`RawAnswer` of why none came.

    No proxy is used: botocore's metadata fetchers go straight to the link-local or
    loopback address too.
    """
    import http.client

    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    connected = False
    try:
        conn.connect()
        connected = True
        conn.request(method, path, headers=dict(headers))
        response = conn.getresponse()
        body = response.read(_READ_LIMIT)
        return _Reply(response.status, body, {k.lower(): v for k, v in response.getheaders()})
    except TimeoutError as exc:
        kind = access.READ_TIMEOUT if connected else access.CONNECT_TIMEOUT
        name = "ReadTimeoutError" if connected else "ConnectTimeoutError"
        return access.RawAnswer(operation, failure=access.Unanswered(kind, name, access.short(exc)))
    except ssl.SSLError as exc:
        return access.RawAnswer(
            operation, failure=access.Unanswered(access.TLS, "SSLError", access.short(exc))
        )
    except (ConnectionRefusedError, socket.gaierror) as exc:
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ConnectionRefusedError):
            detail += " (connection refused)"
        return access.RawAnswer(
            operation,
            failure=access.Unanswered(
                access.CONNECT, "EndpointConnectionError", access.short(exc), detail
            ),
        )
    except (OSError, http.client.HTTPException) as exc:
        kind = access.CLOSED if connected else access.CONNECT
        return access.RawAnswer(
            operation,
            failure=access.Unanswered(kind, "ConnectionClosedError", access.short(exc), str(exc)),
        )
    finally:
        conn.close()


def _judge(
    probe: ProbeResult, raw: access.RawAnswer, target: Target, url: str, started: float
) -> None:
    """Fill a failed probe in from its raw answer, judged by the shared classifier."""
    import dataclasses

    from keydoctor.redact import mask_url

    probe.duration_ms = (time.perf_counter() - started) * 1000.0
    probe.local_time = datetime.now(UTC)
    at = dataclasses.replace(target, endpoint_url=url)
    probe.failure = access.classify(
        dataclasses.replace(raw, duration_ms=probe.duration_ms), at, probe.operation
    )
    probe.outcome = probe.failure.outcome
    probe.answer = f"{probe.failure.code}: {probe.failure.reason}"
    probe.data["url"] = mask_url(url)


def _done(probe: ProbeResult, started: float) -> None:
    probe.duration_ms = (time.perf_counter() - started) * 1000.0
    probe.local_time = datetime.now(UTC)


def _credentials_document(body: bytes) -> tuple[StaticKeys | None, datetime | None, str]:
    """The keys and expiry in a metadata service's credentials JSON, or why it is none."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        shape = "an HTML page" if access.looks_html(body) else "not JSON"
        return None, None, f"the answer is {shape}, not the credentials JSON"
    if not isinstance(document, dict):
        return None, None, "the answer is JSON but not an object"
    missing = [name for name in _CREDENTIAL_FIELDS[:2] if not document.get(name)]
    if missing:
        return None, None, "the credentials JSON lacks " + " and ".join(missing)
    expiry = None
    raw_expiry = document.get("Expiration")
    if isinstance(raw_expiry, str):
        try:
            expiry = datetime.fromisoformat(raw_expiry.replace("Z", "+00:00"))
        except ValueError:
            return None, None, f"its Expiration {raw_expiry[:40]!r} is not a time"
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
    keys = StaticKeys(
        str(document["AccessKeyId"]),
        str(document["SecretAccessKey"]),
        str(document.get("Token") or "") or None,
    )
    return keys, expiry, ""


def _keys_words(keys: StaticKeys, expiry: datetime | None, now: datetime) -> str:
    """``credentials for ASIA…WXYZ, valid 5h 59m more`` (the key id masked)."""
    from keydoctor.redact import mask_key_id

    left = ""
    if expiry is not None:
        minutes = int((expiry - now).total_seconds() // 60)
        left = f", valid {minutes // 60}h {minutes % 60:02d}m more"
    return f"credentials for {mask_key_id(keys.access_key_id)}{left}"


# -- the container endpoint ----------------------------------------------------------------------


def container_url(env: Mapping[str, str]) -> str | None:
    """The URL botocore's ContainerProvider asks (the relative URI wins), or None."""
    relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    if relative is not None:
        return CONTAINER_HOST + relative
    return env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")


def _container_token(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The authorisation token as botocore reads it (the file wins), and where it is."""
    path = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read(_READ_LIMIT).strip(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
        except (OSError, ValueError):
            return None, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
    token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    return token, "AWS_CONTAINER_AUTHORIZATION_TOKEN"


def container_check(env: Mapping[str, str], target: Target) -> ProviderCheck:
    """GET the container credentials endpoint as botocore would, with its token."""
    from keydoctor.redact import mask_url

    check = ProviderCheck()
    url = container_url(env)
    if url is None:
        return check
    shown = mask_url(url)
    probe = ProbeResult(
        name="container:credentials",
        service="container",
        operation="GetContainerCredentials",
        asked=f"Does the container credentials endpoint give credentials? (GET {shown})",
    )
    check.probes.append(probe)
    token, token_var = _container_token(env)
    headers = {"Accept": "application/json", "User-Agent": "keydoctor"}
    if token:
        headers["Authorization"] = token
    started = time.perf_counter()
    reply = _exchange("GET", url, headers, target.timeout, probe.operation)
    if isinstance(reply, access.RawAnswer):
        _judge(probe, reply, target, url, started)
        why = probe.failure.reason if probe.failure else "no answer came"
        check.findings.append(
            CONTAINER_UNREACHABLE.finding(
                f"botocore asks {shown} for credentials and {why}.",
                "Unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI where no credentials "
                "agent runs, or run where the agent answers (the ECS task role, the EKS Pod "
                "Identity agent)",
            )
        )
        return check
    _done(probe, started)
    probe.data["url"] = shown
    if reply.status in (401, 403):
        probe.outcome = oc.PROVIDER  # the agent refused, not AWS: no answer for the ranker
        probe.answer = f"HTTP {reply.status}: the token was refused"
        said = "no token was sent" if not token else f"the token from {token_var} was refused"
        check.findings.append(
            CONTAINER_TOKEN_REFUSED.finding(
                f"{shown} answered HTTP {reply.status}: {said}.",
                f"Set {token_var} to the token the agent issued; on EKS Pod Identity point "
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE at "
                "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            )
        )
        return check
    now = datetime.now(UTC)
    keys, expiry, problem = (None, None, f"it answered HTTP {reply.status}")
    if reply.status == 200:
        keys, expiry, problem = _credentials_document(reply.body)
    if keys is not None and expiry is not None and expiry <= now:
        problem = f"the credentials expired at {expiry:%Y-%m-%d %H:%M:%S} UTC"
        keys = None
    if keys is None:
        probe.outcome = oc.NOT_AWS if reply.status == 200 else oc.ERROR
        probe.answer = problem
        check.findings.append(
            CONTAINER_ANSWER_UNUSABLE.finding(
                f"{shown} answered, but {problem}.",
                "Make the URI reach the credentials agent itself (add its host to NO_PROXY "
                "if a proxy is set) and restart the agent if it serves stale credentials",
            )
        )
        return check
    probe.answer = _keys_words(keys, expiry, now)
    check.keys = keys
    return check


# -- IMDSv2 -----------------------------------------------------------------------------------


def imds_endpoint(env: Mapping[str, str], settings: Mapping[str, Any]) -> str:
    """Where botocore asks IMDS: the variable, the profile's setting, else the default."""
    configured = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or settings.get(
        "ec2_metadata_service_endpoint"
    )
    if isinstance(configured, str) and configured:
        return configured.rstrip("/")
    mode = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") or settings.get(
        "ec2_metadata_service_endpoint_mode"
    )
    if isinstance(mode, str) and mode.lower() == "ipv6":
        return "http://[fd00:ec2::254]"
    return IMDS_ENDPOINT


def imds_disabled(env: Mapping[str, str]) -> bool:
    return env.get("AWS_EC2_METADATA_DISABLED", "false").lower() == "true"


def imds_check(
    env: Mapping[str, str], settings: Mapping[str, Any], target: Target
) -> ProviderCheck:
    """IMDSv2 as botocore asks it: the token PUT, the role's name, then its credentials.

    A connection that is accepted but whose token PUT is never answered is the hop
    limit's signature; nothing listening at all means this is no EC2 instance.
    """
    from keydoctor.redact import mask_url

    check = ProviderCheck()
    base = imds_endpoint(env, settings)
    shown = mask_url(base)
    token_probe = ProbeResult(
        name="imds:token",
        service="imds",
        operation="PutImdsToken",
        asked=f"Does IMDSv2 give a session token? (PUT {shown}/latest/api/token)",
    )
    check.probes.append(token_probe)
    started = time.perf_counter()
    reply = _exchange(
        "PUT",
        base + "/latest/api/token",
        {"X-aws-ec2-metadata-token-ttl-seconds": IMDS_TOKEN_TTL, "User-Agent": "keydoctor"},
        target.timeout,
        token_probe.operation,
    )
    if isinstance(reply, access.RawAnswer):
        _judge(token_probe, reply, target, base, started)
        if reply.failure is not None and reply.failure.kind == access.READ_TIMEOUT:
            token_probe.answer = (
                f"no answer within {target.timeout:g} s after the connection was accepted: "
                "hop limit or IMDSv2 blocked"
            )
            check.findings.append(
                IMDS_TOKEN_UNANSWERED.finding(
                    f"{shown} accepted the connection but never answered the IMDSv2 token "
                    f"PUT within {target.timeout:g} s: the answer dies on the way, as from "
                    "inside a container when the instance's hop limit is 1 (or a firewall "
                    "blocks PUT). botocore then finds no credentials.",
                    "aws ec2 modify-instance-metadata-options --instance-id INSTANCE_ID "
                    "--http-put-response-hop-limit 2 --http-endpoint enabled  (or run the "
                    "container with host networking)",
                )
            )
        else:
            token_probe.answer = f"nothing answers at {shown}: not an EC2 instance"
        return check
    _done(token_probe, started)
    if reply.status != 200 or not reply.body.strip():
        token_probe.outcome = oc.ERROR
        token_probe.answer = f"HTTP {reply.status} to the token PUT"
        return check
    token = reply.body.decode("utf-8", "replace").strip()
    token_probe.answer = "session token received (IMDSv2 works, hop limit sufficient)"
    headers = {"X-aws-ec2-metadata-token": token, "User-Agent": "keydoctor"}
    role_probe = ProbeResult(
        name="imds:role",
        service="imds",
        operation="GetImdsRoleCredentials",
        asked="Which role does the instance have, and its credentials? "
        "(GET /latest/meta-data/iam/security-credentials/)",
    )
    check.probes.append(role_probe)
    started = time.perf_counter()
    roles_url = base + "/latest/meta-data/iam/security-credentials/"
    listing = _exchange("GET", roles_url, headers, target.timeout, role_probe.operation)
    if isinstance(listing, access.RawAnswer):
        _judge(role_probe, listing, target, base, started)
        return check
    role = listing.body.decode("utf-8", "replace").strip().splitlines()
    if listing.status != 200 or not role:
        _done(role_probe, started)
        role_probe.outcome = oc.NOT_FOUND
        role_probe.answer = f"HTTP {listing.status}: no role attached to the instance"
        check.findings.append(
            IMDS_NO_ROLE.finding(
                f"IMDSv2 at {shown} works, but names no role (HTTP {listing.status} for "
                "/latest/meta-data/iam/security-credentials/): the instance has no instance "
                "profile.",
                "aws ec2 associate-iam-instance-profile --instance-id INSTANCE_ID "
                "--iam-instance-profile Name=PROFILE_NAME",
            )
        )
        return check
    name = role[0].strip()
    answer = _exchange("GET", roles_url + name, headers, target.timeout, role_probe.operation)
    if isinstance(answer, access.RawAnswer):
        _judge(role_probe, answer, target, base, started)
        return check
    _done(role_probe, started)
    keys, expiry, problem = (None, None, f"HTTP {answer.status}")
    if answer.status == 200:
        keys, expiry, problem = _credentials_document(answer.body)
    if keys is None:
        role_probe.outcome = oc.ERROR
        role_probe.answer = f"role {name}: {problem}"
        check.findings.append(
            IMDS_NO_ROLE.finding(
                f"IMDSv2 at {shown} names the role {name}, but its credentials cannot be "
                f"read: {problem}.",
                "aws ec2 associate-iam-instance-profile --instance-id INSTANCE_ID "
                "--iam-instance-profile Name=PROFILE_NAME  (replace the instance's profile "
                "if it is broken)",
            )
        )
        return check
    role_probe.answer = f"role {name}: " + _keys_words(keys, expiry, datetime.now(UTC))
    check.keys = keys
    return check


# -- STS: web identity and role chains ------------------------------------------------------------


def _sts_client(target: Target, keys: StaticKeys | None) -> Any:
    """An STS client with exactly ``keys``, no retries: the direct client where the
    probes would use it (:mod:`keydoctor.probes.wire`), else botocore's. Without keys
    (AssumeRoleWithWebIdentity is unsigned) an isolated botocore client.
    """
    import dataclasses

    from keydoctor.probes import clients

    if keys is not None:
        from keydoctor.model import Location, Secret
        from keydoctor.probes.transport import Transport

        signer = CredentialSource(
            method="assume-role",
            location=Location("aws"),
            access_key_id=keys.access_key_id,
            secret_access_key=Secret(keys.secret_access_key),
            session_token=Secret(keys.session_token) if keys.session_token else None,
        )
        return Transport(dataclasses.replace(target, source=signer, profile=None)).client("sts")
    session = clients.new_session(isolated=True, services=("sts",), keep_answers=True)
    return clients.make_client(
        "sts",
        keys=None,
        region=target.region,
        endpoint_url=target.endpoint_url,
        session=session,
        connect_timeout=target.timeout,
        read_timeout=target.timeout,
        user_agent=clients.USER_AGENT,
    )


def _ask_sts(probe: ProbeResult, target: Target, call: Any) -> dict[str, Any] | None:
    """Run one STS call for a probe; the answer, or None with the probe's failure set."""
    started = time.perf_counter()
    try:
        response: dict[str, Any] = call()
    except Exception as exc:  # judged below; nothing escapes a probe
        raw = access.answer_of(exc, probe.operation)
        _judge(probe, raw, target, target.endpoint_url or "", started)
        if not target.endpoint_url:
            probe.data.pop("url", None)
        return None
    _done(probe, started)
    probe.outcome = oc.OK
    return response


def _duration(settings: Mapping[str, Any]) -> int | None:
    """The profile's ``duration_seconds`` as botocore sends it (an integer), or None.

    A value botocore could not turn into an integer is KD507's to report, not asked here.
    """
    value = settings.get("duration_seconds")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _session_name(settings: Mapping[str, Any]) -> str:
    name = settings.get("role_session_name")
    if isinstance(name, str) and name:
        return name
    return f"keydoctor-{int(time.time())}"


def web_identity_check(source: CredentialSource, target: Target) -> ProviderCheck:
    """AssumeRoleWithWebIdentity with the token file's JWT, as botocore would send it."""
    check = ProviderCheck()
    role_arn = source.details.get("role_arn", "")
    path = source.details.get("web_identity_token_file", "")
    probe = ProbeResult(
        name="sts:AssumeRoleWithWebIdentity",
        service="sts",
        operation="AssumeRoleWithWebIdentity",
        asked=f"Does STS exchange the web identity token for {role_arn}?",
        action="sts:AssumeRoleWithWebIdentity",
        resource=role_arn or None,
    )
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read(_READ_LIMIT).strip()
    except (OSError, ValueError):
        token = ""
    if not role_arn or not token:
        probe.outcome = oc.SKIPPED
        probe.answer = "not asked: no role ARN or no readable token (see the audit's findings)"
        check.probes.append(probe)
        return check
    check.probes.append(probe)
    client = _sts_client(target, None)
    answer = _ask_sts(
        probe,
        target,
        lambda: client.assume_role_with_web_identity(
            RoleArn=role_arn,
            RoleSessionName=_session_name({}),
            WebIdentityToken=token,
        ),
    )
    if answer is None:
        failure = probe.failure
        code = failure.code if failure else ""
        message = (failure.message if failure else "") or (failure.reason if failure else "")
        from keydoctor.catalog import codes

        if codes.family(code) == codes.DENIED:
            from keydoctor.checks.providers import describe_claims

            claims = describe_claims(token) or "claims unreadable"
            check.findings.append(
                WEB_IDENTITY_NOT_TRUSTED.finding(
                    f"STS refused AssumeRoleWithWebIdentity on {role_arn}: {code}: {message}",
                    f"Compare the token's claims ({claims}) with the Principal and the "
                    f"aud/sub conditions in the trust policy of {role_arn}, and correct it "
                    "(aws iam update-assume-role-policy)",
                    source.location,
                )
            )
        elif failure is not None and failure.outcome != oc.UNREACHABLE:
            check.findings.append(
                WEB_IDENTITY_TOKEN_REFUSED.finding(
                    f"STS refused the web identity token from {path}: {code}: {message}",
                    "Refresh the token where it comes from (the projected service account "
                    "token, a new OIDC token for the job); if the issuer is unknown, create "
                    "the IAM OIDC provider (aws iam create-open-id-connect-provider)",
                    source.location,
                )
            )
        return check
    creds = answer.get("Credentials") or {}
    keys = StaticKeys(
        str(creds.get("AccessKeyId", "")),
        str(creds.get("SecretAccessKey", "")),
        str(creds.get("SessionToken", "")) or None,
    )
    assumed = (answer.get("AssumedRoleUser") or {}).get("Arn", role_arn)
    probe.answer = f"{assumed}: " + _keys_words(keys, None, datetime.now(UTC))
    check.keys = keys
    return check


@dataclass(frozen=True)
class Hop:
    """One role of a chain: the profile naming it and its settings."""

    profile: str
    role_arn: str
    settings: Mapping[str, Any]


def chain_of(
    profiles: Mapping[str, Mapping[str, Any]], profile: str
) -> tuple[str, StaticKeys, list[Hop]] | None:
    """The chain's base profile with static keys, and its roles from the base upwards.

    None when the chain does not end in a profile with static keys (credential_source,
    SSO, a loop, a missing profile): the offline audit reports those, and botocore's own
    providers fetch the base credentials.
    """
    hops: list[Hop] = []
    seen: set[str] = set()
    name = profile
    while True:
        cfg = profiles.get(name)
        if cfg is None or name in seen:
            return None
        seen.add(name)
        key_id = cfg.get("aws_access_key_id")
        role = cfg.get("role_arn")
        if isinstance(role, str) and role and not (key_id and name in {h.profile for h in hops}):
            hops.append(Hop(name, role, cfg))
            source = cfg.get("source_profile")
            if not isinstance(source, str):
                return None
            if source == name and key_id:
                break
            name = source
            continue
        break
    cfg = profiles[name]
    key_id, secret = cfg.get("aws_access_key_id"), cfg.get("aws_secret_access_key")
    if not (isinstance(key_id, str) and isinstance(secret, str)) or not hops:
        return None
    token = cfg.get("aws_session_token")
    keys = StaticKeys(key_id, secret, token if isinstance(token, str) and token else None)
    hops.reverse()
    return name, keys, hops


def role_chain_check(
    profiles: Mapping[str, Mapping[str, Any]], source: CredentialSource, target: Target
) -> ProviderCheck:
    """AssumeRole hop by hop along the profile's chain, each with the previous hop's keys.

    The probes are named ``chain hop N/M`` and carry the hop in ``data`` for the report's
    chain view; the first refusal stops the walk and is named in a finding.
    """
    check = ProviderCheck()
    if source.profile is None:
        return check
    found = chain_of(profiles, source.profile)
    if found is None:
        return check
    base, keys, hops = found
    previous = f"profile {base}"
    current: StaticKeys | None = keys
    for index, hop in enumerate(hops, start=1):
        probe = ProbeResult(
            name=f"sts:AssumeRole hop {index}/{len(hops)}",
            service="sts",
            operation="AssumeRole",
            asked=f"Can {previous} assume {hop.role_arn} (profile {hop.profile})?",
            action="sts:AssumeRole",
            resource=hop.role_arn,
        )
        probe.data["hop"] = {
            "index": index,
            "of": len(hops),
            "profile": hop.profile,
            "role_arn": hop.role_arn,
            "from": previous,
        }
        check.probes.append(probe)
        if current is None:
            probe.outcome = oc.SKIPPED
            probe.answer = "not asked: an earlier hop failed"
            continue
        if hop.settings.get("mfa_serial"):
            probe.outcome = oc.SKIPPED
            probe.answer = "not asked: the role needs an MFA code, and keydoctor does not prompt"
            current = None
            continue
        params: dict[str, Any] = {
            "RoleArn": hop.role_arn,
            "RoleSessionName": _session_name(hop.settings),
        }
        external_id = hop.settings.get("external_id")
        if isinstance(external_id, str) and external_id:
            params["ExternalId"] = external_id
        duration = _duration(hop.settings)
        if duration is not None:
            params["DurationSeconds"] = duration  # botocore sends it too
        client = _sts_client(target, current)
        answer = _ask_sts(probe, target, lambda c=client, p=params: c.assume_role(**p))
        if answer is None:
            failure = probe.failure
            said = (
                f"{failure.code}: {failure.message or failure.reason}" if failure else "no answer"
            )
            probe.answer = said
            if (
                failure is not None
                and "DurationSeconds" in params
                and "MaxSessionDuration" in (failure.message or "")
            ):
                check.findings.append(
                    DURATION_ABOVE_ROLE_MAXIMUM.finding(
                        f"STS refused AssumeRole on {hop.role_arn} (profile {hop.profile}): "
                        f"the profile asks for duration_seconds = {params['DurationSeconds']}, "
                        f"longer than the role's maximum session. STS answered {said.rstrip('.')}.",
                        command(
                            "aws",
                            "configure",
                            "set",
                            "duration_seconds",
                            "3600",
                            *profile_args(hop.profile),
                        )
                        + "   (one hour is within every role's maximum; or ask the role's "
                        "owner to raise it: "
                        + command(
                            "aws",
                            "iam",
                            "update-role",
                            "--role-name",
                            hop.role_arn.rsplit("/", 1)[-1],
                            "--max-session-duration",
                            str(params["DurationSeconds"]),
                        )
                        + ")",
                        source.location,
                    )
                )
            elif failure is not None and failure.outcome == oc.DENIED and "ExternalId" in params:
                # AWS's AccessDenied is the same for a principal the trust policy does not
                # name and for an sts:ExternalId condition not met; the profile sends one.
                check.findings.append(
                    EXTERNAL_ID_REFUSED.finding(
                        f"STS refused AssumeRole on {hop.role_arn} (profile {hop.profile}, "
                        f"asked with {previous}), sent with external_id = "
                        f"{params['ExternalId']}. "
                        f"STS answered {said}: the same answer as for a trust policy that "
                        "does not name the caller, so the likely cause is an external id "
                        "that differs from the one the trust policy's sts:ExternalId "
                        "condition names.",
                        command(
                            "aws",
                            "configure",
                            "set",
                            "external_id",
                            "ID",
                            *profile_args(hop.profile),
                        )
                        + "   (ID: the external id the role's owner gave you; if it is "
                        "right, the trust policy must name this caller)",
                        source.location,
                        confidence="medium",
                    )
                )
            elif failure is not None and failure.outcome != oc.UNREACHABLE and len(hops) > 1:
                # (A single role is named by botocore's own error already: KD617.)
                check.findings.append(
                    ROLE_CHAIN_HOP_FAILED.finding(
                        f"The chain {' -> '.join([base, *(h.profile for h in hops)])} breaks "
                        f"at hop {index} of {len(hops)}: {previous} cannot assume "
                        f"{hop.role_arn} (profile {hop.profile}). STS answered {said}",
                        f"Add the principal of {previous} to the trust policy of "
                        f"{hop.role_arn} (aws iam update-assume-role-policy --role-name "
                        f"{hop.role_arn.rsplit('/', 1)[-1]} ...), and allow sts:AssumeRole on "
                        f"{hop.role_arn} for it",
                        source.location,
                    )
                )
            current = None
            continue
        creds = answer.get("Credentials") or {}
        current = StaticKeys(
            str(creds.get("AccessKeyId", "")),
            str(creds.get("SecretAccessKey", "")),
            str(creds.get("SessionToken", "")) or None,
        )
        assumed = (answer.get("AssumedRoleUser") or {}).get("Arn", hop.role_arn)
        probe.answer = f"{assumed}: " + _keys_words(current, None, datetime.now(UTC))
        previous = f"role {hop.role_arn.rsplit('/', 1)[-1]}"
    check.keys = current
    return check


# -- SSO: GetRoleCredentials with the cached token ------------------------------------------------


def sso_portal(env: Mapping[str, str], sso_region: str) -> str:
    """The SSO portal botocore's ``sso`` client calls: its endpoint variables, else AWS's."""
    for name in ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL"):
        configured = env.get(name)
        if configured:
            return configured.rstrip("/")
    return f"https://portal.sso.{sso_region}.amazonaws.com"


def _sso_token(path: str, now: datetime) -> str | None:
    """The cached access token when it is there and unexpired (never shown), else None."""
    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read(_READ_LIMIT).decode("utf-8"))
        token = document["accessToken"]
        expires = datetime.fromisoformat(str(document["expiresAt"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return token if isinstance(token, str) and token and expires > now else None


def sso_check(
    source: CredentialSource,
    env: Mapping[str, str],
    profiles: Mapping[str, Mapping[str, Any]],
    target: Target,
) -> ProviderCheck:
    """GetRoleCredentials as botocore's SSOCredentialFetcher sends it: unsigned, the token in
    ``x-amz-sso_bearer_token``, account and role in the query."""
    from urllib.parse import urlencode

    from keydoctor.redact import mask_url
    from keydoctor.shell import command, profile_args

    check = ProviderCheck()
    details = source.details
    account, role = details.get("sso_account_id", ""), details.get("sso_role_name", "")
    probe = ProbeResult(
        name="sso:GetRoleCredentials",
        service="sso",
        operation="GetRoleCredentials",
        asked=f"Does the SSO portal give credentials for role {role} in account {account}?",
    )
    check.probes.append(probe)
    now = datetime.now(UTC)
    token = _sso_token(details.get("token_cache", ""), now)
    if source.error or not account or not role or not details.get("sso_region") or not token:
        probe.outcome = oc.SKIPPED
        probe.answer = (
            "not asked: no usable cached SSO token or settings (see the audit's findings)"
        )
        return check
    base = sso_portal(env, details["sso_region"])
    url = f"{base}/federation/credentials?" + urlencode({"account_id": account, "role_name": role})
    headers = {"x-amz-sso_bearer_token": token, "Accept": "application/json"}
    headers["User-Agent"] = "keydoctor"
    started = time.perf_counter()
    reply = _exchange("GET", url, headers, target.timeout, probe.operation)
    if isinstance(reply, access.RawAnswer):
        _judge(probe, reply, target, url, started)
        return check
    _done(probe, started)
    probe.data["url"] = mask_url(url)
    session = profiles.get(source.profile or "", {}).get("sso_session")
    login = ("--sso-session", str(session)) if session else ()
    login_fix = command("aws", "sso", "login", *(login or profile_args(source.profile)))
    if reply.status == 401:
        probe.outcome = oc.PROVIDER
        probe.answer = "HTTP 401: the portal refused the SSO token"
        check.findings.append(
            SSO_TOKEN_REFUSED.finding(
                f"The SSO portal answered 401 to GetRoleCredentials: the cached token in "
                f"{details.get('token_cache')} has not reached its expiry, but the portal no "
                "longer accepts it (the session ended).",
                login_fix,
                source.location,
            )
        )
        return check
    if reply.status == 403:
        probe.outcome = oc.DENIED
        probe.answer = f"HTTP 403: no access to role {role} in account {account}"
        set_role = command(
            "aws", "configure", "set", "sso_role_name", "NAME", *profile_args(source.profile)
        )
        check.findings.append(
            SSO_ROLE_NOT_ASSIGNED.finding(
                f"The SSO portal answered 403 (No access): this user has no permission set "
                f"{role} assigned in account {account}.",
                f"Ask your IAM Identity Center administrator to assign permission set {role} "
                f"to you in account {account}, or use a role you have: {set_role} "
                f"(aws sso list-account-roles --account-id {account} lists them)",
                source.location,
            )
        )
        return check
    keys, expiry, problem = None, None, f"it answered HTTP {reply.status}"
    if reply.status == 200:
        keys, expiry, problem = _role_credentials(reply.body)
    if keys is None:
        probe.outcome = oc.NOT_AWS if reply.status == 200 else oc.ERROR
        probe.answer = problem
        return check
    probe.outcome = oc.OK
    probe.answer = _keys_words(keys, expiry, now)
    check.keys = keys
    return check


def _role_credentials(body: bytes) -> tuple[StaticKeys | None, datetime | None, str]:
    """The keys in GetRoleCredentials' ``roleCredentials`` (expiration in epoch ms)."""
    try:
        document = json.loads(body.decode("utf-8"))
        creds = document["roleCredentials"]
        keys = StaticKeys(
            str(creds["accessKeyId"]),
            str(creds["secretAccessKey"]),
            str(creds.get("sessionToken") or "") or None,
        )
        expiry = datetime.fromtimestamp(int(creds["expiration"]) / 1000.0, UTC)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, OverflowError, OSError):
        return None, None, "the answer is not GetRoleCredentials' roleCredentials JSON"
    return keys, expiry, ""


def provider_checks(
    source: CredentialSource | None,
    *,
    env: Mapping[str, str],
    profiles: Mapping[str, Mapping[str, Any]],
    target: Target,
) -> list[ProviderCheck]:
    """The provider probes that apply to the winning source (none for static keys)."""
    if source is None:
        return []
    if source.method == "container-role":
        return [container_check(env, target)]
    if source.method == "assume-role-with-web-identity":
        return [web_identity_check(source, target)]
    if source.method == "assume-role":
        return [role_chain_check(profiles, source, target)]
    return []
