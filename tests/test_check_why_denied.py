"""``keydoctor check`` explains a live denial with the full evaluator, on the moto server.

Moto enforces identity policies only (a bucket policy is stored, never enforced, and a
statement with a Condition is treated as a refusal whatever the context). So in each
scenario the caller's own policies do not allow the request either, and moto denies it;
AWS would deny it too, for the reason AWS's evaluation logic puts first, and that is the
reason keydoctor must name: an explicit Deny in the bucket policy, a bucket policy that
allows only another principal, a Deny that applies because the request is not HTTPS, an
Allow whose ``s3:prefix`` condition the request does not meet.
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

ACCOUNT = "123456789012"
READ_OWN = {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
            "Resource": "*"}


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _check(moto: Emulator, env: dict[str, str], keys: Keys, *args: str) -> tuple[int, Any]:
    env = dict(env, AWS_ACCESS_KEY_ID=keys.access_key_id,
               AWS_SECRET_ACCESS_KEY=keys.secret_access_key)
    done = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--format", "json", "--endpoint-url",
         moto.endpoint, "--region", "us-east-1", *args],
        env=env, capture_output=True, text=True, timeout=90,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert keys.secret_access_key not in done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def _user(moto: Emulator, *statements: dict[str, Any]) -> Keys:
    return moto.create_user(_name("why"), {"Version": "2012-10-17",
                                           "Statement": [READ_OWN, *statements]})


def _bucket(moto: Emulator) -> str:
    bucket = _name("kd-why")
    moto.create_bucket(bucket, "us-east-1")
    moto.client("s3").put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"a,b")
    return bucket


def _list_and_read(bucket: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketPolicy"],
            "Resource": f"arn:aws:s3:::{bucket}"}


def _finding(doc: Any, probe: str) -> dict[str, Any]:
    found = [f for f in doc["findings"] if f["explanation"].startswith(probe)]
    assert found, [f["explanation"] for f in doc["findings"]]
    return found[0]  # type: ignore[no-any-return]


def test_explicit_deny_in_the_bucket_policy_is_named(moto_server: Emulator,
                                                      clean_env: dict[str, str]) -> None:
    bucket = _bucket(moto_server)
    moto_server.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "NoReports", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/reports/*"}]}))
    keys = _user(moto_server, _list_and_read(bucket))
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["code"] == "KD705" and finding["category"] == "explicit-deny"
    assert f'the bucket policy of {bucket}, statement "NoReports"' in finding["explanation"]
    assert doc["diagnosis"]["category"] == "explicit-deny"


def test_missing_allow_names_the_bucket_policy_statement_for_another_principal(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket = _bucket(moto_server)
    moto_server.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "OnlyPartner", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/partner"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    keys = _user(moto_server, _list_and_read(bucket))
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["category"] == "permission-missing"
    assert ('The bucket policy allows it only to other principals (statement "OnlyPartner" '
            f"of the bucket policy of {bucket})") in finding["explanation"]
    assert '"Action": "s3:GetObject"' in finding["fix"]


def test_a_deny_for_plain_http_names_the_condition(moto_server: Emulator,
                                                    clean_env: dict[str, str]) -> None:
    bucket = _bucket(moto_server)
    moto_server.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    keys = _user(moto_server, _list_and_read(bucket))
    # The moto server speaks plain HTTP: aws:SecureTransport is false for these requests.
    assert moto_server.endpoint.startswith("http://")
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["code"] == "KD705"
    assert f'the bucket policy of {bucket}, statement "TlsOnly"' in finding["explanation"]
    assert 'It applies because Bool aws:SecureTransport ["false"] held' in \
        finding["explanation"]


@pytest.mark.parametrize("key", [None, "other/"])
def test_an_s3_prefix_condition_names_the_statement_and_what_it_wanted(
    moto_server: Emulator, clean_env: dict[str, str], key: str | None
) -> None:
    bucket = _bucket(moto_server)
    keys = _user(moto_server, {"Effect": "Allow", "Action": "s3:GetBucketPolicy",
                               "Resource": f"arn:aws:s3:::{bucket}"})
    moto_server.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "HomeOnly", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{keys.user}"},
            "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": "home/*"}}}]}))
    args = ["--bucket", bucket] + (["--key", key] if key else [])
    code, doc = _check(moto_server, clean_env, keys, *args)
    assert code == 1
    finding = _finding(doc, f"s3:ListObjectsV2 {bucket}")
    assert finding["code"] == "KD704"
    had = f"s3:prefix={key}" if key else "no s3:prefix"
    assert (f"Statement HomeOnly of the bucket policy of {bucket} would allow it if "
            f'StringLike s3:prefix ["home/*"] (the request has {had})') in \
        finding["explanation"], finding["explanation"]


# -- the permissions boundary --------------------------------------------------------------
# moto keeps a role's permissions boundary (CreateRole/GetRole) but not a user's (5.2.5:
# GetUser answers without one and PutUserPermissionsBoundary fails), and it enforces no
# boundary. So the role session's own Allow writes the action in lower case: AWS matches
# action names without regard to case ("Action ... values are case-insensitive") and would
# allow it by identity; moto matches them case-sensitively and refuses it. The boundary is
# what AWS would deny by, and what must be named.

def _assumed_role_env(moto: Emulator, env: dict[str, str], role_policy: dict[str, Any],
                      boundary: dict[str, Any]) -> tuple[dict[str, str], str, str]:
    iam = moto.client("iam")
    assert moto.admin is not None
    admin = moto.admin.user
    role = _name("why-role")
    boundary_arn = iam.create_policy(PolicyName=_name("bound"),
                                     PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
    iam.create_role(RoleName=role, PermissionsBoundary=boundary_arn,
                    AssumeRolePolicyDocument=json.dumps({
                        "Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{admin}"}}]}))
    iam.put_role_policy(RoleName=role, PolicyName="role-policy",
                        PolicyDocument=json.dumps(role_policy))
    creds = moto.client("sts").assume_role(  # as the admin, whom the role trusts
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="diagnose")["Credentials"]
    env = dict(env, AWS_SESSION_TOKEN=creds["SessionToken"])
    keys = Keys(role, creds["AccessKeyId"], creds["SecretAccessKey"])
    return dict(env, AWS_ACCESS_KEY_ID=keys.access_key_id,
                AWS_SECRET_ACCESS_KEY=keys.secret_access_key), role, boundary_arn


def test_a_role_sessions_boundary_is_named_as_the_deciding_layer(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket = _bucket(moto_server)
    role_policy = {"Version": "2012-10-17", "Statement": [
        READ_OWN, _list_and_read(bucket),
        {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:getobject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Reads", "Effect": "Allow",
         "Action": ["iam:Get*", "iam:List*", "sts:GetCallerIdentity", "s3:ListBucket",
                    "s3:GetBucketPolicy"], "Resource": "*"}]}
    env, role, boundary_arn = _assumed_role_env(moto_server, clean_env, role_policy, boundary)
    keys = Keys(role, env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    code, doc = _check(moto_server, env, keys, "--bucket", bucket, "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["category"] == "permission-missing"
    name = f"the permissions boundary {boundary_arn.rsplit('/', 1)[-1]} of role {role}"
    assert finding["explanation"].startswith(
        f"s3:HeadObject {bucket}/reports/q1.csv was denied by the permissions boundary: "
        f'inline policy role-policy of role {role}, statement "ReadReports" allows '
        f"s3:GetObject on arn:aws:s3:::{bucket}/reports/q1.csv, but {name} does not"
    ), finding["explanation"]
    assert finding["fix"] == (
        'Add to the permissions boundary: {"Effect": "Allow", "Action": "s3:GetObject", '
        f'"Resource": "arn:aws:s3:::{bucket}/reports/q1.csv"}} ({name})'
    )
    assert env["AWS_SESSION_TOKEN"] not in json.dumps(doc)


def test_an_unreadable_boundary_is_said_never_assumed_absent(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket = _bucket(moto_server)
    # Every read of its own policies but iam:GetUser, which is where the boundary shows.
    keys = moto_server.create_user(_name("why"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*",
         "Action": ["iam:List*", "iam:GetUserPolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
                    "iam:GetGroupPolicy", "sts:GetCallerIdentity"]},
        _list_and_read(bucket)]})
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["category"] == "permission-missing"
    assert ("Could not read the permissions boundary: it could change the answer "
            "(iam:GetUser was refused") in finding["explanation"], finding["explanation"]


# -- the KMS key of SSE-KMS objects --------------------------------------------------------
# moto keeps KMS keys, key policies and buckets' default SSE-KMS encryption, but enforces no
# key policy. As above, the caller's S3 Allow writes the action in lower case so that AWS
# would allow it by IAM and moto refuses it; what AWS would then refuse by is the key.

def _kms_bucket(moto: Emulator) -> tuple[str, str]:
    assert moto.admin is not None
    key_arn = moto.client("kms").create_key(Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "KeyAdmins", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{moto.admin.user}"},
            "Action": "kms:*", "Resource": "*"}]}))["KeyMetadata"]["Arn"]
    bucket = _name("kd-kms")
    moto.create_bucket(bucket, "us-east-1")
    s3 = moto.client("s3")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": key_arn}}]})
    s3.put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"a,b")
    return bucket, key_arn


def _kms_reader(moto: Emulator, bucket: str, *kms_actions: str) -> Keys:
    return _user(moto, _list_and_read(bucket),
                 {"Effect": "Allow", "Action": "s3:GetEncryptionConfiguration",
                  "Resource": f"arn:aws:s3:::{bucket}"},
                 {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:getobject",
                  "Resource": f"arn:aws:s3:::{bucket}/*"},
                 {"Sid": "UseKeys", "Effect": "Allow", "Action": list(kms_actions),
                  "Resource": "*"})


def test_a_key_policy_that_does_not_let_iam_count_is_named_with_the_statement_to_add(
    moto_server: Emulator, clean_env: dict[str, str], tmp_path: Path
) -> None:
    bucket, key_arn = _kms_bucket(moto_server)
    # The caller's own policy allows kms:Decrypt, but the key policy names only the key's
    # admins and not the account: AWS then lets no IAM policy grant the key.
    keys = _kms_reader(moto_server, bucket, "kms:GetKeyPolicy", "kms:DescribeKey",
                       "kms:Decrypt")
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["category"] == "permission-missing"
    assert finding["title"] == "The KMS key policy does not allow kms:Decrypt"
    explanation = finding["explanation"]
    assert explanation.startswith(
        f"s3:HeadObject {bucket}/reports/q1.csv was denied by the object's KMS key: inline "
        f'policy {keys.user}-policy of user {keys.user}, statement "ReadReports" allows '
        f"s3:GetObject on arn:aws:s3:::{bucket}/reports/q1.csv, but S3 must also call "
        f"kms:Decrypt as the caller on KMS key {key_arn}"), explanation
    assert ("the KMS key policy neither allows kms:Decrypt on "
            f"{key_arn} nor lets IAM policies grant it") in explanation
    assert finding["fix"] == (
        'Add to the KMS key policy: {"Effect": "Allow", "Principal": {"AWS": '
        f'"arn:aws:iam::{ACCOUNT}:user/{keys.user}"}}, "Action": "kms:Decrypt", '
        f'"Resource": "{key_arn}"}}')
    probes = {p["name"]: p for p in doc["probes"]}
    assert probes[f"kms:GetKeyPolicy {key_arn}"]["answer"] == "read"

    # Offline, the same documents give the same answer: both build the KMS half one way.
    key_file, own_file = tmp_path / "key.json", tmp_path / "own.json"
    key_file.write_text(moto_server.client("kms").get_key_policy(
        KeyId=key_arn, PolicyName="default")["Policy"])
    own_file.write_text(json.dumps(moto_server.client("iam").get_user_policy(
        UserName=keys.user, PolicyName=f"{keys.user}-policy")["PolicyDocument"]))
    offline = subprocess.run(
        [sys.executable, "-m", "keydoctor", "policy", "simulate", "--format", "json",
         "--action", "s3:GetObject", "--resource", f"arn:aws:s3:::{bucket}/reports/q1.csv",
         "--principal", f"arn:aws:iam::{ACCOUNT}:user/{keys.user}",
         "--identity-policy", str(own_file), "--kms-key-policy", str(key_file),
         "--context", f"s3:x-amz-server-side-encryption-aws-kms-key-id={key_arn}"],
        env=clean_env, capture_output=True, text=True, timeout=60)
    assert offline.returncode == 1, offline.stderr
    answer = json.loads(offline.stdout)
    assert (answer["decision"], answer["deciding"]["layer"]) == ("implicit-deny",
                                                                 "kms-key-policy")
    assert "Add" + answer["change"][len("add"):] == finding["fix"]


def test_an_unreadable_key_policy_is_said_to_decide_possibly(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket, key_arn = _kms_bucket(moto_server)
    keys = _kms_reader(moto_server, bucket, "kms:DescribeKey")
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert (f"Depends on the KMS key policy of key {key_arn}, which keydoctor could not read "
            "(kms:GetKeyPolicy was refused") in finding["explanation"], finding["explanation"]


def test_a_write_names_kms_generate_data_key_on_the_buckets_default_key(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket, key_arn = _kms_bucket(moto_server)
    keys = _user(moto_server, _list_and_read(bucket),
                 {"Effect": "Allow", "Action": "s3:GetEncryptionConfiguration",
                  "Resource": f"arn:aws:s3:::{bucket}"},
                 {"Sid": "Write", "Effect": "Allow", "Action": "s3:putobject",
                  "Resource": f"arn:aws:s3:::{bucket}/*"},
                 {"Effect": "Allow", "Action": "kms:GetKeyPolicy", "Resource": "*"})
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket, "--write-test")
    assert code == 1
    finding = _finding(doc, f"s3:PutObject {bucket}")
    assert finding["title"] == "The KMS key policy does not allow kms:GenerateDataKey"
    assert f"S3 must also call kms:GenerateDataKey as the caller on KMS key {key_arn}" in \
        finding["explanation"]
    assert '"Action": "kms:GenerateDataKey"' in finding["fix"]


def test_a_grant_for_the_caller_keeps_the_key_policy_from_being_blamed(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    # The key policy names only the key's admins, as above, but a grant gives the caller
    # kms:Decrypt: AWS's grants allow on their own, so the key is not the refusal.
    bucket, key_arn = _kms_bucket(moto_server)
    keys = _kms_reader(moto_server, bucket, "kms:GetKeyPolicy", "kms:DescribeKey",
                       "kms:ListGrants", "kms:Decrypt")
    grant_id = moto_server.client("kms").create_grant(
        KeyId=key_arn, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/{keys.user}",
        Operations=["Decrypt", "DescribeKey"])["GrantId"]
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["title"] != "The KMS key policy does not allow kms:Decrypt", finding
    assert (f"Grant {grant_id} on KMS key {key_arn} lets the caller call kms:Decrypt, so the "
            "key does not refuse.") in finding["explanation"], finding["explanation"]
    probes = {p["name"]: p for p in doc["probes"]}
    assert probes[f"kms:ListGrants {key_arn}"]["answer"] == (
        f"grant {grant_id} allows kms:Decrypt")


def test_a_grant_only_for_someone_else_leaves_the_key_policy_named(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket, key_arn = _kms_bucket(moto_server)
    keys = _kms_reader(moto_server, bucket, "kms:GetKeyPolicy", "kms:DescribeKey",
                       "kms:ListGrants", "kms:Decrypt")
    moto_server.client("kms").create_grant(
        KeyId=key_arn, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/someone-else",
        Operations=["Decrypt"])
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["title"] == "The KMS key policy does not allow kms:Decrypt"
    probes = {p["name"]: p for p in doc["probes"]}
    assert probes[f"kms:ListGrants {key_arn}"]["answer"] == (
        "1 grant(s), none lets the caller call kms:Decrypt")


def test_grants_that_cannot_be_listed_are_said_to_possibly_allow(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket, key_arn = _kms_bucket(moto_server)
    keys = _kms_reader(moto_server, bucket, "kms:GetKeyPolicy", "kms:DescribeKey",
                       "kms:Decrypt")
    code, doc = _check(moto_server, clean_env, keys, "--bucket", bucket,
                       "--key", "reports/q1.csv")
    assert code == 1
    finding = _finding(doc, f"s3:HeadObject {bucket}/reports/q1.csv")
    assert finding["title"] == "The KMS key policy does not allow kms:Decrypt"
    assert (f"A grant on key {key_arn} could still allow kms:Decrypt: keydoctor could not "
            "list the grants (kms:ListGrants was refused") in finding["explanation"], \
        finding["explanation"]
