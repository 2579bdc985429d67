"""The one ranker: evidence in, ranked causes out.

AWS's answer codes are ambiguous on their own: ``InvalidClientTokenId`` is a typo, a
deleted key, a temporary key without its token, or keys from the wrong source;
``SignatureDoesNotMatch`` is a wrong secret, an altered one, or a wrong clock. Which of
them it is here is decided by the evidence, and the evidence of every command has one
shape (:class:`Evidence`): the answer codes the endpoint gave, the facts known about the
credentials (clues of the catalog, such as ``temporary-key``), the findings the offline
audit predicts and the findings the probes observed.

The catalog holds the causes of every code with their priors and clue weights, and
``ranking.toml`` how findings count; this module holds no cause prose and no scores. A
catalog cause that an audit finding of its category explains takes the finding's title,
explanation and fix, because the audit knows this machine (which file, which profile,
which variable) where the catalog speaks in general.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from keydoctor.catalog import codes as families
from keydoctor.catalog.ranking import ClueSource, Scored, Weights, score_cause, weights
from keydoctor.model import Category, Finding, Resolution, Severity
from keydoctor.redact import mask_key_id

if TYPE_CHECKING:
    from keydoctor.catalog.schema import Catalog
    from keydoctor.probes.runner import ProbeReport


@dataclass(frozen=True)
class Answer:
    """An answer code the endpoint gave, and to which requests."""

    code: str
    requests: tuple[str, ...]
    live: bool = True


@dataclass(frozen=True)
class Evidence:
    """Everything the ranker may weigh, from any command.

    ``facts`` are catalog clues established without text (the key id starts with ASIA,
    a token was sent); ``text`` clues come from a pasted or raised error message and are
    searched by the catalog's patterns. ``keys_accepted`` is set when the endpoint took
    these very credentials (STS answered, or a denial that only valid keys receive).
    """

    answers: tuple[Answer, ...] = ()
    facts: frozenset[str] = frozenset()
    text: ClueSource | None = None
    predicted: tuple[Finding, ...] = ()  # the offline audit's findings
    observed: tuple[Finding, ...] = ()  # the probes' findings
    credentials_found: bool = True
    keys_accepted: bool = False
    key: str = "the key"  # the masked key id, for sentences
    endpoint: str = "AWS"  # who answered, for sentences

    def fired(self, name: str) -> bool:
        """A clue holds when it is an established fact or the text shows it."""
        return name in self.facts or (self.text is not None and self.text.fired(name))


@dataclass(frozen=True)
class Cause:
    """One ranked cause, as every command and the hook report it."""

    category: Category
    title: str
    explanation: str
    fix: str
    score: float
    why: tuple[str, ...] = ()  # the evidence that raised it, in words
    source: str = ""  # "catalog:<cause id>", "observed:<code>" or "audit:<code>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "title": self.title,
            "explanation": self.explanation,
            "fix": self.fix,
            "why": list(self.why),
            "evidence": list(self.why),  # the name schema version 1 documents for `check`
            "score": round(self.score, 2),
            "source": self.source,
        }


def _answered(answer: Answer, endpoint: str) -> str:
    where = f" to {', '.join(answer.requests)}" if answer.requests else ""
    said = f"{endpoint} answered {answer.code}{where}"
    return said[0].upper() + said[1:]


def _catalog_cause(scored: Scored, answer: Answer, evidence: Evidence) -> Cause:
    said = _answered(answer, evidence.endpoint)
    proof = (said, *scored.why)
    if scored.findings:
        finding = scored.findings[0]
        return Cause(
            finding.category,
            finding.title,
            f"{finding.explanation} {said}, which this explains.",
            finding.fix,
            scored.score,
            proof,
            f"audit:{finding.code}",
        )
    return Cause(
        scored.cause.category,
        scored.cause.title,
        f"{said} for {evidence.key}. {scored.cause.explanation}",
        scored.cause.fix,
        scored.score,
        proof,
        f"catalog:{scored.cause.id}",
    )


def _finding_cause(finding: Finding, score: float, kind: str, extra: str = "") -> Cause:
    return Cause(
        finding.category,
        finding.title,
        finding.explanation + extra,
        finding.fix,
        score,
        (f"{finding.code}: {finding.title}",),
        f"{kind}:{finding.code}",
    )


def _ruled_out(cause: Cause, table: Weights, evidence: Evidence) -> Cause:
    """The endpoint took these credentials: causes about the keys themselves drop back."""
    if cause.category not in table.ruled_out_by_acceptance:
        return cause
    note = f"{evidence.endpoint} accepted these same credentials, so the keys themselves work"
    return replace(cause, score=cause.score + table.accepted_penalty, why=(*cause.why, note))


def rank(
    evidence: Evidence, *, catalog: Catalog | None = None, table: Weights | None = None
) -> list[Cause]:
    """Every candidate cause, best first, the best one of each category."""
    table = table or weights()
    candidates: list[Cause] = []
    if evidence.answers:
        if catalog is None:
            # Only a refusal needs the error knowledge; a healthy check never parses it.
            from keydoctor.catalog.schema import load_catalog

            catalog = load_catalog()
        clues = catalog.clues

        def clue_why(name: str) -> str:
            return clues[name].why

        for answer in evidence.answers:
            entry = catalog.by_code(answer.code)
            for known in entry.causes if entry is not None else ():
                scored = score_cause(known, evidence, clue_why, evidence.predicted, table)
                candidates.append(_catalog_cause(scored, answer, evidence))
    for finding in evidence.observed:
        score = table.observed.get(finding.severity)
        if score is not None and finding.code not in table.restates_answer:
            candidates.append(_finding_cause(finding, score, "observed"))
    reached_nothing = any(f.code in table.unreachable for f in evidence.observed)
    for finding in evidence.predicted:
        score = table.predicted.get(finding.severity)
        if score is None:
            continue
        if reached_nothing and finding.code in table.explains_unreachable:
            score = table.observed.get(finding.severity, score)
            score += table.explains_unreachable_bonus
            extra = " That is why the endpoint could not be reached."
            candidates.append(_finding_cause(finding, score, "audit", extra))
        elif not evidence.credentials_found and finding.code in table.misnamed_section:
            score += table.misnamed_section_bonus
            extra = " That is why botocore finds no credentials."
            candidates.append(_finding_cause(finding, score, "audit", extra))
        else:
            candidates.append(_finding_cause(finding, score, "audit"))
    if evidence.keys_accepted or any(
        not families.is_auth(a.code) and families.family(a.code) is not None
        for a in evidence.answers
        if a.live
    ):
        candidates = [_ruled_out(c, table, evidence) for c in candidates]
    best: dict[Category, Cause] = {}
    for candidate in candidates:
        current = best.get(candidate.category)
        if current is None or candidate.score > current.score:
            best[candidate.category] = candidate
    return sorted(best.values(), key=lambda c: -c.score)


# -- evidence from `keydoctor check` -----------------------------------------------------


def _profile_keys_shadowed(resolution: Resolution) -> bool:
    """Static keys of the profile the user selected, hidden by environment keys."""
    winner = resolution.winner
    if winner is None or winner.method != "env":
        return False
    return any(
        source.method in ("shared-credentials-file", "config-file")
        and source.profile == resolution.profile
        and source.access_key_id
        and source.access_key_id.strip() != (winner.access_key_id or "").strip()
        for source in resolution.shadowed
    )


def key_facts(key_id: str | None, *, token_sent: bool) -> set[str]:
    """The clues the credentials themselves establish, whichever command holds them."""
    facts: set[str] = set()
    key_id = (key_id or "").strip()
    if key_id.startswith("ASIA"):
        facts.add("temporary-key")
    elif key_id.startswith("AKIA"):
        facts.add("long-term-key")
    if token_sent:
        facts.add("token-sent")
    return facts


def _region_facts(region: str | None) -> set[str]:
    from keydoctor.catalog.regions import region_flags

    return region_flags(region) if region else set()


def check_evidence(
    offline: Iterable[Finding],
    resolution: Resolution,
    report: ProbeReport | None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> Evidence:
    """What ``keydoctor check`` knows: the audit, the credentials and the probes' answers."""
    source = resolution.winner
    key_id = (source.access_key_id or "").strip() if source else ""
    facts = key_facts(key_id, token_sent=bool(source is not None and source.session_token))
    if _profile_keys_shadowed(resolution):
        facts.update({"env-shadows-profile", "env-vars"})
    # The region the requests really went to (botocore's default when none is set).
    facts |= _region_facts(report.region_used if report is not None else region)
    answers: dict[str, Answer] = {}
    seen_families: set[str | None] = set()
    if report is not None:
        for probe in report.auth_failures():
            if probe.failure is None:
                continue
            code = probe.failure.code
            name = families.family(code)
            if code in answers:
                old = answers[code]
                answers[code] = replace(old, requests=(*old.requests, probe.name))
            elif name not in seen_families or name is None:
                answers[code] = Answer(code, (probe.name,))
                seen_families.add(name)
            else:  # the same refusal in another service's words (STS vs S3): one answer
                first = next(a for a in answers.values() if families.family(a.code) == name)
                said = f"{probe.name} ({code})"
                answers[first.code] = replace(first, requests=(*first.requests, said))
    return Evidence(
        answers=tuple(answers.values()),
        facts=frozenset(facts),
        predicted=tuple(f for f in offline if f.severity >= Severity.HIGH),
        observed=tuple(report.findings) if report is not None else (),
        credentials_found=source is not None,
        key=mask_key_id(key_id) if key_id else "the key",
        endpoint="AWS" if not endpoint_url else "the endpoint",
    )


def live_accepted(report: ProbeReport | None) -> bool:
    """The endpoint accepted the credentials: an identity, or an answer, and no refusal."""
    if report is None or report.auth_failures():
        return False
    # A metadata service that answered (container endpoint, IMDS) says nothing of AWS.
    return report.identity is not None or any(
        p.outcome == "ok" and p.service not in ("container", "imds") for p in report.probes
    )


def weigh_predictions(
    offline: Iterable[Finding], report: ProbeReport | None, *, endpoint_url: str | None
) -> list[Finding]:
    """What was observed outranks what was predicted.

    When the endpoint accepted the credentials, an offline finding that predicts a refusal
    (a stray space in the key id, an odd secret length) did not stop this request: it
    stays as a warning that says so, and no longer decides the exit code.
    """
    found = list(offline)
    if not live_accepted(report):
        return found
    table = weights()
    # Capitalised by hand: str.capitalize() would turn "AWS" into "Aws".
    where = "This endpoint" if endpoint_url else "AWS"
    later = "AWS would reject it" if endpoint_url else "other tools or SDKs may still fail on it"
    result: list[Finding] = []
    for finding in found:
        if finding.category in table.ruled_out_by_acceptance and finding.severity >= Severity.HIGH:
            finding = replace(
                finding,
                severity=Severity.MEDIUM,
                explanation=f"{where} accepted these credentials, so this did not "
                f"stop the request; but {later}. {finding.explanation}",
            )
        result.append(finding)
    return result
