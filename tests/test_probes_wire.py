"""The direct client (keydoctor.probes.wire) against botocore, the reference it replaces.

* endpoints: for each partition, service and bucket style, the URL and the signing region
  botocore would use (botocore's own request, caught before it is sent) equal ours;
* signatures: botocore's SigV4 signer and ours agree on the same request (S3 keys with
  characters that need encoding, query strings, session tokens);
* the probes use the direct client with static keys and plain settings, and botocore
  clients whenever a setting changes what botocore would do;
* S3's region redirect: both follow it once, to the same request, against a loopback
  server that answers as S3 does (301 PermanentRedirect with x-amz-bucket-region);
* against the real moto server, a whole probe run never builds a botocore client;
* concurrent botocore calls each keep their own raw answer (no shared "last response").
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator
from keydoctor.model import CredentialSource, Location, Secret
from keydoctor.probes import sigv4
from keydoctor.probes.endpoints import blocked_by, route
from keydoctor.probes.transport import Target, Transport
from keydoctor.probes.wire import FastClient
from replay_server import Answer, replaying, s3_error, sts_error

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _botocore_request(
    service: str, region: str, call: Any, endpoint_url: str | None = None
) -> tuple[str, str]:
    """The URL and the credential scope's region of the request botocore would send."""
    import botocore.session
    from botocore.awsrequest import AWSResponse
    from botocore.config import Config

    seen: list[tuple[str, str]] = []

    def catch(request: Any, **_: Any) -> AWSResponse:
        auth = request.headers["Authorization"].decode()
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        seen.append((request.url, scope[2]))
        return AWSResponse(request.url, 599, {}, None)

    session = botocore.session.Session()
    client = session.create_client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(
            retries={"total_max_attempts": 1},
            s3={"addressing_style": "path"} if endpoint_url else None,
        ),
    )
    client.meta.events.register("before-send", catch)
    with contextlib.suppress(Exception):  # the 599 answer: only the request matters here
        call(client)
    return seen[0]


REGIONS = [
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "il-central-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-gov-east-1",
]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("endpoint_url", [None, "http://127.0.0.1:4566"])
def test_endpoints_match_botocore(region: str, endpoint_url: str | None) -> None:
    cases: list[tuple[str, Any, str | None, str]] = [
        ("sts", lambda c: c.get_caller_identity(), None, ""),
        ("iam", lambda c: c.list_access_keys(), None, ""),
        ("s3", lambda c: c.list_buckets(), None, ""),
        ("s3", lambda c: c.head_bucket(Bucket="my-bucket"), "my-bucket", ""),
        ("s3", lambda c: c.head_bucket(Bucket="my.dotted.bucket"), "my.dotted.bucket", ""),
        ("s3", lambda c: c.head_bucket(Bucket="Upper_Case"), "Upper_Case", ""),
        (
            "s3",
            lambda c: c.head_object(Bucket="my-bucket", Key="dir/a b+c~d.txt"),
            "my-bucket",
            "/" + sigv4.uri_encode("dir/a b+c~d.txt", safe="/"),
        ),
    ]
    for service, call, bucket, path in cases:
        url, signing_region = _botocore_request(service, region, call, endpoint_url)
        ours = route(service, region, endpoint_url, bucket)
        assert ours is not None, (service, region, bucket)
        expected = ours.url if not path else ours.url.rstrip("/") + path
        assert url == expected, (service, region, bucket)
        assert signing_region == ours.signing_region, (service, region)


def test_unknown_partitions_and_settings_leave_it_to_botocore() -> None:
    assert route("sts", "us-iso-east-1", None) is None
    assert route("sts", "eu-isoe-west-1", None) is None
    assert route("s3", "us-east-1", "ftp://example.com") is None
    assert route("s3", "us-east-1", "https://example.com/prefix") is None
    assert blocked_by({}, {}) is None
    assert blocked_by({"AWS_STS_REGIONAL_ENDPOINTS": "regional"}, {}) is None
    assert blocked_by({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, {}) is not None
    assert blocked_by({"AWS_USE_FIPS_ENDPOINT": "true"}, {}) is not None
    assert blocked_by({"AWS_ENDPOINT_URL_S3": "http://x"}, {}) is not None
    assert blocked_by({"https_proxy": "http://proxy:3128"}, {}) is not None
    assert blocked_by({}, {"s3": {"addressing_style": "virtual"}}) is not None
    assert blocked_by({}, {"endpoint_url": "http://x"}) is not None
    assert blocked_by({}, {"sts_regional_endpoints": "legacy"}) is not None
    assert blocked_by({}, {"defaults_mode": "standard"}) is not None
    assert blocked_by({"AWS_DEFAULTS_MODE": "auto"}, {}) is not None
    assert blocked_by({}, {"region": "eu-west-1", "ca_bundle": "/x.pem"}) is None


def _botocore_signature(
    method: str,
    url: str,
    service: str,
    region: str,
    headers: dict[str, str],
    body: bytes,
    token: str | None,
    stamp: str,
) -> str:
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    request.context["timestamp"] = stamp
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_class(Credentials(KEY_ID, SECRET, token), service, region)
    request.headers["X-Amz-Date"] = stamp
    if token is not None:
        request.headers["X-Amz-Security-Token"] = token
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return str(signer.signature(string_to_sign, request))


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLETOKEN+/="])
@pytest.mark.parametrize(
    ("method", "service", "path", "query", "body"),
    [
        ("POST", "sts", "/", {}, b"Action=GetCallerIdentity&Version=2011-06-15"),
        ("GET", "s3", "/my-bucket", {"list-type": "2", "max-keys": "1", "prefix": "a b/"}, b""),
        ("GET", "s3", "/my-bucket", {"location": ""}, b""),
        ("HEAD", "s3", "/my-bucket/" + sigv4.uri_encode("dir/a b+c~d=é.txt", safe="/"), {}, b""),
        ("PUT", "s3", "/my-bucket/k", {}, b""),
    ],
)
def test_signature_matches_botocore(
    token: str | None,
    method: str,
    service: str,
    path: str,
    query: dict[str, str],
    body: bytes,
) -> None:
    import hashlib

    now = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    host = "s3.eu-west-1.amazonaws.com" if service == "s3" else "sts.eu-west-1.amazonaws.com"
    payload = hashlib.sha256(body).hexdigest()
    headers = {"Host": host}
    if service == "s3":
        headers["X-Amz-Content-SHA256"] = payload
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    ours = dict(headers)
    sigv4.sign(
        method=method,
        path=path,
        query=query,
        headers=ours,
        payload_hash=payload,
        region="eu-west-1",
        service=service,
        access_key_id=KEY_ID,
        secret=SECRET,
        session_token=token,
        now=now,
    )
    query_text = "&".join(
        sigv4.uri_encode(k) + (f"={sigv4.uri_encode(v)}" if v else "") for k, v in query.items()
    )
    url = f"https://{host}{path}" + (f"?{query_text}" if query_text else "")
    theirs = _botocore_signature(method, url, service, "eu-west-1", headers, body, token, stamp)
    assert ours["Authorization"].endswith(f"Signature={theirs}")


def _target(endpoint: str | None, settings: dict[str, Any] | None, **source: Any) -> Target:
    if source.get("static", True):
        kind = CredentialSource(
            method="shared-credentials-file",
            location=Location("file", "~/.aws/credentials"),
            access_key_id=source.get("key_id", KEY_ID),
            secret_access_key=Secret(SECRET),
        )
    else:
        kind = CredentialSource(method="assume-role", location=Location("file", "~/.aws/config"))
    return Target(
        region=source.get("region", "us-east-1"),
        endpoint_url=endpoint,
        profile=None,
        source=kind,
        settings=settings,
    )


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS_* variable and no proxy in this process: botocore's plain endpoints apply."""
    for name in list(os.environ):
        if name.upper().startswith("AWS_") or name.upper().endswith("_PROXY"):
            monkeypatch.delenv(name, raising=False)


def test_transport_chooses_direct_only_when_nothing_changes_botocore(
    plain_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = Transport(_target("http://127.0.0.1:9", {}))
    for service in ("sts", "s3", "iam"):
        assert isinstance(direct.client(service), FastClient)
    assert not isinstance(direct.client("ec2"), FastClient)
    assert not isinstance(Transport(_target(None, None)).client("sts"), FastClient)
    assert not isinstance(Transport(_target(None, {}, static=False)).client("sts"), FastClient)
    assert not isinstance(
        Transport(_target(None, {}, region="us-iso-east-1")).client("sts"), FastClient
    )
    assert not isinstance(
        Transport(_target(None, {}, key_id="AKIA\nBROKEN")).client("sts"), FastClient
    )
    assert not isinstance(
        Transport(_target(None, {"use_fips_endpoint": "true"})).client("s3"), FastClient
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert not isinstance(Transport(_target(None, {})).client("sts"), FastClient)


# -- S3's region redirect, the direct client against botocore -----------------------------

REDIRECT_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>'
    "<Message>The bucket you are attempting to access must be addressed using the specified "
    "endpoint. Please send all future requests to this endpoint.</Message>"
    "<Endpoint>far.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>far</Bucket>"
    "<RequestId>0A1B2C3D4E5F6789</RequestId></Error>"
)
LIST_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult '
    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>far</Name><Prefix></Prefix>'
    "<KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>"
    "</ListBucketResult>"
)


@contextmanager
def s3_in_eu_west_1() -> Iterator[tuple[str, list[str]]]:
    """S3 as AWS answers for a bucket in eu-west-1: requests signed for another region get
    301 PermanentRedirect with x-amz-bucket-region (recorded AWS behaviour, which moto
    does not reproduce); requests signed for eu-west-1 are answered."""
    scopes: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            auth = self.headers.get("Authorization", "")
            region = auth.split("Credential=", 1)[-1].split("/")[2] if "/" in auth else ""
            scopes.append(f"{self.command} {self.path.split('?')[0]} {region}")
            if region == "eu-west-1":
                status, body = 200, LIST_BODY
            else:
                status, body = 301, REDIRECT_BODY
            data = b"" if self.command == "HEAD" else body.encode()
            self.send_response(status)
            self.send_header("x-amz-bucket-region", "eu-west-1")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_HEAD = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", scopes
    finally:
        server.shutdown()
        server.server_close()


def test_s3_redirect_followed_once_like_botocore(plain_env: None) -> None:
    results: dict[str, list[str]] = {}
    for kind in ("direct", "botocore"):
        with s3_in_eu_west_1() as (endpoint, scopes):
            transport = Transport(_target(endpoint, {}))
            client = transport.client("s3") if kind == "direct" else transport.botocore_client("s3")
            answer = client.list_objects_v2(Bucket="far", MaxKeys=1)
            assert answer["KeyCount"] == 0
            assert answer["ResponseMetadata"]["RetryAttempts"] == 1
            client.head_bucket(Bucket="far")  # remembered: straight to eu-west-1
            results[kind] = list(scopes)
    assert results["direct"] == results["botocore"]
    assert results["direct"][:2] == ["GET /far us-east-1", "GET /far eu-west-1"]


# -- a whole probe run on moto ---------------------------------------------------------------

RUN_PROBES = """
import json, sys
from keydoctor.model import CredentialSource, Location, Secret
from keydoctor.probes.runner import ProbePlan, run_probes
source = CredentialSource(method="env", location=Location("env"),
    access_key_id=sys.argv[2], secret_access_key=Secret(sys.argv[3]))
report = run_probes(source, region="us-east-1", profile="default", explicit_profile=False,
    endpoint_url=sys.argv[1], plan=ProbePlan(buckets=(sys.argv[4],), key="k.txt"), settings={})
print(json.dumps({
    "outcomes": {p.name: p.outcome for p in report.probes},
    "clients": [m for m in ("botocore.client", "botocore.session", "botocore.endpoint")
                if m in sys.modules],
}))
"""


def test_probe_run_on_moto_builds_no_botocore_client(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    import json
    import uuid

    bucket = f"kd-wire-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket, "us-east-1")
    moto_server.client("s3").put_object(Bucket=bucket, Key="k.txt", Body=b"abc")
    keys = moto_server.create_user(
        f"wire-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:*", "iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
                    "Resource": "*",
                }
            ],
        },
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_PROBES,
            moto_server.endpoint,
            keys.access_key_id,
            keys.secret_access_key,
            bucket,
        ],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["clients"] == []
    assert got["outcomes"] == {
        "sts:GetCallerIdentity": "ok",
        "s3:ListBuckets": "ok",
        f"s3:HeadBucket {bucket}": "ok",
        f"s3:ListObjectsV2 {bucket}": "ok",
        f"s3:HeadObject {bucket}/k.txt": "ok",
        "iam:ListAccessKeys": "ok",
        "iam:ListAttachedUserPolicies": "ok",
    }


# -- failures: the direct client and botocore are classified alike ----------------------------

HTML_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Portal</body></html>"
FAULTS: dict[str, tuple[dict[str, Answer], Answer | None]] = {
    "refused keys": (
        {"GetCallerIdentity": sts_error("InvalidClientTokenId", "The token is invalid.")},
        s3_error("InvalidAccessKeyId", "The key does not exist.", 403),
    ),
    "throttled": (
        {"GetCallerIdentity": sts_error("Throttling", "Rate exceeded", 400)},
        s3_error("SlowDown", "Please reduce your request rate.", 503),
    ),
    "503 plain": ({}, Answer(503, "")),
    "html 200": ({}, Answer(200, HTML_PAGE, {"Content-Type": "text/html"})),
    "html 403": ({}, Answer(403, HTML_PAGE, {"Content-Type": "text/html"})),
    "html 502": ({}, Answer(502, "<html><body>Bad Gateway</body></html>")),
    "not found": ({}, s3_error("NoSuchBucket", "The specified bucket does not exist", 404)),
    "slow": ({}, Answer(200, "", delay=1.5)),
    "expired token": (
        {"GetCallerIdentity": sts_error("ExpiredToken", "The security token has expired.")},
        s3_error("ExpiredToken", "The provided token has expired.", 400),
    ),
    "permanent redirect": (
        {},
        s3_error(
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified "
            "endpoint.",
            301,
            "<Endpoint>some-bucket.s3.eu-west-1.amazonaws.com</Endpoint>",
            {"x-amz-bucket-region": "eu-west-1"},
        ),
    ),
    "wrong signing region": (
        {},
        s3_error(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the region 'us-east-1' is wrong; "
            "expecting 'ap-south-1'",
            400,
            "<Region>ap-south-1</Region>",
        ),
    ),
}


def _failures(transport: Transport, bucket: str) -> list[Any]:
    from keydoctor.probes import s3 as s3_probes
    from keydoctor.probes.identity import who_am_i

    probes = [
        who_am_i(transport)[0],
        s3_probes.list_buckets(transport),
        s3_probes.bucket_region(transport, bucket),
        s3_probes.list_objects(transport, bucket, None),
        s3_probes.head_object(transport, bucket, "a/b.txt"),
    ]
    return [
        (p.name, p.outcome, p.answer, p.failure and p.failure.to_dict(), p.headers.keys())
        for p in probes
    ]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_failures_classified_like_botocore(fault: str, plain_env: None) -> None:
    answers, default = FAULTS[fault]
    seen: dict[str, list[Any]] = {}
    with replaying(answers, default) as server:
        for kind, settings in (("direct", {}), ("botocore", None)):
            target = _target(server.endpoint, settings)
            transport = Transport(Target(**{**target.__dict__, "timeout": 0.5}))
            assert isinstance(transport.client("sts"), FastClient) == (kind == "direct")
            seen[kind] = _failures(transport, "some-bucket")
    assert seen["direct"] == seen["botocore"]


@pytest.mark.parametrize("where", ["dead port", "tls to plain http"])
def test_unreachable_classified_like_botocore(where: str, plain_env: None) -> None:
    seen: dict[str, list[Any]] = {}
    with replaying({}) as server:
        endpoint = server.endpoint
        if where == "dead port":
            server.stop()
        else:
            endpoint = endpoint.replace("http://", "https://")
        for kind, settings in (("direct", {}), ("botocore", None)):
            seen[kind] = _failures(Transport(_target(endpoint, settings)), "b-1")
    assert seen["direct"] == seen["botocore"]


def test_concurrent_botocore_calls_keep_their_own_raw_answers(plain_env: None) -> None:
    """A failed call's raw answer travels with that call, not through shared state: two
    threads on one botocore S3 client, one answered late with a portal's HTML page, the
    other at once with an S3 refusal, each judge their own answer."""
    from concurrent.futures import ThreadPoolExecutor

    from keydoctor.probes import outcome as oc
    from keydoctor.probes import s3 as s3_probes

    answers = {
        "ListBuckets": Answer(403, HTML_PAGE, {"Content-Type": "text/html"}, delay=0.4),
        "ListObjectsV2": s3_error("AccessDenied", "Access Denied", 403),
    }
    with replaying(answers) as server:
        transport = Transport(_target(server.endpoint, None))  # botocore clients only
        assert not isinstance(transport.client("s3"), FastClient)
        with ThreadPoolExecutor(max_workers=2) as pool:
            late = pool.submit(s3_probes.list_buckets, transport)
            prompt = pool.submit(s3_probes.list_objects, transport, "b-1", None)
            listing, objects = late.result(), prompt.result()
    assert listing.outcome == oc.NOT_AWS, listing.failure
    assert listing.failure is not None and "HTML page" in listing.failure.reason
    assert objects.outcome == oc.DENIED, objects.failure
    assert objects.failure is not None and objects.failure.code == "AccessDenied"
