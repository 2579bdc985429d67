"""``keydoctor logs`` on CloudTrail Lake and Athena CSV exports, run as a user would.

The generator writes the same events twice, as the CloudTrail JSON tree and as saved query
results (``bench/gen_logs.py --csv``), and returns the truth of what it wrote; so the answer
read from the exports is compared with the answer read from the JSON files of the same
events, key by key and source by source, and both with the generator's own counts.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator
from keydoctor.logs import exports, scan
from keydoctor.redact import mask_key_id

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import gen_logs  # noqa: E402

from logs_cli import answer, logs  # noqa: E402

SHAPES = ("athena", "lake", "lake-flat")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("exports")
    truth = gen_logs.generate(
        out, seed=11, accounts=2, regions=2, days=4, s3_lines=0, csv_shapes=SHAPES
    )
    return out, truth


@pytest.fixture(scope="module")
def json_answer(tree: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    out, _ = tree
    return answer(None, str(out / "AWSLogs"))


@pytest.mark.parametrize("shape", SHAPES)
def test_an_export_answers_as_the_json_tree(
    tree: tuple[Path, dict[str, Any]], json_answer: dict[str, Any], shape: str
) -> None:
    out, truth = tree
    exported = answer(None, str(out / "exports" / shape))
    # Key by key, source by source: every field of every key is the JSON tree's.
    assert exported["keys"] == json_answer["keys"]
    # And both are what was written, not merely equal to each other.
    by_id = {k["key_id"]: k for k in exported["keys"]}
    assert len(by_id) == len(truth["keys"])
    for key, expected in truth["keys"].items():
        got = by_id[mask_key_id(key)]
        assert (got["events"], got["errors"]) == (expected["events"], expected["errors"])
        assert {s["ip"]: s["events"] for s in got["sources"]} == expected["sources"]
    read = exported["read"]
    assert read["records"] == truth["events"] and read["malformed_records"] == 0
    # One file per account × region × day; Athena's .csv.metadata and Lake's sign files
    # are foreign, counted and never read.
    assert read["files"] == 2 * 2 * 4
    assert read["foreign_files"] == (2 * 2 * 4 if shape == "athena" else 2)


def test_filters_apply_to_exports(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    rotation = truth["rotated"][0]
    only = answer(None, str(out / "exports" / "lake"), "--key-id", rotation["old"])
    assert [k["key_id"] for k in only["keys"]] == [mask_key_id(rotation["old"])]
    # Lake's timestamps (2026-01-03 00:00:00.000) compare as the JSON tree's ISO times do.
    since = answer(None, str(out / "exports" / "lake"), "--since", truth["rotation_day"])
    assert since["keys"] and all(k["first_seen"] >= truth["rotation_day"] for k in since["keys"])
    from_json = answer(None, str(out / "AWSLogs"), "--since", truth["rotation_day"])
    assert since["keys"] == from_json["keys"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("hostile-exports")
    truth = gen_logs.generate(
        out,
        seed=5,
        accounts=1,
        regions=1,
        days=2,
        records=10,
        s3_lines=0,
        hostile=True,
        csv_shapes=("athena",),
    )
    return out, truth


def test_hostile_exports_are_counted_never_fatal(hostile: tuple[Path, dict[str, Any]]) -> None:
    """Bad rows (too few fields, too many, bytes that are not UTF-8, blanks), a CSV of
    something else, binary bytes named .csv, a gzip export cut short: all counted, none
    fatal; a value on two lines (CRLF inside quotes) is one value of one row."""
    out, truth = hostile
    document = answer(None, str(out / "exports"))
    read, bad = document["read"], truth["hostile_csv"]
    assert read["malformed_records"] == bad["malformed_records"] == 4
    assert read["truncated_files"] == bad["truncated_files"] == 1
    metadata = len(list((out / "exports" / "athena").rglob("*.csv.metadata")))
    assert metadata == 2
    assert read["foreign_files"] == bad["foreign_files"] + metadata
    assert read["records"] == truth["events"] + bad["events"] + bad["malformed_records"]
    assert sum(k["events"] for k in document["keys"]) == truth["events"] + bad["events"]
    names = {Path(p).name for p in read["set_aside"]}
    assert {"inventory.csv", "dump.csv", "result_9.csv.gz", "bad-rows.csv"} - names == {
        "bad-rows.csv"  # its good row was read: the file is not set aside
    }


def test_no_secret_from_a_csv_row_is_printed(hostile: tuple[Path, dict[str, Any]]) -> None:
    out, truth = hostile
    for fmt in ("text", "json"):
        proc = logs(None, str(out / "exports"), "--quiet", "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout + proc.stderr
        secret = gen_logs.PLANTED_SECRET
        assert all(secret[i : i + 4] not in text for i in range(len(secret) - 3))
        for key in truth["keys"]:
            assert all(key[i : i + 8] not in text for i in range(len(key) - 7))
        assert "homegrown" in text  # the row that carried the secret was read
        assert "homegrown/0.2 (two lines)" in text  # CRLF inside quotes: one space


def test_header_names_never_reach_sql(tmp_path: Path) -> None:
    """Columns are read by position: a header name built as SQL is only a name."""
    evil = "x'); SELECT 1; --"
    header = f'eventtime,"{evil}",useridentity.accesskeyid,sourceipaddress\n'
    rows = "2026-01-01T00:00:00Z,a,AKIAABCDEFGHIJKLMNOP,192.0.2.1\n" * 3
    (tmp_path / "q.csv").write_text(header + rows)
    document = answer(None, str(tmp_path))
    assert [(k["key_id"], k["events"]) for k in document["keys"]] == [
        (mask_key_id("AKIAABCDEFGHIJKLMNOP"), 3)
    ]


def test_headers_decide_what_is_an_export(tmp_path: Path) -> None:
    athena = ("eventversion", "useridentity", "eventtime", "sourceipaddress", "account")
    assert exports.roles(athena) == {"identity": 1, "time": 2, "ip": 3}
    flat = ("eventTime", "userIdentity.accessKeyId", "userIdentity.arn", "errorCode")
    assert exports.roles(flat) == {"time": 0, "key_id": 1, "requester": 2, "error_code": 3}
    assert exports.roles(("eventtime", "sourceipaddress")) is None  # nothing names a key
    assert exports.roles(("useridentity", "awsregion")) is None  # no time
    assert exports.roles(("eventtime", "accesskeyid", "useridentity.accesskeyid")) is None
    plain = tmp_path / "a.csv"
    plain.write_bytes(b"\xef\xbb\xbf" + b'"eventtime","useridentity"\r\n"t","u"\r\n')
    assert exports.sniff(str(plain)) == ("eventtime", "useridentity")  # BOM and CRLF
    packed = tmp_path / "result_1.csv.gz"
    packed.write_bytes(gzip.compress(b"eventTime,userIdentity\n"))
    assert exports.sniff(str(packed)) == ("eventTime", "userIdentity")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00eventtime,useridentity\n")
    assert exports.sniff(str(binary)) is None
    broken = tmp_path / "c.csv.gz"
    broken.write_bytes(b"not gzip at all")
    assert exports.sniff(str(broken)) == exports.UNREADABLE
    lake = "AWSLogs/1/CloudTrail-Lake/Query/2026/01/03/q/"
    assert scan.classify(lake + "result_1.csv.gz") == scan.CSV_EXPORT
    assert scan.classify(lake + "result_sign.json") is None
    assert scan.classify("Unsaved/2026/01/03/q.csv") == scan.CSV_EXPORT
    assert scan.classify("Unsaved/2026/01/03/q.csv.metadata") is None


@pytest.mark.slow
def test_spark_and_duckdb_agree_on_exports(tmp_path: Path) -> None:
    """PySpark local[2] and DuckDB on a tree holding every export shape and hostile files."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    truth = gen_logs.generate(
        tmp_path,
        seed=3,
        accounts=1,
        regions=1,
        days=2,
        records=10,
        s3_lines=5,
        hostile=True,
        csv_shapes=SHAPES,
    )
    env = dict(os.environ, KEYDOCTOR_SPARK_MASTER="local[2]")
    spark = answer(env, str(tmp_path), "--engine", "spark")
    duck = answer(env, str(tmp_path), "--engine", "duckdb")
    assert spark.pop("engine") == "spark" and duck.pop("engine") == "duckdb"
    assert spark == duck
    hostile = truth["hostile"]["malformed_records"] + truth["hostile_csv"]["malformed_records"]
    assert spark["read"]["malformed_records"] == hostile == 6
    assert spark["read"]["truncated_files"] == 2  # one JSON, one CSV export
    # Each event was written four times (JSON and three exports), plus the hostile rows.
    assert sum(k["events"] for k in spark["keys"]) == 4 * truth["events"] + 1 + 2


def test_exports_under_an_s3_prefix_give_the_local_answer(
    hostile: tuple[Path, dict[str, Any]], moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    """Exports copied from a bucket are sniffed like local ones; foreign ones keep their URL."""
    out, _ = hostile
    root = out / "exports"
    bucket = f"kd-results-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket)
    s3 = moto_server.client("s3")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, "results/" + path.relative_to(root).as_posix())
    assert moto_server.admin is not None
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID=moto_server.admin.access_key_id,
        AWS_SECRET_ACCESS_KEY=moto_server.admin.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
    )
    remote = answer(env, f"s3://{bucket}/results/", "--endpoint-url", moto_server.endpoint)
    local = answer(None, str(root))
    assert remote["keys"] == local["keys"] and remote["keys"]
    for field in ("files", "records", "malformed_records", "foreign_files", "truncated_files"):
        assert remote["read"][field] == local["read"][field], field
    assert f"s3://{bucket}/results/hostile/inventory.csv" in remote["read"]["set_aside"]
