"""The answer of ``keydoctor logs``: per key, who used it, from where, and what failed.

Built from the grouped rows of any engine by the same code, so two engines that read the
same events give the same answer. Every value that came from a log line is masked here,
once, before any renderer sees it: key ids as ``AKIA…WXYZ``, and user agents, addresses
and ARNs through the project's scrubber (a program that put its secret into its user
agent must not see it printed back). Failures are grouped by the family the catalog's code
table gives their error code, so the words come from ``codes.toml``, not from here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from keydoctor.catalog import codes
from keydoctor.logs import sql
from keydoctor.redact import mask_key_id, mask_url, scrub_patterns

MAX_TEXT = 200
# What a failure of each family says about the source it came from (the code table says
# what the code means; this says what to do about the host).
HINTS = {
    codes.UNKNOWN_KEY: "still uses a key AWS no longer knows (deleted, or rotated away): "
    "give it the current key",
    codes.SIGNATURE: "has the right key id with a wrong secret (a partial update?)",
    codes.TOKEN_EXPIRED: "keeps using temporary credentials after they expired",
    codes.TOKEN_INVALID: "sends a session token that does not belong to its keys",
    codes.SKEW: "has a clock that is off",
    codes.HEADER: "signs for the wrong region",
    codes.DENIED: "holds a valid key that a policy does not allow to do this",
}
# Product names in a user agent, in the order they are looked for.
TOOLS = (
    ("aws-cli", "AWS CLI"),
    ("terraform", "Terraform"),
    ("boto3", "boto3 (Python SDK)"),
    ("botocore", "botocore (Python)"),
    ("aws-sdk-java", "AWS SDK for Java"),
    ("aws-sdk-go-v2", "AWS SDK for Go v2"),
    ("aws-sdk-go", "AWS SDK for Go"),
    ("aws-sdk-js", "AWS SDK for JavaScript"),
    ("aws-sdk-dotnet", "AWS SDK for .NET"),
    ("aws-sdk-ruby", "AWS SDK for Ruby"),
    ("aws-sdk-php", "AWS SDK for PHP"),
    ("aws-sdk-rust", "AWS SDK for Rust"),
    ("s3console", "S3 console"),
    ("console.amazonaws.com", "AWS console"),
)


@dataclass(frozen=True)
class Source:
    """One host (address and user agent) that used a key."""

    ip: str
    user_agent: str
    tool: str
    events: int
    errors: int
    error_codes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Failure:
    """The failed requests of one code family, and the hosts they came from."""

    family: str
    meaning: str
    auth: bool
    events: int
    codes: tuple[str, ...]
    ips: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class Usage:
    """Everything the logs say about one key id (or one requester, for access logs)."""

    key_id: str  # masked
    requester: str | None
    first_seen: str | None
    last_seen: str | None
    events: int
    errors: int
    sources: tuple[Source, ...]
    principals: tuple[str, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    services: tuple[tuple[str, int], ...]
    operations: tuple[tuple[str, int], ...]
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class ReadStats:
    files: int
    bytes: int
    records: int
    malformed_records: int
    foreign_documents: int
    foreign_files: int
    truncated_files: int
    unreadable_files: int
    pruned_files: int  # CloudTrail files of days before --since, never opened
    set_aside: tuple[str, ...]


@dataclass(frozen=True)
class LogReport:
    engine: str
    keys: tuple[Usage, ...]
    requesters: tuple[Usage, ...]
    read: ReadStats


def clean(value: object) -> str:
    """A value from a log line, made safe to print: scrubbed, one line, bounded.

    A line break is one space however it was written: Spark's CSV reader turns a CRLF
    inside a quoted field into LF where DuckDB keeps it, and the answers must not differ.
    """
    text = str(value).replace("\r\n", "\n")
    text = scrub_patterns(text).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def tool_of(user_agent: str) -> str:
    lowered = user_agent.lower()
    for needle, name in TOOLS:
        if needle in lowered:
            return name
    first = user_agent.split(" ", 1)[0].split("/", 1)[0]
    return clean(first) if first else "unknown"


def _column(name: str) -> int:
    return sql.GROUPED_COLUMNS.index(name)


KIND, KEY, REQUESTER, IP, AGENT, CODE = (
    _column(n) for n in ("kind", "key_id", "requester", "ip", "user_agent", "error_code")
)
ACCOUNT, REGION, SERVICE, OPERATION = (
    _column(n) for n in ("account", "region", "service", "operation")
)
FIRST, LAST, EVENTS = (_column(n) for n in ("first_seen", "last_seen", "events"))


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _usage(key_id: str, requester: str | None, rows: list[tuple[Any, ...]]) -> Usage:
    sources: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    source_errors: Counter[tuple[str, str]] = Counter()
    source_events: Counter[tuple[str, str]] = Counter()
    principals: set[str] = set()
    accounts: set[str] = set()
    regions: set[str] = set()
    services: Counter[str] = Counter()
    operations: Counter[str] = Counter()
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    family_ips: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        count = int(row[EVENTS])
        where = (clean(row[IP] or "-"), clean(row[AGENT] or "-"))
        source_events[where] += count
        if row[CODE] is not None:
            code = clean(row[CODE])
            source_errors[where] += count
            sources[where][code] += count
            family = codes.family(row[CODE]) or "other"
            by_family[family][code] += count
            family_ips[family].add(where[0])
        for target, column in ((principals, REQUESTER), (accounts, ACCOUNT), (regions, REGION)):
            if row[column]:
                target.add(clean(row[column]))
        if row[SERVICE]:
            services[clean(row[SERVICE]).removesuffix(".amazonaws.com")] += count
        if row[OPERATION]:
            operations[clean(row[OPERATION])] += count
    table = codes.code_table()
    failures = []
    for family, counted in by_family.items():
        known = table.families.get(family)
        failures.append(
            Failure(
                family=family,
                meaning=known.meaning if known else "an error code the catalog does not group",
                auth=bool(known and known.auth),
                events=sum(counted.values()),
                codes=tuple(sorted(counted)),
                ips=tuple(sorted(family_ips[family])),
                hint=HINTS.get(family, "failed requests"),
            )
        )
    failures.sort(key=lambda f: (not f.auth, -f.events, f.family))
    firsts = [str(r[FIRST]) for r in rows if r[FIRST] is not None]
    lasts = [str(r[LAST]) for r in rows if r[LAST] is not None]
    source_list = [
        Source(
            ip=ip,
            user_agent=agent,
            tool=tool_of(agent),
            events=source_events[(ip, agent)],
            errors=source_errors[(ip, agent)],
            error_codes=_ranked(sources[(ip, agent)]),
        )
        for ip, agent in source_events
    ]
    source_list.sort(key=lambda s: (-s.events, s.ip, s.user_agent))
    return Usage(
        key_id=key_id,
        requester=requester,
        first_seen=clean(min(firsts)) if firsts else None,
        last_seen=clean(max(lasts)) if lasts else None,
        events=sum(source_events.values()),
        errors=sum(source_errors.values()),
        sources=tuple(source_list),
        principals=tuple(sorted(principals)),
        accounts=tuple(sorted(accounts)),
        regions=tuple(sorted(regions)),
        services=_ranked(services),
        operations=_ranked(operations),
        failures=tuple(failures),
    )


def build(
    engine: str,
    rows: Iterable[tuple[Any, ...]],
    *,
    files: int,
    size: int,
    foreign_files: list[str],
    truncated: list[str],
    unreadable: list[str],
    pruned: int = 0,
) -> LogReport:
    """The report from grouped rows and the reader's counts."""
    by_key: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    by_requester: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    for row in rows:
        kinds[str(row[KIND])] += int(row[EVENTS])
        if row[KIND] != "event":
            continue
        if row[KEY]:
            by_key[str(row[KEY])].append(row)
        elif row[REQUESTER]:
            by_requester[str(row[REQUESTER])].append(row)
    keys = [_usage(mask_key_id(k), None, r) for k, r in by_key.items()]
    requesters = [_usage("(not logged)", clean(k), r) for k, r in by_requester.items()]
    order = lambda u: (-u.events, u.key_id, u.requester or "")  # noqa: E731
    set_aside = sorted(mask_url(p) for p in [*truncated, *unreadable, *foreign_files])
    return LogReport(
        engine=engine,
        keys=tuple(sorted(keys, key=order)),
        requesters=tuple(sorted(requesters, key=order)),
        read=ReadStats(
            files=files,
            bytes=size,
            records=sum(kinds.values()) - kinds["foreign"],
            malformed_records=kinds["malformed"],
            foreign_documents=kinds["foreign"],
            foreign_files=len(foreign_files),
            truncated_files=len(truncated),
            unreadable_files=len(unreadable),
            pruned_files=pruned,
            set_aside=tuple(clean(p) for p in set_aside),
        ),
    )


def to_dict(report: LogReport) -> dict[str, Any]:
    def usage(u: Usage) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "key_id": u.key_id,
            "first_seen": u.first_seen,
            "last_seen": u.last_seen,
            "events": u.events,
            "errors": u.errors,
            "sources": [
                {
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                    "tool": s.tool,
                    "events": s.events,
                    "errors": s.errors,
                    "error_codes": dict(s.error_codes),
                }
                for s in u.sources
            ],
            "principals": list(u.principals),
            "accounts": list(u.accounts),
            "regions": list(u.regions),
            "services": dict(u.services),
            "operations": dict(u.operations),
            "failures": [
                {
                    "family": f.family,
                    "meaning": f.meaning,
                    "auth": f.auth,
                    "events": f.events,
                    "codes": list(f.codes),
                    "ips": list(f.ips),
                    "hint": f.hint,
                }
                for f in u.failures
            ],
        }
        if u.requester is not None:
            entry["requester"] = u.requester
        return entry

    r = report.read
    return {
        "engine": report.engine,
        "keys": [usage(u) for u in report.keys],
        "requesters": [usage(u) for u in report.requesters],
        "read": {
            "files": r.files,
            "bytes": r.bytes,
            "records": r.records,
            "malformed_records": r.malformed_records,
            "foreign_documents": r.foreign_documents,
            "foreign_files": r.foreign_files,
            "truncated_files": r.truncated_files,
            "unreadable_files": r.unreadable_files,
            "pruned_files": r.pruned_files,
            "set_aside": list(r.set_aside),
        },
    }


def _usage_text(u: Usage) -> list[str]:
    title = u.key_id if u.requester is None else u.requester
    lines = [
        f"{title}  {', '.join(u.principals) or '(no principal)'}",
        f"  seen {u.first_seen} … {u.last_seen}: {u.events} events, {u.errors} errors",
        f"  accounts: {', '.join(u.accounts) or '-'}   regions: {', '.join(u.regions) or '-'}",
        "  services: " + ", ".join(f"{n} ({c})" for n, c in u.services),
        "  operations: " + ", ".join(f"{n} ({c})" for n, c in u.operations[:8]),
        "  sources:",
    ]
    for s in u.sources:
        codes_text = ", ".join(f"{c} ×{n}" for c, n in s.error_codes)
        lines.append(
            f"    {s.ip:<15} {s.tool:<22} {s.events:>8} events"
            + (f", {s.errors} errors: {codes_text}" if s.errors else "")
        )
        lines.append(f"      {s.user_agent}")
    for f in u.failures:
        hosts = ", ".join(f.ips)
        lines.append(
            f"  {'auth failure' if f.auth else 'failure'} [{f.family}] ×{f.events} "
            f"({', '.join(f.codes)}): {f.meaning}"
        )
        lines.append(f"    from {hosts}: this host {f.hint}")
    return lines


def to_text(report: LogReport) -> str:
    out: list[str] = []
    for u in report.keys:
        out += _usage_text(u) + [""]
    if report.requesters:
        out.append("S3 access logs (they name the requester, not the key id):")
        for u in report.requesters:
            out += _usage_text(u) + [""]
    if not report.keys and not report.requesters:
        out += ["No matching events.", ""]
    r = report.read
    out.append(
        f"read {r.files} files ({r.bytes / 1e6:.1f} MB), {r.records} records with "
        f"{report.engine}; set aside: {r.malformed_records} malformed records, "
        f"{r.foreign_documents} documents without Records, {r.truncated_files} truncated "
        f"files, {r.unreadable_files} unreadable files, {r.foreign_files} foreign files"
        + (f"; {r.pruned_files} files of days before --since not read" if r.pruned_files else "")
    )
    for path in r.set_aside[:20]:
        out.append(f"  set aside: {path}")
    if len(r.set_aside) > 20:
        out.append(f"  … and {len(r.set_aside) - 20} more")
    return "\n".join(out) + "\n"
