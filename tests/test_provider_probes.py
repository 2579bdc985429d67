"""``keydoctor check`` proves each credential provider with its own request, against real
parts: the loopback container endpoint and IMDSv2 (keydoctor.lab.metadata) serving
keys moto's STS issued, and moto's STS and IAM for role chains and web identity.

Each failing setup is diagnosed with its code and category, and the fix, applied, makes
``check`` clean.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator, Keys
from keydoctor.lab.metadata import ServedKeys, container_endpoint, instance_metadata
from keydoctor.probes.transport import PROBED_SERVICES

ACCOUNT = "123456789012"
ALL_STS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def session_arn(name: str) -> str:
    """The ARN of the chain's session of role ``name`` (role_session_name = chain)."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/chain"


def check(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout)


def text_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def codes(doc: Any) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def probe(doc: Any, name: str) -> dict[str, Any]:
    return next(p for p in doc["probes"] if p["name"] == name)


def no_secret(proc: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr


@pytest.fixture(scope="module")
def served(moto_server: Emulator) -> ServedKeys:
    """Temporary keys from moto's STS for a role with every right: what an agent hands out."""
    user = moto_server.create_user("provider-user", ALL_STS)
    moto_server.client("iam").create_role(
        RoleName="served-role",
        AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/provider-user"),
    )
    creds = moto_server.client("sts", keys=user).assume_role(
        RoleArn=role_arn("served-role"), RoleSessionName="served"
    )["Credentials"]
    return ServedKeys(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


# -- the container endpoint ------------------------------------------------------------------


def container_env(clean_env: dict[str, str], uri: str, token: str) -> dict[str, str]:
    return dict(
        clean_env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI=uri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
        AWS_DEFAULT_REGION="us-east-1",
    )


def test_container_endpoint_works_all_the_way(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with container_endpoint(served, "tok-1") as server:
        proc, doc = check(
            container_env(clean_env, server.full_uri, "tok-1"),
            "--endpoint-url",
            moto_server.endpoint,
        )
    no_secret(proc, served.secret_access_key, served.token, "tok-1")
    assert proc.returncode == 0, proc.stdout
    assert probe(doc, "container:credentials")["outcome"] == "ok"
    assert "valid" in probe(doc, "container:credentials")["answer"]
    assert probe(doc, "sts:GetCallerIdentity")["answer"].startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/served-role/"
    )


def test_container_token_refused_then_fixed(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str], tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("stale-token", encoding="utf-8")
    with container_endpoint(served, "fresh-token") as server:
        env = container_env(clean_env, server.full_uri, "")
        del env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_file)
        proc, doc = check(env, "--endpoint-url", moto_server.endpoint)
        assert server.requests[0]["authorization"] == "stale-token"
        # keydoctor's own GET, then at most one per botocore client (sts, s3, iam): the
        # probes' sessions ask the endpoint once, without botocore's three attempts and
        # their one-second pauses (ten requests and ten seconds before).
        assert len(server.requests) <= 1 + len(PROBED_SERVICES)
        assert proc.returncode == 1
        assert "KD619" in codes(doc)
        assert doc["diagnosis"]["category"] == "provider-failure"
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" in doc["diagnosis"]["fix"]
        no_secret(proc, "stale-token", served.secret_access_key)
        # The fix: the file holds the token the agent issued.
        token_file.write_text("fresh-token", encoding="utf-8")
        proc, doc = check(env, "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 0 and not codes(doc) & {"KD618", "KD619", "KD620"}


def test_container_endpoint_unreachable(clean_env: dict[str, str], moto_server: Emulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v2/credentials/x"
    proc, doc = check(container_env(clean_env, dead, "t"), "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 1
    assert "KD618" in codes(doc)
    assert probe(doc, "container:credentials")["outcome"] == "unreachable"
    assert "refused" in probe(doc, "container:credentials")["answer"]
    # A metadata endpoint that does not answer is no unreachable AWS endpoint.
    assert "KD901" not in codes(doc)


@pytest.mark.parametrize(("mode", "words"), [("malformed", "HTML page"), ("expired", "expired at")])
def test_container_answer_unusable(
    mode: str, words: str, moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with container_endpoint(served, "tok", mode) as server:
        proc, doc = check(
            container_env(clean_env, server.full_uri, "tok"), "--endpoint-url", moto_server.endpoint
        )
    assert "KD620" in codes(doc)
    finding = next(f for f in doc["findings"] if f["code"] == "KD620")
    assert words in finding["explanation"]
    no_secret(proc, served.secret_access_key)


# -- IMDSv2 -----------------------------------------------------------------------------------


def imds_env(clean_env: dict[str, str], endpoint: str) -> dict[str, str]:
    env = dict(
        clean_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=endpoint, AWS_DEFAULT_REGION="us-east-1"
    )
    del env["AWS_EC2_METADATA_DISABLED"]
    return env


def test_imds_role_works_all_the_way(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with instance_metadata(served, role="served-role") as server:
        proc, doc = check(
            imds_env(clean_env, server.endpoint), "--endpoint-url", moto_server.endpoint
        )
    no_secret(proc, served.secret_access_key, served.token)
    assert proc.returncode == 0, proc.stdout
    assert probe(doc, "imds:token")["outcome"] == "ok"
    assert probe(doc, "imds:role")["answer"].startswith("role served-role: credentials for ASIA")
    assert doc["identity"]["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/served-role/")


def test_imds_hop_limit_named_with_its_fix(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with instance_metadata(served, hop_limited=True) as server:
        env = imds_env(clean_env, server.endpoint)
        proc, doc = check(env, "--endpoint-url", moto_server.endpoint, "--timeout", "1")
        assert server.puts == 1
    assert proc.returncode == 1
    assert "KD621" in codes(doc)
    assert doc["diagnosis"]["category"] == "provider-failure"
    assert "--http-put-response-hop-limit 2" in doc["diagnosis"]["fix"]
    assert "hop limit or IMDSv2 blocked" in probe(doc, "imds:token")["answer"]
    # The fix, as the instance would then behave: the token PUT is answered.
    with instance_metadata(served, hop_limited=False) as server:
        proc, doc = check(
            imds_env(clean_env, server.endpoint), "--endpoint-url", moto_server.endpoint
        )
    assert proc.returncode == 0 and "KD621" not in codes(doc)


def test_imds_without_a_role(
    served: ServedKeys, clean_env: dict[str, str], moto_server: Emulator
) -> None:
    with instance_metadata(served, role=None) as server:
        proc, doc = check(
            imds_env(clean_env, server.endpoint), "--endpoint-url", moto_server.endpoint
        )
    assert proc.returncode == 1
    assert "KD622" in codes(doc)
    assert "associate-iam-instance-profile" in next(
        f["fix"] for f in doc["findings"] if f["code"] == "KD622"
    )


# -- role chains on moto's STS and IAM --------------------------------------------------------


@pytest.fixture
def chain(moto_server: Emulator, clean_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """base user -> hop1 -> hop2 -> hop3, each role trusting the one before.

    moto matches a trust policy's principal to the caller's ARN exactly, so each role
    names the previous hop's session ARN (fixed by ``role_session_name``); AWS admits
    that form too, and also the previous role's own ARN, which moto does not.
    """
    tag = f"{time.time_ns() % 10**9}"
    iam = moto_server.client("iam")
    user = moto_server.create_user(f"chain-base-{tag}", ALL_STS)
    names = [f"hop1-{tag}", f"hop2-{tag}", f"hop3-{tag}"]
    previous = f"arn:aws:iam::{ACCOUNT}:user/{user.user}"
    for name in names:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(previous))
        iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(ALL_STS))
        previous = session_arn(name)
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n",
        encoding="utf-8",
    )
    (home / ".aws" / "credentials").chmod(0o600)
    profiles = [("one", "base"), ("two", "one"), ("three", "two")]
    (home / ".aws" / "config").write_text(
        "".join(
            f"[profile {name}]\nrole_arn = {role_arn(role)}\nsource_profile = {source}\n"
            "role_session_name = chain\nregion = us-east-1\n\n"
            for (name, source), role in zip(profiles, names, strict=True)
        ),
        encoding="utf-8",
    )
    yield {
        "user": user,
        "names": names,
        "env": dict(clean_env, AWS_ENDPOINT_URL=moto_server.endpoint),
    }


def test_three_hop_chain_is_shown_hop_by_hop(chain: dict[str, Any], moto_server: Emulator) -> None:
    env = chain["env"]
    proc, doc = check(env, "--profile", "three", "--endpoint-url", moto_server.endpoint)
    user: Keys = chain["user"]
    no_secret(proc, user.secret_access_key)
    assert proc.returncode == 0, proc.stdout
    hops = [p for p in doc["probes"] if p["name"].startswith("sts:AssumeRole hop")]
    assert [h["outcome"] for h in hops] == ["ok", "ok", "ok"]
    assert [h["hop"]["profile"] for h in hops] == ["one", "two", "three"]
    assert hops[0]["hop"]["from"] == "profile base"
    text = text_check(env, "--profile", "three", "--endpoint-url", moto_server.endpoint)
    assert "Role chain: base -> one -> two -> three" in text.stdout
    assert text.stdout.count("assumed-role/hop") >= 3


def test_chain_names_the_hop_that_fails_then_fixed(
    chain: dict[str, Any], moto_server: Emulator
) -> None:
    names = chain["names"]
    iam = moto_server.client("iam")
    # hop 2's role trusts the base user instead of hop 1's role.
    iam.update_assume_role_policy(
        RoleName=names[1], PolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/{chain['user'].user}")
    )
    env = chain["env"]
    proc, doc = check(env, "--profile", "three", "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 1
    hops = [p for p in doc["probes"] if p["name"].startswith("sts:AssumeRole hop")]
    assert [h["outcome"] for h in hops] == ["ok", "denied", "skipped"]
    finding = next(f for f in doc["findings"] if f["code"] == "KD623")
    assert (
        f"hop 2 of 3: role {names[0]} cannot assume {role_arn(names[1])}" in finding["explanation"]
    )
    assert finding["category"] == "trust-policy"
    assert doc["diagnosis"]["category"] == "trust-policy"
    # The fix the finding names: hop 2's trust policy admits hop 1's role.
    iam.update_assume_role_policy(RoleName=names[1], PolicyDocument=trust(session_arn(names[0])))
    proc, doc = check(env, "--profile", "three", "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 0 and "KD623" not in codes(doc)


# -- web identity on moto's STS ---------------------------------------------------------------


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def open_moto() -> Iterator[Emulator]:
    """A second moto server without IAM enforcement: moto's STS answers an unsigned
    AssumeRoleWithWebIdentity only then (with enforcement it answers HTTP 500)."""
    emulator = Emulator.start_subprocess()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_web_identity_exchanged_by_sts(
    open_moto: Emulator, clean_env: dict[str, str], tmp_path: Path
) -> None:
    token = _jwt(
        {
            "iss": "https://oidc.example.com",
            "aud": "sts.amazonaws.com",
            "sub": "system:serviceaccount:app:web",
            "exp": int(time.time()) + 3600,
        }
    )
    token_file = tmp_path / "token"
    token_file.write_text(token, encoding="utf-8")
    env = dict(
        clean_env,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN=role_arn("web-role"),
        AWS_DEFAULT_REGION="us-east-1",
    )
    proc, doc = check(env, "--endpoint-url", open_moto.endpoint)
    assert token.split(".")[2] not in proc.stdout
    found = probe(doc, "sts:AssumeRoleWithWebIdentity")
    assert found["outcome"] == "ok"
    assert found["answer"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/web-role/")
    assert not codes(doc) & {"KD624", "KD625"}


def test_chain_walked_by_the_direct_client_gives_the_other_probes_its_keys(
    chain: dict[str, Any], moto_server: Emulator
) -> None:
    """Without AWS_ENDPOINT_URL, the hops go through keydoctor's direct client (its own
    AssumeRole) at --endpoint-url, and the other probes ask with the last hop's keys:
    botocore is never asked to assume the roles again (it would ask AWS, not moto)."""
    env = {k: v for k, v in chain["env"].items() if k != "AWS_ENDPOINT_URL"}
    proc, doc = check(env, "--profile", "three", "--endpoint-url", moto_server.endpoint)
    assert proc.returncode == 0, proc.stdout
    hops = [p for p in doc["probes"] if p["name"].startswith("sts:AssumeRole hop")]
    assert [h["outcome"] for h in hops] == ["ok", "ok", "ok"]
    assert (
        doc["identity"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{chain['names'][2]}/chain"
    )
    no_secret(proc, chain["user"].secret_access_key)
