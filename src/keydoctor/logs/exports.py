"""CloudTrail Lake and Athena query results saved as CSV: which files they are, and which
column holds what.

Both services save a query's answer as CSV with a header line, and both name their columns
after the CloudTrail fields the query selected: Athena in lower case (``eventtime``,
``useridentity``, ``sourceipaddress``), CloudTrail Lake as written in the query
(``eventTime``, ``userIdentity``). ``userIdentity`` is either one column of text (Athena
renders the struct as ``{type=IAMUser, principalid=…, arn=…, accountid=…, accesskeyid=…}``;
an export may also hold it as JSON text) or flattened into ``useridentity.accesskeyid`` /
``accesskeyid`` and the like. So the header decides, not the file name: a file named
``*.csv`` or ``*.csv.gz`` is read as an export only if its header names the event time and
a column the key id can come from; any other header makes it a foreign file, counted and
never read. Only the first line is read here, in Python; the rows are read by the engines
(``sql.duckdb_csv`` / ``sql.spark_csv``), which address columns by position (``c0``,
``c1``…), so no name taken from a file ever reaches SQL text.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib

# The roles a column can play, and the header names (compared in lower case) that give it.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "time": ("eventtime",),
    "identity": ("useridentity",),
    "key_id": ("useridentity.accesskeyid", "accesskeyid"),
    "requester": ("useridentity.arn", "arn"),
    "identity_account": ("useridentity.accountid", "accountid"),
    "account": ("recipientaccountid",),
    "ip": ("sourceipaddress",),
    "user_agent": ("useragent",),
    "error_code": ("errorcode",),
    "region": ("awsregion",),
    "service": ("eventsource",),
    "operation": ("eventname",),
}
MAX_HEADER_BYTES = 64 * 1024
MAX_COLUMNS = 512
_CSV_NAME = re.compile(r".+\.csv(\.gz)?")
UNREADABLE: tuple[str, ...] = ()  # the header of a file that could not be opened


def is_csv_name(base: str) -> bool:
    return _CSV_NAME.fullmatch(base) is not None


def roles(columns: tuple[str, ...]) -> dict[str, int] | None:
    """Each role's column position, or ``None`` when the header is not a CloudTrail export.

    An export needs the event time and a column the key id can come from (the flattened id
    or the whole ``userIdentity``); without them it answers nothing about keys. A header
    that names one role twice is ambiguous and refused too.
    """
    lowered = [c.strip().lower() for c in columns]
    found: dict[str, int] = {}
    for role, names in ROLE_NAMES.items():
        positions = [n for n, name in enumerate(lowered) if name in names]
        if len(positions) > 1:
            return None
        if positions:
            found[role] = positions[0]
    if "time" not in found or not ("identity" in found or "key_id" in found):
        return None
    return found


def read_header(path: str) -> tuple[str, ...] | None:
    """The header's column names; ``None`` if the first line is not CSV text (a foreign
    file); :data:`UNREADABLE` (empty) if a ``.gz`` file cannot even be opened."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                first = handle.readline(MAX_HEADER_BYTES)
        else:
            with open(path, "rb") as handle:
                first = handle.readline(MAX_HEADER_BYTES)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return UNREADABLE
    try:
        text = first.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if not text or "\x00" in text:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return None
    if len(rows) != 1 or not 1 <= len(rows[0]) <= MAX_COLUMNS:
        return None
    return tuple(rows[0])


def sniff(path: str) -> tuple[str, ...] | None:
    """The header of a CloudTrail export (to read), :data:`UNREADABLE`, or ``None`` (foreign)."""
    header = read_header(path)
    if header is None or header == UNREADABLE:
        return header
    return header if roles(header) is not None else None
