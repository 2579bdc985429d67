"""The rules of the live probes: KD6xx identity and authentication, KD7xx permissions, S3
and IAM, KD9xx reachability.

Each rule is declared once, here, with its documentation; probes only ever create
findings through these objects. Reachability rules (KD9xx) carry the ``not-credentials``
category on purpose: a dead endpoint, a proxy or a 503 looks like a credentials failure
to the person watching, and is not one.
"""

from __future__ import annotations

from keydoctor.checks.base import Rule, keydoctor_fix
from keydoctor.model import Category, Severity

ROOT_KEYS = Rule(
    code="KD601",
    name="root-keys-in-use",
    severity=Severity.MEDIUM,
    category=Category.HYGIENE,
    title="The keys belong to the account's root user",
    docs=(
        "STS GetCallerIdentity answered with the root ARN (arn:aws:iam::ACCOUNT:root). Root "
        "access keys cannot be limited by IAM policies and AWS advises against having them. "
        "Fix: create an IAM user or role with the permissions you need, switch to its keys, "
        "then delete the root access keys in the console (Security credentials)."
    ),
)

ACCOUNT_MISMATCH = Rule(
    code="KD602",
    name="unexpected-account",
    severity=Severity.HIGH,
    category=Category.WRONG_SOURCE,
    title="The keys belong to another account than expected",
    docs=(
        "--expect-account named one account and STS says the keys belong to another. The "
        "shell is using keys meant for somewhere else (another profile, stale environment "
        "variables). Fix: select the right profile or unset the environment keys."
    ),
)

KEY_UNKNOWN = Rule(
    code="KD610",
    name="access-key-unknown",
    severity=Severity.CRITICAL,
    category=Category.KEY_ID_WRONG,
    title="AWS does not know this access key id",
    docs=(
        "AWS answered InvalidClientTokenId (STS, IAM) or InvalidAccessKeyId (S3): the key id "
        "is not one AWS knows. It was mistyped, deleted or rotated, made inactive, belongs to "
        "another partition, or is a temporary ASIA key sent without its session token. Fix: "
        "copy the key id again from the IAM console or create a new key "
        "(aws iam create-access-key); for a temporary (ASIA) key, get fresh temporary "
        "credentials instead (aws sso login, aws sts assume-role / get-session-token) and set "
        "its key id, secret and session token together."
    ),
)

SIGNATURE_MISMATCH = Rule(
    code="KD611",
    name="signature-mismatch",
    severity=Severity.CRITICAL,
    category=Category.SECRET_WRONG,
    title="AWS rejected the signature: the secret key does not match the key id",
    docs=(
        "AWS knows the key id but the request signature, computed with the secret access key, "
        "does not match (SignatureDoesNotMatch). The secret was mistyped, truncated, has a "
        "stray character (space, quote, newline), or belongs to another key id. A proxy that "
        "rewrites headers or a wrong clock can cause it too. Fix: paste the secret again "
        "(aws configure set aws_secret_access_key ...) or create a new key pair."
    ),
)

TOKEN_EXPIRED = Rule(
    code="KD612",
    name="session-token-expired",
    severity=Severity.CRITICAL,
    category=Category.SESSION_TOKEN,
    title="The temporary credentials have expired",
    docs=(
        "AWS answered ExpiredToken: the session token (and the temporary keys issued with "
        "it) is past its expiry. Fix: get fresh credentials (aws sso login, assume the role "
        "again, or refresh whatever wrote them) and drop the stale ones."
    ),
)

TOKEN_INVALID = Rule(
    code="KD613",
    name="session-token-invalid",
    severity=Severity.CRITICAL,
    category=Category.SESSION_TOKEN,
    title="AWS rejected the session token",
    docs=(
        "AWS answered InvalidToken or said the token is malformed: the session token is "
        "truncated, belongs to other keys, or comes from another region's STS that this "
        "region does not accept. Fix: copy all three values (key id, secret, token) from the "
        "same, fresh set of temporary credentials."
    ),
)

CLOCK_SKEW = Rule(
    code="KD614",
    name="clock-skew",
    severity=Severity.MEDIUM,
    category=Category.CLOCK_SKEW,
    title="The local clock differs from AWS's clock",
    docs=(
        "The Date header of AWS's answers differs from the local clock by more than a minute. "
        "Signed requests are refused when the difference exceeds 5 minutes "
        "(RequestTimeTooSkewed, 'Signature expired'). Fix: synchronise the clock "
        "(sudo timedatectl set-ntp true, or chronyc makestep)."
    ),
)

PROVIDER_FAILED = Rule(
    code="KD615",
    name="credential-provider-failed",
    severity=Severity.HIGH,
    category=Category.PROVIDER_FAILURE,
    title="The SDK could not obtain the credentials",
    docs=(
        "botocore's credential provider raised before any request left: an SSO session that "
        "expired, a role that cannot be assumed, a credential_process that fails. Fix: the "
        "explanation names the provider and its error; usually aws sso login, or repair the "
        "source profile."
    ),
)

SIGNED_FOR_WRONG_REGION = Rule(
    code="KD616",
    name="signed-for-wrong-region",
    severity=Severity.HIGH,
    category=Category.REGION_ENDPOINT,
    title="The request was signed for the wrong region",
    docs=(
        "AWS answered AuthorizationHeaderMalformed: the signature's credential scope names a "
        "region the endpoint does not serve. Fix: set the region the resource lives in "
        "(region_name=..., AWS_REGION=..., AWS_DEFAULT_REGION=...)."
    ),
)

ROLE_NOT_ASSUMABLE = Rule(
    code="KD617",
    name="role-not-assumable",
    severity=Severity.HIGH,
    category=Category.TRUST_POLICY,
    title="The role cannot be assumed",
    docs=(
        "The profile assumes a role (role_arn) and STS refused AssumeRole with AccessDenied: "
        "the role's trust policy does not name the caller as a principal, its conditions "
        "(MFA, external id, source identity) are not met, or the caller's own policy lacks "
        "sts:AssumeRole on the role. Fix: add the caller to the trust policy "
        "(aws iam update-assume-role-policy) and allow sts:AssumeRole on the role ARN."
    ),
)

LIST_BUCKETS_DENIED = Rule(
    code="KD701",
    name="list-buckets-denied",
    severity=Severity.LOW,
    category=Category.PERMISSION_MISSING,
    title="s3:ListAllMyBuckets is not allowed",
    docs=(
        "ListBuckets (aws s3 ls) was denied. Most programs never need it; it only means the "
        "usual first test of the troubleshooting pages fails. Fix, if you want it: allow "
        "s3:ListAllMyBuckets on *."
    ),
)

BUCKET_REGION = Rule(
    code="KD702",
    name="bucket-in-other-region",
    severity=Severity.HIGH,
    category=Category.REGION_ENDPOINT,
    title="The bucket lives in another region than the one configured",
    docs=(
        "S3 says (x-amz-bucket-region header, PermanentRedirect, or GetBucketLocation) that the "
        "bucket is in another region. boto3 follows some redirects silently, but presigned "
        "URLs, Redshift COPY/UNLOAD, other SDKs and virtual-host requests fail. Fix: use the "
        "bucket's region (region_name=..., AWS_REGION=..., or Redshift's REGION clause)."
    ),
    remedy=keydoctor_fix("set-region"),
)

BUCKET_MISSING = Rule(
    code="KD703",
    name="bucket-not-found",
    severity=Severity.HIGH,
    category=Category.NOT_CREDENTIALS,
    title="The bucket does not exist",
    docs=(
        "S3 answered NoSuchBucket (404). The name is misspelt, the bucket was deleted, or it "
        "belongs to another partition. This is not a credentials problem. Fix: check the name "
        "(aws s3 ls)."
    ),
)

LIST_DENIED = Rule(
    code="KD704",
    name="list-bucket-denied",
    severity=Severity.HIGH,
    category=Category.PERMISSION_MISSING,
    title="Listing the bucket is not allowed (s3:ListBucket)",
    docs=(
        "ListObjectsV2 was denied and no policy of the caller allows s3:ListBucket on the "
        "bucket ARN (arn:aws:s3:::bucket, without /*). Without it S3 also answers 403 instead "
        "of 404 for missing objects. Fix: add the statement shown."
    ),
)

EXPLICIT_DENY = Rule(
    code="KD705",
    name="explicit-deny",
    severity=Severity.HIGH,
    category=Category.EXPLICIT_DENY,
    title="An explicit Deny refuses the request",
    docs=(
        "A Deny statement in one of the caller's policies matches the action and resource; "
        "a Deny wins over every Allow. Fix: narrow or remove the named statement, or use "
        "another principal."
    ),
)

GET_DENIED = Rule(
    code="KD706",
    name="get-object-denied",
    severity=Severity.HIGH,
    category=Category.PERMISSION_MISSING,
    title="Reading the object is not allowed (s3:GetObject)",
    docs=(
        "HeadObject/GetObject was denied and no policy of the caller allows s3:GetObject on "
        "the object ARN (arn:aws:s3:::bucket/key or a prefix with /*). Fix: add the statement "
        "shown."
    ),
)

OBJECT_MISSING = Rule(
    code="KD707",
    name="object-not-found",
    severity=Severity.MEDIUM,
    category=Category.NOT_CREDENTIALS,
    title="The object does not exist",
    docs=(
        "S3 answered 404 for the key: the credentials work, the object is not there. Check "
        "the key (case, leading slash, prefix)."
    ),
)

PUT_DENIED = Rule(
    code="KD708",
    name="put-object-denied",
    severity=Severity.HIGH,
    category=Category.PERMISSION_MISSING,
    title="Writing to the bucket is not allowed (s3:PutObject)",
    docs=(
        "The write test (an empty object, deleted straight away) was denied. Fix: allow "
        "s3:PutObject (and s3:DeleteObject for the clean-up) on arn:aws:s3:::bucket/prefix/*."
    ),
)

DENIED_UNKNOWN = Rule(
    code="KD709",
    name="denied-cause-unknown",
    severity=Severity.HIGH,
    category=Category.PERMISSION_MISSING,
    title="Access denied, and the caller cannot read its own policies",
    docs=(
        "A probe was denied and the caller may not read its IAM policies, so keydoctor cannot "
        "tell a missing Allow from a Deny elsewhere (bucket policy, SCP, permissions "
        "boundary, session policy). Fix: run keydoctor check with a principal allowed "
        "iam:Get*/iam:List* on the user or role, or use the IAM policy simulator "
        "(aws iam simulate-principal-policy)."
    ),
)

KEY_INACTIVE = Rule(
    code="KD710",
    name="access-key-inactive",
    severity=Severity.CRITICAL,
    category=Category.KEY_ID_WRONG,
    title="The access key in use is inactive",
    docs=(
        "IAM lists the key in use with status Inactive: AWS refuses every request signed with "
        "it. Fix: activate it (aws iam update-access-key --status Active) or switch to the "
        "active key."
    ),
)

QUARANTINED = Rule(
    code="KD711",
    name="compromised-key-quarantine",
    severity=Severity.CRITICAL,
    category=Category.EXPLICIT_DENY,
    title="AWS quarantined the user: its key was found exposed",
    docs=(
        "The user has an AWSCompromisedKeyQuarantine policy attached. AWS attaches it when it "
        "finds the user's key in a public place; it denies most actions. Fix: rotate the key "
        "(create a new one, delete the exposed one), review CloudTrail for misuse, then detach "
        "the quarantine policy."
    ),
)

OLD_KEY = Rule(
    code="KD712",
    name="access-key-old",
    severity=Severity.MEDIUM,
    category=Category.HYGIENE,
    title="An access key is older than 90 days",
    docs=(
        "Long-lived keys leak over time; rotating them every 90 days is the usual rule. Fix: "
        "create a new key, switch to it, deactivate and then delete the old one."
    ),
)

UNUSED_KEY = Rule(
    code="KD713",
    name="second-key",
    severity=Severity.LOW,
    category=Category.HYGIENE,
    title="The user has a second access key",
    docs=(
        "A user may have two keys; the one not in use is often a forgotten copy. Fix: delete "
        "it if nothing uses it (aws iam delete-access-key)."
    ),
)

IAM_UNCHECKED = Rule(
    code="KD714",
    name="iam-not-checked",
    severity=Severity.INFO,
    category=Category.HYGIENE,
    title="Access keys could not be checked",
    docs=(
        "The caller may not list its own access keys (iam:ListAccessKeys). When IAM answers "
        "AccessDenied that is common and not a fault of the setup; keydoctor just cannot say "
        "whether the key is old or inactive. When AWS refused the keys themselves "
        "(InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken), the fault is the keys' "
        "and another finding names it."
    ),
)

TOO_MANY_KEYS = Rule(
    code="KD715",
    name="too-many-keys",
    severity=Severity.LOW,
    category=Category.HYGIENE,
    title="The user has more access keys than AWS allows",
    docs=(
        "AWS allows two access keys per IAM user; some S3-compatible servers allow more. "
        "Extra keys are usually forgotten copies, and the same set-up cannot be moved to AWS "
        "as it is. Fix: delete the keys nothing uses, in the server's user admin (or with "
        "aws iam delete-access-key where IAM is offered)."
    ),
)

UNREACHABLE = Rule(
    code="KD901",
    name="endpoint-unreachable",
    severity=Severity.HIGH,
    category=Category.NOT_CREDENTIALS,
    title="Could not reach the endpoint",
    docs=(
        "No answer came back: connection refused, name not resolved, timeout, TLS failure or "
        "a proxy that refuses. Nothing here says the keys are wrong. Fix: the explanation "
        "names the cause (check --endpoint-url, HTTPS_PROXY, the network, the CA bundle)."
    ),
)

SERVER_ERROR = Rule(
    code="KD902",
    name="endpoint-error",
    severity=Severity.MEDIUM,
    category=Category.NOT_CREDENTIALS,
    title="The endpoint answered with a server error or throttling",
    docs=(
        "The service answered 5xx, SlowDown or Throttling: a problem on the service side or "
        "too many requests, not the keys. Fix: retry later; the SDK's retries usually absorb "
        "it."
    ),
)

NOT_AWS = Rule(
    code="KD903",
    name="answer-not-aws",
    severity=Severity.HIGH,
    category=Category.NOT_CREDENTIALS,
    title="The endpoint answered with something that is not an AWS response",
    docs=(
        "The answer was an HTML page or unreadable XML: a captive portal, a corporate proxy, "
        "a web server at the --endpoint-url, or a wrong path. Fix: check --endpoint-url and "
        "the proxy settings."
    ),
)

ENDPOINT_CAPABILITIES = Rule(
    code="KD904",
    name="service-not-offered",
    severity=Severity.INFO,
    category=Category.NOT_CREDENTIALS,
    title="The endpoint does not offer STS or IAM",
    docs=(
        "At a custom --endpoint-url (an S3-compatible server such as SeaweedFS, MinIO or Ceph "
        "RGW), S3 answered properly while STS or IAM answered 404, 405, 501 or 503, or "
        "something unreadable: the server does not offer that service. It is not a fault; "
        "keydoctor only cannot ask who the caller is (STS) or read its policies and keys "
        "(IAM), so denials are explained in the server's own terms. Nothing to fix."
    ),
)

CONTAINER_UNREACHABLE = Rule(
    code="KD618",
    name="container-endpoint-unreachable",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="The container credentials endpoint does not answer",
    docs=(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set, so botocore asks that "
        "endpoint (the ECS agent at 169.254.170.2, the EKS Pod Identity agent at "
        "169.254.170.23, or a local one) for credentials, and nothing answered: the variable "
        "was copied from a task into a shell or image where no agent runs, the agent is down, "
        "or the network mode hides it. The SDK then fails with 'Error retrieving metadata' "
        "or 'Unable to locate credentials'. Fix: unset the variable where no agent runs, or "
        "run where the agent is reachable (task role on ECS, Pod Identity agent on EKS)."
    ),
)

CONTAINER_TOKEN_REFUSED = Rule(
    code="KD619",
    name="container-token-refused",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="The container credentials endpoint refused the authorisation token",
    docs=(
        "The endpoint answered 401 or 403: the token in AWS_CONTAINER_AUTHORIZATION_TOKEN "
        "(or the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names) is missing, stale or "
        "meant for another endpoint. On EKS Pod Identity the token is the projected file "
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token, "
        "renewed by the kubelet; a copied value expires. Fix: point "
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE at the projected token instead of a copy."
    ),
)

CONTAINER_ANSWER_UNUSABLE = Rule(
    code="KD620",
    name="container-credentials-unusable",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="The container credentials endpoint answered no usable credentials",
    docs=(
        "The endpoint answered, but not with the credentials JSON botocore reads "
        "(AccessKeyId, SecretAccessKey, Token, Expiration), or with credentials whose "
        "Expiration has passed: a proxy or a web page answered in the agent's place, or the "
        "agent serves stale credentials. Fix: make sure the URI reaches the credentials "
        "agent itself (no proxy for it: add its host to NO_PROXY) and restart the agent if "
        "its credentials are stale."
    ),
)

IMDS_TOKEN_UNANSWERED = Rule(
    code="KD621",
    name="imds-token-unanswered",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="IMDSv2 never answered the token request (hop limit 1 from a container?)",
    docs=(
        "The instance metadata service accepted the connection but never answered "
        "PUT /latest/api/token. That is what a container on EC2 sees when the instance's "
        "HttpPutResponseHopLimit is 1: the answer expires one network hop early, at the "
        "container's bridge. With IMDSv1 switched off, botocore then finds no credentials "
        "('Unable to locate credentials', 'no EC2 IMDS role found'), although the instance "
        "has a role. Fix: aws ec2 modify-instance-metadata-options --instance-id ID "
        "--http-put-response-hop-limit 2 (or use host networking, or give the container "
        "its own credentials)."
    ),
)

IMDS_NO_ROLE = Rule(
    code="KD622",
    name="imds-no-role",
    severity=Severity.HIGH,
    category=Category.NO_CREDENTIALS,
    title="The instance has no role: IMDS serves no credentials",
    docs=(
        "IMDSv2 answered the token request, but "
        "/latest/meta-data/iam/security-credentials/ names no role (404), or the role's "
        "credentials could not be read: no instance profile is attached to this instance. "
        "Fix: aws ec2 associate-iam-instance-profile --instance-id ID "
        "--iam-instance-profile Name=PROFILE."
    ),
)

ROLE_CHAIN_HOP_FAILED = Rule(
    code="KD623",
    name="role-chain-hop-failed",
    severity=Severity.CRITICAL,
    category=Category.TRUST_POLICY,
    title="A role chain breaks at one hop",
    docs=(
        "The profile reaches its role through a chain (profile -> source_profile -> role -> "
        "role). botocore reports only the last error, without saying which hop broke; "
        "keydoctor assumes each role in turn with the credentials of the hop before it, as "
        "botocore does, and names the first hop STS refused. A refusal there means the "
        "role's trust policy does not name the previous hop's role (or its conditions, such "
        "as an external id, are not met), or that role lacks sts:AssumeRole on the next. "
        "Fix: add the previous hop's role ARN as a Principal in the trust policy of the "
        "failing hop's role (aws iam update-assume-role-policy)."
    ),
)

EXTERNAL_ID_REFUSED = Rule(
    code="KD639",
    name="external-id-refused",
    severity=Severity.CRITICAL,
    category=Category.TRUST_POLICY,
    title="STS refused the role's external id",
    docs=(
        "A role another account lets you assume (a vendor's, an auditor's) usually requires "
        "an external id: its trust policy allows sts:AssumeRole only with a condition "
        "`StringEquals sts:ExternalId`. botocore sends the profile's `external_id` as "
        "ExternalId; when it differs from the one the trust policy names (a typo, the id of "
        "another customer, a rotated id), STS answers the same AccessDenied as for a trust "
        "policy that does not name the caller at all, so the error never mentions the "
        "external id. keydoctor sends the profile's external id as botocore does; a refusal "
        "of a profile that sets one is reported here. Fix: set the external id the role's "
        "owner gave you: aws configure set external_id ID --profile PROFILE."
    ),
)

DURATION_ABOVE_ROLE_MAXIMUM = Rule(
    code="KD638",
    name="duration-above-role-maximum",
    severity=Severity.CRITICAL,
    category=Category.CONFIG_MALFORMED,
    title="duration_seconds is longer than the role's maximum session",
    docs=(
        "botocore sends a profile's `duration_seconds` as AssumeRole's DurationSeconds. "
        "Each role has a maximum session duration (MaxSessionDuration, one hour unless its "
        "owner raised it, up to twelve), and STS refuses a longer request with a "
        "ValidationError naming MaxSessionDuration, so every call through the profile fails "
        "although the trust policy and the keys are fine. The offline rule KD507 knows only "
        "the limits every role shares (900 to 43,200 seconds, one hour for a chained role); "
        "the role's own maximum is known to STS. Fix: ask for a session the role allows: "
        "aws configure set duration_seconds 3600 --profile PROFILE (one hour is within every "
        "role's maximum), or have the role's owner raise it (aws iam update-role "
        "--max-session-duration)."
    ),
)

WEB_IDENTITY_NOT_TRUSTED = Rule(
    code="KD624",
    name="web-identity-not-trusted",
    severity=Severity.CRITICAL,
    category=Category.TRUST_POLICY,
    title="STS refused the web identity token for this role",
    docs=(
        "AssumeRoleWithWebIdentity was refused with AccessDenied: the role's trust policy "
        "does not admit this identity provider, or its conditions on the token's audience "
        "(aud) or subject (sub) do not match the token (an EKS service account in another "
        "namespace, a GitHub workflow on another branch or repository). Fix: compare the "
        "token's claims keydoctor shows with the trust policy's Federated principal and its "
        "StringEquals conditions, and correct the policy (aws iam update-assume-role-policy)."
    ),
)

WEB_IDENTITY_TOKEN_REFUSED = Rule(
    code="KD625",
    name="web-identity-token-refused",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="STS refused the web identity token itself",
    docs=(
        "AssumeRoleWithWebIdentity was refused for the token rather than the role: it is "
        "expired, not signed by a key the provider publishes, or from an issuer no IAM OIDC "
        "provider names in this account. Fix: refresh the token where it comes from (the "
        "kubelet's projected token, a new OIDC token for the CI job), and create the IAM "
        "OIDC provider for its issuer if it is missing (aws iam "
        "create-open-id-connect-provider)."
    ),
)

SSO_TOKEN_REFUSED = Rule(
    code="KD626",
    name="sso-token-refused",
    severity=Severity.CRITICAL,
    category=Category.PROVIDER_FAILURE,
    title="The SSO portal refused the cached token",
    docs=(
        "GetRoleCredentials, the request botocore's SSO provider sends with the token from "
        "~/.aws/sso/cache, was answered 401 UnauthorizedException ('Session token not found "
        "or invalid'): the token's expiry date has not passed, but the session behind it "
        "ended (signed out in the portal, session length reached, the user or the instance "
        "of IAM Identity Center changed). botocore raises UnauthorizedSSOTokenError. Fix: "
        "aws sso login."
    ),
)

SSO_ROLE_NOT_ASSIGNED = Rule(
    code="KD627",
    name="sso-role-not-assigned",
    severity=Severity.CRITICAL,
    category=Category.PERMISSION_MISSING,
    title="The SSO user has no such role in that account",
    docs=(
        "GetRoleCredentials was answered 403 ForbiddenException ('No access'): the token is "
        "good, but no permission set named sso_role_name is assigned to this user (or a "
        "group of theirs) in account sso_account_id, or the account id is mistyped. Fix: "
        "ask the IAM Identity Center administrator to assign the permission set in that "
        "account, or set sso_account_id / sso_role_name to an assignment you have "
        "(aws configure set sso_role_name NAME --profile P; `aws sso list-account-roles` "
        "lists them)."
    ),
)

RULES: tuple[Rule, ...] = (
    ROOT_KEYS,
    ACCOUNT_MISMATCH,
    KEY_UNKNOWN,
    SIGNATURE_MISMATCH,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    CLOCK_SKEW,
    PROVIDER_FAILED,
    SIGNED_FOR_WRONG_REGION,
    ROLE_NOT_ASSUMABLE,
    LIST_BUCKETS_DENIED,
    BUCKET_REGION,
    BUCKET_MISSING,
    LIST_DENIED,
    EXPLICIT_DENY,
    GET_DENIED,
    OBJECT_MISSING,
    PUT_DENIED,
    DENIED_UNKNOWN,
    KEY_INACTIVE,
    QUARANTINED,
    OLD_KEY,
    UNUSED_KEY,
    IAM_UNCHECKED,
    TOO_MANY_KEYS,
    UNREACHABLE,
    SERVER_ERROR,
    NOT_AWS,
    ENDPOINT_CAPABILITIES,
    CONTAINER_UNREACHABLE,
    CONTAINER_TOKEN_REFUSED,
    CONTAINER_ANSWER_UNUSABLE,
    IMDS_TOKEN_UNANSWERED,
    IMDS_NO_ROLE,
    ROLE_CHAIN_HOP_FAILED,
    WEB_IDENTITY_NOT_TRUSTED,
    WEB_IDENTITY_TOKEN_REFUSED,
    SSO_TOKEN_REFUSED,
    SSO_ROLE_NOT_ASSIGNED,
    EXTERNAL_ID_REFUSED,
    DURATION_ABOVE_ROLE_MAXIMUM,
)
