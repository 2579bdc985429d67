"""One golden case per reader of the place a tool prints the AWS error code
(``catalog/shapes.py``).

Each text is written from the tool's documented error format (named in the case), not
copied from a reported case: the test says which code the shape reader takes out of it,
and which catalog error ``explain`` then reports (or, for a code the catalog does not hold,
that it is listed as seen). A shape added without a golden case here fails
``test_every_shape_has_a_golden_case``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from keydoctor.catalog import diagnose_text
from keydoctor.catalog.shapes import SHAPES, read_codes


@dataclass(frozen=True)
class Golden:
    shape: str
    source: str  # the document or source file whose format the text follows
    text: str
    code: str  # what the shape reader reads
    error: str | None  # the catalog error explain reports; None: listed as unknown


GOLDEN = (
    Golden(
        "botocore",
        "botocore exceptions.py, ClientError.MSG_TEMPLATE",
        "botocore.exceptions.ClientError: An error occurred (InvalidClientTokenId) when "
        "calling the GetCallerIdentity operation: The security token included in the request "
        "is invalid.",
        "InvalidClientTokenId",
        "InvalidClientTokenId",
    ),
    Golden(
        "aws-cli-v1",
        "AWS CLI v1 (before 1.10) ClientError message",
        "A client error (NoSuchEntity) occurred when calling the GetRole operation: The role "
        "with name deploy cannot be found.",
        "NoSuchEntity",
        "NoSuchEntity",
    ),
    Golden(
        "java-v1",
        "AWS SDK for Java v1, AmazonServiceException.getMessage()",
        "com.amazonaws.services.s3.model.AmazonS3Exception: The specified bucket does not "
        "exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "
        "7D4A3C1B2E9F0A11; S3 Extended Request ID: c2FtcGxl)",
        "NoSuchBucket",
        "NoSuchBucket",
    ),
    Golden(
        "php-v2",
        "AWS SDK for PHP v2, ServiceResponseException::__toString()",
        "Aws\\Iam\\Exception\\IamException: AWS Error Code: LimitExceeded, Status Code: 409, "
        "AWS Request ID: 5c1e, AWS Error Type: client, AWS Error Message: Cannot exceed quota "
        "for AccessKeysPerUser: 2",
        "LimitExceeded",
        "LimitExceeded",
    ),
    Golden(
        "php-v3",
        "AWS SDK for PHP v3, AwsException message (AWS HTTP error ... Code (client): message)",
        'Error executing "PutObject" on "https://b.s3.amazonaws.com/k"; AWS HTTP error: '
        "Client error: `PUT https://b.s3.amazonaws.com/k` resulted in a `400 Bad Request` "
        "response:\n(truncated...)\n MissingParameter (client): The request must contain the "
        "parameter AWSAccessKeyId",
        "MissingParameter",
        "MissingParameter",
    ),
    Golden(
        "s3-xml",
        "Amazon S3 API reference, Error responses (REST error response body)",
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>'
        "a non-empty Access Key (AKID) must be provided in the credential.</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId></Error>",
        "InvalidArgument",
        "InvalidArgument",
    ),
    Golden(
        "json",
        "AWS JSON 1.1 protocol, error response __type",
        '{"__type":"com.amazon.coral.service#UnrecognizedClientException",'
        '"message":"The security token included in the request is invalid."}',
        "UnrecognizedClientException",
        "UnrecognizedClientException",
    ),
    Golden(
        "go-v2",
        "AWS SDK for Go v2 OperationError / ResponseError / smithy GenericAPIError, as "
        "Terraform's AWS provider prints it",
        "Error: validating provider credentials: retrieving caller identity from STS: "
        "operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
        "RequestID: 0a1b2c3d-0000-4000-8000-000000000000, api error InvalidClientTokenId: "
        "The security token included in the request is invalid.",
        "InvalidClientTokenId",
        "InvalidClientTokenId",
    ),
    Golden(
        "go-v2-modeled",
        "AWS SDK for Go v2, a modeled exception's Error() (service types package)",
        "operation error IAM: CreateAccessKey, https response error StatusCode: 409, "
        "RequestID: 5c1e0000-0000-4000-8000-000000000000, LimitExceeded: Cannot exceed quota "
        "for AccessKeysPerUser: 2",
        "LimitExceeded",
        "LimitExceeded",
    ),
    Golden(
        "go-v1",
        "AWS SDK for Go v1, awserr.RequestFailure (a HEAD answer without a body: the code "
        "is the status text)",
        "Forbidden: Forbidden\n\tstatus code: 403, request id: 4442587FB7D0A2F9, host id: c2FtcGxl",
        "Forbidden",
        "403 Forbidden",
    ),
    Golden(
        "ruby",
        "AWS SDK for Ruby v3 developer guide, error handling (Aws::<Service>::Errors::<Code>)",
        "/gems/aws-sdk-core-3.190.0/lib/seahorse/client/plugins/raise_response_errors.rb:17:in "
        "`call': The role with name deploy cannot be found. (Aws::IAM::Errors::NoSuchEntity)",
        "NoSuchEntity",
        "NoSuchEntity",
    ),
    Golden(
        "js",
        "AWS SDK for JavaScript v3, a ServiceException as Node prints it",
        "NotAuthorizedException: Invalid login token. Token expired\n"
        "    at de_NotAuthorizedExceptionRes (/app/node_modules/@aws-sdk/client-cognito-"
        "identity/dist-cjs/index.js:1:1) {\n  '$fault': 'client',\n  '$metadata': { "
        "httpStatusCode: 400 },\n  name: 'NotAuthorizedException'\n}",
        "NotAuthorizedException",
        "NotAuthorizedException",
    ),
    Golden(
        "rust",
        "AWS SDK for Rust, ErrorMetadata's Debug output",
        "Error: ServiceError(ServiceError { source: Unhandled(Unhandled { source: ErrorMetadata "
        '{ code: Some("InvalidClientTokenId"), message: Some("The security token included in '
        'the request is invalid."), extras: None } }) })',
        "InvalidClientTokenId",
        "InvalidClientTokenId",
    ),
    Golden(
        "s3cmd",
        "s3cmd S3Error.__str__",
        "ERROR: S3 error: 404 (NoSuchBucket): The specified bucket does not exist",
        "NoSuchBucket",
        "NoSuchBucket",
    ),
    Golden(
        "rest-code",
        "minio-py S3Error.__str__",
        "minio.error.S3Error: S3 operation failed; code: BucketAlreadyOwnedByYou, message: "
        "Your previous request to create the named bucket succeeded, resource: /b",
        "BucketAlreadyOwnedByYou",
        None,
    ),
    Golden(
        "dotnet",
        "AWS SDK for .NET, AmazonServiceException.BuildGenericErrorMessage",
        "Amazon.S3.AmazonS3Exception: Error making request with Error Code Forbidden and Http "
        "Status Code Forbidden. No further error information was returned by the service.",
        "Forbidden",
        "403 Forbidden",
    ),
)


@pytest.mark.parametrize("golden", GOLDEN, ids=[g.shape for g in GOLDEN])
def test_shape_golden(golden: Golden) -> None:
    read = [(code, shape) for code, _position, shape in read_codes(golden.text)]
    assert (golden.code, golden.shape) in read, read
    result = diagnose_text(golden.text)
    if golden.error is None:
        assert not result.found
        assert golden.code in result.unknown_codes
    else:
        assert golden.error in [e.code for e in result.errors], result.error_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # A CloudTrail event (EC2 prefixes its codes with "Client.") and a Lambda function's
        # error object: the JSON reader takes the code after these keys too.
        (
            '{"eventSource": "ec2.amazonaws.com", "errorCode": "Client.UnauthorizedOperation"}',
            "UnauthorizedOperation",
        ),
        (
            '{"errorType": "AccessDeniedException", "errorMessage": "User is not authorized"}',
            "AccessDeniedException",
        ),
    ],
)
def test_json_reads_cloudtrail_and_lambda_error_keys(text: str, code: str) -> None:
    assert [(c, shape) for c, _position, shape in read_codes(text)] == [(code, "json")]
    assert diagnose_text(text).error_code == code


def test_every_shape_has_a_golden_case() -> None:
    assert {s.name for s in SHAPES} == {g.shape for g in GOLDEN}


def test_go_v1_wrapped_error_is_read_past_its_label() -> None:
    """awserr.Error puts the code after any label the caller wrote, and may wrap another
    error on the next line (``caused by:``)."""
    text = (
        "Error: WebIdentityErr: failed to retrieve credentials\n"
        "caused by: InvalidIdentityToken: No OpenIDConnect provider found in your account"
    )
    codes = [code for code, _position, _shape in read_codes(text)]
    assert codes[0] == "WebIdentityErr"
    assert "Error" not in codes


@pytest.mark.parametrize(
    "text",
    [
        "TypeError: Cannot read properties of undefined (reading 'Body')",
        "Error: something failed\ncaused by: a timeout",
        "status code: 403",
        "",
    ],
)
def test_words_that_are_not_codes_are_not_read(text: str) -> None:
    assert read_codes(text) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "s3fs: RequestPerform(2263): bucket b: HTTP response code 301, returning EPERM.",
            "PermanentRedirect",
        ),
        (
            "HeadBucket on bucket b: status code: 307, request id: 4442587FB7D0A2F9",
            "TemporaryRedirect",
        ),
    ],
)
def test_a_bare_redirect_status_is_the_error_of_its_code_family(text: str, code: str) -> None:
    """S3 answers a HEAD to a bucket of another region with a body-less 301, and to a bucket
    still propagating with a 307: codes.toml files both statuses under their redirect."""
    assert diagnose_text(text).error_code == code
