"""Walk the credential chain exactly as botocore does, without building a session.

botocore's order (``botocore.credentials.create_credential_resolver``):

1. ``env``: ``AWS_ACCESS_KEY_ID`` and friends, unless a profile was named explicitly
   (``--profile``); ``AWS_PROFILE`` does *not* switch them off.
2. ``assume-role``: the profile has ``role_arn`` (and no ``web_identity_token_file``).
3. ``assume-role-with-web-identity``: ``AWS_WEB_IDENTITY_TOKEN_FILE``/``AWS_ROLE_ARN``
   or the profile's ``web_identity_token_file``.
4. ``sso``: the profile has ``sso_account_id``/``sso_role_name``/...
5. ``shared-credentials-file``: the profile's section in the credentials file.
6. ``login``: the profile has ``login_session``.
7. ``custom-process``: the profile has ``credential_process``.
8. ``config-file``: keys in the profile's section of the config file.
9. ``ec2-credentials-file``, ``boto-config``, ``container-role``, ``iam-role``.

The first provider that yields credentials wins; one that raises stops the chain, and
the SDK call fails with that error. Every later source that would also have yielded
credentials is *shadowed*, and we say why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keydoctor.model import CredentialSource, Location, Resolution, Secret
from keydoctor.sources.files import (
    MAX_FILE_BYTES,
    SharedFile,
    default_paths,
    expand,
    load_shared_file,
    parse_with_botocore,
)

PROFILE_ENV_VARS = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")  # botocore reads them in this order
TOKEN_ENV_VARS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")  # the first one set wins
TOKEN_KEYS = ("aws_security_token", "aws_session_token")
SSO_PROFILE_KEYS = ("sso_role_name", "sso_account_id", "sso_start_url", "sso_region")
SSO_REQUIRED = ("sso_role_name", "sso_account_id", "sso_start_url", "sso_region")
SSO_TRIGGER_KEYS = ("sso_role_name", "sso_account_id")  # what makes SSOProvider apply
CREDENTIAL_SOURCES = ("Environment", "EcsContainer", "Ec2InstanceMetadata")  # case matters


@dataclass
class Environment:
    """Everything the audit reads from the process and the disk, gathered once."""

    env: dict[str, str]
    profile: str
    profile_origin: str
    explicit_profile: bool
    config: SharedFile
    credentials: SharedFile
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # botocore's full_config
    sso_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # config file only
    credential_sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def profile_config(self) -> dict[str, Any]:
        return self.profiles.get(self.profile, {})


def select_profile(env: dict[str, str], flag: str | None) -> tuple[str, str, bool]:
    """The profile botocore would use: ``--profile``, then the variables, then ``default``.

    A variable counts as soon as it is set, even empty: ``AWS_DEFAULT_PROFILE=`` names the
    profile ``""``, which exists nowhere, and botocore fails with ``ProfileNotFound``.
    """
    if flag is not None:
        return flag, "--profile", True
    for name in PROFILE_ENV_VARS:
        value = env.get(name)
        if value is not None:
            return value, name, False
    return "default", "default", False


def gather(env: dict[str, str], profile_flag: str | None = None) -> Environment:
    """Read the environment and both shared files; never raises on bad input."""
    profile, origin, explicit = select_profile(env, profile_flag)
    (config_path, config_var), (creds_path, creds_var) = default_paths(env)
    config = load_shared_file("config", expand(config_path, env), config_var)
    creds = load_shared_file("credentials", expand(creds_path, env), creds_var)
    parse_with_botocore(config)
    parse_with_botocore(creds)
    result = Environment(
        env=env,
        profile=profile,
        profile_origin=origin,
        explicit_profile=explicit,
        config=config,
        credentials=creds,
    )
    if config.parsed and config.sdk_error is None:
        result.config_profiles = {k: dict(v) for k, v in config.parsed.get("profiles", {}).items()}
        result.sso_sessions = {k: dict(v) for k, v in config.parsed.get("sso_sessions", {}).items()}
    if creds.parsed and creds.sdk_error is None:
        result.credential_sections = {k: dict(v) for k, v in creds.parsed.items()}
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in result.config_profiles.items()}
    for name, values in result.credential_sections.items():
        merged.setdefault(name, {}).update(values)
    result.profiles = merged
    return result


def _env_location(key: str) -> Location:
    return Location(kind="env", key=key)


def _file_location(shared: SharedFile, profile: str, key: str | None = None) -> Location:
    section = profile
    if shared.kind == "config" and profile != "default":
        section = f"profile {profile}"
    line = shared.line_of(section, key) or shared.line_of(profile, key)
    return Location(kind="file", path=shared.path, line=line, profile=profile, key=key)


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value is not None else None


def _parse_expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def env_source(env: dict[str, str]) -> CredentialSource | None:
    """Credentials from environment variables, as ``EnvProvider`` reads them (no stripping)."""
    key_id = env.get("AWS_ACCESS_KEY_ID", "")
    secret = env.get("AWS_SECRET_ACCESS_KEY", "")
    token_var = next((v for v in TOKEN_ENV_VARS if env.get(v)), None)
    token = env.get(token_var) if token_var else None
    if not key_id and not secret and not token:
        return None
    error = None
    if key_id and not secret:
        error = "PartialCredentialsError: AWS_SECRET_ACCESS_KEY is missing or empty"
    details: dict[str, str] = {}
    if token_var:
        details["token_variable"] = token_var
    if "AWS_CREDENTIAL_EXPIRATION" in env:
        details["expiration"] = env["AWS_CREDENTIAL_EXPIRATION"]
    return CredentialSource(
        method="env",
        location=_env_location("AWS_ACCESS_KEY_ID" if key_id else "AWS_SECRET_ACCESS_KEY"),
        access_key_id=key_id or None,
        secret_access_key=_secret(secret or None),
        session_token=_secret(token),
        expiry=_parse_expiry(env.get("AWS_CREDENTIAL_EXPIRATION")),
        details=details,
        error=error,
    )


def _static_from_section(
    method: str, shared: SharedFile, profile: str, section: dict[str, Any]
) -> CredentialSource | None:
    if "aws_access_key_id" not in section and "aws_secret_access_key" not in section:
        return None
    key_id = section.get("aws_access_key_id")
    secret = section.get("aws_secret_access_key")
    token_key = next((k for k in TOKEN_KEYS if k in section), None)
    error = None
    if key_id is not None and secret is None:
        error = "PartialCredentialsError: aws_secret_access_key is missing"
    return CredentialSource(
        method=method,
        location=_file_location(shared, profile, "aws_access_key_id" if key_id else None),
        profile=profile,
        access_key_id=key_id if isinstance(key_id, str) else None,
        secret_access_key=_secret(secret if isinstance(secret, str) else None),
        session_token=_secret(section.get(token_key) if token_key else None),
        details={"token_key": token_key} if token_key else {},
        error=error,
    )


def sso_cache_file(env: dict[str, str], start_url_or_session: str) -> str:
    """Where botocore caches the SSO token: sha1 of the session name or the start URL."""
    import hashlib  # lazy: only SSO profiles pay for it (the offline path is timed)

    digest = hashlib.sha1(start_url_or_session.encode("utf-8"), usedforsecurity=False).hexdigest()
    return expand("~/.aws/sso/cache/", env) + digest + ".json"


def read_sso_token_expiry(path: str) -> tuple[datetime | None, str | None]:
    """The cached SSO token's expiry, or why it cannot be read."""
    import json

    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(1 << 20).decode("utf-8"))
    except FileNotFoundError:
        return None, "no cached SSO token (run `aws sso login`)"
    except (OSError, ValueError) as exc:
        return None, f"cached SSO token unreadable ({type(exc).__name__})"
    if not isinstance(data, dict) or "expiresAt" not in data:
        return None, "cached SSO token has no expiresAt"
    expiry = _parse_expiry(str(data["expiresAt"]))
    if expiry is None:
        return None, "cached SSO token has an unreadable expiresAt"
    return expiry, None


def _profile_sources(ctx: Environment, profile: str, use_env: bool) -> list[CredentialSource]:
    """The profile-based providers in botocore's order (``ProfileProviderBuilder``).

    Each provider that applies yields one source; one with ``error`` set is where
    botocore would raise. ``use_env`` is False when a profile was named explicitly, and
    when the chain runs for an assume-role ``source_profile``.
    """
    found: list[CredentialSource] = []
    cfg = ctx.profiles.get(profile, {})
    env = ctx.env

    # web identity: env values first (unless env vars are disabled), then the profile
    def wi(key: str, var: str) -> str | None:
        if use_env and var in env:
            return env[var]
        value = cfg.get(key)
        return value if isinstance(value, str) else None

    token_file = wi("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE")
    if token_file:
        role = wi("role_arn", "AWS_ROLE_ARN")
        from_env = use_env and "AWS_WEB_IDENTITY_TOKEN_FILE" in env
        loc = (
            _env_location("AWS_WEB_IDENTITY_TOKEN_FILE")
            if from_env
            else _file_location(ctx.config, profile, "web_identity_token_file")
        )
        found.append(
            CredentialSource(
                method="assume-role-with-web-identity",
                location=loc,
                profile=profile,
                details={"role_arn": role or "", "web_identity_token_file": token_file},
                error=None if role else "InvalidConfigError: web identity without a role ARN",
            )
        )

    # SSO applies when the profile names a role or an account (SSOProvider)
    if any(k in cfg for k in SSO_TRIGGER_KEYS):
        found.append(_sso_source(ctx, profile, cfg))

    section = ctx.credential_sections.get(profile)
    if section is not None:
        src = _static_from_section("shared-credentials-file", ctx.credentials, profile, section)
        if src is not None and src.access_key_id is not None:
            found.append(src)

    if "login_session" in cfg:
        found.append(_login_source(ctx, profile, cfg))

    if "credential_process" in cfg:
        found.append(
            CredentialSource(
                method="custom-process",
                location=_file_location(ctx.config, profile, "credential_process"),
                profile=profile,
                details={"credential_process": "(command configured; not run offline)"},
                error=_process_error(str(cfg["credential_process"]), env),
            )
        )

    cfg_section = ctx.config_profiles.get(profile)
    if cfg_section is not None:
        src = _static_from_section("config-file", ctx.config, profile, cfg_section)
        if src is not None and src.access_key_id is not None:
            found.append(src)
    return found


def _process_error(command: str, env: dict[str, str]) -> str | None:
    """What fails before the process runs: botocore splits the line and starts it.

    The command is never run offline, so a process that starts but fails or prints bad
    JSON is only found by the live check; an empty line, unbalanced quotes, or a program
    that is not there are found here. Messages never repeat the command line, which may
    hold secrets.
    """
    import shlex

    try:
        parts = shlex.split(command)
    except ValueError:
        return "ValueError: credential_process has unbalanced quotes"
    if not parts:
        return "IndexError: credential_process is empty"
    program = parts[0]
    if "/" in program:
        candidates = [program]
    else:
        path = env.get("PATH", os.defpath)
        candidates = [os.path.join(folder or ".", program) for folder in path.split(os.pathsep)]
    found = [c for c in candidates if os.path.isfile(c)]
    if not found:
        return f"FileNotFoundError: credential_process program {program!r} not found"
    if not any(os.access(c, os.X_OK) for c in found):
        return f"PermissionError: credential_process program {program!r} is not executable"
    return None


def _login_source(ctx: Environment, profile: str, cfg: dict[str, Any]) -> CredentialSource:
    """``login_session`` (``aws login``): needs botocore's CRT extra and a cached session."""
    import hashlib
    import importlib.util

    session = str(cfg["login_session"])
    error = None
    if importlib.util.find_spec("awscrt") is None:
        error = (
            "MissingDependencyException: the login credential provider needs botocore[crt] "
            "(pip install 'botocore[crt]')"
        )
    else:
        cache_dir = ctx.env.get("AWS_LOGIN_CACHE_DIRECTORY") or "~/.aws/login/cache"
        digest = hashlib.sha256(session.encode("utf-8")).hexdigest()
        if not os.path.isfile(os.path.join(expand(cache_dir, ctx.env), digest + ".json")):
            error = "LoginTokenLoadError: no cached login session (run `aws login`)"
    return CredentialSource(
        method="login",
        location=_file_location(ctx.config, profile, "login_session"),
        profile=profile,
        details={"login_session": session},
        error=error,
    )


def _sso_source(ctx: Environment, profile: str, cfg: dict[str, Any]) -> CredentialSource:
    resolved = dict(cfg)
    error = None
    cache_key: str | None = None
    session_name = cfg.get("sso_session")
    required = list(SSO_REQUIRED)
    if session_name is not None:
        required.append("sso_session")
        session = ctx.sso_sessions.get(str(session_name))
        if session is None:
            error = f'InvalidConfigError: the sso-session "{session_name}" does not exist'
        else:
            for key, value in session.items():
                if key in resolved and resolved[key] != value:
                    error = (
                        f"InvalidConfigError: {key} differs between profile {profile} and "
                        f"sso-session {session_name}"
                    )
                    break
                resolved[key] = value
            cache_key = str(session_name)
    missing = [k for k in required if k not in resolved]
    if error is None and missing:
        error = f'InvalidConfigError: profile "{profile}" uses SSO but lacks ' + ", ".join(missing)
    if cache_key is None and "sso_start_url" in resolved:
        cache_key = str(resolved["sso_start_url"])
    shown = ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
    details: dict[str, str] = {k: str(resolved[k]) for k in shown if k in resolved}
    expiry = None
    if cache_key:
        path = sso_cache_file(ctx.env, cache_key)
        details["token_cache"] = path
        expiry, problem = read_sso_token_expiry(path)
        if problem:
            details["token_problem"] = problem
    return CredentialSource(
        method="sso",
        location=_file_location(ctx.config, profile, "sso_account_id"),
        profile=profile,
        expiry=expiry,
        details=details,
        error=error,
    )


def _has_static_keys(cfg: dict[str, Any]) -> bool:
    return "aws_access_key_id" in cfg or "aws_secret_access_key" in cfg


def _is_role_profile(cfg: dict[str, Any]) -> bool:
    return "role_arn" in cfg and "web_identity_token_file" not in cfg


def _assume_role_source(ctx: Environment, profile: str) -> CredentialSource | None:
    """``AssumeRoleProvider``: applies when the profile has ``role_arn``.

    botocore calls STS only when the keys are used, but it resolves the *source*
    credentials at once; every error on that path (a missing or looping
    ``source_profile``, a source without credentials, a ``credential_source`` that finds
    nothing) stops the chain. We walk the same path without calling anything.
    """
    cfg = ctx.profiles.get(profile, {})
    if not _is_role_profile(cfg):
        return None
    source_profile = cfg.get("source_profile")
    credential_source = cfg.get("credential_source")
    details = {"role_arn": str(cfg["role_arn"])}
    if source_profile is not None:
        details["source_profile"] = str(source_profile)
    if credential_source is not None:
        details["credential_source"] = str(credential_source)
    return CredentialSource(
        method="assume-role",
        location=_file_location(ctx.config, profile, "role_arn"),
        profile=profile,
        details=details,
        error=_role_error(ctx, profile, [profile]),
    )


def _role_error(ctx: Environment, profile: str, visited: list[str]) -> str | None:
    """The error botocore raises while preparing to assume this profile's role, if any."""
    cfg = ctx.profiles.get(profile, {})
    source_profile = cfg.get("source_profile")
    credential_source = cfg.get("credential_source")
    if source_profile is not None and credential_source is not None:
        return "InvalidConfigError: both source_profile and credential_source are set"
    if source_profile is None and credential_source is None:
        return "PartialCredentialsError: role_arn needs source_profile or credential_source"
    if credential_source is not None:
        if credential_source not in CREDENTIAL_SOURCES:
            return f'InvalidConfigError: unsupported credential_source "{credential_source}"'
        return _credential_source_error(ctx, str(credential_source), profile)
    source = str(source_profile)
    # The path walked so far, ending at the profile that names this source: the message
    # names every hop so a person sees which source_profile to change.
    path = " -> ".join([*visited, source])
    if source not in ctx.profiles:
        return f'InvalidConfigError: source_profile "{source}" does not exist ({path})'
    source_cfg = ctx.profiles[source]
    if source in visited and (source != profile or not _has_static_keys(source_cfg)):
        return f"InfiniteLoopConfigError: source_profile {source} loops back ({path})"
    visited.append(source)
    if _has_static_keys(source_cfg) or not _is_role_profile(source_cfg):
        chain = _profile_sources(ctx, source, use_env=False)
        if not chain:
            return (
                f'InvalidConfigError: the source profile "{source}" must have credentials '
                f"({path})"
            )
        return chain[0].error
    return _role_error(ctx, source, visited)


def _credential_source_error(ctx: Environment, name: str, profile: str) -> str | None:
    """What ``CanonicalNameCredentialSourcer`` finds for ``credential_source``."""
    none_found = (
        f"CredentialRetrievalError: no credentials found in credential_source {name} "
        f"referenced in profile {profile}"
    )
    if name == "Environment":
        env_src = env_source(ctx.env)
        if env_src is None or not env_src.access_key_id:
            return none_found
        return env_src.error
    if name == "EcsContainer":
        container = _container_source(ctx.env)
        if container is None:
            return none_found
        return container.error
    # Ec2InstanceMetadata: offline we only know when the SDK was told not to ask
    if _imds_disabled(ctx.env):
        return none_found
    return None


def _imds_disabled(env: dict[str, str]) -> bool:
    return env.get("AWS_EC2_METADATA_DISABLED", "false").lower() == "true"


def _container_source(env: dict[str, str]) -> CredentialSource | None:
    """``ContainerProvider``: applies as soon as one of its URI variables is set.

    The HTTP call is not made offline, but what botocore checks before it is: the
    authorisation token file must be readable, the token must not hold line breaks, and
    a full URI must be https, a loopback address, or one of the container hosts.
    """
    relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if relative is None and full is None:
        return None
    var = (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        if relative is not None
        else "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    )
    error = None
    token: str | None = None
    if "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" in env:
        try:
            with open(env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], encoding="utf-8") as handle:
                token = handle.read()
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE cannot be read"
    elif "AWS_CONTAINER_AUTHORIZATION_TOKEN" in env:
        token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    if error is None and token is not None and ("\r" in token or "\n" in token):
        error = "ValueError: the container authorization token holds a line break"
    if error is None and relative is None and full is not None:
        error = _container_url_error(full)
    return CredentialSource(
        method="container-role",
        location=_env_location(var),
        details={"variable": var},
        error=error,
    )


CONTAINER_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")


def _container_url_error(url: str) -> str | None:
    import ipaddress
    from urllib.parse import urlparse

    try:
        parsed = urlparse(url)
        host = parsed.hostname
    except ValueError:
        return "ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL"
    if parsed.scheme == "https":
        return None
    try:
        if host is not None and ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    if host in CONTAINER_HOSTS:
        return None
    return (
        f"ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI host '{host}' is not allowed: "
        "plain http only to a loopback address or " + ", ".join(CONTAINER_HOSTS)
    )


def _ec2_credentials_file(env: dict[str, str]) -> CredentialSource | None:
    """``OriginalEC2Provider``: the old EC2 tools' key=value file in AWS_CREDENTIAL_FILE."""
    if "AWS_CREDENTIAL_FILE" not in env:
        return None
    path = expand(env["AWS_CREDENTIAL_FILE"], env, variables=False)  # expanduser only
    location = _env_location("AWS_CREDENTIAL_FILE")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_FILE_BYTES)
    except (OSError, ValueError):
        return CredentialSource(
            method="ec2-credentials-file",
            location=location,
            details={"path": path},
            error=f"ConfigNotFound: AWS_CREDENTIAL_FILE {path} cannot be read",
        )
    values: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    if "AWSAccessKeyId" not in values:
        return None
    secret = values.get("AWSSecretKey")
    return CredentialSource(
        method="ec2-credentials-file",
        location=location,
        access_key_id=values["AWSAccessKeyId"],
        secret_access_key=_secret(secret),
        details={"path": path},
        error=None if secret is not None else "KeyError: AWSSecretKey is missing",
    )


def _boto_config(env: dict[str, str]) -> CredentialSource | None:
    """``BotoProvider``: a boto 2 config's ``[Credentials]`` section."""
    default = ["/etc/boto.cfg", "~/.boto"]
    candidates = [env["BOTO_CONFIG"]] if "BOTO_CONFIG" in env else default
    for candidate in candidates:
        path = expand(candidate, env)
        if not os.path.isfile(path):
            continue
        location = Location(kind="file", path=path, key="aws_access_key_id")
        from botocore import configloader
        from botocore.exceptions import BotoCoreError

        try:
            parsed = configloader.raw_config_parse(path)
        except BotoCoreError as exc:
            return CredentialSource(
                method="boto-config",
                location=location,
                error="ConfigParseError: " + str(exc).strip().splitlines()[0],
            )
        except (OSError, ValueError) as exc:
            return CredentialSource(
                method="boto-config",
                location=location,
                error=f"ConfigParseError: {path} ({type(exc).__name__})",
            )
        section = parsed.get("Credentials")
        if not section or "aws_access_key_id" not in section:
            continue
        secret = section.get("aws_secret_access_key")
        return CredentialSource(
            method="boto-config",
            location=location,
            access_key_id=section["aws_access_key_id"],
            secret_access_key=_secret(secret),
            details={"path": path},
            error=None
            if secret is not None
            else ("PartialCredentialsError: aws_secret_access_key is missing"),
        )
    return None


def _post_profile_sources(env: dict[str, str]) -> list[CredentialSource]:
    """The providers after the profile ones, in botocore's order."""
    found = [_ec2_credentials_file(env), _boto_config(env), _container_source(env)]
    return [source for source in found if source is not None]


def _sdk_file_error(ctx: Environment) -> str | None:
    """botocore loads the config file, then the credentials file, before anything else."""
    for shared in (ctx.config, ctx.credentials):
        if shared.sdk_error:
            return (
                f"ConfigParseError: unable to parse {shared.kind} file {shared.path} "
                f"({shared.sdk_error})"
            )
    return None


def resolve(ctx: Environment) -> Resolution:
    """Rank every source for the chosen profile; the first one botocore would use wins."""
    searched: list[str] = []
    candidates: list[CredentialSource] = []
    skipped: list[CredentialSource] = []

    failure = _sdk_file_error(ctx)
    profile_named = ctx.explicit_profile or ctx.profile_origin in PROFILE_ENV_VARS
    if failure is None and profile_named and ctx.profile not in ctx.profiles:
        failure = f"ProfileNotFound: the config profile ({ctx.profile}) could not be found"

    env_src = env_source(ctx.env)
    searched.append("environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
    if env_src is not None:
        if ctx.explicit_profile:
            skipped.append(
                _with_reason(
                    env_src,
                    "skipped: --profile was given, and botocore "
                    "ignores environment keys when a profile is named "
                    "explicitly",
                )
            )
        elif env_src.access_key_id:
            candidates.append(env_src)
        else:
            skipped.append(
                _with_reason(
                    env_src,
                    "ignored: AWS_ACCESS_KEY_ID is not set, so "
                    "botocore skips the other environment variables",
                )
            )

    role = _assume_role_source(ctx, ctx.profile)
    if role is not None:
        candidates.append(role)
    searched.append(f"profile [{ctx.profile}] in {ctx.credentials.path} and {ctx.config.path}")
    candidates.extend(_profile_sources(ctx, ctx.profile, use_env=not ctx.explicit_profile))
    candidates.extend(_post_profile_sources(ctx.env))
    searched.append("container credentials (AWS_CONTAINER_CREDENTIALS_*)")
    if not _imds_disabled(ctx.env):
        searched.append("instance metadata service (tried last, only on EC2; not probed offline)")

    winner: CredentialSource | None = None
    shadowed: list[CredentialSource] = []
    for source in candidates:
        if winner is None and failure is None:
            if source.error:
                failure = source.error
                shadowed.append(_with_reason(source, "fails: " + source.error))
                continue
            winner = source
            continue
        if winner is not None:
            shadowed.append(
                _with_reason(source, f"shadowed: {winner.method} comes first in botocore's chain")
            )
        else:
            shadowed.append(
                _with_reason(source, "never reached: the chain stops at the earlier error")
            )
    shadowed.extend(skipped)
    # Keys for other profiles are not shadowed sources of this one; they are listed by the
    # checks that compare profiles (wrong-source).
    return Resolution(
        profile=ctx.profile,
        profile_origin=ctx.profile_origin,
        winner=winner if failure is None else None,
        shadowed=tuple(shadowed),
        failure=failure,
        searched=tuple(searched),
    )


def _with_reason(source: CredentialSource, reason: str) -> CredentialSource:
    from dataclasses import replace

    return replace(source, reason=reason)


def audited_environment() -> dict[str, str]:
    """A copy of this process's environment: the SDK in this shell would see the same."""
    return dict(os.environ)
