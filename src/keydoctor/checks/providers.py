"""KD506–KD507: providers whose request STS is bound to refuse, found before it is sent.

KD506, a web identity token that cannot be exchanged for credentials.

EKS (IRSA), GitHub Actions OIDC and other platforms hand the SDK a JWT in a file
(``AWS_WEB_IDENTITY_TOKEN_FILE`` or the profile's ``web_identity_token_file``). botocore
reads it only when credentials are first needed, so a missing file, an empty one or an
expired token fails late, with an error that names neither. The file is read here and
never sent anywhere; only a token's claims (issuer, audience, subject, expiry) are shown,
never its signature or the token itself.

KD507, role parameters STS rejects: botocore checks only their lower bounds before it sends
``AssumeRole``; STS checks the rest (the session name's characters and length, the
duration's upper bound, the one-hour limit of a chained role) and answers ValidationError.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from keydoctor.checks.base import COMMAND, AuditContext, Rule
from keydoctor.model import Category, CredentialSource, Finding, Location, Severity
from keydoctor.shell import command, profile_args

WEB_IDENTITY_TOKEN_UNUSABLE = Rule(
    "KD506",
    "web-identity-token-unusable",
    Severity.CRITICAL,
    Category.PROVIDER_FAILURE,
    "The web identity token file cannot be used",
    "AssumeRoleWithWebIdentity sends the JWT from the token file to STS. When the file is "
    "missing (the projected volume is not mounted, the path is wrong), unreadable, empty, "
    "not a JWT, or holds a token whose `exp` has passed, botocore fails when it first needs "
    "credentials (FileNotFoundError, InvalidIdentityToken, ExpiredTokenException). Mount or "
    "refresh the token where the variable points: on EKS the service account's projected "
    "token is renewed by the kubelet; in CI request a new OIDC token for the job.",
)

ROLE_PARAMETERS_REJECTED = Rule(
    "KD507",
    "role-parameters-rejected",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "STS will reject this profile's role session settings",
    "AssumeRole accepts a `role_session_name` of 2 to 64 characters from letters, digits "
    "and `+=,.@_-`, and a `duration_seconds` from 900 to 43200 (and no more than the role's "
    "maximum). A role assumed with another role's credentials (role chaining) gets at most "
    "3600 seconds. Outside those bounds botocore raises ParamValidationError or STS answers "
    "ValidationError, and the profile yields no credentials at all.",
    remedy=COMMAND,
)

IMDS_DISABLED_BUT_NEEDED = Rule(
    "KD518",
    "imds-disabled-but-needed",
    Severity.CRITICAL,
    Category.PROVIDER_FAILURE,
    "AWS_EC2_METADATA_DISABLED is set, but the role's credentials come from IMDS",
    "`credential_source = Ec2InstanceMetadata` makes botocore take the source credentials "
    "of AssumeRole from the instance metadata service. With `AWS_EC2_METADATA_DISABLED=true` "
    "(often left in a shell profile or a container image to stop slow IMDS timeouts off "
    "EC2) botocore never asks IMDS and raises CredentialRetrievalError: no credentials "
    "found in credential_source Ec2InstanceMetadata. Unset the variable where the profile "
    "runs on EC2.",
    remedy=COMMAND,
)

MFA_WITHOUT_PROMPT = Rule(
    "KD519",
    "mfa-without-prompt",
    Severity.HIGH,
    Category.PROVIDER_FAILURE,
    "The role asks for an MFA code, and nothing here can type it",
    "With `mfa_serial` in a role profile, botocore's AssumeRoleProvider asks for the code "
    "with `getpass.getpass('Enter MFA code for <serial>: ')` the first time credentials are "
    "needed. getpass opens /dev/tty; without a controlling terminal (cron, CI, systemd, a "
    "container, a detached process) it falls back to standard input with a GetPassWarning "
    "and raises EOFError when that is empty or closed (or takes the first line of a pipe "
    "as the code). boto3 keeps no cache of the role's session (only the AWS CLI does), and "
    "once that session expires botocore raises RefreshWithMFAUnsupportedError instead of "
    "asking again. Unattended programs need credentials that need no code: a role whose "
    "trust policy does not require MFA, without `mfa_serial` in the profile.",
)

RULES = (
    WEB_IDENTITY_TOKEN_UNUSABLE,
    ROLE_PARAMETERS_REJECTED,
    IMDS_DISABLED_BUT_NEEDED,
    MFA_WITHOUT_PROMPT,
)

_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_SESSION_CHAR = re.compile(r"[^\w+=,.@-]", re.ASCII)
MIN_DURATION, MAX_DURATION, CHAINED_MAX = 900, 43200, 3600
_SSO_KEYS = ("sso_account_id", "sso_role_name", "sso_session")

_READ_LIMIT = 64 * 1024  # real tokens are 1-4 KB
_SHOWN_CLAIMS = ("iss", "aud", "sub")


def _claims(token: str) -> dict[str, Any] | None:
    """The JWT's payload as a dict, or None when ``token`` is not a JWT.

    Only the middle part is decoded; the signature part is dropped unread.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def _claim_text(claims: dict[str, Any]) -> str:
    shown = []
    for name in _SHOWN_CLAIMS:
        value = claims.get(name)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str | int) and str(value):
            shown.append(f"{name}={str(value)[:120]}")
    return " ".join(shown)


def describe_claims(token: str) -> str | None:
    """``iss=… aud=… sub=…`` of a JWT (never its signature), or None for a non-JWT."""
    claims = _claims(token.strip())
    return _claim_text(claims) if claims is not None else None


def token_problem(path: str, now: datetime) -> str | None:
    """Why the token file at ``path`` would fail, in words (None: it looks usable)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_READ_LIMIT)
    except FileNotFoundError:
        return "does not exist"
    except IsADirectoryError:
        return "is a folder, not the token file"
    except PermissionError:
        return "cannot be read by this user"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "is not text, so it holds no token"
    if not token:
        return "is empty"
    claims = _claims(token)
    if claims is None:
        return "does not hold a JWT (three dot-separated base64url parts)"
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires = datetime.fromtimestamp(float(exp), UTC)
        except (OverflowError, OSError, ValueError):
            return f"holds a token with an impossible expiry ({_claim_text(claims)})"
        if expires <= now:
            when = expires.replace(microsecond=0).isoformat().replace("+00:00", "Z")
            return f"holds a token that expired at {when} ({_claim_text(claims)})"
    return None


def _web_identity_sources(ctx: AuditContext) -> Iterator[CredentialSource]:
    resolution = ctx.resolution
    for source in (resolution.winner, *resolution.shadowed):
        if source is not None and source.method == "assume-role-with-web-identity":
            yield source


def check_web_identity_token(ctx: AuditContext) -> Iterator[Finding]:
    now = ctx.now or datetime.now(UTC)
    for source in _web_identity_sources(ctx):
        path = str(source.details.get("web_identity_token_file", ""))
        if not path or source is not ctx.resolution.winner:
            continue  # a hidden provider's token is never read by the SDK
        problem = token_problem(path, now)
        if problem is None:
            continue
        yield WEB_IDENTITY_TOKEN_UNUSABLE.finding(
            f"The web identity token file {path} {problem}; AssumeRoleWithWebIdentity "
            "cannot succeed with it, and no later provider in the chain is tried.",
            f"Mount or refresh the token at {path} (EKS: check the service account's "
            "projected token volume; CI: request a fresh OIDC token), or point "
            "AWS_WEB_IDENTITY_TOKEN_FILE at the file that holds it.",
            source.location,
        )


def _is_role(cfg: dict[str, Any]) -> bool:
    return "role_arn" in cfg and "web_identity_token_file" not in cfg


def _gives_role_credentials(cfg: dict[str, Any]) -> bool:
    """A profile whose credentials are themselves a role session (role, web identity, SSO)."""
    return "role_arn" in cfg or any(key in cfg for key in _SSO_KEYS)


def _role_hops(ctx: AuditContext) -> list[tuple[str, bool]]:
    """The role profiles botocore assumes, outermost first, each with "is it chained"."""
    return _role_hops_from(ctx, ctx.environment.profile)


def _role_hops_from(ctx: AuditContext, start: str) -> list[tuple[str, bool]]:
    """The role profiles botocore assumes from ``start``, outermost first."""
    profiles = ctx.environment.profiles
    hops: list[tuple[str, bool]] = []
    name = start
    seen: set[str] = set()
    while name in profiles and name not in seen and _is_role(profiles[name]):
        seen.add(name)
        source = profiles[name].get("source_profile")
        source_cfg = profiles.get(str(source), {}) if source is not None else {}
        chained = source is not None and source != name and _gives_role_credentials(source_cfg)
        hops.append((name, chained))
        if source is None or source == name:
            break
        name = str(source)
    return hops


def safe_session_name(name: str) -> str:
    """The nearest name STS accepts: other characters become ``-``, then 2 to 64 long."""
    cleaned = _SESSION_CHAR.sub("-", name)[:64]
    return cleaned if len(cleaned) >= 2 else (cleaned + "-session")[:64]


def _name_problem(name: str) -> str:
    """What is wrong with a session name, in words."""
    bad = sorted(set(_SESSION_CHAR.findall(name)))
    if bad:
        shown = ", ".join(
            repr(c) if c.isprintable() and c != " " else f"U+{ord(c):04X}" for c in bad
        )
        return f"holds characters STS does not allow ({shown}; allowed: letters, digits, +=,.@_-)"
    return f"is {len(name)} characters long (allowed: 2 to 64)"


def _set(profile: str, key: str, value: str) -> str:
    return command("aws", "configure", "set", key, value, *profile_args(profile))


def _location(ctx: AuditContext, profile: str, key: str) -> Location:
    return Location(kind="file", path=ctx.environment.config.path, profile=profile, key=key)


def check_role_parameters(ctx: AuditContext) -> Iterator[Finding]:
    for profile, chained in _role_hops(ctx):
        cfg = ctx.environment.config_profiles.get(profile, {})
        name = cfg.get("role_session_name")
        if isinstance(name, str) and not _SESSION_NAME.fullmatch(name):
            wanted = safe_session_name(name)
            yield ROLE_PARAMETERS_REJECTED.finding(
                f"Profile {profile}: role_session_name {name!r} {_name_problem(name)}; "
                "AssumeRole refuses it.",
                _set(profile, "role_session_name", wanted),
                _location(ctx, profile, "role_session_name"),
            )
        raw = cfg.get("duration_seconds")
        try:
            duration = int(str(raw)) if raw is not None else None
        except ValueError:
            duration = None  # botocore ignores a value it cannot read as a number
        if duration is None:
            continue
        ceiling = CHAINED_MAX if chained else MAX_DURATION
        if MIN_DURATION <= duration <= ceiling:
            continue
        wanted_seconds = MIN_DURATION if duration < MIN_DURATION else ceiling
        why = (
            f"below the minimum of {MIN_DURATION}"
            if duration < MIN_DURATION
            else "above the 3600 allowed for a role assumed with another role's credentials"
            if chained
            else f"above the maximum of {MAX_DURATION}"
        )
        yield ROLE_PARAMETERS_REJECTED.finding(
            f"Profile {profile}: duration_seconds {duration} is {why}; AssumeRole refuses it.",
            _set(profile, "duration_seconds", str(wanted_seconds)),
            _location(ctx, profile, "duration_seconds"),
        )


def imds_source_disabled(ctx: AuditContext) -> str | None:
    """The role profile whose credential_source needs IMDS while it is disabled, if any."""
    if ctx.env.get("AWS_EC2_METADATA_DISABLED", "false").lower() != "true":
        return None
    winner = ctx.resolution.winner
    candidates = [s for s in (winner, *ctx.resolution.shadowed) if s is not None]
    for source in candidates:
        if source.method != "assume-role" or source.profile is None:
            continue
        for profile, _chained in _role_hops_from(ctx, source.profile):
            cfg = ctx.environment.profiles.get(profile, {})
            if cfg.get("credential_source") == "Ec2InstanceMetadata":
                return profile
        return None  # only the first role source is ever used
    return None


def check_imds_disabled(ctx: AuditContext) -> Iterator[Finding]:
    profile = imds_source_disabled(ctx)
    if profile is None:
        return
    yield IMDS_DISABLED_BUT_NEEDED.finding(
        f"Profile {profile}: credential_source = Ec2InstanceMetadata, and "
        "AWS_EC2_METADATA_DISABLED=true forbids botocore to ask the instance metadata "
        "service; the role gets no source credentials (CredentialRetrievalError).",
        "unset AWS_EC2_METADATA_DISABLED   (and remove it from the shell profile, image or "
        "unit file that sets it)",
        Location(kind="env", key="AWS_EC2_METADATA_DISABLED"),
    )


def can_prompt() -> bool:
    """Whether getpass could ask a person here: /dev/tty opens, or stdin is a terminal."""
    import os
    import sys

    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        try:
            return sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, ValueError):
            return False
    os.close(fd)
    return True


def check_mfa_prompt(ctx: AuditContext) -> Iterator[Finding]:
    winner = ctx.resolution.winner
    if winner is None or winner.method != "assume-role" or winner.profile is None:
        return
    asking = [
        profile
        for profile, _chained in _role_hops_from(ctx, winner.profile)
        if ctx.environment.profiles.get(profile, {}).get("mfa_serial") is not None
    ]
    if not asking or can_prompt():
        return
    for profile in asking:
        serial = str(ctx.environment.profiles[profile]["mfa_serial"])
        yield MFA_WITHOUT_PROMPT.finding(
            f"Profile {profile} has mfa_serial = {serial}: botocore asks 'Enter MFA code for "
            f"{serial}:' with getpass, and this process has no terminal (no /dev/tty, standard "
            "input is not one), so AssumeRole fails with EOFError before any request; a "
            "session that did start cannot be renewed (RefreshWithMFAUnsupportedError).",
            f"Run it from a terminal where a person types the code, or, for an unattended "
            f"program, remove mfa_serial from [profile {profile}] in ~/.aws/config and give "
            "it a role whose trust policy does not require MFA (aws:MultiFactorAuthPresent)",
            _location(ctx, profile, "mfa_serial"),
        )


CHECKS = (check_web_identity_token, check_role_parameters, check_imds_disabled, check_mfa_prompt)
