"""Readable text for people; ANSI colour only when asked (a TTY without NO_COLOR).

Plain ANSI codes instead of a rendering library: the offline audit must start in a few
tens of milliseconds, and a terminal UI library costs more than the whole audit.
"""

from __future__ import annotations

from typing import Any

_COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    "info": "\033[2m",
    "bold": "\033[1m",
    "dim": "\033[2m",
    "green": "\033[32m",
    "reset": "\033[0m",
}


class Painter:
    """Wraps text in ANSI styles when colour is on; the identity otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        if not self.color:
            return text
        return f"{_COLORS[style]}{text}{_COLORS['reset']}"


def _source_line(source: dict[str, Any]) -> str:
    key = source.get("access_key_id")
    parts = [source["method"]]
    if source.get("profile"):
        parts.append(f"profile {source['profile']}")
    if key:
        parts.append(f"key {key}")
    if source.get("has_session_token"):
        parts.append("with session token")
    parts.append(f"from {source['location']}")
    return ", ".join(parts)


def render_credentials(doc: dict[str, Any], paint: Painter) -> list[str]:
    lines: list[str] = []
    creds = doc.get("credentials") or {}
    profile = doc.get("profile") or {}
    region = doc.get("region") or {}
    lines.append(paint("bold", "Credentials"))
    origin = profile.get("origin")
    lines.append(
        f"  profile: {profile.get('name')}"
        + (f" (from {origin})" if origin and origin != "default" else " (default)")
    )
    if region.get("name"):
        lines.append(f"  region:  {region['name']} (from {region.get('origin')})")
    else:
        lines.append("  region:  not set")
    winner = creds.get("winner")
    if winner:
        lines.append("  " + paint("green", "uses:") + " " + _source_line(winner))
    elif creds.get("failure"):
        lines.append("  " + paint("high", "fails:") + f" {creds['failure']}")
    else:
        lines.append("  " + paint("high", "uses: nothing") + " (no credentials found)")
    for source in creds.get("shadowed", []):
        lines.append("  " + paint("dim", "hidden:") + " " + _source_line(source))
        if source.get("reason"):
            lines.append("          " + paint("dim", source["reason"]))
    return lines


def render_findings(findings: list[dict[str, Any]], paint: Painter) -> list[str]:
    lines: list[str] = []
    if not findings:
        lines.append(paint("green", "No problems found."))
        return lines
    lines.append(paint("bold", f"Findings ({len(findings)})"))
    for f in findings:
        sev = f["severity"]
        head = paint(sev, f"{sev.upper():8}") + f" {f['code']} {f['title']}"
        lines.append(head + paint("dim", f"  [{f['category']}]"))
        loc = f.get("location")
        if loc and (loc.get("path") or loc.get("key")):
            where = loc.get("path") or ""
            if loc.get("line"):
                where += f":{loc['line']}"
            if loc.get("key"):
                where = (where + " " if where else "") + str(loc["key"])
            lines.append("         at " + where)
        lines.append("         " + f["explanation"])
        lines.append("         " + paint("bold", "fix: ") + f["fix"])
    return lines


_MARKS = {"ok": "ok  ", "denied": "DENY", "not-found": "404 ", "skipped": "skip"}


def render_online(doc: dict[str, Any]) -> list[str]:
    """Who the endpoint says we are, and every probe with its answer."""
    probes: list[dict[str, Any]] = doc.get("probes") or []
    if doc.get("probes_skipped"):
        return ["Probes", "  The endpoint was not asked: no usable credentials."]
    lines = ["Identity (STS GetCallerIdentity)"]
    identity = doc.get("identity")
    if identity:
        lines.append(f"  arn:       {identity['arn']}")
        lines.append(f"  account:   {identity['account']}")
        lines.append(f"  principal: {identity['principal_type']}")
    else:
        lines.append(f"  unknown: {probes[0]['answer'] if probes else 'not asked'}")
    lines += ["", f"Probes ({len(probes)}, region {doc.get('region_used')})"]
    for probe in probes:
        mark = _MARKS.get(probe["outcome"], "FAIL")
        lines.append(
            f"  {mark} {probe['name']:38} {probe['answer']}  ({probe['duration_ms']:.0f} ms)"
        )
    skew = doc.get("clock_skew_seconds")
    if skew is not None:
        # Whole seconds with a sign: "-0 s" from a rounded -0.3 reads like a fault.
        seconds = round(skew)
        lines.append(f"  clock: local time differs from the endpoint's by {seconds:+d} s")
    return lines


def render_network(doc: dict[str, Any]) -> list[str]:
    """The network path, one line per host, before anything is said about credentials."""
    lines: list[str] = []
    for path in doc.get("network_path") or []:
        if not lines:
            lines.append("Network path (before any credential is judged)")
        mark = (
            "ok  "
            if path["reachable"] and path["tls"].startswith(("verified", "plain"))
            else "FAIL"
        )
        proxy = f"via proxy {path['proxy']}" if path["proxy"] else "direct"
        lines.append(
            f"  {mark} {path['url']}: {proxy}; dns {path['dns']}; {path['reach']}; "
            f"CA {path['ca_bundle']}; TLS {path['tls']}"
        )
    return lines


def render_chain(doc: dict[str, Any]) -> list[str]:
    """A role chain as a chain: ``base -> one -> two``, then each hop with its result.

    The hops are the probes that carry a ``hop`` (one AssumeRole each, in chain order);
    the first that failed is where the chain breaks.
    """
    hops = [p for p in doc.get("probes") or [] if isinstance(p.get("hop"), dict)]
    if not hops:
        return []
    base = str(hops[0]["hop"]["from"]).removeprefix("profile ")
    names = " -> ".join([base, *(str(p["hop"]["profile"]) for p in hops)])
    lines = [f"Role chain: {names}"]
    for probe in hops:
        hop = probe["hop"]
        mark = _MARKS.get(probe["outcome"], "FAIL")
        lines.append(
            f"  {mark} hop {hop['index']}/{hop['of']} {hop['from']} -> {hop['role_arn']} "
            f"(profile {hop['profile']}): {probe['answer']}"
        )
    return lines


def render_text(document: dict[str, Any], *, color: bool = False) -> str:
    paint = Painter(color)
    lines: list[str] = []
    if "credentials" in document:
        lines.extend(render_credentials(document, paint))
        lines.append("")
    if document.get("mode") == "online":
        network = render_network(document)
        if network:
            lines.extend([*network, ""])
        lines.extend(render_online(document))
        lines.append("")
        chain = render_chain(document)
        if chain:
            lines.extend([*chain, ""])
    diagnosis = document.get("diagnosis")
    if diagnosis:
        lines.append(
            paint("bold", "Most likely cause: ")
            + f"{diagnosis['title']} "
            + paint("dim", f"[{diagnosis['category']}]")
        )
        lines.append("  " + diagnosis["explanation"])
        lines.append("  " + paint("bold", "fix: ") + diagnosis["fix"])
        for item in diagnosis.get("evidence", []):
            lines.append("  " + paint("dim", "evidence: ") + str(item))
        others = document.get("causes") or []
        if others:
            lines.append(
                "  "
                + paint("dim", "also possible: ")
                + "; ".join(f"{c['title']} [{c['category']}]" for c in others)
            )
        lines.append("")
    lines.extend(render_findings(document.get("findings", []), paint))
    return "\n".join(lines) + "\n"
