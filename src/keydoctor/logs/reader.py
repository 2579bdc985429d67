"""List, read and group logs into a :class:`~keydoctor.logs.report.LogReport`.

The one entry point for ``keydoctor logs`` and for ``fix rotate-key --logs``: local paths
are listed, ``s3://`` prefixes are copied with the credentials this shell resolves (through
the shared client factory), the chosen engine reads, and the report is built and masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from keydoctor.logs import engines, report, scan, sql

if TYPE_CHECKING:
    from keydoctor.logs.report import LogReport


class Progress(Protocol):
    def start(self, total_files: int, total_bytes: int) -> None: ...

    def __call__(self, files: int, done: int, records: int) -> None: ...

    def done(self) -> None: ...


def s3_client(profile: str | None, region: str | None, endpoint_url: str | None) -> Any:
    """An S3 client with the credentials the chain resolves for ``profile``."""
    from keydoctor.probes.clients import make_client, new_session

    return make_client(
        "s3",
        keys=None,
        region=region,
        endpoint_url=endpoint_url,
        session=new_session(profile=profile, services=["s3"]),
        connect_timeout=5,
        read_timeout=60,
        attempts=3,
    )


def read(
    paths: list[str],
    *,
    engine: str = "duckdb",
    key_ids: list[str] | None = None,
    since: str | None = None,
    errors_only: bool = False,
    progress: Progress | None = None,
    client_factory: Callable[[], Any] | None = None,
) -> LogReport:
    """Read the logs under ``paths`` and answer per key id (masked)."""
    where = sql.filters(key_ids or [], since, errors_only)
    listing = scan.list_local(
        [p for p in paths if not p.startswith("s3://")], scan.Listing(since=since)
    )
    remote = [p for p in paths if p.startswith("s3://")]
    try:
        if remote:
            factory = client_factory or (lambda: s3_client(None, None, None))
            scan.download_s3(remote, factory(), listing)
        if progress is not None:
            progress.start(len(listing.files), sum(f.size for f in listing.files))
        run = engines.run_spark if engine == "spark" else engines.run_duckdb
        try:
            result = run(listing.files, where, progress)
        finally:
            if progress is not None:
                progress.done()
        return report.build(
            engine,
            result.rows,
            files=result.files_read,
            size=result.bytes_read,
            foreign_files=listing.foreign,
            truncated=result.truncated,
            unreadable=result.unreadable,
            pruned=listing.pruned,
        )
    finally:
        listing.close()
