"""The ranker's arithmetic and the evidence of ``check``, pinned with exact values.

These tests build typed inputs directly (no emulator, no subprocess), so that a changed
sign, a dropped clue or a swapped comparison in :mod:`keydoctor.diagnosis` changes an
expected number or sentence. The catalog and the weights are small ones made here, with
distinct numbers, so every score below can be worked out by hand: prior + fired clue
weights + a boost per failing audit finding of the cause's category, and the acceptance
penalty for causes about the keys themselves. Answer codes are read from the one code
table by family, never spelled here.
"""

from __future__ import annotations

import pytest

from keydoctor.catalog import codes
from keydoctor.catalog.ranking import Weights, weights
from keydoctor.catalog.schema import Catalog, Clue, ErrorEntry
from keydoctor.catalog.schema import Cause as KnownCause
from keydoctor.diagnosis import (
    Answer,
    Cause,
    Evidence,
    _profile_keys_shadowed,
    check_evidence,
    key_facts,
    live_accepted,
    rank,
    weigh_predictions,
)
from keydoctor.model import (
    Category,
    CredentialSource,
    Finding,
    Location,
    Resolution,
    Secret,
    Severity,
)
from keydoctor.probes import outcome as oc
from keydoctor.probes.identity import Identity
from keydoctor.probes.outcome import Failure, ProbeResult
from keydoctor.probes.runner import ProbeReport


def _code(family: str, index: int = 0) -> str:
    """A real answer code of one family, in a stable order, never spelled in a test."""
    return sorted(c for c in codes.codes(family) if not c.isdigit())[index]


UNKNOWN_KEY = _code(codes.UNKNOWN_KEY)  # the STS and S3 words for "no such key id"
UNKNOWN_KEY_2 = _code(codes.UNKNOWN_KEY, 1)
SIGNATURE = _code(codes.SIGNATURE)
DENIED = _code(codes.DENIED)
NOT_A_CODE = "KeydoctorNoSuchAnswer"  # in no family and not in the catalog

KEY = "AKIAIOSFODNN7EXAMPLE"
TEMP_KEY = "ASIAY34FZKBOKMUTVV7A"

TABLE = Weights(
    boost={Severity.CRITICAL: 3.0, Severity.HIGH: 1.5},
    observed={Severity.CRITICAL: 9.0, Severity.HIGH: 8.0},
    predicted={Severity.CRITICAL: 2.5, Severity.HIGH: 2.0},
    misnamed_section=frozenset({"KD301"}),
    misnamed_section_bonus=0.75,
    restates_answer=frozenset({"KD610"}),
    ruled_out_by_acceptance=frozenset({Category.KEY_ID_WRONG, Category.SECRET_WRONG}),
    accepted_penalty=-20.0,
    explains_unreachable=frozenset({"KD409"}),
    unreachable=frozenset({"KD901"}),
    explains_unreachable_bonus=1.0,
)

TYPO = KnownCause(
    "typo",
    Category.KEY_ID_WRONG,
    "Typo in the key id",
    "The id was mistyped.",
    "Copy the id again.",
    None,
    1.0,
    (("long-term-key", 0.5),),
)
NO_TOKEN = KnownCause(
    "no-token",
    Category.SESSION_TOKEN,
    "Temporary key without token",
    "ASIA keys need one.",
    "Add the token.",
    None,
    0.5,
    (("temporary-key", 2.0), ("token-sent", -3.0)),
)
WRONG_SECRET = KnownCause(
    "wrong-secret",
    Category.SECRET_WRONG,
    "Wrong secret",
    "The secret does not match.",
    "Copy the secret again.",
    None,
    1.25,
    (),
)
MISSING_ALLOW = KnownCause(
    "missing-allow",
    Category.PERMISSION_MISSING,
    "No Allow",
    "No policy allows it.",
    "Add an Allow.",
    None,
    1.0,
    (),
)


def _entry(code: str, causes: tuple[KnownCause, ...], aliases: tuple[str, ...] = ()) -> ErrorEntry:
    return ErrorEntry(code, "sts", 403, code, "m", (), (), aliases, (), (), 0, causes, "test")


CATALOG = Catalog(
    clues={
        "temporary-key": Clue("temporary-key", "the key id starts with ASIA", None),
        "long-term-key": Clue("long-term-key", "the key id starts with AKIA", None),
        "token-sent": Clue("token-sent", "a session token was sent", None),
    },
    errors=(
        _entry(UNKNOWN_KEY, (TYPO, NO_TOKEN), aliases=(UNKNOWN_KEY_2,)),
        _entry(SIGNATURE, (WRONG_SECRET,)),
        _entry(DENIED, (MISSING_ALLOW,)),
    ),
)


def _finding(
    code: str, severity: Severity, category: Category, title: str = "T", explanation: str = "E."
) -> Finding:
    return Finding(code, severity, category, title, explanation, f"fix {code}")


def _rank(evidence: Evidence) -> list[Cause]:
    return rank(evidence, catalog=CATALOG, table=TABLE)


# -- rank -------------------------------------------------------------------------------


def test_no_evidence_no_causes() -> None:
    assert _rank(Evidence()) == []


def test_a_catalog_cause_is_prior_plus_fired_clue_weights() -> None:
    evidence = Evidence(
        answers=(Answer(UNKNOWN_KEY, ("sts:GetCallerIdentity", "s3:ListBuckets")),),
        facts=frozenset({"temporary-key"}),
        key="ASIA…VV7A",
    )
    said = f"AWS answered {UNKNOWN_KEY} to sts:GetCallerIdentity, s3:ListBuckets"
    assert _rank(evidence) == [
        Cause(
            Category.SESSION_TOKEN,
            "Temporary key without token",
            f"{said} for ASIA…VV7A. ASIA keys need one.",
            "Add the token.",
            2.5,  # 0.5 + 2.0
            (said, "the key id starts with ASIA"),
            "catalog:no-token",
        ),
        Cause(
            Category.KEY_ID_WRONG,
            "Typo in the key id",
            f"{said} for ASIA…VV7A. The id was mistyped.",
            "Copy the id again.",
            1.0,  # long-term-key did not fire
            (said,),
            "catalog:typo",
        ),
    ]


def test_a_negative_clue_lowers_the_score_and_gives_no_reason() -> None:
    evidence = Evidence(
        answers=(Answer(UNKNOWN_KEY, ()),),
        facts=frozenset({"temporary-key", "token-sent", "long-term-key"}),
    )
    by_source = {c.source: c for c in _rank(evidence)}
    token = by_source["catalog:no-token"]
    assert token.score == pytest.approx(-0.5)  # 0.5 + 2.0 - 3.0
    assert token.why == (f"AWS answered {UNKNOWN_KEY}", "the key id starts with ASIA")
    assert by_source["catalog:typo"].score == pytest.approx(1.5)
    assert [c.source for c in _rank(evidence)] == ["catalog:typo", "catalog:no-token"]


def test_the_answer_sentence_names_the_endpoint_capitalised() -> None:
    evidence = Evidence(answers=(Answer(SIGNATURE, ()),), endpoint="the endpoint", key="k")
    (cause,) = _rank(evidence)
    assert cause.why == (f"The endpoint answered {SIGNATURE}",)
    assert (
        cause.explanation == f"The endpoint answered {SIGNATURE} for k. The secret does not match."
    )


def test_an_alias_finds_the_entry_and_an_unknown_code_adds_nothing() -> None:
    evidence = Evidence(
        answers=(Answer(UNKNOWN_KEY_2, ("s3:ListBuckets",)), Answer(NOT_A_CODE, ()))
    )
    assert [c.source for c in _rank(evidence)] == ["catalog:typo", "catalog:no-token"]


def test_an_audit_finding_lends_its_words_and_raises_the_cause() -> None:
    finding = _finding(
        "KD501", Severity.HIGH, Category.SESSION_TOKEN, "No token", "The file lacks it."
    )
    evidence = Evidence(
        answers=(Answer(UNKNOWN_KEY, ("sts:GetCallerIdentity",)),),
        facts=frozenset({"temporary-key"}),
        predicted=(finding,),
    )
    said = f"AWS answered {UNKNOWN_KEY} to sts:GetCallerIdentity"
    top, second = _rank(evidence)
    assert top == Cause(
        Category.SESSION_TOKEN,
        "No token",
        f"The file lacks it. {said}, which this explains.",
        "fix KD501",
        4.0,  # 0.5 + 2.0 + boost 1.5; beats the finding alone (predicted high 2.0)
        (said, "the key id starts with ASIA", "the audit of this machine found KD501: No token"),
        "audit:KD501",
    )
    assert second.source == "catalog:typo"
    assert second.score == 1.0


def test_the_most_severe_finding_lends_its_words() -> None:
    high = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG, "High one")
    critical = _finding("KD101", Severity.CRITICAL, Category.KEY_ID_WRONG, "Critical one")
    evidence = Evidence(answers=(Answer(UNKNOWN_KEY, ()),), predicted=(high, critical))
    top = _rank(evidence)[0]
    assert top.source == "audit:KD101"
    assert top.title == "Critical one"
    assert top.score == pytest.approx(5.5)  # 1.0 + 3.0 + 1.5


def test_observed_findings_rank_by_severity_unless_they_restate_the_answer() -> None:
    critical = _finding("KD620", Severity.CRITICAL, Category.CLOCK_SKEW, "Skewed", "Off by 20 min.")
    high = _finding("KD630", Severity.HIGH, Category.REGION_ENDPOINT, "Other region")
    medium = _finding("KD640", Severity.MEDIUM, Category.HYGIENE, "Old key")
    restated = _finding("KD610", Severity.CRITICAL, Category.KEY_ID_WRONG, "Unknown key")
    evidence = Evidence(observed=(medium, restated, high, critical))
    assert _rank(evidence) == [
        Cause(
            Category.CLOCK_SKEW,
            "Skewed",
            "Off by 20 min.",
            "fix KD620",
            9.0,
            ("KD620: Skewed",),
            "observed:KD620",
        ),
        Cause(
            Category.REGION_ENDPOINT,
            "Other region",
            "E.",
            "fix KD630",
            8.0,
            ("KD630: Other region",),
            "observed:KD630",
        ),
    ]


def test_predicted_findings_alone_rank_low_and_lesser_ones_not_at_all() -> None:
    evidence = Evidence(
        predicted=(
            _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG),
            _finding("KD200", Severity.CRITICAL, Category.WRONG_SOURCE),
            _finding("KD300", Severity.MEDIUM, Category.HYGIENE),
            _finding("KD301", Severity.HIGH, Category.CONFIG_MALFORMED),
        ),
    )
    assert [(c.source, c.score, c.explanation) for c in _rank(evidence)] == [
        ("audit:KD200", 2.5, "E."),
        ("audit:KD100", 2.0, "E."),
        ("audit:KD301", 2.0, "E."),  # credentials were found: no bonus
    ]


def test_a_misnamed_section_is_the_cause_when_nothing_was_found() -> None:
    misnamed = _finding("KD301", Severity.HIGH, Category.CONFIG_MALFORMED, "Header", "Bad header.")
    other = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG)
    evidence = Evidence(predicted=(other, misnamed), credentials_found=False)
    assert _rank(evidence) == [
        Cause(
            Category.CONFIG_MALFORMED,
            "Header",
            "Bad header. That is why botocore finds no credentials.",
            "fix KD301",
            2.75,
            ("KD301: Header",),
            "audit:KD301",
        ),
        Cause(Category.KEY_ID_WRONG, "T", "E.", "fix KD100", 2.0, ("KD100: T",), "audit:KD100"),
    ]


def test_accepted_keys_drop_causes_about_the_keys_only() -> None:
    evidence = Evidence(
        answers=(Answer(UNKNOWN_KEY, ()),),
        facts=frozenset({"temporary-key"}),
        keys_accepted=True,
        endpoint="the endpoint",
    )
    by_source = {c.source: c for c in _rank(evidence)}
    typo = by_source["catalog:typo"]
    assert typo.score == pytest.approx(-19.0)
    assert typo.why == (
        f"The endpoint answered {UNKNOWN_KEY}",
        "the endpoint accepted these same credentials, so the keys themselves work",
    )
    assert by_source["catalog:no-token"].score == pytest.approx(2.5)
    assert by_source["catalog:no-token"].why == (
        f"The endpoint answered {UNKNOWN_KEY}",
        "the key id starts with ASIA",
    )


def test_a_live_denial_counts_as_acceptance() -> None:
    evidence = Evidence(answers=(Answer(DENIED, ("s3:GetObject b/k",)), Answer(UNKNOWN_KEY, ())))
    scores = {c.source: c.score for c in _rank(evidence)}
    assert scores == {
        "catalog:missing-allow": 1.0,
        "catalog:typo": pytest.approx(-19.0),
        "catalog:no-token": 0.5,
    }


@pytest.mark.parametrize(
    "answers",
    [
        (Answer(DENIED, (), live=False), Answer(UNKNOWN_KEY, ())),  # a denial in pasted text
        (Answer(NOT_A_CODE, ()), Answer(UNKNOWN_KEY, ())),  # a code of no family
        (Answer(SIGNATURE, ()), Answer(UNKNOWN_KEY, ())),  # refusals only
    ],
)
def test_only_a_live_non_refusal_answer_counts_as_acceptance(answers: tuple[Answer, ...]) -> None:
    scores = {c.source: c.score for c in _rank(Evidence(answers=answers))}
    assert scores["catalog:typo"] == 1.0


def test_the_best_cause_of_each_category_wins_and_the_first_of_equals_stays() -> None:
    first = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG, "First")
    second = _finding("KD101", Severity.HIGH, Category.KEY_ID_WRONG, "Second")
    stronger = _finding("KD102", Severity.CRITICAL, Category.KEY_ID_WRONG, "Stronger")
    assert [c.title for c in _rank(Evidence(predicted=(first, second)))] == ["First"]
    assert [c.title for c in _rank(Evidence(predicted=(first, stronger, second)))] == ["Stronger"]


def test_without_a_catalog_or_table_the_packaged_ones_are_read() -> None:
    skew = _finding("KD620", Severity.CRITICAL, Category.CLOCK_SKEW)
    (only,) = rank(Evidence(observed=(skew,)))
    assert only.score == weights().observed[Severity.CRITICAL]
    causes = rank(Evidence(answers=(Answer(UNKNOWN_KEY, ()),)), table=TABLE)
    assert causes and all(c.source.startswith("catalog:") for c in causes)
    assert {c.source for c in causes}.isdisjoint({"catalog:typo", "catalog:no-token"})


def test_a_cause_as_a_dict() -> None:
    cause = Cause(Category.KMS, "t", "e", "f", 1.23456, ("a", "b"), "catalog:x")
    assert cause.to_dict() == {
        "category": "kms",
        "title": "t",
        "explanation": "e",
        "fix": "f",
        "why": ["a", "b"],
        "evidence": ["a", "b"],
        "score": 1.23,
        "source": "catalog:x",
    }


class _Text:
    def __init__(self, *names: str) -> None:
        self.names = names

    def fired(self, name: str) -> bool:
        return name in self.names


def test_a_clue_holds_as_a_fact_or_in_the_text() -> None:
    assert Evidence(facts=frozenset({"a"})).fired("a")
    assert not Evidence(facts=frozenset({"a"})).fired("b")
    assert Evidence(text=_Text("b")).fired("b")
    assert not Evidence(text=_Text("b")).fired("a")
    assert Evidence(facts=frozenset({"a"}), text=_Text("b")).fired("a")


# -- key facts and shadowed profile keys --------------------------------------------------


@pytest.mark.parametrize(
    ("key_id", "token", "facts"),
    [
        (TEMP_KEY, False, {"temporary-key"}),
        (f"  {TEMP_KEY}\t", True, {"temporary-key", "token-sent"}),
        (KEY, False, {"long-term-key"}),
        (f" {KEY}", True, {"long-term-key", "token-sent"}),
        ("asiay34fzkbokmutvv7a", False, set()),
        ("AIDAIOSFODNN7EXAMPLE", False, set()),
        (None, True, {"token-sent"}),
        ("", False, set()),
    ],
)
def test_key_facts(key_id: str | None, token: bool, facts: set[str]) -> None:
    assert key_facts(key_id, token_sent=token) == facts


def _source(
    method: str, key: str | None, profile: str | None = "dev", token: str | None = None
) -> CredentialSource:
    return CredentialSource(
        method,
        Location("env" if method == "env" else "file", None if method == "env" else "/f"),
        profile=profile,
        access_key_id=key,
        secret_access_key=Secret("s") if key else None,
        session_token=Secret(token) if token else None,
    )


def _resolution(winner: CredentialSource | None, *shadowed: CredentialSource) -> Resolution:
    return Resolution("dev", "AWS_PROFILE", winner, shadowed, None, ())


@pytest.mark.parametrize(
    ("winner", "shadowed", "expected"),
    [
        (_source("env", KEY, None), _source("shared-credentials-file", TEMP_KEY), True),
        (_source("env", KEY, None), _source("config-file", TEMP_KEY), True),
        (_source("env", None, None), _source("config-file", TEMP_KEY), True),
        (_source("env", KEY, None), _source("shared-credentials-file", f" {KEY} "), False),
        (_source("env", f"{KEY} ", None), _source("shared-credentials-file", KEY), False),
        (_source("env", KEY, None), _source("shared-credentials-file", TEMP_KEY, "prod"), False),
        (_source("env", KEY, None), _source("assume-role", TEMP_KEY), False),
        (_source("env", KEY, None), _source("shared-credentials-file", None), False),
        (_source("env", KEY, None), _source("shared-credentials-file", ""), False),
        (_source("shared-credentials-file", KEY), _source("config-file", TEMP_KEY), False),
        (None, _source("config-file", TEMP_KEY), False),
    ],
)
def test_profile_keys_shadowed(
    winner: CredentialSource | None, shadowed: CredentialSource, expected: bool
) -> None:
    assert _profile_keys_shadowed(_resolution(winner, shadowed)) is expected


def test_a_later_shadowed_source_counts_too() -> None:
    resolution = _resolution(
        _source("env", KEY, None),
        _source("assume-role", None),
        _source("shared-credentials-file", TEMP_KEY),
    )
    assert _profile_keys_shadowed(resolution) is True


# -- check_evidence ------------------------------------------------------------------------


def _failed(name: str, code: str) -> ProbeResult:
    failure = Failure(oc.AUTH_FAILED, code, "refused", "refused")
    return ProbeResult(name, "sts", "Op", "q", outcome=oc.AUTH_FAILED, failure=failure)


def _report(
    *probes: ProbeResult,
    identity: Identity | None = None,
    findings: tuple[Finding, ...] = (),
    region: str = "eu-west-1",
) -> ProbeReport:
    return ProbeReport(identity, list(probes), list(findings), None, region)


IDENTITY = Identity("123456789012", "arn:aws:iam::123456789012:user/u", "AIDAX", "user", "u")


def test_check_evidence_without_probes() -> None:
    high = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG)
    critical = _finding("KD200", Severity.CRITICAL, Category.WRONG_SOURCE)
    medium = _finding("KD300", Severity.MEDIUM, Category.HYGIENE)
    resolution = _resolution(_source("shared-credentials-file", f" {TEMP_KEY} ", token="tok"))
    evidence = check_evidence([high, medium, critical], resolution, None, region="us-east-1")
    assert evidence == Evidence(
        answers=(),
        facts=frozenset({"temporary-key", "token-sent", "standard-region"}),
        predicted=(high, critical),
        observed=(),
        credentials_found=True,
        key="ASIA…VV7A",
        endpoint="AWS",
    )


def test_check_evidence_with_nothing_found() -> None:
    evidence = check_evidence([], _resolution(None), None, endpoint_url="http://127.0.0.1:9000")
    assert evidence == Evidence(
        facts=frozenset(), credentials_found=False, key="the key", endpoint="the endpoint"
    )


def test_check_evidence_for_a_source_that_fetches_its_keys_later() -> None:
    # An assume-role profile holds no key id yet: the sentences speak of "the key".
    evidence = check_evidence([], _resolution(_source("assume-role", None)), None)
    assert evidence == Evidence(facts=frozenset(), credentials_found=True, key="the key")


def test_check_evidence_when_environment_keys_hide_the_profile() -> None:
    resolution = _resolution(
        _source("env", KEY, None), _source("shared-credentials-file", TEMP_KEY)
    )
    evidence = check_evidence([], resolution, None, region="cn-north-1", endpoint_url="")
    assert evidence.facts == {"long-term-key", "env-shadows-profile", "env-vars", "china-region"}
    assert evidence.endpoint == "AWS"
    assert evidence.key == "AKIA…MPLE"


def test_check_evidence_reads_the_region_the_probes_used() -> None:
    resolution = _resolution(_source("env", KEY, None))
    skew = _finding("KD620", Severity.HIGH, Category.CLOCK_SKEW)
    report = _report(findings=(skew,), region="us-gov-west-1")
    evidence = check_evidence([], resolution, report, region="us-east-1")
    assert evidence.facts == {"long-term-key", "govcloud-region"}
    assert evidence.observed == (skew,)
    assert evidence.answers == ()


def test_one_answer_per_family_with_every_request_that_got_it() -> None:
    report = _report(
        _failed("sts:GetCallerIdentity", UNKNOWN_KEY),
        ProbeResult("s3:ListBuckets", "s3", "ListBuckets", "q", outcome=oc.OK),
        _failed("s3:ListObjectsV2 b", UNKNOWN_KEY_2),
        _failed("iam:ListAccessKeys", UNKNOWN_KEY),
        _failed("s3:GetObject b/k", SIGNATURE),
        ProbeResult("s3:PutObject b/k", "s3", "PutObject", "q", outcome=oc.AUTH_FAILED),
        _failed("s3:HeadBucket b", UNKNOWN_KEY_2),
    )
    evidence = check_evidence([], _resolution(_source("env", KEY, None)), report)
    assert evidence.answers == (
        Answer(
            UNKNOWN_KEY,
            (
                "sts:GetCallerIdentity",
                f"s3:ListObjectsV2 b ({UNKNOWN_KEY_2})",
                "iam:ListAccessKeys",
                f"s3:HeadBucket b ({UNKNOWN_KEY_2})",
            ),
        ),
        Answer(SIGNATURE, ("s3:GetObject b/k",)),
    )
    assert all(a.live for a in evidence.answers)


def test_codes_of_no_family_stay_apart() -> None:
    report = _report(_failed("a", NOT_A_CODE), _failed("b", "KeydoctorOtherAnswer"))
    evidence = check_evidence([], _resolution(_source("env", KEY, None)), report)
    assert evidence.answers == (
        Answer(NOT_A_CODE, ("a",)),
        Answer("KeydoctorOtherAnswer", ("b",)),
    )


# -- live acceptance and the weighing of predictions ---------------------------------------


def test_live_accepted() -> None:
    ok = ProbeResult("s3:ListBuckets", "s3", "ListBuckets", "q", outcome=oc.OK)
    denied = ProbeResult("s3:GetObject", "s3", "GetObject", "q", outcome=oc.DENIED)
    assert live_accepted(None) is False
    assert live_accepted(_report()) is False
    assert live_accepted(_report(denied)) is False
    assert live_accepted(_report(denied, ok)) is True
    assert live_accepted(_report(identity=IDENTITY)) is True
    assert (
        live_accepted(_report(_failed("s3:GetObject", SIGNATURE), ok, identity=IDENTITY)) is False
    )


def test_predictions_stand_when_the_endpoint_did_not_accept() -> None:
    high = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG)
    refused = _report(_failed("sts:GetCallerIdentity", UNKNOWN_KEY), identity=IDENTITY)
    assert weigh_predictions([high], refused, endpoint_url=None) == [high]
    assert weigh_predictions([high], None, endpoint_url=None) == [high]


def test_accepted_credentials_turn_key_predictions_into_warnings() -> None:
    high = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG, explanation="A space.")
    critical = _finding("KD400", Severity.CRITICAL, Category.SECRET_WRONG, explanation="Short.")
    medium = _finding("KD101", Severity.MEDIUM, Category.KEY_ID_WRONG)
    other = _finding("KD200", Severity.HIGH, Category.PERMISSION_MISSING)
    report = _report(identity=IDENTITY)
    weighed = weigh_predictions([high, medium, critical, other], report, endpoint_url=None)
    aws = "AWS accepted these credentials, so this did not stop the request; but "
    assert weighed == [
        Finding(
            "KD100",
            Severity.MEDIUM,
            Category.KEY_ID_WRONG,
            "T",
            aws + "other tools or SDKs may still fail on it. A space.",
            "fix KD100",
        ),
        medium,
        Finding(
            "KD400",
            Severity.MEDIUM,
            Category.SECRET_WRONG,
            "T",
            aws + "other tools or SDKs may still fail on it. Short.",
            "fix KD400",
        ),
        other,
    ]
    (at_endpoint,) = weigh_predictions([high], report, endpoint_url="http://127.0.0.1:9000")
    assert at_endpoint.explanation == (
        "This endpoint accepted these credentials, so this did not stop the request; "
        "but AWS would reject it. A space."
    )


def test_weighing_reads_an_iterable_once() -> None:
    high = _finding("KD100", Severity.HIGH, Category.KEY_ID_WRONG)
    assert weigh_predictions(iter([high]), None, endpoint_url=None) == [high]
    accepted = weigh_predictions(iter([high]), _report(identity=IDENTITY), endpoint_url=None)
    assert [f.severity for f in accepted] == [Severity.MEDIUM]


def test_a_proxy_finding_is_the_cause_when_nothing_was_reached() -> None:
    proxy = _finding("KD409", Severity.HIGH, Category.REGION_ENDPOINT, "Proxy", "To the proxy.")
    unreachable = _finding("KD901", Severity.HIGH, Category.NOT_CREDENTIALS, "Unreachable")
    ranked = _rank(Evidence(predicted=(proxy,), observed=(unreachable,)))
    assert [(c.source, c.score) for c in ranked] == [("audit:KD409", 9.0), ("observed:KD901", 8.0)]
    assert ranked[0].explanation == "To the proxy. That is why the endpoint could not be reached."
    # Without the unreachable endpoint, the proxy is only a prediction.
    alone = _rank(Evidence(predicted=(proxy,)))
    assert [(c.source, c.score) for c in alone] == [("audit:KD409", 2.0)]
