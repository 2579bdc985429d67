"""Write realistic CloudTrail and S3 server access log trees of any size.

``keydoctor logs`` has to be measured on the shape of an organisation trail
(``AWSLogs/<org>/<account>/CloudTrail/<region>/yyyy/mm/dd/*.json.gz``, each file a
``{"Records": [...]}`` object) and on S3 server access logs (one space-separated line per
request, bracketed time, quoted request line, referrer and user agent). Real trails cannot
be shipped, so this writes them: accounts × regions × days, a few users whose long-term
keys are used from several hosts, one key rotated mid-way and still used afterwards from one
forgotten host (``InvalidAccessKeyId``), denials and bad signatures mixed in, assumed-role
sessions (``ASIA`` keys with a session context), and, with ``--hostile``, what a real bucket
also holds: malformed records, a truncated gzip, digest files and other foreign objects.

``--csv athena|lake|lake-flat`` (repeatable) also writes the same events as query results
saved as CSV, under ``OUT/exports/``, one file per account × region × day: ``athena`` as
Athena writes the result of ``SELECT *`` on the CloudTrail table (``Unsaved/yyyy/mm/dd/
<query id>.csv`` with its ``.csv.metadata``; lower-case columns, every value quoted, NULL an
empty unquoted field, ``useridentity`` as the struct's text ``{type=IAMUser, …,
accesskeyid=AKIA…, …}``); ``lake`` as CloudTrail Lake saves a query's results
(``AWSLogs/<account>/CloudTrail-Lake/Query/yyyy/mm/dd/<query id>/result_<n>.csv.gz`` and
``result_sign.json``; columns named as selected, ``eventTime`` printed as a timestamp
``2026-01-01 13:32:14.000``, ``userIdentity`` as JSON text); ``lake-flat`` the same with
``userIdentity.accessKeyId``, ``.arn`` and ``.accountId`` selected as columns of their own.
The same events in another shape, so the answers can be compared key by key.

The output is a function of the arguments alone (seeded random, gzip mtime 0), so a test
and a benchmark can rely on exact counts; ``--summary`` prints the truth (events per key,
per source) as JSON for tests to compare with. The CloudTrail records are rendered from
JSON fragments prepared once per account, region and day, with the time, ids and choices
taken from a SHAKE-256 stream of each file's place in the tree: the same bytes whatever
``--jobs`` is, and a 10 GB tree costs minutes of CPU, most of it zlib's (level 6).

    python bench/gen_logs.py OUT --accounts 3 --regions 2 --days 5 --records 200
    python bench/gen_logs.py OUT --target-mb 1024 --jobs 2     # ~1 GB of gzip on disk

The error codes below are what AWS writes into the logs; they are data of this generator,
not knowledge of keydoctor (which reads them through its catalog).
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import hashlib
import io
import json
import os
import random
import sys
import uuid
import zlib
from array import array
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import add, and_, getitem, mod
from pathlib import Path
from typing import Any

REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1", "sa-east-1")
KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
USER_AGENTS = (
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8",
    "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.12.2",
    "aws-sdk-java/2.25.11 Linux/5.10.205 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws",
    "aws-sdk-js/3.549.0 ua/2.0 os/linux#5.10.210 lang/js md/nodejs#20.12.1 api/s3#3.549.0",
)
OPERATIONS = (
    ("s3.amazonaws.com", "GetObject", True),
    ("s3.amazonaws.com", "PutObject", False),
    ("s3.amazonaws.com", "ListObjects", True),
    ("sts.amazonaws.com", "GetCallerIdentity", True),
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("iam.amazonaws.com", "ListAccessKeys", True),
    ("dynamodb.amazonaws.com", "Query", True),
    ("lambda.amazonaws.com", "Invoke", False),
)
# What the logs say when a request fails; read by keydoctor through catalog/codes.toml.
UNKNOWN_KEY_CODE = "InvalidAccessKeyId"
DENIED_CODE = "AccessDenied"
SIGNATURE_CODE = "SignatureDoesNotMatch"
MESSAGES = {
    UNKNOWN_KEY_CODE: "The AWS Access Key Id you provided does not exist in our records.",
    DENIED_CODE: "User is not authorized to perform this operation",
    SIGNATURE_CODE: "The request signature we calculated does not match the signature you "
    "provided. Check your key and signing method.",
}
# A chosen secret that a careless program put into a user agent and a request parameter:
# the tool must never print it. Tests import it.
PLANTED_SECRET = "QzXj7WqzxJ7wQZXJ7wqZxj7WQzxj7WqZXJ7wQzxJ"


def other_id(key: str, prefix: str) -> str:
    """A principal id for a key's owner that shares no run of characters with the key."""
    return prefix + key[4:][::-1]


def key_id(rng: random.Random, prefix: str = "AKIA") -> str:
    """An id shaped like AWS's: a 4-letter prefix and 16 base32 characters."""
    return prefix + "".join(rng.choice(KEY_ALPHABET) for _ in range(16))


@dataclass
class Host:
    ip: str
    user_agent: str


@dataclass
class User:
    account: str
    name: str
    key: str
    hosts: list[Host]
    rotated_to: str | None = None  # after the rotation day the old key is refused
    stale_host: Host | None = None  # the host that kept the old key


@dataclass
class World:
    """Accounts, users, keys and hosts: everything fixed by the seed."""

    org: str
    accounts: list[str]
    regions: list[str]
    start: date
    days: int
    users: list[User] = field(default_factory=list)
    role_keys: dict[str, list[tuple[str, Host]]] = field(default_factory=dict)

    @property
    def rotation_day(self) -> int:
        return self.days // 2


def build_world(seed: int, accounts: int, regions: int, start: date, days: int) -> World:
    rng = random.Random(seed)
    world = World(
        org="o-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10)),
        accounts=[str(rng.randrange(10**11, 10**12)) for _ in range(accounts)],
        regions=list(REGIONS[: max(1, min(regions, len(REGIONS)))]),
        start=start,
        days=days,
    )
    host_number = 10
    for account in world.accounts:
        for name in ("deploy", "backup", "analytics"):
            hosts = []
            for _ in range(rng.randint(1, 3)):
                host_number += 1
                ip = f"203.0.113.{host_number % 250 + 1}"
                hosts.append(Host(ip, rng.choice(USER_AGENTS)))
            world.users.append(User(account, name, key_id(rng), hosts))
        sessions = []
        for _ in range(2):
            host_number += 1
            sessions.append(
                (key_id(rng, "ASIA"), Host(f"10.0.{host_number % 250}.7", USER_AGENTS[1]))
            )
        world.role_keys[account] = sessions
    # One key per account is rotated half-way through; one of its hosts kept the old key.
    for account in world.accounts:
        user = next(u for u in world.users if u.account == account and u.name == "deploy")
        user.rotated_to = key_id(rng)
        user.stale_host = Host("198.51.100.23", USER_AGENTS[0])
    return world


# How often each kind of event happens (the share of all events, or of the events it is
# picked from); the draws that pick them are spread over 65,536 slots in these proportions.
ROLE_SHARE = 0.2  # events from an assumed-role session
STALE_SHARE = 0.15  # after the rotation, the rotated user's events sent from the stale host
DENIED_SHARE = 0.03  # a user's other events that are denied
SIGNATURE_SHARE = 0.01  # and of the rest, those with a bad signature
SLOTS = 1 << 16
NO_ERROR, UNKNOWN_KEY, DENIED, SIGNATURE = range(4)
# Bytes of a file's seeded stream per record, field by field: who (16 bits), operation (16),
# second (32), object key (32), requestID (64), and eventID (128) in its five groups.
STREAM = (
    ("who", 2),
    ("operation", 2),
    ("second", 4),
    ("object", 4),
    ("request", 8),
    *((f"event{n}", size) for n, size in enumerate((4, 2, 2, 2, 6))),
)


def _compact(value: Any) -> str:
    """A value as ``json.dumps(..., separators=(",", ":"))`` writes it inside a record."""
    return json.dumps(value, separators=(",", ":"))


ERROR_FIELDS = (
    "",
    *(
        f',"errorCode":{_compact(code)},"errorMessage":{_compact(MESSAGES[code])}'
        for code in (UNKNOWN_KEY_CODE, DENIED_CODE, SIGNATURE_CODE)
    ),
)


@functools.cache
def _clock() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``HH:MM:SS`` and the hour of every second of a day: a lookup instead of a strftime."""
    seconds = range(86400)
    text = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in seconds)
    return text, tuple(s // 3600 for s in seconds)


@dataclass(frozen=True)
class Actor:
    """A key used from one host, its identity rendered as JSON once.

    A record starts with ``head``; a role session's identity holds its creation hour, which
    varies, so its head stops there and ``tail`` closes the identity after the hour.
    """

    key: str
    ip: str
    head: str
    tail: str
    where: str  # the source address, the user agent, up to requestParameters' value
    role: bool


HOUR_MARK = "\u2460hour\u2460"  # stands for the creation hour while the identity is rendered


def _actor(key: str, host: Host, identity: dict[str, Any], role: bool) -> Actor:
    text = '{"eventVersion":"1.09","userIdentity":' + _compact(identity) + ',"eventTime":"'
    head, _, tail = text.partition(_compact(HOUR_MARK)[1:-1]) if role else (text, "", "")
    where = f'{host.ip}","userAgent":{_compact(host.user_agent)},"requestParameters":'
    return Actor(key, host.ip, head, tail, where, role)


def _user_actor(account: str, user: User, key: str, host: Host) -> Actor:
    identity = {
        "type": "IAMUser",
        "principalId": other_id(key, "AIDA"),
        "arn": f"arn:aws:iam::{account}:user/{user.name}",
        "accountId": account,
        "accessKeyId": key,
        "userName": user.name,
    }
    return _actor(key, host, identity, role=False)


def _role_actor(account: str, key: str, host: Host) -> Actor:
    identity = {
        "type": "AssumedRole",
        "principalId": f"{other_id(key, 'AROA')}:ci-session",
        "arn": f"arn:aws:sts::{account}:assumed-role/ci-runner/ci-session",
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": other_id(key, "AROA"),
                "arn": f"arn:aws:iam::{account}:role/ci-runner",
                "accountId": account,
                "userName": "ci-runner",
            },
            "attributes": {"creationDate": HOUR_MARK, "mfaAuthenticated": "false"},
        },
    }
    return _actor(key, host, identity, role=True)


@dataclass(frozen=True)
class Operation:
    """An operation's fragments in one account and region."""

    middle: str  # from the time's closing "Z" to the source address's opening quote
    end: str  # from after the eventID to the end of the record's fixed fields
    # requestParameters as a str.format template of the object number, up to the requestID
    parameters: str


def _operation(account: str, region: str, source: str, name: str, read_only: bool) -> Operation:
    s3 = source.startswith("s3")
    middle = (
        f'Z","eventSource":{_compact(source)},"eventName":{_compact(name)},'
        f'"awsRegion":{_compact(region)},"sourceIPAddress":"'
    )
    tls = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
    }
    end = (
        f',"readOnly":{_compact(read_only)},"eventType":"AwsApiCall",'
        f'"managementEvent":{_compact(not s3)},"recipientAccountId":{_compact(account)},'
        f'"eventCategory":{_compact("Data" if s3 else "Management")},"tlsDetails":{_compact(tls)}'
    )
    # "null".format(n) is "null": the same call serves the operations without parameters.
    bucket = _compact(f"data-{account}").replace("{", "{{").replace("}", "}}")
    parameters = f'{{{{"bucketName":{bucket},"key":"k/{{}}"}}}}' if s3 else "null"
    parameters += ',"responseElements":null,"requestID":"'
    return Operation(middle, end, parameters)


def _outcomes(world: World, account: str, day_index: int) -> list[tuple[Actor, int, float]]:
    """Every (actor, error) an event of this account on this day can have, with its share.

    The shares follow the story of the tree: 20 % assumed-role sessions (two, alike); the rest
    spread evenly over the account's users and each user's hosts; after the rotation day the
    rotated user's new key replaces the old one, except on the stale host, which keeps sending
    the old one (15 % of that user's events, all refused); 3 % of a user's other events denied,
    1 % of the rest with a bad signature.
    """
    outcomes: list[tuple[Actor, int, float]] = []
    sessions = world.role_keys[account]
    for key, host in sessions:
        outcomes.append((_role_actor(account, key, host), NO_ERROR, ROLE_SHARE / len(sessions)))
    users = [u for u in world.users if u.account == account]
    for user in users:
        share = (1 - ROLE_SHARE) / len(users)
        key = user.key
        if user.rotated_to is not None and day_index >= world.rotation_day:
            key = user.rotated_to
            if user.stale_host is not None:
                stale = _user_actor(account, user, user.key, user.stale_host)
                outcomes.append((stale, UNKNOWN_KEY, share * STALE_SHARE))
                share *= 1 - STALE_SHARE
        for host in user.hosts:
            actor = _user_actor(account, user, key, host)
            each = share / len(user.hosts)
            outcomes.append((actor, DENIED, each * DENIED_SHARE))
            outcomes.append((actor, SIGNATURE, each * (1 - DENIED_SHARE) * SIGNATURE_SHARE))
            outcomes.append((actor, NO_ERROR, each * (1 - DENIED_SHARE) * (1 - SIGNATURE_SHARE)))
    return outcomes


@dataclass
class Renderer:
    """One account × region × day's fragments, and the table that turns a draw into an
    outcome.

    A large tree is millions of records, so a record is never built as a dict nor encoded by
    ``json``: it is the join of prepared fragments (per outcome, per operation, per outcome and
    operation) with the varying fields (time, object key, ids) in between, and every step over
    a file's records is a ``map`` of a C-level function (lookups, ``str.format``, ``join``),
    not a Python loop. Outcomes are numbered in steps of 8 so that outcome + operation indexes
    the fragments of both.
    """

    outcomes: list[tuple[Actor, int, float]]
    pick: tuple[int, ...]  # 65,536 slots: a 16-bit draw → outcome × 8
    heads: dict[int, list[str]]  # outcome × 8 → the record's start for each hour of the day
    middles: list[str]  # outcome × 8 + operation → from the time's "Z" to requestParameters
    ends: list[str]  # outcome × 8 + operation → from eventID's closing quote to the end
    parameters: list[str]  # operation → requestParameters template


def _renderer(world: World, account: str, region: str, day_index: int) -> Renderer:
    outcomes = _outcomes(world, account, day_index)
    operations = [_operation(account, region, *operation) for operation in OPERATIONS]
    if len(operations) != 8:
        raise ValueError("operations are picked by the low 3 bits of a draw: keep 8 of them")
    pick: list[int] = []
    total = 0.0
    for number, (_, _, share) in enumerate(outcomes):
        total += share
        upto = SLOTS if number == len(outcomes) - 1 else round(total * SLOTS)
        pick.extend([number * 8] * (upto - len(pick)))
    day_text = f"{world.start + timedelta(days=day_index):%Y-%m-%d}T"
    heads: dict[int, list[str]] = {}
    middles: list[str] = []
    ends: list[str] = []
    for number, (actor, error, _) in enumerate(outcomes):
        heads[number * 8] = [
            (f"{actor.head}{day_text}{hour:02d}:00:00Z{actor.tail}" if actor.role else actor.head)
            + day_text
            for hour in range(24)
        ]
        for operation in operations:
            middles.append(operation.middle + actor.where)
            ends.append(f'"{operation.end}{ERROR_FIELDS[error]}}}')
    return Renderer(outcomes, tuple(pick), heads, middles, ends, [o.parameters for o in operations])


def _stream(label: str, records: int) -> tuple[dict[str, bytes], str]:
    """A file's random stream: SHAKE-256 of its place in the tree, so the same arguments write
    the same bytes on any machine, in any process, in any order. Cut into one block per field
    (``STREAM``), and 8 bytes for the file name."""
    raw = hashlib.shake_256(label.encode()).digest(records * sum(n for _, n in STREAM) + 8)
    blocks: dict[str, bytes] = {}
    at = 0
    for name, size in STREAM:
        blocks[name] = raw[at : at + records * size]
        at += records * size
    return blocks, raw[at:].hex()


def _numbers(block: bytes, code: str) -> array[int]:
    """A block as unsigned little-endian numbers on any machine."""
    numbers = array(code, block)
    if numbers.itemsize != {"H": 2, "I": 4}[code]:
        raise RuntimeError(f"array code {code} is {numbers.itemsize} bytes on this machine")
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def _hex_groups(block: bytes, size: int, upper: bool = False) -> list[str]:
    """The block's hex cut every ``size`` bytes, in C (``bytes.hex`` with a separator)."""
    if not block:
        return []
    text = block.hex(" ", size)
    return (text.upper() if upper else text).split(" ")


def _records(
    renderer: Renderer, base: int, window: int, count: int, label: str
) -> tuple[list[str], list[int], str]:
    """One file's records as JSON text, the outcome of each (× 8), and the file name's random
    part."""
    blocks, suffix = _stream(label, count)
    clock, hour_of = _clock()
    who = list(map(renderer.pick.__getitem__, _numbers(blocks["who"], "H")))
    operation = list(map(and_, _numbers(blocks["operation"], "H"), repeat(7)))
    second = list(map(add, map(mod, _numbers(blocks["second"], "I"), repeat(window)), repeat(base)))
    fragment = list(map(add, who, operation))
    heads = map(getitem, map(renderer.heads.__getitem__, who), map(hour_of.__getitem__, second))
    parameters = map(
        str.format,
        map(renderer.parameters.__getitem__, operation),
        map(mod, _numbers(blocks["object"], "I"), repeat(1000000)),
    )
    # requestID: 16 upper-case hex digits; eventID: 8-4-4-4-12, each group from its block.
    ids = map(
        '{}","eventID":"{}-{}-{}-{}-{}'.format,
        _hex_groups(blocks["request"], 8, upper=True),
        *(_hex_groups(blocks[f"event{n}"], size) for n, size in enumerate((4, 2, 2, 2, 6))),
    )
    times = map(clock.__getitem__, second)
    middles = map(renderer.middles.__getitem__, fragment)
    ends = map(renderer.ends.__getitem__, fragment)
    records = list(map("".join, zip(heads, times, middles, parameters, ids, ends, strict=True)))
    return records, who, suffix


@dataclass(frozen=True)
class Slice:
    """One account × region × day: the unit a worker writes."""

    seed: int
    account_index: int
    region_index: int
    day_index: int
    files: int
    records: int
    csv: tuple[str, ...] = ()  # the CSV export shapes to write the slice's events in too
    number: int = 0  # the slice's rank, which numbers its CSV files


CSV_SHAPES = ("athena", "lake", "lake-flat")
# Columns of ``SELECT *`` on the Athena CloudTrail table (keydoctor's own ``--engine athena``
# DDL, partitions last), and of the CloudTrail Lake queries written here.
ATHENA_COLUMNS = (
    "eventversion",
    "useridentity",
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "recipientaccountid",
    "account",
    "region",
    "day",
)
LAKE_COLUMNS = (
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "recipientAccountId",
    "userIdentity",
)
LAKE_FLAT_COLUMNS = (
    "eventTime",
    "userIdentity.accessKeyId",
    "userIdentity.arn",
    "userIdentity.accountId",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
)


def _struct_text(value: Any) -> str:
    """A value as Athena prints a struct: ``{type=IAMUser, arn=…, sessioncontext=null}``."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k.lower()}={_struct_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _athena_identity(identity: dict[str, Any]) -> str:
    """``userIdentity`` in the field order of the Athena table's struct."""
    fields = ("type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId", "userName")
    ordered: dict[str, Any] = {name: identity.get(name) for name in fields}
    context = identity.get("sessionContext")
    ordered["sessionContext"] = (
        None
        if context is None
        else {
            "attributes": context.get("attributes"),
            "sessionIssuer": context.get("sessionIssuer"),
        }
    )
    return _struct_text(ordered)


def _athena_line(values: list[str | None]) -> str:
    """Athena's CSV: every value quoted (quotes doubled), NULL an empty unquoted field."""
    return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + "\n"


def _export_id(seed: int, name: str) -> str:
    """A query id fixed by the arguments, not drawn from the slice's random stream."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def _write_exports(
    world: World, out: Path, piece: Slice, region: str, day: date, records: list[dict[str, Any]]
) -> int:
    """The slice's records as CSV query results, in each requested shape; bytes written."""
    account = world.accounts[piece.account_index]
    ran = world.start + timedelta(days=world.days)  # the query runs after the last day
    written = 0
    for shape in piece.csv:
        if shape == "athena":
            folder = out / "exports" / "athena" / "Unsaved" / f"{ran:%Y/%m/%d}"
            folder.mkdir(parents=True, exist_ok=True)
            lines = [_athena_line(list(ATHENA_COLUMNS))]
            for r in records:
                lines.append(
                    _athena_line(
                        [
                            r["eventVersion"],
                            _athena_identity(r["userIdentity"]),
                            r["eventTime"],
                            r["eventSource"],
                            r["eventName"],
                            r["awsRegion"],
                            r["sourceIPAddress"],
                            r["userAgent"],
                            r.get("errorCode"),
                            r.get("errorMessage"),
                            None
                            if r["requestParameters"] is None
                            else json.dumps(r["requestParameters"], separators=(",", ":")),
                            None,
                            r["recipientAccountId"],
                            account,
                            region,
                            f"{day:%Y/%m/%d}",
                        ]
                    )
                )
            path = folder / f"{_export_id(piece.seed, f'{shape}/{piece.number}')}.csv"
            path.write_text("".join(lines), encoding="utf-8")
            # Athena's own binary description of the result, beside it: not CSV.
            (folder / f"{path.name}.metadata").write_bytes(b"\x0a\x08\x12\x06" + bytes(40))
            written += path.stat().st_size
            continue
        flat = shape == "lake-flat"
        query = _export_id(piece.seed, f"{shape}/account/{piece.account_index}")
        folder = (
            out
            / "exports"
            / shape
            / "AWSLogs"
            / account
            / "CloudTrail-Lake"
            / "Query"
            / f"{ran:%Y/%m/%d}"
            / query
        )
        folder.mkdir(parents=True, exist_ok=True)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(LAKE_FLAT_COLUMNS if flat else LAKE_COLUMNS)
        for r in records:
            identity = r["userIdentity"]
            moment = r["eventTime"].replace("T", " ").replace("Z", ".000")
            common = [r["eventSource"], r["eventName"], r["awsRegion"], r["sourceIPAddress"]]
            if flat:
                row = [
                    moment,
                    identity.get("accessKeyId"),
                    identity.get("arn"),
                    identity.get("accountId"),
                    *common,
                    r["userAgent"],
                    r.get("errorCode"),
                ]
            else:
                row = [
                    moment,
                    *common,
                    r["userAgent"],
                    r.get("errorCode"),
                    r.get("errorMessage"),
                    r["recipientAccountId"],
                    json.dumps(identity, separators=(",", ":")),
                ]
            writer.writerow(row)
        path = folder / f"result_{piece.number + 1}.csv.gz"
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle,
        ):
            handle.write(text.getvalue().encode())
        # The query's sign file (hashes and signature of its results): not events.
        (folder / "result_sign.json").write_text(json.dumps({"version": "1.0"}))
        written += path.stat().st_size
    return written


def _gzip_records(records: list[str]) -> bytes:
    """``{"Records":[…]}`` as gzip: zlib's level 6 (its default), mtime 0, so the bytes are a
    function of the arguments. The records go in 100 at a time: a piece under glibc's mmap
    threshold (128 KB) is served from the heap again and again, where a whole file's text
    would be mapped and faulted in page by page for every file."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    pieces = [packer.compress(b'{"Records":[')]
    for start in range(0, len(records), 100):
        comma = b"," if start else b""
        pieces.append(packer.compress(comma + ",".join(records[start : start + 100]).encode()))
    pieces.append(packer.compress(b"]}"))
    pieces.append(packer.flush())
    return b"".join(pieces)


def _write_slice(world: World, out: Path, piece: Slice) -> dict[str, Any]:
    """Write the slice's files; return the truth it wrote (events and errors per key)."""
    account = world.accounts[piece.account_index]
    region = world.regions[piece.region_index]
    day = world.start + timedelta(days=piece.day_index)
    folder = (
        out
        / "AWSLogs"
        / world.org
        / account
        / "CloudTrail"
        / region
        / f"{day:%Y}"
        / f"{day:%m}"
        / f"{day:%d}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    renderer = _renderer(world, account, region, piece.day_index)
    drawn: Counter[int] = Counter()
    files = max(piece.files, 1)
    window = 1440 * 60 // files
    written = 0
    exported: list[dict[str, Any]] = []
    for number in range(piece.files):
        minute = (number * 1440) // files
        stamp = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
        label = (
            f"{piece.seed}/{piece.account_index}/{piece.region_index}/{piece.day_index}/{number}"
        )
        records, who, suffix = _records(renderer, minute * 60, window, piece.records, label)
        drawn.update(who)
        if piece.csv:
            exported.extend(json.loads(record) for record in records)
        name = f"{account}_CloudTrail_{region}_{stamp:%Y%m%dT%H%MZ}_{suffix}.json.gz"
        (folder / name).write_bytes(_gzip_records(records))
        written += (folder / name).stat().st_size
    truth: dict[str, Any] = {"events": Counter(), "errors": Counter(), "sources": Counter()}
    for outcome, count in drawn.items():
        actor, error, _ = renderer.outcomes[outcome // 8]
        truth["events"][actor.key] += count
        truth["errors"][actor.key] += count if error != NO_ERROR else 0
        truth["sources"][f"{actor.key}|{actor.ip}"] += count
    truth["bytes"] = written
    truth["csv_bytes"] = (
        _write_exports(world, out, piece, region, day, exported) if piece.csv else 0
    )
    return truth


def _s3_access_logs(world: World, out: Path, rng: random.Random, lines: int) -> dict[str, Any]:
    """S3 server access logs for one bucket per account, in the documented field order."""
    truth: dict[str, Any] = {"lines": 0, "errors": 0}
    owner = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    for account in world.accounts:
        bucket = f"data-{account}"
        folder = out / "s3-access" / bucket
        folder.mkdir(parents=True, exist_ok=True)
        users = [u for u in world.users if u.account == account]
        rows = []
        for _ in range(lines):
            user = rng.choice(users)
            host = rng.choice(user.hosts)
            when = datetime.combine(world.start, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randrange(world.days * 86400)
            )
            error = DENIED_CODE if rng.random() < 0.05 else "-"
            status = 403 if error != "-" else 200
            obj = f"k/{rng.randrange(10**6)}"
            request_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(16))
            host_id = "".join(rng.choice(KEY_ALPHABET.lower() + "+/") for _ in range(56)) + "="
            rows.append(
                " ".join(
                    [
                        owner,
                        bucket,
                        when.strftime("[%d/%b/%Y:%H:%M:%S +0000]"),
                        host.ip,
                        f"arn:aws:iam::{account}:user/{user.name}",
                        request_id,
                        "REST.GET.OBJECT",
                        obj,
                        f'"GET /{bucket}/{obj} HTTP/1.1"',
                        str(status),
                        error,
                        str(rng.randrange(100, 90000)) if status == 200 else "243",
                        str(rng.randrange(100, 90000)),
                        str(rng.randrange(1, 90)),
                        str(rng.randrange(1, 20)),
                        '"-"',
                        f'"{host.user_agent}"',
                        "-",
                        host_id,
                        "SigV4",
                        "TLS_AES_128_GCM_SHA256",
                        "AuthHeader",
                        f"{bucket}.s3.{world.regions[0]}.amazonaws.com",
                        "TLSv1.3",
                        "-",
                        "-",
                    ]
                )
            )
            truth["lines"] += 1
            truth["errors"] += error != "-"
        name = f"{world.start:%Y-%m-%d}-00-00-00-{rng.getrandbits(64):016X}"
        (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return truth


def _hostile(world: World, out: Path) -> dict[str, int]:
    """What a real log bucket also holds, beside good files."""
    account, region = world.accounts[0], world.regions[0]
    base = out / "AWSLogs" / world.org / account / "CloudTrail" / region / f"{world.start:%Y/%m/%d}"
    base.mkdir(parents=True, exist_ok=True)
    good = {
        "eventVersion": "1.09",
        "eventTime": f"{world.start:%Y-%m-%d}T12:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "awsRegion": region,
        "sourceIPAddress": "192.0.2.99",
        # A program that put its secret in its user agent: never to be printed.
        "userAgent": f"homegrown/0.1 aws_secret_access_key={PLANTED_SECRET}",
        "userIdentity": {
            "type": "IAMUser",
            "accountId": account,
            "arn": f"arn:aws:iam::{account}:user/deploy",
            "accessKeyId": world.users[0].key,
            "userName": "deploy",
        },
        "requestParameters": {"secretAccessKey": PLANTED_SECRET},
        "recipientAccountId": account,
    }
    # A file with two malformed records (not objects) and one good one.
    mixed = {"Records": [good, "not a record", 42]}
    with gzip.GzipFile(base / "mixed.json.gz", "wb", mtime=0) as handle:
        handle.write(json.dumps(mixed).encode())
    # A truncated gzip: the first half of a good file.
    whole = gzip.compress(json.dumps({"Records": [good] * 50}).encode(), mtime=0)
    (base / "truncated.json.gz").write_bytes(whole[: len(whole) // 2])
    # Not JSON at all, though named like CloudTrail.
    with gzip.GzipFile(base / "garbage.json.gz", "wb", mtime=0) as handle:
        handle.write(b"\x00\x01 this is not json {{{")
    # Foreign files: a digest, a README, an image.
    digest = out / "AWSLogs" / world.org / account / "CloudTrail-Digest" / region
    digest.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(
        digest / f"{account}_CloudTrail-Digest_{region}.json.gz", "wb", mtime=0
    ) as h:
        h.write(json.dumps({"awsAccountId": account, "digestStartTime": "x"}).encode())
    (out / "README.txt").write_text("log bucket of the platform team\n")
    (out / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    return {"malformed_records": 2, "truncated_files": 1, "unreadable_files": 1, "foreign_files": 3}


def _hostile_csv(world: World, out: Path) -> dict[str, int]:
    """What a folder of saved query results also holds, beside good exports."""
    folder = out / "exports" / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    account, user = world.accounts[0], world.users[0]
    header = _athena_line(list(ATHENA_COLUMNS))
    identity = {
        "type": "IAMUser",
        "principalId": other_id(user.key, "AIDA"),
        "arn": f"arn:aws:iam::{account}:user/{user.name}",
        "accountId": account,
        "accessKeyId": user.key,
        "userName": user.name,
    }
    good: list[str | None] = [
        "1.09",
        _athena_identity(identity),
        f"{world.start:%Y-%m-%d}T12:00:00Z",
        "sts.amazonaws.com",
        "GetCallerIdentity",
        world.regions[0],
        "192.0.2.98",
        # A program that put its secret in its user agent: never to be printed.
        f"homegrown/0.1 aws_secret_access_key={PLANTED_SECRET}",
        None,
        None,
        json.dumps({"secretAccessKey": PLANTED_SECRET}),
        None,
        account,
        account,
        world.regions[0],
        f"{world.start:%Y/%m/%d}",
    ]
    line = _athena_line(good)
    # A second good row whose quoted user agent holds a CRLF (one value on two lines).
    split = _athena_line([*good[:7], "homegrown/0.2\r\n(two lines)", *good[8:]])
    # Two good rows, an empty line (skipped), and four malformed rows: too few fields, too
    # many, bytes that are not UTF-8, blanks only.
    body = (
        header.encode()
        + line.encode()
        + split.encode()
        + b"\n"
        + _athena_line(good[:5]).encode()
        + _athena_line([*good, "extra"]).encode()
        + line.encode().replace(b"homegrown", b"home\xff\xfegrown")
        + b"   \n"
    )
    (folder / "bad-rows.csv").write_bytes(body)
    # A CSV of something else (foreign), and binary bytes under a CSV name (foreign).
    (folder / "inventory.csv").write_text("bucket,key,size\ndata,k/1,10\n")
    (folder / "dump.csv").write_bytes(b"\x00\x9f\x92\x96PK\x03\x04" + bytes(range(256)))
    # A saved result cut short in transit: the first half of a gzip export.
    whole = gzip.compress((header + line * 200).encode(), mtime=0)
    (folder / "result_9.csv.gz").write_bytes(whole[: len(whole) // 2])
    return {"events": 2, "malformed_records": 4, "foreign_files": 2, "truncated_files": 1}


def generate(
    out: Path,
    *,
    seed: int = 7,
    accounts: int = 2,
    regions: int = 2,
    days: int = 4,
    files: int = 2,
    records: int = 50,
    start: date = date(2026, 1, 1),
    s3_lines: int = 40,
    hostile: bool = False,
    jobs: int = 1,
    csv_shapes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write the tree under ``out``; return the truth about what was written."""
    unknown = set(csv_shapes) - set(CSV_SHAPES)
    if unknown:
        raise ValueError(f"CSV shapes are {', '.join(CSV_SHAPES)}, not {', '.join(unknown)}")
    world = build_world(seed, accounts, regions, start, days)
    places = [
        (a, r, d)
        for a in range(len(world.accounts))
        for r in range(len(world.regions))
        for d in range(days)
    ]
    slices = [
        Slice(seed, a, r, d, files, records, tuple(csv_shapes), number)
        for number, (a, r, d) in enumerate(places)
    ]
    events: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    total_bytes = 0
    csv_bytes = 0
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(
                pool.map(_write_slice, [world] * len(slices), [out] * len(slices), slices)
            )
    else:
        results = [_write_slice(world, out, piece) for piece in slices]
    for truth in results:
        events.update(truth["events"])
        errors.update(truth["errors"])
        sources.update(truth["sources"])
        total_bytes += truth["bytes"]
        csv_bytes += truth["csv_bytes"]
    by_key: dict[str, Any] = defaultdict(dict)
    for pair, count in sources.items():
        key, ip = pair.split("|")
        by_key[key][ip] = count
    summary: dict[str, Any] = {
        "org": world.org,
        "accounts": world.accounts,
        "regions": world.regions,
        "cloudtrail_bytes": total_bytes,
        "csv_bytes": csv_bytes,
        "events": sum(events.values()),
        "keys": {
            key: {"events": events[key], "errors": errors[key], "sources": by_key[key]}
            for key in sorted(events)
        },
        "rotated": [
            {"old": u.key, "new": u.rotated_to, "stale_ip": u.stale_host.ip}
            for u in world.users
            if u.rotated_to is not None and u.stale_host is not None
        ],
        "rotation_day": (start + timedelta(days=world.rotation_day)).isoformat(),
    }
    if s3_lines:
        summary["s3_access"] = _s3_access_logs(world, out, random.Random(seed + 1), s3_lines)
    if hostile:
        summary["hostile"] = _hostile(world, out)
    if hostile and csv_shapes:
        summary["hostile_csv"] = _hostile_csv(world, out)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--files", type=int, default=2, help="files per account, region and day")
    parser.add_argument("--records", type=int, default=50, help="records per file")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--s3-lines", type=int, default=40, help="access log lines per bucket")
    parser.add_argument("--hostile", action="store_true", help="add malformed and foreign files")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--csv",
        action="append",
        default=[],
        choices=CSV_SHAPES,
        help="also write the events as CSV query results of this shape, under OUT/exports",
    )
    parser.add_argument(
        "--target-mb",
        type=float,
        help="choose --days to write about this many MB of gzip (keeps the other sizes)",
    )
    parser.add_argument("--summary", action="store_true", help="print the truth as JSON")
    args = parser.parse_args(argv)
    days = args.days
    if args.target_mb:
        # ~61 gzip bytes per record at level 6 on this data (43.5 MB for 720,000 records).
        per_day = args.accounts * args.regions * args.files * args.records * 61
        days = max(1, round(args.target_mb * 1e6 / per_day))
    summary = generate(
        args.out,
        seed=args.seed,
        accounts=args.accounts,
        regions=args.regions,
        days=days,
        files=args.files,
        records=args.records,
        start=args.start,
        s3_lines=args.s3_lines,
        hostile=args.hostile,
        jobs=args.jobs,
        csv_shapes=tuple(args.csv),
    )
    if args.summary:
        json.dump(summary, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(
            f"wrote {summary['events']} events, {summary['cloudtrail_bytes'] / 1e6:.1f} MB gzip, "
            f"{days} days under {args.out}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
