"""Readable text for people; ANSI colour only when asked (a TTY without NO_COLOR).

Plain ANSI codes instead of a rendering library: the offline audit must start in a few
tens of milliseconds, and a terminal UI library costs more than the whole audit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from keydoctor.redact import mask_key_id

if TYPE_CHECKING:
    from keydoctor.diagnosis import Cause
    from keydoctor.examine import CheckResult
    from keydoctor.model import CredentialSource, Finding
    from keydoctor.probes.runner import ProbeReport

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


Mask = Callable[[str], str]


class TextFormatter:
    """``keydoctor check``'s text: credentials, the probes, the most likely cause, findings.

    Built from the typed result; each value is masked as it is taken from the result, and
    the finished text is scrubbed once more by the run's redactor.
    """

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def format(self, result: CheckResult) -> str:
        from keydoctor.reporters import Masker

        mask = Masker(result.audit.redactor)
        paint = Painter(self.color)
        lines = _credentials(result, paint, mask)
        lines.append("")
        if result.online:
            network = _network(result.report, mask)
            if network:
                lines.extend([*network, ""])
            lines.extend(_online(result, mask))
            lines.append("")
            chain = _chain(result.report, mask)
            if chain:
                lines.extend([*chain, ""])
        if result.diagnosis is not None:
            lines.extend(_diagnosis(result.diagnosis, result.causes, paint, mask))
            lines.append("")
        lines.extend(_findings(result.findings, paint, mask))
        return result.audit.redactor.scrub("\n".join(lines) + "\n")


def _source_line(source: CredentialSource, mask: Mask) -> str:
    parts = [mask(source.method)]
    if source.profile:
        parts.append(f"profile {mask(source.profile)}")
    if source.access_key_id:
        parts.append(f"key {mask(mask_key_id(source.access_key_id))}")
    if source.session_token:
        parts.append("with session token")
    parts.append(f"from {mask(source.location.describe())}")
    return ", ".join(parts)


def _credentials(result: CheckResult, paint: Painter, mask: Mask) -> list[str]:
    res = result.resolution
    lines = [paint("bold", "Credentials")]
    origin = mask(res.profile_origin) if res.profile_origin else res.profile_origin
    lines.append(
        f"  profile: {mask(res.profile)}"
        + (f" (from {origin})" if origin and origin != "default" else " (default)")
    )
    if result.region:
        region_origin = mask(result.region_origin) if result.region_origin else None
        lines.append(f"  region:  {mask(result.region)} (from {region_origin})")
    else:
        lines.append("  region:  not set")
    if res.winner is not None:
        lines.append("  " + paint("green", "uses:") + " " + _source_line(res.winner, mask))
    elif res.failure:
        lines.append("  " + paint("high", "fails:") + f" {mask(res.failure)}")
    else:
        lines.append("  " + paint("high", "uses: nothing") + " (no credentials found)")
    for source in res.shadowed:
        lines.append("  " + paint("dim", "hidden:") + " " + _source_line(source, mask))
        if source.reason:
            lines.append("          " + paint("dim", mask(source.reason)))
    return lines


def _findings(findings: Sequence[Finding], paint: Painter, mask: Mask) -> list[str]:
    if not findings:
        return [paint("green", "No problems found.")]
    lines = [paint("bold", f"Findings ({len(findings)})")]
    for f in findings:
        sev = f.severity.value
        head = paint(sev, f"{sev.upper():8}") + f" {mask(f.code)} {mask(f.title)}"
        lines.append(head + paint("dim", f"  [{f.category.value}]"))
        loc = f.location
        path = mask(loc.path) if loc is not None and loc.path else ""
        key = mask(loc.key) if loc is not None and loc.key else ""
        if loc is not None and (path or key):
            where = path
            if loc.line:
                where += f":{loc.line}"
            if key:
                where = (where + " " if where else "") + key
            lines.append("         at " + where)
        lines.append("         " + mask(f.explanation))
        lines.append("         " + paint("bold", "fix: ") + mask(f.fix))
    return lines


_MARKS = {"ok": "ok  ", "denied": "DENY", "not-found": "404 ", "skipped": "skip"}


def _online(result: CheckResult, mask: Mask) -> list[str]:
    """Who the endpoint says we are, and every probe with its answer."""
    report: ProbeReport | None = result.report
    if report is None and result.probes_skipped:
        return ["Probes", "  The endpoint was not asked: no usable credentials."]
    probes = report.probes if report is not None else []
    lines = ["Identity (STS GetCallerIdentity)"]
    identity = report.identity if report is not None else None
    if identity is not None:
        lines.append(f"  arn:       {mask(identity.arn)}")
        lines.append(f"  account:   {mask(identity.account)}")
        lines.append(f"  principal: {mask(identity.principal_type)}")
    else:
        lines.append(f"  unknown: {mask(probes[0].answer) if probes else 'not asked'}")
    region_used = mask(report.region_used) if report is not None else None
    lines += ["", f"Probes ({len(probes)}, region {region_used})"]
    for probe in probes:
        mark = _MARKS.get(probe.outcome, "FAIL")
        # The document's rounding first, so text and JSON show the same duration.
        duration = round(probe.duration_ms, 1)
        lines.append(f"  {mark} {mask(probe.name):38} {mask(probe.answer)}  ({duration:.0f} ms)")
    skew = report.skew_seconds if report is not None else None
    if skew is not None:
        # Whole seconds with a sign: "-0 s" from a rounded -0.3 reads like a fault.
        seconds = round(round(skew, 1))
        lines.append(f"  clock: local time differs from the endpoint's by {seconds:+d} s")
    return lines


def _network(report: ProbeReport | None, mask: Mask) -> list[str]:
    """The network path, one line per host, before anything is said about credentials."""
    lines: list[str] = []
    for path in report.network if report is not None else []:
        if not lines:
            lines.append("Network path (before any credential is judged)")
        mark = "ok  " if path.ok else "FAIL"
        proxy = f"via proxy {mask(path.proxy)}" if path.proxy else "direct"
        lines.append(
            f"  {mark} {mask(path.url)}: {proxy}; dns {mask(path.dns)}; {mask(path.reach)}; "
            f"CA {mask(path.ca_bundle)}; TLS {mask(path.tls)}"
        )
    return lines


def _chain(report: ProbeReport | None, mask: Mask) -> list[str]:
    """A role chain as a chain: ``base -> one -> two``, then each hop with its result.

    The hops are the probes that carry a ``hop`` (one AssumeRole each, in chain order);
    the first that failed is where the chain breaks.
    """
    probes = report.probes if report is not None else []
    hops = [(p, p.data["hop"]) for p in probes if isinstance(p.data.get("hop"), dict)]
    if not hops:
        return []
    base = str(hops[0][1]["from"]).removeprefix("profile ")
    names = " -> ".join([base, *(str(hop["profile"]) for _, hop in hops)])
    lines = [f"Role chain: {mask(names)}"]
    for probe, hop in hops:
        mark = _MARKS.get(probe.outcome, "FAIL")
        lines.append(
            f"  {mark} hop {hop['index']}/{hop['of']} {mask(str(hop['from']))} -> "
            f"{mask(str(hop['role_arn']))} (profile {mask(str(hop['profile']))}): "
            f"{mask(probe.answer)}"
        )
    return lines


def _diagnosis(top: Cause, others: Sequence[Cause], paint: Painter, mask: Mask) -> list[str]:
    lines = [
        paint("bold", "Most likely cause: ")
        + f"{mask(top.title)} "
        + paint("dim", f"[{top.category.value}]"),
        "  " + mask(top.explanation),
        "  " + paint("bold", "fix: ") + mask(top.fix),
    ]
    for item in top.why:
        lines.append("  " + paint("dim", "evidence: ") + mask(item))
    if others:
        lines.append(
            "  "
            + paint("dim", "also possible: ")
            + "; ".join(f"{mask(c.title)} [{c.category.value}]" for c in others)
        )
    return lines
