"""Which files of a tree are CloudTrail, which are S3 access logs, and which are neither.

A log bucket holds more than logs: digest files, READMEs, objects someone dropped there.
The names decide (CloudTrail writes ``…/CloudTrail/<region>/yyyy/mm/dd/*.json.gz``, S3
writes ``[prefix]YYYY-mm-DD-HH-MM-SS-<16 hex>``); anything else is counted as foreign and
never opened, so a stray binary cannot fail the read. A ``*.csv`` or ``*.csv.gz`` file may
be a CloudTrail Lake or Athena export: its first line decides (``exports.py``).
``s3://bucket/prefix`` is listed and copied to a private temporary folder with the resolved
credentials, then read like a local tree.
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from keydoctor.errors import InputError
from keydoctor.logs import exports

CLOUDTRAIL = "cloudtrail"
ACCESS_LOG = "access-log"
CSV_EXPORT = "csv-export"
_ACCESS_LOG_NAME = re.compile(r".*\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Fa-f]{16}")
_JSON_NAME = re.compile(r".+\.json(\.gz)?")
# CloudTrail's folder date: a file under yyyy/mm/dd holds events of that day (UTC), give or
# take the minutes of delivery, hence the one day of margin when pruning.
_FOLDER_DATE = re.compile(r"/CloudTrail/[^/]+/(\d{4})/(\d{2})/(\d{2})/")


@dataclass(frozen=True)
class LogFile:
    path: str
    kind: str
    size: int
    columns: tuple[str, ...] = ()  # a CSV export's header (empty: the file cannot be opened)


@dataclass
class Listing:
    """The files to read, and what was set aside before reading."""

    files: list[LogFile] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    since: str | None = None  # ISO time: CloudTrail folders of earlier days are not read
    pruned: int = 0
    temporary: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self.temporary is not None:
            self.temporary.cleanup()
            self.temporary = None


def classify(name: str) -> str | None:
    """``cloudtrail``, ``access-log`` or ``None`` (foreign) from a file's path."""
    parts = name.replace("\\", "/").split("/")
    base = parts[-1]
    if "CloudTrail-Lake" in parts and base == "result_sign.json":
        return None  # the signature of a saved CloudTrail Lake query, not events
    if _JSON_NAME.fullmatch(base) and "CloudTrail-Digest" not in parts:
        return CLOUDTRAIL
    if exports.is_csv_name(base):
        return CSV_EXPORT
    if _ACCESS_LOG_NAME.fullmatch(base):
        return ACCESS_LOG
    return None


def too_old(name: str, since: str | None) -> bool:
    """True for a CloudTrail file whose folder date is more than a day before ``since``."""
    if since is None:
        return False
    found = _FOLDER_DATE.search("/" + name.replace("\\", "/"))
    if found is None:
        return False
    day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    return day < date.fromisoformat(since[:10]) - timedelta(days=1)


def list_local(paths: list[str], listing: Listing | None = None) -> Listing:
    listing = listing or Listing()
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise InputError(f"{given}: no such file or folder")
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            kind = classify(path.as_posix())
            if kind is None:
                listing.foreign.append(str(path))
            elif kind == CLOUDTRAIL and too_old(path.as_posix(), listing.since):
                listing.pruned += 1
            else:
                admit(listing, str(path), str(path), kind)
    return listing


def admit(listing: Listing, shown: str, local: str, kind: str) -> None:
    """Add a file to read; a CSV whose header is not a CloudTrail export is foreign."""
    columns: tuple[str, ...] = ()
    if kind == CSV_EXPORT:
        header = exports.sniff(local)
        if header is None:
            listing.foreign.append(shown)
            return
        columns = header
    listing.files.append(LogFile(local, kind, Path(local).stat().st_size, columns))


def split_s3_url(url: str) -> tuple[str, str]:
    rest = url[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(f"{url}: expected s3://bucket/prefix")
    return bucket, prefix


def download_s3(urls: list[str], client: Any, listing: Listing) -> Listing:
    """Copy the log objects under each ``s3://`` URL into a private temporary folder."""
    if listing.temporary is None:
        listing.temporary = tempfile.TemporaryDirectory(prefix="keydoctor-logs-")
    root = Path(listing.temporary.name)
    for url in urls:
        bucket, prefix = split_s3_url(url)
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                kind = classify(key)
                if kind is None:
                    listing.foreign.append(f"s3://{bucket}/{key}")
                    continue
                if kind == CLOUDTRAIL and too_old(key, listing.since):
                    listing.pruned += 1
                    continue
                target = root / bucket / key.lstrip("/")
                if ".." in Path(key).parts:
                    listing.foreign.append(f"s3://{bucket}/{key}")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
                with open(target, "wb") as handle:
                    while chunk := body.read(1 << 20):
                        handle.write(chunk)
                admit(listing, f"s3://{bucket}/{key}", str(target), kind)
    return listing


def why_unreadable(path: str) -> str:
    """``truncated`` for a gzip stream cut short, else ``unreadable`` (asked after a failure)."""
    if not path.endswith(".gz"):
        return "unreadable"
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (EOFError, zlib.error):
        return "truncated"
    except (OSError, gzip.BadGzipFile):
        return "unreadable"
    return "unreadable"


def same_path(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)
