"""Differential test: keydoctor's credential chain against botocore's, setup by setup.

Each generated setup is a real HOME with real files and a real environment. botocore
(``botocore.session.Session(profile=flag).get_credentials()``) is the reference: for
every setup, keydoctor's ``gather`` + ``resolve`` must reach the same outcome:

* both succeed with the same ``method``, the same key id, secret and session token for
  static keys, the same role chain for an assumed role (every ``role_arn`` from the
  outermost in, then the source provider and its key id), and the same region,
* or both fail with the same exception class (botocore raises; keydoctor reports a
  ``failure`` that starts with that class name),
* or both find nothing, in the same region (botocore returns ``None``; keydoctor has no
  winner and no failure).

Providers that fetch later (assume-role, SSO, web identity, container, process) have no
keys to compare offline: botocore does not call STS or SSO until the keys are used, so
no network is touched; their method, role chain and region are compared. Container
credentials come from a tiny HTTP server on 127.0.0.1 serving the documented
container-credentials JSON; instance metadata is disabled.
``credential_process`` runs a real command (this Python printing valid JSON): keydoctor
never runs it offline, so only commands that succeed are generated.

Generation is deterministic (``random.Random`` with a fixed seed over the dimensions
below, plus an exhaustive product of the core dimensions), so a failure always
reproduces; the failing setup is printed in full.
"""

from __future__ import annotations

import http.server
import itertools
import json
import os
import random
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

botocore_session = pytest.importorskip("botocore.session")

from keydoctor.audit import effective_region, run_audit  # noqa: E402
from keydoctor.model import CredentialSource, Severity  # noqa: E402
from keydoctor.sources.chain import (  # noqa: E402
    Environment,
    _container_source,
    _has_static_keys,
    _is_role_profile,
    _profile_sources,
    env_source,
    gather,
    resolve,
)

SEED = 20261125
RANDOM_SETUPS = 1200

# Distinct, recognisable fake keys per place, so a wrong winner shows in the key too.
KEYS = {
    "env": ("AKIAENVXXXXXXXXXXXX1", "envSecretEnvSecretEnvSecretEnvSecret0001"),
    "creds:default": ("AKIACREDDEFAULTXXXX2", "credSecretDefaultcredSecretDefault000002"),
    "creds:dev": ("AKIACREDDEVXXXXXXXX3", "credSecretDevcredSecretDevcredSecret0003"),
    "creds:src": ("AKIACREDSRCXXXXXXXX4", "credSecretSrccredSecretSrccredSecret0004"),
    "conf:default": ("AKIACONFDEFAULTXXXX5", "confSecretDefaultconfSecretDefault000005"),
    "conf:dev": ("AKIACONFDEVXXXXXXXX6", "confSecretDevconfSecretDevconfSecret0006"),
    "conf:src": ("AKIACONFSRCXXXXXXXX7", "confSecretSrcconfSecretSrcconfSecret0007"),
    "process": ("ASIAPROCESSXXXXXXXX8", "procSecretprocSecretprocSecretprocSec008"),
    "container": ("ASIACONTAINERXXXXXX9", "contSecretcontSecretcontSecretcontSec009"),
}
TOKEN = "FwoGZXIvYXdzEXAMPLETOKENvalue" * 3
OTHER_TOKEN = "IQoJb3JpZ2luX2VjOTHERSESSIONtoken" * 3  # a second token: which one wins?
STATIC_METHODS = {"env", "shared-credentials-file", "config-file"}
ROLE_METHODS = {"assume-role", "assume-role-with-web-identity"}

# What a profile section may hold, in the credentials file and in the config file.
CREDS_KINDS = (
    "none", "static", "static_token", "static_security_token", "id_only", "secret_only",
    "empty_id", "role_src", "process", "wrong_header", "static_both_tokens",
    "static_empty_security_token",
)
CONFIG_KINDS = (
    "none", "static", "static_token", "static_both_tokens", "id_only", "secret_only",
    "region_only", "role_src", "role_src_missing",
    "role_self_static", "role_self_nostatic", "role_env", "role_ecs", "role_ec2", "role_bogus",
    "role_both", "role_none", "role_chain", "role_loop", "role_webid", "webid_norole",
    "sso_legacy", "sso_legacy_partial", "sso_session_ok", "sso_session_missing",
    "sso_session_conflict", "sso_start_url_only", "sso_role_only", "process",
    "process_and_static", "login", "process_missing", "process_unbalanced", "process_empty",
    "process_not_executable", "process_on_path",
)
SRC_KINDS = ("creds_static", "conf_static", "none", "id_only", "secret_only", "process",
             "sso", "role_env")
ENV_KEYS = ("none", "full", "full_token", "full_security", "id_only", "secret_only",
            "empty_id", "full_expiry", "token_only", "full_both_tokens",
            "full_empty_security_token")
SELECTIONS = ("none", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "both_vars", "flag",
              "flag_and_var", "empty_AWS_PROFILE", "empty_default_and_var")
TARGETS = ("default", "dev", "ghost", "src")
WEBID_ENV = ("none", "full", "token_only", "role_only", "empty_token")
CONTAINER_ENV = ("none", "loopback", "disallowed_host", "localhost_name")
FILE_MODES = ("normal", "via_env", "missing_via_env", "empty_env_var", "malformed",
              "empty_file", "directory", "nested_garbage", "duplicate_section", "bom", "crlf",
              "nul_bytes", "latin1", "symlink", "parent_is_file", "via_env_tilde",
              "via_env_dollar", "via_env_braces", "via_env_unknown_var")
LEGACY_ENV = ("none", "ec2_file", "ec2_file_no_secret", "ec2_file_missing", "ec2_file_no_key",
              "boto_config", "boto_config_partial", "boto_config_other", "boto_config_garbage",
              "home_boto")
CONTAINER_TOKEN = ("none", "token", "token_newline", "token_file", "token_file_missing")
HEADER_STYLES = ("profile", "bare")


@dataclass(frozen=True)
class Setup:
    """One generated situation; ``describe`` prints it when keydoctor disagrees."""

    env_keys: str = "none"
    selection: str = "none"
    target: str = "default"
    webid_env: str = "none"
    container_env: str = "none"
    container_token: str = "none"
    legacy_env: str = "none"
    creds_mode: str = "normal"
    config_mode: str = "normal"
    header_style: str = "profile"
    creds: tuple[tuple[str, str], ...] = ()  # (profile, kind) in the credentials file
    config: tuple[tuple[str, str], ...] = ()  # (profile, kind) in the config file
    src: str = "none"
    sso_session: bool = True
    raw_config: str = ""  # appended as written, for odd headers and keys
    raw_creds: str = ""

    def describe(self) -> str:
        return repr(self)


@dataclass
class Built:
    env: dict[str, str]
    flag: str | None
    files: dict[str, str] = field(default_factory=dict)


class _ContainerHandler(http.server.BaseHTTPRequestHandler):
    """Serves the container-credentials document as ECS documents it."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        key, secret = KEYS["container"]
        body = json.dumps({
            "AccessKeyId": key,
            "SecretAccessKey": secret,
            "Token": TOKEN,
            "Expiration": "2099-01-01T00:00:00Z",
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def container_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ContainerHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2/credentials"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def process_command(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real credential_process: this Python printing the documented JSON (Version 1)."""
    key, secret = KEYS["process"]
    script = tmp_path_factory.mktemp("proc") / "creds.py"
    payload = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret,
               "SessionToken": TOKEN, "Expiration": "2099-01-01T00:00:00Z"}
    script.write_text(f"print({json.dumps(json.dumps(payload))})\n")
    return f"{sys.executable} -S -E {script}"


def _static_lines(place: str) -> list[str]:
    key, secret = KEYS[place]
    return [f"aws_access_key_id = {key}", f"aws_secret_access_key = {secret}"]


def _creds_section(profile: str, kind: str, proc: str) -> list[str]:
    place = f"creds:{profile}" if f"creds:{profile}" in KEYS else "creds:dev"
    key, secret = KEYS[place]
    header = f"[{profile}]"
    body: list[str]
    if kind == "none":
        return []
    if kind == "static":
        body = _static_lines(place)
    elif kind == "static_token":
        body = _static_lines(place) + [f"aws_session_token = {TOKEN}"]
    elif kind == "static_security_token":
        body = _static_lines(place) + [f"aws_security_token = {TOKEN}"]
    elif kind == "static_both_tokens":
        body = _static_lines(place) + [
            f"aws_session_token = {TOKEN}",
            f"aws_security_token = {OTHER_TOKEN}",
        ]
    elif kind == "static_empty_security_token":
        body = _static_lines(place) + ["aws_security_token =", f"aws_session_token = {TOKEN}"]
    elif kind == "id_only":
        body = [f"aws_access_key_id = {key}"]
    elif kind == "secret_only":
        body = [f"aws_secret_access_key = {secret}"]
    elif kind == "empty_id":
        body = ["aws_access_key_id =", f"aws_secret_access_key = {secret}"]
    elif kind == "role_src":
        body = ["role_arn = arn:aws:iam::123456789012:role/fromcreds", "source_profile = src"]
    elif kind == "process":
        body = [f"credential_process = {proc}"]
    elif kind == "wrong_header":
        header = f"[profile {profile}]"
        body = _static_lines(place)
    else:  # pragma: no cover - generation bug
        raise AssertionError(kind)
    return [header, *body, ""]


def _config_body(profile: str, kind: str, proc: str) -> list[str]:
    place = f"conf:{profile}" if f"conf:{profile}" in KEYS else "conf:dev"
    key, secret = KEYS[place]
    role = "role_arn = arn:aws:iam::123456789012:role/r"
    sso = ["sso_start_url = https://corp.awsapps.com/start", "sso_region = us-east-1",
           "sso_account_id = 123456789012", "sso_role_name = Admin"]
    table: dict[str, list[str]] = {
        "static": _static_lines(place),
        "static_token": [*_static_lines(place), f"aws_session_token = {TOKEN}"],
        "static_both_tokens": [
            *_static_lines(place),
            f"aws_session_token = {TOKEN}",
            f"aws_security_token = {OTHER_TOKEN}",
        ],
        "id_only": [f"aws_access_key_id = {key}"],
        "secret_only": [f"aws_secret_access_key = {secret}"],
        "region_only": ["region = eu-west-1"],
        "role_src": [role, "source_profile = src"],
        "role_src_missing": [role, "source_profile = nowhere"],
        "role_self_static": [role, f"source_profile = {profile}", *_static_lines(place)],
        "role_self_nostatic": [role, f"source_profile = {profile}"],
        "role_env": [role, "credential_source = Environment"],
        "role_ecs": [role, "credential_source = EcsContainer"],
        "role_ec2": [role, "credential_source = Ec2InstanceMetadata"],
        "role_bogus": [role, "credential_source = environment"],
        "role_both": [role, "source_profile = src", "credential_source = Environment"],
        "role_none": [role],
        "role_chain": [role, "source_profile = chain"],
        "role_loop": [role, "source_profile = loop"],
        "role_webid": [role, "web_identity_token_file = /nonexistent/token"],
        "webid_norole": ["web_identity_token_file = /nonexistent/token"],
        "sso_legacy": sso,
        "sso_legacy_partial": sso[:1] + sso[2:],
        "sso_session_ok": ["sso_session = corp", *sso[2:]],
        "sso_session_missing": ["sso_session = elsewhere", *sso[2:]],
        "sso_session_conflict": ["sso_session = corp", "sso_region = eu-west-1", *sso[2:]],
        "sso_start_url_only": sso[:2],
        "sso_role_only": sso[3:],
        "process": [f"credential_process = {proc}"],
        "process_and_static": [f"credential_process = {proc}", *_static_lines(place)],
        "login": ["login_session = arn:aws:iam::123456789012:user/someone"],
        "process_missing": ["credential_process = /nonexistent/bin/creds --json"],
        "process_unbalanced": [f"credential_process = {proc} 'unterminated"],
        "process_empty": ["credential_process ="],
        "process_not_executable": [f"credential_process = {proc.split()[-1]}"],
        "process_on_path": ["credential_process = kd-no-such-helper-on-path --profile x"],
    }
    return table[kind]


def _config_header(profile: str, style: str) -> str:
    if profile == "default":
        return "[profile default]" if style == "bare_default" else "[default]"
    return f"[profile {profile}]" if style == "profile" else f"[{profile}]"


def build(setup: Setup, home: Path, proc: str, container_url: str) -> Built:
    """Write the setup's files under ``home`` and return its environment and flag."""
    env: dict[str, str] = {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true",
                           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)

    ek, es = KEYS["env"]
    env_table: dict[str, dict[str, str]] = {
        "none": {},
        "full": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es},
        "full_token": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es,
                       "AWS_SESSION_TOKEN": TOKEN},
        "full_security": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es,
                          "AWS_SECURITY_TOKEN": TOKEN},
        "id_only": {"AWS_ACCESS_KEY_ID": ek},
        "secret_only": {"AWS_SECRET_ACCESS_KEY": es},
        "empty_id": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": es},
        "full_expiry": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es,
                        "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"},
        "token_only": {"AWS_SESSION_TOKEN": TOKEN},
        "full_both_tokens": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es,
                             "AWS_SESSION_TOKEN": TOKEN, "AWS_SECURITY_TOKEN": OTHER_TOKEN},
        "full_empty_security_token": {"AWS_ACCESS_KEY_ID": ek, "AWS_SECRET_ACCESS_KEY": es,
                                      "AWS_SESSION_TOKEN": TOKEN, "AWS_SECURITY_TOKEN": ""},
    }
    env.update(env_table[setup.env_keys])

    flag: str | None = None
    target = setup.target
    other = "dev" if target != "dev" else "default"
    sel = setup.selection
    if sel == "AWS_PROFILE":
        env["AWS_PROFILE"] = target
    elif sel == "AWS_DEFAULT_PROFILE":
        env["AWS_DEFAULT_PROFILE"] = target
    elif sel == "both_vars":
        env["AWS_DEFAULT_PROFILE"] = target
        env["AWS_PROFILE"] = other
    elif sel == "flag":
        flag = target
    elif sel == "flag_and_var":
        flag = target
        env["AWS_PROFILE"] = other
    elif sel == "empty_AWS_PROFILE":
        env["AWS_PROFILE"] = ""
    elif sel == "empty_default_and_var":
        env["AWS_DEFAULT_PROFILE"] = ""
        env["AWS_PROFILE"] = target

    token_file = home / "webid-token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.e30.signature")
    webid_table: dict[str, dict[str, str]] = {
        "none": {},
        "full": {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
                 "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/web"},
        "token_only": {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)},
        "role_only": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/web"},
        "empty_token": {"AWS_WEB_IDENTITY_TOKEN_FILE": "",
                        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/web"},
    }
    env.update(webid_table[setup.webid_env])

    if setup.container_env == "loopback":
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container_url
    elif setup.container_env == "disallowed_host":
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://metadata.example.invalid/creds"
    elif setup.container_env == "localhost_name":
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container_url.replace("127.0.0.1",
                                                                          "localhost")
    token_path = home / "container-token"
    if setup.container_token == "token":
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Basic container-auth"
    elif setup.container_token == "token_newline":
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Basic container\r\nX-Injected: 1"
    elif setup.container_token == "token_file":
        token_path.write_text("Basic from-file")
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_path)
    elif setup.container_token == "token_file_missing":
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(home / "no-such-token")

    _legacy(setup.legacy_env, home, env)

    # credentials file
    creds_lines: list[str] = []
    for profile, kind in setup.creds:
        creds_lines += _creds_section(profile, kind, proc)
    if setup.src == "creds_static":
        creds_lines += ["[src]", *_static_lines("creds:src"), ""]
    elif setup.src == "id_only":
        creds_lines += ["[src]", f"aws_access_key_id = {KEYS['creds:src'][0]}", ""]
    elif setup.src == "secret_only":
        creds_lines += ["[src]", f"aws_secret_access_key = {KEYS['creds:src'][1]}", ""]

    # config file
    conf_lines: list[str] = []
    written: set[str] = set()
    for profile, kind in setup.config:
        if kind == "none":
            continue
        conf_lines += [_config_header(profile, setup.header_style),
                       *_config_body(profile, kind, proc), ""]
        written.add(profile)
    src_table: dict[str, list[str]] = {
        "conf_static": _static_lines("conf:src"),
        "process": [f"credential_process = {proc}"],
        "sso": ["sso_session = corp", "sso_account_id = 123456789012",
                "sso_role_name = Admin"],
        "role_env": ["role_arn = arn:aws:iam::123456789012:role/src",
                     "credential_source = Environment"],
    }
    if setup.src in src_table:
        conf_lines += ["[profile src]", *src_table[setup.src], ""]
    elif setup.src == "none":
        conf_lines += ["[profile src]", "region = us-west-2", ""]
    conf_lines += ["[profile chain]", "role_arn = arn:aws:iam::123456789012:role/chain",
                   "source_profile = src", ""]
    loop_back = setup.target if setup.target != "ghost" else "dev"
    conf_lines += ["[profile loop]", "role_arn = arn:aws:iam::123456789012:role/loop",
                   f"source_profile = {loop_back}", ""]
    if setup.sso_session:
        conf_lines += ["[sso-session corp]", "sso_start_url = https://corp.awsapps.com/start",
                       "sso_region = us-east-1", ""]

    if setup.raw_config:
        conf_lines.append(setup.raw_config)
    if setup.raw_creds:
        creds_lines.append(setup.raw_creds)
    built = Built(env=env, flag=flag)
    _place_file(setup.creds_mode, "credentials", "AWS_SHARED_CREDENTIALS_FILE", creds_lines,
                aws, home, env)
    _place_file(setup.config_mode, "config", "AWS_CONFIG_FILE", conf_lines, aws, home, env)
    return built


def _legacy(mode: str, home: Path, env: dict[str, str]) -> None:
    """The two oldest providers: the EC2 tools' key file and a boto 2 config."""
    key, secret = KEYS["creds:src"]
    ec2 = home / "ec2-creds"
    boto = home / "boto.cfg"
    if mode == "ec2_file":
        ec2.write_text(f"AWSAccessKeyId={key}\nAWSSecretKey={secret}\n")
        env["AWS_CREDENTIAL_FILE"] = str(ec2)
    elif mode == "ec2_file_no_secret":
        ec2.write_text(f"AWSAccessKeyId={key}\n")
        env["AWS_CREDENTIAL_FILE"] = str(ec2)
    elif mode == "ec2_file_missing":
        env["AWS_CREDENTIAL_FILE"] = str(home / "no-ec2-creds")
    elif mode == "ec2_file_no_key":
        ec2.write_text("something else\n")
        env["AWS_CREDENTIAL_FILE"] = str(ec2)
    elif mode == "boto_config":
        boto.write_text(f"[Credentials]\naws_access_key_id = {key}\n"
                        f"aws_secret_access_key = {secret}\n")
        env["BOTO_CONFIG"] = str(boto)
    elif mode == "boto_config_partial":
        boto.write_text(f"[Credentials]\naws_access_key_id = {key}\n")
        env["BOTO_CONFIG"] = str(boto)
    elif mode == "boto_config_other":
        boto.write_text("[Boto]\ndebug = 0\n")
        env["BOTO_CONFIG"] = str(boto)
    elif mode == "boto_config_garbage":
        boto.write_text("no section header\n")
        env["BOTO_CONFIG"] = str(boto)
    elif mode == "home_boto":
        (home / ".boto").write_text(f"[Credentials]\naws_access_key_id = {key}\n"
                                    f"aws_secret_access_key = {secret}\n")


def _place_file(mode: str, name: str, var: str, lines: list[str], aws: Path, home: Path,
                env: dict[str, str]) -> None:
    text = "\n".join(lines) + "\n"
    default_path = aws / name
    if mode == "normal":
        default_path.write_text(text)
    elif mode == "via_env":
        custom = home / f"custom-{name}"
        custom.write_text(text)
        env[var] = str(custom)
    elif mode == "missing_via_env":
        default_path.write_text(text)  # present, but the variable points elsewhere
        env[var] = str(home / f"missing-{name}")
    elif mode == "empty_env_var":
        default_path.write_text(text)
        env[var] = ""
    elif mode == "malformed":
        default_path.write_text("aws_access_key_id = AKIAORPHANXXXXXXXXXX\n" + text)
    elif mode == "empty_file":
        default_path.write_text("")
    elif mode == "directory":
        default_path.mkdir()
    elif mode == "nested_garbage":
        default_path.write_text(text + "[profile nested]\ns3 =\n  no equals sign here\n")
    elif mode == "duplicate_section":
        default_path.write_text(text + text)
    elif mode == "bom":
        default_path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    elif mode == "crlf":
        default_path.write_bytes(text.replace("\n", "\r\n").encode())
    elif mode == "nul_bytes":
        default_path.write_bytes(text.encode() + b"# \x00\x00 trailing binary\n")
    elif mode == "latin1":
        default_path.write_bytes(text.encode() + "# caf\u00e9\n".encode("latin-1"))
    elif mode == "symlink":
        real = home / f"real-{name}"
        real.write_text(text)
        default_path.symlink_to(real)
    elif mode.startswith("via_env_"):
        custom = home / f"custom-{name}"
        custom.write_text(text)
        env[var] = {
            "via_env_tilde": f"~/custom-{name}",
            "via_env_dollar": f"$HOME/custom-{name}",
            "via_env_braces": f"${{HOME}}/custom-{name}",
            "via_env_unknown_var": f"$KD_UNSET_VARIABLE/custom-{name}",
        }[mode]
    elif mode == "parent_is_file":
        blocker = home / f"blocker-{name}"
        blocker.write_text("not a folder")
        env[var] = str(blocker / name)
    else:  # pragma: no cover - generation bug
        raise AssertionError(mode)


Outcome = tuple[Any, ...]


def _terminal(method: str, key: str | None) -> tuple[str, ...]:
    """The end of a role chain: the provider, and the key id where it is static."""
    return (method, key or "") if method in STATIC_METHODS else (method,)


def _botocore_roles(creds: Any) -> tuple[Any, ...]:
    """The role ARNs botocore will assume, outermost first, then the source it starts from.

    botocore prepares every hop at once (only the STS calls wait), so the fetchers behind
    the deferred credentials hold the whole chain: each one's ``_role_arn`` and, for
    ``source_profile`` hops, its ``_source_credentials``.
    """
    hops: list[Any] = []
    current = creds
    while current is not None and current.method in ROLE_METHODS:
        fetcher = current._refresh_using.__self__
        hops.append(fetcher._role_arn)
        current = getattr(fetcher, "_source_credentials", None)
    if current is not None and current is not creds:
        # Static sources are plain Credentials; reading a refreshable one's key would fetch.
        key = current.access_key if current.method in STATIC_METHODS else None
        hops.append(_terminal(current.method, key))
    return tuple(hops)


def botocore_outcome(built: Built) -> Outcome:
    """What the SDK does: botocore's own session, in exactly this environment.

    Success: the method; the key id, secret and token of static keys; the role chain of
    an assumed role; the region. Failure: the class of the exception botocore raises.
    """
    with mock.patch.dict(os.environ, built.env, clear=True):
        try:
            session = botocore_session.Session(profile=built.flag)
            creds = session.get_credentials()
        except Exception as exc:  # any exception is "the SDK call fails"
            return ("error", type(exc).__name__)
        try:
            region = session.get_config_variable("region")
        except Exception as exc:
            region = f"error {type(exc).__name__}"
    if creds is None:
        return ("none", region)
    if creds.method in STATIC_METHODS:
        # the private attributes avoid triggering a refresh of RefreshableCredentials
        key = getattr(creds, "_access_key", None) or creds.access_key
        secret = getattr(creds, "_secret_key", None) or creds.secret_key
        token = getattr(creds, "_token", None) or creds.token
        return ("ok", creds.method, key, secret, token or None, (), region)
    return ("ok", creds.method, None, None, None, _botocore_roles(creds), region)


def _keydoctor_roles(environment: Environment, winner: CredentialSource) -> tuple[Any, ...]:
    """The same chain from keydoctor's resolution: the winner's role, then its sources."""
    if winner.method == "assume-role-with-web-identity":
        return (winner.details["role_arn"],)
    if winner.method != "assume-role":
        return ()
    hops: list[Any] = []
    profile = winner.profile or ""
    seen: set[str] = set()
    while profile not in seen:
        seen.add(profile)
        cfg = environment.profiles[profile]
        hops.append(cfg["role_arn"])
        source = cfg.get("source_profile")
        if source is None:
            found = {
                "Environment": env_source(environment.env),
                "EcsContainer": _container_source(environment.env),
            }.get(str(cfg.get("credential_source")))
            if found is not None:
                hops.append(_terminal(found.method, found.access_key_id))
            break
        source_cfg = environment.profiles[source]
        if _has_static_keys(source_cfg) or not _is_role_profile(source_cfg):
            first = _profile_sources(environment, source, use_env=False)[0]
            hops.append(_terminal(first.method, first.access_key_id))
            break
        profile = source
    return tuple(hops)


def keydoctor_outcome(built: Built) -> Outcome:
    """What keydoctor says, offline, from the same environment."""
    environment = gather(dict(built.env), built.flag)
    resolution = resolve(environment)
    if resolution.failure is not None:
        return ("error", resolution.failure.split(":", 1)[0])
    region = effective_region(environment, None)[0]
    winner = resolution.winner
    if winner is None:
        return ("none", region)
    if winner.method in STATIC_METHODS:
        secret = winner.secret_access_key.reveal() if winner.secret_access_key else None
        token = winner.session_token.reveal() if winner.session_token else None
        return ("ok", winner.method, winner.access_key_id or "", secret, token, (), region)
    return ("ok", winner.method, None, None, None, _keydoctor_roles(environment, winner), region)


def _pick_profiles(rng: random.Random, kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((p, rng.choice(kinds)) for p in ("default", "dev"))


def generate() -> list[Setup]:
    """Deterministic setups: an exhaustive core product, then seeded random mixtures."""
    setups: list[Setup] = []
    # Core product: every env-key shape x every way of choosing a profile x target,
    # over one representative file layout (dev in both files).
    for env_keys, selection, target in itertools.product(ENV_KEYS, SELECTIONS, TARGETS):
        setups.append(Setup(env_keys=env_keys, selection=selection, target=target,
                            creds=(("default", "static"), ("dev", "static")),
                            config=(("default", "static"), ("dev", "role_src")),
                            src="creds_static"))
    # Every config kind and every credentials kind for the chosen profile, explicitly.
    for kind, selection in itertools.product(CONFIG_KINDS, ("none", "AWS_PROFILE", "flag")):
        for target in ("default", "dev"):
            setups.append(Setup(selection=selection, target=target, config=((target, kind),),
                                src="creds_static"))
    for kind, selection in itertools.product(CREDS_KINDS, ("none", "AWS_PROFILE", "flag")):
        for target in ("default", "dev"):
            setups.append(Setup(selection=selection, target=target, creds=((target, kind),),
                                src="creds_static"))
    # The providers after the profile ones, reached when no profile offers anything.
    for legacy, container, token in itertools.product(LEGACY_ENV, CONTAINER_ENV,
                                                      CONTAINER_TOKEN):
        setups.append(Setup(legacy_env=legacy, container_env=container,
                            container_token=token, src="none"))
    # Every way a file can be odd, for both files, with keys in each.
    for creds_mode, config_mode in itertools.product(FILE_MODES, FILE_MODES):
        setups.append(Setup(selection="AWS_PROFILE", target="dev", creds_mode=creds_mode,
                            config_mode=config_mode, creds=(("dev", "static"),),
                            config=(("default", "static"), ("dev", "static"))))
    # Headers and keys as people really write them; the profile asked for is "team dev"
    # or "dev".
    key, secret = KEYS["conf:dev"]
    odd_sections = (
        f'[profile "team dev"]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n',
        f"[profile team dev]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
        f"[ profile dev]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
        f"[profiledev]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
        f"[profile dev]\nAWS_ACCESS_KEY_ID = {key}\nAWS_Secret_Access_Key = {secret}\n",
        f"[profile dev]\naws_access_key_id: {key}\naws_secret_access_key: {secret}\n",
        f"[profile dev]\naws_access_key_id = {key} # note\naws_secret_access_key={secret}\n",
        f"[profile dev]\naws_access_key_id =\n  {key}\naws_secret_access_key = {secret}\n",
        f"[profile dev]\nregion = us-east-1\n[profile dev ]\naws_access_key_id = {key}\n",
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = dev\n"
        f"aws_access_key_id = {key}\n",
        "[profile dev]\nsso_account_id = 123456789012\nsso_session = corp\n"
        "sso_role_name = Admin\nsso_start_url = https://other.awsapps.com/start\n",
        "[profile dev]\nweb_identity_token_file = /nowhere\nrole_arn =\n",
        "[profile dev]\ncredential_process =\n",
        "[default]\nregion = eu-west-1\n[profile default]\n"
        f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
    )
    for raw, target, selection in itertools.product(
        odd_sections, ("dev", "team dev", "default"), ("AWS_PROFILE", "flag", "none")
    ):
        setups.append(Setup(selection=selection, target=target, raw_config=raw,
                            src="creds_static"))
        setups.append(Setup(selection=selection, target=target, env_keys="secret_only",
                            raw_creds=raw.replace("[profile ", "["), src="none"))
    rng = random.Random(SEED)
    for _ in range(RANDOM_SETUPS):
        setups.append(Setup(
            env_keys=rng.choice(ENV_KEYS),
            selection=rng.choices(SELECTIONS, weights=(3, 3, 2, 2, 3, 2, 1, 1))[0],
            target=rng.choices(TARGETS, weights=(4, 4, 1, 1))[0],
            webid_env=rng.choice(WEBID_ENV) if rng.random() < 0.3 else "none",
            container_env=rng.choice(CONTAINER_ENV) if rng.random() < 0.3 else "none",
            container_token=rng.choice(CONTAINER_TOKEN) if rng.random() < 0.2 else "none",
            legacy_env=rng.choice(LEGACY_ENV) if rng.random() < 0.25 else "none",
            creds_mode=rng.choice(FILE_MODES) if rng.random() < 0.12 else "normal",
            config_mode=rng.choice(FILE_MODES) if rng.random() < 0.12 else "normal",
            header_style=rng.choice(HEADER_STYLES),
            creds=_pick_profiles(rng, CREDS_KINDS),
            config=_pick_profiles(rng, CONFIG_KINDS),
            src=rng.choice(SRC_KINDS),
            sso_session=rng.random() < 0.8,
        ))
    return setups


def test_chain_matches_botocore(
    tmp_path: Path, process_command: str, container_url: str
) -> None:
    setups = generate()
    disagreements: list[str] = []
    silent: list[str] = []
    seen_outcomes: set[Outcome] = set()
    tokens: set[str | None] = set()
    chains: set[int] = set()
    regions: set[str | None] = set()
    for number, setup in enumerate(setups):
        home = tmp_path / f"s{number}" / "home"
        built = build(setup, home, process_command, container_url)
        expected = botocore_outcome(built)
        actual = keydoctor_outcome(built)
        seen_outcomes.add(expected[:2])
        if expected[0] == "ok":
            tokens.add(expected[4])
            chains.add(len(expected[5]))
            regions.add(expected[6])
        if expected[0] in ("error", "none"):
            # The SDK would fail: keydoctor must say so with a finding that fails the run.
            audit = run_audit(profile=built.flag, environ=dict(built.env))
            if not any(f.severity >= Severity.HIGH for f in audit.findings):
                silent.append(f"{setup.describe()} botocore={expected}")
        # Outcomes agree on kind, method, key for static keys, and on the class of the
        # exception botocore raises (keydoctor's failure starts with that class name).
        if expected != actual:
            disagreements.append(
                f"{setup.describe()}\n    flag={built.flag!r} "
                f"env={ {k: v for k, v in built.env.items() if k.startswith('AWS_')} }\n"
                f"    botocore={expected} keydoctor={actual}"
            )
    print(f"\ncompared {len(setups)} setups with botocore; {len(disagreements)} disagreements; "
          f"{len(seen_outcomes)} distinct botocore outcomes")
    assert len(setups) >= 1000
    # The generator must reach every kind of outcome, or the comparison proves little.
    methods = {o[1] for o in seen_outcomes if o[0] == "ok"}
    assert {"env", "shared-credentials-file", "config-file", "assume-role", "sso",
            "custom-process", "assume-role-with-web-identity", "container-role",
            "ec2-credentials-file", "boto-config"} <= methods
    assert any(o[0] == "error" for o in seen_outcomes)
    # ... and every value compared must vary, or its comparison proves little too.
    assert {None, TOKEN, OTHER_TOKEN} <= tokens
    assert {0, 2, 3} <= chains  # no role; role + source; role + role + source
    assert {None, "eu-west-1"} <= regions
    assert any(o[0] == "none" for o in seen_outcomes)
    assert not disagreements, "\n".join(disagreements[:15])
    assert not silent, f"{len(silent)} failing setups without a high finding:\n" + "\n".join(
        silent[:10]
    )

