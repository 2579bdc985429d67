"""Ask AWS what the cluster will ask, with the statement's own credentials.

Each statement becomes one :class:`~keydoctor.probes.plans.StepPlan`, run by the shared
runner on the same transport, clients and classification as ``keydoctor check``. For
keys: who they belong to (STS GetCallerIdentity), then where the bucket lives
(:func:`keydoctor.probes.s3.bucket_region`, the one reading of a bucket's region), then,
in that region, whether the prefix can be listed and its first object read (or, with
MANIFEST, the manifest and every file it names), and, for UNLOAD with ``--write-test``
only, whether an object can be written (then deleted). For roles: with the caller's own
credentials, whether each role exists and trusts Redshift (or the role before it), then
whether the chain can be assumed, to run the same S3 steps as the role.

This module only plans: each step's ``then`` names what its answer unlocks, and
:func:`keydoctor.redshift.verdicts.judge` turns the answers into KD8xx findings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from keydoctor.catalog import codes
from keydoctor.model import Finding, Location
from keydoctor.probes import outcome as oc
from keydoctor.probes import s3 as s3_probes
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.plans import (
    ENDS_PLAN,
    Asked,
    Step,
    StepAnswer,
    StepPlan,
    ask_with,
    run_plans,
)
from keydoctor.probes.transport import Transport
from keydoctor.redshift import rules as R
from keydoctor.redshift.checks import StatementResult, _compact, region_is_valid
from keydoctor.redshift.statement import parse_s3_uri
from keydoctor.redshift.verdicts import (
    MANIFEST_MAX_ENTRIES,
    Ask,
    Cluster,
    ProbeLine,
    judge,
    listed_objects,
)

MANIFEST_MAX_BYTES = 1 << 20
MAX_PROBED = 50
# Steps asked with this shell's own credentials (roles): a refusal there is the
# step's own verdict (the role is missing, or may not be assumed by you), not the end.
CALLER_STOPS = (ENDS_PLAN - {oc.AUTH_FAILED}) | {oc.REDIRECT}

RedshiftStep = Step[Ask]


@dataclass(frozen=True)
class ProbeSettings:
    """How to reach AWS: an endpoint for tests, the cluster's region, consent to write."""

    endpoint_url: str | None = None
    cluster_region: str | None = None
    write_test: bool = False
    profile: str | None = None  # the caller's own profile, for role checks
    timeout: float = 3.0  # connect and read, per request


@dataclass(frozen=True)
class Probed:
    """What the probes of one statement found."""

    lines: tuple[ProbeLine, ...]
    findings: tuple[Finding, ...]


def probe_all(results: Sequence[StatementResult], settings: ProbeSettings) -> dict[int, Probed]:
    """Probe every COPY/UNLOAD that names an S3 bucket, by statement index.

    At most :data:`MAX_PROBED` statements are probed, so that a long script does not turn
    into thousands of requests; the others say so in a KD832 finding.
    """
    todo = [r for r in results if r.statement.is_copy_or_unload and r.auth.kind in ("keys", "role")]
    probed: dict[int, Probed] = {}
    for result in todo[MAX_PROBED:]:
        finding = R.NOT_CHECKED.finding(
            f"Only the first {MAX_PROBED} statements were probed; this one was checked "
            "offline only.",
            "Pass this statement alone to probe it.",
            Location(kind="aws", key=f"statement {result.statement.index}"),
        )
        probed[result.statement.index] = Probed((), (finding,))
    todo = todo[:MAX_PROBED]
    plans = [_Planner(r, settings).plan() for r in todo]
    cluster = Cluster(region=settings.cluster_region, write_test=settings.write_test)
    for result, answers in zip(todo, run_plans(plans), strict=True):
        lines, findings = judge(result, cluster, answers)
        probed[result.statement.index] = Probed(lines, findings)
    return probed


class _Planner:
    """The steps of one statement: what to ask first, and what each answer unlocks."""

    def __init__(self, result: StatementResult, settings: ProbeSettings) -> None:
        self.result = result
        self.settings = settings

    def plan(self) -> StepPlan[Ask]:
        auth = self.result.auth
        first: RedshiftStep
        if auth.kind == "keys":
            keys = self.statement_keys()
            if keys is None:
                first = Step("identity", Ask(), None)
            else:
                first = self.identity(keys, "the clause's keys")
        elif auth.role_default or not auth.roles:
            first = Step("role", Ask(), None)
        else:
            first = self.role(0)
        return StepPlan(
            (first,),
            region=self.effective_region() or "us-east-1",
            endpoint_url=self.settings.endpoint_url,
            profile=self.settings.profile,
            timeout=self.settings.timeout,
            method="redshift-statement",
        )

    def statement_keys(self) -> StaticKeys | None:
        """The clause's keys as the cluster would send them (blanks removed)."""
        auth = self.result.auth
        if not auth.key_id or auth.secret is None:
            return None
        token = auth.token.reveal() if auth.token is not None else None
        return StaticKeys(
            _compact(auth.key_id),
            _compact(auth.secret.reveal()),
            _compact(token) if token else None,
        )

    def effective_region(self) -> str | None:
        """The REGION clause if it is a region code (KD812 reports it otherwise), else the
        cluster's region."""
        region = self.result.statement.region
        if region is not None and region_is_valid(region.text.strip()):
            return region.text.strip()
        return self.settings.cluster_region

    # -- with keys: identity, then the bucket's region, then S3 in that region ------------
    def identity(self, keys: StaticKeys, who: str) -> RedshiftStep:
        def then(_: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            location = self.result.s3
            if location is None or location.bucket is None:
                return ()
            return (self.bucket_region(keys, location.bucket, location.prefix),)

        ask = ask_with("identity", "sts", lambda c: c.get_caller_identity())
        return Step("identity", Ask(who=who), ask, keys, then)

    def bucket_region(self, keys: StaticKeys, bucket: str, prefix: str) -> RedshiftStep:
        def ask(transport: Transport) -> Asked:
            return s3_probes.bucket_region(transport, bucket), None

        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            if answer.probe.outcome == oc.NOT_FOUND:
                return ()  # the bucket does not exist: nothing more to ask
            found = answer.probe.data.get("region")
            region = found if isinstance(found, str) and found else None
            region = region or self.effective_region() or "us-east-1"
            statement = self.result.statement
            if statement.kind == "UNLOAD":
                return (self.put(keys, region, bucket, prefix),)
            if statement.manifest:
                return (self.manifest(keys, region, bucket, prefix),)
            return (self.listing(keys, region, bucket, prefix),)

        # S3's 301 is where the region comes from here, not the end of the probes.
        return Step("bucket region", Ask(bucket=bucket), ask, keys, then, stops=ENDS_PLAN)

    def listing(self, keys: StaticKeys, region: str, bucket: str, prefix: str) -> RedshiftStep:
        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            objects = listed_objects(answer.answer) if answer.answer is not None else []
            if not objects:
                return ()
            return (self.read("get", keys, region, bucket, str(objects[0]["Key"])),)

        ask = ask_with(
            "list",
            "s3",
            lambda c: c.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=20),
            region,
        )
        about = Ask(bucket=bucket, prefix=prefix, region=region)
        return Step("list", about, ask, keys, then)

    def read(
        self,
        name: str,
        keys: StaticKeys,
        region: str,
        bucket: str,
        key: str,
        entry: Ask | None = None,
    ) -> RedshiftStep:
        """Read the first byte of an object (GET, as the cluster does); ``entry`` places a
        manifest entry in its manifest."""

        def first_byte(client: Any) -> dict[str, Any]:
            response: dict[str, Any] = client.get_object(Bucket=bucket, Key=key)
            body = response["Body"]
            body.read(1)
            body.close()
            return response

        about = Ask(bucket=bucket, key=key, region=region)
        if entry is not None:
            about = Ask(bucket=bucket, key=key, region=region, index=entry.index, url=entry.url)
        return Step(name, about, ask_with(name, "s3", first_byte, region), keys)

    def manifest(self, keys: StaticKeys, region: str, bucket: str, key: str) -> RedshiftStep:
        def read(client: Any) -> dict[str, Any]:
            response: dict[str, Any] = client.get_object(Bucket=bucket, Key=key)
            raw = response["Body"].read(MANIFEST_MAX_BYTES + 1)
            response["Body"].close()
            response["entries"] = _manifest_entries(raw)
            return response

        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            entries = answer.answer.get("entries") if answer.answer is not None else None
            if not isinstance(entries, list):
                return ()
            steps: list[RedshiftStep] = []
            for index, (url, _mandatory) in enumerate(entries[:MANIFEST_MAX_ENTRIES]):
                loc = parse_s3_uri(url)
                if loc.problem or not loc.bucket:
                    continue  # not an s3:// URL: the verdict says so without asking
                entry = Ask(index=index, url=url)
                steps.append(
                    self.read("manifest entry", keys, region, loc.bucket, loc.prefix, entry)
                )
            return steps

        ask = ask_with("manifest", "s3", read, region)
        return Step("manifest", Ask(bucket=bucket, key=key, region=region), ask, keys, then)

    def put(self, keys: StaticKeys, region: str, bucket: str, prefix: str) -> RedshiftStep:
        about = Ask(bucket=bucket, prefix=prefix, region=region)
        if not self.settings.write_test:
            return Step("put", about, None)  # keydoctor writes only when asked
        key = f"{prefix}keydoctor-write-test-{uuid.uuid4().hex[:12]}"

        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            if answer.answer is None:
                return ()
            ask = ask_with(
                "delete", "s3", lambda c: c.delete_object(Bucket=bucket, Key=key), region
            )
            return (Step("delete", Ask(bucket=bucket, key=key, region=region), ask, keys),)

        ask = ask_with(
            "put", "s3", lambda c: c.put_object(Bucket=bucket, Key=key, Body=b""), region
        )
        return Step(
            "put", Ask(bucket=bucket, key=key, prefix=prefix, region=region), ask, keys, then
        )

    # -- roles: each exists and trusts, then the chain is assumed, then the key steps ------
    def role(self, position: int) -> RedshiftStep:
        roles = self.result.auth.roles
        arn = roles[position]
        trusted = roles[position - 1] if position else ""

        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            failure = answer.probe.failure
            if failure is not None and codes.family(failure.code) == codes.NO_ENTITY:
                return ()  # no such role: nothing to assume
            if position + 1 < len(roles):
                return (self.role(position + 1),)
            return (self.assume(0, None),)

        ask = ask_with("role", "iam", _get_role(arn.rsplit("/", 1)[-1]))
        about = Ask(arn=arn, trusted=trusted)
        return Step("role", about, ask, None, then, stops=CALLER_STOPS)

    def assume(self, position: int, keys: StaticKeys | None) -> RedshiftStep:
        roles = self.result.auth.roles
        arn = roles[position]

        def then(answer: StepAnswer[Ask]) -> Sequence[RedshiftStep]:
            if answer.answer is None:
                return ()
            creds = answer.answer["Credentials"]
            assumed = StaticKeys(
                creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken")
            )
            if position + 1 < len(roles):
                return (self.assume(position + 1, assumed),)
            location = self.result.s3
            if location is None or location.bucket is None:
                return ()
            return (self.identity(assumed, f"assumed {roles[-1]}"),)

        ask = ask_with("assume role", "sts", _assume_role(arn))
        return Step("assume role", Ask(arn=arn), ask, keys, then, stops=CALLER_STOPS)


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
