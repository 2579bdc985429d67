"""Correlate the offline findings with AWS's answers into one most likely root cause.

AWS's error codes are ambiguous on their own: ``InvalidClientTokenId`` is a typo, a
deleted key, a temporary key without its token, or keys from the wrong source;
``SignatureDoesNotMatch`` is a wrong secret, an altered one, or a wrong clock. What the
offline audit saw (an ``ASIA`` key without a token, a secret with a stray space, env keys
shadowing the profile the user named) decides between them. Each rule below proposes a
candidate cause with a score; the best one is the diagnosis, the others are ranked after
it. The diagnosis is ``None`` when nothing at or above ``high`` was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keydoctor.model import Category, CredentialSource, Finding, Resolution, Severity
from keydoctor.redact import mask_key_id

if TYPE_CHECKING:
    from keydoctor.probes.runner import ProbeReport

_UNKNOWN_KEY = {
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "UnrecognizedClientException",
    "AuthFailure",
}
_SIGNATURE = {"SignatureDoesNotMatch", "IncompleteSignature"}
_TOKEN = {"ExpiredToken", "ExpiredTokenException", "InvalidToken"}
_SKEW = {"RequestTimeTooSkewed", "RequestExpired"}
# Offline causes that can produce each refusal (a swapped id and secret is "unknown key").
_EXPLAINS_UNKNOWN_KEY = {
    Category.SESSION_TOKEN,
    Category.WRONG_SOURCE,
    Category.KEY_ID_WRONG,
    Category.SECRET_WRONG,
    Category.CONFIG_MALFORMED,
}
_EXPLAINS_SIGNATURE = {
    Category.SECRET_WRONG,
    Category.CLOCK_SKEW,
    Category.WRONG_SOURCE,
    Category.CONFIG_MALFORMED,
    Category.SIGNING_OTHER,
}


@dataclass
class Cause:
    """One candidate root cause."""

    category: Category
    title: str
    explanation: str
    fix: str
    score: int
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "title": self.title,
            "explanation": self.explanation,
            "fix": self.fix,
            "evidence": list(self.evidence),
            "score": self.score,
        }


def _secret_problem(source: CredentialSource | None) -> str | None:
    """What is visibly wrong with the secret itself (never the secret)."""
    if source is None or source.secret_access_key is None:
        return None
    value = source.secret_access_key.reveal()
    if value != value.strip():
        return "the secret key has leading or trailing whitespace"
    if any(c in value for c in "'\"`"):
        return "the secret key contains a quote character"
    if len(value) != 40:
        return f"the secret key is {len(value)} characters long, not 40"
    return None


def _profile_keys_shadowed(resolution: Resolution) -> CredentialSource | None:
    """Static keys of the profile the user selected, hidden by environment keys."""
    winner = resolution.winner
    if winner is None or winner.method != "env":
        return None
    for source in resolution.shadowed:
        if (
            source.method in ("shared-credentials-file", "config-file")
            and source.profile == resolution.profile
            and source.access_key_id
            and source.access_key_id.strip() != (winner.access_key_id or "").strip()
        ):
            return source
    return None


def _finding_causes(findings: list[Finding], base: int) -> list[Cause]:
    causes = []
    for f in findings:
        if f.severity < Severity.HIGH:
            continue
        causes.append(
            Cause(
                f.category,
                f.title,
                f.explanation,
                f.fix,
                base + 5 * f.severity.rank,
                [f"{f.code}: {f.title}"],
            )
        )
    return causes


# Section headers botocore does not read as the profile they were meant for.
_MISNAMED_SECTION = frozenset({"KD210", "KD301", "KD302"})


def _codes(report: ProbeReport | None) -> dict[str, list[str]]:
    """AWS refusal code -> the probes that met it."""
    found: dict[str, list[str]] = {}
    if report is None:
        return found
    for probe in report.auth_failures():
        if probe.failure is not None:
            found.setdefault(probe.failure.code, []).append(probe.name)
    return found


def rank_causes(
    offline: list[Finding], resolution: Resolution, report: ProbeReport | None
) -> list[Cause]:
    """Every candidate cause, best first, one per category."""
    source = resolution.winner
    key_id = (source.access_key_id or "").strip() if source else ""
    masked = mask_key_id(key_id) if key_id else "the key"
    offline_by_cat: dict[Category, list[Finding]] = {}
    for f in offline:
        if f.severity >= Severity.MEDIUM:  # info notes (e.g. the decoded account) prove nothing
            offline_by_cat.setdefault(f.category, []).append(f)
    probe_findings = report.findings if report is not None else []
    codes = _codes(report)
    causes: list[Cause] = []

    def seen(code: str) -> str:
        return f"AWS answered {code} to {', '.join(codes[code])}"

    def offline_evidence(category: Category) -> list[str]:
        return [f"{f.code}: {f.title}" for f in offline_by_cat.get(category, [])]

    unknown = next((c for c in codes if c in _UNKNOWN_KEY), None)
    signature = next((c for c in codes if c in _SIGNATURE), None)
    shadowed = _profile_keys_shadowed(resolution)
    no_token = source is not None and not source.session_token
    skew_finding = next(
        (
            f
            for f in probe_findings
            if f.category is Category.CLOCK_SKEW and f.severity >= Severity.HIGH
        ),
        None,
    )

    if unknown is not None:
        if key_id.startswith("ASIA") and no_token:
            causes.append(
                Cause(
                    Category.SESSION_TOKEN,
                    "Temporary key used without its session token",
                    f"{masked} starts with ASIA: it is a temporary key, valid only together with "
                    f"the session token issued with it, and none was sent. That is why AWS "
                    f"answered {unknown}; the key itself may be fine.",
                    "Set the token with the key: export AWS_SESSION_TOKEN=... (or "
                    "aws_session_token = ... in the profile), or get a fresh set of temporary "
                    "credentials",
                    100,
                    [
                        seen(unknown),
                        f"{masked} is a temporary (ASIA) key id",
                        "no session token set",
                    ]
                    + offline_evidence(Category.SESSION_TOKEN),
                )
            )
        if shadowed is not None:
            causes.append(
                Cause(
                    Category.WRONG_SOURCE,
                    "Environment keys override the profile you selected",
                    f"The environment variables hold {masked}, which AWS rejects ({unknown}); "
                    f"botocore uses them before profile [{resolution.profile}] "
                    f"({resolution.profile_origin}), which holds other keys "
                    f"({mask_key_id((shadowed.access_key_id or '').strip())}).",
                    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN (or pass "
                    f"--profile {resolution.profile}, which makes botocore ignore them)",
                    98,
                    [
                        seen(unknown),
                        f"winner: environment variables ({masked})",
                        f"shadowed: profile [{resolution.profile}] keys",
                    ]
                    + offline_evidence(Category.WRONG_SOURCE),
                )
            )
        elif offline_by_cat.get(Category.WRONG_SOURCE):
            first = offline_by_cat[Category.WRONG_SOURCE][0]
            causes.append(
                Cause(
                    Category.WRONG_SOURCE,
                    first.title,
                    first.explanation,
                    first.fix,
                    96,
                    [seen(unknown)] + offline_evidence(Category.WRONG_SOURCE),
                )
            )
        if key_id.startswith("ASIA") and not no_token:
            causes.append(
                Cause(
                    Category.SESSION_TOKEN,
                    "The temporary credentials are stale or do not belong together",
                    f"{masked} is a temporary key and AWS does not accept it with the session "
                    "token "
                    f"sent ({unknown}): the set expired and was purged, or key and token come "
                    "from different sets.",
                    "Get a fresh set of temporary credentials and copy all three values together",
                    93,
                    [seen(unknown), f"{masked} is a temporary (ASIA) key id"],
                )
            )
        typo = offline_by_cat.get(Category.KEY_ID_WRONG)
        explanation = (
            f"AWS does not know {masked} ({unknown}): the key id is mistyped, the key was "
            "deleted or rotated, made inactive, or belongs to another partition."
        )
        if typo:
            explanation = (
                f"{typo[0].explanation} AWS confirms it does not know the key ({unknown})."
            )
        causes.append(
            Cause(
                Category.KEY_ID_WRONG,
                typo[0].title if typo else "AWS does not know this access key id",
                explanation,
                typo[0].fix
                if typo
                else (
                    "Copy the key id again from the IAM console, or create a new key "
                    "(aws iam create-access-key) and configure it (aws configure)"
                ),
                97 if typo else 90,
                [seen(unknown)] + offline_evidence(Category.KEY_ID_WRONG),
            )
        )

    if signature is not None:
        if skew_finding is not None:
            causes.append(
                Cause(
                    Category.CLOCK_SKEW,
                    skew_finding.title,
                    skew_finding.explanation,
                    skew_finding.fix,
                    100,
                    [seen(signature), f"{skew_finding.code}: clock skew"],
                )
            )
        problem = _secret_problem(source)
        altered = offline_by_cat.get(Category.SECRET_WRONG)
        if problem or altered:
            evidence = [seen(signature)] + ([problem] if problem else [])
            evidence += offline_evidence(Category.SECRET_WRONG)
            causes.append(
                Cause(
                    Category.SECRET_WRONG,
                    altered[0].title if altered else "The secret key has a stray character",
                    (altered[0].explanation if altered else f"{(problem or '').capitalize()}.")
                    + f" AWS knows {masked} but the signature does not match ({signature}).",
                    altered[0].fix
                    if altered
                    else (
                        "Paste the secret again without spaces or quotes: aws configure set "
                        "aws_secret_access_key ..."
                    ),
                    99,
                    evidence,
                )
            )
        causes.append(
            Cause(
                Category.SECRET_WRONG,
                "The secret key does not match the key id",
                f"AWS knows {masked} but the signature made with the secret does not match "
                f"({signature}): the secret is wrong, truncated, or belongs to another key.",
                "Paste the secret again (aws configure set aws_secret_access_key ...) or create a "
                "new key pair",
                90,
                [seen(signature)],
            )
        )
        if shadowed is not None:
            causes.append(
                Cause(
                    Category.WRONG_SOURCE,
                    "Environment keys override the profile you selected",
                    f"botocore signs with the environment's keys before profile "
                    f"[{resolution.profile}], which holds other keys; AWS refuses the signature.",
                    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
                    88,
                    [seen(signature)],
                )
            )

    # An offline finding that explains AWS's refusal is confirmed by it.
    for refusal, plausible in ((unknown, _EXPLAINS_UNKNOWN_KEY), (signature, _EXPLAINS_SIGNATURE)):
        if refusal is None:
            continue
        for f in offline:
            if f.severity >= Severity.HIGH and f.category in plausible:
                causes.append(
                    Cause(
                        f.category,
                        f.title,
                        f"{f.explanation} AWS confirms that the request fails ({refusal}).",
                        f.fix,
                        95 + (1 if f.severity is Severity.CRITICAL else 0),
                        [seen(refusal), f"{f.code}: {f.title}"],
                    )
                )

    for code in codes:
        if code in _TOKEN or code in _SKEW or code == "AuthorizationHeaderMalformed":
            finding = next((f for f in probe_findings if code in f.explanation), None)
            if finding is not None:
                causes.append(
                    Cause(
                        finding.category,
                        finding.title,
                        finding.explanation,
                        finding.fix,
                        100,
                        [seen(code)],
                    )
                )

    # Denials, regions, reachability, IAM: the probe findings speak for themselves.
    causes.extend(
        _finding_causes(
            [
                f
                for f in probe_findings
                if f.category not in (Category.KEY_ID_WRONG, Category.SECRET_WRONG)
                or f.code in ("KD710",)
            ],
            60,
        )
    )
    # No credentials at all, while keys sit under a section header botocore does not read
    # ([profile x] in the credentials file, [x] in the config file, a misspelt header):
    # the header is the cause, "no credentials" only its symptom.
    if source is None:
        for f in offline:
            if f.code in _MISNAMED_SECTION and f.severity >= Severity.HIGH:
                causes.append(
                    Cause(
                        f.category,
                        f.title,
                        f"{f.explanation} That is why botocore finds no credentials.",
                        f.fix,
                        80,
                        [f"{f.code}: {f.title}", "botocore found no credentials"],
                    )
                )

    # What the offline audit found and AWS did not contradict.
    causes.extend(_finding_causes(offline, 55))

    best: dict[Category, Cause] = {}
    for cause in causes:
        current = best.get(cause.category)
        if current is None or cause.score > current.score:
            best[cause.category] = cause
    return sorted(best.values(), key=lambda c: -c.score)


def diagnose(
    offline: list[Finding], resolution: Resolution, report: ProbeReport | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The diagnosis (or None when all is well) and the other causes, ranked."""
    ranked = rank_causes(offline, resolution, report)
    serious = any(f.severity >= Severity.HIGH for f in offline) or (
        report is not None
        and (
            any(f.severity >= Severity.HIGH for f in report.findings)
            or bool(report.auth_failures())
        )
    )
    if not ranked or not serious:
        return None, []
    top, rest = ranked[0], ranked[1:]
    return top.to_dict(), [c.to_dict() for c in rest]
