"""Ask AWS what the cluster will ask, with the statement's own credentials.

For keys: who they belong to (STS GetCallerIdentity), where the bucket lives
(HeadBucket's ``x-amz-bucket-region``), whether the prefix can be listed and its first
object read (or, with MANIFEST, the manifest and every file it names), and, for UNLOAD
with ``--write-test`` only, whether an object can be written (then deleted). For roles:
with the caller's own credentials, whether the role exists and trusts Redshift, and
whether it can be assumed to run the same S3 probes as the role.

The asking itself is :mod:`keydoctor.probes.transport`'s, shared with ``keydoctor
check``: botocore clients (no boto3) with tight timeouts and retries off, and every
exception classified into an outcome (denied, not found, refused keys, unreachable, not
an AWS answer). Statements are probed concurrently. AWS's messages are never copied
into findings whole: findings are written from the error code, and every output still
passes the Redactor.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from keydoctor.catalog import codes
from keydoctor.model import CredentialSource, Finding, Location, Secret
from keydoctor.probes import outcome as oc
from keydoctor.probes import s3 as s3_probes
from keydoctor.probes.clients import StaticKeys as Keys
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.policy import parse_document
from keydoctor.probes.transport import Target, Transport
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import (
    StatementResult,
    _compact,
    corrected_clause,
    region_is_valid,
    safe_key_id,
)
from keydoctor.redshift.statement import parse_s3_uri
from keydoctor.shell import command

MANIFEST_MAX_BYTES = 1 << 20
MANIFEST_MAX_ENTRIES = 200
MAX_PROBED = 50


@dataclass(frozen=True)
class ProbeSettings:
    """How to reach AWS: an endpoint for tests, the cluster's region, consent to write."""

    endpoint_url: str | None = None
    cluster_region: str | None = None
    write_test: bool = False
    profile: str | None = None  # the caller's own profile, for role checks
    timeout: float = 3.0  # connect and read, per request


class _Stop(Exception):
    """Ends the probes of one statement: the finding that explains why is already added."""


def probe_all(results: list[StatementResult], settings: ProbeSettings) -> None:
    """Probe every COPY/UNLOAD that names an S3 bucket; findings are appended in place.

    At most :data:`MAX_PROBED` statements are probed, so that a long script does not turn
    into thousands of requests; the others say so in a KD832 finding.
    """
    todo = [r for r in results if r.statement.is_copy_or_unload and r.auth.kind in ("keys", "role")]
    if not todo:
        return
    for result in todo[MAX_PROBED:]:
        result.findings.append(
            R.NOT_CHECKED.finding(
                f"Only the first {MAX_PROBED} statements were probed; this one was checked "
                "offline only.",
                "Pass this statement alone to probe it.",
                Location(kind="aws", key=f"statement {result.statement.index}"),
            )
        )
    with ThreadPoolExecutor(max_workers=min(4, len(todo))) as pool:
        list(pool.map(lambda r: _StatementProbe(r, settings).run(), todo[:MAX_PROBED]))


class _StatementProbe:
    def __init__(self, result: StatementResult, settings: ProbeSettings) -> None:
        self.result = result
        self.settings = settings
        self.location = Location(
            kind="aws", key=f"statement {result.statement.index}", line=result.statement.line
        )
        self._transports: dict[tuple[Keys | None, bool], Transport] = {}

    # -- plumbing -----------------------------------------------------------------------
    def record(self, name: str, outcome: str, detail: str = "", ms: float | None = None) -> None:
        entry: dict[str, Any] = {"name": name, "outcome": outcome, "detail": detail}
        if ms is not None:
            entry["duration_ms"] = round(ms, 1)
        self.result.probes.append(entry)

    def add(self, rule: Any, explanation: str, fix: str, **kw: Any) -> None:
        finding: Finding = rule.finding(explanation, fix, self.location, **kw)
        if not any(
            f.code == finding.code and f.explanation == finding.explanation
            for f in self.result.findings
        ):
            self.result.findings.append(finding)

    def transport(self, keys: Keys | None, *, caller: bool = False) -> Transport:
        """One transport per set of credentials: the clause's keys, an assumed role's, or
        (``caller``) this shell's own, resolved by botocore for --profile."""
        cache_key = (keys, caller)
        made = self._transports.get(cache_key)
        if made is None:
            source = None
            if keys is not None:
                source = CredentialSource(
                    method="redshift-statement",
                    location=self.location,
                    access_key_id=keys.access_key_id,
                    secret_access_key=Secret(keys.secret_access_key),
                    session_token=Secret(keys.session_token) if keys.session_token else None,
                )
            target = Target(
                region=self.effective_region() or "us-east-1",
                endpoint_url=self.settings.endpoint_url,
                profile=self.settings.profile if caller else None,
                source=source,
                timeout=self.settings.timeout,
            )
            made = Transport(target)
            self._transports[cache_key] = made
        return made

    def ask(
        self,
        transport: Transport,
        name: str,
        service: str,
        call: Callable[[Any], dict[str, Any]],
        region: str | None = None,
        keys: Keys | None = None,
    ) -> tuple[ProbeResult, dict[str, Any] | None]:
        """Ask once. Refused keys, no answer or no AWS answer end this statement's probes
        (the finding that says why is added); the caller reads denials and absences."""
        probe = ProbeResult(name=name, service=service, operation=name, asked=name)
        answer = transport.ask(probe, call, region)
        if answer is not None:
            return probe, answer
        self.judge(probe, name, keys)
        return probe, None

    def judge(self, probe: ProbeResult, name: str, keys: Keys | None) -> None:
        """Refused keys, no answer or no AWS answer end this statement's probes (with the
        finding that says why); denials and absences are left to the caller."""
        failure = probe.failure
        if failure is None:
            return
        if probe.outcome == oc.AUTH_FAILED and keys is not None:
            self.record(name, "failed", failure.code, probe.duration_ms)
            self.auth_error(failure.code, keys, name)
            raise _Stop
        if probe.outcome in (oc.UNREACHABLE, oc.NOT_AWS, oc.SERVER_ERROR):
            self.record(name, probe.outcome, failure.code, probe.duration_ms)
            self.add(
                R.PROBE_FAILED,
                f"The {name} probe got no usable answer: {failure.reason}. Later probes of "
                "this statement were skipped.",
                "Check the network, a proxy, or --endpoint-url; then run again.",
            )
            raise _Stop
        if probe.outcome == oc.PROVIDER:
            self.record(name, "skipped", failure.code, probe.duration_ms)
            self.add(
                R.NOT_CHECKED,
                "The role could not be checked: this shell's own credentials could not be "
                f"used ({failure.code}).",
                "Run with --profile <a profile allowed iam:GetRole and sts:AssumeRole>.",
            )
            raise _Stop
        if probe.outcome == oc.REDIRECT and name != "bucket region":
            # S3 says the bucket lives elsewhere (301 PermanentRedirect): that is the
            # region finding, not a failed probe.
            region = probe.headers.get("x-amz-bucket-region")
            self.record(name, "redirect", region or failure.code, probe.duration_ms)
            if region:
                self.compare_region(region)
            raise _Stop

    def auth_error(self, code: str, keys: Keys, where: str) -> bool:
        """Turn an authentication error code into its finding; False if it is not one."""
        auth = self.result.auth
        fix_clause = corrected_clause(auth) if auth.kind == "keys" else ""
        masked = safe_key_id(keys.access_key_id)
        family = codes.family(code)
        if family == codes.UNKNOWN_KEY:
            token_hint = ""
            if keys.access_key_id.startswith("ASIA") and not keys.session_token:
                token_hint = " It is a temporary (ASIA) key and the clause has no token."
            self.add(
                R.KEY_UNKNOWN,
                f"{where} answered {code}: AWS does not know the access key "
                f"id {masked}.{token_hint} The cluster will fail with 'S3ServiceException:"
                "The AWS Access Key Id you provided does not exist in our records.'",
                (
                    "Get fresh temporary credentials (aws sts get-session-token / assume-role, "
                    "or your login tool) and put their key id, secret and token in the clause"
                    if keys.access_key_id.startswith("ASIA")
                    else "Copy the key id again from the IAM console (or create a key)"
                )
                + f"; then write: {fix_clause}",
            )
            return True
        if family == codes.SIGNATURE:
            self.add(
                R.SIGNATURE,
                f"{where} answered {code}: AWS knows {masked} but the secret in "
                "the clause does not sign for it. The cluster will fail with 'The request "
                "signature we calculated does not match the signature you provided.'",
                "Paste the secret that belongs to this key id; then write: " + fix_clause,
            )
            return True
        if family in (codes.TOKEN_EXPIRED, codes.TOKEN_INVALID):
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
        transport = self.transport(keys)
        self.identity(transport, keys, who)
        location = self.result.s3
        if location is None or location.bucket is None:
            return
        bucket_region = self.bucket_region(transport, keys, location.bucket)
        region = bucket_region or self.effective_region() or "us-east-1"
        if self.result.statement.kind == "UNLOAD":
            self.write_test(transport, keys, region, location.bucket, location.prefix)
        elif self.result.statement.manifest:
            self.manifest(transport, keys, region, location.bucket, location.prefix)
        else:
            self.list_and_get(transport, keys, region, location.bucket, location.prefix)

    def effective_region(self) -> str | None:
        """The REGION clause if it is a region code (KD812 reports it otherwise), else the
        cluster's region."""
        region = self.result.statement.region
        if region is not None and region_is_valid(region.text.strip()):
            return region.text.strip()
        return self.settings.cluster_region

    def identity(self, transport: Transport, keys: Keys, who: str) -> None:
        probe, answer = self.ask(
            transport, "identity", "sts", lambda c: c.get_caller_identity(), keys=keys
        )
        if answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            self.record("identity", "inconclusive", code, probe.duration_ms)
            return
        self.record("identity", "ok", f"{who}: {answer.get('Arn', '?')}", probe.duration_ms)

    def bucket_region(self, transport: Transport, keys: Keys, bucket: str) -> str | None:
        """The bucket's region as the live probes learn it (one implementation for
        ``check``, ``redshift`` and ``fix set-region``)."""
        probe = s3_probes.bucket_region(transport, bucket)
        self.judge(probe, "bucket region", keys)
        if probe.outcome == oc.NOT_FOUND:
            self.missing_bucket("bucket region", bucket)
        region = probe.data.get("region")
        if not isinstance(region, str) or not region:
            self.record("bucket region", "unknown", "S3 did not say", probe.duration_ms)
            return None
        # The probe found the region; whether that region is right is the comparison's
        # call, and the probe line must not say "ok" beside a KD829 mismatch.
        mismatch = self.compare_region(region)
        self.record("bucket region", "mismatch" if mismatch else "ok", region, probe.duration_ms)
        return region

    def missing_bucket(self, name: str, bucket: str) -> None:
        self.record(name, "failed", "the bucket does not exist")
        self.add(
            R.BUCKET_MISSING,
            f"S3 answered NoSuchBucket for bucket {bucket}.",
            "Check the bucket name in "
            + self.result.statement.location_keyword
            + f" 's3://{bucket}/...'",
        )
        raise _Stop

    def compare_region(self, bucket_region: str) -> bool:
        """Compare the bucket's region with the statement's; True when they differ."""
        st = self.result.statement
        clause = st.region.text.strip() if st.region is not None else None
        if clause is not None and not region_is_valid(clause):
            return False  # KD812 already says the REGION value is not a region code
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
            return True
        if not clause and cluster and cluster != bucket_region:
            self.add(
                R.REGION_MISMATCH,
                f"The bucket is in {bucket_region} and the cluster in "
                f"{cluster}, and the statement has no REGION clause, so Redshift looks for "
                f"the bucket in {cluster}. The cluster will fail with 'S3ServiceException:The "
                "bucket you are attempting to access must be addressed using the specified "
                "endpoint.'",
                fix + f": REGION '{bucket_region}'",
            )
            return True
        if not clause and not cluster:
            self.add(
                R.NOT_CHECKED,
                f"The bucket is in {bucket_region}; without REGION, Redshift "
                "looks for it in the cluster's region, which keydoctor was not told.",
                f"Pass --cluster-region to compare; if the cluster is elsewhere: "
                f"REGION '{bucket_region}'",
            )
        return False

    def list_and_get(
        self, transport: Transport, keys: Keys, region: str, bucket: str, prefix: str
    ) -> None:
        probe, listing = self.ask(
            transport,
            "list",
            "s3",
            lambda c: c.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=20),
            region,
            keys,
        )
        if listing is None:
            code = probe.failure.code if probe.failure else probe.outcome
            if codes.family(code) == codes.NO_BUCKET:
                self.missing_bucket("list", bucket)
            self.record(
                "list",
                "denied" if probe.outcome == oc.DENIED else "failed",
                code,
                probe.duration_ms,
            )
            if probe.outcome == oc.DENIED:
                self.add(
                    R.LIST_DENIED,
                    f"Listing s3://{bucket}/{prefix} was denied ({code}). "
                    "COPY lists the prefix first; the cluster will fail with "
                    "'S3ServiceException:Access Denied,Status 403,Error AccessDenied'.",
                    f"Allow s3:ListBucket on arn:aws:s3:::{bucket} for {self.who()}.",
                )
            else:
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
            self.record("list", "empty", f"s3://{bucket}/{prefix}", probe.duration_ms)
            self.add(
                R.PREFIX_EMPTY,
                f"No object in s3://{bucket} starts with '{prefix}'. COPY "
                "fails with 'The specified S3 prefix ... does not exist'.",
                "Check the bucket and the prefix (keys are case-sensitive).",
            )
            return
        more = "+" if listing.get("IsTruncated") else ""
        self.record("list", "ok", f"{len(objects)}{more} object(s)", probe.duration_ms)
        self.get(transport, keys, region, bucket, str(objects[0]["Key"]), "get")

    def get(
        self, transport: Transport, keys: Keys, region: str, bucket: str, key: str, name: str
    ) -> bool:
        """Read the first byte of an object (GET, as the cluster does); False if absent."""

        def first_byte(client: Any) -> dict[str, Any]:
            response: dict[str, Any] = client.get_object(Bucket=bucket, Key=key)
            body = response["Body"]
            body.read(1)
            body.close()
            return response

        probe, answer = self.ask(transport, name, "s3", first_byte, region, keys)
        if answer is not None:
            self.record(name, "ok", f"s3://{bucket}/{key}", probe.duration_ms)
            return True
        code = probe.failure.code if probe.failure else probe.outcome
        if codes.family(code) == codes.NO_BUCKET:
            self.missing_bucket(name, bucket)
        if probe.outcome == oc.NOT_FOUND:
            return False
        denied = probe.outcome == oc.DENIED
        self.record(
            name, "denied" if denied else "failed", f"s3://{bucket}/{key}", probe.duration_ms
        )
        if denied:
            self.add(
                R.GET_DENIED,
                f"Reading s3://{bucket}/{key} was denied ({code}). The "
                "cluster will fail with 'S3ServiceException:Access Denied,Status 403'.",
                f"Allow s3:GetObject on arn:aws:s3:::{bucket}/{_prefix_of(key)}* for {self.who()}.",
            )
        else:
            self.add(R.PROBE_FAILED, f"Reading s3://{bucket}/{key} failed ({code}).", "Run again.")
        return True

    def manifest(
        self, transport: Transport, keys: Keys, region: str, bucket: str, key: str
    ) -> None:
        def read(client: Any) -> dict[str, Any]:
            response: dict[str, Any] = client.get_object(Bucket=bucket, Key=key)
            response["raw"] = response["Body"].read(MANIFEST_MAX_BYTES + 1)
            response["Body"].close()
            return response

        probe, answer = self.ask(transport, "manifest", "s3", read, region, keys)
        if answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            if codes.family(code) == codes.NO_BUCKET:
                self.missing_bucket("manifest", bucket)
            self.record("manifest", "failed", code, probe.duration_ms)
            if probe.outcome == oc.DENIED:
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
        entries = _manifest_entries(answer["raw"])
        if isinstance(entries, str):
            self.record("manifest", "invalid", entries, probe.duration_ms)
            self.add(
                R.MANIFEST_BAD,
                f"The manifest s3://{bucket}/{key} {entries}.",
                'Write it as {"entries": [{"url": "s3://<bucket>/<key>", "mandatory": true}]}',
            )
            return
        count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        self.record("manifest", "ok", count, probe.duration_ms)
        missing: list[str] = []
        for url, mandatory in entries[:MANIFEST_MAX_ENTRIES]:
            loc = parse_s3_uri(url)
            if loc.problem or not loc.bucket:
                missing.append(f"{url[:80]} (not an s3:// URL)")
                continue
            found = self.get(transport, keys, region, loc.bucket, loc.prefix, "manifest entry")
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

    def write_test(
        self, transport: Transport, keys: Keys, region: str, bucket: str, prefix: str
    ) -> None:
        if not self.settings.write_test:
            self.record("put", "skipped", "pass --write-test to try a write")
            self.add(
                R.NOT_CHECKED,
                "UNLOAD needs s3:PutObject; keydoctor writes only when asked.",
                "Run again with --write-test to write and delete one empty object under "
                "the prefix.",
            )
            return
        key = f"{prefix}keydoctor-write-test-{uuid.uuid4().hex[:12]}"
        probe, answer = self.ask(
            transport,
            "put",
            "s3",
            lambda c: c.put_object(Bucket=bucket, Key=key, Body=b""),
            region,
            keys,
        )
        if answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            if codes.family(code) == codes.NO_BUCKET:
                self.missing_bucket("put", bucket)
            denied = probe.outcome == oc.DENIED
            self.record("put", "denied" if denied else "failed", code, probe.duration_ms)
            if denied:
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
        self.record("put", "ok", f"s3://{bucket}/{key}", probe.duration_ms)
        probe, answer = self.ask(
            transport,
            "delete",
            "s3",
            lambda c: c.delete_object(Bucket=bucket, Key=key),
            region,
            keys,
        )
        if answer is not None:
            self.record("delete", "ok", f"s3://{bucket}/{key}", probe.duration_ms)
            return
        code = probe.failure.code if probe.failure else probe.outcome
        self.record("delete", "failed", code, probe.duration_ms)
        self.add(
            R.PROBE_FAILED,
            f"The test object s3://{bucket}/{key} could not be deleted ({code}).",
            "Delete it: " + command("aws", "s3", "rm", f"s3://{bucket}/{key}"),
            severity=R.L,
        )

    def who(self) -> str:
        auth = self.result.auth
        if auth.kind == "role" and auth.roles:
            return f"the role {auth.roles[-1]}"
        return f"the IAM identity of {safe_key_id(auth.key_id)}"

    # -- roles -------------------------------------------------------------------------------
    def with_role(self) -> None:
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
        caller = self.transport(None, caller=True)
        self.trust(caller, auth.roles)
        keys = self.assume(caller, auth.roles)
        if keys is None or self.result.s3 is None or self.result.s3.bucket is None:
            return
        self.with_keys(keys, f"assumed {auth.roles[-1]}")

    def trust(self, caller: Transport, roles: tuple[str, ...]) -> None:
        previous: str | None = None
        for arn in roles:
            name = arn.rsplit("/", 1)[-1]
            probe, answer = self.ask(caller, "role", "iam", _get_role(name))
            if answer is None:
                code = probe.failure.code if probe.failure else probe.outcome
                if codes.family(code) == codes.NO_ENTITY:
                    self.record("role", "missing", arn, probe.duration_ms)
                    self.add(
                        R.ROLE_MISSING,
                        f"IAM has no role named {name} ({arn}).",
                        "Check the ARN, or create the role and attach it to the cluster.",
                    )
                    raise _Stop
                self.record("role", "inconclusive", f"{code} on iam:GetRole", probe.duration_ms)
                previous = arn
                continue
            document = _policy(answer.get("Role", {}).get("AssumeRolePolicyDocument"))
            wanted = "redshift.amazonaws.com" if previous is None else previous
            if not _trusts(document, wanted, is_service=previous is None):
                self.record("role trust", "missing", f"{name} does not trust {wanted}")
                principal = (
                    f'{{"Service": "{wanted}"}}' if previous is None else f'{{"AWS": "{wanted}"}}'
                )
                self.add(
                    R.ROLE_TRUST,
                    f"The trust policy of {arn} does not allow {wanted} to assume it.",
                    f'Add to its trust policy: {{"Effect": "Allow", "Principal": {principal}, '
                    '"Action": "sts:AssumeRole"}',
                )
            else:
                self.record("role trust", "ok", f"{name} trusts {wanted}", probe.duration_ms)
            previous = arn

    def assume(self, caller: Transport, roles: tuple[str, ...]) -> Keys | None:
        keys: Keys | None = None
        for arn in roles:
            transport = caller if keys is None else self.transport(keys)
            probe, answer = self.ask(
                transport,
                "assume role",
                "sts",
                _assume_role(arn),
            )
            if answer is None:
                code = probe.failure.code if probe.failure else probe.outcome
                self.record("assume role", "denied", f"{arn}: {code}", probe.duration_ms)
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
            self.record("assume role", "ok", arn, probe.duration_ms)
        return keys


def _get_role(name: str) -> Callable[[Any], dict[str, Any]]:
    def call(client: Any) -> dict[str, Any]:
        answer: dict[str, Any] = client.get_role(RoleName=name)
        return answer

    return call


def _assume_role(arn: str) -> Callable[[Any], dict[str, Any]]:
    def call(client: Any) -> dict[str, Any]:
        answer: dict[str, Any] = client.assume_role(
            RoleArn=arn, RoleSessionName="keydoctor-redshift-check", DurationSeconds=900
        )
        return answer

    return call


def _prefix_of(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def _policy(document: Any) -> dict[str, Any]:
    return parse_document(document) or {}


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
