"""The lab's scenarios: one for every failure the troubleshooting pages describe.

Each scenario is a small typed definition: what it reproduces, which seed page describes
it, the cause category keydoctor must rank first (the project's fixed vocabulary), and a
``build`` function that creates its users, keys, policies and buckets on the emulator
and returns a :class:`Setup`: the ``~/.aws`` files and environment variables of a
throwaway HOME, the boto3 call the "application" makes, and the ``keydoctor check``
flags a person would add when asking about that bucket.

Scenarios are isolated by name: every IAM user, role and bucket a scenario creates
starts with ``lab-<name>``, so all of them share one emulator and can run side by side.
The keys they create exist only in the emulator; they are lab data, never real AWS keys.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from keydoctor.lab.emulator import Emulator, Keys
from keydoctor.lab.metadata import ContainerEndpoint, InstanceMetadata, ServedKeys
from keydoctor.lab.replay import Answer, permanent_redirect
from keydoctor.lab.sso_portal import RoleKeys, SsoPortal
from keydoctor.model import Category

ACCOUNT = "123456789012"  # moto's default account
HOME_REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
OBJECT_KEY = "reports/2024-q1.csv"
OBJECT_BODY = b"month,revenue\njan,100\nfeb,120\nmar,130\n"
SECRET_KEY = "confidential/salaries.csv"
# In a Setup's env values, the scenario's throwaway HOME (known only once it is written).
HOME_DIR = "{HOME}"


@dataclass(frozen=True)
class Call:
    """The one boto3 call the scenario's application makes (S3 only)."""

    operation: str  # "get_object" or "list_objects_v2"
    bucket: str
    key: str  # object key for get_object, prefix for list_objects_v2

    def describe(self) -> str:
        if self.operation == "list_objects_v2":
            return f"s3.list_objects_v2(Bucket={self.bucket!r}, Prefix={self.key!r})"
        return f"s3.get_object(Bucket={self.bucket!r}, Key={self.key!r})"


@dataclass
class Setup:
    """What a scenario leaves behind for the application and for keydoctor.

    ``config`` and ``credentials`` are the text of ``~/.aws/config`` and
    ``~/.aws/credentials`` (``None``: no such file); ``env`` holds the AWS variables the
    shell exports (:data:`HOME_DIR` in a value stands for the HOME). ``replay``, for the
    failures moto cannot produce, is the recorded AWS answer the application gets from a
    loopback server instead (``notes`` says so).
    """

    call: Call
    config: str | None = None
    credentials: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    check_args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replay: Answer | None = None  # a recorded AWS answer the application gets instead
    files: dict[str, str] = field(default_factory=dict)  # more files under HOME (SSO cache)
    portal: SsoPortal | None = None  # the loopback SSO portal, stopped with the lab
    # Loopback services the scenario started (a container credentials agent, IMDS):
    # they serve the application and keydoctor until the lab session closes.
    servers: list[Stoppable] = field(default_factory=list)


class Stoppable(Protocol):
    """A loopback service a scenario leaves running (keydoctor.lab.metadata's servers)."""

    def stop(self) -> None: ...


@dataclass(frozen=True)
class FixStep:
    """The ``keydoctor fix`` that repairs a scenario: the lab applies it and proves it.

    ``name`` is one of :data:`keydoctor.fixes.FIX_NAMES`, and it must be the fix that
    keydoctor's own findings call for (the lab checks that too); ``unsafe`` says that
    the fix can change which credentials are used, so the lab gives the consent a
    person would give with ``--unsafe``. ``diff`` holds the starts of lines the applied
    diff must contain (``-`` removed, ``+`` added): a fix that edits the wrong line, or
    writes a wrong value, fails the scenario even if the proof happens to pass.
    """

    name: str
    unsafe: bool = False
    diff: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """One failure from the seeds, rebuilt on the emulator.

    ``fix`` is ``None`` when no file or setting keydoctor can change repairs it (an
    exported variable, a deleted key, a policy): the lab then shows the commands of the
    diagnosis, labelled "manual".

    What a person must see is stated here, written from the troubleshooting pages and
    not copied from keydoctor's output: the top cause (``expected``), the essential part
    of the fix the top cause prints (``fix_says``: every string must appear in it, so a
    wrong command or a ``Deny`` where an ``Allow`` belongs fails), and the exit code of
    ``keydoctor check`` (``exit_code``).
    """

    name: str
    title: str
    seed: str  # where the troubleshooting pages describe it
    expected: Category | None  # None: healthy, keydoctor must name no cause
    story: str  # what the person did, in one or two sentences
    fix_says: tuple[str, ...]  # what the top cause's fix must contain; () when healthy
    exit_code: int  # of keydoctor check: 0 nothing at high or above, 1 a failure
    build: Callable[[Lab], Setup]
    fix: FixStep | None = None
    # The top cause's fix is a shell ``export NAME=VALUE`` (no file keydoctor can change):
    # the lab carries it out in the scenario's environment, and the application must work.
    proves_export: bool = False

    @property
    def expected_id(self) -> str | None:
        return self.expected.value if self.expected else None


class Lab:
    """Set-up helpers bound to one emulator and one scenario's name prefix."""

    def __init__(self, emulator: Emulator, scenario: str) -> None:
        self.emulator = emulator
        self.prefix = f"lab-{scenario}"

    @property
    def bucket(self) -> str:
        return self.prefix

    @property
    def user(self) -> str:
        return f"{self.prefix}-app"

    def user_arn(self, user: str | None = None) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user/{user or self.user}"

    def make_bucket(self, region: str = HOME_REGION, *objects: str) -> str:
        self.emulator.create_bucket(self.bucket, region)
        s3 = self.emulator.client("s3", region=region)
        for key in objects or (OBJECT_KEY,):
            s3.put_object(Bucket=self.bucket, Key=key, Body=OBJECT_BODY)
        return self.bucket

    def reader_policy(
        self, *, list_bucket: bool = True, deny_prefix: str | None = None
    ) -> dict[str, Any]:
        """Least-privilege read of the scenario's bucket, plus reading one's own IAM user.

        The IAM part lets keydoctor's probes read the user's own keys and policies, as
        the pages ask a person to do by hand (``aws iam list-access-keys``).
        """
        bucket_arn = f"arn:aws:s3:::{self.bucket}"
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ListAllBuckets",
                "Effect": "Allow",
                "Action": "s3:ListAllMyBuckets",
                "Resource": "*",
            },
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "BucketLocation",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": bucket_arn,
            },
            # On AWS this statement would name the user's own ARN; moto authorises IAM
            # actions against the resource "*" only, so a narrower Resource never matches.
            {
                "Sid": "ReadOwnUser",
                "Effect": "Allow",
                "Action": [
                    "iam:GetUser",
                    "iam:ListAccessKeys",
                    "iam:ListUserPolicies",
                    "iam:GetUserPolicy",
                    "iam:ListAttachedUserPolicies",
                    "iam:ListGroupsForUser",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                ],
                "Resource": "*",
            },
        ]
        if list_bucket:
            statements.insert(
                1,
                {
                    "Sid": "ListTheBucket",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                },
            )
        if deny_prefix is not None:
            statements.append(
                {
                    "Sid": "DenyConfidential",
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/{deny_prefix}*",
                }
            )
        return {"Version": "2012-10-17", "Statement": statements}

    def make_user(self, policy: dict[str, Any] | None = None) -> Keys:
        return self.emulator.create_user(self.user, policy or self.reader_policy())

    def new_key(self, user: str | None = None) -> Keys:
        iam = self.emulator.client("iam")
        created = iam.create_access_key(UserName=user or self.user)["AccessKey"]
        return Keys(created["UserName"], created["AccessKeyId"], created["SecretAccessKey"])

    def delete_key(self, keys: Keys) -> None:
        self.emulator.client("iam").delete_access_key(
            UserName=keys.user, AccessKeyId=keys.access_key_id
        )

    def assume_role(self, policy: dict[str, Any]) -> dict[str, str]:
        """Temporary credentials (an ``ASIA`` key, its secret and its session token)."""
        admin = self.emulator.admin
        if admin is None:
            raise RuntimeError("the emulator has no admin keys")
        iam = self.emulator.client("iam")
        role = f"{self.prefix}-role"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": self.user_arn(admin.user)},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=role, PolicyName=f"{role}-policy", PolicyDocument=json.dumps(policy)
        )
        creds = self.emulator.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="etl-job"
        )["Credentials"]
        return {
            "access_key_id": creds["AccessKeyId"],
            "secret_access_key": creds["SecretAccessKey"],
            "session_token": creds["SessionToken"],
        }

    def get_call(self, key: str = OBJECT_KEY) -> Call:
        return Call("get_object", self.bucket, key)

    def check_args(self, key: str = OBJECT_KEY) -> list[str]:
        return ["--bucket", self.bucket, "--key", key]


# -- file text helpers -------------------------------------------------------------------
def ini(sections: dict[str, dict[str, str]]) -> str:
    """INI text as ``aws configure`` writes it."""
    blocks = []
    for name, values in sections.items():
        lines = [f"[{name}]"] + [f"{k} = {v}" for k, v in values.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def key_section(keys: Keys) -> dict[str, str]:
    return {
        "aws_access_key_id": keys.access_key_id,
        "aws_secret_access_key": keys.secret_access_key,
    }


def region_config(profile: str = "default", region: str = HOME_REGION) -> str:
    section = profile if profile == "default" else f"profile {profile}"
    return ini({section: {"region": region}})


def mistype(key_id: str) -> str:
    """The same key id with one character mistyped (still a well-formed key id)."""
    position = len(key_id) - 3
    replacement = "Q" if key_id[position] != "Q" else "D"
    return key_id[:position] + replacement + key_id[position + 1 :]


# -- the scenarios ----------------------------------------------------------------------
def _healthy(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": key_section(keys)}),
        check_args=lab.check_args(),
    )


def _key_id_typo(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    section = key_section(keys)
    section["aws_access_key_id"] = mistype(keys.access_key_id)
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": section}),
        check_args=lab.check_args(),
    )


def _secret_wrong(lab: Lab) -> Setup:
    lab.make_bucket()
    first = lab.make_user()
    second = lab.new_key()
    section = {
        "aws_access_key_id": first.access_key_id,
        "aws_secret_access_key": second.secret_access_key,
    }
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": section}),
        check_args=lab.check_args(),
    )


def _secret_trailing_space(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        env={
            "AWS_ACCESS_KEY_ID": keys.access_key_id,
            "AWS_SECRET_ACCESS_KEY": keys.secret_access_key + " ",
        },
        check_args=lab.check_args(),
    )


def _rotated_key(lab: Lab) -> Setup:
    lab.make_bucket()
    old = lab.make_user()
    lab.new_key()  # the new key, which the team now uses
    lab.delete_key(old)
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": key_section(old)}),
        check_args=lab.check_args(),
    )


def _temporary_key_without_token(lab: Lab) -> Setup:
    lab.make_bucket()
    creds = lab.assume_role(lab.reader_policy())
    section = {
        "aws_access_key_id": creds["access_key_id"],
        "aws_secret_access_key": creds["secret_access_key"],
    }
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": section}),
        check_args=lab.check_args(),
        notes=["moto never expires these temporary keys; only the missing token is emulated"],
    )


def _env_overrides_profile(lab: Lab) -> Setup:
    lab.make_bucket()
    old = lab.make_user()
    current = lab.new_key()
    lab.delete_key(old)
    return Setup(
        call=lab.get_call(),
        config=region_config("analytics"),
        credentials=ini({"analytics": key_section(current)}),
        env={
            "AWS_PROFILE": "analytics",
            "AWS_ACCESS_KEY_ID": old.access_key_id,
            "AWS_SECRET_ACCESS_KEY": old.secret_access_key,
        },
        check_args=lab.check_args(),
    )


def _wrong_profile_name(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    return Setup(
        call=lab.get_call(),
        config=region_config("analytics"),
        credentials=ini({"analytics": key_section(keys)}),
        env={"AWS_PROFILE": "analytic"},
        check_args=lab.check_args(),
    )


def _bucket_other_region(lab: Lab) -> Setup:
    lab.make_bucket(OTHER_REGION)
    keys = lab.make_user()
    return Setup(
        call=lab.get_call(),
        config=region_config(region=HOME_REGION),
        credentials=ini({"default": key_section(keys)}),
        check_args=lab.check_args(),
        replay=permanent_redirect(lab.bucket, OTHER_REGION),
        notes=[
            "moto serves a bucket from every region, so it cannot answer this call with "
            "AWS's redirect; boto3's error below comes from AWS's documented "
            "PermanentRedirect answer (301, x-amz-bucket-region, XML body) replayed on "
            "127.0.0.1",
            "keydoctor's diagnosis runs against the emulator, which reports the bucket's "
            "real region in the x-amz-bucket-region header as AWS does",
        ],
    )


def _secret_quoted(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    section = key_section(keys)
    section["aws_secret_access_key"] = f'"{keys.secret_access_key}"'
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": section}),
        check_args=lab.check_args(),
    )


def _profile_header_in_credentials(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user()
    return Setup(
        call=lab.get_call(),
        config=region_config("dev"),
        # The config file's header form, copied into the credentials file by mistake.
        credentials=ini({"profile dev": key_section(keys)}),
        env={"AWS_PROFILE": "dev"},
        check_args=lab.check_args(),
    )


def _no_list_bucket(lab: Lab) -> Setup:
    lab.make_bucket()
    keys = lab.make_user(lab.reader_policy(list_bucket=False))
    return Setup(
        call=Call("list_objects_v2", lab.bucket, "reports/"),
        config=region_config(),
        credentials=ini({"default": key_section(keys)}),
        check_args=lab.check_args(),
    )


def _explicit_deny(lab: Lab) -> Setup:
    lab.make_bucket(HOME_REGION, OBJECT_KEY, SECRET_KEY)
    keys = lab.make_user(lab.reader_policy(deny_prefix="confidential/"))
    return Setup(
        call=lab.get_call(SECRET_KEY),
        config=region_config(),
        credentials=ini({"default": key_section(keys)}),
        check_args=lab.check_args(SECRET_KEY),
    )


def _sso_role_not_assigned(lab: Lab) -> Setup:
    """An SSO user whose token is good, asking for a permission set they were never given.

    The portal (moto has none) assigns the user ``DataReader`` in the account; the profile
    asks for ``Admin``. The role credentials of ``DataReader`` are the emulator's own keys.
    """
    import hashlib

    lab.make_bucket()
    keys = lab.assume_role(lab.reader_policy())
    portal = SsoPortal().start()
    token = f"{lab.prefix}-token"
    granted = RoleKeys(keys["access_key_id"], keys["secret_access_key"], keys["session_token"])
    portal.grant(token, ACCOUNT, "DataReader", granted)
    start_url = "https://lab.awsapps.com/start"
    name = hashlib.sha1(start_url.encode("utf-8"), usedforsecurity=False).hexdigest()
    cached = {
        "startUrl": start_url,
        "region": HOME_REGION,
        "accessToken": token,
        "expiresAt": "2099-01-01T00:00:00Z",
    }
    profile = {
        "sso_start_url": start_url,
        "sso_region": HOME_REGION,
        "sso_account_id": ACCOUNT,
        "sso_role_name": "Admin",
        "region": HOME_REGION,
    }
    return Setup(
        call=lab.get_call(),
        config=ini({"profile dev": profile}),
        env={"AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SSO": portal.endpoint},
        files={f".aws/sso/cache/{name}.json": json.dumps(cached)},
        portal=portal,
        check_args=lab.check_args(),
        notes=[
            "moto has no IAM Identity Center portal: a loopback portal "
            "(keydoctor.lab.sso_portal) answers GetRoleCredentials as AWS documents it"
        ],
    )


def _role_chain_hop(lab: Lab) -> Setup:
    """base user -> role one -> role two; two's trust policy names the base user, not one.

    moto matches a trust policy's principal to the caller's ARN exactly, so role two
    would have to name role one's session ARN (role_session_name = chain); it names the
    user instead, the classic mistake after a chain grew by one hop.
    """
    lab.make_bucket()
    base = lab.make_user({"Version": "2012-10-17", "Statement": [_ALLOW_ASSUME]})
    iam = lab.emulator.client("iam")
    one, two = f"{lab.prefix}-one", f"{lab.prefix}-two"
    for role, principal in ((one, lab.user_arn()), (two, lab.user_arn())):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(_trust(principal)))
        policy = lab.reader_policy()
        policy["Statement"].append(_ALLOW_ASSUME)
        iam.put_role_policy(
            RoleName=role, PolicyName=f"{role}-policy", PolicyDocument=json.dumps(policy)
        )
    roles = {
        "one": {"role_arn": _role_arn(one), "source_profile": "base"},
        "two": {"role_arn": _role_arn(two), "source_profile": "one"},
    }
    config = "".join(
        ini({f"profile {name}": {**cfg, "role_session_name": "chain", "region": HOME_REGION}})
        for name, cfg in roles.items()
    )
    return Setup(
        call=lab.get_call(),
        config=config,
        credentials=ini({"base": key_section(base)}),
        env={"AWS_PROFILE": "two", "AWS_ENDPOINT_URL_STS": lab.emulator.endpoint},
        check_args=lab.check_args(),
        notes=[
            "AWS_ENDPOINT_URL_STS sends botocore's AssumeRole calls to the emulator (KD405 "
            "says so); on AWS the variable is not set."
        ],
    )


_ALLOW_ASSUME = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}


def _role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _trust(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        ],
    }


def _served_role_keys(lab: Lab) -> ServedKeys:
    """Temporary keys of a role that reads the scenario's bucket: what an agent hands out."""
    creds = lab.assume_role(lab.reader_policy())
    return ServedKeys(creds["access_key_id"], creds["secret_access_key"], creds["session_token"])


def _container_token_stale(lab: Lab) -> Setup:
    """The container credentials agent answers only its current token; the task has another.

    The agent is keydoctor.lab.metadata's loopback stand-in, which answers 401 to a wrong
    ``Authorization`` header as the EKS Pod Identity agent does; botocore's
    ContainerProvider then gives up ("Received non 200 response 401").
    """
    lab.make_bucket()
    # Tokens are secrets: new ones every run, so the leak audit can look for them.
    agent = ContainerEndpoint(_served_role_keys(lab), token=secrets.token_urlsafe(24))
    agent.start()
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        env={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.full_uri,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": secrets.token_urlsafe(24),
        },
        check_args=lab.check_args(),
        notes=[
            "The credentials agent is a loopback server (keydoctor.lab.metadata) that "
            "serves a role's keys from the emulator; on AWS it is the ECS agent or the EKS "
            "Pod Identity agent."
        ],
        servers=[agent],
    )


def _imds_hop_limit(lab: Lab) -> Setup:
    """An EC2 instance profile seen from inside a container: the IMDSv2 token never comes.

    With the instance's ``HttpPutResponseHopLimit`` at 1 the answer to the token PUT dies
    at the container's bridge; the loopback IMDS (keydoctor.lab.metadata) reads the PUT
    and never answers, and botocore ends with "Unable to locate credentials".
    """
    lab.make_bucket()
    imds = InstanceMetadata(_served_role_keys(lab), role=f"{lab.prefix}-role", hop_limited=True)
    imds.start()
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        env={
            "AWS_EC2_METADATA_DISABLED": "false",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint,
        },
        check_args=lab.check_args(),
        notes=[
            "AWS_EC2_METADATA_SERVICE_ENDPOINT points botocore and keydoctor at a loopback "
            "IMDS (keydoctor.lab.metadata) that leaves the token PUT unanswered, as the hop "
            "limit does; on EC2 the variable is not set."
        ],
        servers=[imds],
    )


def _web_identity_token_missing(lab: Lab) -> Setup:
    """AWS_WEB_IDENTITY_TOKEN_FILE names the path of a token volume that is not mounted.

    The role exists and would trust the token; botocore fails before it sends anything
    (FileNotFoundError), and keydoctor says so offline, without asking STS.
    """
    lab.make_bucket()
    role = f"{lab.prefix}-role"
    lab.emulator.client("iam").create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps(_trust(lab.user_arn()))
    )
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        env={
            "AWS_WEB_IDENTITY_TOKEN_FILE": f"{HOME_DIR}/eks.amazonaws.com/serviceaccount/token",
            "AWS_ROLE_ARN": _role_arn(role),
            "AWS_ROLE_SESSION_NAME": "reader",
        },
        check_args=lab.check_args(),
        notes=[
            "The token file's path stands for the volume EKS projects into a pod whose "
            "service account has no role annotation: nothing is mounted there."
        ],
    )


def _free_loopback_port() -> int:
    """A loopback port nothing listens on (the system just handed it out and it is free)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _proxy_without_no_proxy(lab: Lab) -> Setup:
    """The shell exports the office proxy; the local S3-compatible endpoint goes to it too.

    The proxy stands for one reachable only on the office network: nothing listens at its
    address, so every request for the emulator fails at the proxy, before any key is seen.
    """
    lab.make_bucket()
    keys = lab.make_user()
    proxy = f"http://127.0.0.1:{_free_loopback_port()}"
    return Setup(
        call=lab.get_call(),
        config=region_config(),
        credentials=ini({"default": key_section(keys)}),
        env={"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy},
        check_args=lab.check_args(),
        notes=[
            "The proxy's address is a loopback port with nothing behind it, as an office "
            "proxy is off the office network."
        ],
    )


SEED_S3_KEY_ID = "seed 002 (S3InvalidAccessKeyId), seed 000 (Invalid Access Key ID)"
SEED_PYTHON = "seed 001 (Invalid Credentials from Python)"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="healthy",
        title="Everything is right",
        seed="seed 001, step 5 (test with a simple S3 operation)",
        expected=None,
        story="A least-privilege reader with its key in ~/.aws/credentials reads an object.",
        fix_says=(),
        exit_code=0,
        build=_healthy,
    ),
    Scenario(
        name="key-id-typo",
        title="Typo in the access key id",
        seed=f"{SEED_S3_KEY_ID}, seed 003 (typographical errors)",
        expected=Category.KEY_ID_WRONG,
        story="The key id was typed by hand into ~/.aws/credentials; one character is wrong.",
        fix_says=("aws iam list-access-keys", "aws iam create-access-key"),
        exit_code=1,
        build=_key_id_typo,
    ),
    Scenario(
        name="secret-wrong",
        title="Wrong secret for the key id",
        seed="seed 000 (Invalid Secret Access Key), seed 003",
        expected=Category.SECRET_WRONG,
        story="The user has two keys; the secret pasted next to the first key id is the "
        "second key's.",
        fix_says=("aws configure set aws_secret_access_key",),
        exit_code=1,
        build=_secret_wrong,
    ),
    Scenario(
        name="secret-quoted",
        title="Secret wrapped in quotes in the credentials file",
        seed="seed 003 (copy-paste errors), seed 000 (Invalid Secret Access Key)",
        expected=Category.SECRET_WRONG,
        story="The secret was pasted into ~/.aws/credentials with the quotes around it; "
        "botocore keeps the quotes as part of the secret.",
        fix_says=("aws_secret_access_key",),
        exit_code=1,
        build=_secret_quoted,
        fix=FixStep("tidy", diff=('-aws_secret_access_key = "', "+aws_secret_access_key = ")),
    ),
    Scenario(
        name="secret-trailing-space",
        title="Secret with a trailing space",
        seed="seed 003 (no leading or trailing spaces), seed 001 (environment variables)",
        expected=Category.SECRET_WRONG,
        story="AWS_SECRET_ACCESS_KEY was exported from a copy that took a trailing space with it.",
        fix_says=("export AWS_SECRET_ACCESS_KEY=", "no spaces"),
        exit_code=1,
        build=_secret_trailing_space,
    ),
    Scenario(
        name="rotated-key",
        title="Deleted (rotated) key still in use",
        seed="seed 002 (access key rotated but old key still in use)",
        expected=Category.KEY_ID_WRONG,
        story="The key was rotated: a new key was made and the old one deleted, but "
        "~/.aws/credentials still holds the old one.",
        fix_says=("aws iam create-access-key",),
        exit_code=1,
        build=_rotated_key,
    ),
    Scenario(
        name="temporary-key-without-token",
        title="Temporary (ASIA) key without its session token",
        seed="seed 000 (if you are using temporary session keys, check the token), seed 003",
        expected=Category.SESSION_TOKEN,
        story="Credentials from an assumed role were copied into ~/.aws/credentials without "
        "aws_session_token.",
        fix_says=("aws configure set aws_session_token",),
        exit_code=1,
        build=_temporary_key_without_token,
    ),
    Scenario(
        name="env-overrides-profile",
        title="Environment keys override the intended profile",
        seed="seed 001 (precedence of credential providers), seed 002",
        expected=Category.WRONG_SOURCE,
        story="AWS_PROFILE=analytics names good keys, but old keys still exported in "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY win.",
        fix_says=("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY", "--profile analytics"),
        exit_code=1,
        build=_env_overrides_profile,
    ),
    Scenario(
        name="wrong-profile-name",
        title="Wrong profile name",
        seed="seed 001 (section name must match AWS_PROFILE), seed 003 (wrong profile)",
        expected=Category.WRONG_SOURCE,
        story="The credentials file has [analytics]; the shell exports AWS_PROFILE=analytic.",
        fix_says=("export AWS_PROFILE=analytics",),
        exit_code=1,
        build=_wrong_profile_name,
    ),
    Scenario(
        name="profile-header-in-credentials",
        title="[profile dev] written in the credentials file",
        seed="seed 001 step 2 (the section name must match the profile name)",
        expected=Category.CONFIG_MALFORMED,
        story="AWS_PROFILE=dev; the keys sit under [profile dev] in ~/.aws/credentials, "
        "where the section must be called [dev], so botocore finds no keys for dev.",
        fix_says=("[dev]",),
        exit_code=1,
        build=_profile_header_in_credentials,
        fix=FixStep("tidy", unsafe=True, diff=("-[profile dev]", "+[dev]")),
    ),
    Scenario(
        name="bucket-other-region",
        title="Bucket in another region",
        seed="seed 000 (Bucket is in a Different Region), seed 001 steps 4 and 7",
        expected=Category.REGION_ENDPOINT,
        story="The bucket lives in eu-west-1; the profile's region is us-east-1.",
        fix_says=("keydoctor fix set-region --bucket lab-bucket-other-region", "--apply"),
        exit_code=1,
        build=_bucket_other_region,
        fix=FixStep("set-region", diff=("+region = eu-west-1",)),
    ),
    Scenario(
        name="no-list-bucket",
        title="User without s3:ListBucket",
        seed="seed 000 (Access Denied: LIST and GET access), seed 001 step 3",
        expected=Category.PERMISSION_MISSING,
        story="The user's policy allows s3:GetObject on the objects but not s3:ListBucket "
        "on the bucket; the application lists a prefix.",
        fix_says=(
            '{"Effect": "Allow", "Action": "s3:ListBucket", '
            '"Resource": "arn:aws:s3:::lab-no-list-bucket"}',
        ),
        exit_code=1,
        build=_no_list_bucket,
    ),
    Scenario(
        name="explicit-deny",
        title="GetObject denied by an explicit Deny",
        seed="seed 001 step 3 (the most restrictive policy takes precedence)",
        expected=Category.EXPLICIT_DENY,
        story="The user may read the bucket, but a Deny statement in the same policy covers "
        "confidential/.",
        fix_says=("Remove or narrow that Deny statement", 'statement "DenyConfidential"'),
        exit_code=1,
        build=_explicit_deny,
    ),
    Scenario(
        name="sso-role-not-assigned",
        title="SSO profile asking for a permission set the user does not have",
        seed="issue 15 (SSO: the role not assigned in that account)",
        expected=Category.PERMISSION_MISSING,
        story="aws sso login worked, but the profile's sso_role_name is Admin while the user "
        "was only given DataReader in that account: the portal answers 403 No access.",
        fix_says=("assign permission set Admin", "in account 123456789012"),
        exit_code=1,
        build=_sso_role_not_assigned,
    ),
    Scenario(
        name="role-chain-hop",
        title="A role chain broken at its second hop",
        seed="issue 15 (role chains: the hop that breaks), AWS IAM guide (role chaining)",
        expected=Category.TRUST_POLICY,
        story="AWS_PROFILE=two assumes role two with role one's session (base -> one -> "
        "two); role two's trust policy still names the base user, not role one.",
        fix_says=(
            "role lab-role-chain-hop-one to the trust policy",
            "aws iam update-assume-role-policy --role-name lab-role-chain-hop-two",
        ),
        exit_code=1,
        build=_role_chain_hop,
    ),
    Scenario(
        name="container-token-stale",
        title="A container credentials token the agent no longer accepts",
        seed="issue 15 (containers: AWS_CONTAINER_AUTHORIZATION_TOKEN wrong), AWS ECS guide "
        "(task IAM roles), EKS Pod Identity guide",
        expected=Category.PROVIDER_FAILURE,
        story="The task's AWS_CONTAINER_AUTHORIZATION_TOKEN still holds the token of an "
        "earlier start; the credentials agent answers 401 and boto3 finds no credentials.",
        fix_says=("Set AWS_CONTAINER_AUTHORIZATION_TOKEN to the token the agent issued",),
        exit_code=1,
        build=_container_token_stale,
    ),
    Scenario(
        name="imds-hop-limit",
        title="IMDSv2 from inside a container on an instance with hop limit 1",
        seed="issue 15 (IMDSv2 hop limit 1 from a container), AWS EC2 guide (configure the "
        "instance metadata options)",
        expected=Category.PROVIDER_FAILURE,
        story="An application in a container on an EC2 instance with an instance profile; "
        "the instance's hop limit is 1, the IMDSv2 token never arrives, and boto3 finds no "
        "credentials.",
        fix_says=(
            "aws ec2 modify-instance-metadata-options",
            "--http-put-response-hop-limit 2",
        ),
        exit_code=1,
        build=_imds_hop_limit,
    ),
    Scenario(
        name="web-identity-token-missing",
        title="A web identity token file that is not there",
        seed="issue 15 (web identity: token file missing or unreadable), AWS EKS guide (IAM "
        "roles for service accounts)",
        expected=Category.PROVIDER_FAILURE,
        story="AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are set, but no service account "
        "token is mounted at the path; boto3 fails with FileNotFoundError.",
        fix_says=("Mount or refresh the token at", "AWS_WEB_IDENTITY_TOKEN_FILE"),
        exit_code=1,
        build=_web_identity_token_missing,
    ),
    Scenario(
        name="proxy-without-no-proxy",
        title="A local endpoint sent to the shell's proxy",
        seed="issue 15 (the network path: HTTPS_PROXY/NO_PROXY sending traffic to a proxy), "
        "AWS CLI guide (using an HTTP proxy)",
        expected=Category.REGION_ENDPOINT,
        story="HTTP_PROXY and HTTPS_PROXY name the office proxy and NO_PROXY is not set, so "
        "boto3 sends the requests for the local S3-compatible server to the proxy, which "
        "cannot be reached from here.",
        fix_says=("export NO_PROXY=127.0.0.1",),
        exit_code=1,
        build=_proxy_without_no_proxy,
        proves_export=True,
    ),
)


def by_name(name: str) -> Scenario | None:
    return next((s for s in SCENARIOS if s.name == name), None)
