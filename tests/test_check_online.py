"""``keydoctor check`` online, run as a user would (subprocess, fresh HOME), against the
real moto server with IAM authentication enforced.

Every scenario asserts the category of the diagnosis, the finding codes, and that no
secret value appears anywhere in the output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator, Keys


def run_check(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


def with_keys(
    env: dict[str, str], key_id: str, secret: str, token: str | None = None
) -> dict[str, str]:
    env = dict(env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    if token is not None:
        env["AWS_SESSION_TOKEN"] = token
    return env


def assert_no_secret(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret.strip() not in result.stdout
        assert secret.strip() not in result.stderr


def codes(doc: Any) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


READ_OWN_POLICIES = {
    "Effect": "Allow",
    "Action": ["iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
    "Resource": "*",
}


@pytest.fixture(scope="module")
def world(moto_server: Emulator) -> dict[str, Any]:
    """Buckets in two regions, one object, and users with and without rights."""
    home_bucket = name("kd-home")
    far_bucket = name("kd-far")
    moto_server.create_bucket(home_bucket, "us-east-1")
    moto_server.create_bucket(far_bucket, "eu-west-1")
    moto_server.client("s3").put_object(Bucket=home_bucket, Key="data/report.csv", Body=b"a,b")
    reader = moto_server.create_user(
        name("reader"),
        {
            "Version": "2012-10-17",
            "Statement": [
                READ_OWN_POLICIES,
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:ListAllMyBuckets", "s3:GetBucketLocation"],
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            ],
        },
    )
    no_list = moto_server.create_user(
        name("nolist"),
        {
            "Version": "2012-10-17",
            "Statement": [
                READ_OWN_POLICIES,
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{home_bucket}/*",
                },
            ],
        },
    )
    deny_get = moto_server.create_user(
        name("denyget"),
        {
            "Version": "2012-10-17",
            "Statement": [
                READ_OWN_POLICIES,
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {
                    "Sid": "NoReadsOfData",
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{home_bucket}/data/*",
                },
            ],
        },
    )
    return {
        "home": home_bucket,
        "far": far_bucket,
        "reader": reader,
        "no_list": no_list,
        "deny_get": deny_get,
    }


def test_healthy_user_has_no_diagnosis(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result, doc = run_check(
        env,
        "--endpoint-url",
        moto_server.endpoint,
        "--region",
        "us-east-1",
        "--bucket",
        world["home"],
        "--key",
        "data/report.csv",
    )
    assert result.returncode == 0, doc["findings"]
    assert doc["mode"] == "online"
    assert doc["diagnosis"] is None
    assert doc["identity"]["principal_type"] == "iam-user"
    assert doc["identity"]["arn"].endswith(f":user/{keys.user}")
    assert doc["identity"]["account"] == "123456789012"
    outcomes = {p["name"]: p["outcome"] for p in doc["probes"]}
    assert outcomes["sts:GetCallerIdentity"] == "ok"
    assert outcomes[f"s3:ListObjectsV2 {world['home']}"] == "ok"
    assert outcomes[f"s3:HeadObject {world['home']}/data/report.csv"] == "ok"
    assert outcomes["iam:ListAccessKeys"] == "ok"
    assert all(p["duration_ms"] >= 0 for p in doc["probes"])
    assert_no_secret(result, keys.secret_access_key)
    assert keys.access_key_id not in result.stdout  # only the masked form


def test_wrong_secret_is_secret_wrong(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    bad = keys.secret_access_key[:-4] + "AbCd"
    env = with_keys(clean_env, keys.access_key_id, bad)
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert result.returncode == 1
    assert doc["diagnosis"]["category"] == "secret-wrong"
    assert "KD611" in codes(doc)
    assert doc["identity"] is None
    assert_no_secret(result, bad, keys.secret_access_key)


def test_secret_with_trailing_space_names_the_space(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key + " ")
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert doc["diagnosis"]["category"] == "secret-wrong"
    assert any("whitespace" in e for e in doc["diagnosis"]["evidence"])
    assert_no_secret(result, keys.secret_access_key)


def test_unknown_key_is_key_id_wrong(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    secret = "k2Jd8Fh3Ls9Qw4Er7Ty1Ui6Op0As5Df2Gh8Jk3Lz"
    env = with_keys(clean_env, "AKIARZPUZDIKTYP0XYZ7", secret)
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert result.returncode == 1
    assert doc["diagnosis"]["category"] == "key-id-wrong"
    assert "KD610" in codes(doc)
    assert_no_secret(result, secret)


def test_deleted_key_is_key_id_wrong(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = moto_server.create_user(
        name("rotated"), {"Version": "2012-10-17", "Statement": [READ_OWN_POLICIES]}
    )
    moto_server.client("iam").delete_access_key(UserName=keys.user, AccessKeyId=keys.access_key_id)
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert doc["diagnosis"]["category"] == "key-id-wrong"
    sts = doc["probes"][0]
    assert sts["error"]["code"] == "InvalidClientTokenId"
    assert_no_secret(result, keys.secret_access_key)


def test_temporary_key_without_token_is_session_token(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    secret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
    env = with_keys(clean_env, "ASIAZ3EXAMPLEKEY1234", secret)
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert result.returncode == 1
    assert doc["diagnosis"]["category"] == "session-token"
    assert "AWS_SESSION_TOKEN" in doc["diagnosis"]["fix"]
    # the generic reading stays ranked, below
    assert "key-id-wrong" in [c["category"] for c in doc["causes"]]
    assert_no_secret(result, secret)


def test_env_keys_shadowing_profile_is_wrong_source(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    stale_secret = "oldoldoldoldEXAMPLEoldoldoldoldoldoldold"
    env = with_keys(clean_env, "AKIAOLDSTALEKEY00000", stale_secret)
    env["AWS_PROFILE"] = "dev"
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert doc["diagnosis"]["category"] == "wrong-source"
    assert "unset AWS_ACCESS_KEY_ID" in doc["diagnosis"]["fix"]
    assert_no_secret(result, keys.secret_access_key, stale_secret)


def test_profile_keys_are_used_with_profile_flag(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    env = with_keys(clean_env, "AKIAOLDSTALEKEY00000", "oldoldoldoldEXAMPLEoldoldoldoldoldoldold")
    result, doc = run_check(env, "--profile", "dev", "--endpoint-url", moto_server.endpoint)
    assert doc["identity"]["arn"].endswith(f":user/{keys.user}")
    assert_no_secret(result, keys.secret_access_key)


def test_missing_list_bucket_names_the_statement(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["no_list"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result, doc = run_check(
        env,
        "--endpoint-url",
        moto_server.endpoint,
        "--region",
        "us-east-1",
        "--bucket",
        world["home"],
        "--key",
        "data/report.csv",
    )
    assert result.returncode == 1
    diagnosis = doc["diagnosis"]
    assert diagnosis["category"] == "permission-missing"
    assert "KD704" in codes(doc)
    expected = json.dumps(
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{world['home']}"}
    )
    assert expected in diagnosis["fix"]
    outcomes = {p["name"]: p["outcome"] for p in doc["probes"]}
    assert outcomes[f"s3:HeadObject {world['home']}/data/report.csv"] == "ok"
    assert_no_secret(result, keys.secret_access_key)


def test_explicit_deny_on_get_object_names_policy_and_statement(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["deny_get"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result, doc = run_check(
        env,
        "--endpoint-url",
        moto_server.endpoint,
        "--region",
        "us-east-1",
        "--bucket",
        world["home"],
        "--key",
        "data/report.csv",
    )
    assert result.returncode == 1
    diagnosis = doc["diagnosis"]
    assert diagnosis["category"] == "explicit-deny"
    assert "NoReadsOfData" in diagnosis["explanation"]
    assert f"{keys.user}-policy" in diagnosis["explanation"]
    assert "KD705" in codes(doc)


def test_bucket_in_other_region_gives_exact_fix(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["reader"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint, "--bucket", world["far"])
    assert result.returncode == 1
    assert doc["diagnosis"]["category"] == "region-endpoint"
    assert "KD702" in codes(doc)
    assert "region_name='eu-west-1'" in doc["diagnosis"]["fix"]
    assert "AWS_REGION=eu-west-1" in doc["diagnosis"]["fix"]
    assert "REGION 'eu-west-1'" in doc["diagnosis"]["fix"]
    assert doc["bucket_regions"] == {world["far"]: "eu-west-1"}


def test_inactive_key_is_reported_from_iam(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    """moto still accepts an inactive key (AWS refuses it: see the replay test); the IAM
    probe sees its status and reports it."""
    keys = moto_server.create_user(
        name("inactive"), {"Version": "2012-10-17", "Statement": [READ_OWN_POLICIES]}
    )
    moto_server.client("iam").update_access_key(
        UserName=keys.user, AccessKeyId=keys.access_key_id, Status="Inactive"
    )
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result, doc = run_check(env, "--endpoint-url", moto_server.endpoint)
    assert "KD710" in codes(doc)
    assert doc["diagnosis"]["category"] == "key-id-wrong"


def test_write_test_leaves_nothing_behind(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    admin = moto_server.admin
    assert admin is not None
    env = with_keys(clean_env, admin.access_key_id, admin.secret_access_key)
    result, doc = run_check(
        env,
        "--endpoint-url",
        moto_server.endpoint,
        "--region",
        "us-east-1",
        "--bucket",
        world["home"],
        "--key",
        "tmp/",
        "--write-test",
    )
    put = next(p for p in doc["probes"] if p["name"].startswith("s3:PutObject"))
    assert put["outcome"] == "ok"
    listed = moto_server.client("s3").list_objects_v2(Bucket=world["home"], Prefix="tmp/")
    assert listed.get("KeyCount", 0) == 0


def test_text_output_shows_identity_probes_and_cause(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    keys: Keys = world["no_list"]
    env = with_keys(clean_env, keys.access_key_id, keys.secret_access_key)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "check",
            "--endpoint-url",
            moto_server.endpoint,
            "--region",
            "us-east-1",
            "--bucket",
            world["home"],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Identity (STS GetCallerIdentity)" in result.stdout
    assert "Most likely cause:" in result.stdout
    assert f"s3:ListObjectsV2 {world['home']}" in result.stdout
    assert_no_secret(result, keys.secret_access_key)


def test_offline_does_not_ask(clean_env: dict[str, str]) -> None:
    env = with_keys(clean_env, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # would fail loudly if asked
    result, doc = run_check(env, "--offline")
    assert doc["mode"] == "offline"
    assert "probes" not in doc


def test_key_without_bucket_is_usage_error(clean_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--key", "a"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--bucket" in result.stderr


def test_assumed_role_profile_and_its_policies(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    """A profile with role_arn: botocore's own session assumes the role (on the emulator,
    through AWS_ENDPOINT_URL), the probes run as the role, and a denial is explained from
    the role's inline policy. A role that does not trust the caller is trust-policy."""
    iam = moto_server.client("iam")
    base = moto_server.create_user(
        name("assumer"),
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        },
    )
    base_arn = f"arn:aws:iam::123456789012:user/{base.user}"

    def make_role(trusted: str) -> tuple[str, str]:
        role = name("role")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}
            ],
        }
        made = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=role,
            PolicyName="objects-only",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        READ_OWN_POLICIES,
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{world['home']}/*",
                        },
                    ],
                }
            ),
        )
        return role, str(made["Role"]["Arn"])

    role, arn = make_role(base_arn)
    _, stranger = make_role("arn:aws:iam::123456789012:user/someone-else")
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {base.access_key_id}\n"
        f"aws_secret_access_key = {base.secret_access_key}\n"
    )
    (home / ".aws" / "config").write_text(
        f"[profile app]\nrole_arn = {arn}\nsource_profile = base\nregion = us-east-1\n"
        f"[profile other]\nrole_arn = {stranger}\nsource_profile = base\n"
        "region = us-east-1\n"
    )
    env = dict(clean_env, AWS_ENDPOINT_URL=moto_server.endpoint)
    result, doc = run_check(
        env, "--profile", "app", "--endpoint-url", moto_server.endpoint, "--bucket", world["home"]
    )
    assert doc["credentials"]["winner"]["method"] == "assume-role"
    assert doc["identity"]["principal_type"] == "assumed-role"
    assert f":assumed-role/{role}/" in doc["identity"]["arn"]
    assert "iam:ListAccessKeys" not in [p["name"] for p in doc["probes"]]
    assert doc["diagnosis"]["category"] == "permission-missing"
    assert "KD704" in codes(doc)
    assert_no_secret(result, base.secret_access_key)

    result, doc = run_check(env, "--profile", "other", "--endpoint-url", moto_server.endpoint)
    assert doc["diagnosis"]["category"] == "trust-policy"
    assert "KD617" in codes(doc)
    assert_no_secret(result, base.secret_access_key)
