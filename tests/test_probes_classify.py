"""How botocore's exceptions are sorted into outcomes a person can act on (no network:
the exceptions are the ones botocore raises, built as botocore builds them, read into a
RawAnswer as the transport reads them)."""

from __future__ import annotations

import socket

from botocore import exceptions as bx

from keydoctor.probes import outcome as oc
from keydoctor.probes.access import answer_of
from keydoctor.probes.access import classify as classify_answer
from keydoctor.probes.transport import Target

TARGET = Target(region="eu-west-1", endpoint_url=None, profile=None, source=None, timeout=2.0)


def classify(exc: BaseException, target: Target, asked_operation: str = "") -> oc.Failure:
    return classify_answer(answer_of(exc), target, asked_operation)


def test_dns_failure_names_dns() -> None:
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    failure = classify(
        bx.EndpointConnectionError(
            endpoint_url="https://sts.eu-west-1.amazonaws.com/", error=error
        ),
        TARGET,
    )
    assert failure.outcome == oc.UNREACHABLE
    assert "DNS" in failure.reason


def test_timeouts_and_refusals() -> None:
    connect = classify(bx.ConnectTimeoutError(endpoint_url="https://s3.amazonaws.com/"), TARGET)
    assert connect.outcome == oc.UNREACHABLE and "2 s" in connect.reason
    read = classify(bx.ReadTimeoutError(endpoint_url="https://s3.amazonaws.com/"), TARGET)
    assert read.outcome == oc.UNREACHABLE and "did not answer" in read.reason
    refused = classify(
        bx.EndpointConnectionError(
            endpoint_url="http://127.0.0.1:1/",
            error=ConnectionRefusedError(111, "Connection refused"),
        ),
        TARGET,
    )
    assert "refused" in refused.reason


def test_aws_codes() -> None:
    def client_error(code: str, status: int, operation: str = "GetCallerIdentity") -> oc.Failure:
        response = {
            "Error": {"Code": code, "Message": "m"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return classify(bx.ClientError(response, operation), TARGET)

    assert client_error("InvalidClientTokenId", 403).outcome == oc.AUTH_FAILED
    assert client_error("RequestTimeTooSkewed", 403).outcome == oc.AUTH_FAILED
    assert client_error("AccessDenied", 403).outcome == oc.DENIED
    assert client_error("NoSuchKey", 404).outcome == oc.NOT_FOUND
    assert client_error("PermanentRedirect", 301).outcome == oc.REDIRECT
    assert client_error("SlowDown", 503).outcome == oc.SERVER_ERROR
    assert client_error("Throttling", 400).outcome == oc.SERVER_ERROR
    assumed = client_error("AccessDenied", 403, operation="AssumeRole")
    assert assumed.outcome == oc.PROVIDER and assumed.operation == "AssumeRole"
    # a probe that itself asks AssumeRole gets a plain denial
    response = {
        "Error": {"Code": "AccessDenied", "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    asked = classify(bx.ClientError(response, "AssumeRole"), TARGET, "assume role")
    assert asked.outcome == oc.DENIED


def test_missing_credentials_is_a_provider_failure() -> None:
    failure = classify(bx.NoCredentialsError(), TARGET)
    assert failure.outcome == oc.PROVIDER
