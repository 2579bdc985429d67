"""Before a rotation deactivates a key: does anyone else still use it? Ask the logs.

``fix rotate-key --logs PATH`` reads CloudTrail (and S3 access logs) for the key being
rotated over the last N days. Requests from this machine are expected (it is where the
key is being replaced); requests from any other address mean another host holds the key
and would be cut off the moment it is deactivated. Then the plan is refused, naming each
such source, unless ``--force`` says the operator knows. "This machine" is its own
interface addresses plus whatever ``--this-host`` names (behind NAT, CloudTrail sees the
public address, which no local interface has).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from keydoctor.logs.report import Source
from keydoctor.redact import mask_key_id

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class LogCheck:
    """Where the logs are, how far back to look, and what counts as this machine."""

    paths: tuple[str, ...]
    days: int = DEFAULT_DAYS
    force: bool = False
    this_host: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None


def local_addresses() -> set[str]:
    """This machine's own addresses (no packet is sent: a UDP connect only picks a route)."""
    found = {"127.0.0.1", "::1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                found.add(str(sock.getsockname()[0]))
        except OSError:
            continue
    return found


def other_sources(check: LogCheck, key_id: str, now: datetime | None = None) -> list[Source]:
    """The sources other than this machine that used ``key_id`` in the last ``days``."""
    from keydoctor.logs.reader import read, s3_client

    since = (now or datetime.now(UTC)) - timedelta(days=check.days)
    answer = read(
        list(check.paths),
        key_ids=[key_id],
        since=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        client_factory=lambda: s3_client(check.profile, None, check.endpoint_url),
    )
    mine = local_addresses() | set(check.this_host)
    return [s for usage in answer.keys for s in usage.sources if s.ip not in mine]


def refusal(check: LogCheck, key_id: str, sources: list[Source]) -> str:
    named = "; ".join(
        f"{s.ip} ({s.tool}, {s.events} requests"
        + (f", {s.errors} refused" if s.errors else "")
        + ")"
        for s in sources[:5]
    )
    more = f" and {len(sources) - 5} more" if len(sources) > 5 else ""
    return (
        f"the logs show {mask_key_id(key_id)} used in the last {check.days} days from "
        f"another host than this one: {named}{more}. Deactivating it would cut them off: "
        "give them the new key first (or, if this is this machine behind NAT, name it with "
        "--this-host ADDRESS); --force rotates anyway"
    )
