"""The first seed's Redshift failures (S3ServiceException from COPY), rebuilt on the emulator.

A separate piece from the lab's ``keydoctor check`` scenarios: here the "application" is
a COPY statement, and keydoctor is asked through ``keydoctor redshift``. Each scenario
builds its users, keys and buckets (all named ``lab-<scenario>...``, so that scenarios
share one emulator), returns the statement the data engineer would run, and names the
cause category keydoctor must rank first, with the finding code that carries it.

To register them, the lab iterates :data:`SCENARIOS` and calls :func:`run_scenario` with
its emulator; :class:`Outcome` says whether keydoctor named the expected cause. The keys
exist only in the emulator; they are lab data, never real AWS keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keydoctor.lab.emulator import Emulator, Keys
from keydoctor.model import Category, Finding, Severity

SEED = "000 S3ServiceException Errors (Amazon Redshift)"
CLUSTER_REGION = "us-east-1"
OTHER_REGION = "us-west-2"
OBJECT_KEY = "tickit/sales_0000.txt"
READ: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
            "Resource": "*",
        }
    ],
}
GET_ONLY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetBucketLocation"], "Resource": "*"}
    ],
}
LIST_ONLY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "*"}
    ],
}


@dataclass
class RedshiftSetup:
    """The statement to check and the flags a person would add (the cluster's region)."""

    sql: str
    cluster_region: str = CLUSTER_REGION
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RedshiftScenario:
    name: str
    title: str
    expected: Category | None  # None: healthy, no failure may be named
    expected_code: str | None
    story: str
    build: Callable[[Emulator, str], RedshiftSetup]
    seed: str = SEED
    # What the person must read in the worst finding's fix (every string), and the exit
    # code ``keydoctor redshift`` gives: stated here, never copied from keydoctor's output.
    fix_says: tuple[str, ...] = ()
    exit_code: int = 1


@dataclass
class Outcome:
    scenario: RedshiftScenario
    named: Category | None  # the category of the worst finding (hygiene and info aside)
    codes: list[str]
    passed: bool
    report: str = ""  # the text report, as a person would read it (secrets redacted)


def _bucket(emulator: Emulator, name: str, region: str = CLUSTER_REGION) -> str:
    emulator.create_bucket(name, region)
    emulator.client("s3", region=region).put_object(Bucket=name, Key=OBJECT_KEY, Body=b"1|2|3\n")
    return name


def _user(emulator: Emulator, name: str, policy: dict[str, Any]) -> Keys:
    return emulator.create_user(name, policy)


def _copy(bucket: str, clause: str, extra: str = "") -> str:
    return f"COPY sales FROM 's3://{bucket}/tickit/' {clause} DELIMITER '|'{extra};"


def _creds(key_id: str, secret: str, joiner: str = ";") -> str:
    return f"CREDENTIALS 'aws_access_key_id={key_id}{joiner}aws_secret_access_key={secret}'"


def _healthy(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", READ)
    return RedshiftSetup(
        _copy(_bucket(emulator, prefix), _creds(keys.access_key_id, keys.secret_access_key))
    )


def _space(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", READ)
    return RedshiftSetup(
        _copy(
            _bucket(emulator, prefix), _creds(keys.access_key_id, keys.secret_access_key, ";\n  ")
        ),
        notes=["the credentials string is split over two lines"],
    )


def _unknown_id(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", READ)
    # A copy-and-paste slip: one character of the id is wrong, so AWS knows no such key.
    wrong = keys.access_key_id[:-1] + ("A" if keys.access_key_id[-1] != "A" else "B")
    return RedshiftSetup(_copy(_bucket(emulator, prefix), _creds(wrong, keys.secret_access_key)))


def _asia_without_token(emulator: Emulator, prefix: str) -> RedshiftSetup:
    import json

    keys = _user(
        emulator,
        f"{prefix}-loader",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}],
        },
    )
    iam = emulator.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::123456789012:user/{keys.user}"},
            }
        ],
    }
    role = iam.create_role(RoleName=f"{prefix}-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=f"{prefix}-role", PolicyName="read", PolicyDocument=json.dumps(READ)
    )
    # moto's GetSessionToken answers AWS's documentation example keys; AssumeRole mints
    # real-looking ASIA keys, which is what a person pastes from an STS answer.
    temporary = emulator.client("sts", keys=keys).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="loader"
    )["Credentials"]
    return RedshiftSetup(
        _copy(
            _bucket(emulator, prefix),
            _creds(temporary["AccessKeyId"], temporary["SecretAccessKey"]),
        ),
        notes=["temporary keys from sts assume-role, token left out"],
    )


def _wrong_secret(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", READ)
    other = _user(emulator, f"{prefix}-other", READ)  # the secret of another key
    return RedshiftSetup(
        _copy(_bucket(emulator, prefix), _creds(keys.access_key_id, other.secret_access_key))
    )


def _other_region(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", READ)
    bucket = _bucket(emulator, prefix, OTHER_REGION)
    return RedshiftSetup(
        _copy(bucket, _creds(keys.access_key_id, keys.secret_access_key)),
        notes=[f"bucket in {OTHER_REGION}, cluster in {CLUSTER_REGION}, no REGION"],
    )


def _no_list(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", GET_ONLY)
    return RedshiftSetup(
        _copy(_bucket(emulator, prefix), _creds(keys.access_key_id, keys.secret_access_key))
    )


def _no_get(emulator: Emulator, prefix: str) -> RedshiftSetup:
    keys = _user(emulator, f"{prefix}-loader", LIST_ONLY)
    return RedshiftSetup(
        _copy(_bucket(emulator, prefix), _creds(keys.access_key_id, keys.secret_access_key))
    )


SCENARIOS: tuple[RedshiftScenario, ...] = (
    RedshiftScenario(
        "rs-healthy",
        "COPY with correct keys and rights",
        None,
        None,
        "A COPY whose keys can list and read the prefix, bucket in the cluster's region.",
        _healthy,
        fix_says=(),
        exit_code=0,
    ),
    RedshiftScenario(
        "rs-credentials-line-break",
        "Line break inside the credentials string",
        Category.CONFIG_MALFORMED,
        "KD804",
        "The engineer wrapped the long credentials string over two lines.",
        _space,
        fix_says=("Remove every space and line break", "CREDENTIALS 'aws_access_key_id="),
    ),
    RedshiftScenario(
        "rs-key-id-unknown",
        "Access key id that does not exist",
        Category.KEY_ID_WRONG,
        "KD820",
        "One character of the access key id was lost in a copy and paste.",
        _unknown_id,
        fix_says=("Copy the key id again", "CREDENTIALS 'aws_access_key_id="),
    ),
    RedshiftScenario(
        "rs-temporary-key-no-token",
        "Temporary key without token",
        Category.SESSION_TOKEN,
        "KD501",
        "Keys from sts get-session-token were pasted without their token.",
        _asia_without_token,
        fix_says=(";token=<session token>'",),
    ),
    RedshiftScenario(
        "rs-secret-wrong",
        "Secret of another key",
        Category.SECRET_WRONG,
        "KD821",
        "The secret pasted belongs to another access key.",
        _wrong_secret,
        fix_says=("Paste the secret that belongs to this key id",),
    ),
    RedshiftScenario(
        "rs-bucket-other-region",
        "Bucket in another region than the cluster",
        Category.REGION_ENDPOINT,
        "KD829",
        "The bucket was created in us-west-2; the cluster runs in us-east-1 and the "
        "COPY has no REGION clause.",
        _other_region,
        fix_says=("REGION 'us-west-2'",),
    ),
    RedshiftScenario(
        "rs-no-list",
        "User without LIST on the bucket",
        Category.PERMISSION_MISSING,
        "KD823",
        "The loading user may read objects but not list the bucket.",
        _no_list,
        fix_says=("Allow s3:ListBucket on arn:aws:s3:::lab-rs-no-list ",),
    ),
    RedshiftScenario(
        "rs-no-get",
        "User without GET on the objects",
        Category.PERMISSION_MISSING,
        "KD824",
        "The loading user may list the bucket but not read its objects.",
        _no_get,
        fix_says=("Allow s3:GetObject on arn:aws:s3:::lab-rs-no-get/tickit/*",),
    ),
)


def named_cause(findings: list[Finding]) -> Finding | None:
    """The finding keydoctor ranks first: the worst, hygiene and info set aside."""
    ranked = [
        f for f in findings if f.category is not Category.HYGIENE and f.severity >= Severity.MEDIUM
    ]
    if not ranked:
        return None
    return max(ranked, key=lambda f: f.severity.rank)


def run_scenario(emulator: Emulator, scenario: RedshiftScenario) -> Outcome:
    """Build the scenario on the emulator and ask keydoctor redshift about its statement."""
    from keydoctor.redshift.probe import ProbeSettings
    from keydoctor.redshift.report import check_sql, render

    setup = scenario.build(emulator, f"lab-{scenario.name}")
    run = check_sql(
        setup.sql,
        probe=ProbeSettings(endpoint_url=emulator.endpoint, cluster_region=setup.cluster_region),
    )
    findings = run.all_findings
    top = named_cause(findings)
    codes = [f.code for f in findings]
    named = top.category if top else None
    passed = named == scenario.expected and (
        scenario.expected_code is None or scenario.expected_code in codes
    )
    return Outcome(scenario, named, codes, passed, render("text", run))
