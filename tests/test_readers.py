"""One golden case per reader of a tool's error shape (``catalog/facts.py``'s ``_TOOLS``).

Each input has the shape the tool itself prints (its documentation, its source's message
formats), not the wording of one reported case; the test says which tool and language the
text is read as, which error code, HTTP status and operation are taken out of it, and
which category of cause the error must offer. Where that category ranks is learned from the
real-error corpus (``catalog/learned.json``) and measured there by ``bench/explain_eval.py``:
on the corpus, a signature mismatch is more often the signing than the secret, and a bare
403 on HeadObject more often a missing object than a missing right, so these hand-picked
texts no longer decide the order. A reader added without a golden case here fails
``test_every_reader_has_a_golden_case``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from keydoctor.catalog import diagnose_text, facts


@dataclass(frozen=True)
class Golden:
    name: str
    text: str
    tool: str
    language: str
    code: str | None
    category: str | None
    status: int | None = None
    operation: str | None = None


GOLDEN = (
    Golden(
        "java-v1-s3-exception",
        "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
        "Status Code: 403; Error Code: AccessDenied; Request ID: 4442587FB7D0A2F9; "
        "S3 Extended Request ID: qSN1nq0ZW7rN4Ck5nMbUFy1rxcA=)\n"
        "\tat com.amazonaws.http.AmazonHttpClient$RequestExecutor.handleErrorResponse"
        "(AmazonHttpClient.java:1799)\n"
        "\tat com.amazonaws.services.s3.AmazonS3Client.getObject(AmazonS3Client.java:1472)",
        "aws-sdk-java",
        "Java",
        "AccessDenied",
        "permission-missing",
        status=403,
        operation="getObject",
    ),
    Golden(
        "java-v1-region-chain",
        "com.amazonaws.SdkClientException: Unable to load region information from any provider "
        "in the chain\n\tat com.amazonaws.regions.AwsRegionProviderChain.getRegion"
        "(AwsRegionProviderChain.java:59)",
        "aws-sdk-java",
        "Java",
        "NoRegionError",
        "region-endpoint",
    ),
    Golden(
        "java-v1-credentials-chain",
        "com.amazonaws.SdkClientException: Unable to load AWS credentials from any provider in "
        "the chain: [EnvironmentVariableCredentialsProvider: Unable to load AWS credentials from "
        "environment variables (AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY) and AWS_SECRET_KEY (or "
        "AWS_SECRET_ACCESS_KEY)), SystemPropertiesCredentialsProvider: Unable to load AWS "
        "credentials from Java system properties (aws.accessKeyId and aws.secretKey)]",
        "aws-sdk-java",
        "Java",
        "AmazonClientException",
        "no-credentials",
    ),
    Golden(
        "java-v2-s3-exception",
        "software.amazon.awssdk.services.s3.model.S3Exception: The request signature we "
        "calculated does not match the signature you provided. Check your key and signing "
        "method. (Service: S3, Status Code: 403, Request ID: 8W2BJ1MYK7YVS3NB, Extended "
        "Request ID: Vt1kLq0pN9v3+2U=)",
        "aws-sdk-java-v2",
        "Java",
        "SignatureDoesNotMatch",
        "secret-wrong",
        status=403,
    ),
    Golden(
        "java-v2-chain-without-package",
        "Unable to load credentials from any of the providers in the chain "
        "AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(), "
        "EnvironmentVariableCredentialsProvider(), ProfileCredentialsProvider()])",
        "aws-sdk-java-v2",
        "Java",
        "AmazonClientException",
        "no-credentials",
    ),
    Golden(
        "dotnet",
        "Amazon.S3.AmazonS3Exception: The AWS Access Key Id you provided does not exist in our "
        "records.\n ---> Amazon.Runtime.Internal.HttpErrorResponseException: Exception of type "
        "'Amazon.Runtime.Internal.HttpErrorResponseException' was thrown.",
        "aws-sdk-dotnet",
        "C#",
        "InvalidAccessKeyId",
        "key-id-wrong",
    ),
    Golden(
        "js-v3-provider-chain",
        "CredentialsProviderError: Could not load credentials from any providers\n"
        "    at providerChain (/app/node_modules/@smithy/property-provider/dist-cjs/"
        "chain.js:12:11)",
        "aws-sdk-js-v3",
        "JavaScript",
        "CredentialsProviderError",
        "no-credentials",
    ),
    Golden(
        "node-invalid-header",
        'TypeError [ERR_INVALID_CHAR]: Invalid character in header content ["Authorization"]\n'
        "    at ClientRequest.setHeader (node:_http_outgoing:647:3)",
        "aws-sdk-js",
        "JavaScript",
        "ERR_INVALID_CHAR",
        "secret-wrong",
    ),
    Golden(
        "js-v2",
        "CredentialsError: Missing credentials in config, if using AWS_CONFIG_FILE, set "
        "AWS_SDK_LOAD_CONFIG=1\n    at Request.extractError (/app/node_modules/aws-sdk/lib/"
        "services/s3.js:700:35)",
        "aws-sdk-js",
        "JavaScript",
        "CredentialsError",
        "no-credentials",
    ),
    Golden(
        "go-v1-no-providers",
        "NoCredentialProviders: no valid providers in chain. Deprecated.\n"
        "\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors",
        "aws-sdk-go",
        "Go",
        "NoCredentialProviders",
        "no-credentials",
    ),
    Golden(
        "go-v1-request-failure",
        "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.\n"
        "\tstatus code: 403, request id: 5A8F2C1B9D3E4F60, host id: abcd=",
        "aws-sdk-go",
        "Go",
        "InvalidAccessKeyId",
        "key-id-wrong",
        status=403,
    ),
    Golden(
        "go-v2-operation-error",
        "operation error S3: GetObject, https response error StatusCode: 403, RequestID: "
        "Q3K9YB2TJ0V8, HostID: abc=, api error AccessDenied: Access Denied",
        "aws-sdk-go-v2",
        "Go",
        "AccessDenied",
        "permission-missing",
        status=403,
        operation="GetObject",
    ),
    Golden(
        "terraform-no-sources",
        "Error: error configuring Terraform AWS Provider: no valid credential sources for "
        "Terraform AWS Provider found.\n\nPlease see https://registry.terraform.io/providers/"
        "hashicorp/aws\nfor more information about providing credentials.",
        "terraform",
        "Go",
        "NoCredentialProviders",
        "no-credentials",
    ),
    Golden(
        "terraform-backend",
        'Error configuring the backend "s3": No valid credential sources found for AWS '
        "Provider.\n\tPlease see https://terraform.io/docs/providers/aws/index.html for more "
        "information on\n\tproviding credentials for the AWS Provider",
        "terraform",
        "Go",
        "NoCredentialProviders",
        "no-credentials",
    ),
    Golden(
        "aws-cli-client-error-403",
        "$ aws s3 cp s3://my-bucket/report.csv .\nfatal error: A client error (403) occurred "
        "when calling the HeadObject operation: Forbidden",
        "aws-cli",
        "Python",
        "403 Forbidden",
        "permission-missing",
        status=403,
        operation="HeadObject",
    ),
    Golden(
        "aws-cli-configure-list",
        "$ aws configure list\n      Name                    Value             Type    Location\n"
        "      ----                    -----             ----    --------\n"
        "   profile                <not set>             None    None\n"
        "access_key                <not set>             None    None\n"
        "secret_key                <not set>             None    None\n"
        "    region                <not set>             None    None",
        "aws-cli",
        "Python",
        "NoCredentialsError",
        "no-credentials",
    ),
    Golden(
        "python-configparser",
        '  File "/usr/lib/python3/dist-packages/botocore/configloader.py", line 149, in '
        "raw_config_parse\n"
        "configparser.DuplicateSectionError: While reading from '/home/me/.aws/config' "
        "[line  7]: section 'profile dev' already exists",
        "boto3",
        "Python",
        "InvalidConfigError",
        "config-malformed",
    ),
    Golden(
        "aws-cdk-no-credentials",
        " ❌  Environment aws://123456789012/eu-west-1 failed bootstrapping: Error: Need to "
        "perform AWS calls for account 123456789012, but no credentials have been configured\n"
        "    at SdkProvider.forEnvironment (/usr/lib/node_modules/aws-cdk/lib/index.js:1:2)",
        "aws-cdk",
        "JavaScript",
        "CredentialsProviderError",
        "no-credentials",
    ),
    Golden(
        "boto2-no-handler",
        "boto.exception.NoAuthHandlerFound: No handler was ready to authenticate. 1 handlers "
        "were checked. ['HmacAuthV4Handler'] Check your credentials",
        "boto",
        "Python",
        "NoCredentialsError",
        "no-credentials",
    ),
    Golden(
        "ansible-module-failure",
        'fatal: [localhost]: FAILED! => {"changed": false, "module_stderr": "Traceback (most '
        "recent call last): ... botocore.exceptions.NoCredentialsError: Unable to locate "
        'credentials", "module_stdout": "", "msg": "MODULE FAILURE"}',
        "ansible",
        "Python",
        "NoCredentialsError",
        "no-credentials",
    ),
    Golden(
        "botocore-client-error",
        "An error occurred (ExpiredToken) when calling the ListBuckets operation: The provided "
        "token has expired.",
        "botocore",
        "Python",
        "ExpiredToken",
        "session-token",
        operation="ListBuckets",
    ),
    Golden(
        "boto3-traceback",
        'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n'
        "    s3.list_buckets()\nbotocore.exceptions.NoCredentialsError: Unable to locate "
        "credentials",
        "boto3",
        "Python",
        "NoCredentialsError",
        "no-credentials",
    ),
    Golden(
        "s3cmd",
        "ERROR: S3 error: 403 (SignatureDoesNotMatch): The request signature we calculated does "
        "not match the signature you provided. Check your key and signing method.",
        "s3cmd",
        "Python",
        "SignatureDoesNotMatch",
        "secret-wrong",
        status=403,
    ),
    Golden(
        "rclone",
        "2024/03/02 10:11:12 ERROR : photos/a.jpg: Failed to copy: InvalidAccessKeyId: The AWS "
        "Access Key Id you provided does not exist in our records.\n\tstatus code: 403, request "
        "id: 17B9A5C0E2D3, host id: ",
        "rclone",
        "Go",
        "InvalidAccessKeyId",
        "key-id-wrong",
        status=403,
    ),
    Golden(
        "s3fs-status-only",
        "RequestPerform(1595): ### CURLE_HTTP_RETURNED_ERROR\n"
        "RequestPerform(1600): HTTP response code 403\n"
        "s3fs: Failed to access bucket.",
        "s3fs-fuse",
        "C++",
        "403 Forbidden",
        "permission-missing",
        status=403,
    ),
    Golden(
        "minio-mc",
        "mc: <ERROR> Unable to list folder. The request signature we calculated does not match "
        "the signature you provided. Check your key and signing method.",
        "minio-mc",
        "Go",
        "SignatureDoesNotMatch",
        "secret-wrong",
    ),
    Golden(
        "minio-py",
        "minio.error.S3Error: S3 operation failed; code: AccessDenied, message: Access Denied., "
        "resource: /bucket/key, request_id: 17B9A5C0E2D3, host_id: dd9025bab4ad, bucket: bucket",
        "minio-py",
        "Python",
        "AccessDenied",
        "permission-missing",
    ),
    Golden(
        "minio-java",
        "io.minio.errors.ErrorResponseException: The Access Key Id you provided does not exist "
        "in our records.\n\tat io.minio.S3Base$1.onResponse(S3Base.java:775)",
        "minio-java",
        "Java",
        "InvalidAccessKeyId",
        "region-endpoint",  # keys of one endpoint (AWS) sent to another (a MinIO server)
    ),
    Golden(
        "minio-go",
        'minio.ErrorResponse{Code:"SignatureDoesNotMatch", Message:"The request signature we '
        'calculated does not match the signature you provided.", BucketName:"b"}',
        "minio-go",
        "Go",
        "SignatureDoesNotMatch",
        "secret-wrong",
    ),
    Golden(
        "hadoop-s3a",
        "java.nio.file.AccessDeniedException: s3a://bucket/data: getFileStatus on "
        "s3a://bucket/data: com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden "
        "(Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden; Request ID: "
        "9B3C5D7E)",
        "hadoop-s3a",
        "Java",
        "403 Forbidden",
        "permission-missing",
        status=403,
        operation="getFileStatus",
    ),
    Golden(
        "redshift",
        "ERROR: S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid 1A2B3C",
        "redshift",
        "SQL",
        "AccessDenied",
        "permission-missing",
    ),
    Golden(
        "aws-vault",
        "aws-vault: error: exec: Failed to get credentials for dev: InvalidClientTokenId: The "
        "security token included in the request is invalid.\n\tstatus code: 403, request id: "
        "6e2f",
        "aws-vault",
        "Go",
        "InvalidClientTokenId",
        "region-endpoint",  # the most common cause of this code: an opt-in region, a partition
        status=403,
    ),
    Golden(
        "kubectl",
        "error: You must be logged in to the server (Unauthorized)\nUnable to connect to the "
        "server: getting credentials: exec: executable aws failed with exit code 255",
        "kubectl",
        "Go",
        "KubernetesUnauthorized",
        "wrong-source",
    ),
    Golden(
        "github-actions",
        "Error: Credentials could not be loaded, please check your action inputs: Could not "
        "load credentials from any providers",
        "github-actions",
        "JavaScript",
        "CredentialsProviderError",
        "no-credentials",
    ),
    Golden(
        "php",
        'Error executing "PutObject" on "https://b.s3.amazonaws.com/k"; AWS HTTP error: Client '
        "error: `PUT https://b.s3.amazonaws.com/k` resulted in a `403 Forbidden` response: "
        "SignatureDoesNotMatch (client): The request signature we calculated does not match",
        "aws-sdk-php",
        "PHP",
        "SignatureDoesNotMatch",
        "secret-wrong",
        status=403,
        operation="PutObject",
    ),
    Golden(
        # Ruby SDK v3 developer guide: a service error is raised as Aws::<Service>::Errors::
        # <Code> from the seahorse client in aws-sdk-core (C++ also lives in Aws::).
        "ruby",
        "/usr/local/bundle/gems/aws-sdk-core-3.190.0/lib/seahorse/client/plugins/"
        "raise_response_errors.rb:17:in `call': The AWS Access Key Id you provided does not "
        "exist in our records. (Aws::S3::Errors::InvalidAccessKeyId)",
        "aws-sdk-ruby",
        "Ruby",
        "InvalidAccessKeyId",
        "key-id-wrong",
    ),
    Golden(
        # Terraform before 0.12 listed each resource's error as "* aws_type.name: ...",
        # the AWS provider wrapping the Go SDK v1's awserr text.
        "terraform-0.11",
        "Error: Error applying plan:\n\n1 error(s) occurred:\n\n* aws_s3_bucket.logs: Error "
        "creating S3 bucket: AccessDenied: Access Denied\n\tstatus code: 403, request id: "
        "4442587FB7D0A2F9, host id: c2FtcGxl",
        "terraform",
        "Go",
        "AccessDenied",
        "permission-missing",
        status=403,
    ),
    Golden(
        "cpp",
        "[ERROR] 2024-03-02 10:11:12 AWSClient [140] HTTP response code: 403\nException name: "
        "InvalidAccessKeyId\nError message: The AWS Access Key Id you provided does not exist "
        "in our records.\nAws::S3::S3Error",
        "aws-sdk-cpp",
        "C++",
        "InvalidAccessKeyId",
        "key-id-wrong",
        status=403,
    ),
    Golden(
        "rust",
        "Error: DispatchFailure(DispatchFailure { source: ConnectorError { kind: Other(None), "
        'source: CredentialsNotLoaded(CredentialsNotLoaded { source: "no providers in chain '
        'provided credentials" }) } })',
        "aws-sdk-rust",
        "Rust",
        "AmazonClientException",
        "no-credentials",
    ),
)


@pytest.mark.parametrize("golden", GOLDEN, ids=[g.name for g in GOLDEN])
def test_reader_golden(golden: Golden) -> None:
    result = diagnose_text(golden.text)
    assert (result.tool, result.language) == (golden.tool, golden.language)
    assert result.error_code == golden.code
    ranked = list(dict.fromkeys(c.category.value for c in result.causes))
    if golden.category is None:
        assert not ranked
    else:
        assert golden.category in ranked, ranked
    assert result.status == golden.status
    assert result.operation == golden.operation


def test_every_reader_has_a_golden_case() -> None:
    readers = {name for name, _language, _pattern in facts._TOOLS}
    assert readers == {g.tool for g in GOLDEN}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "A client error (EntityAlreadyExists) occurred when calling the CreatePolicy "
            "operation: A policy called p already exists",
            "EntityAlreadyExists",
        ),
        (
            "Status Code: 400, AWS Service: AmazonSNS, AWS Request ID: 1f2e, AWS Error Code: "
            "ThrottledRequest, AWS Error Message: Rate exceeded",
            "ThrottledRequest",
        ),
        ("ERROR: S3 error: 409 (BucketAlreadyExists): bucket taken", "BucketAlreadyExists"),
        ("minio.error.ResponseError: code: SlowDown, message: Please reduce", "SlowDown"),
    ],
)
def test_codes_the_catalog_does_not_know_are_still_read(text: str, code: str) -> None:
    """A code outside the catalog is read from every tool's shape and listed as seen."""
    result = diagnose_text(text)
    assert not result.found
    assert result.unknown_codes == (code,)
