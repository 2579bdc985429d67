"""KD2xx: which source wins, which it hides, and profiles that do not exist."""

from __future__ import annotations

import re
from collections.abc import Iterator

from keydoctor.checks import sso
from keydoctor.checks.base import COMMAND, AuditContext, Rule, keydoctor_fix
from keydoctor.checks.files import TIDY_SAFE, TIDY_UNSAFE
from keydoctor.checks.providers import imds_source_disabled
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.redact import mask_key_id
from keydoctor.shell import command, profile_args

ENV_OVERRIDES_PROFILE = Rule(
    "KD201",
    "env-keys-override-profile",
    Severity.HIGH,
    Category.WRONG_SOURCE,
    "Environment keys override the profile you named",
    "botocore takes AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY before any profile, even when "
    "AWS_PROFILE names one; only an explicit --profile (or profile_name= in code) skips them. "
    "The call then runs as another identity than intended.",
    remedy=COMMAND,
)
PROFILE_NOT_FOUND = Rule(
    "KD202",
    "profile-not-found",
    Severity.CRITICAL,
    Category.WRONG_SOURCE,
    "The named profile exists nowhere",
    "AWS_PROFILE, AWS_DEFAULT_PROFILE or --profile names a profile that is in neither the "
    "config nor the credentials file; botocore raises ProfileNotFound before any call.",
    remedy=COMMAND,
)
NO_CREDENTIALS = Rule(
    "KD203",
    "no-credentials",
    Severity.CRITICAL,
    Category.NO_CREDENTIALS,
    "No credentials found anywhere",
    "No source in botocore's chain offers credentials; calls fail with NoCredentialsError "
    "(Unable to locate credentials). Common under sudo (another HOME) or in CI when a secret "
    "is not passed to the job.",
    remedy=COMMAND,
)
CONFIG_KEYS_SHADOWED = Rule(
    "KD204",
    "config-keys-shadowed",
    Severity.MEDIUM,
    Category.WRONG_SOURCE,
    "Keys in the config file are hidden by other keys in the credentials file",
    "The same profile holds keys in both files. The credentials file wins, so editing the "
    "config file's keys changes nothing.",
)
KEYS_IN_CONFIG = Rule(
    "KD205",
    "keys-in-config-file",
    Severity.LOW,
    Category.HYGIENE,
    "Access keys stored in the config file",
    "Keys in ~/.aws/config work (method config-file) but tools that only read the credentials "
    "file miss them, and the config file is often shared or committed. Fix: keydoctor fix "
    "move-keys.",
    remedy=keydoctor_fix("move-keys"),
)
PROVIDER_BROKEN = Rule(
    "KD206",
    "provider-misconfigured",
    Severity.CRITICAL,
    Category.PROVIDER_FAILURE,
    "A credential provider in the chain is misconfigured",
    "A profile asks for assume-role, SSO or web identity but lacks what that provider needs; "
    "botocore raises and stops the chain.",
)
PROFILE_VARS_DISAGREE = Rule(
    "KD207",
    "profile-variables-disagree",
    Severity.MEDIUM,
    Category.WRONG_SOURCE,
    "AWS_PROFILE and AWS_DEFAULT_PROFILE name different profiles",
    "botocore (boto3, AWS CLI v1) reads AWS_DEFAULT_PROFILE first; the AWS CLI v2 and other "
    "SDKs read AWS_PROFILE. Different tools then run as different identities.",
    remedy=COMMAND,
)
SHADOWED_KEYS = Rule(
    "KD208",
    "other-keys-hidden",
    Severity.INFO,
    Category.WRONG_SOURCE,
    "Other keys for this profile are hidden",
    "Another source also holds keys; they are never used while the winner exists. Useful "
    "when the winning keys are rejected and the hidden ones are the right ones.",
)
ENV_PARTIAL_IGNORED = Rule(
    "KD209",
    "profile-credentials-missing",
    Severity.HIGH,
    Category.CONFIG_MALFORMED,
    "The chosen profile exists but holds no credentials",
    "The profile has a section but no keys, role, SSO or process, so botocore falls through "
    "to later sources or finds nothing.",
    remedy=COMMAND,
)

PROFILE_MISNAMED = Rule(
    "KD210",
    "profile-section-misnamed",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The named profile exists only under a header botocore does not read",
    "The profile is there, but written [profile x] in the credentials file or [x] in the "
    "config file, so botocore raises ProfileNotFound.",
    remedy=keydoctor_fix("tidy", unsafe=True),
)

RULES = (
    PROFILE_MISNAMED,
    ENV_OVERRIDES_PROFILE,
    PROFILE_NOT_FOUND,
    NO_CREDENTIALS,
    CONFIG_KEYS_SHADOWED,
    KEYS_IN_CONFIG,
    PROVIDER_BROKEN,
    PROFILE_VARS_DISAGREE,
    SHADOWED_KEYS,
    ENV_PARTIAL_IGNORED,
)

_CREDENTIAL_KEYS = (
    "aws_access_key_id",
    "role_arn",
    "sso_account_id",
    "sso_role_name",
    "sso_session",
    "sso_start_url",
    "credential_process",
    "web_identity_token_file",
    "login_session",
)


def check_env_overrides(ctx: AuditContext) -> Iterator[Finding]:
    res = ctx.resolution
    env = ctx.env
    winner = res.winner
    if winner is None or winner.method != "env":
        return
    if res.profile_origin not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        return
    profile = res.profile
    hidden = [s for s in res.shadowed if s.profile == profile]
    has_profile = profile in ctx.environment.profiles
    what = (
        "its own credentials (" + ", ".join(sorted({s.method for s in hidden})) + ")"
        if hidden
        else ("no credentials of its own" if has_profile else "nothing: it does not exist")
    )
    yield ENV_OVERRIDES_PROFILE.finding(
        f"{res.profile_origin}={profile} is set, but the SDK uses the environment keys "
        f"{mask_key_id(env.get('AWS_ACCESS_KEY_ID'))} instead; profile {profile} holds {what}.",
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN  (or pass "
        f"{command('--profile', profile)} / boto3.Session(profile_name={profile!r}), which "
        "skips "
        "environment keys)",
        Location(kind="env", key="AWS_ACCESS_KEY_ID"),
    )


def check_profile_exists(ctx: AuditContext) -> Iterator[Finding]:
    res = ctx.resolution
    if res.failure is None or not res.failure.startswith("ProfileNotFound"):
        return
    names = sorted(ctx.environment.profiles)
    import difflib

    close = difflib.get_close_matches(res.profile, names, n=3, cutoff=0.6)
    known = ", ".join(names) if names else "none"
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    origin = res.profile_origin
    envm = ctx.environment
    misnamed = _misnamed_section(ctx, res.profile)
    if misnamed:
        hint += f" It is written as {misnamed}, which botocore does not read as '{res.profile}'."
        yield PROFILE_MISNAMED.finding(
            f"{origin} names profile '{res.profile}', which is in neither {envm.config.path} "
            f"nor {envm.credentials.path} under a name botocore reads. Known profiles: "
            f"{known}.{hint}",
            f"{TIDY_UNSAFE}   (renames the section header)",
            Location(kind="flag" if origin == "--profile" else "env", key=origin),
        )
        return
    fix = (
        "export " + command(f"AWS_PROFILE={close[0]}")
        if close and origin != "--profile"
        else command("--profile", close[0])
        if close
        else command("aws", "configure", "--profile", res.profile) + "  (creates it)"
    )
    yield PROFILE_NOT_FOUND.finding(
        f"{origin} names profile '{res.profile}', which is in neither "
        f"{ctx.environment.config.path} nor {ctx.environment.credentials.path}. Known "
        f"profiles: {known}.{hint}",
        fix,
        Location(
            kind="flag" if origin == "--profile" else "env",
            key=origin if origin != "--profile" else "--profile",
        ),
    )


def _misnamed_section(ctx: AuditContext, profile: str) -> str | None:
    """A section that was meant to be this profile but is written the wrong way."""
    envm = ctx.environment
    for section in envm.credentials.sections:
        if section.header.strip() == f"profile {profile}":
            return f"[profile {profile}] in {envm.credentials.path} (line {section.line})"
    for section in envm.config.sections:
        if section.header.strip() == profile:
            return f"[{profile}] in {envm.config.path} (line {section.line})"
    return None


def check_no_credentials(ctx: AuditContext) -> Iterator[Finding]:
    res = ctx.resolution
    if res.winner is not None or res.failure is not None:
        return
    env = ctx.env
    home = env.get("HOME", "(unset)")
    places = "; ".join(res.searched)
    hint = ""
    if env.get("SUDO_USER"):
        hint = (
            f" You run under sudo as {env.get('USER', 'root')}: HOME is {home}, not the "
            f"home of {env['SUDO_USER']}, so their ~/.aws is not read (use sudo -E or "
            "sudo -u)."
        )
    elif env.get("CI") or env.get("GITHUB_ACTIONS"):
        hint = " In CI, check that the secret is passed to this job as an environment variable."
    fix = (
        "aws configure   (or export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=..., or "
        "aws sso login --profile <name>)"
    )
    folded = _folded_key_id(ctx)
    if folded is not None:
        # The keys are in the file; an indented line hides them (KD314). Recreating
        # the profile with `aws configure` would be the wrong advice.
        hint += (
            f" The profile's aws_access_key_id is on line {folded} but indented, so botocore "
            "reads it as part of the line above (KD314)."
        )
        fix = f"{TIDY_SAFE}   (removes the indentation)"
    yield NO_CREDENTIALS.finding(
        f"botocore looked in: {places}, and found no credentials.{hint}", fix, None
    )


def _folded_key_id(ctx: AuditContext) -> int | None:
    """The line of an indented aws_access_key_id in the chosen profile, if there is one."""
    profile = ctx.resolution.profile
    for shared in (ctx.environment.credentials, ctx.environment.config):
        for fold in shared.folded:
            section = fold.section.removeprefix("profile ").strip()
            if fold.key == "aws_access_key_id" and section == profile:
                return fold.line
    return None


def check_config_keys_shadowed(ctx: AuditContext) -> Iterator[Finding]:
    envm = ctx.environment
    for profile, section in envm.config_profiles.items():
        if "aws_access_key_id" not in section:
            continue
        cred = envm.credential_sections.get(profile, {})
        loc = Location(
            kind="file",
            path=envm.config.path,
            line=envm.config.line_of(
                "default" if profile == "default" else f"profile {profile}", "aws_access_key_id"
            ),
            profile=profile,
            key="aws_access_key_id",
        )
        if "aws_access_key_id" in cred:
            if cred.get("aws_access_key_id") != section.get("aws_access_key_id") or cred.get(
                "aws_secret_access_key"
            ) != section.get("aws_secret_access_key"):
                yield CONFIG_KEYS_SHADOWED.finding(
                    f"Profile {profile} has {mask_key_id(section['aws_access_key_id'])} in the "
                    f"config file and {mask_key_id(cred['aws_access_key_id'])} in the "
                    "credentials file; the credentials file wins.",
                    "Delete aws_access_key_id/aws_secret_access_key from "
                    f"[{'default' if profile == 'default' else 'profile ' + profile}] "
                    f"in {envm.config.path}, keeping the pair you want in {envm.credentials.path}.",
                    loc,
                )
        else:
            yield KEYS_IN_CONFIG.finding(
                f"Profile {profile} keeps its keys ({mask_key_id(section['aws_access_key_id'])}) "
                f"in {envm.config.path}.",
                f"{KEYS_IN_CONFIG.remedy.invocation()}   (moves them to the credentials file)",
                loc,
            )


# Failures that other rules explain in their own words (profile naming, files, half keys).
_EXPLAINED_ELSEWHERE = (
    "ProfileNotFound",
    "ConfigParseError",
    "PartialCredentialsError: AWS_SECRET_ACCESS_KEY",
    "PartialCredentialsError: aws_secret_access_key",
)


def check_provider_errors(ctx: AuditContext) -> Iterator[Finding]:
    """Any provider that would raise: assume-role, SSO, web identity, process, container..."""
    res = ctx.resolution
    failure = res.failure
    if failure is None or failure.startswith(_EXPLAINED_ELSEWHERE):
        return
    if sso.explains_failure(ctx):
        return  # KD508-KD510 say it in their own words
    if "credential_source Ec2InstanceMetadata" in failure and imds_source_disabled(ctx):
        return  # KD518 names the variable that causes it
    yield provider_failure_finding(ctx, failure)


def provider_failure_finding(ctx: AuditContext, failure: str) -> Finding:
    """KD206 for a chain failure; also the safety net when no other rule explained one."""
    res = ctx.resolution
    broken = next((s for s in res.shadowed if s.error == failure), None)
    where = f"{broken.method} in profile {res.profile}" if broken else f"profile {res.profile}"
    return PROVIDER_BROKEN.finding(
        f"{where}: {failure.split(': ', 1)[-1]} ({failure.split(':', 1)[0]}). botocore stops "
        "here and every call fails.",
        _source_path_fix(ctx, failure) or _provider_fix(failure, res.profile),
        broken.location if broken else None,
    )


# The hops botocore walked before a source_profile loop or dead end: "(a -> b -> a)".
_SOURCE_PATH = re.compile(r"\((?P<path>[^()]+(?: -> [^()]+)+)\)$")


def _source_path_fix(ctx: AuditContext, failure: str) -> str | None:
    """The fix of a source_profile loop or dead end: the one setting that ends the walk.

    The profile to change is the last one on the path that names a source (the hop that
    closes the loop, or that points at nothing usable); it is pointed at a profile that
    holds static keys, when the files have one, with the command that writes it.
    """
    match = _SOURCE_PATH.search(failure)
    if match is None or ("source_profile" not in failure and "source profile" not in failure):
        return None
    hops = match["path"].split(" -> ")
    edit = hops[-2]
    section = "[default]" if edit == "default" else f"[profile {edit}]"
    profiles = ctx.environment.profiles
    keyed = sorted(
        name
        for name, cfg in profiles.items()
        if "aws_access_key_id" in cfg and "aws_secret_access_key" in cfg and name not in hops
    )
    target = "default" if "default" in keyed else keyed[0] if keyed else None
    if target is None:
        return (
            f"Point source_profile under {section} in ~/.aws/config at a profile that holds "
            f"keys (the walk {match['path']} never reaches one), or create that profile"
        )
    return command("aws", "configure", "set", "source_profile", target, *profile_args(edit)) + (
        f"   (the walk {match['path']} never reaches keys; {target} holds some)"
    )


def _provider_fix(failure: str, profile: str) -> str:
    section = "[default]" if profile == "default" else f"[profile {profile}]"
    rules: tuple[tuple[str, str], ...] = (
        (
            "source_profile or credential_source",
            f"Add `source_profile = <profile with keys>` under {section} in ~/.aws/config",
        ),
        (
            "both source_profile and credential_source",
            f"Keep only one of source_profile / credential_source under {section}",
        ),
        (
            "InfiniteLoopConfigError",
            f"Point source_profile under {section} at a profile that holds keys, not back at "
            "the chain",
        ),
        (
            "source_profile",
            "Create the source profile, or point source_profile at an existing "
            "profile that holds keys",
        ),
        (
            "credential_source Environment",
            "export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... where the program runs "
            "(credential_source = Environment reads only these variables), or replace "
            f"credential_source under {section} with source_profile = <profile with keys>",
        ),
        (
            "credential_source EcsContainer",
            "credential_source = EcsContainer works only where the container agent sets "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI (an ECS task, EKS Pod "
            f"Identity); on this machine replace it under {section} with "
            "source_profile = <profile with keys>",
        ),
        (
            "credential_source",
            "Use credential_source = Environment, EcsContainer or "
            "Ec2InstanceMetadata, and make sure that source has credentials",
        ),
        (
            "sso",
            command("aws", "configure", "sso", "--profile", profile)
            + "   (writes the missing sso_* settings)",
        ),
        (
            "web identity",
            "export AWS_ROLE_ARN=arn:aws:iam::<account>:role/<name>  (or role_arn in the profile)",
        ),
        (
            "credential_process",
            f"Correct credential_process under {section}: the command must "
            "exist, be executable and print the credentials JSON",
        ),
        ("Login", command("aws", "login", "--profile", profile)),
        ("login", "pip install 'botocore[crt]'   (the login provider needs it)"),
        (
            "CONTAINER",
            "Correct AWS_CONTAINER_CREDENTIALS_FULL_URI / the authorization token "
            "variables (or unset them outside a container)",
        ),
        ("container", "Correct AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) or unset it"),
        (
            "AWSSecretKey",
            "Add AWSSecretKey=... to the file named by AWS_CREDENTIAL_FILE, or "
            "unset AWS_CREDENTIAL_FILE",
        ),
    )
    for needle, fix in rules:
        if needle in failure:
            return fix
    return f"Correct {section} in ~/.aws/config, or remove the setting that fails"


def check_profile_vars(ctx: AuditContext) -> Iterator[Finding]:
    env = ctx.env
    a, b = env.get("AWS_DEFAULT_PROFILE"), env.get("AWS_PROFILE")
    if a and b and a != b and ctx.resolution.profile_origin != "--profile":
        yield PROFILE_VARS_DISAGREE.finding(
            f"AWS_DEFAULT_PROFILE={a} and AWS_PROFILE={b}: boto3 and the AWS CLI v1 use {a}, "
            f"the AWS CLI v2 and other SDKs use {b}.",
            "unset AWS_DEFAULT_PROFILE   (and keep AWS_PROFILE, which every tool reads)",
            Location(kind="env", key="AWS_DEFAULT_PROFILE"),
        )


def check_hidden_keys(ctx: AuditContext) -> Iterator[Finding]:
    res = ctx.resolution
    if res.winner is None or res.winner.access_key_id is None:
        return
    for source in res.shadowed:
        if not source.access_key_id or source.access_key_id == res.winner.access_key_id:
            continue
        if res.winner.method == "env" and res.profile_origin in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
        ):
            continue  # KD201 already says it, with more weight
        yield SHADOWED_KEYS.finding(
            f"{source.method} ({source.location.describe()}) holds "
            f"{mask_key_id(source.access_key_id)}, hidden by {res.winner.method} "
            f"{mask_key_id(res.winner.access_key_id)}.",
            "Nothing to do if the winning keys are right; otherwise remove them so the hidden "
            "ones are used ("
            + (
                "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"
                if res.winner.method == "env"
                else "delete them from the file"
            )
            + ").",
            source.location,
        )


def check_empty_profile(ctx: AuditContext) -> Iterator[Finding]:
    res = ctx.resolution
    if res.winner is not None or res.failure is not None:
        return
    cfg = ctx.environment.profiles.get(res.profile)
    if cfg is None:
        return
    if any(key in cfg for key in _CREDENTIAL_KEYS):
        return
    read = {"aws_secret_access_key", "aws_session_token", "aws_security_token"}
    misspelt = [k for k in cfg if ("key" in k or "secret" in k or "token" in k) and k not in read]
    partial = sorted(k for k in cfg if k in read)
    detail = (
        f" It has {', '.join(sorted(misspelt))}, which are not names botocore reads."
        if misspelt
        else ""
    )
    if partial:
        detail += f" It has {', '.join(partial)} but no aws_access_key_id."
    folded = _folded_key_id(ctx)
    if folded is not None:
        detail += (
            f" Its aws_access_key_id line (line {folded}) is indented, so botocore "
            "reads it as part of the line above (KD314)."
        )
        fix = f"{TIDY_SAFE}   (removes the indentation)"
    else:
        fix = (
            command("aws", "configure", *profile_args(res.profile) or ("--profile", "default"))
            + "   (writes aws_access_key_id and aws_secret_access_key)"
        )
    yield ENV_PARTIAL_IGNORED.finding(
        f"Profile {res.profile} exists but defines no credentials.{detail}",
        fix,
        Location(kind="file", path=ctx.environment.credentials.path, profile=res.profile),
    )


CHECKS = (
    check_env_overrides,
    check_profile_exists,
    check_no_credentials,
    check_config_keys_shadowed,
    check_provider_errors,
    check_profile_vars,
    check_hidden_keys,
    check_empty_profile,
)
