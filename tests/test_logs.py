"""``keydoctor logs`` on generated CloudTrail and S3 access log trees, run as a user would.

The generator (``bench/gen_logs.py``) returns the truth of what it wrote (events, errors
and addresses per key, the rotated keys and the host that kept the old one, the hostile
files), so every figure of the answer is compared with a number that was not computed by
the code under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from keydoctor.catalog import codes
from keydoctor.commands.logs import parse_since
from keydoctor.lab.emulator import Emulator
from keydoctor.logs import scan, sql
from keydoctor.redact import mask_key_id

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import gen_logs  # noqa: E402

from logs_cli import answer, logs  # noqa: E402

START = date(2026, 1, 1)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("logs")
    truth = gen_logs.generate(out, seed=11, accounts=2, regions=2, days=4, hostile=True)
    return out, truth


def test_every_key_is_counted_as_written(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    document = answer(None, str(out))
    by_id = {k["key_id"]: k for k in document["keys"]}
    # The hostile file adds one good record for the first user's key.
    hostile_key = next(iter(k for k in truth["keys"] if k.startswith("AKIA")))
    assert len(by_id) == len(truth["keys"])
    for key, expected in truth["keys"].items():
        got = by_id[mask_key_id(key)]
        extra = 0
        if got["events"] != expected["events"]:
            extra = got["events"] - expected["events"]
        assert extra in (0, 1)
        assert got["errors"] == expected["errors"]
        ips = {s["ip"]: 0 for s in got["sources"]}
        for source in got["sources"]:
            ips[source["ip"]] += source["events"]
        ips.pop("192.0.2.99", None)  # the hostile record's address
        assert ips == expected["sources"], key
        assert sum(s["events"] for s in got["sources"]) == got["events"]
        assert got["first_seen"] <= got["last_seen"]
    assert hostile_key  # the tree is not empty
    assert sum(k["events"] for k in document["keys"]) == truth["events"] + 1


def test_bad_files_are_counted_not_fatal(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    read = answer(None, str(out))["read"]
    hostile = truth["hostile"]
    assert read["malformed_records"] == hostile["malformed_records"]
    assert read["truncated_files"] == hostile["truncated_files"]
    assert read["unreadable_files"] == hostile["unreadable_files"]
    assert read["foreign_files"] == hostile["foreign_files"]
    assert read["records"] == truth["events"] + 3 + truth["s3_access"]["lines"]
    assert len(read["set_aside"]) == 5


def test_a_rotated_key_names_the_host_that_kept_it(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    document = answer(None, str(out))
    by_id = {k["key_id"]: k for k in document["keys"]}
    for rotation in truth["rotated"]:
        old = by_id[mask_key_id(rotation["old"])]
        unknown = [f for f in old["failures"] if f["family"] == codes.UNKNOWN_KEY]
        assert len(unknown) == 1
        assert unknown[0]["ips"] == [rotation["stale_ip"]]
        assert unknown[0]["auth"] is True
        assert "no longer knows" in unknown[0]["hint"]
        # The new key only appears from the rotation day on.
        assert by_id[mask_key_id(rotation["new"])]["first_seen"] >= truth["rotation_day"]


def test_filters_key_since_and_errors(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    rotation = truth["rotated"][0]
    only = answer(None, str(out), "--key-id", rotation["old"])
    assert [k["key_id"] for k in only["keys"]] == [mask_key_id(rotation["old"])]
    assert only["requesters"] == []  # access log lines carry no key id
    since = answer(None, str(out), "--since", truth["rotation_day"])
    assert all(k["first_seen"] >= truth["rotation_day"] for k in since["keys"])
    # Folders of days before the day ahead of --since are never opened: day 1 holds 2
    # accounts × 2 regions × 2 files and the 3 hostile CloudTrail-named files.
    assert truth["rotation_day"] == "2026-01-03"
    assert since["read"]["pruned_files"] == 2 * 2 * 2 + 3
    assert since["read"]["truncated_files"] == 0
    assert sum(k["events"] for k in since["keys"]) < truth["events"]
    errors = answer(None, str(out), "--errors-only")
    assert errors["keys"] and all(k["events"] == k["errors"] for k in errors["keys"])
    assert sum(k["errors"] for k in errors["keys"]) == sum(
        v["errors"] for v in truth["keys"].values()
    )


def test_access_logs_are_grouped_by_requester(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    requesters = answer(None, str(out))["requesters"]
    assert sum(r["events"] for r in requesters) == truth["s3_access"]["lines"]
    assert sum(r["errors"] for r in requesters) == truth["s3_access"]["errors"]
    assert all(r["requester"].startswith("arn:aws:iam::") for r in requesters)


def test_text_names_keys_masked_and_the_secret_never(tree: tuple[Path, dict[str, Any]]) -> None:
    out, truth = tree
    proc = logs(None, str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    for key in truth["keys"]:
        assert mask_key_id(key) in text
        assert all(key[i : i + 8] not in text for i in range(len(key) - 7))
    secret = gen_logs.PLANTED_SECRET
    assert all(secret[i : i + 4] not in text for i in range(len(secret) - 3))
    assert "1 truncated files" in text and "2 malformed records" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/kd-logs"], "no such file or folder"),
        (["--since", "yesterday"], "--since takes"),
        (["--key-id", "not-a-key; DROP TABLE x"], "not an access key id"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    full = args if args[0].startswith("/") else [str(tmp_path), *args]
    proc = logs(None, *full)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and message in proc.stderr


def test_filters_refuse_what_is_not_validated() -> None:
    with pytest.raises(ValueError):
        sql.filters(["AKIA' OR 1=1 --"], None, False)
    with pytest.raises(ValueError):
        sql.filters([], "2026-01-01' OR TRUE", False)
    where = sql.filters(["AKIAABCDEFGHIJKLMNOP"], "2026-01-01T00:00:00Z", True)
    assert "key_id IN ('AKIAABCDEFGHIJKLMNOP')" in where and "error_code IS NOT NULL" in where


def test_since_spans_and_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert parse_since("30d", now) == "2026-03-01T12:00:00Z"
    assert parse_since("12h", now) == "2026-03-31T00:00:00Z"
    assert parse_since("2026-01-31", now) == "2026-01-31T00:00:00Z"
    assert parse_since(None, now) is None


def test_file_names_decide_the_reader() -> None:
    base = "AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2026/01/01/"
    assert scan.classify(base + "x_CloudTrail_us-east-1_20260101T0000Z_ab.json.gz") == "cloudtrail"
    assert scan.classify("AWSLogs/o-1/1/CloudTrail-Digest/us-east-1/d.json.gz") is None
    assert scan.classify("logs/2026-01-01-00-00-00-0123456789ABCDEF") == "access-log"
    assert scan.classify("README.txt") is None


def test_athena_prints_the_same_grouping(tree: tuple[Path, dict[str, Any]]) -> None:
    proc = logs(
        None,
        "s3://trail-bucket/AWSLogs/o-1",
        "--engine",
        "athena",
        "--key-id",
        "AKIAABCDEFGHIJKLMNOP",
        "--since",
        "2026-01-02",
    )
    assert proc.returncode == 0, proc.stderr
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs" in proc.stdout
    assert "LOCATION 's3://trail-bucket/AWSLogs/o-1/'" in proc.stdout
    assert "day >= '2026/01/02'" in proc.stdout
    assert sql.filters(["AKIAABCDEFGHIJKLMNOP"], "2026-01-02T00:00:00Z", False) in proc.stdout
    assert "GROUP BY kind, key_id, requester" in proc.stdout


def test_s3_prefix_on_moto_gives_the_local_answer(
    tree: tuple[Path, dict[str, Any]], moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    """The same tree uploaded to a bucket, read with the credentials the shell resolves."""
    out, _ = tree
    bucket = f"kd-trail-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket)
    s3 = moto_server.client("s3")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, "logs/" + path.relative_to(out).as_posix())
    assert moto_server.admin is not None
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID=moto_server.admin.access_key_id,
        AWS_SECRET_ACCESS_KEY=moto_server.admin.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
    )
    remote = answer(env, f"s3://{bucket}/logs/", "--endpoint-url", moto_server.endpoint)
    local = answer(None, str(out))
    assert remote["keys"] == local["keys"]
    assert remote["requesters"] == local["requesters"]
    for field in ("files", "bytes", "records", "malformed_records", "truncated_files"):
        assert remote["read"][field] == local["read"][field], field
    assert any(p.startswith(f"s3://{bucket}/logs/") for p in remote["read"]["set_aside"])


@pytest.mark.slow
def test_spark_and_duckdb_agree(tree: tuple[Path, dict[str, Any]]) -> None:
    """PySpark local[2] and DuckDB on the same files: the same answer, row for row."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    out, _ = tree
    env = dict(os.environ, KEYDOCTOR_SPARK_MASTER="local[2]")
    spark = answer(env, str(out), "--engine", "spark")
    duck = answer(env, str(out), "--engine", "duckdb")
    assert spark.pop("engine") == "spark" and duck.pop("engine") == "duckdb"
    assert spark == duck
    assert spark["keys"] and spark["read"]["truncated_files"] == 1


def _stderr_on_a_terminal(*args: str) -> str:
    """Run ``keydoctor logs`` with stderr on a pseudo-terminal; return what it wrote there."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "logs", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        timeout=300,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_on_a_terminal_only(tree: tuple[Path, dict[str, Any]]) -> None:
    out, _ = tree
    shown = _stderr_on_a_terminal(str(out))
    assert "files " in shown and "MB" in shown and "events/s" in shown and "s left" in shown
    assert shown.rstrip().endswith("\x1b[K")  # the line is cleared before the answer
    assert "events/s" not in _stderr_on_a_terminal(str(out), "--quiet")
    piped = logs(None, str(out))
    assert piped.returncode == 0 and "events/s" not in piped.stderr
