"""KD508–KD512: SSO profiles, their ``[sso-session]`` sections and the two SSO caches.

botocore's ``SSOProvider`` applies to a profile that sets ``sso_account_id`` or
``sso_role_name``. With ``sso_session = NAME`` it reads ``[sso-session NAME]`` (raising
``InvalidConfigError`` when that section is absent), copies every setting of that section
over the profile's, raising when the profile already holds a *different* value for one of
them, and then needs ``sso_start_url``, ``sso_region``, ``sso_account_id`` and
``sso_role_name`` from the two together. Its token provider (``SSOTokenProvider``) then
reads ``sso_start_url`` and ``sso_region`` from the section alone, raising when the section
lacks one even if the profile has it. Without ``sso_session`` (the legacy form) the profile
alone must hold all four.

Two caches are involved, and they are read here, never sent anywhere, never printed:

- ``~/.aws/sso/cache/<sha1>.json``: the token ``aws sso login`` writes. Its name is the
  SHA-1 of the sso-session's name, or of the start URL in the legacy form
  (``botocore.utils.SSOTokenLoader``). Every botocore-based program reads it.
- ``~/.aws/cli/cache/<sha1>.json``: role credentials that only the AWS CLI v2 keeps. The CLI
  gives the SSO provider a file cache there (``awscli.customizations.sso``,
  ``inject_json_file_cache``); a plain botocore or boto3 session keeps that cache in memory
  (``create_credential_resolver``: ``cache = {}``). The name is the SHA-1 of the compact,
  key-sorted JSON of ``accountId``, ``roleName`` and ``sessionName`` (or ``startUrl``)
  (``SSOCredentialFetcher._create_cache_key``). While those credentials have more than 15
  minutes left, the CLI never looks at the token: ``aws`` works, the program does not.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from keydoctor.checks.base import COMMAND, AuditContext, Rule
from keydoctor.model import Category, CredentialSource, Finding, Location, Severity
from keydoctor.shell import command, profile_args
from keydoctor.sources.files import expand

SSO_SESSION_NOT_FOUND = Rule(
    "KD508",
    "sso-session-not-found",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The profile's sso_session names a section that does not exist",
    "`sso_session = NAME` makes botocore read `[sso-session NAME]` from the config file. "
    "When no section has that name (a typo, a section written `[sso_session NAME]` or "
    "`[profile NAME]`, or one left in another machine's config), botocore raises "
    "InvalidConfigError ('The specified sso-session does not exist') and the profile yields "
    "no credentials. Fix: point sso_session at the section that exists (the nearest name is "
    "suggested), or create the section with `aws configure sso-session`.",
    remedy=COMMAND,
)

SSO_SESSION_INCOMPLETE = Rule(
    "KD509",
    "sso-session-incomplete",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The sso-session section lacks sso_region or sso_start_url",
    "An `[sso-session NAME]` section must itself give the portal's `sso_start_url` and the "
    "region of IAM Identity Center, `sso_region`: botocore's SSO token provider reads them "
    "from the section alone, so the same lines on the profile do not help. Without them "
    "botocore raises InvalidConfigError ('is missing the following configuration') when "
    "credentials are first used, and `aws sso login` cannot start. The values are read back "
    "from the token cache when an earlier login left one. Fix: add the missing lines under "
    "the section.",
)

SSO_SETTINGS_DISAGREE = Rule(
    "KD510",
    "sso-settings-disagree",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The profile and its sso-session give different values for one setting",
    "A profile that keeps the legacy `sso_start_url`/`sso_region` lines and also names "
    "`sso_session` is read as follows by botocore: every setting of the `[sso-session]` "
    "section is copied over the profile, and when the profile already holds a different "
    "value for it, botocore raises InvalidConfigError ('The value for sso_start_url is "
    "inconsistent between profile and sso-session'). A setting that only the profile holds "
    "is kept. Fix: give the profile the session's value (or delete the profile's line).",
    remedy=COMMAND,
)

SSO_CACHE_UNREADABLE = Rule(
    "KD511",
    "sso-cache-unreadable",
    Severity.CRITICAL,
    Category.PROVIDER_FAILURE,
    "The SSO caches cannot be read by this user",
    "`sudo aws sso login` (or a container running as root) leaves `~/.aws/sso/cache` and "
    "`~/.aws/cli/cache` owned by root. botocore then cannot read the token: its file cache "
    "turns the PermissionError into a KeyError or 'Token ... does not exist', and a later "
    "login cannot replace the files. Fix: give the folders back to this user with "
    '`sudo chown -R "$USER" ~/.aws/sso ~/.aws/cli`, then log in again without sudo.',
)

SSO_CLI_CACHE_MASKS_EXPIRY = Rule(
    "KD512",
    "sso-cli-cache-masks-expiry",
    Severity.HIGH,
    Category.PROVIDER_FAILURE,
    "The AWS CLI works from cached role credentials; programs need the expired SSO token",
    "The AWS CLI v2 keeps the role credentials it got from SSO in `~/.aws/cli/cache` and "
    "reuses them until 15 minutes before they expire, without looking at the SSO token. "
    "boto3, botocore and the other SDKs keep no such file: each new process reads the token "
    "in `~/.aws/sso/cache`, and when it has expired they raise UnauthorizedSSOTokenError "
    "(or SSOTokenLoadError). So `aws s3 ls` works while the program fails. Fix: "
    "`aws sso login` renews the token both read.",
)

RULES = (
    SSO_SESSION_NOT_FOUND,
    SSO_SESSION_INCOMPLETE,
    SSO_SETTINGS_DISAGREE,
    SSO_CACHE_UNREADABLE,
    SSO_CLI_CACHE_MASKS_EXPIRY,
)

_SESSION_KEYS = ("sso_start_url", "sso_region")
_READ_LIMIT = 1 << 20
CLI_EXPIRY_WINDOW = timedelta(minutes=15)  # CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS


def token_cache_name(start_url: str, session_name: str | None) -> str:
    """The token file's name: SHA-1 of the session name, else of the start URL."""
    import hashlib  # lazy: only SSO profiles pay for it (the offline path is timed)

    source = session_name if session_name is not None else start_url
    return hashlib.sha1(source.encode("utf-8"), usedforsecurity=False).hexdigest() + ".json"


def cli_cache_name(
    account_id: str, role_name: str, session_name: str | None, start_url: str | None
) -> str:
    """The AWS CLI's role-credential file name for this account, role and session."""
    import hashlib

    args: dict[str, str] = {"accountId": account_id, "roleName": role_name}
    if session_name:
        args["sessionName"] = session_name
    else:
        args["startUrl"] = start_url or ""
    text = json.dumps(args, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    return digest.replace(":", "_").replace(os.sep, "_").replace("/", "_") + ".json"


def _sso_sources(ctx: AuditContext) -> Iterator[tuple[str, CredentialSource]]:
    """Each SSO source of the chain with its profile, once per profile."""
    res = ctx.resolution
    seen: set[str] = set()
    for source in (res.winner, *res.shadowed):
        if source is None or source.method != "sso" or source.profile is None:
            continue
        if source.profile not in seen:
            seen.add(source.profile)
            yield source.profile, source


def _config_location(ctx: AuditContext, section: str, key: str | None, profile: str) -> Location:
    shared = ctx.environment.config
    return Location(
        kind="file", path=shared.path, line=shared.line_of(section, key), profile=profile, key=key
    )


def _profile_section(profile: str) -> str:
    return "default" if profile == "default" else f"profile {profile}"


def nearest_session(name: str, sessions: list[str]) -> str | None:
    """The section name ``name`` most likely meant, or None when none is close."""
    import difflib  # lazy: only a dangling sso_session pays for it

    folded = {s.casefold().replace("_", "-"): s for s in sessions}
    same = folded.get(name.casefold().replace("_", "-"))
    if same is not None:
        return same
    close = difflib.get_close_matches(name, sessions, n=1, cutoff=0.6)
    return close[0] if close else None


def _read_json(path: str) -> tuple[dict[str, Any] | None, str | None]:
    """A cache file's JSON object, or why it cannot be had ("missing", "denied", "bad")."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(_READ_LIMIT).decode("utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except PermissionError:
        return None, "denied"
    except (OSError, ValueError):
        return None, "bad"
    return (data, None) if isinstance(data, dict) else (None, "bad")


def _aws_dir(ctx: AuditContext, *parts: str) -> str:
    return os.path.join(expand("~/.aws", ctx.env), *parts)


def _session_problem(ctx: AuditContext, profile: str) -> tuple[str, dict[str, Any], str] | None:
    """What botocore rejects first in this profile's sso_session, if anything.

    ``(kind, profile settings, session name)``; ``kind`` is ``missing``, ``disagree`` or
    ``incomplete``, tried in botocore's own order.
    """
    cfg = ctx.environment.profiles.get(profile, {})
    name = cfg.get("sso_session")
    if name is None:
        return None
    session = ctx.environment.sso_sessions.get(str(name))
    if session is None:
        return "missing", cfg, str(name)
    if any(key in cfg and cfg[key] != value for key, value in session.items()):
        return "disagree", cfg, str(name)
    if any(key not in session for key in _SESSION_KEYS):
        return "incomplete", cfg, str(name)
    return None


def explains_failure(ctx: AuditContext) -> bool:
    """Whether a KD508–KD510 finding already explains the chain's failure (no KD206 then)."""
    failure = ctx.resolution.failure
    return failure is not None and any(
        source.error == failure and _session_problem(ctx, profile) is not None
        for profile, source in _sso_sources(ctx)
    )


def check_sso_sessions(ctx: AuditContext) -> Iterator[Finding]:
    for profile, _ in _sso_sources(ctx):
        problem = _session_problem(ctx, profile)
        if problem is None:
            continue
        kind, cfg, name = problem
        if kind == "missing":
            yield _missing_session(ctx, profile, name)
        elif kind == "disagree":
            yield from _disagreeing(ctx, profile, cfg, name)
        else:
            yield _incomplete_session(ctx, profile, cfg, name)


def _missing_session(ctx: AuditContext, profile: str, name: str) -> Finding:
    sessions = sorted(ctx.environment.sso_sessions)
    near = nearest_session(name, sessions)
    where = _config_location(ctx, _profile_section(profile), "sso_session", profile)
    have = ", ".join(f"[sso-session {s}]" for s in sessions) or "no [sso-session] section"
    if near is not None:
        fix = command("aws", "configure", "set", "sso_session", near, *profile_args(profile))
        hint = f" (did you mean {near!r}?)"
    else:
        fix = (
            command("aws", "configure", "sso-session")
            + f"   (creates [sso-session {name}]: start URL, region, scopes)"
        )
        hint = ""
    return SSO_SESSION_NOT_FOUND.finding(
        f"Profile {profile}: sso_session = {name}, but {ctx.environment.config.path} has "
        f"{have}{hint}. botocore raises InvalidConfigError before any request.",
        fix,
        where,
    )


def _disagreeing(
    ctx: AuditContext, profile: str, cfg: dict[str, Any], name: str
) -> Iterator[Finding]:
    session = ctx.environment.sso_sessions[name]
    for key, value in session.items():
        if key not in cfg or cfg[key] == value:
            continue
        yield SSO_SETTINGS_DISAGREE.finding(
            f"Profile {profile} sets {key} = {cfg[key]} (the legacy form) and names "
            f"sso_session = {name}, whose section sets {key} = {value}; botocore refuses "
            "a setting the two give differently (InvalidConfigError).",
            command("aws", "configure", "set", key, str(value), *profile_args(profile))
            + f"   (or delete the profile's {key} line: the session's value is used)",
            _config_location(ctx, _profile_section(profile), key, profile),
        )


def _incomplete_session(ctx: AuditContext, profile: str, cfg: dict[str, Any], name: str) -> Finding:
    session = ctx.environment.sso_sessions[name]
    missing = [k for k in _SESSION_KEYS if k not in session]
    token, _ = _read_json(_aws_dir(ctx, "sso", "cache", token_cache_name("", name)))
    known = {"sso_region": "region", "sso_start_url": "startUrl"}
    lines = []
    for key in missing:
        value = token.get(known[key]) if token else None
        shown = value if isinstance(value, str) and value else f"<{key.replace('_', ' ')}>"
        lines.append(f"{key} = {shown}")
    return SSO_SESSION_INCOMPLETE.finding(
        f"Profile {profile} uses [sso-session {name}], which lacks {', '.join(missing)}; "
        "botocore raises InvalidConfigError and `aws sso login` cannot start.",
        f"Add under [sso-session {name}] in {ctx.environment.config.path}: "
        + "; ".join(lines)
        + "   (the start URL and region of your IAM Identity Center portal)",
        _config_location(ctx, f"sso-session {name}", None, profile),
    )


def _owner(path: str) -> str:
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return "another user"
    import pwd  # lazy: only an unreadable cache pays for it

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _denied(folder: str) -> list[str]:
    """The folder itself, or the files in it, that this user cannot read."""
    if not os.path.lexists(folder):
        return []
    try:
        names = sorted(os.listdir(folder))
    except PermissionError:
        return [folder]
    except OSError:
        return []
    denied = []
    for entry in names:
        path = os.path.join(folder, entry)
        if entry.endswith(".json") and _read_json(path)[1] == "denied":
            denied.append(path)
    return denied


def check_sso_caches(ctx: AuditContext) -> Iterator[Finding]:
    sources = [source for _, source in _sso_sources(ctx)]
    if not sources:
        return
    tops = [_aws_dir(ctx, "sso"), _aws_dir(ctx, "cli")]
    denied = [p for top in tops for p in _denied(os.path.join(top, "cache"))]
    if denied:
        shown = ", ".join(f"{p} (owner {_owner(p)})" for p in denied[:3])
        more = f" and {len(denied) - 3} more" if len(denied) > 3 else ""
        present = [t for t in tops if os.path.lexists(t)]
        yield SSO_CACHE_UNREADABLE.finding(
            f"This user cannot read {shown}{more}; botocore cannot load the SSO token "
            "(the cache answers as if there were none) and a new login cannot replace it.",
            'sudo chown -R "$USER" '
            + shlex.join(present)
            + "   (then run `aws sso login` without sudo)",
            sources[0].location,
        )
        return
    winner = ctx.resolution.winner
    if winner is not None and winner.profile is not None and winner in sources:
        yield from _cli_cache_masks(ctx, winner.profile, winner)


def _expiry(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _cli_cache_masks(
    ctx: AuditContext, profile: str, source: CredentialSource
) -> Iterator[Finding]:
    """KD512: the SSO token no longer serves, but the CLI's cached role credentials do."""
    now = ctx.now or datetime.now(UTC)
    token_expired = "token_problem" in source.details or (
        source.expiry is not None and source.expiry <= now
    )
    if not token_expired:
        return
    cfg = ctx.environment.profiles.get(profile, {})
    account, role = source.details.get("sso_account_id"), source.details.get("sso_role_name")
    session = cfg.get("sso_session")
    if not account or not role:
        return
    name = cli_cache_name(
        account,
        role,
        str(session) if session is not None else None,
        source.details.get("sso_start_url"),
    )
    path = _aws_dir(ctx, "cli", "cache", name)
    cached, _ = _read_json(path)
    creds = cached.get("Credentials") if cached else None
    expires = _expiry(creds.get("Expiration")) if isinstance(creds, dict) else None
    if expires is None or expires - now <= CLI_EXPIRY_WINDOW:
        return
    until = (expires - CLI_EXPIRY_WINDOW).replace(microsecond=0).isoformat()
    login = ("--sso-session", str(session)) if session is not None else profile_args(profile)
    yield SSO_CLI_CACHE_MASKS_EXPIRY.finding(
        f"Profile {profile}: the SSO token no longer serves "
        f"({source.details.get('token_problem') or 'expired'}), but {path} holds role "
        f"credentials valid until {expires.replace(microsecond=0).isoformat()}, so the AWS CLI "
        f"keeps working until {until}; boto3 and other SDKs read only the token and fail now.",
        command("aws", "sso", "login", *login)
        + "   (renews the token in ~/.aws/sso/cache that programs read)",
        source.location,
    )


CHECKS = (check_sso_sessions, check_sso_caches)
