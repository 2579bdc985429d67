"""Every SQL text of ``keydoctor logs``: the readers of each engine, the one grouping, Athena.

Each reader yields the same columns (``EVENT_COLUMNS``), one row per log record:
``kind`` says whether the row is an ``event``, a ``malformed`` record (an element of
``Records`` that is not an object, an access log line of another shape) or a ``foreign``
document (JSON without a ``Records`` array, such as a digest). Times are ISO strings
(``2026-01-03T13:32:14Z``), which order as text in every engine, so the grouping needs no
time type and no dialect: ``GROUPED`` is plain SQL that DuckDB, Spark SQL and Athena
(Trino) all run as written.

Values put into SQL text (a key id, a time) are validated by the caller first
(:func:`filters`), never pasted from the command line as they came.
"""

from __future__ import annotations

import re

EVENT_COLUMNS = (
    "kind",
    "event_time",
    "key_id",
    "requester",
    "ip",
    "user_agent",
    "error_code",
    "account",
    "region",
    "service",
    "operation",
)
GROUP_COLUMNS = EVENT_COLUMNS[:1] + EVENT_COLUMNS[2:]
GROUPED_COLUMNS = (*GROUP_COLUMNS, "first_seen", "last_seen", "events")

# One S3 server access log line (owner, bucket, [time], ip, requester, request id,
# operation, key, "request", status, error, sizes and times, "referrer"), up to the user
# agent (the fields after it vary with the line's age and are not needed). RE2 (DuckDB)
# and java.util.regex (Spark) read it alike.
ACCESS_LOG_LINE = (
    r'^\S+ \S+ \[([^\]]+)\] (\S+) (\S+) \S+ (\S+) \S+ "[^"]*" \S+ (\S+) '
    r'\S+ \S+ \S+ \S+ "[^"]*" "([^"]*)"'
)
# Only the fields the answer needs are captured (RE2 in DuckDB numbers groups up to 9).
ACCESS_LOG_GROUPS = {"time": 1, "ip": 2, "requester": 3, "operation": 4, "error": 5, "ua": 6}
# The account of an IAM or STS ARN (the requester of an access log line).
ARN_ACCOUNT = r"^arn:aws[a-z-]*:(?:iam|sts)::([0-9]{12}):"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
SAFE_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
MAX_OBJECT_BYTES = 256 * 1024 * 1024  # CloudTrail files are far smaller; a guard, not a limit

# The fields of a CloudTrail record that the answer needs, for json_transform.
_DUCKDB_RECORD = (
    '{"eventTime":"VARCHAR","eventSource":"VARCHAR","eventName":"VARCHAR",'
    '"awsRegion":"VARCHAR","sourceIPAddress":"VARCHAR","userAgent":"VARCHAR",'
    '"errorCode":"VARCHAR","recipientAccountId":"VARCHAR",'
    '"userIdentity":{"accessKeyId":"VARCHAR","arn":"VARCHAR","accountId":"VARCHAR"}}'
)

DUCKDB_CLOUDTRAIL = f"""
WITH docs AS (
  SELECT json FROM read_json_objects(
    $files, format = 'unstructured', compression = 'auto',
    maximum_object_size = {MAX_OBJECT_BYTES})
), recs AS (
  SELECT unnest(CASE WHEN json_type(json, '$.Records') = 'ARRAY'
                     THEN json_extract(json, '$.Records[*]')
                     ELSE [NULL::JSON] END) AS r
  FROM docs
), typed AS (
  SELECT CASE WHEN r IS NULL THEN 'foreign'
              WHEN json_type(r) = 'OBJECT' THEN 'event'
              ELSE 'malformed' END AS kind,
         CASE WHEN json_type(r) = 'OBJECT'
              THEN json_transform(r, '{_DUCKDB_RECORD}') END AS e
  FROM recs
)
SELECT kind,
       e.eventTime AS event_time,
       e.userIdentity.accessKeyId AS key_id,
       e.userIdentity.arn AS requester,
       e.sourceIPAddress AS ip,
       e.userAgent AS user_agent,
       e.errorCode AS error_code,
       coalesce(e.recipientAccountId, e.userIdentity.accountId) AS account,
       e.awsRegion AS region,
       e.eventSource AS service,
       e.eventName AS operation
FROM typed
"""


# The fast reader: DuckDB's JSON reader with the one column it needs, typed, so the
# records are parsed once into the fields above (no JSON text per record, no
# json_transform). A document it cannot type (an element of Records that is not an
# object, Records of another type) makes the query fail; the engine then reads that file
# with DUCKDB_CLOUDTRAIL, which counts such records one by one.
_DUCKDB_RECORD_TYPE = (
    "STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, "
    "sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, "
    "recipientAccountId VARCHAR, "
    "userIdentity STRUCT(accessKeyId VARCHAR, arn VARCHAR, accountId VARCHAR))"
)
DUCKDB_CLOUDTRAIL_TYPED = f"""
SELECT CASE WHEN no_records THEN 'foreign'
            WHEN r IS NULL THEN 'malformed' ELSE 'event' END AS kind,
       r.eventTime AS event_time,
       r.userIdentity.accessKeyId AS key_id,
       r.userIdentity.arn AS requester,
       r.sourceIPAddress AS ip,
       r.userAgent AS user_agent,
       r.errorCode AS error_code,
       coalesce(r.recipientAccountId, r.userIdentity.accountId) AS account,
       r.awsRegion AS region,
       r.eventSource AS service,
       r.eventName AS operation
FROM (
  SELECT Records IS NULL AS no_records,
         unnest(coalesce(Records, [NULL::{_DUCKDB_RECORD_TYPE}])) AS r
  FROM read_json($files, format = 'unstructured', records = true, compression = 'auto',
                 maximum_object_size = {MAX_OBJECT_BYTES},
                 columns = {{'Records': '{_DUCKDB_RECORD_TYPE}[]'}})
)
"""


def _access_log_reader(lines: str, pattern: str, matches: str, iso_time: str) -> str:
    """The S3 access log reader over ``lines`` (a relation with a ``line`` column).

    One text serves both engines, which differ in three places only, each passed in:
    ``pattern`` is ACCESS_LOG_LINE as the engine's string literals need it (Spark reads
    backslash escapes, DuckDB does not), ``matches`` tests ``line`` against ``{pattern}``,
    and ``iso_time`` turns the log's ``{time}`` (``06/Feb/2026:00:00:38``) into ISO text.
    """

    def group(name: str) -> str:
        return f"nullif(regexp_extract(line, '{pattern}', {ACCESS_LOG_GROUPS[name]}), '-')"

    return f"""
SELECT CASE WHEN {matches.format(pattern=pattern)} THEN 'event'
            ELSE 'malformed' END AS kind,
       {iso_time.format(time=f"substr({group('time')}, 1, 20)")} AS event_time,
       CAST(NULL AS STRING) AS key_id,
       {group("requester")} AS requester,
       {group("ip")} AS ip,
       {group("ua")} AS user_agent,
       {group("error")} AS error_code,
       nullif(regexp_extract({group("requester")}, '{ARN_ACCOUNT}', 1), '') AS account,
       CAST(NULL AS STRING) AS region,
       's3.amazonaws.com' AS service,
       {group("operation")} AS operation
FROM {lines} WHERE trim(line) <> ''
"""


DUCKDB_ACCESS_LOG = _access_log_reader(
    "(SELECT unnest(string_split(content, chr(10))) AS line FROM read_text($files))",
    ACCESS_LOG_LINE,
    "regexp_matches(line, '{pattern}')",
    "strftime(strptime({time}, '%d/%b/%Y:%H:%M:%S'), '%Y-%m-%dT%H:%M:%SZ')",
)

# Spark: CloudTrail is read by Spark's own JSON reader (``multiLine``: one document per
# file) with a schema of only the fields used, so Jackson skips everything else and no
# record is parsed twice. A document in which one element of ``Records`` is not an object
# does not fit that schema: Spark then keeps the whole text in ``_corrupt``, and only such
# documents take the slow path (``Records`` as strings, each element parsed on its own),
# which counts malformed elements exactly as DuckDB does; a text that is not JSON at all is
# an unreadable file. Each document's array gets one element more, its last, which becomes
# the file's own row (kind ``file``, ``foreign-file`` or ``unreadable-file``, the path in
# ``requester``): which files gave rows is known from the same single pass, and no record
# can forge it (the position decides, not a value).
SPARK_RECORD_SCHEMA = (
    "eventTime STRING, eventSource STRING, eventName STRING, awsRegion STRING, "
    "sourceIPAddress STRING, userAgent STRING, errorCode STRING, recipientAccountId STRING, "
    "userIdentity STRUCT<accessKeyId: STRING, arn: STRING, accountId: STRING>"
)
SPARK_RECORD_TYPE = (
    "STRUCT<eventTime: STRING, eventSource: STRING, eventName: STRING, awsRegion: STRING, "
    "sourceIPAddress: STRING, userAgent: STRING, errorCode: STRING, "
    "recipientAccountId: STRING, "
    "userIdentity: STRUCT<accessKeyId: STRING, arn: STRING, accountId: STRING>>"
)
SPARK_TRAIL_SCHEMA = f"Records ARRAY<{SPARK_RECORD_TYPE}>, _corrupt STRING"
SPARK_RECORDS_SCHEMA = "Records ARRAY<STRING>, _corrupt STRING"
SPARK_FILE_MARK = "file"
SPARK_FOREIGN_MARK = "foreign-file"
SPARK_UNREADABLE_MARK = "unreadable-file"
SPARK_MARKS = (SPARK_FILE_MARK, SPARK_FOREIGN_MARK, SPARK_UNREADABLE_MARK)

SPARK_CLOUDTRAIL = f"""
SELECT CASE WHEN pos = last THEN doc_kind
            WHEN r IS NULL THEN 'malformed' ELSE 'event' END AS kind,
       r.eventTime AS event_time,
       r.userIdentity.accessKeyId AS key_id,
       CASE WHEN pos = last THEN file ELSE r.userIdentity.arn END AS requester,
       r.sourceIPAddress AS ip,
       r.userAgent AS user_agent,
       r.errorCode AS error_code,
       coalesce(r.recipientAccountId, r.userIdentity.accountId) AS account,
       r.awsRegion AS region,
       r.eventSource AS service,
       r.eventName AS operation
FROM (
  SELECT file, doc_kind, size(recs) - 1 AS last, posexplode(recs) AS (pos, r)
  FROM (
    SELECT file,
           CASE WHEN Records IS NOT NULL OR slow.Records IS NOT NULL THEN '{SPARK_FILE_MARK}'
                WHEN _corrupt IS NULL THEN '{SPARK_FOREIGN_MARK}'
                ELSE '{SPARK_UNREADABLE_MARK}' END AS doc_kind,
           concat(CASE WHEN Records IS NOT NULL THEN Records
                       WHEN slow.Records IS NOT NULL
                       THEN transform(slow.Records,
                                      s -> CASE WHEN substr(ltrim(s), 1, 1) = '{{'
                                                THEN from_json(s, '{SPARK_RECORD_SCHEMA}') END)
                       ELSE array() END,
                  array(CAST(NULL AS {SPARK_RECORD_TYPE}))) AS recs
    FROM (
      SELECT file, Records, _corrupt,
             CASE WHEN _corrupt IS NOT NULL
                  THEN from_json(_corrupt, '{SPARK_RECORDS_SCHEMA}',
                                 map('columnNameOfCorruptRecord', '_corrupt')) END AS slow
      FROM cloudtrail_docs
    )
  )
)
"""


SPARK_ACCESS_LOG = _access_log_reader(
    "access_lines",
    ACCESS_LOG_LINE.replace("\\", "\\\\"),
    "line RLIKE '{pattern}'",
    "date_format(to_timestamp({time}, 'dd/MMM/yyyy:HH:mm:ss'), \"yyyy-MM-dd'T'HH:mm:ss'Z'\")",
)

# The one grouping, over any relation of EVENT_COLUMNS. {events} is a table name or a
# parenthesised query; {where} comes from :func:`filters`.
GROUPED = (
    "SELECT "
    + ", ".join(GROUP_COLUMNS)
    + ", MIN(event_time) AS first_seen, MAX(event_time) AS last_seen, COUNT(*) AS events"
    + " FROM {events} AS ev WHERE kind <> 'event' OR ({where}) GROUP BY "
    + ", ".join(GROUP_COLUMNS)
)


def filters(key_ids: list[str], since: str | None, errors_only: bool) -> str:
    """The WHERE condition on events, from validated values only."""
    parts = ["TRUE"]
    for key in key_ids:
        if not SAFE_KEY_ID.fullmatch(key):
            raise ValueError("a key id is 16 to 128 capital letters and digits")
    if key_ids:
        parts.append("key_id IN (" + ", ".join(f"'{k}'" for k in key_ids) + ")")
    if since is not None:
        if not ISO_TIME.fullmatch(since):
            raise ValueError("since must be an ISO time such as 2026-01-01T00:00:00Z")
        parts.append(f"event_time >= '{since}'")
    if errors_only:
        parts.append("error_code IS NOT NULL")
    return " AND ".join(parts)


def grouped(events: str, where: str) -> str:
    return GROUPED.format(events=events, where=where)


# Athena: the documented CloudTrail table (CloudTrail's SerDe, partition projection on
# account, region and date), and the same grouping over it.
ATHENA_TABLE = """CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs (
  eventversion STRING,
  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
                      accesskeyid: STRING, username: STRING>,
  eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING,
  sourceipaddress STRING, useragent STRING, errorcode STRING, errormessage STRING,
  requestparameters STRING, responseelements STRING, recipientaccountid STRING
)
PARTITIONED BY (account STRING, region STRING, day STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{location}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.account.type' = 'injected',
  'projection.region.type' = 'injected',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy/MM/dd',
  'projection.day.range' = '2013/01/01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '{location}${{account}}/CloudTrail/${{region}}/${{day}}'
);"""

ATHENA_EVENTS = """(SELECT 'event' AS kind,
        eventtime AS event_time,
        useridentity.accesskeyid AS key_id,
        useridentity.arn AS requester,
        sourceipaddress AS ip,
        useragent AS user_agent,
        errorcode AS error_code,
        coalesce(recipientaccountid, useridentity.accountid) AS account,
        awsregion AS region,
        eventsource AS service,
        eventname AS operation
   FROM cloudtrail_logs
  WHERE {partitions})"""


def athena(location: str, where: str, since_day: str | None) -> str:
    """The table and the query Athena would run for the same answer (not executed here)."""
    partitions = "TRUE" if since_day is None else f"day >= '{since_day}'"
    events = ATHENA_EVENTS.format(partitions=partitions)
    return (
        ATHENA_TABLE.format(location=location)
        + "\n\n-- Projected partitions need the accounts and regions named, e.g.\n"
        + "-- WHERE account IN ('111122223333') AND region IN ('us-east-1').\n"
        + grouped(events, where)
        + ";\n"
    )


# CloudTrail Lake and Athena CSV exports (``exports.py`` says which file is one and which
# column plays which role). Columns are addressed by position (``c0``, ``c1``…), every one
# read as text; an empty field is NULL, as Athena writes NULL. The key id, the ARN and the
# account come from flattened columns when the query selected them, else out of the
# ``userIdentity`` text, whichever way it was rendered: Athena's struct text
# (``{type=IAMUser, principalid=…, arn=arn:…, accountid=…, accesskeyid=AKIA…, …}``) or JSON
# text (``{"accessKeyId":"AKIA…","arn":"arn:…"}``). The first match is the caller's own field
# (the struct puts ``sessioncontext``, with the issuer's ARN, last). RE2 and
# java.util.regex read these patterns alike. Times are made ISO text: Athena's CloudTrail
# table holds ``2026-01-03T13:32:14Z`` as written, CloudTrail Lake's timestamp prints as
# ``2026-01-03 13:32:14.000``; both become ``2026-01-03T13:32:14Z``.
CSV_IDENTITY_KEY = r'[{,]\s*"?(?:accesskeyid|accessKeyId)"?\s*[=:]\s*"?([A-Z0-9]+)'
CSV_IDENTITY_ARN = r'[{,]\s*"?arn"?\s*[=:]\s*"?(arn:[^",}]*)'
CSV_IDENTITY_ACCOUNT = r'[{,]\s*"?(?:accountid|accountId)"?\s*[=:]\s*"?([0-9]{12})'
CSV_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
# A row Spark decoded with replacement characters held bytes that are not UTF-8; DuckDB
# refuses such a row (INVALID ENCODING), so both count it as malformed.
SPARK_REPLACEMENT = "decode(unhex('EFBFBD'), 'UTF-8')"


def _csv_select(roles: dict[str, int], dialect: str) -> str:
    """The EVENT_COLUMNS of one CSV row, from the roles' column positions."""
    text = "VARCHAR" if dialect == "duckdb" else "STRING"

    def escaped(pattern: str) -> str:
        return pattern if dialect == "duckdb" else pattern.replace("\\", "\\\\")

    def column(role: str) -> str | None:
        return f"nullif(c{roles[role]}, '')" if role in roles else None

    def from_identity(pattern: str) -> str | None:
        if "identity" not in roles:
            return None
        return f"nullif(regexp_extract(c{roles['identity']}, '{escaped(pattern)}', 1), '')"

    def first(*parts: str | None) -> str:
        kept = [p for p in parts if p is not None]
        if not kept:
            return f"CAST(NULL AS {text})"
        return kept[0] if len(kept) == 1 else "coalesce(" + ", ".join(kept) + ")"

    time = column("time") or f"CAST(NULL AS {text})"
    matches = (
        f"regexp_matches({time}, '{CSV_TIME}')"
        if dialect == "duckdb"
        else f"{time} RLIKE '{CSV_TIME}'"
    )
    return ",\n       ".join(
        [
            f"CASE WHEN {matches} THEN substr({time}, 1, 10) || 'T' || substr({time}, 12, 8)"
            f" || 'Z' ELSE {time} END AS event_time",
            first(column("key_id"), from_identity(CSV_IDENTITY_KEY)) + " AS key_id",
            first(column("requester"), from_identity(CSV_IDENTITY_ARN)) + " AS requester",
            first(column("ip")) + " AS ip",
            first(column("user_agent")) + " AS user_agent",
            first(column("error_code")) + " AS error_code",
            first(
                column("account"),
                column("identity_account"),
                from_identity(CSV_IDENTITY_ACCOUNT),
            )
            + " AS account",
            first(column("region")) + " AS region",
            first(column("service")) + " AS service",
            first(column("operation")) + " AS operation",
        ]
    )


def duckdb_csv(roles: dict[str, int], width: int) -> str:
    """DuckDB's reader of CSV exports with one header shape (``width`` columns).

    Rows that do not fit (too few or too many fields, bytes that are not UTF-8) are left out
    by ``store_rejects`` and listed in DuckDB's ``reject_errors`` table; the engine counts
    them there as malformed records (:data:`DUCKDB_CSV_REJECTS`).
    """
    columns = ", ".join(f"'c{n}': 'VARCHAR'" for n in range(width))
    return f"""
SELECT 'event' AS kind,
       {_csv_select(roles, "duckdb")}
FROM read_csv($files, header = true, auto_detect = false, delim = ',', quote = '"',
              escape = '"', compression = 'auto', store_rejects = true,
              columns = {{{columns}}})
"""


# The rows of reject_errors written by scans after a given scan id (one row per error, so
# a line with two errors is counted once).
DUCKDB_CSV_REJECTS = """
SELECT count(*)
FROM (SELECT DISTINCT scan_id, file_id, line FROM reject_errors WHERE scan_id > $after)
"""
DUCKDB_CSV_LAST_SCAN = "SELECT coalesce(max(scan_id), 0) FROM reject_errors"


def spark_csv_schema(width: int) -> str:
    return ", ".join(f"c{n} STRING" for n in range(width)) + ", _corrupt STRING"


def spark_csv(roles: dict[str, int], width: int, view: str) -> str:
    """Spark's rows of the CSV exports in ``view`` (read with :func:`spark_csv_schema`).

    Spark keeps a row whose field count differs from the header's in ``_corrupt``; such a
    row, and one holding bytes that are not UTF-8, is malformed, as it is to DuckDB.
    """
    values = ", ".join(f"c{n}" for n in range(width))
    return f"""
SELECT CASE WHEN _corrupt IS NOT NULL
              OR instr(concat_ws('', {values}), {SPARK_REPLACEMENT}) > 0
            THEN 'malformed' ELSE 'event' END AS kind,
       {_csv_select(roles, "spark")}
FROM {view}
"""
