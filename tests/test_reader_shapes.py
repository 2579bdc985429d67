"""One golden case per error shape the readers learned to recognise beyond the tool readers
of ``test_readers.py``: missing-credential messages of the Ruby and Go SDKs and of tools that
print no AWS code, PHP's and Hadoop's credential errors, S3's region and redirect wordings,
profile and config errors of other SDKs, POST-policy and policy-grammar refusals, and bare
statuses in other tools' words.

Each text has the shape the tool prints (its source's message format), not one reported
case's wording; the test says which catalog error is read from it and which category of
cause that error must offer, so the learned ranking can choose it.
"""

from __future__ import annotations

import pytest

from keydoctor.catalog import diagnose_text

SHAPES = (
    (
        "ruby-missing-credentials",
        "unable to sign request without credentials set (Aws::Errors::MissingCredentialsError)",
        "MissingCredentialsError",
        "no-credentials",
    ),
    (
        "ruby-sigv4-missing-credentials",
        "aws-sigv4/signer.rb:517:in `extract_credentials_provider': missing credentials, provide "
        "credentials with one of the following options: (Aws::Sigv4::Errors::"
        "MissingCredentialsError)",
        "MissingCredentialsError",
        "config-malformed",
    ),
    (
        "go-v1-empty-static",
        "EmptyStaticCreds: static credentials are empty",
        "MissingCredentialsError",
        "no-credentials",
    ),
    (
        "serverless-no-credentials",
        "  Serverless Error ---------------------------------------\n\n"
        "  AWS provider credentials not found. Learn how to set up AWS provider credentials in "
        "our docs here: <http://slss.io/aws-creds-setup>.",
        "MissingCredentialsError",
        "no-credentials",
    ),
    (
        "s3fs-no-credentials",
        "s3fs: could not determine how to establish security credentials.",
        "MissingCredentialsError",
        "no-credentials",
    ),
    (
        "cdk-no-account",
        "Unable to resolve AWS account to use. It must be either configured when you define your "
        "CDK Stack, or through the environment",
        "MissingCredentialsError",
        "wrong-source",
    ),
    (
        "s3cmd-no-config",
        "ERROR: /home/user/.s3cfg: None\nERROR: Configuration file not available.",
        "MissingCredentialsError",
        "no-credentials",
    ),
    (
        "php-instance-profile",
        "Aws\\Exception\\CredentialsException: Error retrieving credentials from the instance "
        "profile metadata server. (cURL error 28: Connection timed out after 1000 milliseconds)",
        "AmazonClientException",
        "provider-failure",
    ),
    (
        "hadoop-s3n-keys",
        "java.lang.IllegalArgumentException: AWS Access Key ID and Secret Access Key must be "
        "specified as the username or password (respectively) of a s3n URL, or by setting the "
        "fs.s3n.awsAccessKeyId or fs.s3n.awsSecretAccessKey properties (respectively).",
        "AmazonClientException",
        "no-credentials",
    ),
    (
        "s3-permanent-redirect-words",
        "Encountered a permanent redirect while requesting https://b.s3.eu-west-1.amazonaws.com/"
        "?list-type=2. Are you sure you are using the correct region for this bucket?",
        "PermanentRedirect",
        "region-endpoint",
    ),
    (
        "s3-region-wrong-expecting",
        "<Error><Code>InvalidArgument</Code><Message>the region 'us-east-1' is wrong; expecting "
        "'eu-west-1'</Message><ArgumentName>X-Amz-Credential</ArgumentName></Error>",
        # The code S3 shows is reported (errors-common.toml); the region cause is offered.
        "InvalidArgument",
        "region-endpoint",
    ),
    (
        "cli-service-endpoint-url",
        'Could not connect to the [sqs] endpoint URL: "https://sqs.us-east-1.amazonaws.com/"',
        "EndpointConnectionError",
        "region-endpoint",
    ),
    (
        "python-dns-failure",
        "botocore.exceptions: ('Connection aborted.', gaierror(-2, 'Name or service not known'))",
        "EndpointConnectionError",
        "not-credentials",
    ),
    (
        "ruby-no-such-profile",
        "Aws::Errors::NoSuchProfileError: Profile `dev' not found in ~/.aws/credentials",
        "ProfileNotFound",
        "config-malformed",
    ),
    (
        "serverless-profile",
        '  Serverless Error ----\n  AWS profile "staging" doesn\'t seem to be configured',
        "ProfileNotFound",
        "config-malformed",
    ),
    (
        "cli-sso-settings-missing",
        "aws: [ERROR]: missing required configuration: sso_region, sso_start_url",
        "InvalidConfigError",
        "provider-failure",
    ),
    (
        "java-v1-profile-line",
        "com.amazonaws.SdkClientException: Invalid property format: no '=' character is found "
        "in the line [aws_access_key_id AKIA].",
        "InvalidConfigError",
        "config-malformed",
    ),
    (
        "rust-profile-file",
        'CredentialsLoadingError(InvalidConfiguration { cause: "ProfileFile provider could not '
        'be built: profile `dev` did not contain credential information" })',
        "InvalidConfigError",
        "config-malformed",
    ),
    (
        "s3-post-policy",
        "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy Condition "
        'failed: ["starts-with", "$Content-Type", "image/"]</Message></Error>',
        "AccessDenied",
        "not-credentials",
    ),
    (
        "lambda-not-authorized",
        "User: arn:aws:iam::123456789012:user/dev is not allowed. You are not authorized to "
        "perform: lambda:GetLayerVersion.",
        "AccessDenied",
        "permission-missing",
    ),
    (
        "iam-malformed-policy",
        "An error occurred (MalformedPolicyDocument) when calling the PutUserPolicy operation: "
        "Syntax errors in policy.",
        "MalformedPolicyDocument",
        "not-credentials",
    ),
    (
        "ec2-query-without-key",
        "The request must contain the parameter AWSAccessKeyId (Service: AmazonEC2; Status Code: "
        "400; Error Code: MissingParameter)",
        # The code EC2 shows is reported (errors-common.toml); it offers the unsigned request.
        "MissingParameter",
        "no-credentials",
    ),
    (
        "s3-bare-400-parenthesised",
        'Error: Unable to connect to URL "s3://bucket/key.csv": 400 (Bad Request)',
        "400 Bad Request",
        "signing-other",
    ),
)


@pytest.mark.parametrize(("name", "text", "code", "category"), SHAPES, ids=[s[0] for s in SHAPES])
def test_error_shape_golden(name: str, text: str, code: str, category: str) -> None:
    result = diagnose_text(text)
    assert result.error_code == code, (name, result.error_code)
    offered = {c.category.value for c in result.causes}
    assert category in offered, (name, sorted(offered))
