"""Behaviours moto does not have, replayed from recorded AWS answers on 127.0.0.1, and
endpoint faults (dead port, slow server, 5xx, HTML, refusing proxy).

Each test names the AWS behaviour it replays. The bodies follow the error formats AWS
documents for STS/IAM (``ErrorResponse``) and S3 (``Error``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.parse
from typing import Any

from replay_server import (
    Answer,
    caller_identity,
    iam_error,
    replaying,
    s3_error,
    sts_error,
)

KEY_ID = "AKIAY34FZKBOQ7RT5XW2"  # shaped like a real key, not the documentation example
SECRET = "p3Lk9Vx0Rt7Wq2Zb5Nc8Hd1Jf4Gs6Ym0Ua3Ei9Oo"
USER_ARN = "arn:aws:iam::123456789012:user/alice"


def run_check(
    env: dict[str, str], endpoint: str, *args: str, key_id: str = KEY_ID
) -> tuple[subprocess.CompletedProcess[str], Any]:
    env = dict(
        env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "check",
            "--format",
            "json",
            "--endpoint-url",
            endpoint,
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert SECRET not in result.stdout and SECRET not in result.stderr
    assert KEY_ID not in result.stdout
    return result, json.loads(result.stdout)


def codes(doc: Any) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def categories(doc: Any) -> set[str]:
    """Categories of the findings that matter (info notes such as the decoded account aside)."""
    return {f["category"] for f in doc["findings"] if f["severity"] != "info"}


def test_signature_expired_with_skewed_date_is_clock_skew(clean_env: dict[str, str]) -> None:
    """Recorded: STS refuses a request signed 20 minutes in the past with
    SignatureDoesNotMatch "Signature expired", and its Date header shows AWS's time."""
    answers = {
        "GetCallerIdentity": sts_error(
            "SignatureDoesNotMatch",
            "Signature expired: 20261125T200000Z is now earlier than 20261125T200500Z "
            "(20261125T202000Z - 15 min.)",
            date_offset=1200,
        ),
    }
    default = s3_error(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        403,
        "<RequestTime>20261125T200000Z</RequestTime>"
        "<ServerTime>2026-11-25T20:20:00Z</ServerTime>"
        "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
        date_offset=1200,
    )
    with replaying(answers, default) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert result.returncode == 1
    assert doc["diagnosis"]["category"] == "clock-skew"
    assert doc["clock_skew_seconds"] > 1000
    assert "KD614" in codes(doc)
    assert "secret-wrong" not in categories(doc)


def test_skew_alone_is_a_medium_finding(clean_env: dict[str, str]) -> None:
    """Recorded: a successful GetCallerIdentity whose Date header is 3 minutes ahead
    (inside AWS's 5-minute window, so the call still succeeds)."""
    ok = caller_identity(USER_ARN)
    ok.date_offset = 180
    denied = iam_error(
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/alice is not "
        "authorized to perform: iam:ListAccessKeys",
    )
    denied.date_offset = 180
    with replaying(
        {"GetCallerIdentity": ok, "ListAccessKeys": denied},
        Answer(
            200,
            "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>",
            {"Content-Type": "application/xml"},
            date_offset=180,
        ),
    ) as server:
        result, doc = run_check(clean_env, server.endpoint)
    skew = [f for f in doc["findings"] if f["code"] == "KD614"]
    assert skew and skew[0]["severity"] == "medium"
    assert "KD714" in codes(doc)  # could not check, reported as info
    assert doc["diagnosis"] is None
    assert result.returncode == 0


def test_inactive_key_as_aws_answers_it(clean_env: dict[str, str]) -> None:
    """Recorded: AWS refuses an inactive key like an unknown one: STS answers
    InvalidClientTokenId, S3 InvalidAccessKeyId (moto still accepts inactive keys)."""
    answers = {
        "GetCallerIdentity": sts_error(
            "InvalidClientTokenId", "The security token included in the request is invalid."
        ),
        "ListAccessKeys": iam_error(
            "InvalidClientTokenId", "The security token included in the request is invalid."
        ),
    }
    default = s3_error(
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
        f"<AWSAccessKeyId>{KEY_ID}</AWSAccessKeyId>",
    )
    with replaying(answers, default) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert doc["diagnosis"]["category"] == "key-id-wrong"
    assert "inactive" in doc["diagnosis"]["explanation"]
    assert [f["code"] for f in doc["findings"]].count("KD610") == 1


def test_expired_token(clean_env: dict[str, str]) -> None:
    """Recorded: STS answers ExpiredToken when the session token has expired (moto never
    expires tokens)."""
    answers = {
        "GetCallerIdentity": sts_error(
            "ExpiredToken", "The security token included in the request is expired"
        )
    }
    default = s3_error("ExpiredToken", "The provided token has expired.", 400)
    with replaying(answers, default) as server:
        env = dict(clean_env, AWS_SESSION_TOKEN="FwoGZXIvYXdzEXAMPLETOKENvalueTHATisLONG" * 3)
        result, doc = run_check(env, server.endpoint, key_id="ASIAY34FZKBOQ7RT5XW3")
    assert doc["diagnosis"]["category"] == "session-token"
    assert "KD612" in codes(doc)
    assert "FwoGZXIvYXdzEXAMPLETOKEN" not in result.stdout


def test_permanent_redirect_names_the_region(clean_env: dict[str, str]) -> None:
    """Recorded: S3 answers a request sent to the wrong region with 301 and the
    x-amz-bucket-region header; a HEAD has no body, a GET has PermanentRedirect XML
    (moto serves every region on one endpoint and never redirects)."""
    region_header = {"x-amz-bucket-region": "eu-west-1"}
    answers = {
        "GetCallerIdentity": caller_identity(USER_ARN),
        "HeadBucket": Answer(301, "", {"Content-Type": "application/xml", **region_header}),
        "ListObjectsV2": s3_error(
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified "
            "endpoint. Please send all future requests to this endpoint.",
            301,
            "<Endpoint>logs-bucket.s3.eu-west-1.amazonaws.com</Endpoint>"
            "<Bucket>logs-bucket</Bucket>",
            region_header,
        ),
        "ListAccessKeys": iam_error("AccessDenied", "not authorized"),
    }
    with replaying(answers) as server:
        result, doc = run_check(clean_env, server.endpoint, "--bucket", "logs-bucket")
    assert doc["diagnosis"]["category"] == "region-endpoint"
    assert "KD702" in codes(doc)
    assert "eu-west-1" in doc["diagnosis"]["fix"]
    assert doc["bucket_regions"] == {"logs-bucket": "eu-west-1"}


def test_root_keys_and_quarantine_and_old_keys(clean_env: dict[str, str]) -> None:
    """Recorded IAM answers: a user with a two-year-old key and AWS's
    AWSCompromisedKeyQuarantineV2 policy attached (moto cannot attach AWS's own policy)."""
    keys = (
        '<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<ListAccessKeysResult><UserName>alice</UserName><AccessKeyMetadata>"
        f"<member><UserName>alice</UserName><AccessKeyId>{KEY_ID}</AccessKeyId>"
        "<Status>Active</Status><CreateDate>2024-01-10T10:00:00Z</CreateDate></member>"
        "</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>"
        "<ResponseMetadata><RequestId>7a62c49f</RequestId></ResponseMetadata>"
        "</ListAccessKeysResponse>"
    )
    attached = (
        '<ListAttachedUserPoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<ListAttachedUserPoliciesResult><AttachedPolicies><member>"
        "<PolicyName>AWSCompromisedKeyQuarantineV2</PolicyName>"
        "<PolicyArn>arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2</PolicyArn>"
        "</member></AttachedPolicies><IsTruncated>false</IsTruncated>"
        "</ListAttachedUserPoliciesResult><ResponseMetadata><RequestId>1</RequestId>"
        "</ResponseMetadata></ListAttachedUserPoliciesResponse>"
    )
    last_used = (
        '<GetAccessKeyLastUsedResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<GetAccessKeyLastUsedResult><UserName>alice</UserName><AccessKeyLastUsed>"
        "<LastUsedDate>2026-11-20T10:00:00Z</LastUsedDate><ServiceName>s3</ServiceName>"
        "<Region>us-east-1</Region></AccessKeyLastUsed></GetAccessKeyLastUsedResult>"
        "<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata>"
        "</GetAccessKeyLastUsedResponse>"
    )
    xml = {"Content-Type": "text/xml"}
    answers = {
        "GetCallerIdentity": caller_identity(USER_ARN),
        "ListAccessKeys": Answer(200, keys, xml),
        "ListAttachedUserPolicies": Answer(200, attached, xml),
        "GetAccessKeyLastUsed": Answer(200, last_used, xml),
    }
    with replaying(answers) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert {"KD711", "KD712"} <= codes(doc)
    assert doc["diagnosis"]["category"] == "explicit-deny"

    with replaying(
        {
            "GetCallerIdentity": caller_identity(
                "arn:aws:iam::123456789012:root", user_id="123456789012"
            )
        }
    ) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert doc["identity"]["principal_type"] == "root"
    assert "KD601" in codes(doc)


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_not_blamed_on_keys(doc: Any) -> None:
    blamed = {"key-id-wrong", "secret-wrong", "session-token", "wrong-source"}
    assert not (categories(doc) & blamed)
    assert doc["diagnosis"]["category"] == "not-credentials"


def test_dead_port_is_unreachable(clean_env: dict[str, str]) -> None:
    endpoint = f"http://127.0.0.1:{_dead_port()}"
    result, doc = run_check(clean_env, endpoint, "--bucket", "b")
    assert result.returncode == 1
    assert "KD901" in codes(doc)
    assert_not_blamed_on_keys(doc)
    assert "refused" in doc["diagnosis"]["explanation"]
    assert doc["diagnosis"]["explanation"].startswith("Could not reach")


def test_slow_server_times_out(clean_env: dict[str, str]) -> None:
    slow = Answer(200, "", delay=3.0)
    with replaying({}, slow) as server:
        result, doc = run_check(clean_env, server.endpoint, "--timeout", "0.5")
    assert "KD901" in codes(doc)
    assert_not_blamed_on_keys(doc)
    # Each probe was cut at the timeout (speed itself is measured in bench/, not here).
    assert "0.5 s" in doc["diagnosis"]["explanation"]
    assert all(p["outcome"] == "unreachable" for p in doc["probes"]), doc["probes"]


def test_503_and_500_are_server_errors(clean_env: dict[str, str]) -> None:
    answers = {
        "GetCallerIdentity": Answer(503, "Service Unavailable", {"Content-Type": "text/plain"})
    }
    default = s3_error("InternalError", "We encountered an internal error. Please try again.", 500)
    with replaying(answers, default) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert "KD902" in codes(doc)
    assert not (categories(doc) & {"key-id-wrong", "secret-wrong", "session-token"})
    assert all(p["outcome"] == "server-error" for p in doc["probes"])


def test_throttling_is_not_the_keys(clean_env: dict[str, str]) -> None:
    answers = {"GetCallerIdentity": sts_error("Throttling", "Rate exceeded", 400)}
    with replaying(answers, s3_error("SlowDown", "Please reduce your request rate.", 503)) as srv:
        result, doc = run_check(clean_env, srv.endpoint)
    assert "KD902" in codes(doc)
    assert "KD610" not in codes(doc)


def test_html_page_is_not_aws(clean_env: dict[str, str]) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
        "<body>Captive portal</body></html>"
    )
    with replaying({}, Answer(200, page, {"Content-Type": "text/html"})) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert "KD903" in codes(doc)
    assert_not_blamed_on_keys(doc)
    assert "HTML" in doc["diagnosis"]["explanation"]


def test_html_error_page_is_not_aws(clean_env: dict[str, str]) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    with replaying({}, Answer(502, page, {"Content-Type": "text/html"})) as server:
        result, doc = run_check(clean_env, server.endpoint)
    assert {"KD903"} & codes(doc) or {"KD902"} & codes(doc)
    assert not (categories(doc) & {"key-id-wrong", "secret-wrong", "session-token"})


def test_refusing_proxy(clean_env: dict[str, str]) -> None:
    proxy = f"http://127.0.0.1:{_dead_port()}"
    env = {k: v for k, v in clean_env.items() if k.lower() != "no_proxy"}
    env.update(HTTP_PROXY=proxy, HTTPS_PROXY=proxy, http_proxy=proxy, https_proxy=proxy)
    result, doc = run_check(env, "http://sts.example.invalid")
    assert "KD901" in codes(doc)
    assert "proxy" in doc["diagnosis"]["explanation"]
    assert_not_blamed_on_keys(doc)


def test_user_agent_is_honest(clean_env: dict[str, str]) -> None:
    with replaying({"GetCallerIdentity": caller_identity(USER_ARN)}) as server:
        run_check(clean_env, server.endpoint)
        agents = {headers.get("User-Agent", "") for _, headers in server.seen}
    assert agents and all(a.startswith("keydoctor/") for a in agents)


def test_deny_in_bucket_policy_is_named(clean_env: dict[str, str]) -> None:
    """Recorded: IAM answers with a user policy that allows s3:*, S3 refuses ListObjectsV2
    (AccessDenied) and GetBucketPolicy returns the bucket's policy (raw JSON body) with a
    Deny for every principal outside a VPC endpoint condition-free statement."""
    user_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowAppRole",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::vault-bucket",
                },
                {
                    "Sid": "NoListingForOthers",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::vault-bucket",
                },
            ],
        }
    )
    ns = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'
    xml = {"Content-Type": "text/xml"}
    answers = {
        "GetCallerIdentity": caller_identity(USER_ARN),
        "HeadBucket": Answer(403, "", {"x-amz-bucket-region": "us-east-1"}),
        "ListObjectsV2": s3_error("AccessDenied", "Access Denied", 403),
        "ListAccessKeys": iam_error("AccessDenied", "not authorized"),
        "ListUserPolicies": Answer(
            200,
            f"<ListUserPoliciesResponse {ns}><ListUserPoliciesResult>"
            "<PolicyNames><member>app</member></PolicyNames>"
            "<IsTruncated>false</IsTruncated></ListUserPoliciesResult>"
            "</ListUserPoliciesResponse>",
            xml,
        ),
        "GetUserPolicy": Answer(
            200,
            f"<GetUserPolicyResponse {ns}><GetUserPolicyResult>"
            "<UserName>alice</UserName><PolicyName>app</PolicyName>"
            f"<PolicyDocument>{urllib.parse.quote(user_policy)}"
            "</PolicyDocument></GetUserPolicyResult></GetUserPolicyResponse>",
            xml,
        ),
        "ListAttachedUserPolicies": Answer(
            200,
            f"<ListAttachedUserPoliciesResponse {ns}><ListAttachedUserPoliciesResult>"
            "<AttachedPolicies/><IsTruncated>false</IsTruncated>"
            "</ListAttachedUserPoliciesResult></ListAttachedUserPoliciesResponse>",
            xml,
        ),
        "ListGroupsForUser": Answer(
            200,
            f"<ListGroupsForUserResponse {ns}>"
            "<ListGroupsForUserResult><Groups/><IsTruncated>false"
            "</IsTruncated></ListGroupsForUserResult>"
            "</ListGroupsForUserResponse>",
            xml,
        ),
        "GetBucketPolicy": Answer(200, bucket_policy, {"Content-Type": "application/json"}),
    }
    with replaying(answers) as server:
        result, doc = run_check(clean_env, server.endpoint, "--bucket", "vault-bucket")
    diagnosis = doc["diagnosis"]
    assert diagnosis["category"] == "explicit-deny"
    assert "bucket policy of vault-bucket" in diagnosis["explanation"]
    assert "NoListingForOthers" in diagnosis["explanation"]


def test_tls_failure_is_unreachable_not_the_keys(clean_env: dict[str, str]) -> None:
    """An https:// endpoint whose server does not speak TLS: the handshake fails."""
    with replaying({"GetCallerIdentity": caller_identity(USER_ARN)}) as server:
        endpoint = server.endpoint.replace("http://", "https://")
        result, doc = run_check(clean_env, endpoint)
    assert "KD901" in codes(doc)
    assert_not_blamed_on_keys(doc)
    assert "TLS" in doc["diagnosis"]["explanation"]


def test_missing_key_hidden_behind_403_without_list_bucket(clean_env: dict[str, str]) -> None:
    """Recorded: S3 answers 403 AccessDenied (not 404) for a missing key when the caller
    lacks s3:ListBucket; IAM answers with a policy that allows s3:GetObject on the objects."""
    user_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}
            ],
        }
    )
    ns = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'
    xml = {"Content-Type": "text/xml"}
    answers = {
        "GetCallerIdentity": caller_identity(USER_ARN),
        "HeadBucket": Answer(403, "", {"x-amz-bucket-region": "us-east-1"}),
        "ListObjectsV2": s3_error("AccessDenied", "Access Denied", 403),
        "HeadObject": Answer(403, "", {}),
        "ListAccessKeys": iam_error("AccessDenied", "not authorized"),
        "ListUserPolicies": Answer(
            200,
            f"<ListUserPoliciesResponse {ns}><ListUserPoliciesResult>"
            "<PolicyNames><member>app</member></PolicyNames>"
            "<IsTruncated>false</IsTruncated></ListUserPoliciesResult>"
            "</ListUserPoliciesResponse>",
            xml,
        ),
        "GetUserPolicy": Answer(
            200,
            f"<GetUserPolicyResponse {ns}><GetUserPolicyResult>"
            "<UserName>alice</UserName><PolicyName>app</PolicyName>"
            f"<PolicyDocument>{urllib.parse.quote(user_policy)}"
            "</PolicyDocument></GetUserPolicyResult></GetUserPolicyResponse>",
            xml,
        ),
        "ListAttachedUserPolicies": Answer(
            200,
            f"<ListAttachedUserPoliciesResponse {ns}><ListAttachedUserPoliciesResult>"
            "<AttachedPolicies/><IsTruncated>false</IsTruncated>"
            "</ListAttachedUserPoliciesResult></ListAttachedUserPoliciesResponse>",
            xml,
        ),
        "ListGroupsForUser": Answer(
            200,
            f"<ListGroupsForUserResponse {ns}>"
            "<ListGroupsForUserResult><Groups/><IsTruncated>false"
            "</IsTruncated></ListGroupsForUserResult>"
            "</ListGroupsForUserResponse>",
            xml,
        ),
        "GetBucketPolicy": s3_error("NoSuchBucketPolicy", "The bucket policy does not exist", 404),
    }
    with replaying(answers) as server:
        result, doc = run_check(
            clean_env, server.endpoint, "--bucket", "app-data", "--key", "reports/missing.csv"
        )
    assert {"KD704", "KD707"} <= codes(doc)
    missing = next(f for f in doc["findings"] if f["code"] == "KD707")
    assert "instead of 404" in missing["explanation"]
    assert doc["diagnosis"]["category"] == "permission-missing"
    assert "explicit-deny" not in categories(doc)


def test_no_secret_in_any_format(clean_env: dict[str, str]) -> None:
    """Whatever AWS answers, no secret, token or full key id reaches any output format."""
    token = "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQD3kYpLeakCheckTokenValue0123456789abcdef"
    answers = {
        "GetCallerIdentity": sts_error(
            "InvalidClientTokenId",
            f"The security token included in the request is invalid. Key {KEY_ID}",
        )
    }
    default = s3_error(
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
        400,
        f"<Token-0>{token}</Token-0>",
    )
    with replaying(answers, default) as server:
        env = dict(
            clean_env,
            AWS_ACCESS_KEY_ID=KEY_ID,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_SESSION_TOKEN=token,
            AWS_DEFAULT_REGION="us-east-1",
        )
        for fmt in ("text", "json", "sarif"):
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "keydoctor",
                    "check",
                    "--format",
                    fmt,
                    "--endpoint-url",
                    server.endpoint,
                    "--bucket",
                    "b",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 1
            for value in (SECRET, token, KEY_ID):
                assert value not in proc.stdout, fmt
                assert value not in proc.stderr, fmt
