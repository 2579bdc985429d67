"""KD506: a web identity token that cannot be exchanged for credentials.

EKS (IRSA), GitHub Actions OIDC and other platforms hand the SDK a JWT in a file
(``AWS_WEB_IDENTITY_TOKEN_FILE`` or the profile's ``web_identity_token_file``). botocore
reads it only when credentials are first needed, so a missing file, an empty one or an
expired token fails late, with an error that names neither. The file is read here and
never sent anywhere; only a token's claims (issuer, audience, subject, expiry) are shown,
never its signature or the token itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from keydoctor.checks.base import AuditContext, Rule
from keydoctor.model import Category, CredentialSource, Finding, Severity

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

RULES = (WEB_IDENTITY_TOKEN_UNUSABLE,)

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


CHECKS = (check_web_identity_token,)
