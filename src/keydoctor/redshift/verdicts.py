"""The one place where a statement's probe answers become KD8xx findings.

:mod:`keydoctor.redshift.probe` plans the questions and :mod:`keydoctor.probes.plans`
asks them; every answer arrives here already classified (denied, not found, refused
keys, no answer ...) by :func:`keydoctor.probes.access.classify`, and :func:`judge` reads
the answers in the order they were planned. An answer that ends the statement's probes
(refused keys, no usable answer, a missing bucket or role) makes the later ones moot:
they are not reported, as if they had never been asked.

AWS's messages are never copied into findings whole: findings are written from the
error code's family (``catalog/codes.toml``), and every output still passes the Redactor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from keydoctor.catalog import codes
from keydoctor.checks.base import Rule
from keydoctor.model import Finding, Location
from keydoctor.probes import outcome as oc
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.plans import StepAnswer
from keydoctor.probes.policy import parse_document
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import (
    StatementResult,
    corrected_clause,
    region_is_valid,
    safe_key_id,
)
from keydoctor.shell import command

MANIFEST_MAX_ENTRIES = 200


@dataclass(frozen=True)
class Ask:
    """What one step of a statement's plan is about: what its verdict needs to know."""

    bucket: str = ""
    key: str = ""  # the object read, written or deleted
    prefix: str = ""  # the prefix listed or written under
    region: str = ""  # the region the S3 question goes to
    who: str = ""  # identity: whose keys ("the clause's keys", "assumed <arn>")
    arn: str = ""  # role and assume-role steps
    trusted: str = ""  # role step: the principal its trust policy must name
    index: int = 0  # manifest entry: its place in the manifest
    url: str = ""  # manifest entry: as written in the manifest


@dataclass(frozen=True)
class ProbeLine:
    """One line of a statement's probe report: what was asked and how it went."""

    name: str
    outcome: str
    detail: str = ""
    duration_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "outcome": self.outcome, "detail": self.detail}
        if self.duration_ms is not None:
            entry["duration_ms"] = round(self.duration_ms, 1)
        return entry


@dataclass(frozen=True)
class Cluster:
    """What the command knows about the cluster and the probing, for the verdicts."""

    region: str | None = None
    write_test: bool = False


class _Ended(Exception):
    """The answer just judged ends the statement's probes; its finding is already added."""


class _Verdicts:
    """The probe lines and findings of one statement, built answer by answer."""

    def __init__(self, result: StatementResult, cluster: Cluster) -> None:
        self.result = result
        self.cluster = cluster
        st = result.statement
        self.location = Location(kind="aws", key=f"statement {st.index}", line=st.line)
        self.lines: list[ProbeLine] = []
        self.findings: list[Finding] = []
        self.entries: list[tuple[str, bool]] | None = None  # a manifest's, once read
        self.found: dict[int, bool] = {}  # manifest entry (by place) -> present

    # -- plumbing -----------------------------------------------------------------------
    def record(self, name: str, outcome: str, detail: str = "", ms: float | None = None) -> None:
        self.lines.append(ProbeLine(name, outcome, detail, ms))

    def add(self, rule: Rule, explanation: str, fix: str, **kw: Any) -> None:
        finding = rule.finding(explanation, fix, self.location, **kw)
        if not any(
            f.code == finding.code and f.explanation == finding.explanation for f in self.findings
        ):
            self.findings.append(finding)

    def who(self) -> str:
        auth = self.result.auth
        if auth.kind == "role" and auth.roles:
            return f"the role {auth.roles[-1]}"
        return f"the IAM identity of {safe_key_id(auth.key_id)}"

    # -- answers that end the probes ------------------------------------------------------
    def ended(self, answer: StepAnswer[Ask]) -> None:
        """Refused keys, no usable answer, no credentials of the caller's own, or S3's
        redirect to another region: the step's finding, and the end of the probes."""
        probe, name = answer.probe, answer.step.name
        failure = probe.failure
        if failure is None or probe.outcome not in answer.step.stops:
            return
        ms = probe.duration_ms
        if probe.outcome == oc.AUTH_FAILED and answer.step.keys is not None:
            self.record(name, "failed", failure.code, ms)
            self.auth_error(failure.code, answer.step.keys, name)
        elif probe.outcome in (oc.UNREACHABLE, oc.NOT_AWS, oc.SERVER_ERROR):
            self.record(name, probe.outcome, failure.code, ms)
            self.add(
                R.PROBE_FAILED,
                f"The {name} probe got no usable answer: {failure.reason}. Later probes of "
                "this statement were skipped.",
                "Check the network, a proxy, or --endpoint-url; then run again.",
            )
        elif probe.outcome == oc.PROVIDER:
            self.record(name, "skipped", failure.code, ms)
            self.add(
                R.NOT_CHECKED,
                "The role could not be checked: this shell's own credentials could not be "
                f"used ({failure.code}).",
                "Run with --profile <a profile allowed iam:GetRole and sts:AssumeRole>.",
            )
        elif probe.outcome == oc.REDIRECT:
            # S3 says the bucket lives elsewhere (301 PermanentRedirect): that is the
            # region finding, not a failed probe.
            region = probe.headers.get("x-amz-bucket-region")
            self.record(name, "redirect", region or failure.code, ms)
            if region:
                self.compare_region(region)
        else:
            return
        raise _Ended

    def auth_error(self, code: str, keys: StaticKeys, where: str) -> None:
        """The finding of an answer that refused the keys themselves, by the code's family."""
        auth = self.result.auth
        fix_clause = corrected_clause(auth) if auth.kind == "keys" else ""
        masked = safe_key_id(keys.access_key_id)
        family = codes.family(code)
        if family == codes.UNKNOWN_KEY:
            temporary = keys.access_key_id.startswith("ASIA")
            token_hint = ""
            if temporary and not keys.session_token:
                token_hint = " It is a temporary (ASIA) key and the clause has no token."
            self.add(
                R.KEY_UNKNOWN,
                f"{where} answered {code}: AWS does not know the access key "
                f"id {masked}.{token_hint} The cluster will fail with 'S3ServiceException:"
                "The AWS Access Key Id you provided does not exist in our records.'",
                (
                    "Get fresh temporary credentials (aws sts get-session-token / assume-role, "
                    "or your login tool) and put their key id, secret and token in the clause"
                    if temporary
                    else "Copy the key id again from the IAM console (or create a key)"
                )
                + f"; then write: {fix_clause}",
            )
        elif family == codes.SIGNATURE:
            self.add(
                R.SIGNATURE,
                f"{where} answered {code}: AWS knows {masked} but the secret in "
                "the clause does not sign for it. The cluster will fail with 'The request "
                "signature we calculated does not match the signature you provided.'",
                "Paste the secret that belongs to this key id; then write: " + fix_clause,
            )
        elif family in (codes.TOKEN_EXPIRED, codes.TOKEN_INVALID):
            self.add(
                R.TOKEN_BAD,
                f"{where} answered {code}: the session token of {masked} is invalid or expired.",
                "Get new temporary credentials; then write: " + fix_clause,
            )

    def missing_bucket(self, name: str, bucket: str) -> None:
        self.record(name, "failed", "the bucket does not exist")
        self.add(
            R.BUCKET_MISSING,
            f"S3 answered NoSuchBucket for bucket {bucket}.",
            "Check the bucket name in "
            + self.result.statement.location_keyword
            + f" 's3://{bucket}/...'",
        )
        raise _Ended

    def compare_region(self, bucket_region: str) -> bool:
        """Compare the bucket's region with the statement's; True when they differ."""
        st = self.result.statement
        clause = st.region.text.strip() if st.region is not None else None
        if clause is not None and not region_is_valid(clause):
            return False  # KD812 already says the REGION value is not a region code
        cluster = self.cluster.region
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

    # -- one verdict per kind of step ------------------------------------------------------
    def skipped(self, answer: StepAnswer[Ask]) -> None:
        name = answer.step.name
        if name == "identity":
            self.record("identity", "skipped", "the clause has no complete key pair")
        elif name == "role":
            self.record("role", "skipped", "IAM_ROLE default")
            self.add(
                R.NOT_CHECKED,
                "IAM_ROLE default names the cluster's default role, which "
                "keydoctor cannot see from here.",
                "To check it, pass the role's ARN: IAM_ROLE 'arn:aws:iam::<account>:role/<name>'",
            )
        elif name == "put":
            self.record("put", "skipped", "pass --write-test to try a write")
            self.add(
                R.NOT_CHECKED,
                "UNLOAD needs s3:PutObject; keydoctor writes only when asked.",
                "Run again with --write-test to write and delete one empty object under "
                "the prefix.",
            )

    def identity(self, answer: StepAnswer[Ask]) -> None:
        probe = answer.probe
        if answer.answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            self.record("identity", "inconclusive", code, probe.duration_ms)
            return
        arn = answer.answer.get("Arn", "?")
        self.record("identity", "ok", f"{answer.step.about.who}: {arn}", probe.duration_ms)

    def bucket_region(self, answer: StepAnswer[Ask]) -> None:
        probe = answer.probe
        if probe.outcome == oc.NOT_FOUND:
            self.missing_bucket("bucket region", answer.step.about.bucket)
        region = probe.data.get("region")
        if not isinstance(region, str) or not region:
            self.record("bucket region", "unknown", "S3 did not say", probe.duration_ms)
            return
        # The probe found the region; whether that region is right is the comparison's
        # call, and the probe line must not say "ok" beside a KD829 mismatch.
        mismatch = self.compare_region(region)
        self.record("bucket region", "mismatch" if mismatch else "ok", region, probe.duration_ms)

    def listing(self, answer: StepAnswer[Ask]) -> None:
        probe, about = answer.probe, answer.step.about
        bucket, prefix = about.bucket, about.prefix
        if answer.answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            if codes.family(code) == codes.NO_BUCKET:
                self.missing_bucket("list", bucket)
            denied = probe.outcome == oc.DENIED
            self.record("list", "denied" if denied else "failed", code, probe.duration_ms)
            if denied:
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
        objects = listed_objects(answer.answer)
        if not objects:
            self.record("list", "empty", f"s3://{bucket}/{prefix}", probe.duration_ms)
            self.add(
                R.PREFIX_EMPTY,
                f"No object in s3://{bucket} starts with '{prefix}'. COPY "
                "fails with 'The specified S3 prefix ... does not exist'.",
                "Check the bucket and the prefix (keys are case-sensitive).",
            )
            return
        more = "+" if answer.answer.get("IsTruncated") else ""
        self.record("list", "ok", f"{len(objects)}{more} object(s)", probe.duration_ms)

    def read(self, answer: StepAnswer[Ask]) -> bool:
        """An object read (the first listed, or a manifest entry); False if it is absent."""
        probe, name = answer.probe, answer.step.name
        bucket, key = answer.step.about.bucket, answer.step.about.key
        if answer.answer is not None:
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

    def manifest(self, answer: StepAnswer[Ask]) -> list[tuple[str, bool]] | None:
        """The manifest's entries, when it could be read and holds some."""
        probe, about = answer.probe, answer.step.about
        bucket, key = about.bucket, about.key
        if answer.answer is None:
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
            return None
        entries = answer.answer.get("entries")
        if not isinstance(entries, list):
            shown = str(entries)
            self.record("manifest", "invalid", shown, probe.duration_ms)
            self.add(
                R.MANIFEST_BAD,
                f"The manifest s3://{bucket}/{key} {shown}.",
                'Write it as {"entries": [{"url": "s3://<bucket>/<key>", "mandatory": true}]}',
            )
            return None
        count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        self.record("manifest", "ok", count, probe.duration_ms)
        return entries

    def manifest_entries(self, entries: list[tuple[str, bool]], found: dict[int, bool]) -> None:
        """The mandatory entries that are missing or not s3:// URLs, in manifest order."""
        missing: list[str] = []
        for index, (url, mandatory) in enumerate(entries[:MANIFEST_MAX_ENTRIES]):
            if index not in found:
                missing.append(f"{url[:80]} (not an s3:// URL)")
            elif not found[index]:
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

    def put(self, answer: StepAnswer[Ask]) -> None:
        probe, about = answer.probe, answer.step.about
        bucket, key, prefix = about.bucket, about.key, about.prefix
        if answer.answer is not None:
            self.record("put", "ok", f"s3://{bucket}/{key}", probe.duration_ms)
            return
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

    def delete(self, answer: StepAnswer[Ask]) -> None:
        probe, about = answer.probe, answer.step.about
        bucket, key = about.bucket, about.key
        if answer.answer is not None:
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

    def role(self, answer: StepAnswer[Ask]) -> None:
        probe, about = answer.probe, answer.step.about
        arn = about.arn
        name = arn.rsplit("/", 1)[-1]
        if answer.answer is None:
            code = probe.failure.code if probe.failure else probe.outcome
            if codes.family(code) == codes.NO_ENTITY:
                self.record("role", "missing", arn, probe.duration_ms)
                self.add(
                    R.ROLE_MISSING,
                    f"IAM has no role named {name} ({arn}).",
                    "Check the ARN, or create the role and attach it to the cluster.",
                )
                raise _Ended
            self.record("role", "inconclusive", f"{code} on iam:GetRole", probe.duration_ms)
            return
        document = _policy(answer.answer.get("Role", {}).get("AssumeRolePolicyDocument"))
        wanted = about.trusted or "redshift.amazonaws.com"
        by_service = not about.trusted
        if not _trusts(document, wanted, is_service=by_service):
            self.record("role trust", "missing", f"{name} does not trust {wanted}")
            principal = f'{{"Service": "{wanted}"}}' if by_service else f'{{"AWS": "{wanted}"}}'
            self.add(
                R.ROLE_TRUST,
                f"The trust policy of {arn} does not allow {wanted} to assume it.",
                f'Add to its trust policy: {{"Effect": "Allow", "Principal": {principal}, '
                '"Action": "sts:AssumeRole"}',
            )
        else:
            self.record("role trust", "ok", f"{name} trusts {wanted}", probe.duration_ms)

    def assume(self, answer: StepAnswer[Ask]) -> None:
        probe, arn = answer.probe, answer.step.about.arn
        if answer.answer is not None:
            self.record("assume role", "ok", arn, probe.duration_ms)
            return
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

    def judge(self, answer: StepAnswer[Ask]) -> None:
        """One answer's probe line and findings (raises _Ended when the probes end here)."""
        if answer.step.ask is None:
            self.skipped(answer)
            return
        self.ended(answer)
        name = answer.step.name
        if name in ("get", "manifest entry"):
            present = self.read(answer)
            if name == "manifest entry":
                self.found[answer.step.about.index] = present
        elif name == "manifest":
            self.entries = self.manifest(answer)
        else:
            {
                "identity": self.identity,
                "bucket region": self.bucket_region,
                "list": self.listing,
                "put": self.put,
                "delete": self.delete,
                "role": self.role,
                "assume role": self.assume,
            }[name](answer)

    def finish(self) -> None:
        """What only all the answers together tell: a manifest's missing entries."""
        if self.entries is not None:
            self.manifest_entries(self.entries, self.found)


def judge(
    result: StatementResult, cluster: Cluster, answers: Sequence[StepAnswer[Ask]]
) -> tuple[tuple[ProbeLine, ...], tuple[Finding, ...]]:
    """The probe lines and findings of one statement's answers, in planned order."""
    verdicts = _Verdicts(result, cluster)
    try:
        for answer in answers:
            verdicts.judge(answer)
        verdicts.finish()
    except _Ended:
        pass
    return tuple(verdicts.lines), tuple(verdicts.findings)


def listed_objects(listing: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of a ListObjectsV2 answer, folder markers left out."""
    return [
        o
        for o in listing.get("Contents", [])
        if isinstance(o, dict) and not str(o.get("Key", "")).endswith("/")
    ]


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
