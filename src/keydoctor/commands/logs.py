"""``keydoctor logs``: who still uses a key, from CloudTrail and S3 server access logs.

Reads local folders and ``s3://bucket/prefix`` (with the credentials this shell
resolves), groups the events per key id with an SQL engine (DuckDB by default, Spark with
``--engine spark``; ``--engine athena`` prints the equivalent Athena SQL and reads
nothing), and says for each key: first and last seen, the hosts (address and user agent)
that used it, the principal, accounts, regions, services and operations, and the failures
grouped by the catalog's code families. Bad files and records are counted, never fatal.

Exit codes: 0 answered, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from keydoctor.errors import UsageError
from keydoctor.logs.reader import s3_client

_SPAN = re.compile(r"(\d{1,5})([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="folder, file or s3://bucket/prefix"
    )
    parser.add_argument(
        "--key-id", action="append", default=[], metavar="AKIA…", help="only this key (repeatable)"
    )
    parser.add_argument("--since", help="only events since: 30d, 12h, 2w, or a date (2026-01-31)")
    parser.add_argument("--errors-only", action="store_true", help="only failed requests")
    parser.add_argument("--engine", choices=["duckdb", "spark", "athena"], default="duckdb")
    parser.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    parser.add_argument(
        "--format", "--output", dest="format", choices=["text", "json"], default="text"
    )
    parser.add_argument("--profile", help="profile whose credentials read s3:// paths")
    parser.add_argument("--region", help="region of the log bucket")
    parser.add_argument("--endpoint-url", dest="endpoint_url", help="custom S3 endpoint")


def parse_since(value: str | None, now: datetime | None = None) -> str | None:
    """``30d`` / ``12h`` / ``2w`` back from now, or an ISO date or time, as ISO UTC text."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    span = _SPAN.fullmatch(value.strip())
    if span:
        moment = now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    else:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                "--since takes 30d, 12h, 2w or an ISO date such as 2026-01-31"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_ids(values: list[str]) -> list[str]:
    from keydoctor.logs import sql
    from keydoctor.redact import mask_key_id

    cleaned = [v.strip() for v in values]
    for value in cleaned:
        if not sql.SAFE_KEY_ID.fullmatch(value):
            raise UsageError(f"--key-id {mask_key_id(value)}: not an access key id")
    return cleaned


class Progress:
    """Files and bytes read, records per second and time left, on one stderr line."""

    def __init__(self, total_files: int, total_bytes: int, enabled: bool) -> None:
        self.total_files = total_files
        self.total_bytes = max(total_bytes, 1)
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False

    def start(self, total_files: int, total_bytes: int) -> None:
        """Called once the files are listed: the totals the line counts towards."""
        self.total_files = total_files
        self.total_bytes = max(total_bytes, 1)
        self.started = time.monotonic()

    def __call__(self, files: int, done: int, records: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        left = elapsed * (self.total_bytes - done) / max(done, 1)
        sys.stderr.write(
            f"\r\033[Kfiles {files}/{self.total_files}, "
            f"{done / 1e6:.1f}/{self.total_bytes / 1e6:.1f} MB, "
            f"{records / elapsed:,.0f} events/s, {left:.0f}s left"
        )
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from keydoctor.commands.common import write_stdout
    from keydoctor.logs import report, sql
    from keydoctor.logs.reader import read

    key_ids = _key_ids(args.key_id)
    since = parse_since(args.since)
    if args.engine == "athena":
        location = next((p for p in args.paths if p.startswith("s3://")), "s3://BUCKET/AWSLogs/")
        from keydoctor.redact import mask_url

        where = sql.filters(key_ids, since, args.errors_only)
        day = since[:10].replace("-", "/") if since else None
        write_stdout(sql.athena(mask_url(location.rstrip("/") + "/"), where, day))
        return 0
    try:
        answer = read(
            args.paths,
            engine=args.engine,
            key_ids=key_ids,
            since=since,
            errors_only=args.errors_only,
            progress=Progress(0, 0, enabled=not args.quiet and sys.stderr.isatty()),
            client_factory=lambda: s3_client(args.profile, args.region, args.endpoint_url),
        )
    except OSError as exc:
        raise UsageError(f"cannot read the logs: {exc.strerror or type(exc).__name__}") from None
    if args.format == "json":
        from keydoctor.redact import redact_tree, scrub_patterns

        document = redact_tree(report.to_dict(answer), scrub_patterns)
        write_stdout(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        write_stdout(report.to_text(answer))
    return 0
