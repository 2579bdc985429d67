"""The engines that run ``sql.py``: DuckDB embedded, PySpark, and Athena (printed only).

Both running engines return the same :class:`ReadResult`: the rows of ``sql.GROUPED``
(already small) and what could not be read. DuckDB reads in batches so that a progress
line can move and so that one bad file costs one batch a second, file-by-file pass (the
bad file is then named and counted, the rest of the batch still counts). Spark reads the
whole list in one pass with its typed JSON reader, skips corrupt files
(``ignoreCorruptFiles``) and names them after the fact from the files whose own row
(``sql.SPARK_MARKS``) did not come back.

CloudTrail Lake and Athena CSV exports are read in groups of files with the same header
(one query text per header shape, ``sql.duckdb_csv`` / ``sql.spark_csv``). Their malformed
rows come back beside the rows, not in them: DuckDB lists them in its ``reject_errors``
table, Spark marks them in a corrupt-record column; both are counted as malformed records.

``duckdb`` and ``pyspark`` are imported here, lazily, only by the engine that runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keydoctor.errors import UsageError
from keydoctor.logs import exports, sql
from keydoctor.logs.scan import ACCESS_LOG, CLOUDTRAIL, CSV_EXPORT, LogFile, why_unreadable

Row = tuple[Any, ...]
Progress = Callable[[int, int, int], None]  # files done, bytes done, records so far
BATCH_BYTES = 48 * 1024 * 1024
BATCH_FILES = 512


@dataclass
class ReadResult:
    rows: list[Row] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0
    truncated: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def merge(self, rows: Sequence[Row]) -> None:
        """Add grouped rows; rows of the same group are summed (times: min and max)."""
        width = len(sql.GROUP_COLUMNS)
        index = {row[:width]: n for n, row in enumerate(self.rows)}
        for row in rows:
            group = tuple(row[:width])
            at = index.get(group)
            if at is None:
                index[group] = len(self.rows)
                self.rows.append(tuple(row))
                continue
            old = self.rows[at]
            first = min((t for t in (old[width], row[width]) if t is not None), default=None)
            last = max((t for t in (old[width + 1], row[width + 1]) if t is not None), default=None)
            self.rows[at] = (*group, first, last, old[width + 2] + row[width + 2])

    def set_aside(self, path: str) -> None:
        (self.truncated if why_unreadable(path) == "truncated" else self.unreadable).append(path)


def _batches(files: list[LogFile]) -> list[list[LogFile]]:
    batches: list[list[LogFile]] = []
    current: list[LogFile] = []
    size = 0
    for item in files:
        if current and (size + item.size > BATCH_BYTES or len(current) >= BATCH_FILES):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    return batches


def run_duckdb(files: list[LogFile], where: str, progress: Progress | None = None) -> ReadResult:
    """Read with embedded DuckDB, one batch of files per query."""
    try:
        import duckdb
    except ImportError as exc:
        raise UsageError(
            "the duckdb engine needs the duckdb package: pip install 'keydoctor[logs]'"
        ) from exc
    connection = duckdb.connect(":memory:")
    connection.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
    result = ReadResult()
    # Each kind's readers, fastest first: a file the first cannot read is tried with the
    # next (the exact CloudTrail reader counts records that are not objects), and a file
    # none can read is set aside, named and counted.
    readers = {
        CLOUDTRAIL: (sql.DUCKDB_CLOUDTRAIL_TYPED, sql.DUCKDB_CLOUDTRAIL),
        ACCESS_LOG: (sql.DUCKDB_ACCESS_LOG,),
    }
    records = 0
    for kind in (CLOUDTRAIL, ACCESS_LOG):
        queries = [sql.grouped("(" + reader + ")", where) for reader in readers[kind]]
        for batch in _batches([f for f in files if f.kind == kind]):
            try:
                rows = connection.execute(
                    queries[0], {"files": [f.path for f in batch]}
                ).fetchall()
            except duckdb.Error:
                rows = []
                for item in batch:
                    for query in queries:
                        try:
                            rows += connection.execute(query, {"files": [item.path]}).fetchall()
                            break
                        except duckdb.Error:
                            continue
                    else:
                        result.set_aside(item.path)
            result.merge(rows)
            result.files_read += len(batch)
            result.bytes_read += sum(f.size for f in batch)
            records += sum(int(r[-1]) for r in rows)
            if progress is not None:
                progress(result.files_read, result.bytes_read, records)
    for batch in _csv_batches(files, result):
        rows = _duckdb_csv_batch(connection, duckdb.Error, batch, where, result)
        result.merge(rows)
        result.files_read += len(batch)
        result.bytes_read += sum(f.size for f in batch)
        records += sum(int(r[-1]) for r in rows)
        if progress is not None:
            progress(result.files_read, result.bytes_read, records)
    connection.close()
    aside = {*result.truncated, *result.unreadable}
    result.files_read -= len(aside)
    result.bytes_read -= sum(f.size for f in files if f.path in aside)
    return result


def _shapes(files: list[LogFile]) -> dict[tuple[str, ...], list[LogFile]]:
    """CSV exports grouped by header; one query text reads each group."""
    shapes: dict[tuple[str, ...], list[LogFile]] = {}
    for item in files:
        if item.kind == CSV_EXPORT and item.columns != exports.UNREADABLE:
            shapes.setdefault(item.columns, []).append(item)
    return shapes


def _csv_batches(files: list[LogFile], result: ReadResult) -> list[list[LogFile]]:
    """Batches of same-header CSV exports; one that could not be opened is set aside."""
    for item in files:
        if item.kind == CSV_EXPORT and item.columns == exports.UNREADABLE:
            result.set_aside(item.path)
            result.files_read += 1  # taken back with the other set-aside files
            result.bytes_read += item.size
    return [batch for group in _shapes(files).values() for batch in _batches(group)]


def _malformed(count: int) -> Row:
    return ("malformed", *(None,) * (len(sql.GROUP_COLUMNS) - 1), None, None, count)


def _duckdb_csv_batch(
    connection: Any, error: type[Exception], batch: list[LogFile], where: str, result: ReadResult
) -> list[Row]:
    """One batch of same-header exports; a failing batch is read again file by file."""
    columns = batch[0].columns
    found = exports.roles(columns)
    assert found is not None  # the listing kept only exports with a known header
    query = sql.grouped("(" + sql.duckdb_csv(found, len(columns)) + ")", where)

    def read(paths: list[str]) -> list[Row]:
        try:
            after = connection.execute(sql.DUCKDB_CSV_LAST_SCAN).fetchone()[0]
        except error:
            after = 0  # no scan has kept rejects yet: DuckDB creates the table on the first
        rows: list[Row] = connection.execute(query, {"files": paths}).fetchall()
        rejected = connection.execute(sql.DUCKDB_CSV_REJECTS, {"after": after}).fetchone()[0]
        return rows + ([_malformed(int(rejected))] if rejected else [])

    try:
        return read([f.path for f in batch])
    except error:
        rows: list[Row] = []
        for item in batch:
            try:
                rows += read([item.path])
            except error:
                result.set_aside(item.path)
        return rows


def spark_session(master: str = "local[2]") -> Any:
    """A Spark session in UTC that skips corrupt files (they are counted afterwards)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError("the spark engine needs pyspark: pip install pyspark") from exc
    return (
        SparkSession.builder.master(os.environ.get("KEYDOCTOR_SPARK_MASTER", master))
        .appName("keydoctor-logs")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.files.ignoreCorruptFiles", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.sql.shuffle.partitions", "4")
        # CloudTrail writes many small files (tens of KB of gzip): opening one costs about
        # as much as reading 1 MB, not the default 4 MB, so a read task packs more of them.
        .config("spark.sql.files.openCostInBytes", str(1 << 20))
        # The paths handed over are files already listed by keydoctor. Above this many
        # paths (32 by default) Spark lists them with a distributed job of its own; a stat
        # per file in the driver is all they need.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", str(1 << 30))
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )


def run_spark(files: list[LogFile], where: str, progress: Progress | None = None) -> ReadResult:
    """Read with Spark: the same rows, grouped by the same SQL text."""
    from pyspark.sql import functions

    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    result = ReadResult()
    frames = []
    seen: set[str] = set()
    trail = [f.path for f in files if f.kind == CLOUDTRAIL]
    access = [f.path for f in files if f.kind == ACCESS_LOG]
    if trail:
        docs = (
            spark.read.schema(sql.SPARK_TRAIL_SCHEMA)
            .option("multiLine", "true")
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "_corrupt")
            .json(trail)
            .withColumn("file", functions.input_file_name())
        )
        docs.createOrReplaceTempView("cloudtrail_docs")
        frames.append(spark.sql(sql.SPARK_CLOUDTRAIL))
    if access:
        lines = spark.read.text(access).withColumnRenamed("value", "line")
        lines = lines.withColumn("file", functions.input_file_name())
        lines.createOrReplaceTempView("access_lines")
        seen |= {r[0] for r in lines.select("file").distinct().collect()}
        frames.append(spark.sql(sql.SPARK_ACCESS_LOG))
    frames += _spark_csv_frames(spark, files, result, seen)
    if frames:
        events = frames[0]
        for frame in frames[1:]:
            events = events.unionByName(frame)
        events.createOrReplaceTempView("events")
        rows = [tuple(r) for r in spark.sql(sql.grouped("events", where)).collect()]
        # The per-file rows of the CloudTrail reader say which files gave rows; a document
        # without Records is one foreign document; a file that is not JSON at all is
        # unreadable, as it is to DuckDB.
        requester = sql.GROUP_COLUMNS.index("requester")
        marks = [r for r in rows if r[0] in sql.SPARK_MARKS]
        seen |= {r[requester] for r in marks if r[0] != sql.SPARK_UNREADABLE_MARK}
        unreadable = {_local(r[requester]) for r in marks if r[0] == sql.SPARK_UNREADABLE_MARK}
        result.unreadable += [f.path for f in files if os.path.realpath(f.path) in unreadable]
        foreign = [r for r in marks if r[0] == sql.SPARK_FOREIGN_MARK]
        if foreign:
            empty = (None,) * (len(sql.GROUP_COLUMNS) - 1)
            rows.append(("foreign", *empty, None, None, sum(int(r[-1]) for r in foreign)))
        result.merge([r for r in rows if r[0] not in sql.SPARK_MARKS])
    read = {_local(uri) for uri in seen}
    for item in files:
        if item.path in result.unreadable or item.path in result.truncated:
            continue
        if os.path.realpath(item.path) in read:
            result.files_read += 1
            result.bytes_read += item.size
        elif item.size > 0:
            result.set_aside(item.path)
        else:
            result.files_read += 1  # an empty file holds nothing, and is not an error
    if progress is not None:
        progress(result.files_read, result.bytes_read, sum(int(r[-1]) for r in result.rows))
    return result


def _spark_csv_frames(
    spark: Any, files: list[LogFile], result: ReadResult, seen: set[str]
) -> list[Any]:
    """One frame of EVENT_COLUMNS per header shape of the CSV exports.

    Spark's ``ignoreCorruptFiles`` keeps the rows read before a gzip stream breaks, where
    DuckDB keeps none of that file; so compressed exports are checked first (one
    decompression, as ``zcat`` does) and a broken one is set aside before Spark sees it.
    """
    frames = []
    for item in files:
        if item.kind == CSV_EXPORT and (
            item.columns == exports.UNREADABLE or (item.path.endswith(".gz") and _broken(item.path))
        ):
            result.set_aside(item.path)
    aside = {*result.truncated, *result.unreadable}
    for number, (columns, group) in enumerate(_shapes(files).items()):
        paths = [f.path for f in group if f.path not in aside]
        if not paths:
            continue
        found = exports.roles(columns)
        assert found is not None  # the listing kept only exports with a known header
        view = f"csv_export_{number}"
        (
            spark.read.schema(sql.spark_csv_schema(len(columns)))
            .option("header", "true")
            .option("multiLine", "true")
            .option("escape", '"')
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "_corrupt")
            .csv(paths)
            .createOrReplaceTempView(view)
        )
        frames.append(spark.sql(sql.spark_csv(found, len(columns), view)))
        seen |= {Path(p).resolve().as_uri() for p in paths}
    return frames


def _broken(path: str) -> bool:
    import gzip
    import zlib

    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (EOFError, zlib.error, OSError):
        return True
    return False


def _local(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return os.path.realpath(unquote(urlparse(uri).path))
