"""Exact unit tests of the text matcher and cause ranker of ``explain`` (``catalog/matcher.py``).

Most tests run on a small catalog built here (a few errors with known patterns, messages,
priorities and subsumptions), so that every expected hit, position, order and feature can
be worked out by hand from the rules in the module's comments. The ranking tests use the
packaged ``learned.json``: their expected scores are computed in the test from the numbers
of that file with the formula its ``about`` states, (bias + the weights of the features
present + the weight of the listing position) / temperature.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from keydoctor.catalog import matcher
from keydoctor.catalog.denials import EXPLICIT_DENY, IDENTITY, AwsDenial
from keydoctor.catalog.facts import TextFacts
from keydoctor.catalog.learned import LearnedWeights, Question
from keydoctor.catalog.result import RankedCause
from keydoctor.catalog.schema import Catalog, Cause, Clue, ErrorEntry
from keydoctor.model import Category, Finding, Severity
from keydoctor.redact import Redactor

LEARNED = Path(__file__).resolve().parents[1] / "src" / "keydoctor" / "catalog" / "learned.json"


def _cause(id_: str, category: Category) -> Cause:
    return Cause(id_, category, f"title {id_}", f"explanation {id_}", f"fix {id_}", None, 0.0, ())


def _entry(
    code: str,
    *,
    patterns: tuple[str, ...] = (),
    messages: tuple[str, ...] = (),
    priority: int = 0,
    subsumes: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    causes: tuple[Cause, ...] = (),
) -> ErrorEntry:
    return ErrorEntry(
        code=code,
        service="s3",
        http_status=403,
        title=f"title of {code}",
        meaning=f"meaning of {code}",
        patterns=tuple(re.compile(p) for p in patterns),
        messages=tuple(re.compile(m) for m in messages),
        aliases=aliases,
        subsumes=subsumes,
        related=(),
        priority=priority,
        causes=causes or (_cause(f"{code}-cause", Category.PERMISSION_MISSING),),
        source="test",
    )


ACCESS = _entry(
    "AccessDenied",
    patterns=(r"\bAccessDenied\b", r"\(AccessDenied\)"),
    messages=(r"Access Denied", r"access is denied"),
    causes=(
        _cause("missing-allow", Category.PERMISSION_MISSING),
        _cause("deny", Category.EXPLICIT_DENY),
        _cause("missing-allow-2", Category.PERMISSION_MISSING),
    ),
)
KMS = _entry(
    "KMSAccessDenied",
    patterns=(r"KMSAccessDenied",),
    messages=(r"The ciphertext refers to a customer master key",),
    priority=2,
    subsumes=("AccessDenied",),
    aliases=("KMS.AccessDenied",),
    causes=(_cause("kms-grant", Category.KMS),),
)
WRAPPER = _entry("S3ServiceException", patterns=(r"S3ServiceException",), priority=-1)
SIGNATURE = _entry(
    "SignatureDoesNotMatch",
    messages=(r"The request signature we calculated does not match",),
    subsumes=("S3ServiceException",),
    priority=1,
)
EXPIRED = _entry("ExpiredToken", messages=(r"Token expired",), priority=1)
INVALID = _entry("InvalidToken", messages=(r"Token invalid here",), priority=3)
FORBIDDEN = _entry("403 Forbidden", messages=(r"403 Forbidden",))
BAD = _entry("400 Bad Request", messages=(r"400 Bad Request\b",))
CLUES = {
    "nginx-words": Clue("nginx-words", "an nginx proxy answered", re.compile(r"nginx")),
    "proxy-words": Clue("proxy-words", "a proxy is named", re.compile(r"proxy")),
    "region-named": Clue("region-named", "a region is named", None),
    "secret-pasted": Clue("secret-pasted", "a secret was pasted", None),
}
CATALOG = Catalog(
    clues=CLUES,
    errors=(ACCESS, KMS, WRAPPER, SIGNATURE, EXPIRED, INVALID, FORBIDDEN, BAD),
)


def _hits(text: str) -> list[tuple[str, int, int]]:
    return [(h.entry.code, h.position, h.strength) for h in matcher._find_hits(CATALOG, text)]


# --- _find_hits ------------------------------------------------------------------------


def test_a_code_shown_is_a_strong_hit_at_its_first_place() -> None:
    text = "x (AccessDenied) then AccessDenied"
    # The second pattern matches at 2, before the first pattern's 3.
    assert _hits(text) == [("AccessDenied", 2, 2)]
    assert _hits("AccessDenied and (AccessDenied)") == [("AccessDenied", 0, 2)]


def test_a_code_shown_wins_over_its_message() -> None:
    assert _hits("Access Denied, said AccessDenied") == [("AccessDenied", 20, 2)]


def test_a_short_message_counts_only_in_an_aws_context() -> None:
    assert _hits("nginx: Access Denied") == []
    assert _hits("s3: Access Denied") == [("AccessDenied", 4, 1)]
    assert _hits("Access Denied by aws") == [("AccessDenied", 0, 1)]
    # "AWS" glued to a class name says AWS; a word that only starts with those letters
    # ("AWSOME", "awsome") does not.
    assert _hits("AWSLambda: Access Denied") == [("AccessDenied", 11, 1)]
    assert _hits("AWSOME: Access Denied") == []
    assert _hits("awsome: Access Denied") == []


def test_a_message_of_twenty_characters_counts_anywhere() -> None:
    # "Token invalid here" is 18 characters: weak; the KMS message is long.
    assert _hits("web: Token invalid here") == []
    long_message = "The ciphertext refers to a customer master key"
    assert _hits(f"web: {long_message}") == [("KMSAccessDenied", 5, 1)]


def test_the_weak_limit_is_exactly_twenty() -> None:
    nineteen = _entry("Nineteen", messages=(r"abcdefghijklmnopqrs",))
    twenty = _entry("Twenty", messages=(r"ABCDEFGHIJKLMNOPQRST",))
    catalog = Catalog(clues={}, errors=(nineteen, twenty))
    hits = matcher._find_hits(catalog, "abcdefghijklmnopqrs " + "." * 500 + " ABCDEFGHIJKLMNOPQRST")
    assert [(h.entry.code, h.position) for h in hits] == [("Twenty", 521)]


def test_the_earliest_message_is_the_place() -> None:
    text = "aws: access is denied; Access Denied"
    assert _hits(text) == [("AccessDenied", 5, 1)]
    assert _hits("aws: Access Denied; access is denied") == [("AccessDenied", 5, 1)]


def test_a_specific_error_hides_the_generic_one() -> None:
    text = "KMSAccessDenied ... AccessDenied"
    assert _hits(text) == [("KMSAccessDenied", 0, 2)]


def test_a_specific_error_found_only_by_its_wording_does_not_hide_a_code_shown() -> None:
    text = "AccessDenied" + " " * 500 + "The ciphertext refers to a customer master key"
    assert _hits(text) == [("AccessDenied", 0, 2), ("KMSAccessDenied", 512, 1)]


def test_a_wrapper_gives_way_even_to_a_wording() -> None:
    text = "S3ServiceException: The request signature we calculated does not match"
    assert _hits(text) == [("SignatureDoesNotMatch", 20, 1)]


def test_a_wording_near_another_errors_code_belongs_to_it() -> None:
    message = "The request signature we calculated does not match"
    at_400 = "KMSAccessDenied" + "." * 385 + message
    assert _hits(at_400) == [("KMSAccessDenied", 0, 2)]
    at_401 = "KMSAccessDenied" + "." * 386 + message
    assert _hits(at_401) == [("KMSAccessDenied", 0, 2), ("SignatureDoesNotMatch", 401, 1)]
    before = message + "." * 350 + "KMSAccessDenied"
    assert _hits(before) == [("KMSAccessDenied", 400, 2)]


def test_of_wordings_at_one_place_the_most_specific_is_kept() -> None:
    # ExpiredToken (priority 1) and InvalidToken (priority 3), 20 characters apart.
    text = "aws Token expired; Token invalid here"
    assert _hits(text) == [("InvalidToken", 19, 1)]
    far = "aws Token expired;" + "." * 400 + "Token invalid here"
    assert _hits(far) == [("InvalidToken", 418, 1), ("ExpiredToken", 4, 1)]
    at_400 = "aws Token expired" + "." * 387 + "Token invalid here"  # 4 and 404
    assert _hits(at_400) == [("InvalidToken", 404, 1)]
    at_401 = "aws Token expired" + "." * 388 + "Token invalid here"  # 4 and 405
    assert _hits(at_401) == [("InvalidToken", 405, 1), ("ExpiredToken", 4, 1)]


def test_a_wording_dropped_at_one_place_leaves_the_others() -> None:
    # ExpiredToken gives way to InvalidToken beside it; SignatureDoesNotMatch, of the same
    # priority as ExpiredToken but later, is far from both and stays.
    text = (
        "aws Token expired; Token invalid here"
        + "." * 500
        + "The request signature we calculated does not match"
    )
    assert _hits(text) == [("InvalidToken", 19, 1), ("SignatureDoesNotMatch", 537, 1)]


def test_a_wording_dropped_near_a_code_leaves_the_others() -> None:
    text = (
        "AccessDenied The request signature we calculated does not match"
        + "." * 500
        + "aws Token invalid here"
    )
    assert _hits(text) == [("AccessDenied", 0, 2), ("InvalidToken", 567, 1)]


def test_the_distance_to_a_code_is_measured_between_the_two() -> None:
    message = "The request signature we calculated does not match"
    text = "." * 500 + "KMSAccessDenied" + "." * 85 + message  # 500 and 600
    assert _hits(text) == [("KMSAccessDenied", 500, 2)]


def test_the_second_wording_of_an_error_alone() -> None:
    assert _hits("aws: access is denied") == [("AccessDenied", 5, 1)]


def test_a_weak_wording_does_not_hide_a_strong_one_of_the_same_error() -> None:
    entry = _entry("Both", messages=(r"short words", r"a long wording of the same error"))
    catalog = Catalog(clues={}, errors=(entry,))
    hits = matcher._find_hits(catalog, "short words, a long wording of the same error")
    assert [(h.entry.code, h.position) for h in hits] == [("Both", 13)]


def test_of_wordings_of_one_priority_the_first_is_kept() -> None:
    one = _entry("One", messages=(r"first wording of them all",))
    two = _entry("Two", messages=(r"second wording of them all",))
    catalog = Catalog(clues={}, errors=(two, one))
    hits = matcher._find_hits(catalog, "first wording of them all; second wording of them all")
    assert [(h.entry.code, h.position) for h in hits] == [("One", 0)]


def test_codes_shown_come_first_then_by_priority() -> None:
    text = (
        "The request signature we calculated does not match"
        + "." * 500
        + "AccessDenied"
        + "." * 500
        + "aws Token invalid here"
    )
    assert _hits(text) == [
        ("AccessDenied", 550, 2),
        ("InvalidToken", 1066, 1),
        ("SignatureDoesNotMatch", 0, 1),
    ]


def test_a_bare_status_in_an_aws_context_is_the_catalogs_status_error() -> None:
    assert _hits("aws s3 ls: HTTP/1.1 403 from the server") == [("403 Forbidden", 11, 1)]
    assert _hits("bucket: S3 error: 400 here") == [("400 Bad Request", 8, 1)]
    # "An error occurred (400) when calling" is botocore's line for an answer without a
    # body (a HEAD): the status stands in the code's place and is read as that status.
    assert _hits("bucket: An error occurred (400) when calling") == [("400 Bad Request", 8, 1)]
    # Any tool's "Client error (400)" is the status too (an HTTP client's wording).
    assert _hits("bucket: Client error (400) downloading x") == [("400 Bad Request", 8, 1)]


def test_a_bare_401_is_the_catalogs_401_error() -> None:
    unauthorized = _entry("401 Unauthorized", aliases=("Unauthorized",))
    catalog = Catalog(clues={}, errors=(unauthorized,))
    hits = matcher._find_hits(catalog, "s3 bucket: HTTP/1.1 401 from the server")
    assert [(h.entry.code, h.position, h.strength, h.names) for h in hits] == [
        ("401 Unauthorized", 11, 1, ["401"])
    ]


def test_a_bare_status_needs_the_aws_context_and_no_unknown_code() -> None:
    assert _hits("HTTP/1.1 403 from the server") == []
    assert _hits("aws: HTTP/1.1 403 <Code>NoSuchThing</Code>") == []
    assert _hits("aws: HTTP/1.1 500 from the server") == []
    assert _hits("aws: nothing shown") == []


def test_a_bare_status_is_not_added_beside_a_hit() -> None:
    assert _hits("HTTP/1.1 403 AccessDenied") == [("AccessDenied", 13, 2)]


def test_a_bare_status_of_a_catalog_without_it() -> None:
    catalog = Catalog(clues={}, errors=(ACCESS,))
    assert matcher._find_hits(catalog, "aws: HTTP/1.1 403 here") == []


REDIRECT = _entry("PermanentRedirect", patterns=(r"\bPermanentRedirect\b",))
TEMPORARY = _entry("TemporaryRedirect", patterns=(r"\bTemporaryRedirect\b",))
NO_SUCH_KEY = _entry("NoSuchKey", patterns=(r"\bNoSuchKey\b",))
NOT_FOUND = _entry("NotFound", patterns=(r"\bNotFound\b",))


def test_a_bare_status_of_a_code_family_is_that_familys_error() -> None:
    # codes.toml files 301 under PermanentRedirect's family and 307 under
    # TemporaryRedirect's: S3's body-less answers to a HEAD.
    catalog = Catalog(clues={}, errors=(REDIRECT, TEMPORARY))
    assert [
        (h.entry.code, h.position, h.strength)
        for h in matcher._find_hits(catalog, "aws s3 ls: HTTP/1.1 301 Moved Permanently")
    ] == [("PermanentRedirect", 11, 1)]
    assert [
        (h.entry.code, h.position)
        for h in matcher._find_hits(catalog, "aws s3 ls: HTTP/1.1 307 Temporary Redirect")
    ] == [("TemporaryRedirect", 11)]
    # 418 is in no family; 404's family has no error in this catalog.
    assert matcher._find_hits(catalog, "aws s3 ls: HTTP/1.1 418 teapot") == []
    assert matcher._find_hits(catalog, "aws s3 ls: HTTP/1.1 404 Not Found") == []


def test_a_bare_status_takes_the_first_code_of_its_family_the_catalog_holds() -> None:
    # The not-found family is NoSuchKey, NotFound and 404, read in name order.
    text = "aws s3 ls: HTTP/1.1 404 Not Found"
    both = Catalog(clues={}, errors=(NOT_FOUND, NO_SUCH_KEY))
    assert [h.entry.code for h in matcher._find_hits(both, text)] == ["NoSuchKey"]
    only_second = Catalog(clues={}, errors=(NOT_FOUND,))
    assert [h.entry.code for h in matcher._find_hits(only_second, text)] == ["NotFound"]


def test_a_bare_status_is_not_looked_up_as_a_code() -> None:
    # The family's "301" is the status itself: an error that takes 301 as a name is not
    # what a bare 301 stands for; the family's named code is.
    moved = _entry("Moved", patterns=(r"\bMovedAway\b",), aliases=("301",))
    catalog = Catalog(clues={}, errors=(moved, REDIRECT))
    hits = matcher._find_hits(catalog, "aws s3 ls: HTTP/1.1 301 Moved Permanently")
    assert [h.entry.code for h in hits] == ["PermanentRedirect"]


POLICY = _entry(
    "MalformedPolicyDocument",
    patterns=(r"\bMalformedPolicyDocument\b",),
    aliases=("MalformedPolicy", "MalformedPolicyException"),
)


def test_a_code_shown_by_another_of_its_names_is_its_error_once() -> None:
    # No pattern knows the aliases; botocore's shape shows the first at 19 and S3's XML
    # body the second (one error: one hit, at the first place).
    catalog = Catalog(clues={}, errors=(POLICY,))
    text = (
        "An error occurred (MalformedPolicy) when calling the PutBucketPolicy operation\n"
        "<Code>MalformedPolicyException</Code>"
    )
    assert [(h.entry.code, h.position, h.strength) for h in matcher._find_hits(catalog, text)] == [
        ("MalformedPolicyDocument", 19, 2)
    ]


def test_a_wording_is_shown_plainly_when_a_shape_shows_its_code() -> None:
    # ExpiredToken has no pattern: its wording at 4, its code in botocore's shape at 38.
    assert _hits("aws Token expired; An error occurred (ExpiredToken) when calling") == [
        ("ExpiredToken", 38, 2)
    ]


def test_a_code_shown_again_in_a_shape_changes_nothing() -> None:
    # AccessDenied's pattern finds it at 0 and the XML body again at 26: the hit stays at
    # 0; the wording of another error, 549 characters on, stays a wording.
    text = "AccessDenied first; <Code>AccessDenied</Code>" + "." * 500 + "aws Token invalid here"
    assert _hits(text) == [("AccessDenied", 0, 2), ("InvalidToken", 549, 1)]


# --- _ClueState, _words, _features ----------------------------------------------------


def test_clue_state_fires_flags_and_patterns() -> None:
    clues = matcher._ClueState(CATALOG, "behind nginx", {"region-named", "extra-flag"})
    assert clues.names() == ("nginx-words", "proxy-words", "region-named", "secret-pasted")
    assert clues.fired("nginx-words") is True
    assert clues.fired("proxy-words") is False
    assert clues.fired("region-named") is True
    assert clues.fired("extra-flag") is True
    assert matcher._ClueState(CATALOG, "behind nginx", set()).fired("region-named") is False
    with pytest.raises(KeyError):
        clues.fired("unknown-clue")


def test_words_around_the_error() -> None:
    text = "zebra" + "." * 1000 + "Middle" + "." * 1000 + "omega"
    assert matcher._words(text, 1005) == {"word:middle"}
    # told by the caller (-1) or at 0: text[0:1200]
    assert matcher._words(text, -1) == {"word:zebra", "word:middle"}
    assert matcher._words(text, 0) == {"word:zebra", "word:middle"}
    assert matcher._words(text, 2011) == {"word:omega"}


def test_the_word_window_starts_600_before_and_spans_1200() -> None:
    text = "alpha" + "." * 595 + "ERR" + "." * 594 + "Tail" + "." * 10 + "Omega"
    # position 600: the window is text[0:1200]; "Tail" at 1197 is cut to "Tai".
    assert matcher._words(text, 600) == {"word:alpha", "word:err", "word:tai"}
    shifted = "x" + text
    # position 601: the window is shifted[1:1201], "alpha" without the "x", "Tail" still
    # cut; at 602 the window (shifted[2:1202]) cuts "alpha" to "lpha" and holds "Tail".
    assert matcher._words(shifted, 601) == {"word:alpha", "word:err", "word:tai"}
    assert matcher._words(shifted, 602) == {"word:lpha", "word:err", "word:tail"}


def test_at_most_200_distinct_words() -> None:
    text = " ".join(f"w{i:03d}" for i in range(240))
    words = matcher._words(text, -1)
    assert len(words) == 200
    assert words == {f"word:w{i:03d}" for i in range(200)}
    repeated = " ".join(["AWS", "aws", "Aws"] * 10)
    assert matcher._words(repeated, -1) == {"word:aws"}


def test_features_of_a_hit() -> None:
    text = "s3 via nginx: AccessDenied"
    hit = matcher._Hit(ACCESS, 14, 2)
    facts = TextFacts(tool="aws-cli", language="python", status=403)
    clues = matcher._ClueState(CATALOG, text, {"region-named"})
    assert matcher._features(hit, clues, facts, text) == frozenset(
        {
            "code:AccessDenied",
            "shown:code",
            "family:denied",
            "clue:nginx-words",
            "clue:region-named",
            "tool:aws-cli",
            "language:python",
            "status:403",
            "word:via",
            "word:nginx",
            "word:access",
            "word:denied",
        }
    )


def test_features_of_a_message_hit_without_facts_or_family() -> None:
    text = "Access Denied"
    hit = matcher._Hit(_entry("NoFamilyCode"), 0, 1)
    clues = matcher._ClueState(CATALOG, text, set())
    assert matcher._features(hit, clues, TextFacts(), text) == frozenset(
        {"code:NoFamilyCode", "shown:message", "word:access", "word:denied"}
    )
    told = matcher._Hit(_entry("NoFamilyCode"), -1, 3)
    assert "shown:caller" in matcher._features(told, clues, TextFacts(), text)


# --- _rank: the learned score of each category ----------------------------------------

_MODEL: dict[str, Any] = json.loads(LEARNED.read_text("utf-8"))


def _learned_score(category: Category, features: frozenset[str], position: int | None) -> float:
    """learned.json's formula, written from its ``about``, on the numbers of the file: the
    last listing number counts for every later place, none for a category not listed."""
    table = _MODEL["category"].get(category.value, {})
    total = float(table.get("bias", 0.0))
    total += sum(float(table.get("weights", {}).get(f, 0.0)) for f in features)
    positions = _MODEL["listing"]["positions"]
    if position is not None:
        total += positions[min(position, len(positions) - 1)]
    return total / float(_MODEL["calibration"]["temperature"])


def _softmax(scores: dict[Category, float]) -> dict[Category, float]:
    total = sum(math.exp(s) for s in scores.values())
    return {c: math.exp(s) / total for c, s in scores.items()}


def _ids(causes: tuple[RankedCause, ...]) -> list[str]:
    return [c.cause_id for c in causes]


def test_rank_without_evidence_follows_bias_and_listing() -> None:
    none: frozenset[str] = frozenset()
    pm = _learned_score(Category.PERMISSION_MISSING, none, 0)
    ed = _learned_score(Category.EXPLICIT_DENY, none, 1)
    assert pm > ed  # the premise: the first-listed category leads without evidence
    causes = matcher._rank(ACCESS, none, CATALOG, [], Redactor())
    assert _ids(causes) == ["missing-allow", "deny", "missing-allow-2"]
    chances = _softmax({Category.PERMISSION_MISSING: pm, Category.EXPLICIT_DENY: ed})
    first, second, third = causes
    assert first.score == pytest.approx(pm, abs=1e-12)
    assert second.score == pytest.approx(ed, abs=1e-12)
    assert third.score == first.score
    assert first.probability == pytest.approx(chances[Category.PERMISSION_MISSING], abs=1e-12)
    assert second.probability == pytest.approx(chances[Category.EXPLICIT_DENY], abs=1e-12)
    assert first.why == ("the likeliest cause of AccessDenied",)
    assert second.why == ("a known cause of AccessDenied",)
    assert third.why == ("the likeliest cause of AccessDenied",)
    assert first == RankedCause(
        cause_id="missing-allow",
        category=Category.PERMISSION_MISSING,
        title="title missing-allow",
        explanation="explanation missing-allow",
        fix="fix missing-allow",
        confirm=None,
        score=first.score,
        why=first.why,
        probability=first.probability,
    )


def test_rank_names_one_cause_per_category_first() -> None:
    entry = _entry(
        "AccessDenied",
        causes=(
            _cause("a", Category.PERMISSION_MISSING),
            _cause("b", Category.PERMISSION_MISSING),
            _cause("c", Category.EXPLICIT_DENY),
        ),
    )
    none: frozenset[str] = frozenset()
    # positions: permission-missing is listed first (0), explicit-deny second (1)
    assert _learned_score(Category.PERMISSION_MISSING, none, 0) > _learned_score(
        Category.EXPLICIT_DENY, none, 1
    )
    assert _ids(matcher._rank(entry, none, CATALOG, [], Redactor())) == ["a", "c", "b"]


def _clue_features(category: Category) -> list[tuple[float, str]]:
    weights = _MODEL["category"][category.value]["weights"]
    return sorted(((w, f) for f, w in weights.items() if f.startswith("clue:")), reverse=True)


def test_rank_by_evidence_with_the_reasons_that_raised_it() -> None:
    deny = _clue_features(Category.EXPLICIT_DENY)
    strong = [(w, f) for w, f in deny if w >= 0.2]
    weak = [(w, f) for w, f in deny if 0 < w < 0.2]
    assert len(strong) >= 3 and weak  # the premise, read from learned.json
    chosen = (
        [f for _, f in strong] + [f for _, f in weak] + ["word:unseen-word", "code:AccessDenied"]
    )
    features = frozenset(chosen)
    clues = {
        f.partition(":")[2]: Clue(f.partition(":")[2], f"why {f}", None)
        for f in chosen
        if f.startswith("clue:")
    }
    catalog = Catalog(clues=clues, errors=(ACCESS,))
    pm = _learned_score(Category.PERMISSION_MISSING, features, 0)
    ed = _learned_score(Category.EXPLICIT_DENY, features, 1)
    assert ed > pm  # the premise: the deny words outweigh the listing
    findings = [
        Finding("KD1", Severity.HIGH, Category.EXPLICIT_DENY, "A deny", "e", "f"),
        Finding("KD2", Severity.MEDIUM, Category.EXPLICIT_DENY, "A risk", "e", "f"),
    ]
    causes = matcher._rank(ACCESS, features, catalog, findings, Redactor())
    assert _ids(causes) == ["deny", "missing-allow", "missing-allow-2"]
    assert causes[0].score == pytest.approx(ed + 3.0, abs=1e-12)
    assert causes[1].score == pytest.approx(pm, abs=1e-12)
    chances = _softmax({Category.PERMISSION_MISSING: pm, Category.EXPLICIT_DENY: ed + 3.0})
    assert causes[0].probability == pytest.approx(chances[Category.EXPLICIT_DENY], abs=1e-12)
    # The three strongest clues (largest weight first), then the audit's finding.
    top = [f for _, f in sorted(strong, key=lambda item: (-item[0], item[1]))][:3]
    assert causes[0].why == (
        *(f"why {f}" for f in top),
        "the audit of this machine found KD1: A deny",
    )


def test_rank_names_no_clue_outside_the_catalog_and_scrubs_the_reasons() -> None:
    deny = _clue_features(Category.EXPLICIT_DENY)
    best = deny[0][1]
    name = best.partition(":")[2]
    features = frozenset({best, deny[1][1]})
    key_id = "AKIAIOSFODNN7EXAMPLE"
    catalog = Catalog(clues={name: Clue(name, f"saw {key_id}", None)}, errors=(ACCESS,))
    causes = matcher._rank(ACCESS, features, catalog, [], Redactor(key_ids=[key_id]))
    deny_cause = next(c for c in causes if c.cause_id == "deny")
    assert deny_cause.why == ("saw AKIA…MPLE",)


# --- _question ------------------------------------------------------------------------


def _ranked(category: Category, probability: float) -> RankedCause:
    return RankedCause(f"id-{category.value}", category, "t", "e", "f", None, 0.0, (), probability)


def test_no_question_when_the_top_cause_is_probable_enough() -> None:
    threshold = _MODEL["calibration"]["threshold"]
    facts = TextFacts()
    causes = (_ranked(Category.PERMISSION_MISSING, threshold), _ranked(Category.KMS, 0.1))
    assert matcher._question(causes, facts, Redactor()) is None
    assert matcher._question((), facts, Redactor()) is None


def test_the_question_of_a_pair_with_the_bucket_quoted() -> None:
    causes = (
        _ranked(Category.PERMISSION_MISSING, 0.4),
        _ranked(Category.PERMISSION_MISSING, 0.4),
        _ranked(Category.EXPLICIT_DENY, 0.3),
    )
    facts = TextFacts(bucket="my bucket", regions=["eu-west-1"])
    question = matcher._question(causes, facts, Redactor())
    assert question is not None
    assert question.between == (Category.PERMISSION_MISSING, Category.EXPLICIT_DENY)
    assert question.command == "keydoctor check --bucket 'my bucket'"
    assert question.why == (  # the pair's own why (questions.toml), not the category's
        "where the caller may read its own policies, it names an explicit Deny statement or "
        "the missing Allow"
    )


def test_the_question_without_a_bucket_or_region_says_so() -> None:
    causes = (_ranked(Category.SECRET_WRONG, 0.5), _ranked(Category.REGION_ENDPOINT, 0.5))
    question = matcher._question(causes, TextFacts(), Redactor())
    assert question is not None
    assert question.command == "aws sts get-caller-identity --region REGION"
    assert question.between == (Category.SECRET_WRONG, Category.REGION_ENDPOINT)
    with_region = matcher._question(
        causes, TextFacts(regions=["eu-west-2", "us-east-1"]), Redactor()
    )
    assert with_region is not None
    assert with_region.command == "aws sts get-caller-identity --region eu-west-2"
    alone = (_ranked(Category.REGION_ENDPOINT, 0.5),)
    single = matcher._question(alone, TextFacts(), Redactor())
    assert single == Question(
        (Category.REGION_ENDPOINT, Category.REGION_ENDPOINT),
        "aws s3api get-bucket-location --bucket BUCKET",
        "it names the bucket's real region",
    )
    bucket = matcher._question(alone, TextFacts(bucket="logs"), Redactor())
    assert bucket is not None
    assert bucket.command == "aws s3api get-bucket-location --bucket logs"


def test_the_question_falls_back_to_the_first_categorys_own_command() -> None:
    # No pair of region-endpoint with hygiene: the top category's own command.
    causes = (_ranked(Category.REGION_ENDPOINT, 0.5), _ranked(Category.HYGIENE, 0.5))
    question = matcher._question(causes, TextFacts(bucket="b"), Redactor())
    assert question is not None
    assert question.command == "aws s3api get-bucket-location --bucket b"
    assert question.between == (Category.REGION_ENDPOINT, Category.HYGIENE)
    alone = matcher._question((_ranked(Category.HYGIENE, 0.1),), TextFacts(), Redactor())
    assert alone == Question(
        (Category.HYGIENE, Category.HYGIENE),
        "keydoctor check --offline",
        "it lists exposed, old or unsafe keys on this machine",
    )


def test_the_question_masks_a_bucket_that_holds_a_key_id() -> None:
    key_id = "AKIAIOSFODNN7EXAMPLE"
    alone = (_ranked(Category.REGION_ENDPOINT, 0.5),)
    question = matcher._question(alone, TextFacts(bucket=key_id), Redactor(key_ids=[key_id]))
    assert question is not None
    assert question.command == "aws s3api get-bucket-location --bucket 'AKIA…MPLE'"


# --- _line_at -------------------------------------------------------------------------


def test_the_line_of_an_error() -> None:
    text = "first line\n   the AccessDenied line  \nlast"
    assert matcher._line_at(text, 18, Redactor()) == "the AccessDenied line"
    many = "one\ntwo\nthe AccessDenied line\nfour\nfive"
    assert matcher._line_at(many, 12, Redactor()) == "the AccessDenied line"
    assert matcher._line_at("only AccessDenied", 5, Redactor()) == "only AccessDenied"
    assert matcher._line_at("AccessDenied\nnext", 0, Redactor()) == "AccessDenied"


def test_a_long_line_is_cut_around_the_error() -> None:
    line = "".join(chr(ord("a") + i % 26) for i in range(300))
    # The error at 150: the window starts 40 before it, but no later than 300 - 240 = 60.
    assert matcher._line_at(line, 150, Redactor()) == "…" + line[60:]
    # At 80: the window starts at 40 and ends at 280, with an ellipsis on both sides.
    assert matcher._line_at(line, 80, Redactor()) == "…" + line[40:280] + "…"
    # At 20: from the start.
    assert matcher._line_at(line, 20, Redactor()) == line[:240] + "…"
    assert matcher._line_at(line, 40, Redactor()) == line[:240] + "…"
    assert matcher._line_at(line, 41, Redactor()) == "…" + line[1:241] + "…"
    exactly = line[:240]
    assert matcher._line_at(exactly, 200, Redactor()) == exactly


def test_a_long_line_is_cut_where_the_error_sits_after_redaction() -> None:
    key_id = "AKIAIOSFODNN7EXAMPLE"  # 20 characters, shown as 9 ("AKIA…MPLE")
    filler = "".join(chr(ord("a") + i % 26) for i in range(400))
    raw = "  " + key_id + filler
    text = "before\n" + raw + "\nafter"
    position = 7 + 2 + 20 + 100  # filler[100] in the text
    shown = key_id[:4] + "…" + key_id[-4:] + filler
    # In the redacted, stripped line filler[100] stands at 9 + 100: the window starts 40
    # before it.
    at = 9 + 100
    assert matcher._line_at(text, position, Redactor(key_ids=[key_id])) == (
        "…" + shown[at - 40 : at - 40 + 240] + "…"
    )


# --- hints ----------------------------------------------------------------------------


def test_unknown_hints_are_refused_by_name() -> None:
    with pytest.raises(ValueError) as caught:
        matcher._apply_hints({"zeta": 1, "code": "x", "alpha": 2}, TextFacts())
    assert str(caught.value) == "unknown hint(s): alpha, zeta"


def test_hints_set_tool_language_operation_region_and_endpoint() -> None:
    facts = TextFacts(regions=["eu-west-1"])
    matcher._apply_hints(
        {
            "tool": "s3cmd",
            "operation": "PutObject",
            "region": "cn-north-1",
            "endpoint_url": "https://minio.local:9000",
            "service": "s3",
        },
        facts,
    )
    assert facts.tool == "s3cmd"
    assert facts.language == "Python"
    assert facts.operation == "PutObject"
    assert facts.regions == ["eu-west-1", "cn-north-1"]
    assert facts.flags == {"region-named", "china-region", "custom-endpoint"}
    assert facts.endpoint == "https://minio.local:9000"


def test_hints_of_govcloud_a_known_region_and_an_aws_endpoint() -> None:
    facts = TextFacts(regions=["us-gov-west-1"])
    matcher._apply_hints(
        {"region": "us-gov-west-1", "endpoint_url": "https://s3.us-gov-west-1.amazonaws.com"},
        facts,
    )
    assert facts.regions == ["us-gov-west-1"]
    assert facts.flags == {"region-named", "govcloud-region", "aws-endpoint"}


def test_hints_that_say_nothing() -> None:
    facts = TextFacts()
    matcher._apply_hints(
        {"tool": "", "operation": None, "region": 3, "endpoint_url": "", "code": "X"}, facts
    )
    assert facts == TextFacts()
    matcher._apply_hints({"region": ""}, facts)
    assert facts == TextFacts()


def test_an_invalid_region_hint() -> None:
    facts = TextFacts()
    matcher._apply_hints({"region": "Mars-1", "tool": "no-such-tool"}, facts)
    assert facts.flags == {"region-invalid"}
    assert facts.regions == []
    assert facts.tool == "no-such-tool"
    assert facts.language is None


# --- secrets --------------------------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example secret


def test_secret_values_by_label_and_by_shape() -> None:
    token = "FwoGZXIvYXdzE" + "Ab1" * 20
    text = (
        f"secret_access_key = {SECRET}\n"
        f"aws_session_token: {token}\n"
        "bare " + "Zz9" * 13 + "Q\n"
        "lower " + "abcdefghij" * 4 + "\n"
    )
    values = matcher._secret_values(text)
    assert values == [SECRET, token, SECRET, "Zz9" * 13 + "Q"]


def test_a_bare_run_that_is_no_secret_does_not_stop_the_search() -> None:
    text = "x " + "A1" * 20 + " y " + "Ab1" * 13 + "c z"
    assert matcher._secret_values(text) == ["Ab1" * 13 + "c"]


def test_secret_values_bare_needs_upper_lower_and_digit() -> None:
    assert matcher._secret_values("x " + "A1" * 20 + " y") == []
    assert matcher._secret_values("x " + "a1" * 20 + " y") == []
    assert matcher._secret_values("x " + "Ab" * 20 + " y") == []
    assert matcher._secret_values("x " + "Ab1" * 13 + "c y") == ["Ab1" * 13 + "c"]
    assert matcher._secret_values("no secret here") == []


# --- reading a text: hints, clues, features, the whole diagnosis ----------------------


def test_text_clues_carry_the_facts_the_hints_and_a_pasted_secret() -> None:
    clues = matcher.text_clues("behind nginx", hints={"region": "eu-west-1"}, catalog=CATALOG)
    assert clues.fired("nginx-words") is True
    assert clues.fired("region-named") is True
    assert clues.fired("proxy-words") is False
    assert clues.fired("secret-pasted") is False
    plain = matcher.text_clues("behind nginx", catalog=CATALOG)
    assert plain.fired("region-named") is False
    pasted = matcher.text_clues(f"aws_secret_access_key = {SECRET}", catalog=CATALOG)
    assert pasted.fired("secret-pasted") is True
    # bytes are read as text
    assert matcher.text_clues(b"via proxy", catalog=CATALOG).fired("proxy-words") is True


def test_text_clues_of_the_packaged_catalog() -> None:
    clues = matcher.text_clues("An error occurred (AccessDenied) in us-east-2")
    assert clues.fired("region-named") is True


def test_default_region_clue_fires_on_us_east_1_and_the_global_s3_host_only() -> None:
    """The clue stands for "the client fell back to the default", so a regional host or a
    longer region name must not fire it."""
    for text in ("in region us-east-1", "https://s3.amazonaws.com/b/k", "b.s3.amazonaws.com"):
        assert matcher.text_clues(text).fired("default-region") is True, text
    for text in ("https://s3.us-west-2.amazonaws.com/b", "us-east-2", "s3-eu-west-1"):
        assert matcher.text_clues(text).fired("default-region") is False, text


def test_region_unset_value_clue_needs_an_empty_region_setting() -> None:
    """An empty region value is what the clue reports; a region that is set, or another key
    that is None, is not."""
    for text in ("region: None", "'region': None", "region_name = None", "Region = null"):
        assert matcher.text_clues(text).fired("region-unset-value") is True, text
    for text in ("region: eu-west-1", "profile: None", "regions: None", "region: Nonesuch"):
        assert matcher.text_clues(text).fired("region-unset-value") is False, text


def test_assumed_role_caller_clue_fires_on_a_session_arn_not_a_role_arn() -> None:
    """A caller that is an assumed-role session already got past the trust policy."""
    session = "User: arn:aws:sts::123456789012:assumed-role/Deploy/ci is not authorized"
    assert matcher.text_clues(session).fired("assumed-role-caller") is True
    role = "User: arn:aws:iam::123456789012:role/Deploy is not authorized to assume-role"
    assert matcher.text_clues(role).fired("assumed-role-caller") is False


def test_read_puts_the_callers_code_first() -> None:
    text = "aws Token invalid here" + "." * 500 + "AccessDenied"
    read = matcher._read(text, {"code": "kms.accessdenied"}, CATALOG)
    assert [(h.entry.code, h.position, h.strength) for h in read.hits] == [
        ("KMSAccessDenied", -1, 3),
        ("AccessDenied", 522, 2),
        ("InvalidToken", 4, 1),
    ]
    shown = matcher._read(text, {"code": "InvalidToken"}, CATALOG)
    assert [(h.entry.code, h.position, h.strength) for h in shown.hits] == [
        ("InvalidToken", 4, 3),
        ("AccessDenied", 522, 2),
    ]
    for hints in ({"code": "NoSuchCode"}, {"code": ""}, {"code": 7}, None, {}):
        read = matcher._read(text, hints, CATALOG)
        assert [h.entry.code for h in read.hits] == ["AccessDenied", "InvalidToken"]
    assert read.secret_in_text is False
    assert read.prepared.text == text


def test_read_marks_a_pasted_secret() -> None:
    read = matcher._read(f"AccessDenied\naws_secret_access_key = {SECRET}", None, CATALOG)
    assert read.secret_in_text is True
    assert "secret-pasted" in read.facts.flags
    assert SECRET in read.prepared.secrets
    assert SECRET not in read.prepared.text
    bare = matcher._read("AccessDenied " + "Ab1" * 13 + "c", None, CATALOG)
    assert bare.secret_in_text is True
    assert bare.prepared.secrets == ("Ab1" * 13 + "c",)


def test_read_orders_wordings_by_priority() -> None:
    text = "aws Token expired;" + "." * 500 + "Token invalid here"
    read = matcher._read(text, None, CATALOG)
    assert [(h.entry.code, h.position) for h in read.hits] == [
        ("InvalidToken", 518),
        ("ExpiredToken", 4),
    ]


def test_read_applies_the_hints() -> None:
    read = matcher._read("AccessDenied", {"tool": "s3cmd", "region": "eu-west-1"}, CATALOG)
    assert read.facts.tool == "s3cmd"
    assert read.facts.regions == ["eu-west-1"]
    with pytest.raises(ValueError):
        matcher._read("AccessDenied", {"bogus": 1}, CATALOG)


def test_text_features_of_each_error() -> None:
    text = "aws via nginx: AccessDenied"
    assert matcher.text_features(text, hints={"code": "InvalidToken"}, catalog=CATALOG) == [
        (
            "InvalidToken",
            (Category.PERMISSION_MISSING,),
            frozenset(
                {
                    "code:InvalidToken",
                    "shown:caller",
                    "family:token-invalid",
                    "clue:nginx-words",
                    "tool:aws-cli",
                    "language:Python",
                    "word:aws",
                    "word:via",
                    "word:nginx",
                    "word:access",
                    "word:denied",
                }
            ),
        ),
        (
            "AccessDenied",
            (Category.PERMISSION_MISSING, Category.EXPLICIT_DENY, Category.PERMISSION_MISSING),
            frozenset(
                {
                    "code:AccessDenied",
                    "shown:code",
                    "family:denied",
                    "clue:nginx-words",
                    "tool:aws-cli",
                    "language:Python",
                    "word:aws",
                    "word:via",
                    "word:nginx",
                    "word:access",
                    "word:denied",
                }
            ),
        ),
    ]
    # No error in a text about AWS: one entry without a code or causes, with the text's own
    # evidence (for the fit to learn how such a text is guessed at); a text not about AWS
    # is not guessed at, so it gives nothing to fit.
    assert matcher.text_features("bucket: nothing here", catalog=CATALOG) == [
        ("", (), frozenset({"shown:none", "word:bucket", "word:nothing", "word:here"}))
    ]
    assert matcher.text_features("nothing here", catalog=CATALOG) == []


def test_text_features_with_the_packaged_catalog() -> None:
    found = matcher.text_features("An error occurred (AccessDenied) when calling GetObject")
    assert [code for code, _, _ in found] == ["AccessDenied"]
    assert "shown:code" in found[0][2]


def test_diagnose_shows_the_line_of_an_error_at_the_start() -> None:
    explanation = matcher.diagnose("AccessDenied here\nnext", catalog=CATALOG)
    assert explanation.errors[0].line == "AccessDenied here"


DENY_WORDS = Clue("explicit-deny-words", "the text speaks of an explicit deny", re.compile("deny"))


def test_diagnose_asks_the_deciding_question_when_unsure() -> None:
    catalog = Catalog(clues={**CLUES, DENY_WORDS.name: DENY_WORDS}, errors=CATALOG.errors)
    # The premise, read from learned.json: deny words and one word that speaks for a
    # missing Allow leave neither category probable enough.
    raising = sorted(
        (-w, f.partition(":")[2])
        for f, w in _MODEL["category"]["permission-missing"]["weights"].items()
        if f.startswith("word:") and w > 0 and f.partition(":")[2].isalpha()
    )
    for _, word in [(0.0, ""), *raising]:
        text = f"Bucket: logs AccessDenied explicit deny {word}".strip()
        [(_, _, features)] = matcher.text_features(text, catalog=catalog)
        pm = _learned_score(Category.PERMISSION_MISSING, features, 0)
        ed = _learned_score(Category.EXPLICIT_DENY, features, 1)
        top = max(_softmax({Category.PERMISSION_MISSING: pm, Category.EXPLICIT_DENY: ed}).values())
        if top < _MODEL["calibration"]["threshold"]:
            break
    assert top < _MODEL["calibration"]["threshold"]  # the premise: neither is probable enough
    explanation = matcher.diagnose(text, catalog=catalog)
    [error] = explanation.errors
    first = Category.PERMISSION_MISSING if pm > ed else Category.EXPLICIT_DENY
    second = Category.EXPLICIT_DENY if pm > ed else Category.PERMISSION_MISSING
    assert error.question == Question(
        (first, second),
        "keydoctor check --bucket logs",
        "where the caller may read its own policies, it names an explicit Deny statement or "
        "the missing Allow",
    )
    deny = next(c for c in error.causes if c.cause_id == "deny")
    assert deny.why == ("the text speaks of an explicit deny",)


def test_diagnose_asks_nothing_when_sure() -> None:
    explanation = matcher.diagnose("s3 AccessDenied", catalog=CATALOG)
    assert explanation.errors[0].question is None


def test_diagnose_keeps_a_causes_confirming_command() -> None:
    cause = Cause("c", Category.KMS, "t", "e", "f", "aws kms describe-key", 0.0, ())
    entry = _entry("KMSAccessDenied", patterns=(r"KMSAccessDenied",), causes=(cause,))
    explanation = matcher.diagnose("KMSAccessDenied", catalog=Catalog({}, (entry,)))
    assert explanation.errors[0].causes[0].confirm == "aws kms describe-key"


def test_rank_of_three_causes_of_one_category() -> None:
    entry = _entry(
        "AccessDenied",
        causes=(
            _cause("a", Category.PERMISSION_MISSING),
            _cause("b", Category.PERMISSION_MISSING),
            _cause("c", Category.PERMISSION_MISSING),
            _cause("d", Category.EXPLICIT_DENY),
        ),
    )
    assert _ids(matcher._rank(entry, frozenset(), CATALOG, [], Redactor())) == ["a", "d", "b", "c"]


def test_diagnose_one_error_whole() -> None:
    text = "line one\n  s3 cp: AccessDenied for AKIAIOSFODNN7EXAMPLE  \nbye"
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.found is True
    assert [e.code for e in explanation.errors] == ["AccessDenied"]
    error = explanation.errors[0]
    assert (error.service, error.http_status, error.title, error.meaning, error.aliases) == (
        "s3",
        403,
        "title of AccessDenied",
        "meaning of AccessDenied",
        (),
    )
    assert error.line == "s3 cp: AccessDenied for AKIA…MPLE"
    assert _ids(error.causes) == ["missing-allow", "deny", "missing-allow-2"]
    assert explanation.keys and explanation.keys[0].masked == "AKIA…MPLE"
    assert explanation.secret_in_text is False
    assert explanation.unknown_codes == ()
    assert explanation.warnings == (
        "the text shows an access key id; ids are not secret on their own but are "
        "shown masked here",
    )
    assert explanation.denied_by is None
    assert explanation.tool is None
    assert explanation.operation is None


def test_diagnose_a_secret_and_its_warning() -> None:
    text = f"AccessDenied\naws_secret_access_key = {SECRET}\n"
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.secret_in_text is True
    assert explanation.warnings == (
        "the text contains what looks like a secret access key or session token: it was "
        "masked here, but treat it as exposed and rotate it (aws iam create-access-key, "
        "then aws iam delete-access-key for the old one)",
    )
    assert SECRET not in repr(explanation)


def test_diagnose_lists_unknown_codes_only_when_nothing_is_known() -> None:
    text = (
        "An error occurred (WeirdThing) when calling X\n"
        "<Code>OtherThing</Code> <Code>WeirdThing</Code>\n"
    )
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.found is False
    assert explanation.errors == ()
    assert explanation.unknown_codes == ("WeirdThing", "OtherThing")
    known = matcher.diagnose(text + "AccessDenied", catalog=CATALOG)
    assert known.unknown_codes == ()


def test_diagnose_a_code_told_by_the_caller_has_no_line() -> None:
    explanation = matcher.diagnose("nothing", hints={"code": "AccessDenied"}, catalog=CATALOG)
    assert [(e.code, e.line) for e in explanation.errors] == [("AccessDenied", "")]


def test_diagnose_adds_the_audit_findings() -> None:
    finding = Finding("KD9", Severity.CRITICAL, Category.EXPLICIT_DENY, "Denied here", "e", "f")
    explanation = matcher.diagnose("s3 AccessDenied", findings=[finding], catalog=CATALOG)
    deny = next(c for c in explanation.errors[0].causes if c.cause_id == "deny")
    assert deny.why[-1] == "the audit of this machine found KD9: Denied here"
    plain = matcher.diagnose("s3 AccessDenied", catalog=CATALOG)
    plain_deny = next(c for c in plain.errors[0].causes if c.cause_id == "deny")
    assert deny.score == pytest.approx(plain_deny.score + 3.0, abs=1e-12)


def test_diagnose_facts_are_masked() -> None:
    key_id = "AKIAIOSFODNN7EXAMPLE"
    text = (
        f"Bucket: logs-{key_id} AccessDenied region eu-west-1 "
        f"endpoint_url = https://{key_id}.example.com"
    )
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.bucket == "logs-AKIA…MPLE"
    assert explanation.endpoint == "https://AKIA…MPLE.example.com"
    assert explanation.regions == ("eu-west-1",)


def test_diagnose_names_the_deciding_layer_masked() -> None:
    key_id = "AKIAIOSFODNN7EXAMPLE"
    text = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        "arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject on "
        f'resource: "arn:aws:s3:::{key_id}/k" with an explicit deny in an identity-based policy'
    )
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.denied_by == AwsDenial(
        EXPLICIT_DENY,
        IDENTITY,
        "with an explicit deny in an identity-based policy",
        "arn:aws:iam::123456789012:user/bob",
        "s3:GetObject",
        "arn:aws:s3:::AKIA…MPLE/k",
    )


def test_a_denial_without_the_request() -> None:
    denial = matcher._denial("because no session policy allows the action", Redactor())
    assert denial is not None
    assert (denial.principal, denial.action, denial.resource) == (None, None, None)
    assert matcher._denial("no phrase here", Redactor()) is None


def test_diagnose_reports_tool_language_status_and_operation() -> None:
    text = (
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
        "GetObject operation: Access Denied (Status Code: 403)"
    )
    explanation = matcher.diagnose(text, catalog=CATALOG)
    # facts.py reads a botocore ClientError as boto3 (its readers list boto3 first)
    assert (explanation.tool, explanation.language) == ("boto3", "Python")
    assert explanation.status == 403
    assert explanation.operation == "GetObject"
    assert explanation.regions == ()
    assert explanation.bucket is None
    assert explanation.endpoint is None
    assert explanation.keys == ()


def test_a_clue_is_named_from_a_weight_of_0_2() -> None:
    """The clue of smallest weight at or above 0.2 is named; the largest below is not."""
    weights = [
        (w, Category(name), f)
        for name, table in _MODEL["category"].items()
        for f, w in table["weights"].items()
        if f.startswith("clue:")
    ]
    w_at, category, at = min((item for item in weights if item[0] >= 0.2), key=lambda i: i[0])
    w_below, below_category, below = max(
        (item for item in weights if 0 < item[0] < 0.2), key=lambda i: i[0]
    )
    assert w_below < 0.2 <= w_at
    for cat, feature, named in ((category, at, True), (below_category, below, False)):
        name = feature.partition(":")[2]
        entry = _entry("AccessDenied", causes=(_cause("x", cat),))
        catalog = Catalog(clues={name: Clue(name, f"why {name}", None)}, errors=(entry,))
        [ranked] = matcher._rank(entry, frozenset({feature}), catalog, [], Redactor())
        expected = (f"why {name}",) if named else ("the likeliest cause of AccessDenied",)
        assert ranked.why == expected


def test_a_pasted_secret_is_hidden_where_it_shows_again_in_the_errors_line() -> None:
    """A secret taken out under its label may show again bare, in a shape no pattern
    knows (31 characters here): the error's line hides it too, by its value."""
    secret = "Ab1" * 10 + "X"
    text = f"aws_secret_access_key={secret}\nAccessDenied for {secret}"
    explanation = matcher.diagnose(text, catalog=CATALOG)
    assert explanation.errors[0].line == "AccessDenied for <secret redacted>"
    assert secret not in repr(explanation)


def test_a_clue_of_weight_exactly_0_2_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The edge itself, on weights set here (the packaged fit has no clue at exactly 0.2):
    0.2 is named, 0.1999 is not."""
    weights = LearnedWeights(
        provenance={},
        temperature=1.0,
        threshold=0.5,
        bias={},
        weights={Category.PERMISSION_MISSING: {"clue:at-edge": 0.2, "clue:below-edge": 0.1999}},
        positions=(),
    )
    monkeypatch.setattr(matcher, "learned", lambda: weights)
    clues = {name: Clue(name, f"why {name}", None) for name in ("at-edge", "below-edge")}
    entry = _entry("AccessDenied", causes=(_cause("x", Category.PERMISSION_MISSING),))
    catalog = Catalog(clues=clues, errors=(entry,))
    features = frozenset({"clue:at-edge", "clue:below-edge"})
    [ranked] = matcher._rank(entry, features, catalog, [], Redactor())
    assert ranked.why == ("why at-edge",)


# --- the names the text gives an error (_shown_names, _aliases) -------------------------


def _names(text: str, catalog: Catalog = CATALOG) -> dict[str, list[str]]:
    return {h.entry.code: h.names for h in matcher._find_hits(catalog, text)}


def test_a_code_written_with_its_namespace_is_listed_under_both_names() -> None:
    # Ruby's class path before the code: the code itself is the catalog code (not repeated
    # in the aliases), the qualified class is a name the text gave it.
    text = "unable to sign (Aws::Sigv4::Errors::AccessDenied)"
    assert _names(text) == {"AccessDenied": ["AccessDenied", "Aws::Sigv4::Errors::AccessDenied"]}
    error = matcher.diagnose(text, catalog=CATALOG).errors[0]
    assert error.aliases == ("Aws::Sigv4::Errors::AccessDenied",)


def test_an_alias_the_catalog_lists_is_not_listed_twice() -> None:
    # botocore's shape shows the alias MalformedPolicy at 19: a name of the hit, already
    # among the entry's aliases, which keep their order.
    catalog = Catalog(clues={}, errors=(POLICY,))
    text = "An error occurred (MalformedPolicy) when calling the PutBucketPolicy operation"
    assert _names(text, catalog) == {"MalformedPolicyDocument": ["MalformedPolicy"]}
    error = matcher.diagnose(text, catalog=catalog).errors[0]
    assert error.aliases == ("MalformedPolicy", "MalformedPolicyException")


def test_the_exception_that_carried_a_matched_wording_is_named() -> None:
    # The wording of AccessDenied at 39; the class just before it, with its package, is
    # what the program raised: both forms are names of the error.
    text = "Exception: java.nio.file.AccessDeniedException: Access Denied by aws"
    assert _names(text)["AccessDenied"] == [
        "AccessDeniedException",
        "java.nio.file.AccessDeniedException",
    ]
    node = "TypeError [ERR_X]: Token expired on aws"
    assert _names(node)["ExpiredToken"] == ["TypeError"]


def test_the_class_heading_the_line_is_a_name_and_a_class_inside_it_is_not() -> None:
    # Java's "Class: message (…; Error Code: …)": the class heads the error's line.
    text = "  Caused by: com.example.S3Exception: x; aws Token expired"
    assert _names(text)["ExpiredToken"] == ["S3Exception", "com.example.S3Exception"]
    # A class in the middle of the line, not right before the wording, carried nothing.
    assert _names("retry after IllegalStateException: x; aws Token expired")["ExpiredToken"] == []
    # Nor does one heading another line.
    assert _names("IllegalStateException: x\naws Token expired")["ExpiredToken"] == []
    # A lower-case word before a colon is no class.
    assert _names("problem: Token expired on aws")["ExpiredToken"] == []


def test_the_code_a_hidden_error_showed_is_listed_by_the_error_that_hid_it() -> None:
    # The wrapper S3ServiceException (code shown at 0) gives way to SignatureDoesNotMatch
    # (wording at 24): its report lists the shown code, the name the reader pasted.
    text = "S3ServiceException (403) The request signature we calculated does not match"
    hits = matcher._find_hits(CATALOG, text)
    assert [(h.entry.code, h.names) for h in hits] == [
        ("SignatureDoesNotMatch", ["S3ServiceException"])
    ]
    error = matcher.diagnose(text, catalog=CATALOG).errors[0]
    assert error.aliases == ("S3ServiceException",)


def test_a_bare_status_is_named_by_its_number() -> None:
    catalog = Catalog(clues={}, errors=(BAD,))
    hits = matcher._find_hits(catalog, "aws s3 cp: status code: 400, request id: X")
    assert [(h.entry.code, h.names) for h in hits] == [("400 Bad Request", ["400"])]


def test_a_name_a_code_pattern_stands_for_is_listed() -> None:
    # ACCESS's pattern \(AccessDenied\) is no name; a pattern that is a whole word is.
    synonym = _entry("NoCredentialsError", patterns=(r"\bNoCredentialsError\b", r"\bNoAuthFound\b"))
    catalog = Catalog(clues={}, errors=(synonym,))
    assert _names("aws: NoAuthFound here", catalog) == {"NoCredentialsError": ["NoAuthFound"]}
    error = matcher.diagnose("aws: NoAuthFound here", catalog=catalog).errors[0]
    assert error.aliases == ("NoAuthFound",)


def test_an_alias_a_shape_shows_after_the_first_place_is_listed() -> None:
    # The code at 0 places the hit (its own name first); botocore's shape shows the alias
    # MalformedPolicy further on, which is listed too.
    catalog = Catalog(clues={}, errors=(POLICY,))
    text = "MalformedPolicyDocument first; An error occurred (MalformedPolicy) when calling"
    hits = matcher._find_hits(catalog, text)
    assert [(h.entry.code, h.position, h.names) for h in hits] == [
        ("MalformedPolicyDocument", 0, ["MalformedPolicy", "MalformedPolicyDocument"])
    ]
    error = matcher.diagnose(text, catalog=catalog).errors[0]
    assert error.aliases == ("MalformedPolicy", "MalformedPolicyException")


def test_an_unknown_code_on_the_line_of_a_wording_is_its_name() -> None:
    # botocore's shape shows a code no entry holds on the line ExpiredToken's wording is
    # matched on: the service's name for it. One on another line is not.
    text = "aws: An error occurred (SessionGone) when calling the X operation: Token expired"
    assert _names(text)["ExpiredToken"] == ["SessionGone"]
    other = "An error occurred (SessionGone) when calling the X operation\naws Token expired"
    assert _names(other)["ExpiredToken"] == []
