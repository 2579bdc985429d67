"""What a pasted error text says besides its code: tool, operation, region, keys ...

Everything here is pure text work with the standard library. Two rules keep it safe and
fast on hostile input:

* the text is first *reduced* (:func:`reduce_text`): binary bytes become spaces and, for
  long logs, only the lines near something that looks like an error are kept, with a hard
  ceiling on the size the regular expressions will ever see;
* secrets never leave: key ids are only ever reported masked, and the raw values found
  here are handed to the :class:`~keydoctor.redact.Redactor` of the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from keydoctor.catalog.hosts import is_aws_host
from keydoctor.catalog.regions import OPTIN as _OPTIN
from keydoctor.catalog.regions import REGION
from keydoctor.redact import KEY_ID_PATTERN, mask_key_id

# Facts computed in code rather than by a single pattern; they are clues like the ones in
# clues.toml and the catalog refers to them by these names.
FACTS: dict[str, str] = {
    "custom-endpoint": "the request went to an endpoint that is not AWS (a local or "
    "S3-compatible server, or a proxy)",
    "aws-endpoint": "an AWS endpoint URL is named",
    "china-region": "a China region (cn-*) is named: China has its own partition, keys "
    "and endpoints",
    "govcloud-region": "a GovCloud region (us-gov-*) is named: GovCloud has its own "
    "partition, keys and endpoints",
    "optin-region": "an opt-in region is named (enabled per account; global STS tokens "
    "are not valid there by default)",
    "region-named": "a region is named in the text",
    "region-invalid": "a region value that is not an AWS region name appears in the text",
    "region-mismatch": "the error names one region and expects another",
    "temporary-key": "an ASIA key id is shown: temporary credentials, which need their "
    "session token",
    "long-term-key": "an AKIA key id is shown: long-term IAM user keys",
    "key-malformed": "a key id of the wrong length or shape is shown",
    "several-keys": "more than one key id appears",
    "secret-pasted": "the text contains what looks like a secret key or session token",
    # Facts only a live check establishes (the audit knows the credentials it sent).
    "token-sent": "a session token was sent with the key id",
    "env-shadows-profile": "environment variables hold other keys than the profile you "
    "selected, and botocore uses them first",
    "standard-region": "the region is a commercial AWS region enabled in every account, "
    "where keys of the aws partition are known",
}

_MAX_DIRECT = 64 * 1024  # texts up to this size are scanned whole
_MAX_REDUCED = 128 * 1024  # never more than this reaches the catalog patterns
_CONTEXT_LINES = 3
_MAX_LINE = 4000  # a line longer than this is cut to windows (minified JSON, base64 blobs)
_WINDOW = 2000  # characters kept either side of an error-looking word in a long line
_MAX_SCRUBBED = 1024 * 1024  # beyond this, only the start and end are scrubbed and read
_MARGIN = 64 * 1024  # scrubbed beyond a cut, so that no value is cut before it is hidden

# Words near which an AWS error is worth looking for in a long log. Found with str.find on
# the lower-cased text (fast C scans), never with a regex per line.
_INTERESTING = (
    "error",
    "exception",
    "denied",
    "invalid",
    "expired",
    "credential",
    "token",
    "signature",
    "forbidden",
    "authori",
    "region",
    "endpoint",
    "status code",
    "access key",
    "accesskey",
    "profile",
    "sso",
    "skew",
    "kms",
    "could not",
    "unable to",
    "failed",
    "missing",
    "<code>",
    "(403)",
    "(400)",
    "(301)",
    " 403 ",
    " 400 ",
    "status",
)
_MAX_HITS_PER_WORD = 2000
_MASKED_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{0,15}(?:…|\*{3,}|X{4,}|x{4,}|\.\.\.)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


# Two blank repeats never stand next to each other with only optional or blank items
# between (``\s*[= ]\s*``, ``\s*=?\s*``): each way of splitting a run of blanks between
# them would be tried, which is quadratic in the run.
_REGION_SETTING = re.compile(
    r"(?i)(?:--region[= ]|-region[= ]|\bregion_name\s*=\s*|\bregion\s*[=:]\s*|"
    r"AWS_(?:DEFAULT_)?REGION\s*[=:]\s*|fs\.s3a\.endpoint\.region(?:[ \t]*=[ \t]*|[ \t]+))"
    r"['\"]?([A-Za-z0-9_.-]{2,40})['\"]?"
)
_REGION_EXPECT = re.compile(r"(?i)the region '([^']{1,40})' is wrong; expecting '([^']{1,40})'")
_URL = re.compile(r"\b(https?)://([A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?(/[^\s'\"<>)]*)?")
_ENDPOINT_SETTING = re.compile(
    r"(?i)(?:--endpoint-url[= ]|-endpoint[= ]|endpoint_url\s*=\s*|endpoint\s*[=:]\s*|"
    r"fs\.s3a\.endpoint(?:[ \t]*=[ \t]*|[ \t]+)|endpointOverride(?:[ \t]*=)?[ \t]*|"
    r"ServiceURL\s*=\s*)"
    r"['\"]?((?:https?://)?[A-Za-z0-9.-]{3,253}(?::\d{1,5})?)"
)
_NOT_ENDPOINTS = (
    "github.com",
    "githubusercontent.com",
    "stackoverflow.com",
    "docs.aws.amazon.com",
    "aws.amazon.com",
    "console.aws.amazon.com",
    "amazon.com",
    "signin.aws.amazon.com",
    "awsapps.com",
    "amazoncognito.com",
    "169.254.169.254",
    "169.254.170.2",
    "example.com",
    "w3.org",
    "schemas.xmlsoap.org",
    "apache.org",
    "hashicorp.com",
    "terraform.io",
    "registry.terraform.io",
    "pypi.org",
    "npmjs.com",
    "microsoft.com",
    "google.com",
    "googleapis.com",
    "gitlab.com",
    "atlassian.net",
)
_BUCKETS = (
    re.compile(r"\bs3a?n?://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"),
    re.compile(r"<BucketName>([^<]{3,63})</BucketName>"),
    re.compile(r"\barn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"),
    re.compile(r"(?i)\bbucket[\"']?\s*[:=]\s*[\"']?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"),
    re.compile(r"--bucket[= ][\"']?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"),
    re.compile(r"\b([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com"),
)
_OPERATIONS = (
    re.compile(r"when calling the (\w+) operation"),
    re.compile(r"Error executing \"(\w+)\""),
    re.compile(r"operation error [\w ]+?: (\w+)"),
    re.compile(r"calling (\w+) on "),
    re.compile(r"\.Amazon\w+Client\.(\w+)\("),
    re.compile(r"\b(?:S3|Amazon\w*)Client(?:Impl)?\.(\w+)\("),
    re.compile(r"to perform: ([a-z0-9-]+:[A-Za-z0-9*]+)"),
    re.compile(r"\b(getFileStatus|doesBucketExist|copyFile|verifyBucketExists)\b"),
)
# The readers of each tool's error shape: (tool, language, pattern), tried in order, the
# first that matches names the tool. A tool that wraps another's error comes first (Terraform
# and rclone print the Go SDK's shape, s3a the Java SDK's, a Python traceback may quote a
# Java service message), and each SDK is told by what only it prints: Java v1 writes
# "(Service: S3; Status Code: 403; Error Code: ...)" and "from any provider in the chain",
# v2 "(Service: S3, Status Code: 403, ...)" and "from any of the providers in the chain";
# Go v1 "status code: 403, request id:", v2 "operation error S3: GetObject, https response
# error"; .NET's exceptions live in the Amazon.* namespaces (Amazon.Runtime.AmazonService-
# Exception), Java's in com.amazonaws.*, so .NET is asked first.
_TOOLS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "redshift",
        "SQL",
        re.compile(
            r"\[Amazon\]\(\d+\)|S3ServiceException|Invalid credentials\. Must be of the format|"
            r"(?i:\bredshift\b)"
        ),
    ),
    (
        "terraform",
        "Go",
        re.compile(
            r"(?i)\bterraform\b|│ Error:|Error: (?:error )?configuring (?:Terraform|S3 Backend)|"
            r"Error configuring the backend|No valid credential sources found|"
            # Terraform before 0.12 listed each resource's error as "* aws_x.name: ...".
            r"(?-i:Error refreshing state: |"
            r"\* (?:module\.[\w-]{1,80}\.)?aws_[a-z0-9_]{2,60}\.[\w-]{1,80}: )"
        ),
    ),
    ("hadoop-s3a", "Java", re.compile(r"\bs3a://|org\.apache\.hadoop|fs\.s3a\.|S3AFileSystem")),
    ("aws-vault", "Go", re.compile(r"\baws-vault\b")),
    ("kubectl", "Go", re.compile(r"\bkubectl\b|getting credentials: exec|aws-iam-authenticator")),
    (
        "aws-cdk",
        "JavaScript",
        re.compile(
            r"\baws-cdk\b|\bcdk (?:deploy|bootstrap|synth|diff|destroy)\b|failed bootstrapping|"
            r"Need to perform AWS calls for account|\bSdkProvider\."
        ),
    ),
    (
        "github-actions",
        "JavaScript",
        re.compile(
            r"configure-aws-credentials|"
            r"Credentials could not be loaded, please check your action inputs"
        ),
    ),
    # rclone's log lines: "2021/01/08 20:53:56 ERROR : name: Failed to copy: ...".
    (
        "rclone",
        "Go",
        re.compile(r"(?m)\brclone\b|^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (?:ERROR|NOTICE|INFO) : "),
    ),
    # s3cmd: "ERROR: S3 error: 403 (SignatureDoesNotMatch): ...".
    ("s3cmd", "Python", re.compile(r"(?m)\bs3cmd\b|^ERROR: S3 error: ")),
    # s3fs-fuse logs "RequestPerform(...): HTTP response code 403" and "s3fs: ...".
    ("s3fs-fuse", "C++", re.compile(r"(?m)\bs3fs-fuse\b|^s3fs: |\bs3fs_[a-z]{3,30}\(")),
    ("minio-mc", "Go", re.compile(r"(?m)^mc: <(?:ERROR|DEBUG)>")),
    ("minio-py", "Python", re.compile(r"\bminio\.error\.")),
    ("minio-java", "Java", re.compile(r"\bio\.minio\.")),
    ("minio-go", "Go", re.compile(r"\bminio-go\b|\bminio\.ErrorResponse\b")),
    # Ansible wraps the module's (boto3's) error: "fatal: [host]: FAILED! => {...}",
    # "MODULE FAILURE", "module_stdout".
    (
        "ansible",
        "Python",
        re.compile(
            r"(?m)fatal: \[[^\]\n]{1,200}\]: FAILED! =>|\bMODULE FAILURE\b|\bmodule_stdout\b|"
            r"\bansible(?:\.builtin|_collections)?\b"
        ),
    ),
    # boto 2: "boto.exception.S3ResponseError: S3ResponseError: 403 Forbidden", and its
    # NoAuthHandlerFound ("No handler was ready to authenticate").
    (
        "boto",
        "Python",
        re.compile(
            r"\bboto\.exception\.|\bNoAuthHandlerFound\b|No handler was ready to authenticate"
        ),
    ),
    (
        "boto3",
        "Python",
        re.compile(
            r"botocore\.exceptions|\bboto3\b|Traceback \(most recent call last\)|"
            r"\.py\", line \d+"
        ),
    ),
    (
        "aws-sdk-go-v2",
        "Go",
        re.compile(
            r"operation error \w+: \w+, https response error|"
            r"failed to refresh cached credentials|aws-sdk-go-v2"
        ),
    ),
    (
        "aws-sdk-go",
        "Go",
        re.compile(
            r"status code: \d{3}, request id:|NoCredentialProviders|EC2RoleRequestError|"
            r"SharedCredsLoad|aws-sdk-go"
        ),
    ),
    (
        "aws-sdk-dotnet",
        "C#",
        re.compile(
            r"Amazon\.Runtime|Amazon\.[A-Z]\w+\.(?:Model\.)?Amazon\w+Exception|RegionEndpoint"
        ),
    ),
    (
        "aws-sdk-java-v2",
        "Java",
        re.compile(
            r"software\.amazon\.awssdk|\bService: [A-Za-z0-9 ]{1,40}, Status Code: \d{3}|"
            r"from any of the providers in the chain"
        ),
    ),
    (
        "aws-sdk-java",
        "Java",
        re.compile(
            r"com\.amazonaws\.|\(Service: [A-Za-z0-9 ]{1,40}; Status Code:|AmazonServiceException|"
            r"AWS Error Code: |Unable to load (?:AWS credentials|region information) from any "
            r"provider in the chain|\bAmazonS3Exception\["
        ),
    ),
    ("aws-sdk-php", "PHP", re.compile(r"Aws\\\\?[A-Z]\w*\\\\?|AWS HTTP error")),
    # Ruby's errors are classes Aws::<Service>::Errors::<Code> (Aws::Errors::... for the
    # SDK's own), raised from the aws-sdk-core / aws-sigv4 / seahorse gems; C++'s namespace
    # is Aws:: too, so Ruby is asked first.
    (
        "aws-sdk-ruby",
        "Ruby",
        re.compile(
            r"\bAws::(?:\w{1,40}::)?Errors::|\bAws::\w{1,40}::Types::|aws-sdk-core|aws-sigv4|"
            r"seahorse/client|aws-sdk-ruby"
        ),
    ),
    ("aws-sdk-cpp", "C++", re.compile(r"AWSAuthV4Signer|Aws::")),
    (
        "aws-sdk-js-v3",
        "JavaScript",
        re.compile(r"@aws-sdk/|\bCredentialsProviderError\b|\$metadata"),
    ),
    (
        "aws-sdk-js",
        "JavaScript",
        re.compile(
            r"\bCredentialsError\b|ConfigError: Missing region|\"retryable\":|aws-sdk/|"
            r"\bat Request\.|\bERR_INVALID_CHAR\b|Invalid character in header content"
        ),
    ),
    (
        "aws-sdk-rust",
        "Rust",
        re.compile(r"aws_sdk_|aws-sdk-rust|aws_smithy|DispatchFailure|EXPIRATION_WARNING"),
    ),
    (
        "aws-cli",
        "Python",
        re.compile(
            # Blanks before the prompt stay on their line ([ \t], not \s): a repeat that
            # crosses lines after a line start re-scans a run of blank lines from every
            # one of its line starts, which was quadratic.
            r"(?m)^[ \t]*(?:\$ |# |> |PS [^>\n]{0,200}> )?aws [a-z0-9-]+|make_bucket failed|"
            r"upload failed:|"
            r"download failed:|fatal error: |A client error \(|aws configure|aws sso login"
        ),
    ),
    (
        "botocore",
        "Python",
        re.compile(r"An error occurred \(\w+\) when calling the \w+ operation"),
    ),
)


def status_shown(text: str) -> tuple[int, int] | None:
    """The HTTP status the text shows in one of the tools' words, and where."""
    for pattern in _STATUS:
        found = pattern.search(text)
        if found:
            return int(found.group(1)), found.start()
    return None


def language_of(tool: str) -> str | None:
    """The language a tool named by its reader is written in (for a caller's tool hint)."""
    return next((language for name, language, _ in _TOOLS if name == tool), None)


# The HTTP status a tool printed, in each tool's words: Java's "Status Code: 403", Go's
# "status code: 403" and "StatusCode: 403", JavaScript's "statusCode: 403", the AWS CLI's
# "A client error (403)" (and any tool's "Client error (400)" or "Server error (503)"),
# s3cmd's "S3 error: 403 (", the C++ SDK's and s3fs's "HTTP response code: 403", PHP's
# (Guzzle's) "resulted in a `403 Forbidden` response", a raw "HTTP/1.1 403".
_STATUS = (
    re.compile(r"(?i)\b(?:status[ _]?code|response code)\W{0,3}([1-5]\d\d)\b"),
    re.compile(r"resulted in a `([1-5]\d\d) "),
    re.compile(
        r"(?:A client error|An error occurred|\b[Cc]lient error|\b[Ss]erver error) \(([1-5]\d\d)\)"
    ),
    re.compile(r"\bS3 error: ([1-5]\d\d)\b"),
    re.compile(r"\bHTTP/[12](?:\.[01])? ([1-5]\d\d)\b"),
)


@dataclass(frozen=True)
class KeyInfo:
    """A key id seen in the text, masked, with what can be told offline about it."""

    masked: str
    kind: str
    account: str  # 12 digits, or "unknown"

    def to_dict(self) -> dict[str, str]:
        return {"masked": self.masked, "kind": self.kind, "account": self.account}


@dataclass
class TextFacts:
    """Everything extracted from one text; ``flags`` are the fired fact names."""

    tool: str | None = None
    language: str | None = None
    status: int | None = None
    operation: str | None = None
    regions: list[str] = field(default_factory=list)
    bucket: str | None = None
    endpoint: str | None = None
    keys: list[KeyInfo] = field(default_factory=list)
    raw_key_ids: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def decode_account(key_id: str) -> str:
    """The AWS account id encoded in a key id, or ``"unknown"``.

    The decoding itself (new-format ids, fifth character Q-Z or 2-7) lives in
    :mod:`keydoctor.keyid`; old-format ids carry no account, and nothing is guessed.
    """
    from keydoctor.keyid import decode_account as _decode

    return _decode(key_id) or "unknown"


def key_info(key_id: str) -> KeyInfo:
    from keydoctor.keyid import prefix_meaning

    kind = prefix_meaning(key_id) or "unknown id"
    if len(key_id) != 20:
        kind += f"; unusual length {len(key_id)} (expected 20)"
    return KeyInfo(masked=mask_key_id(key_id), kind=kind, account=decode_account(key_id))


@dataclass(frozen=True)
class PreparedText:
    """A pasted text made ready for the patterns: reduced, with its secrets removed.

    ``secrets`` are the values :func:`~keydoctor.redact.scrub_pasted` took out, for the
    run's :class:`~keydoctor.redact.Redactor` (the same value may appear bare elsewhere).
    """

    text: str
    secrets: tuple[str, ...] = field(repr=False)  # raw secret values: never in a repr


def reduce_text(raw: str | bytes) -> str:
    """Make any input safe and small enough for the catalog's patterns (see
    :func:`prepare_text`)."""
    return prepare_text(raw).text


def prepare_text(raw: str | bytes) -> PreparedText:
    """Make any input safe and small enough for the catalog's patterns.

    Bytes are decoded leniently; control characters become spaces; logs beyond
    ``_MAX_DIRECT`` keep only lines near error-looking words. Then every secret is
    replaced where it sits (:func:`~keydoctor.redact.scrub_pasted`), and only then is a
    line longer than ``_MAX_LINE`` cut to windows: its start, its end and the stretch
    around each error-looking word, so that an error anywhere in a minified JSON line is
    read, and a window never shows the part of a secret beyond its label. Of a reduced
    log still longer than ``_MAX_SCRUBBED`` only the start and end are kept, and never
    more than ``_MAX_REDUCED`` characters in all reach the patterns (start and end).
    Every step is linear in the input.
    """
    from keydoctor.redact import scrub_pasted

    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > _MAX_DIRECT:
        text = _near_errors(text)
    text = _CONTROL.sub(" ", text)  # after the reduction: on what is kept only
    if len(text) > _MAX_SCRUBBED:
        # A long log full of error words: its start and end. Each part is scrubbed with
        # a margin beyond the cut, so a value whose label lies before the cut is gone
        # before the cut is made.
        half = _MAX_SCRUBBED // 2
        head = scrub_pasted(text[: half + _MARGIN])
        tail = scrub_pasted(text[-(half + _MARGIN) :])
        text = head.text[:half] + "\n…\n" + tail.text[-half:]
        secrets = head.secrets + tail.secrets
    else:
        scrubbed = scrub_pasted(text)
        text, secrets = scrubbed.text, scrubbed.secrets
    if len(text) > _MAX_LINE and any(len(line) > _MAX_LINE for line in text.split("\n")):
        text = "\n".join(_windows(line) for line in text.split("\n"))
    if len(text) > _MAX_REDUCED:
        half = _MAX_REDUCED // 2
        text = text[:half] + "\n…\n" + text[-half:]
    return PreparedText(text, secrets)


def _hits(lowered: str, skip: int) -> list[int]:
    """Where the error-looking words are: at most ``_MAX_HITS_PER_WORD`` each, the next
    one looked for ``skip`` characters on (its context is taken already)."""
    hits: list[int] = []
    for word in _INTERESTING:
        found = lowered.find(word)
        count = 0
        while found != -1 and count < _MAX_HITS_PER_WORD:
            hits.append(found)
            count += 1
            found = lowered.find(word, found + max(skip, len(word)))
    return hits


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _near_errors(text: str) -> str:
    """The lines of a long log within ``_CONTEXT_LINES`` of an error-looking word."""
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for word in _INTERESTING:
        found = lowered.find(word)
        hits = 0
        while found != -1 and hits < _MAX_HITS_PER_WORD:
            start = end = found
            for _ in range(_CONTEXT_LINES + 1):
                start = lowered.rfind("\n", 0, max(start - 1, 0)) if start > 0 else 0
                if start <= 0:
                    start = 0
                    break
            for _ in range(_CONTEXT_LINES + 1):
                end = lowered.find("\n", end + 1)
                if end == -1:
                    end = len(lowered)
                    break
            spans.append((start, end))
            hits += 1
            found = lowered.find(word, end)
    return "\n".join(text[start:end].strip("\n") for start, end in _merge(spans))


def _windows(line: str) -> str:
    """A long line as its start, its end and ``_WINDOW`` characters around each
    error-looking word, one window per line (no pattern matches across a cut)."""
    if len(line) <= _MAX_LINE:
        return line
    spans = [(0, _MAX_LINE), (len(line) - _MAX_LINE, len(line))]
    for hit in _hits(line.lower(), _WINDOW):
        spans.append((max(0, hit - _WINDOW), min(len(line), hit + _WINDOW)))
    return "\n".join(line[start:end] for start, end in _merge(spans))


def _classify_host(host: str) -> str | None:
    lowered = host.lower().rstrip(".")
    if any(lowered == d or lowered.endswith("." + d) for d in _NOT_ENDPOINTS):
        return None
    if "vpce" in lowered.split(".")[0:3] or lowered.startswith("vpce-") or ".vpce." in lowered:
        return "vpce"
    if is_aws_host(lowered):
        return "aws"
    if "." not in lowered and lowered not in ("localhost",):
        return None
    return "custom"


def extract(text: str) -> TextFacts:
    """Read tool, language, status, operation, regions, bucket, endpoint and keys out of
    ``text``."""
    facts = TextFacts()
    for name, language, pattern in _TOOLS:
        if pattern.search(text):
            facts.tool, facts.language = name, language
            break
    shown = status_shown(text)
    if shown is not None:
        facts.status = shown[0]
    for pattern in _OPERATIONS:
        found = pattern.search(text)
        if found:
            facts.operation = found.group(1)
            break
    regions: list[str] = []
    for found in REGION.finditer(text):
        if found.group(1) not in regions:
            regions.append(found.group(1))
    expect = _REGION_EXPECT.search(text)
    if expect:
        wrong = expect.group(1)
        facts.flags.add("region-mismatch")
        if not REGION.fullmatch(wrong):
            facts.flags.add("region-invalid")
    for found in _REGION_SETTING.finditer(text):
        value = found.group(1)
        if REGION.fullmatch(value):
            if value not in regions:
                regions.append(value)
        elif value.lower() not in (
            "none",
            "null",
            "us-east-1",
            "auto",
            "global",
        ) and not value.startswith("$"):
            facts.flags.add("region-invalid")
    facts.regions = regions
    if regions:
        facts.flags.add("region-named")
    for region in regions:
        if region.startswith("cn-"):
            facts.flags.add("china-region")
        elif region.startswith("us-gov-"):
            facts.flags.add("govcloud-region")
        if region in _OPTIN:
            facts.flags.add("optin-region")
    if re.search(r"\.amazonaws\.com\.cn\b|arn:aws-cn:", text):
        facts.flags.add("china-region")
    if re.search(r"arn:aws-us-gov:|\.us-gov-", text):
        facts.flags.add("govcloud-region")
    for pattern in _BUCKETS:
        found = pattern.search(text)
        if found:
            facts.bucket = found.group(1)
            break
    endpoints: list[tuple[str, str]] = []
    for found in _ENDPOINT_SETTING.finditer(text):
        value = found.group(1)
        host = re.sub(r"^https?://", "", value).split(":")[0]
        kind = _classify_host(host) or "custom"
        endpoints.append((value, kind))
    for found in _URL.finditer(text):
        kind_or_none = _classify_host(found.group(2))
        if kind_or_none is not None:
            endpoints.append((f"{found.group(1)}://{found.group(2)}", kind_or_none))
    for _value, kind in endpoints:
        if kind in ("custom", "vpce"):
            facts.flags.add("custom-endpoint" if kind == "custom" else "aws-endpoint")
        else:
            facts.flags.add("aws-endpoint")
    if endpoints:
        custom = [v for v, k in endpoints if k == "custom"]
        facts.endpoint = custom[0] if custom else endpoints[0][0]
    seen: list[str] = []
    for found in KEY_ID_PATTERN.finditer(text):
        value = found.group(0)
        if value not in seen:
            seen.append(value)
    facts.raw_key_ids = seen
    facts.keys = [key_info(k) for k in seen if k[:4] in ("AKIA", "ASIA")] or [
        key_info(k) for k in seen[:3]
    ]
    access_keys = [k for k in seen if k[:4] in ("AKIA", "ASIA")]
    if any(k.startswith("ASIA") for k in access_keys):
        facts.flags.add("temporary-key")
    if any(k.startswith("AKIA") for k in access_keys):
        facts.flags.add("long-term-key")
    # A key id the poster masked ("ASIA…", "AKIAXXXX", "ASIA****") still shows its kind.
    for found in _MASKED_KEY.finditer(text):
        facts.flags.add("temporary-key" if found.group(1) == "ASIA" else "long-term-key")
    if any(len(k) != 20 for k in access_keys):
        facts.flags.add("key-malformed")
    if len(access_keys) > 1:
        facts.flags.add("several-keys")
    return facts
