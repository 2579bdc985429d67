"""KD8xx: the Redshift COPY/UNLOAD rules, each declared once.

KD801-KD819 are read from the statement itself (offline); KD820-KD839 come from the
probes made with the statement's own credentials. The ``docs`` text of each rule is its
documentation page: what it finds, why Redshift fails on it, how to fix it.
"""

from __future__ import annotations

from keydoctor.checks.base import Rule
from keydoctor.model import Category, Severity

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
INFO = Severity.INFO
CM = Category.CONFIG_MALFORMED

NOT_COPY = Rule(
    "KD801",
    "not-copy-or-unload",
    INFO,
    CM,
    "Statement is not a COPY or UNLOAD",
    "keydoctor redshift checks COPY and UNLOAD statements only; other statements are "
    "listed and skipped. When the input holds no COPY or UNLOAD at all, the finding is high: "
    "nothing was checked. Fix: pass the file or text that holds the COPY/UNLOAD.",
)
UNTERMINATED = Rule(
    "KD802",
    "unterminated-string",
    C,
    CM,
    "A quoted string is never closed",
    "A quote opens a string that runs to the end of the input, so everything after it, "
    "including the next statements, is part of the string and Redshift reports a syntax "
    "error. Fix: close the quote.",
)
NO_AUTH = Rule(
    "KD803",
    "no-authorization",
    C,
    Category.NO_CREDENTIALS,
    "No authorization clause",
    "COPY and UNLOAD need IAM_ROLE, ACCESS_KEY_ID/SECRET_ACCESS_KEY or CREDENTIALS to reach "
    "Amazon S3. Fix: add IAM_ROLE 'arn:aws:iam::<account>:role/<name>' (recommended) or "
    "IAM_ROLE default.",
)
CREDENTIALS_WHITESPACE = Rule(
    "KD804",
    "credentials-whitespace",
    C,
    CM,
    "Space or line break inside the credentials string",
    "Redshift answers 'Invalid credentials. Must be of the format: credentials "
    "'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'' when the credentials "
    "string holds any space or line break, even between its parts. Fix: write it on one "
    "line with no blanks.",
)
QUOTES = Rule(
    "KD805",
    "operand-quotes",
    C,
    CM,
    "Parameter value is not in single quotes",
    "The credentials string, key values, role ARN, S3 location and region must be "
    "single-quoted string literals. Double quotes make an identifier, typographic quotes "
    "(’ ‘) come from word processors, and a bare value is read as SQL. Fix: enclose the value "
    "in plain single quotes.",
)
UNKNOWN_KEY = Rule(
    "KD806",
    "credentials-unknown-key",
    C,
    CM,
    "Unknown or misspelt key in the credentials string",
    "Redshift knows aws_access_key_id, aws_secret_access_key, token and aws_iam_role only; "
    "aws_access_key, aws_secret_key or session_token make the whole string invalid. Fix: "
    "use the exact key names.",
)
MALFORMED = Rule(
    "KD807",
    "credentials-malformed",
    C,
    CM,
    "Credentials string is malformed",
    "Parts are separated by ';' and each is key=value; the id and the secret go together; a "
    "token goes with temporary keys only, never with a role. Fix: write the string in the "
    "documented shape.",
)
MIXED = Rule(
    "KD808",
    "mixed-authorization",
    C,
    CM,
    "More than one kind of authorization",
    "IAM_ROLE cannot be combined with ACCESS_KEY_ID/SECRET_ACCESS_KEY, SESSION_TOKEN or "
    "CREDENTIALS, and a credentials string holds either keys or a role. Fix: keep one.",
)
COLUMNAR_NEEDS_ROLE = Rule(
    "KD809",
    "columnar-format-needs-role",
    C,
    CM,
    "Parquet/ORC COPY with access keys",
    "COPY from columnar formats (PARQUET, ORC) accepts IAM role authorization only. Fix: use "
    "IAM_ROLE with a role attached to the cluster.",
)
ROLE_ARN = Rule(
    "KD810",
    "role-arn-malformed",
    C,
    CM,
    "IAM role ARN is malformed",
    "IAM_ROLE and aws_iam_role take role ARNs (arn:aws:iam::<12-digit account>:role/<name>), "
    "several separated by commas without spaces to chain roles (at most 10), or the keyword "
    "default unquoted. Fix: copy the role's ARN from the IAM console.",
)
S3_LOCATION = Rule(
    "KD811",
    "s3-location-malformed",
    C,
    CM,
    "S3 location is not s3://bucket/prefix",
    "FROM and TO take 's3://bucket/prefix'. HTTPS URLs, s3a:// and bucket names with "
    "capitals or other characters are rejected. Fix: write the location as s3://bucket/prefix.",
)
REGION_VALUE = Rule(
    "KD812",
    "region-clause-invalid",
    H,
    Category.REGION_ENDPOINT,
    "REGION value is not a region name",
    "REGION [AS] 'region' takes an AWS region code such as us-west-2. Fix: use the code of "
    "the bucket's region.",
)
KEYWORD_MISSPELT = Rule(
    "KD813",
    "keyword-misspelt",
    C,
    CM,
    "Authorization keyword misspelt",
    "Redshift's keywords are CREDENTIALS, ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN and "
    "IAM_ROLE; SDK names like AWS_ACCESS_KEY_ID or SECRET_KEY are syntax errors. Fix: use the "
    "keyword as written here.",
)
INCOMPLETE = Rule(
    "KD814",
    "statement-incomplete",
    C,
    CM,
    "Statement is missing FROM/TO or its location",
    "COPY needs FROM 's3://...' and UNLOAD needs ('query') TO 's3://...'. Fix: add the "
    "missing part.",
)
KEYS_IN_SQL = Rule(
    "KD815",
    "keys-in-sql",
    L,
    Category.HYGIENE,
    "Access keys written into SQL",
    "Keys in a statement end up in query history, logs and scripts; AWS recommends IAM_ROLE. "
    "Fix: attach a role to the cluster and use IAM_ROLE.",
)
INPUT_LIMIT = Rule(
    "KD816",
    "input-truncated",
    M,
    CM,
    "Input too large; only its beginning was checked",
    "keydoctor reads the first 16 MiB of its input. Fix: split the file, or pass only the "
    "statements to check.",
)
EMPTY_VALUE = Rule(
    "KD817",
    "authorization-value-missing",
    C,
    CM,
    "Authorization parameter has no value",
    "ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, CREDENTIALS and IAM_ROLE each take a "
    "quoted value (IAM_ROLE also takes default). Fix: add the value.",
)

KEY_UNKNOWN = Rule(
    "KD820",
    "key-id-unknown",
    C,
    Category.KEY_ID_WRONG,
    "AWS does not know the access key id",
    "The identity probe with the clause's keys was answered InvalidClientTokenId / "
    "InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.' "
    "Often a copy and paste error, a deleted key, or temporary keys without their token. "
    "Fix: copy the id again from the IAM console, or add token=; for temporary (ASIA) keys, "
    "get fresh temporary credentials and use their key id, secret and token together.",
)
SIGNATURE = Rule(
    "KD821",
    "secret-mismatch",
    C,
    Category.SECRET_WRONG,
    "Secret does not match the access key id",
    "AWS knows the key id but the request signature does not match (SignatureDoesNotMatch): "
    "the secret is wrong or altered. Fix: copy the secret that belongs to this key id; if it "
    "is lost, create a new key.",
)
TOKEN_BAD = Rule(
    "KD822",
    "redshift-session-token-invalid",
    C,
    Category.SESSION_TOKEN,
    "Session token is invalid or expired",
    "AWS rejected the clause's session token (ExpiredToken / InvalidToken). Fix: get new "
    "temporary credentials and paste all three values from the same answer.",
)
LIST_DENIED = Rule(
    "KD823",
    "s3-list-denied",
    C,
    Category.PERMISSION_MISSING,
    "No LIST permission on the bucket",
    "COPY lists the objects under the prefix; without s3:ListBucket on the bucket the cluster "
    "answers 'S3ServiceException:Access Denied,Status 403,Error AccessDenied'. Fix: allow "
    "s3:ListBucket on arn:aws:s3:::<bucket> for the identity.",
)
GET_DENIED = Rule(
    "KD824",
    "s3-get-denied",
    C,
    Category.PERMISSION_MISSING,
    "No GET permission on the objects",
    "COPY reads every object under the prefix; without s3:GetObject on them the cluster "
    "answers 'S3ServiceException:Access Denied,Status 403'. Fix: allow s3:GetObject on "
    "arn:aws:s3:::<bucket>/<prefix>*.",
)
PREFIX_EMPTY = Rule(
    "KD825",
    "s3-prefix-empty",
    H,
    Category.NOT_CREDENTIALS,
    "No object under the S3 prefix",
    "COPY fails with 'The specified S3 prefix ... does not exist' when nothing matches. Fix: "
    "check the bucket and the prefix (case matters).",
)
MANIFEST_BAD = Rule(
    "KD826",
    "manifest-problem",
    H,
    CM,
    "Manifest file cannot be used",
    'With MANIFEST, FROM names a JSON file {"entries": [{"url": "s3://...", '
    '"mandatory": true}]}; an unreadable manifest or a missing mandatory file fails the COPY. '
    "Fix: correct the manifest or the objects it lists.",
)
PUT_DENIED = Rule(
    "KD827",
    "s3-put-denied",
    C,
    Category.PERMISSION_MISSING,
    "No PUT permission for UNLOAD",
    "UNLOAD writes objects under the prefix; without s3:PutObject the cluster answers Access "
    "Denied. Fix: allow s3:PutObject on arn:aws:s3:::<bucket>/<prefix>*.",
)
BUCKET_MISSING = Rule(
    "KD828",
    "s3-bucket-missing",
    C,
    Category.NOT_CREDENTIALS,
    "Bucket does not exist",
    "S3 answered NoSuchBucket. Fix: check the bucket name in FROM/TO.",
)
REGION_MISMATCH = Rule(
    "KD829",
    "bucket-region-mismatch",
    C,
    Category.REGION_ENDPOINT,
    "Bucket is in another region than the statement uses",
    "The bucket must be reached in its own region: without REGION, Redshift uses the "
    "cluster's region and answers 'S3ServiceException:The bucket you are attempting to access "
    "must be addressed using the specified endpoint.' Fix: add REGION 'bucket-region' (or "
    "correct the REGION clause).",
)
ROLE_TRUST = Rule(
    "KD830",
    "role-trust-redshift",
    H,
    Category.TRUST_POLICY,
    "Role's trust policy does not admit Redshift",
    "A role given in IAM_ROLE is assumed by the cluster, so its trust policy must allow the "
    "service principal redshift.amazonaws.com (and, for chained roles, each role must trust "
    "the one before it). Fix: add the principal to the role's trust policy.",
)
ROLE_NOT_ASSUMABLE = Rule(
    "KD831",
    "redshift-role-not-assumable",
    M,
    Category.TRUST_POLICY,
    "The caller cannot assume the role",
    "keydoctor tried sts:AssumeRole with your own credentials, to test the role's S3 access "
    "as the cluster would. AWS refused; the cluster itself may still be allowed. The S3 probes "
    "for this statement were not made.",
)
NOT_CHECKED = Rule(
    "KD832",
    "probe-not-made",
    INFO,
    Category.NOT_CREDENTIALS,
    "Part of the statement not probed",
    "Some probes were not made (offline mode, IAM_ROLE default, UNLOAD without --write-test, "
    "no endpoint reachable). Nothing is wrong; the statement is only checked partly.",
)
ROLE_MISSING = Rule(
    "KD833",
    "role-missing",
    C,
    Category.TRUST_POLICY,
    "The IAM role does not exist",
    "IAM answered NoSuchEntity for the role named in IAM_ROLE. Fix: check the ARN (account and "
    "name), or create the role and attach it to the cluster.",
)
PROBE_FAILED = Rule(
    "KD834",
    "probe-failed",
    M,
    Category.NOT_CREDENTIALS,
    "A probe could not be completed",
    "An S3, STS or IAM request failed for a reason that is not a finding by itself (timeout, "
    "unreachable endpoint, unexpected error). Fix: retry; check the network or --endpoint-url.",
)

RULES: tuple[Rule, ...] = (
    NOT_COPY,
    UNTERMINATED,
    NO_AUTH,
    CREDENTIALS_WHITESPACE,
    QUOTES,
    UNKNOWN_KEY,
    MALFORMED,
    MIXED,
    COLUMNAR_NEEDS_ROLE,
    ROLE_ARN,
    S3_LOCATION,
    REGION_VALUE,
    KEYWORD_MISSPELT,
    INCOMPLETE,
    KEYS_IN_SQL,
    INPUT_LIMIT,
    EMPTY_VALUE,
    KEY_UNKNOWN,
    SIGNATURE,
    TOKEN_BAD,
    LIST_DENIED,
    GET_DENIED,
    PREFIX_EMPTY,
    MANIFEST_BAD,
    PUT_DENIED,
    BUCKET_MISSING,
    REGION_MISMATCH,
    ROLE_TRUST,
    ROLE_NOT_ASSUMABLE,
    NOT_CHECKED,
    ROLE_MISSING,
    PROBE_FAILED,
)
