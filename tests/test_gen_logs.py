"""The log-tree generator (``bench/gen_logs.py``) read back with the standard library.

The tests of ``keydoctor logs`` compare its answer with the generator's ``--summary``; these
check that summary against the files themselves, parsed by ``json`` and ``gzip`` alone, and
that the fast rendering writes what ``json.dumps`` would, the same bytes for the same
arguments however the work is spread over processes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import gen_logs  # noqa: E402

FIELDS = (
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
    "tlsDetails",
)


TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def cloudtrail_files(out: Path) -> list[Path]:
    return sorted((out / "AWSLogs").glob("*/*/CloudTrail/*/*/*/*/*.json.gz"))


def read_records(out: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in cloudtrail_files(out):
        body = gzip.decompress(path.read_bytes()).decode("ascii")
        document = json.loads(body)
        # The fragments render exactly as json.dumps does (order, spacing, escapes).
        assert json.dumps(document, separators=(",", ":")) == body, path.name
        day = "-".join(path.parts[-4:-1])  # the folder's yyyy/mm/dd
        for record in document["Records"]:
            assert TIME.fullmatch(record["eventTime"]) and record["eventTime"][:10] == day
        records.extend(document["Records"])
    return records


def test_summary_is_what_the_files_hold(tmp_path: Path) -> None:
    truth = gen_logs.generate(tmp_path, seed=4, accounts=2, regions=1, days=4, records=300)
    records = read_records(tmp_path)
    events: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    sources: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        key = record["userIdentity"]["accessKeyId"]
        events[key] += 1
        errors[key] += "errorCode" in record
        sources[key][record["sourceIPAddress"]] += 1
        assert tuple(record)[: len(FIELDS)] == FIELDS
        assert set(tuple(record)[len(FIELDS) :]) <= {"errorCode", "errorMessage"}
        assert re.fullmatch("[0-9A-F]{16}", record["requestID"])
        assert re.fullmatch("[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", record["eventID"])
    assert truth["events"] == len(records) == 2 * 1 * 4 * 2 * 300
    assert set(truth["keys"]) == set(events)
    for key, expected in truth["keys"].items():
        assert expected["events"] == events[key]
        assert expected["errors"] == errors[key]
        assert expected["sources"] == dict(sources[key])
    assert truth["cloudtrail_bytes"] == sum(p.stat().st_size for p in cloudtrail_files(tmp_path))


def test_the_story_holds_in_the_records(tmp_path: Path) -> None:
    """Shares of roles, denials and the stale host, and the rotation, as the docs tell it."""
    truth = gen_logs.generate(tmp_path, seed=9, accounts=1, regions=1, days=4, records=2000)
    records = read_records(tmp_path)
    total = len(records)
    roles = sum(r["userIdentity"]["type"] == "AssumedRole" for r in records)
    codes = Counter(r.get("errorCode") for r in records)
    assert abs(roles / total - 0.2) < 0.02
    assert abs(codes[gen_logs.DENIED_CODE] / (total - roles) - 0.03) < 0.01
    assert 0 < codes[gen_logs.SIGNATURE_CODE] < codes[gen_logs.DENIED_CODE]
    (rotation,) = truth["rotated"]
    for record in records:
        key, day = record["userIdentity"]["accessKeyId"], record["eventTime"][:10]
        if key == rotation["old"] and day >= truth["rotation_day"]:
            assert record["sourceIPAddress"] == rotation["stale_ip"]
            assert record["errorCode"] == gen_logs.UNKNOWN_KEY_CODE
        if key == rotation["new"]:
            assert day >= truth["rotation_day"]
        if record["userIdentity"]["type"] == "AssumedRole":
            created = record["userIdentity"]["sessionContext"]["attributes"]["creationDate"]
            assert created == record["eventTime"][:13] + ":00:00Z"
    assert codes[gen_logs.UNKNOWN_KEY_CODE] > 0


def digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in cloudtrail_files(out)
    }


def test_same_arguments_same_bytes_in_any_number_of_processes(tmp_path: Path) -> None:
    arguments: dict[str, Any] = {"accounts": 2, "regions": 2, "days": 2, "records": 40}
    one = gen_logs.generate(tmp_path / "one", seed=5, jobs=1, **arguments)
    two = gen_logs.generate(tmp_path / "two", seed=5, jobs=2, **arguments)
    gen_logs.generate(tmp_path / "other", seed=6, jobs=1, **arguments)
    assert one == two
    assert digests(tmp_path / "one") == digests(tmp_path / "two")
    assert len(digests(tmp_path / "one")) == 2 * 2 * 2 * 2
    assert set(digests(tmp_path / "one").values()).isdisjoint(digests(tmp_path / "other").values())
