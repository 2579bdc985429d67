"""The credential chain, provider by provider, with exact expected sources.

``test_chain_differential.py`` compares whole setups with botocore; these tests pin each
rule of :mod:`keydoctor.sources.chain` on its own (which variable wins, which provider
applies, the words of each error botocore would raise, the reason a source lost) with
temporary files and environment dicts only: no botocore session, no subprocess. Each
expectation follows botocore's documented behaviour (``create_credential_resolver`` and
its providers), not the output of the module under test.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from keydoctor.model import CredentialSource, Location, Resolution
from keydoctor.sources.chain import (
    _container_source,
    _container_url_error,
    _ec2_credentials_file,
    _parse_expiry,
    _process_error,
    env_source,
    gather,
    read_sso_token_expiry,
    resolve,
    select_profile,
    sso_cache_file,
)

KEY = "AKIAIOSFODNN7EXAMPLE"
KEY2 = "AKIAI44QH8DHBEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN"
ROLE = "arn:aws:iam::123456789012:role/r"
SEARCHED_TAIL = (
    "container credentials (AWS_CONTAINER_CREDENTIALS_*)",
    "instance metadata service (tried last, only on EC2; not probed offline)",
)


def _home(tmp_path: Path, config: str = "", credentials: str = "") -> dict[str, str]:
    """A HOME of its own with the two shared files; nothing else set."""
    aws = tmp_path / ".aws"
    aws.mkdir(exist_ok=True)
    if config:
        (aws / "config").write_text(config)
    if credentials:
        (aws / "credentials").write_text(credentials)
    return {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "BOTO_CONFIG": str(tmp_path / "nb")}


def _resolve(env: dict[str, str], flag: str | None = None) -> Resolution:
    return resolve(gather(env, flag))


def _secret(source: CredentialSource | None) -> str | None:
    assert source is not None
    return source.secret_access_key.reveal() if source.secret_access_key else None


def _token(source: CredentialSource | None) -> str | None:
    assert source is not None
    return source.session_token.reveal() if source.session_token else None


# -- which profile ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "flag", "chosen"),
    [
        ({}, None, ("default", "default", False)),
        ({"AWS_PROFILE": "p"}, None, ("p", "AWS_PROFILE", False)),
        (
            {"AWS_DEFAULT_PROFILE": "d", "AWS_PROFILE": "p"},
            None,
            ("d", "AWS_DEFAULT_PROFILE", False),
        ),
        ({"AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "p"}, None, ("", "AWS_DEFAULT_PROFILE", False)),
        ({"AWS_PROFILE": "p"}, "f", ("f", "--profile", True)),
        ({}, "", ("", "--profile", True)),
    ],
)
def test_select_profile(
    env: dict[str, str], flag: str | None, chosen: tuple[str, str, bool]
) -> None:
    assert select_profile(env, flag) == chosen


# -- environment -----------------------------------------------------------------------------


def test_env_source_with_everything() -> None:
    env = {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SECURITY_TOKEN": "old",
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z",
    }
    source = env_source(env)
    assert source is not None
    assert source.method == "env"
    assert source.location == Location(kind="env", key="AWS_ACCESS_KEY_ID")
    assert source.access_key_id == KEY
    assert _secret(source) == SECRET
    assert _token(source) == "old"  # botocore reads AWS_SECURITY_TOKEN first
    assert source.details == {
        "token_variable": "AWS_SECURITY_TOKEN",
        "expiration": "2030-01-02T03:04:05Z",
    }
    assert source.expiry is not None
    assert source.expiry.isoformat() == "2030-01-02T03:04:05+00:00"
    assert source.error is None


def test_an_empty_first_token_variable_gives_way_to_the_second() -> None:
    source = env_source(
        {
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_SECURITY_TOKEN": "",
            "AWS_SESSION_TOKEN": TOKEN,
        }
    )
    assert _token(source) == TOKEN
    assert source is not None and source.details == {"token_variable": "AWS_SESSION_TOKEN"}


def test_env_source_missing_and_partial() -> None:
    assert env_source({}) is None
    assert env_source({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}) is None
    partial = env_source({"AWS_ACCESS_KEY_ID": f" {KEY}"})
    assert partial is not None
    assert partial.access_key_id == f" {KEY}"  # botocore does not strip
    assert partial.secret_access_key is None
    assert partial.session_token is None
    assert partial.details == {}
    assert partial.expiry is None
    assert partial.error == "PartialCredentialsError: AWS_SECRET_ACCESS_KEY is missing or empty"
    secret_only = env_source({"AWS_SECRET_ACCESS_KEY": SECRET})
    assert secret_only is not None
    assert secret_only.location == Location(kind="env", key="AWS_SECRET_ACCESS_KEY")
    assert secret_only.access_key_id is None
    assert secret_only.error is None
    token_only = env_source({"AWS_SESSION_TOKEN": TOKEN})
    assert token_only is not None and _token(token_only) == TOKEN


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2030-01-02T03:04:05Z", "2030-01-02T03:04:05+00:00"),
        (" 2030-01-02T03:04:05+02:00 ", "2030-01-02T03:04:05+02:00"),
        ("2030-01-02T03:04:05", "2030-01-02T03:04:05+00:00"),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_expiry(text: str | None, iso: str | None) -> None:
    parsed = _parse_expiry(text)
    assert (parsed.isoformat() if parsed else None) == iso


# -- resolve: the shared files -------------------------------------------------------------


def test_credentials_file_keys_win_over_the_config_file(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config=f"[default]\naws_access_key_id = {KEY2}\naws_secret_access_key = s2\n",
        credentials=f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n",
    )
    resolution = _resolve(env)
    winner = resolution.winner
    assert winner is not None
    assert (winner.method, winner.profile, winner.access_key_id) == (
        "shared-credentials-file",
        "default",
        KEY,
    )
    assert _secret(winner) == SECRET
    assert _token(winner) == TOKEN
    assert winner.details == {"token_key": "aws_session_token"}
    assert winner.location == Location(
        kind="file",
        path=str(tmp_path / ".aws" / "credentials"),
        line=2,
        profile="default",
        key="aws_access_key_id",
    )
    (config,) = resolution.shadowed
    assert (config.method, config.access_key_id) == ("config-file", KEY2)
    assert config.reason == "shadowed: shared-credentials-file comes first in botocore's chain"
    assert config.location.line == 2
    assert resolution.failure is None
    assert resolution.profile == "default"
    assert resolution.profile_origin == "default"
    assert resolution.searched == (
        "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
        f"profile [default] in {tmp_path}/.aws/credentials and {tmp_path}/.aws/config",
        *SEARCHED_TAIL,
    )


def test_a_named_profile_in_the_config_file(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config=f"[default]\nregion = x\n[profile dev]\naws_access_key_id = {KEY}\n"
        f"aws_secret_access_key = {SECRET}\naws_security_token = t1\naws_session_token = t2\n",
    )
    env["AWS_PROFILE"] = "dev"
    winner = _resolve(env).winner
    assert winner is not None
    assert (winner.method, winner.profile, winner.access_key_id) == ("config-file", "dev", KEY)
    assert _token(winner) == "t1"
    assert winner.details == {"token_key": "aws_security_token"}
    assert winner.location.line == 4  # the key in [profile dev], not a section named "dev"


def test_a_key_id_without_its_secret_stops_the_chain(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config=f"[default]\naws_access_key_id = {KEY2}\naws_secret_access_key = s2\n",
        credentials=f"[default]\naws_access_key_id = {KEY}\n",
    )
    resolution = _resolve(env)
    assert resolution.winner is None
    assert resolution.failure == "PartialCredentialsError: aws_secret_access_key is missing"
    failing, never = resolution.shadowed
    assert failing.reason == "fails: PartialCredentialsError: aws_secret_access_key is missing"
    assert failing.secret_access_key is None
    assert never.method == "config-file"
    assert never.reason == "never reached: the chain stops at the earlier error"


def test_a_secret_without_a_key_id_is_no_source(tmp_path: Path) -> None:
    env = _home(tmp_path, credentials=f"[default]\naws_secret_access_key = {SECRET}\n")
    resolution = _resolve(env)
    assert resolution.winner is None
    assert resolution.failure is None
    assert resolution.shadowed == ()


def test_a_profile_named_but_missing(tmp_path: Path) -> None:
    env = _home(tmp_path, credentials=f"[default]\naws_access_key_id = {KEY}\n")
    env["AWS_DEFAULT_PROFILE"] = "nope"
    resolution = _resolve(env)
    assert resolution.failure == "ProfileNotFound: the config profile (nope) could not be found"
    assert resolution.winner is None
    assert _resolve(_home(tmp_path), "ghost").failure == (
        "ProfileNotFound: the config profile (ghost) could not be found"
    )
    # "default" chosen by default is no error when it does not exist
    assert _resolve({"HOME": str(tmp_path / "empty")}).failure is None


def test_an_unparsable_file_stops_everything(tmp_path: Path) -> None:
    env = _home(tmp_path, config="[default\nregion = x\n", credentials="[default]\nx = 1\n")
    env.update({"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    resolution = _resolve(env)
    assert resolution.winner is None
    assert resolution.failure is not None
    assert resolution.failure.startswith(
        f"ConfigParseError: unable to parse config file {tmp_path}/.aws/config ("
    )
    (env_lost,) = resolution.shadowed
    assert env_lost.reason == "never reached: the chain stops at the earlier error"


# -- resolve: environment against profiles ----------------------------------------------------


def test_environment_keys_shadow_the_profile(tmp_path: Path) -> None:
    env = _home(
        tmp_path, credentials=f"[dev]\naws_access_key_id = {KEY2}\naws_secret_access_key = s\n"
    )
    env.update({"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_PROFILE": "dev"})
    resolution = _resolve(env)
    assert resolution.winner is not None and resolution.winner.method == "env"
    (file_keys,) = resolution.shadowed
    assert (file_keys.method, file_keys.profile, file_keys.access_key_id) == (
        "shared-credentials-file",
        "dev",
        KEY2,
    )
    assert file_keys.reason == "shadowed: env comes first in botocore's chain"


def test_profile_flag_switches_environment_keys_off(tmp_path: Path) -> None:
    env = _home(
        tmp_path, credentials=f"[dev]\naws_access_key_id = {KEY2}\naws_secret_access_key = s\n"
    )
    env.update({"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    resolution = _resolve(env, "dev")
    assert resolution.winner is not None
    assert resolution.winner.access_key_id == KEY2
    assert resolution.profile_origin == "--profile"
    (skipped,) = resolution.shadowed
    assert skipped.method == "env"
    assert skipped.reason == (
        "skipped: --profile was given, and botocore ignores environment keys when a profile "
        "is named explicitly"
    )


def test_environment_without_a_key_id_is_ignored(tmp_path: Path) -> None:
    env = _home(
        tmp_path, credentials=f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = s\n"
    )
    env["AWS_SECRET_ACCESS_KEY"] = SECRET
    resolution = _resolve(env)
    assert resolution.winner is not None and resolution.winner.access_key_id == KEY
    (ignored,) = resolution.shadowed
    assert ignored.reason == (
        "ignored: AWS_ACCESS_KEY_ID is not set, so botocore skips the other environment variables"
    )


def test_a_partial_environment_stops_the_chain(tmp_path: Path) -> None:
    env = _home(
        tmp_path, credentials=f"[default]\naws_access_key_id = {KEY2}\naws_secret_access_key = s\n"
    )
    env["AWS_ACCESS_KEY_ID"] = KEY
    resolution = _resolve(env)
    assert resolution.winner is None
    assert (
        resolution.failure == "PartialCredentialsError: AWS_SECRET_ACCESS_KEY is missing or empty"
    )
    assert [s.reason for s in resolution.shadowed] == [
        "fails: PartialCredentialsError: AWS_SECRET_ACCESS_KEY is missing or empty",
        "never reached: the chain stops at the earlier error",
    ]


def test_metadata_disabled_is_not_searched(tmp_path: Path) -> None:
    env = _home(tmp_path)
    env["AWS_EC2_METADATA_DISABLED"] = "TRUE"
    assert _resolve(env).searched[-1] == SEARCHED_TAIL[0]
    env["AWS_EC2_METADATA_DISABLED"] = "no"
    assert _resolve(env).searched[-1] == SEARCHED_TAIL[1]


# -- assumed roles -----------------------------------------------------------------------------


def _role_failure(tmp_path: Path, config: str, credentials: str = "", **extra: str) -> str | None:
    env = _home(tmp_path, config=config, credentials=credentials)
    env.update(extra)
    env.setdefault("AWS_PROFILE", "r")
    return _resolve(env).failure


def test_a_role_with_a_source_profile_wins_over_keys_of_its_own(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config=f"[profile r]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"aws_access_key_id = {KEY2}\naws_secret_access_key = s\n",
        credentials=f"[base]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n",
    )
    env["AWS_PROFILE"] = "r"
    resolution = _resolve(env)
    winner = resolution.winner
    assert winner is not None
    assert winner.method == "assume-role"
    assert winner.details == {"role_arn": ROLE, "source_profile": "base"}
    assert winner.location.line == 2
    assert [s.method for s in resolution.shadowed] == ["config-file"]


@pytest.mark.parametrize(
    ("config", "credentials", "extra", "failure"),
    [
        (
            f"[profile r]\nrole_arn = {ROLE}\n",
            "",
            {},
            "PartialCredentialsError: role_arn needs source_profile or credential_source",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n"
            "credential_source = Environment\n",
            "[b]\naws_access_key_id = K\naws_secret_access_key = s\n",
            {},
            "InvalidConfigError: both source_profile and credential_source are set",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = gone\n",
            "",
            {},
            'InvalidConfigError: source_profile "gone" does not exist (r -> gone)',
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = environment\n",
            "",
            {},
            'InvalidConfigError: unsupported credential_source "environment"',
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
            "",
            {},
            "CredentialRetrievalError: no credentials found in credential_source Environment "
            "referenced in profile r",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
            "",
            {"AWS_SECRET_ACCESS_KEY": SECRET},
            "CredentialRetrievalError: no credentials found in credential_source Environment "
            "referenced in profile r",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
            "",
            {"AWS_ACCESS_KEY_ID": KEY, "AWS_PROFILE": "r"},
            "PartialCredentialsError: AWS_SECRET_ACCESS_KEY is missing or empty",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
            "",
            {},
            "CredentialRetrievalError: no credentials found in credential_source EcsContainer "
            "referenced in profile r",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
            "",
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"},
            "ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI host 'example.com' is not allowed: "
            "plain http only to a loopback address or 169.254.170.2, 169.254.170.23, "
            "fd00:ec2::23, localhost",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n",
            "",
            {"AWS_EC2_METADATA_DISABLED": "true"},
            "CredentialRetrievalError: no credentials found in credential_source "
            "Ec2InstanceMetadata referenced in profile r",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n[profile b]\nregion = x\n",
            "",
            {},
            'InvalidConfigError: the source profile "b" must have credentials (r -> b)',
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = r\n",
            "",
            {},
            "InfiniteLoopConfigError: source_profile r loops back (r -> b -> r)",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = r\n",
            "",
            {},
            "InfiniteLoopConfigError: source_profile r loops back (r -> r)",
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n",
            "[b]\naws_access_key_id = K\n",
            {},
            "PartialCredentialsError: aws_secret_access_key is missing",
        ),
    ],
)
def test_role_errors(
    tmp_path: Path, config: str, credentials: str, extra: dict[str, str], failure: str
) -> None:
    assert _role_failure(tmp_path, config, credentials, **extra) == failure


@pytest.mark.parametrize(
    ("config", "credentials", "extra"),
    [
        # a role profile may name itself when it holds keys (botocore allows it)
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = r\n",
            "[r]\naws_access_key_id = K\naws_secret_access_key = s\n",
            {},
        ),
        # a chain of two roles ending in keys
        (
            f"[profile r]\nrole_arn = {ROLE}\nsource_profile = m\n"
            f"[profile m]\nrole_arn = {ROLE}\nsource_profile = b\n",
            "[b]\naws_access_key_id = K\naws_secret_access_key = s\n",
            {},
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
            "",
            {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET},
        ),
        (
            f"[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
            "",
            {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"},
        ),
        (f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n", "", {}),
    ],
)
def test_roles_that_resolve(
    tmp_path: Path, config: str, credentials: str, extra: dict[str, str]
) -> None:
    env = _home(tmp_path, config=config, credentials=credentials)
    env.update(extra)
    resolution = resolve(gather(env, "r"))
    assert resolution.failure is None
    assert resolution.winner is not None and resolution.winner.method == "assume-role"


def test_web_identity_from_the_environment_or_the_profile(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config=f"[default]\nweb_identity_token_file = /p/token\nrole_arn = {ROLE}\n",
    )
    from_profile = _resolve(env).winner
    assert from_profile is not None
    assert from_profile.method == "assume-role-with-web-identity"
    assert from_profile.details == {"role_arn": ROLE, "web_identity_token_file": "/p/token"}
    assert from_profile.location.kind == "file" and from_profile.location.line == 2
    env.update({"AWS_WEB_IDENTITY_TOKEN_FILE": "/e/token", "AWS_ROLE_ARN": "arn:e"})
    from_env = _resolve(env).winner
    assert from_env is not None
    assert from_env.details == {"role_arn": "arn:e", "web_identity_token_file": "/e/token"}
    assert from_env.location == Location(kind="env", key="AWS_WEB_IDENTITY_TOKEN_FILE")
    # with --profile, the variables count no more: the profile's own values are used
    named = resolve(gather(env, "default")).winner
    assert named is not None and named.details["web_identity_token_file"] == "/p/token"


def test_web_identity_without_a_role(tmp_path: Path) -> None:
    env = _home(tmp_path)
    env["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/e/token"
    assert _resolve(env).failure == "InvalidConfigError: web identity without a role ARN"


# -- SSO, process, login -------------------------------------------------------------------------


def test_sso_with_a_cached_token(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config="[default]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n",
    )
    cache = sso_cache_file(env, "corp")
    assert cache == (
        f"{tmp_path}/.aws/sso/cache/"
        + hashlib.sha1(b"corp", usedforsecurity=False).hexdigest()
        + ".json"
    )
    os.makedirs(os.path.dirname(cache))
    Path(cache).write_text(json.dumps({"expiresAt": "2030-01-01T00:00:00Z"}))
    winner = _resolve(env).winner
    assert winner is not None
    assert winner.method == "sso"
    assert winner.details == {
        "sso_start_url": "https://corp.awsapps.com/start",
        "sso_region": "us-east-1",
        "sso_account_id": "123456789012",
        "sso_role_name": "Admin",
        "token_cache": cache,
    }
    assert winner.expiry is not None and winner.expiry.year == 2030


@pytest.mark.parametrize(
    ("config", "failure"),
    [
        (
            "[default]\nsso_account_id = 1\nsso_role_name = A\nsso_start_url = u\n",
            'InvalidConfigError: profile "default" uses SSO but lacks sso_region',
        ),
        (
            "[default]\nsso_role_name = A\n",
            'InvalidConfigError: profile "default" uses SSO but lacks sso_account_id, '
            "sso_start_url, sso_region",
        ),
        (
            "[default]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = A\n",
            'InvalidConfigError: the sso-session "gone" does not exist',
        ),
        (
            "[default]\nsso_session = c\nsso_account_id = 1\nsso_role_name = A\n"
            "sso_region = eu-west-1\n"
            "[sso-session c]\nsso_start_url = u\nsso_region = us-east-1\n",
            "InvalidConfigError: sso_region differs between profile default and sso-session c",
        ),
        (
            "[default]\nsso_session = c\nsso_account_id = 1\nsso_role_name = A\n"
            "[sso-session c]\nsso_start_url = u\n",
            'InvalidConfigError: profile "default" uses SSO but lacks sso_region',
        ),
    ],
)
def test_sso_errors(tmp_path: Path, config: str, failure: str) -> None:
    assert _resolve(_home(tmp_path, config=config)).failure == failure


def test_sso_with_a_start_url_uses_it_for_the_cache(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config="[default]\nsso_account_id = 1\nsso_role_name = A\nsso_start_url = https://x\n"
        "sso_region = us-east-1\n",
    )
    winner = _resolve(env).winner
    assert winner is not None
    assert winner.details["token_cache"] == sso_cache_file(env, "https://x")
    assert winner.details["token_problem"] == "no cached SSO token (run `aws sso login`)"
    assert winner.expiry is None


def test_read_sso_token_expiry(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    assert read_sso_token_expiry(str(path)) == (None, "no cached SSO token (run `aws sso login`)")
    path.write_text("{")
    assert read_sso_token_expiry(str(path)) == (
        None,
        "cached SSO token unreadable (JSONDecodeError)",
    )
    path.write_text("[]")
    assert read_sso_token_expiry(str(path)) == (None, "cached SSO token has no expiresAt")
    path.write_text('{"accessToken": "x"}')
    assert read_sso_token_expiry(str(path)) == (None, "cached SSO token has no expiresAt")
    path.write_text('{"expiresAt": "later"}')
    assert read_sso_token_expiry(str(path)) == (
        None,
        "cached SSO token has an unreadable expiresAt",
    )
    path.write_text('{"expiresAt": "2031-05-06T07:08:09Z"}')
    expiry, problem = read_sso_token_expiry(str(path))
    assert problem is None
    assert expiry is not None and expiry.isoformat() == "2031-05-06T07:08:09+00:00"
    assert read_sso_token_expiry(str(tmp_path)) == (
        None,
        "cached SSO token unreadable (IsADirectoryError)",
    )


def test_process_errors(tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "creds"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    os.chmod(tool, 0o644)
    env = {"PATH": f"/nonexistent{os.pathsep}{tool.parent}"}
    assert _process_error("", env) == "IndexError: credential_process is empty"
    assert _process_error("a 'b", env) == "ValueError: credential_process has unbalanced quotes"
    assert _process_error("nosuch --x", env) == (
        "FileNotFoundError: credential_process program 'nosuch' not found"
    )
    assert _process_error("creds --x", env) == (
        "PermissionError: credential_process program 'creds' is not executable"
    )
    assert _process_error(f"{tool} --x", {}) == (
        f"PermissionError: credential_process program '{tool}' is not executable"
    )
    os.chmod(tool, 0o755)
    assert _process_error("creds --x", env) is None
    assert _process_error(f"'{tool}'", {"PATH": ""}) is None
    assert _process_error("./creds", {"PATH": str(tool.parent)}) == (
        "FileNotFoundError: credential_process program './creds' not found"
    )


def test_a_process_profile(tmp_path: Path) -> None:
    env = _home(tmp_path, config="[default]\nregion = x\ncredential_process = nosuch-tool\n")
    resolution = _resolve(env)
    assert resolution.failure == (
        "FileNotFoundError: credential_process program 'nosuch-tool' not found"
    )
    (failed,) = resolution.shadowed
    assert failed.method == "custom-process"
    assert failed.details == {"credential_process": "(command configured; not run offline)"}
    assert failed.location.line == 3


def test_providers_in_botocore_order(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config="[default]\nweb_identity_token_file = /t\nrole_arn = arn:x\n"
        "sso_account_id = 1\nsso_role_name = A\nsso_start_url = u\nsso_region = r\n"
        "credential_process = /bin/true\n"
        f"aws_access_key_id = {KEY2}\naws_secret_access_key = s\n",
        credentials=f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = s\n",
    )
    env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/creds"
    resolution = _resolve(env)
    assert resolution.winner is not None
    assert [resolution.winner.method, *(s.method for s in resolution.shadowed)] == [
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        "custom-process",
        "config-file",
        "container-role",
    ]


# -- container, EC2 file -----------------------------------------------------------------------


def _container_error(env: dict[str, str]) -> str | None:
    source = _container_source(env)
    assert source is not None
    return source.error


def test_container_source(tmp_path: Path) -> None:
    assert _container_source({}) is None
    relative = _container_source(
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "x"}
    )
    assert relative is not None
    assert relative.method == "container-role"
    assert relative.location == Location(kind="env", key="AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    assert relative.details == {"variable": "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}
    assert relative.error is None
    full = _container_source({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.2/c"})
    assert full is not None
    assert full.details == {"variable": "AWS_CONTAINER_CREDENTIALS_FULL_URI"}
    assert full.error is None
    token = tmp_path / "token"
    token.write_text("abc\n")
    line_break = "ValueError: the container authorization token holds a line break"
    relative_uri = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2"}
    # the file wins over the variable, and its line break counts
    assert (
        _container_error(
            {
                **relative_uri,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "fine",
            }
        )
        == line_break
    )
    assert _container_error({**relative_uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\rb"}) == (
        line_break
    )
    assert _container_error({**relative_uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ab"}) is None
    assert (
        _container_error(
            {**relative_uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tmp_path / "none")}
        )
        == "FileNotFoundError: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE cannot be read"
    )
    token.write_text("abc")
    bad_host = _container_error(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token),
        }
    )
    assert bad_host is not None
    assert bad_host.startswith("ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI host 'example.com'")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.com/creds", True),
        ("http://127.0.0.1:80/creds", True),
        ("http://127.9.9.9/creds", True),
        ("http://[::1]/creds", True),
        ("http://169.254.170.2/v2", True),
        ("http://169.254.170.23/v2", True),
        ("http://[fd00:ec2::23]/v2", True),
        ("http://localhost/v2", True),
        ("http://169.254.169.254/v2", False),
        ("http://example.com/creds", False),
        ("ftp://127.0.0.1/x", True),
    ],
)
def test_container_url(url: str, allowed: bool) -> None:
    error = _container_url_error(url)
    assert (error is None) is allowed
    if not allowed:
        assert error is not None and error.startswith(
            "ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI host '"
        )


def test_container_url_that_is_no_url() -> None:
    assert _container_url_error("http://[::1/x") == (
        "ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL"
    )
    assert _container_url_error("no-scheme") == (
        "ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI host 'None' is not allowed: plain http "
        "only to a loopback address or 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost"
    )


def test_ec2_credentials_file(tmp_path: Path) -> None:
    assert _ec2_credentials_file({}) is None
    path = tmp_path / "ec2"
    missing = _ec2_credentials_file({"AWS_CREDENTIAL_FILE": str(path)})
    assert missing is not None
    assert missing.error == f"ConfigNotFound: AWS_CREDENTIAL_FILE {path} cannot be read"
    assert missing.details == {"path": str(path)}
    path.write_text(f" AWSAccessKeyId = {KEY} \nAWSSecretKey= a=b \nnoise\n")
    found = _ec2_credentials_file({"AWS_CREDENTIAL_FILE": str(path)})
    assert found is not None
    assert found.method == "ec2-credentials-file"
    assert found.location == Location(kind="env", key="AWS_CREDENTIAL_FILE")
    assert (found.access_key_id, _secret(found), found.error) == (KEY, "a=b", None)
    path.write_text(f"AWSAccessKeyId={KEY}\n")
    partial = _ec2_credentials_file({"AWS_CREDENTIAL_FILE": str(path)})
    assert partial is not None and partial.error == "KeyError: AWSSecretKey is missing"
    path.write_text("AWSSecretKey=s\n")
    assert _ec2_credentials_file({"AWS_CREDENTIAL_FILE": str(path)}) is None


def test_boto_config(tmp_path: Path) -> None:
    boto = tmp_path / "boto.cfg"
    boto.write_text(f"[Credentials]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
    env = _home(tmp_path)
    env["BOTO_CONFIG"] = str(boto)
    winner = _resolve(env).winner
    assert winner is not None
    assert winner.method == "boto-config"
    assert (winner.access_key_id, _secret(winner), winner.details) == (
        KEY,
        SECRET,
        {"path": str(boto)},
    )
    assert winner.location == Location(kind="file", path=str(boto), key="aws_access_key_id")
    boto.write_text(f"[Credentials]\naws_access_key_id = {KEY}\n")
    assert _resolve(env).failure == "PartialCredentialsError: aws_secret_access_key is missing"
    boto.write_text("[Credentials]\naws_secret_access_key = s\n")
    assert _resolve(env).winner is None
    boto.write_text("[Credentials\n")
    failure = _resolve(env).failure
    assert failure is not None and failure.startswith("ConfigParseError: ")


# -- the details each source carries ------------------------------------------------------------


def test_each_source_names_its_profile_and_line(tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        config="[default]\nweb_identity_token_file = /t\n"
        "sso_account_id = 1\nsso_role_name = A\ncredential_process = /bin/true\n"
        f"aws_access_key_id = {KEY2}\naws_secret_access_key = s\n",
        credentials=f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = s\n",
    )
    resolution = _resolve(env)
    web, sso, creds, process, config = resolution.shadowed
    assert web.details == {"role_arn": "", "web_identity_token_file": "/t"}
    assert [s.profile for s in (web, sso, creds, process, config)] == ["default"] * 5
    assert (sso.location.kind, sso.location.line, sso.location.key) == (
        "file",
        3,
        "sso_account_id",
    )
    assert sso.expiry is None  # no start URL and no session: no token cache to read
    assert (creds.details, creds.error) == ({}, None)
    assert (config.details, config.error, config.location.line) == ({}, None, 6)
    assert process.location.line == 5


def test_keys_are_located_in_the_section_botocore_reads(tmp_path: Path) -> None:
    # A config file's [dev] is not profile dev, and a credentials file's [profile dev] is
    # not either: the location points at the section that was read.
    env = _home(
        tmp_path,
        config=f"[dev]\naws_access_key_id = {KEY2}\n[profile dev]\naws_access_key_id = {KEY}\n"
        "aws_secret_access_key = s\n",
        credentials=f"[profile dev]\naws_access_key_id = {KEY2}\n[dev]\nregion = x\n"
        f"aws_access_key_id = {KEY}\naws_secret_access_key = s\n",
    )
    env["AWS_PROFILE"] = "dev"
    resolution = _resolve(env)
    assert resolution.winner is not None
    assert resolution.winner.location.line == 5
    (config,) = resolution.shadowed
    assert config.location.line == 4


def test_a_source_profile_with_a_key_id_but_no_secret(tmp_path: Path) -> None:
    # botocore takes a source profile with any static key as static credentials, even
    # when it also names a role: the missing secret is the error, not the role.
    config = (
        f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}\ncredential_source = Environment\n"
    )
    assert _role_failure(tmp_path, config, "[b]\naws_access_key_id = K\n") == (
        "PartialCredentialsError: aws_secret_access_key is missing"
    )


def test_a_source_profile_ignores_the_environment(tmp_path: Path) -> None:
    # The web identity variables would fail for the source profile if it read them.
    env = _home(
        tmp_path,
        config=f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n",
        credentials="[b]\naws_access_key_id = K\naws_secret_access_key = s\n",
    )
    env.update({"AWS_PROFILE": "r", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"})
    resolution = _resolve(env)
    assert resolution.winner is not None
    assert resolution.winner.method == "assume-role"
    assert resolution.winner.profile == "r"


def test_a_role_with_a_credential_source_says_so(tmp_path: Path) -> None:
    env = _home(
        tmp_path, config=f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n"
    )
    env.update({"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    winner = resolve(gather(env, "r")).winner
    assert winner is not None
    assert winner.details == {"role_arn": ROLE, "credential_source": "Environment"}
    assert winner.profile == "r"


def test_gather_remembers_which_variable_chose_each_file(tmp_path: Path) -> None:
    env = _home(tmp_path)
    env["AWS_CONFIG_FILE"] = str(tmp_path / "c")
    ctx = gather(env)
    assert (ctx.config.path, ctx.config.env_var) == (str(tmp_path / "c"), "AWS_CONFIG_FILE")
    assert (ctx.credentials.path, ctx.credentials.env_var) == (
        f"{tmp_path}/.aws/credentials",
        None,
    )
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "k")
    assert gather(env).credentials.env_var == "AWS_SHARED_CREDENTIALS_FILE"


def test_a_huge_sso_cache_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"expiresAt": "2030-01-01T00:00:00Z", "pad": "x" * (3 << 19)}))
    assert read_sso_token_expiry(str(path)) == (
        None,
        "cached SSO token unreadable (JSONDecodeError)",
    )


def test_process_program_on_the_default_path_and_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _process_error("sh -c true", {}) is None  # PATH unset: os.defpath has /bin
    tool = tmp_path / "creds"
    tool.write_text("#!/bin/sh\n")
    os.chmod(tool, 0o755)
    monkeypatch.chdir(tmp_path)
    assert _process_error("creds", {"PATH": f"{os.pathsep}/nonexistent"}) is None
    assert _process_error("creds", {"PATH": "/nonexistent"}) == (
        "FileNotFoundError: credential_process program 'creds' not found"
    )


def test_ec2_credentials_file_expands_the_home_only(tmp_path: Path) -> None:
    (tmp_path / "ec2").write_text(f"AWSAccessKeyId={KEY}\nAWSSecretKey=s\n")
    env = {"HOME": str(tmp_path), "AWS_CREDENTIAL_FILE": "~/ec2"}
    found = _ec2_credentials_file(env)
    assert found is not None
    assert found.details == {"path": f"{tmp_path}/ec2"}
    assert found.access_key_id == KEY
    env["AWS_CREDENTIAL_FILE"] = "$HOME/ec2"
    missing = _ec2_credentials_file(env)
    assert missing is not None
    assert missing.method == "ec2-credentials-file"
    assert missing.location == Location(kind="env", key="AWS_CREDENTIAL_FILE")
    assert missing.details == {"path": "$HOME/ec2"}
    assert missing.error == "ConfigNotFound: AWS_CREDENTIAL_FILE $HOME/ec2 cannot be read"


def test_boto_config_in_the_home_folder(tmp_path: Path) -> None:
    (tmp_path / ".boto").write_text(
        f"[Credentials]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    winner = _resolve(env).winner
    assert winner is not None
    assert winner.method == "boto-config"
    assert winner.details == {"path": f"{tmp_path}/.boto"}


def test_an_unparsable_boto_config_stops_the_chain(tmp_path: Path) -> None:
    boto = tmp_path / "boto.cfg"
    boto.write_text("[Credentials\n")
    env = _home(tmp_path)
    env["BOTO_CONFIG"] = str(boto)
    resolution = _resolve(env)
    assert resolution.failure == f"ConfigParseError: Unable to parse config file: {boto}"
    (failed,) = resolution.shadowed
    assert failed.method == "boto-config"
    assert failed.location == Location(kind="file", path=str(boto), key="aws_access_key_id")


# -- login (aws login) --------------------------------------------------------------------------


def _login_env(tmp_path: Path) -> dict[str, str]:
    return _home(tmp_path, config="[default]\nregion = x\nlogin_session = arn:aws:iam::1:user/u\n")


def test_login_without_the_crt_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "awscrt" else real(name, *a)
    )
    resolution = _resolve(_login_env(tmp_path))
    assert resolution.failure == (
        "MissingDependencyException: the login credential provider needs botocore[crt] "
        "(pip install 'botocore[crt]')"
    )
    (login,) = resolution.shadowed
    assert login.method == "login"
    assert login.profile == "default"
    assert login.details == {"login_session": "arn:aws:iam::1:user/u"}
    assert (login.location.path, login.location.line, login.location.key) == (
        f"{tmp_path}/.aws/config",
        3,
        "login_session",
    )


def _with_crt(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if botocore[crt] were installed: only the lookup of awscrt is answered."""
    import importlib.machinery
    import importlib.util

    real = importlib.util.find_spec
    spec = importlib.machinery.ModuleSpec("awscrt", None)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: spec if name == "awscrt" else real(name, *a)
    )


def test_login_needs_a_cached_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_crt(monkeypatch)
    env = _login_env(tmp_path)
    assert _resolve(env).failure == "LoginTokenLoadError: no cached login session (run `aws login`)"
    digest = hashlib.sha256(b"arn:aws:iam::1:user/u").hexdigest()
    cache = tmp_path / ".aws" / "login" / "cache"
    cache.mkdir(parents=True)
    (cache / f"{digest}.json").write_text("{}")
    winner = _resolve(env).winner
    assert winner is not None and winner.method == "login" and winner.error is None
    # AWS_LOGIN_CACHE_DIRECTORY moves the cache
    env["AWS_LOGIN_CACHE_DIRECTORY"] = str(tmp_path / "elsewhere")
    assert _resolve(env).failure == "LoginTokenLoadError: no cached login session (run `aws login`)"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / f"{digest}.json").write_text("{}")
    assert _resolve(env).failure is None


def test_a_source_profile_with_only_a_secret_has_no_credentials(tmp_path: Path) -> None:
    # Any static key makes botocore read the source profile's own providers (not its
    # role); a secret alone gives none of them credentials.
    config = (
        f"[profile r]\nrole_arn = {ROLE}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}\ncredential_source = Environment\n"
    )
    assert _role_failure(tmp_path, config, "[b]\naws_secret_access_key = s\n") == (
        'InvalidConfigError: the source profile "b" must have credentials (r -> b)'
    )
