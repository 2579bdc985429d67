"""What the endpoint offers, judged from finished probe answers (no network here).

The answers below are shaped as the probes record them; the statuses and codes are those
SeaweedFS 4.48 gave (STS 503 ServiceUnavailable by default, 405 with an empty body when
started with -iam=false) and AWS's own for the AWS cases.
"""

from __future__ import annotations

from keydoctor.probes import outcome as oc
from keydoctor.probes.capabilities import Endpoint, assess, is_aws_host, speaker_for
from keydoctor.probes.outcome import Failure, ProbeResult

SEAWEED = {"server": "SeaweedFS 8000GB 4.48"}


def probe(
    name: str, outcome: str, failure: Failure | None = None, headers: dict[str, str] | None = None
) -> ProbeResult:
    service = name.split(":", 1)[0]
    return ProbeResult(
        name=name,
        service=service,
        operation=name.split(":", 1)[1],
        asked="",
        outcome=outcome,
        failure=failure,
        headers=dict(headers or {}),
    )


STS_503 = probe(
    "sts:GetCallerIdentity",
    oc.SERVER_ERROR,
    Failure(oc.SERVER_ERROR, "503", "", "answered HTTP 503", 503),
    SEAWEED,
)
STS_405 = probe(
    "sts:GetCallerIdentity",
    oc.NOT_AWS,
    Failure(oc.NOT_AWS, "ResponseParserError", "", "not a readable AWS answer", 405),
)
IAM_405 = probe(
    "iam:ListAccessKeys",
    oc.NOT_AWS,
    Failure(oc.NOT_AWS, "ResponseParserError", "", "not a readable AWS answer", 405),
)
IAM_OK = probe("iam:ListAccessKeys", oc.OK, headers=SEAWEED)
S3_OK = probe("s3:ListBuckets", oc.OK, headers=SEAWEED)
S3_500 = probe(
    "s3:ListBuckets",
    oc.SERVER_ERROR,
    Failure(oc.SERVER_ERROR, "InternalError", "", "answered HTTP 500", 500),
    SEAWEED,
)


def test_aws_hosts_and_custom_hosts() -> None:
    assert is_aws_host(None)
    assert is_aws_host("https://sts.eu-west-1.amazonaws.com")
    assert is_aws_host("https://s3.cn-north-1.amazonaws.com.cn")
    assert not is_aws_host("http://127.0.0.1:8333")
    assert not is_aws_host("https://amazonaws.com.example.net")
    assert speaker_for("http://minio.local:9000") == "the endpoint"
    assert speaker_for(None) == "AWS"


def test_the_server_header_names_the_server_or_says_it_is_amazon_s3() -> None:
    endpoint = Endpoint.of("http://127.0.0.1:8333", [S3_OK])
    assert endpoint.custom and endpoint.server == "SeaweedFS"
    assert endpoint.speaker == "the endpoint (SeaweedFS)"
    assert endpoint.admin == "SeaweedFS's user and policy admin"
    amazon = probe("s3:ListBuckets", oc.OK, headers={"server": "AmazonS3"})
    assert not Endpoint.of("http://127.0.0.1:8333", [amazon]).custom


def test_cli_commands_aim_at_the_custom_endpoint_only() -> None:
    custom = Endpoint.of("http://127.0.0.1:8333", [S3_OK])
    assert custom.cli("aws s3 ls") == "aws s3 --endpoint-url http://127.0.0.1:8333 ls"
    assert Endpoint.of(None, [S3_OK]).cli("aws s3 ls") == "aws s3 ls"


def test_sts_503_while_s3_answers_means_sts_is_not_offered() -> None:
    found = assess(Endpoint.of("http://127.0.0.1:8333", [S3_OK]), STS_503, IAM_OK, [S3_OK])
    assert (found.sts, found.iam) == (False, True)
    assert found.sts_said == "HTTP 503"
    assert found.missing == ["STS"]


def test_405_from_sts_and_iam_means_neither_is_offered() -> None:
    found = assess(Endpoint.of("http://127.0.0.1:8333", [S3_OK]), STS_405, IAM_405, [S3_OK])
    assert found.missing == ["STS", "IAM"]
    assert found.iam_said == "HTTP 405 without an AWS answer"


def test_when_s3_fails_too_a_503_stays_service_trouble() -> None:
    found = assess(Endpoint.of("http://127.0.0.1:8333", [S3_500]), STS_503, IAM_OK, [S3_500])
    assert found.missing == []


def test_on_aws_nothing_is_judged_missing() -> None:
    found = assess(Endpoint.of(None, [S3_OK]), STS_503, IAM_405, [S3_OK])
    assert found.missing == []
