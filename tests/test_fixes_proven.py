"""Every fix keydoctor prints is right: proven by carrying it out and checking again.

For each rule whose declared fix is not a manual step, a setup builds the failing case in
a throwaway HOME; ``keydoctor check`` (offline, or online against the moto server for a
live rule) must report the code; the fix **as printed** in the JSON finding's ``fix`` field
is run with a shell in that HOME (the command before the commentary, see
:func:`keydoctor.shell.runnable_part`), and ``check`` runs again in the same shell (so an
``export`` or ``unset`` counts): the finding must be gone, and online the probe it was
about must now pass. A rule with such a fix and no proof here fails the completeness test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from keydoctor.checks.base import FixKind
from keydoctor.lab.emulator import Emulator
from keydoctor.registry import every_rule
from keydoctor.shell import runnable_part

KEY_ID = "AKIAY34FZKBOKMUTVV7A"
SECRET = "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"
KEYS = f"aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
REGION = "[default]\nregion = us-east-1\n"
# A person's answers to aws configure: key id, secret, region, output format.
TYPED = f"{KEY_ID[:-1]}B\nZx4Vb8Nm2Lk6Jh0Gf3Dd5Sa7Qw9Er1Ty3Ui5Op7A\nus-east-1\njson\n"
# The folder of this interpreter holds the `keydoctor` and `aws` commands the fixes name.
BIN = str(Path(sys.executable).parent)


@dataclass
class Setup:
    """A failing case: the shared files (text, mode), the ~/.aws mode, variables, flags."""

    credentials: str | bytes | None = f"[default]\n{KEYS}"
    config: str | None = REGION
    modes: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    online: bool = False
    # What a person types at the prompts of an interactive fix (aws configure).
    answers: str = ""


def _s(**kwargs: Any) -> Callable[[Emulator | None], Setup]:
    return lambda _server: Setup(**kwargs)


def _bucket_in_other_region(server: Emulator | None, *, env_region: bool = False) -> Setup:
    """KD702, online: the profile (or AWS_DEFAULT_REGION) says us-east-1, the bucket lives
    in eu-west-1."""
    assert server is not None
    bucket = f"kd-proof-{uuid.uuid4().hex[:10]}"
    server.create_bucket(bucket, "eu-west-1")
    keys = server.create_user(
        f"proof-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
                # s3:* on its bucket: moto asks for an "s3:HeadBucket" right where AWS asks
                # for s3:ListBucket, and the proof is about the region, not the policy.
                {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}"},
            ],
        },
    )
    return Setup(
        credentials=(
            f"[default]\naws_access_key_id = {keys.access_key_id}\n"
            f"aws_secret_access_key = {keys.secret_access_key}\n"
        ),
        config=None if env_region else REGION,
        env={"AWS_DEFAULT_REGION": "us-east-1"} if env_region else {},
        args=["--endpoint-url", server.endpoint, "--bucket", bucket],
        online=True,
    )


# (code, what the setup is, how to build it). One row at least per rule whose fix is a
# command, a config edit or a keydoctor fix.
PROOFS: list[tuple[str, str, Callable[[Emulator | None], Setup]]] = [
    (
        "KD101",
        "a blank inside the secret in the credentials file",
        _s(
            credentials=f"[default]\naws_access_key_id = {KEY_ID}\n"
            f"aws_secret_access_key = {SECRET[:20]} {SECRET[20:]}\n"
        ),
    ),
    (
        "KD102",
        "quotes around the secret in the credentials file",
        _s(
            credentials=f"[default]\naws_access_key_id = {KEY_ID}\n"
            f'aws_secret_access_key = "{SECRET}"\n'
        ),
    ),
    (
        "KD103",
        "a zero-width space inside the key id in the credentials file",
        _s(
            credentials=f"[default]\naws_access_key_id = {KEY_ID[:8]}\u200b{KEY_ID[8:]}\n"
            f"aws_secret_access_key = {SECRET}\n"
        ),
    ),
    (
        "KD201",
        "environment keys win over AWS_PROFILE=dev, which has keys of its own",
        _s(
            credentials=f"[dev]\n{KEYS}",
            env={
                "AWS_PROFILE": "dev",
                "AWS_ACCESS_KEY_ID": KEY_ID[:-1] + "B",
                "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        ),
    ),
    (
        "KD202",
        "AWS_PROFILE names a profile that exists nowhere (aws configure asks for the keys)",
        _s(env={"AWS_PROFILE": "prod"}, answers=TYPED),
    ),
    (
        "KD203",
        "an empty HOME: no credentials anywhere (aws configure asks for the keys)",
        _s(credentials=None, config=None, env={"AWS_DEFAULT_REGION": "us-east-1"}, answers=TYPED),
    ),
    (
        "KD209",
        "a profile with misspelt key names only (aws configure asks for the keys)",
        _s(
            credentials=f"[default]\naws_access_key = {KEY_ID}\naws_secret_key = {SECRET}\n",
            answers=TYPED,
        ),
    ),
    (
        "KD205",
        "keys kept in the config file only",
        _s(credentials=None, config=f"[default]\nregion = us-east-1\n{KEYS}"),
    ),
    (
        "KD207",
        "AWS_PROFILE and AWS_DEFAULT_PROFILE name different profiles",
        _s(
            credentials=f"[default]\n{KEYS}\n[dev]\n{KEYS}",
            config=REGION + "\n[profile dev]\nregion = us-east-1\n",
            env={"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "default"},
        ),
    ),
    (
        "KD210",
        "AWS_PROFILE=dev, and its keys under [profile dev] in the credentials file",
        _s(
            credentials=f"[profile dev]\n{KEYS}",
            config=REGION,
            env={"AWS_PROFILE": "dev"},
        ),
    ),
    (
        "KD301",
        "[profile ci] in the credentials file, not the profile in use",
        _s(credentials=f"[default]\n{KEYS}\n[profile ci]\n{KEYS}"),
    ),
    (
        "KD302",
        "[dev] without 'profile ' in the config file",
        _s(config=REGION + "\n[dev]\nregion = eu-west-1\n"),
    ),
    (
        "KD303",
        "the [default] section twice, with the same keys",
        _s(credentials=f"[default]\n{KEYS}\n[default]\n{KEYS}"),
    ),
    (
        "KD502",
        "a session token in the environment beside a long-term AKIA key",
        _s(
            credentials=None,
            env={
                "AWS_ACCESS_KEY_ID": KEY_ID,
                "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr" + "x" * 40,
            },
        ),
    ),
    ("KD304", "the credentials file readable by everyone", _s(modes={"credentials": 0o644})),
    ("KD305", "Windows line endings", _s(credentials=f"[default]\n{KEYS}".replace("\n", "\r\n"))),
    ("KD306", "a byte-order mark", _s(credentials="\ufeff" + f"[default]\n{KEYS}")),
    (
        "KD309",
        "trailing blanks after the secret in the file",
        _s(
            credentials=f"[default]\naws_access_key_id = {KEY_ID}\n"
            f"aws_secret_access_key = {SECRET}   \n"
        ),
    ),
    ("KD312", "the config file writable by everyone", _s(modes={"config": 0o666})),
    ("KD313", "~/.aws writable by everyone", _s(modes={"aws": 0o777})),
    (
        "KD314",
        "a tab before aws_access_key_id folds it into the region above",
        _s(
            credentials=f"[default]\nregion = us-east-1\n\taws_access_key_id = {KEY_ID}\n"
            f"aws_secret_access_key = {SECRET}\n",
            config=None,
        ),
    ),
    ("KD401", "no region anywhere", _s(config=None)),
    ("KD402", "a region written with underscores", _s(config="[default]\nregion = us_east_1\n")),
    (
        "KD402",
        "a malformed region in the credentials file, whose settings win (a config edit)",
        _s(credentials=f"[default]\n{KEYS}region = us_east_1\n"),
    ),
    ("KD403", "a region no partition has", _s(config="[default]\nregion = us-east-7\n")),
    (
        "KD404",
        "AWS_REGION and AWS_DEFAULT_REGION disagree",
        _s(config=None, env={"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}),
    ),
    (
        "KD405",
        "AWS_ENDPOINT_URL points at a local store",
        _s(env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}),
    ),
    (
        "KD405",
        "a [services local] section sends S3 to a local store, other services to AWS",
        _s(
            config="[default]\nregion = us-east-1\nservices = local\n[services local]\n"
            "s3 =\n  endpoint_url = http://127.0.0.1:9000\n",
        ),
    ),
    (
        "KD409",
        "a local endpoint while HTTP_PROXY is set and NO_PROXY names other hosts",
        _s(
            env={
                "AWS_ENDPOINT_URL": "http://localhost:9000",
                "HTTP_PROXY": "http://proxy.example.com:3128",
                "NO_PROXY": ".example.com",
            }
        ),
    ),
    (
        "KD409",
        "an in-network endpoint in the profile, lower-case https_proxy and no_proxy",
        _s(
            config="[default]\nregion = us-east-1\nendpoint_url = https://10.1.2.3:9000\n",
            env={"https_proxy": "http://proxy.example.com:3128", "no_proxy": "localhost"},
        ),
    ),
    (
        "KD507",
        "a role session name with a space",
        _s(
            config=REGION + "[profile ops]\nrole_arn = arn:aws:iam::111122223333:role/ops\n"
            "source_profile = default\nrole_session_name = jane doe\n",
            args=["--profile", "ops"],
        ),
    ),
    (
        "KD507",
        "a chained role asking for two hours",
        _s(
            config=REGION + "[profile ops]\nrole_arn = arn:aws:iam::111122223333:role/ops\n"
            "source_profile = default\n[profile app]\nrole_arn = arn:aws:iam::111122223333:"
            "role/app\nsource_profile = ops\nduration_seconds = 7200\n",
            args=["--profile", "app"],
        ),
    ),
    (
        "KD508",
        "sso_session = crop while the section is [sso-session corp]",
        _s(
            credentials=None,
            config=REGION + "[profile sso]\nsso_session = crop\nsso_account_id = 123456789012\n"
            "sso_role_name = ReadOnly\n[sso-session corp]\n"
            "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
            args=["--profile", "sso"],
        ),
    ),
    (
        "KD510",
        "the profile's legacy sso_start_url differs from its sso-session's",
        _s(
            credentials=None,
            config=REGION + "[profile sso]\nsso_session = corp\n"
            "sso_start_url = https://old.awsapps.com/start\nsso_account_id = 123456789012\n"
            "sso_role_name = ReadOnly\n[sso-session corp]\n"
            "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
            args=["--profile", "sso"],
        ),
    ),
    (
        "KD419",
        "use_fips_endpoint in a profile whose region has no FIPS endpoints",
        _s(config="[default]\nregion = eu-west-1\nuse_fips_endpoint = true\n"),
    ),
    (
        "KD419",
        "AWS_USE_DUALSTACK_ENDPOINT in a partition without dual-stack endpoints",
        _s(
            config="[default]\nregion = eu-isoe-west-1\n",
            env={"AWS_USE_DUALSTACK_ENDPOINT": "true"},
        ),
    ),
    (
        "KD518",
        "credential_source = Ec2InstanceMetadata while AWS_EC2_METADATA_DISABLED=true",
        _s(
            config=REGION + "[profile ec2]\nrole_arn = arn:aws:iam::111122223333:role/ec2\n"
            "credential_source = Ec2InstanceMetadata\nregion = us-east-1\n",
            env={"AWS_EC2_METADATA_DISABLED": "true"},
            args=["--profile", "ec2"],
        ),
    ),
    (
        "KD407",
        "only AWS_REGION, which boto3 ignores",
        _s(config=None, env={"AWS_REGION": "eu-west-1"}),
    ),
    (
        "KD702",
        "the bucket in another region than the profile's (online, moto)",
        _bucket_in_other_region,
    ),
    (
        "KD702",
        "the bucket in another region than AWS_DEFAULT_REGION (online, moto)",
        lambda server: _bucket_in_other_region(server, env_region=True),
    ),
]


def _build(setup: Setup, env: dict[str, str]) -> dict[str, str]:
    home = Path(env["HOME"])
    aws = home / ".aws"
    for name in ("credentials", "config"):
        content = getattr(setup, name)
        if content is None:
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        (aws / name).write_bytes(data)
        os.chmod(aws / name, setup.modes.get(name, 0o600))
    if "aws" in setup.modes:
        os.chmod(aws, setup.modes["aws"])
    return {**env, **setup.env, "PATH": BIN + os.pathsep + env.get("PATH", "")}


# How a config edit is printed: "Edit PATH line N to read: KEY = VALUE".
CONFIG_EDIT = re.compile(
    r"Edit (?P<path>/\S+) line (?P<line>\d+) to read: (?P<key>\w+) = (?P<value>\S+)"
)


def _apply_edit(path: Path, line: int, setting: str) -> None:
    """Carry out a printed config edit as a person would in an editor: that line, replaced."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = setting + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _check_command(setup: Setup) -> list[str]:
    mode = [] if setup.online else ["--offline"]
    return [sys.executable, "-m", "keydoctor", "check", *mode, "--format", "json", *setup.args]


def _findings(stdout: str, code: str) -> list[dict[str, Any]]:
    return [f for f in json.loads(stdout)["findings"] if f["code"] == code]


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Emulator | None:
    """The moto server, only for the rows that need it (the others stay offline)."""
    code = str(request.node.callspec.params["code"])
    if code[2] in "679":  # a live rule
        return request.getfixturevalue("moto_server")  # type: ignore[no-any-return]
    return None


@pytest.mark.parametrize(
    ("code", "what", "build"), PROOFS, ids=[f"{code}-{i}" for i, (code, _, _) in enumerate(PROOFS)]
)
def test_printed_fix_repairs_the_finding(
    code: str,
    what: str,
    build: Callable[[Emulator | None], Setup],
    server: Emulator | None,
    clean_env: dict[str, str],
) -> None:
    setup = build(server)
    env = _build(setup, clean_env)
    home = env["HOME"]
    before = subprocess.run(
        _check_command(setup), env=env, capture_output=True, text=True, timeout=120, cwd=home
    )
    assert "Traceback" not in before.stderr, before.stderr
    found = _findings(before.stdout, code)
    assert found, f"{what}: {code} not reported; stdout: {before.stdout[:2000]}"
    printed = found[0]["fix"]
    assert SECRET not in before.stdout + before.stderr
    step = runnable_part(printed)
    remedy = every_rule()[code].remedy
    if remedy.kind is FixKind.KEYDOCTOR_FIX and step.startswith("keydoctor "):
        # Exactly the flags it needs: --apply, and --unsafe only where the fix is unsafe.
        words = shlex.split(step)
        assert words[:3] == ["keydoctor", "fix", remedy.fix_name], printed
        assert "--apply" in words and ("--unsafe" in words) == remedy.unsafe, printed
    edit = CONFIG_EDIT.fullmatch(step)
    if edit is not None:
        # A config edit: the named line of the named file gets the printed setting.
        _apply_edit(Path(edit["path"]), int(edit["line"]), f"{edit['key']} = {edit['value']}")
        step = ":"
    else:
        # A command: its first word is a program on PATH or a shell builtin, not prose.
        first = shlex.split(step)[0]
        assert first in ("export", "unset") or shutil.which(first, path=env["PATH"]), printed
    # The printed step, literally (its own output aside), then the same check again in the
    # same shell, so that an export or unset it makes counts.
    script = f"set -e\n{{\n{step}\n}} 1>&2\n{shlex.join(_check_command(setup))} || true\n"
    after = subprocess.run(
        script,
        shell=True,
        env=env,
        input=setup.answers,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=home,
    )
    assert after.returncode == 0, f"{step!r} failed: {after.stderr[-2000:]}"
    assert "Traceback" not in after.stderr, after.stderr
    assert _findings(after.stdout, code) == [], f"{step!r} left {code}: {after.stdout[:2000]}"
    assert SECRET not in after.stdout + after.stderr
    if setup.online:
        document = json.loads(after.stdout)
        bucket = setup.args[setup.args.index("--bucket") + 1]
        region_probes = [p for p in document["probes"] if bucket in p["name"]]
        outcomes = {p["name"]: p["outcome"] for p in region_probes}
        assert outcomes and set(outcomes.values()) == {"ok"}, outcomes
        assert document["region_used"] == document["bucket_regions"][bucket]


def test_every_fix_that_is_not_manual_has_a_proof() -> None:
    """Adding a rule with a command, config edit or keydoctor fix needs a row above."""
    proven = {code for code, _, _ in PROOFS}
    needs_proof = {c for c, r in every_rule().items() if r.remedy.kind is not FixKind.MANUAL}
    assert needs_proof - proven == set(), "rules whose printed fix no test carries out"
    assert proven - needs_proof == set(), "proofs of rules that declare a manual fix"


def test_stray_token_in_a_file_is_deleted_not_set_again(clean_env: dict[str, str]) -> None:
    """Issue group 5: beside an AKIA key, a token in the credentials file must go; the fix
    once said "remove" and then printed how to set it. In a file it is a manual step."""
    env = _build(
        Setup(credentials=f"[default]\n{KEYS}aws_session_token = FwoGZXIvYXdz\n"), clean_env
    )
    proc = subprocess.run(
        _check_command(Setup()), env=env, capture_output=True, text=True, timeout=120
    )
    (finding,) = _findings(proc.stdout, "KD502")
    assert finding["fix"].startswith("Delete the aws_session_token line of [default] in ")
    assert "<value>" not in finding["fix"] and "configure set" not in finding["fix"]


def test_a_printed_fix_is_the_step_then_its_commentary() -> None:
    from keydoctor.checks.base import Remedy, keydoctor_fix

    assert runnable_part("chmod 600 '/a b/credentials'   (or edit it)") == (
        "chmod 600 '/a b/credentials'"
    )
    assert runnable_part("unset AWS_DEFAULT_PROFILE") == "unset AWS_DEFAULT_PROFILE"
    # Values reach the command quoted: a bucket name cannot run code.
    assert keydoctor_fix("set-region").invocation("--bucket", "$(id)") == (
        "keydoctor fix set-region --bucket '$(id)' --apply"
    )
    assert keydoctor_fix("tidy", unsafe=True).invocation().endswith("--apply --unsafe")
    with pytest.raises(ValueError):
        Remedy(FixKind.KEYDOCTOR_FIX)
    with pytest.raises(ValueError):
        Remedy(FixKind.COMMAND, "tidy")
