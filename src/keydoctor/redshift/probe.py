"""Ask AWS what the cluster will ask, with the statement's own credentials.

For keys: who they belong to (STS GetCallerIdentity), where the bucket lives
(HeadBucket's ``x-amz-bucket-region``), whether the prefix can be listed and its first
object read (or, with MANIFEST, the manifest and every file it names), and, for UNLOAD
with ``--write-test`` only, whether an object can be written (then deleted). For roles:
with the caller's own credentials, whether the role exists and trusts Redshift, and
whether it can be assumed to run the same S3 probes as the role.

botocore only (no boto3), one attempt per call, tight timeouts; statements are probed
concurrently. Error messages from AWS are never copied into findings whole: the
findings are written from the error code, and every output still passes the Redactor.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from keydoctor.model import Finding, Location
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import StatementResult, _compact, corrected_clause, safe_key_id
from keydoctor.redshift.statement import parse_s3_uri

MANIFEST_MAX_BYTES = 1 << 20
MANIFEST_MAX_ENTRIES = 200
_KEY_ERRORS = {"InvalidClientTokenId", "InvalidAccessKeyId", "UnrecognizedClientException"}
_SIGNATURE_ERRORS = {"SignatureDoesNotMatch", "IncompleteSignature"}
_TOKEN_ERRORS = {"ExpiredToken", "InvalidToken", "ExpiredTokenException", "TokenRefreshRequired"}
_DENIED = {"AccessDenied", "AccessDeniedException", "403", "Forbidden", "AllAccessDisabled"}


@dataclass(frozen=True)
class ProbeSettings:
    """How to reach AWS: an endpoint for tests, the cluster's region, consent to write."""

    endpoint_url: str | None = None
    cluster_region: str | None = None
    write_test: bool = False
    profile: str | None = None  # the caller's own profile, for role checks
    connect_timeout: float = 3.0
    read_timeout: float = 5.0


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


class _Stop(Exception):
    """Ends the probes of one statement: the finding that explains why is already added."""


def probe_all(results: list[StatementResult], settings: ProbeSettings) -> None:
    """Probe every COPY/UNLOAD that names an S3 bucket; findings are appended in place."""
    todo = [r for r in results if r.statement.is_copy_or_unload and r.auth.kind in ("keys", "role")]
    if not todo:
        return
    with ThreadPoolExecutor(max_workers=min(4, len(todo))) as pool:
        list(pool.map(lambda r: _StatementProbe(r, settings).run(), todo))


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status:
            return str(status)
    return type(exc).__name__


def _headers(exc_or_response: Any) -> dict[str, str]:
    response = getattr(exc_or_response, "response", exc_or_response)
    if not isinstance(response, dict):
        return {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return {str(k).lower(): str(v) for k, v in headers.items()}


class _StatementProbe:
    def __init__(self, result: StatementResult, settings: ProbeSettings) -> None:
        self.result = result
        self.settings = settings
        self.location = Location(
            kind="aws", key=f"statement {result.statement.index}", line=result.statement.line
        )
        from botocore.session import Session

        self.session = Session()
        self.identity_failed = False

    # -- plumbing -----------------------------------------------------------------------
    def record(self, name: str, outcome: str, detail: str = "") -> None:
        self.result.probes.append({"name": name, "outcome": outcome, "detail": detail})

    def add(self, rule: Any, explanation: str, fix: str, **kw: Any) -> None:
        finding: Finding = rule.finding(explanation, fix, self.location, **kw)
        if not any(
            f.code == finding.code and f.explanation == finding.explanation
            for f in self.result.findings
        ):
            self.result.findings.append(finding)

    def client(self, service: str, region: str, keys: Keys | None, session: Any = None) -> Any:
        from botocore.config import Config

        config = Config(
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"} if self.settings.endpoint_url else None,
        )
        kwargs: dict[str, Any] = {"region_name": region, "config": config}
        if self.settings.endpoint_url:
            kwargs["endpoint_url"] = self.settings.endpoint_url
        if keys is not None:
            kwargs["aws_access_key_id"] = keys.access_key_id
            kwargs["aws_secret_access_key"] = keys.secret_access_key
            kwargs["aws_session_token"] = keys.session_token
        return (session or self.session).create_client(service, **kwargs)

    def call(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run one AWS call; network failures stop this statement's probes with KD834."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )
        from botocore.parsers import ResponseParserError

        try:
            return fn()
        except ClientError:
            raise
        except NoCredentialsError:
            raise
        except (ConnectionError, HTTPClientError) as exc:
            self.record(name, "unreachable", type(exc).__name__)
            self.add(
                R.PROBE_FAILED,
                f"The {name} probe could not reach AWS "
                f"({type(exc).__name__}); later probes of this statement were skipped.",
                "Check the network, a proxy, or --endpoint-url; then run again.",
            )
            raise _Stop from None
        except (BotoCoreError, ResponseParserError) as exc:
            # ResponseParserError: the endpoint answered something that is not AWS's format
            # (an HTML error page from a proxy or an emulator).
            self.record(name, "error", type(exc).__name__)
            self.add(
                R.PROBE_FAILED,
                f"The {name} probe failed ({type(exc).__name__}).",
                "Run again; if it persists, run with --offline.",
            )
            raise _Stop from None

    def auth_error(self, code: str, keys: Keys, where: str) -> bool:
        """Turn an authentication error code into its finding; False if it is not one."""
        auth = self.result.auth
        fix_clause = corrected_clause(auth) if auth.kind == "keys" else ""
        masked = safe_key_id(keys.access_key_id)
        if code in _KEY_ERRORS:
            token_hint = ""
            if keys.access_key_id.startswith("ASIA") and not keys.session_token:
                token_hint = " It is a temporary (ASIA) key and the clause has no token."
            self.add(
                R.KEY_UNKNOWN,
                f"{where} answered {code}: AWS does not know the access key "
                f"id {masked}.{token_hint} The cluster will fail with 'S3ServiceException:"
                "The AWS Access Key Id you provided does not exist in our records.'",
                "Copy the key id again from the IAM console (or create a key); "
                f"then write: {fix_clause}",
            )
            return True
        if code in _SIGNATURE_ERRORS:
            self.add(
                R.SIGNATURE,
                f"{where} answered {code}: AWS knows {masked} but the secret in "
                "the clause does not sign for it. The cluster will fail with 'The request "
                "signature we calculated does not match the signature you provided.'",
                "Paste the secret that belongs to this key id; then write: " + fix_clause,
            )
            return True
        if code in _TOKEN_ERRORS:
            self.add(
                R.TOKEN_BAD,
                f"{where} answered {code}: the session token of {masked} is invalid or expired.",
                "Get new temporary credentials; then write: " + fix_clause,
            )
            return True
        return False

    # -- the probes -----------------------------------------------------------------------
    def run(self) -> None:
        try:
            if self.result.auth.kind == "keys":
                keys = self.statement_keys()
                if keys is not None:
                    self.with_keys(keys, "the clause's keys")
            else:
                self.with_role()
        except _Stop:
            pass

    def statement_keys(self) -> Keys | None:
        auth = self.result.auth
        if not auth.key_id or auth.secret is None:
            self.record("identity", "skipped", "the clause has no complete key pair")
            return None
        token = auth.token.reveal() if auth.token is not None else None
        return Keys(
            _compact(auth.key_id),
            _compact(auth.secret.reveal()),
            _compact(token) if token else None,
        )

    def with_keys(self, keys: Keys, who: str) -> None:
        self.identity(keys, who)
        location = self.result.s3
        if location is None or location.bucket is None:
            return
        bucket_region = self.bucket_region(keys, location.bucket)
        region = bucket_region or self.effective_region() or "us-east-1"
        if self.result.statement.kind == "UNLOAD":
            self.write_test(keys, region, location.bucket, location.prefix)
        elif self.result.statement.manifest:
            self.manifest(keys, region, location.bucket, location.prefix)
        else:
            self.list_and_get(keys, region, location.bucket, location.prefix)

    def effective_region(self) -> str | None:
        region = self.result.statement.region
        if region is not None and region.text.strip():
            return region.text.strip()
        return self.settings.cluster_region

    def identity(self, keys: Keys, who: str) -> None:
        from botocore.exceptions import ClientError

        sts = self.client("sts", self.effective_region() or "us-east-1", keys)
        try:
            answer = self.call("identity", sts.get_caller_identity)
        except ClientError as exc:
            code = _error_code(exc)
            if self.auth_error(code, keys, "STS GetCallerIdentity"):
                self.record("identity", "failed", code)
                raise _Stop from None
            self.record("identity", "inconclusive", code)
            return
        self.record("identity", "ok", f"{who}: {answer.get('Arn', '?')}")

    def bucket_region(self, keys: Keys | None, bucket: str) -> str | None:
        from botocore.exceptions import ClientError

        s3 = self.client("s3", self.effective_region() or "us-east-1", keys)
        region: str | None = None
        try:
            response = self.call("bucket region", lambda: s3.head_bucket(Bucket=bucket))
            region = _headers(response).get("x-amz-bucket-region")
        except ClientError as exc:
            code = _error_code(exc)
            region = _headers(exc).get("x-amz-bucket-region")
            if code in ("404", "NoSuchBucket", "NotFound"):
                self.missing_bucket("bucket region", bucket)
            if keys is not None and self.auth_error(code, keys, "S3 HeadBucket"):
                raise _Stop from None
        if region is None:
            region = self.bucket_location(s3, bucket)
        if region is None:
            self.record("bucket region", "unknown", "S3 did not say")
            return None
        self.record("bucket region", "ok", region)
        self.compare_region(region)
        return region

    def missing_bucket(self, name: str, bucket: str) -> None:
        self.record(name, "failed", "NoSuchBucket")
        self.add(
            R.BUCKET_MISSING,
            f"S3 answered NoSuchBucket for bucket {bucket}.",
            "Check the bucket name in "
            + self.result.statement.location_keyword
            + f" 's3://{bucket}/...'",
        )
        raise _Stop from None

    def bucket_location(self, s3: Any, bucket: str) -> str | None:
        """GetBucketLocation, for when HeadBucket gave no region header."""
        from botocore.exceptions import ClientError

        try:
            answer = self.call("bucket region", lambda: s3.get_bucket_location(Bucket=bucket))
        except ClientError as exc:
            if _error_code(exc) == "NoSuchBucket":
                self.missing_bucket("bucket region", bucket)
            return None
        # S3 answers an empty LocationConstraint for us-east-1, and "EU" for old eu-west-1.
        constraint = answer.get("LocationConstraint") or "us-east-1"
        return "eu-west-1" if constraint == "EU" else str(constraint)

    def compare_region(self, bucket_region: str) -> None:
        st = self.result.statement
        clause = st.region.text.strip() if st.region is not None else None
        cluster = self.settings.cluster_region
        fix = f"Add REGION '{bucket_region}' to the {st.kind}"
        if clause and clause != bucket_region:
            self.add(
                R.REGION_MISMATCH,
                f"The bucket is in {bucket_region} but the statement says "
                f"REGION '{clause}'. The cluster will fail with 'S3ServiceException:The "
                "bucket you are attempting to access must be addressed using the specified "
                "endpoint.'",
                f"Write: REGION '{bucket_region}'",
            )
        elif not clause and cluster and cluster != bucket_region:
            self.add(
                R.REGION_MISMATCH,
                f"The bucket is in {bucket_region} and the cluster in "
                f"{cluster}, and the statement has no REGION clause, so Redshift looks for "
                f"the bucket in {cluster}. The cluster will fail with 'S3ServiceException:The "
                "bucket you are attempting to access must be addressed using the specified "
                "endpoint.'",
                fix + f": REGION '{bucket_region}'",
            )
        elif not clause and not cluster:
            self.add(
                R.NOT_CHECKED,
                f"The bucket is in {bucket_region}; without REGION, Redshift "
                "looks for it in the cluster's region, which keydoctor was not told.",
                f"Pass --cluster-region to compare; if the cluster is elsewhere: "
                f"REGION '{bucket_region}'",
            )

    def denied(self, code: str) -> bool:
        return code in _DENIED

    def list_and_get(self, keys: Keys | None, region: str, bucket: str, prefix: str) -> None:
        from botocore.exceptions import ClientError

        s3 = self.client("s3", region, keys)
        try:
            listing = self.call(
                "list", lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=20)
            )
        except ClientError as exc:
            code = _error_code(exc)
            if keys is not None and self.auth_error(code, keys, "S3 ListObjectsV2"):
                raise _Stop from None
            if code == "NoSuchBucket":
                self.missing_bucket("list", bucket)
            self.record("list", "denied" if self.denied(code) else "failed", code)
            if self.denied(code):
                self.add(
                    R.LIST_DENIED,
                    f"Listing s3://{bucket}/{prefix} was denied ({code}). "
                    "COPY lists the prefix first; the cluster will fail with "
                    "'S3ServiceException:Access Denied,Status 403,Error AccessDenied'.",
                    f"Allow s3:ListBucket on arn:aws:s3:::{bucket} for {self.who()}.",
                )
                return
            self.add(
                R.PROBE_FAILED,
                f"Listing s3://{bucket}/{prefix} failed ({code}).",
                "Run again; check the bucket and prefix.",
            )
            return
        objects = [
            o for o in listing.get("Contents", []) if not str(o.get("Key", "")).endswith("/")
        ]
        if not objects:
            self.record("list", "empty", f"s3://{bucket}/{prefix}")
            self.add(
                R.PREFIX_EMPTY,
                f"No object in s3://{bucket} starts with '{prefix}'. COPY "
                "fails with 'The specified S3 prefix ... does not exist'.",
                "Check the bucket and the prefix (keys are case-sensitive).",
            )
            return
        self.record(
            "list", "ok", f"{len(objects)}{'+' if listing.get('IsTruncated') else ''} object(s)"
        )
        self.get(s3, keys, bucket, str(objects[0]["Key"]), "get")

    def get(self, s3: Any, keys: Keys | None, bucket: str, key: str, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            response = self.call(name, lambda: s3.get_object(Bucket=bucket, Key=key))
            body = response["Body"]
            body.read(1)
            body.close()
        except ClientError as exc:
            code = _error_code(exc)
            if keys is not None and self.auth_error(code, keys, "S3 GetObject"):
                raise _Stop from None
            if code == "NoSuchBucket":
                self.missing_bucket(name, bucket)
            self.record(name, "denied" if self.denied(code) else "failed", f"s3://{bucket}/{key}")
            if self.denied(code):
                self.add(
                    R.GET_DENIED,
                    f"Reading s3://{bucket}/{key} was denied ({code}). The "
                    "cluster will fail with 'S3ServiceException:Access Denied,Status 403'.",
                    f"Allow s3:GetObject on arn:aws:s3:::{bucket}/{_prefix_of(key)}* for "
                    f"{self.who()}.",
                )
            elif code in ("NoSuchKey", "404"):
                return False
            else:
                self.add(
                    R.PROBE_FAILED, f"Reading s3://{bucket}/{key} failed ({code}).", "Run again."
                )
            return True
        self.record(name, "ok", f"s3://{bucket}/{key}")
        return True

    def manifest(self, keys: Keys | None, region: str, bucket: str, key: str) -> None:
        from botocore.exceptions import ClientError

        s3 = self.client("s3", region, keys)
        try:
            response = self.call("manifest", lambda: s3.get_object(Bucket=bucket, Key=key))
            raw = response["Body"].read(MANIFEST_MAX_BYTES + 1)
            response["Body"].close()
        except ClientError as exc:
            code = _error_code(exc)
            if keys is not None and self.auth_error(code, keys, "S3 GetObject"):
                raise _Stop from None
            self.record("manifest", "failed", code)
            if self.denied(code):
                self.add(
                    R.GET_DENIED,
                    f"Reading the manifest s3://{bucket}/{key} was denied ({code}).",
                    f"Allow s3:GetObject on arn:aws:s3:::{bucket}/{key} for {self.who()}.",
                )
            else:
                self.add(
                    R.MANIFEST_BAD,
                    f"The manifest s3://{bucket}/{key} could not be read ({code}).",
                    "Check the manifest's location in FROM.",
                )
            return
        entries = _manifest_entries(raw)
        if isinstance(entries, str):
            self.record("manifest", "invalid", entries)
            self.add(
                R.MANIFEST_BAD,
                f"The manifest s3://{bucket}/{key} {entries}.",
                'Write it as {"entries": [{"url": "s3://<bucket>/<key>", "mandatory": true}]}',
            )
            return
        self.record("manifest", "ok", f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
        missing: list[str] = []
        for url, mandatory in entries[:MANIFEST_MAX_ENTRIES]:
            loc = parse_s3_uri(url)
            if loc.problem or not loc.bucket:
                missing.append(f"{url[:80]} (not an s3:// URL)")
                continue
            found = self.get(s3, keys, loc.bucket, loc.prefix, "manifest entry")
            if not found:
                self.record("manifest entry", "missing", url[:200])
                if mandatory:
                    missing.append(url[:200])
        if missing:
            self.add(
                R.MANIFEST_BAD,
                f"{len(missing)} mandatory manifest entr"
                f"{'y is' if len(missing) == 1 else 'ies are'} missing or invalid: "
                + ", ".join(missing[:5])
                + ".",
                "Upload the missing files or correct their URLs in the manifest.",
            )

    def write_test(self, keys: Keys | None, region: str, bucket: str, prefix: str) -> None:
        from botocore.exceptions import ClientError

        if not self.settings.write_test:
            self.record("put", "skipped", "pass --write-test to try a write")
            self.add(
                R.NOT_CHECKED,
                "UNLOAD needs s3:PutObject; keydoctor writes only when asked.",
                "Run again with --write-test to write and delete one empty object under "
                "the prefix.",
            )
            return
        s3 = self.client("s3", region, keys)
        key = f"{prefix}keydoctor-write-test-{uuid.uuid4().hex[:12]}"
        try:
            self.call("put", lambda: s3.put_object(Bucket=bucket, Key=key, Body=b""))
        except ClientError as exc:
            code = _error_code(exc)
            if keys is not None and self.auth_error(code, keys, "S3 PutObject"):
                raise _Stop from None
            if code == "NoSuchBucket":
                self.missing_bucket("put", bucket)
            self.record("put", "denied" if self.denied(code) else "failed", code)
            if self.denied(code):
                self.add(
                    R.PUT_DENIED,
                    f"Writing under s3://{bucket}/{prefix} was denied ({code}).",
                    f"Allow s3:PutObject on arn:aws:s3:::{bucket}/{prefix}* for {self.who()}.",
                )
            else:
                self.add(
                    R.PROBE_FAILED,
                    f"Writing under s3://{bucket}/{prefix} failed ({code}).",
                    "Run again.",
                )
            return
        self.record("put", "ok", f"s3://{bucket}/{key}")
        try:
            self.call("delete", lambda: s3.delete_object(Bucket=bucket, Key=key))
            self.record("delete", "ok", f"s3://{bucket}/{key}")
        except ClientError as exc:
            self.record("delete", "failed", _error_code(exc))
            self.add(
                R.PROBE_FAILED,
                f"The test object s3://{bucket}/{key} could not be deleted ({_error_code(exc)}).",
                f"Delete it: aws s3 rm s3://{bucket}/{key}",
                severity=R.L,
            )

    def who(self) -> str:
        auth = self.result.auth
        if auth.kind == "role" and auth.roles:
            return f"the role {auth.roles[-1]}"
        return f"the IAM identity of {safe_key_id(auth.key_id)}"

    # -- roles -------------------------------------------------------------------------------
    def with_role(self) -> None:
        from botocore.exceptions import ClientError, NoCredentialsError
        from botocore.session import Session

        auth = self.result.auth
        if auth.role_default or not auth.roles:
            self.record("role", "skipped", "IAM_ROLE default")
            self.add(
                R.NOT_CHECKED,
                "IAM_ROLE default names the cluster's default role, which "
                "keydoctor cannot see from here.",
                "To check it, pass the role's ARN: IAM_ROLE 'arn:aws:iam::<account>:role/<name>'",
            )
            return
        caller = Session(profile=self.settings.profile) if self.settings.profile else Session()
        region = self.effective_region() or "us-east-1"
        try:
            self.trust(caller, region, auth.roles)
            keys = self.assume(caller, region, auth.roles)
        except NoCredentialsError:
            self.record("role", "skipped", "no caller credentials")
            self.add(
                R.NOT_CHECKED,
                "The role could not be checked: this shell has no AWS "
                "credentials of its own to look at it with.",
                "Run with --profile <a profile allowed iam:GetRole and sts:AssumeRole>.",
            )
            return
        except ClientError as exc:
            self.record("role", "failed", _error_code(exc))
            return
        if keys is None or self.result.s3 is None or self.result.s3.bucket is None:
            return
        self.with_keys(keys, f"assumed {auth.roles[-1]}")

    def trust(self, caller: Any, region: str, roles: tuple[str, ...]) -> None:
        from botocore.exceptions import ClientError

        iam = self.client("iam", region, None, session=caller)
        previous: str | None = None
        for arn in roles:
            name = arn.rsplit("/", 1)[-1]
            try:
                answer = self.call("role", lambda n=name: iam.get_role(RoleName=n))  # type: ignore[misc]
            except ClientError as exc:
                code = _error_code(exc)
                if code == "NoSuchEntity":
                    self.record("role", "missing", arn)
                    self.add(
                        R.ROLE_MISSING,
                        f"IAM has no role named {name} ({arn}).",
                        "Check the ARN, or create the role and attach it to the cluster.",
                    )
                    raise _Stop from None
                self.record("role", "inconclusive", f"{code} on iam:GetRole")
                previous = arn
                continue
            document = _policy(answer.get("Role", {}).get("AssumeRolePolicyDocument"))
            wanted = "redshift.amazonaws.com" if previous is None else previous
            if not _trusts(document, wanted, is_service=previous is None):
                self.record("role trust", "missing", f"{name} does not trust {wanted}")
                self.add(
                    R.ROLE_TRUST,
                    f"The trust policy of {arn} does not allow {wanted} to assume it.",
                    'Add to its trust policy: {"Effect": "Allow", "Principal": '
                    + (
                        f'{{"Service": "{wanted}"}}'
                        if previous is None
                        else f'{{"AWS": "{wanted}"}}'
                    )
                    + ', "Action": "sts:AssumeRole"}',
                )
            else:
                self.record("role trust", "ok", f"{name} trusts {wanted}")
            previous = arn

    def assume(self, caller: Any, region: str, roles: tuple[str, ...]) -> Keys | None:
        from botocore.exceptions import ClientError

        keys: Keys | None = None
        for arn in roles:
            sts = self.client("sts", region, keys, session=caller if keys is None else None)
            try:
                answer = self.call(
                    "assume role",
                    lambda a=arn, s=sts: s.assume_role(  # type: ignore[misc]
                        RoleArn=a, RoleSessionName="keydoctor-redshift-check", DurationSeconds=900
                    ),
                )
            except ClientError as exc:
                code = _error_code(exc)
                self.record("assume role", "denied", f"{arn}: {code}")
                self.add(
                    R.ROLE_NOT_ASSUMABLE,
                    f"sts:AssumeRole on {arn} with your own credentials "
                    f"was refused ({code}); the role's S3 access was not probed. The cluster "
                    "assumes it as redshift.amazonaws.com and may still succeed.",
                    "To probe as the role, run with a --profile allowed to assume it.",
                    confidence="medium",
                )
                return None
            creds = answer["Credentials"]
            keys = Keys(creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))
            self.record("assume role", "ok", arn)
        return keys


def _prefix_of(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def _policy(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        for text in (document, urllib.parse.unquote(document)):
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _trusts(document: dict[str, Any], principal: str, *, is_service: bool) -> bool:
    """Whether an Allow statement with sts:AssumeRole names the principal."""
    account = principal.split(":")[4] if principal.startswith("arn:") else ""
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principals = statement.get("Principal")
        if principals == "*":
            return True
        if not isinstance(principals, dict):
            continue
        if is_service:
            if principal in [str(p) for p in _as_list(principals.get("Service"))]:
                return True
        else:
            named = [str(p) for p in _as_list(principals.get("AWS"))]
            if (
                principal in named
                or "*" in named
                or account in named
                or (f"arn:aws:iam::{account}:root" in named)
            ):
                return True
    return False


def _manifest_entries(raw: bytes) -> list[tuple[str, bool]] | str:
    """The manifest's (url, mandatory) pairs, or what is wrong with it, in words."""
    if len(raw) > MANIFEST_MAX_BYTES:
        return "is larger than 1 MiB; keydoctor did not read it"
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "is not valid JSON"
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return 'has no "entries" list'
    entries: list[tuple[str, bool]] = []
    for entry in document["entries"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            return 'has an entry without a "url" string'
        entries.append((entry["url"], bool(entry.get("mandatory", False))))
    if not entries:
        return "lists no files"
    return entries
