"""Every cause's fix in the catalog says what the AWS documentation says to do.

The catalog is data; a wrong command written into it (or a fix copied onto the wrong
cause) would be printed by ``explain``, the hook and ``check`` alike, and the golden tests
would freeze it. Each entry below states, for one cause, the essential part a person who
knows the fix expects to read: the command, the setting or the place, written from the AWS
documentation of that failure rather than copied from the catalog. A fix that lacks any of
them fails, and so does a cause without stated facts (a new cause must bring its own).
``bench/wrong_fixes.py`` replaces each fix with a wrong command to show this notices.
"""

from __future__ import annotations

from keydoctor.catalog.schema import load_catalog

# cause id -> what its fix must contain (every item)
FIX_FACTS: dict[str, tuple[str, ...]] = {
    "key-id-unknown": ("aws iam list-access-keys", "Active", "aws iam create-access-key"),
    "key-not-propagated": ("Wait", "aws sts get-caller-identity"),
    "secret-mismatch": ("aws configure set aws_secret_access_key", "whitespace"),
    "temp-key-without-token": ("AWS_SESSION_TOKEN", "aws_session_token", "aws sts"),
    "token-expired": ("aws sso login", "source_profile", "--duration-seconds"),
    "token-invalid": ("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN", "same session"),
    "presign-with-temp-creds": ("long-term", "session token"),
    "presign-expired": ("new URL", "7 days"),
    "clock-skew": ("timedatectl set-ntp true", "w32tm /resync", "date -u"),
    "other-store-keys": ("--endpoint-url", "aws configure list"),
    "shadowed-credentials": (
        "aws configure list",
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        "--profile",
    ),
    "anonymous-needed": ("--no-sign-request", "UNSIGNED", "AnonymousAWSCredentialsProvider"),
    "endpoint-not-applied": ("--endpoint-url", "endpoint_url=", "AWS_ENDPOINT_URL"),
    "partition-mismatch": ("cn-north-1", "us-gov-west-1"),
    "optin-region-sts": ("AWS_STS_REGIONAL_ENDPOINTS=regional", "sts_regional_endpoints"),
    "wrong-region": ("aws s3api get-bucket-location --bucket", "--region", "AWS_REGION"),
    "region-malformed": ("us-east-1", "aws configure set region"),
    "region-missing": ("aws configure set region", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "compatible-signing-region": ("us-east-1", "endpoint URL", "signing region"),
    "permission-missing": ("put-user-policy", "aws iam simulate-principal-policy"),
    "passrole-missing": ("iam:PassRole", "iam:PassedToService"),
    "explicit-deny": (
        "aws s3api get-bucket-policy",
        "SCPs",
        "Deny",
        "aws sts decode-authorization-message",
    ),
    "trust-policy": ("aws iam update-assume-role-policy", "trust policy", "aws iam get-role"),
    "kms-permission": ("kms:Decrypt", "kms:GenerateDataKey", "aws kms get-key-policy"),
    "requester-pays": ("--request-payer requester", "RequestPayer", "requester.pays"),
    "archive-object": ("aws s3api restore-object",),
    "acl-disabled": ("--acl", "x-amz-acl", "Object Ownership"),
    "account-state": ("aws account enable-region", "billing"),
    "proxy-rewrite": ("HTTP(S)_PROXY", "NO_PROXY", "StringToSign"),
    "presign-headers": ("headers", "presign"),
    "canonicalisation": ("SDK's signer", "URL-encode", "CanonicalRequest"),
    "no-credentials": ("aws configure", "aws sso login", "role", "aws configure list"),
    "ci-secrets-missing": ("secrets", "pull_request_target", "OIDC"),
    "provider-imds": ("instance profile", "--http-put-response-hop-limit 2", "169.254.169.254"),
    "provider-sso": ("aws sso login --profile", "--sso-session"),
    "provider-web-identity": ("service account", "id-token: write"),
    "provider-process": ("by hand", "Version", "AccessKeyId", "SecretAccessKey"),
    "profile-syntax": ("aws configure --profile", "aws configure list --profile"),
    "profile-missing": ("aws configure list-profiles", "AWS_PROFILE"),
    "credentials-string-format": (
        "one line without spaces",
        "aws_access_key_id=",
        ";aws_secret_access_key=",
        "IAM_ROLE",
    ),
    "no-mfa": ("aws sts get-session-token --serial-number", "--token-code", "mfa_serial"),
    "keys-other-endpoint": ("--debug", "AWS_STS_REGIONAL_ENDPOINTS=regional", "--endpoint-url"),
    "wrong-url": ("invoke URL", "stage", "aws apigateway get-stages"),
    "sts-region-disabled": ("Security Token Service", "AWS_STS_REGIONAL_ENDPOINTS"),
    "root-assumes-role": ("IAM user", "root access keys"),
    "kms-key-unusable": ("aws kms enable-key --key-id", "aws kms cancel-key-deletion"),
    "kms-key-elsewhere": ("aws kms describe-key", "key's region"),
    "ciphertext-mismatch": ("ciphertext", "EncryptionContext"),
    "eks-identity-not-mapped": (
        "aws sts get-caller-identity",
        "aws eks list-access-entries",
        "aws eks update-kubeconfig",
    ),
    "eks-access-missing": ("aws eks create-access-entry", "--principal-arn", "access policy"),
    "session-duration-too-long": ("--duration-seconds", "--max-session-duration"),
    "lake-formation-grant-missing": ("aws lakeformation grant-permissions", "--permissions"),
    "create-bucket-location": ("aws s3api create-bucket", "LocationConstraint="),
    "sigv2-in-v4-region": ("s3v4", "signature_version"),
    "network-blocked": ("curl", "HTTPS_PROXY", "VPC endpoints"),
    "ecr-not-logged-in": ("aws ecr get-login-password", "docker login --username AWS"),
    "unsigned-request": ("aws configure list", "Authorization header"),
    "wrong-endpoint-host": ("S3 API port", "path-style", "https://s3.REGION.amazonaws.com"),
    "resource-not-owned": ("aws ec2 describe-images", "OwnerId"),
    "sigv2-signing": ("SigV4", "signature_version='s3v4'", "signature_v2 = False"),
    "setting-value-wrong": ("credentials: { accessKeyId, secretAccessKey }", "sso_start_url"),
    "sdk-credential-defect": ("aws sts get-caller-identity --profile", "changelog"),
    "key-id-whitespace": ("aws configure set aws_access_key_id", "dos2unix"),
    "post-policy-condition": ("starts-with", "conditions"),
    "policy-document-invalid": ("file://", "aws accessanalyzer validate-policy"),
    # IAM: a user holds two access keys at most; delete one before creating another.
    "access-key-quota": ("aws iam list-access-keys", "delete"),
    "quota-reached": ("Service Quotas",),
    # S3's error body names the refused argument (ArgumentName / ArgumentValue).
    "argument-invalid": ("ArgumentName", "ArgumentValue"),
    "bucket-missing": ("aws s3 ls", "s3://"),
    "iam-entity-missing": ("aws iam list-roles", "not the ARN"),
    # Cognito: the Logins key is the provider name the identity pool was set up with.
    "cognito-logins-mismatch": ("Logins", "aws cognito-identity describe-identity-pool"),
    # STS AssumeRole: RoleSessionName must match [\w+=,.@-]*, set by role_session_name.
    "validation-value-invalid": ("role_session_name",),
    "parameter-invalid": ("API reference",),
    # Cognito: an identity pool hands out credentials only through the roles set on it.
    "cognito-role-missing": ("aws cognito-identity get-identity-pool-roles", "aud"),
    # The Java SDK v2 loads the STS/SSO credential providers from their own modules.
    "sdk-module-missing": ("software.amazon.awssdk:sts", "aws-java-sdk-sts"),
    # The general causes explain shows for a category its error's entry does not list.
    "provider-chain-failure": ("aws configure list", "aws sso login", "hop-limit 2"),
    "not-an-auth-problem": ("aws sts get-caller-identity", "aws s3api head-object"),
    "credential-hygiene": ("keydoctor check", "keydoctor fix rotate-key"),
}


def _causes() -> dict[str, list[str]]:
    """Every fix of every cause, by cause id (a shared cause appears under many errors)."""
    fixes: dict[str, list[str]] = {}
    catalog = load_catalog()
    for entry in catalog.errors:
        for cause in entry.causes:
            fixes.setdefault(cause.id, []).append(cause.fix)
    for cause in catalog.general.values():
        fixes.setdefault(cause.id, []).append(cause.fix)
    return fixes


def test_every_cause_states_what_its_fix_must_say() -> None:
    causes = _causes()
    assert sorted(set(causes) - set(FIX_FACTS)) == [], "a cause without stated fix facts"
    assert sorted(set(FIX_FACTS) - set(causes)) == [], "facts for a cause the catalog lacks"


def test_every_fix_says_what_its_facts_state() -> None:
    problems = []
    for cause_id, fixes in sorted(_causes().items()):
        for fix in fixes:
            missing = [part for part in FIX_FACTS.get(cause_id, ()) if part not in fix]
            if missing:
                problems.append(f"{cause_id}: the fix lacks {missing}: {fix!r}")
    assert problems == [], "\n".join(problems)


def test_the_facts_tell_causes_apart() -> None:
    """No two causes share all their facts: a fix copied onto another cause is noticed."""
    seen: dict[frozenset[str], str] = {}
    for cause_id, facts in FIX_FACTS.items():
        key = frozenset(facts)
        assert key not in seen, f"{cause_id} and {seen[key]} state the same facts"
        seen[key] = cause_id
