"""The probes against the real moto server (IAM authentication enforced).

Each test builds its own users, buckets and objects (names start with ``rs-``), runs
``keydoctor redshift`` as a user would (a subprocess with a clean HOME) against the
server's endpoint, and reads the JSON. moto checks the signature and evaluates the
user's IAM policy on every request, so a missing s3:ListBucket is a real AccessDenied.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator, Keys

READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
            "Resource": "*",
        }
    ],
}
GET_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
}
LIST_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "*"}],
}
WRITE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
            "Resource": "*",
        }
    ],
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def world(moto_server: Emulator) -> dict[str, Any]:
    """Two buckets (us-east-1 and us-west-2) with objects, and users of each kind."""
    east, west = unique("rs-east"), unique("rs-west")
    moto_server.create_bucket(east, "us-east-1")
    moto_server.create_bucket(west, "us-west-2")
    s3 = moto_server.client("s3")
    s3.put_object(Bucket=east, Key="tickit/sales_0000.txt", Body=b"1|2|3\n")
    s3.put_object(Bucket=east, Key="tickit/sales_0001.txt", Body=b"4|5|6\n")
    s3w = moto_server.client("s3", region="us-west-2")
    s3w.put_object(Bucket=west, Key="tickit/venue.txt", Body=b"a|b\n")
    manifest = {
        "entries": [
            {"url": f"s3://{east}/tickit/sales_0000.txt", "mandatory": True},
            {"url": f"s3://{east}/tickit/sales_0001.txt", "mandatory": True},
        ]
    }
    s3.put_object(Bucket=east, Key="manifests/good.manifest", Body=json.dumps(manifest).encode())
    manifest["entries"].append({"url": f"s3://{east}/tickit/missing.txt", "mandatory": True})
    s3.put_object(Bucket=east, Key="manifests/bad.manifest", Body=json.dumps(manifest).encode())
    s3.put_object(Bucket=east, Key="manifests/notjson.manifest", Body=b"entries: none")
    return {
        "east": east,
        "west": west,
        "reader": moto_server.create_user(unique("rs-reader"), READ),
        "nolist": moto_server.create_user(unique("rs-nolist"), GET_ONLY),
        "noget": moto_server.create_user(unique("rs-noget"), LIST_ONLY),
        "writer": moto_server.create_user(unique("rs-writer"), WRITE),
    }


def run(
    sql: str, server: Emulator, env: dict[str, str], *flags: str
) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "redshift",
            sql,
            "--endpoint-url",
            server.endpoint,
            "--format",
            "json",
            *flags,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), result.stdout + result.stderr


def creds(keys: Keys) -> str:
    return (
        f"CREDENTIALS 'aws_access_key_id={keys.access_key_id};"
        f"aws_secret_access_key={keys.secret_access_key}'"
    )


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def probes(doc: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["outcome"] for p in doc["statements"][0]["probes"]}


def assert_no_secret(output: str, *keys: Keys) -> None:
    for k in keys:
        assert k.secret_access_key not in output
        assert k.access_key_id not in output


def test_reader_can_list_and_get(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    reader = world["reader"]
    code, doc, out = run(
        f"COPY sales FROM 's3://{world['east']}/tickit/sales_' {creds(reader)}",
        moto_server,
        clean_env,
        "--cluster-region",
        "us-east-1",
    )
    assert probes(doc) == {"identity": "ok", "bucket region": "ok", "list": "ok", "get": "ok"}
    assert codes(doc) == ["KD815"]  # only the hygiene note: keys written into SQL
    assert code == 0
    assert_no_secret(out, reader)


def test_user_without_list_bucket(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    nolist = world["nolist"]
    code, doc, out = run(
        f"COPY sales FROM 's3://{world['east']}/tickit/' ACCESS_KEY_ID '{nolist.access_key_id}' "
        f"SECRET_ACCESS_KEY '{nolist.secret_access_key}'",
        moto_server,
        clean_env,
    )
    assert "KD823" in codes(doc)
    finding = next(f for f in doc["findings"] if f["code"] == "KD823")
    assert finding["category"] == "permission-missing"
    assert f"s3:ListBucket on arn:aws:s3:::{world['east']}" in finding["fix"]
    assert probes(doc)["list"] == "denied"
    assert code == 1
    assert_no_secret(out, nolist)


def test_user_without_get_object(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    noget = world["noget"]
    code, doc, _ = run(
        f"COPY sales FROM 's3://{world['east']}/tickit/' {creds(noget)}", moto_server, clean_env
    )
    assert "KD824" in codes(doc)
    assert probes(doc)["list"] == "ok" and probes(doc)["get"] == "denied"
    assert code == 1


def test_bucket_in_other_region_than_region_clause(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    code, doc, _ = run(
        f"COPY venue FROM 's3://{world['west']}/tickit/' {creds(world['reader'])} "
        "REGION 'us-east-1'",
        moto_server,
        clean_env,
    )
    finding = next(f for f in doc["findings"] if f["code"] == "KD829")
    assert finding["fix"] == "Write: REGION 'us-west-2'"
    assert doc["statements"][0]["region"] == "us-east-1"
    assert code == 1


def test_bucket_in_other_region_than_cluster(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    sql = f"COPY venue FROM 's3://{world['west']}/tickit/' {creds(world['reader'])}"
    code, doc, _ = run(sql, moto_server, clean_env, "--cluster-region", "us-east-1")
    finding = next(f for f in doc["findings"] if f["code"] == "KD829")
    assert finding["fix"].endswith("REGION 'us-west-2'")
    assert code == 1
    code, doc, _ = run(sql, moto_server, clean_env, "--cluster-region", "us-west-2")
    assert "KD829" not in codes(doc) and code == 0
    code, doc, _ = run(
        sql + " REGION 'us-west-2'", moto_server, clean_env, "--cluster-region", "us-east-1"
    )
    assert "KD829" not in codes(doc) and code == 0


def test_unknown_key_id_and_wrong_secret(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    reader = world["reader"]
    unknown = Keys("x", "AKIA" + "Q" * 16, reader.secret_access_key)
    code, doc, out = run(
        f"COPY t FROM 's3://{world['east']}/tickit/' {creds(unknown)}", moto_server, clean_env
    )
    assert "KD820" in codes(doc) and code == 1
    last = "A" if reader.secret_access_key[-1] != "A" else "B"
    wrong = Keys("x", reader.access_key_id, reader.secret_access_key[:-1] + last)
    code, doc, out = run(
        f"COPY t FROM 's3://{world['east']}/tickit/' {creds(wrong)}", moto_server, clean_env
    )
    assert "KD821" in codes(doc) and code == 1
    assert probes(doc) == {"identity": "failed"}
    assert_no_secret(out, reader, wrong)


def test_empty_prefix_and_missing_bucket(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    _, doc, _ = run(
        f"COPY t FROM 's3://{world['east']}/no-such-prefix/' {creds(world['reader'])}",
        moto_server,
        clean_env,
    )
    assert "KD825" in codes(doc)
    _, doc, _ = run(
        f"COPY t FROM 's3://{unique('rs-none')}/x/' {creds(world['reader'])}",
        moto_server,
        clean_env,
    )
    assert "KD828" in codes(doc)


def test_manifest_every_entry_is_read(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    east, reader = world["east"], world["reader"]
    code, doc, _ = run(
        f"COPY t FROM 's3://{east}/manifests/good.manifest' {creds(reader)} MANIFEST",
        moto_server,
        clean_env,
        "--cluster-region",
        "us-east-1",
    )
    outcomes = [p for p in doc["statements"][0]["probes"] if p["name"] == "manifest entry"]
    assert len(outcomes) == 2 and all(p["outcome"] == "ok" for p in outcomes)
    assert "KD826" not in codes(doc) and code == 0
    code, doc, _ = run(
        f"COPY t FROM 's3://{east}/manifests/bad.manifest' {creds(reader)} MANIFEST",
        moto_server,
        clean_env,
    )
    finding = next(f for f in doc["findings"] if f["code"] == "KD826")
    assert "missing.txt" in finding["explanation"] and code == 1
    _, doc, _ = run(
        f"COPY t FROM 's3://{east}/manifests/notjson.manifest' {creds(reader)} MANIFEST",
        moto_server,
        clean_env,
    )
    assert any(
        "not valid JSON" in f["explanation"] for f in doc["findings"] if f["code"] == "KD826"
    )


def test_unload_writes_only_with_write_test(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    east = world["east"]
    s3 = moto_server.client("s3")
    before = s3.list_objects_v2(Bucket=east).get("KeyCount")
    sql = f"UNLOAD ('select * from venue') TO 's3://{east}/unload/venue_' {creds(world['writer'])}"
    code, doc, _ = run(sql, moto_server, clean_env)
    assert probes(doc)["put"] == "skipped" and "KD832" in codes(doc)
    code, doc, _ = run(sql, moto_server, clean_env, "--write-test")
    assert probes(doc)["put"] == "ok" and probes(doc)["delete"] == "ok"
    assert s3.list_objects_v2(Bucket=east).get("KeyCount") == before  # the test object is gone
    sql = f"UNLOAD ('select 1') TO 's3://{east}/unload/x_' {creds(world['reader'])}"
    code, doc, _ = run(sql, moto_server, clean_env, "--write-test")
    assert "KD827" in codes(doc) and code == 1


def _role(server: Emulator, trusts_redshift: bool, caller: str = "user/keydoctor-admin") -> str:
    iam = server.client("iam")
    service = "redshift.amazonaws.com" if trusts_redshift else "ec2.amazonaws.com"
    # One statement naming both principals: moto (5.2) fails with a 500 on a statement that
    # names only a Service principal when a user assumes the role; AWS accepts either shape.
    # moto matches the AWS principal exactly, so the caller (the admin user) is named.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service, "AWS": f"arn:aws:iam::123456789012:{caller}"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = unique("rs-role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(READ))
    return str(arn)


def _caller_env(server: Emulator, env: dict[str, str]) -> dict[str, str]:
    assert server.admin is not None
    return {
        **env,
        "AWS_ACCESS_KEY_ID": server.admin.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.admin.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_role_trusting_redshift_is_assumed_and_probed(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    arn = _role(moto_server, trusts_redshift=True)
    code, doc, _ = run(
        f"COPY t FROM 's3://{world['east']}/tickit/' IAM_ROLE '{arn}'",
        moto_server,
        _caller_env(moto_server, clean_env),
        "--cluster-region",
        "us-east-1",
    )
    seen = probes(doc)
    assert seen["role trust"] == "ok" and seen["assume role"] == "ok"
    assert seen["list"] == "ok" and seen["get"] == "ok"
    assert code == 0


def test_role_without_redshift_trust(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    arn = _role(moto_server, trusts_redshift=False)
    code, doc, _ = run(
        f"COPY t FROM 's3://{world['east']}/tickit/' IAM_ROLE '{arn}'",
        moto_server,
        _caller_env(moto_server, clean_env),
    )
    finding = next(f for f in doc["findings"] if f["code"] == "KD830")
    assert '"Service": "redshift.amazonaws.com"' in finding["fix"]
    assert code == 1


def test_role_the_caller_cannot_assume(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    arn = _role(moto_server, trusts_redshift=True, caller="user/someone-else")
    code, doc, _ = run(
        f"COPY t FROM 's3://{world['east']}/tickit/' IAM_ROLE '{arn}'",
        moto_server,
        _caller_env(moto_server, clean_env),
    )
    finding = next(f for f in doc["findings"] if f["code"] == "KD831")
    assert finding["confidence"] == "medium" and finding["severity"] == "medium"
    assert "list" not in probes(doc)  # no S3 probe without the role's credentials
    assert code == 0  # the cluster may still be allowed: not a failure by itself


def test_missing_role_and_role_without_caller_credentials(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    role = "arn:aws:iam::123456789012:role/rs-nobody"
    sql = f"COPY t FROM 's3://{world['east']}/tickit/' IAM_ROLE '{role}'"
    code, doc, _ = run(sql, moto_server, _caller_env(moto_server, clean_env))
    assert "KD833" in codes(doc) and code == 1
    code, doc, _ = run(sql, moto_server, clean_env)  # no credentials of the caller at all
    assert "KD832" in codes(doc) and code == 0


def test_unreachable_endpoint_is_a_finding(
    world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    from keydoctor.lab.emulator import free_port

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "redshift",
            f"COPY t FROM 's3://{world['east']}/tickit/' {creds(world['reader'])}",
            "--endpoint-url",
            f"http://127.0.0.1:{free_port()}",
            "--format",
            "json",
        ],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(result.stdout)
    assert "KD834" in codes(doc)
    assert "Traceback" not in result.stderr


def test_odd_region_clause_and_unknown_profile_do_not_crash(
    moto_server: Emulator, world: dict[str, Any], clean_env: dict[str, str]
) -> None:
    sql = f"COPY t FROM 's3://{world['east']}/tickit/' {creds(world['reader'])} REGION 'US_EAST_1'"
    code, doc, _ = run(sql, moto_server, clean_env)
    assert "KD812" in codes(doc) and probes(doc)["get"] == "ok"
    role = "arn:aws:iam::123456789012:role/rs-any"
    sql = f"COPY t FROM 's3://{world['east']}/tickit/' IAM_ROLE '{role}'"
    code, doc, _ = run(sql, moto_server, clean_env, "--profile", "no-such-profile")
    finding = next(f for f in doc["findings"] if f["code"] == "KD832")
    assert "ProfileNotFound" in finding["explanation"]


def test_offline_run_imports_no_boto3_and_no_session(clean_env: dict[str, str]) -> None:
    program = (
        "import sys\n"
        "from keydoctor.cli import main\n"
        "main(['redshift', '--offline', \"COPY t FROM 's3://bucket-a/p' IAM_ROLE default\"])\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported'\n"
        "assert 'botocore.session' not in sys.modules, 'botocore.session imported'\n"
        "assert not [m for m in sys.modules if m.startswith('keydoctor.probes')], 'probes'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], env=clean_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_long_script_probes_the_first_statements_only(
    moto_server: Emulator, world: dict[str, Any]
) -> None:
    from keydoctor.redshift.probe import MAX_PROBED, ProbeSettings
    from keydoctor.redshift.report import check_sql

    one = f"COPY t FROM 's3://{world['east']}/tickit/' {creds(world['reader'])};\n"
    run = check_sql(one * (MAX_PROBED + 2), probe=ProbeSettings(endpoint_url=moto_server.endpoint))
    probed = [s for s in run.statements if s.probes]
    assert len(probed) == MAX_PROBED
    assert all("KD832" in [f.code for f in s.findings] for s in run.statements[MAX_PROBED:])
