"""Find the errors in a text and rank their causes by the clues around them.

The ranking is deliberately simple and inspectable: each cause of an error has a prior
(how often it is the reason for that error, from AWS's documentation and public
threads) and a table of clue weights; the score is the prior plus the weights of the
clues present in the text. Findings of the offline audit add to the causes of their
category. ``why`` lists the clues that raised a cause, so a person can judge the rank.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from keydoctor.catalog import codes as families
from keydoctor.catalog.denials import AwsDenial, read_denial
from keydoctor.catalog.facts import (
    PreparedText,
    TextFacts,
    extract,
    key_info,
    language_of,
    prepare_text,
    status_shown,
)
from keydoctor.catalog.hosts import is_aws_host
from keydoctor.catalog.learned import Question, learned, probabilities, questions
from keydoctor.catalog.ranking import audit_boost
from keydoctor.catalog.regions import REGION
from keydoctor.catalog.result import ErrorReport, Explanation, RankedCause
from keydoctor.catalog.schema import Catalog, ErrorEntry, load_catalog
from keydoctor.catalog.shapes import read_codes
from keydoctor.model import Category, Finding
from keydoctor.redact import Redactor, contains_secret_shape, scrub_patterns

_WHY_CLUES = 3  # the clues named in a cause's why, largest weight first
_WHY_WEIGHT = 0.2  # a clue whose learned weight is smaller is too weak to name as a reason
_NEAR = 400  # a message-only match this close to another error's code belongs to it
_LINE_MAX = 240
# The catalog's errors for a status shown without a code; any other status is read as the
# catalog error of the family codes.toml files it under (see _bare_status).
_BARE_STATUS = {400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden"}
_HINT_KEYS = {"code", "tool", "operation", "region", "endpoint_url", "service"}
_SECRET_VALUES = (
    re.compile(
        r"(?i)(?:secret[_ ]?(?:access)?[_ ]?key|secretaccesskey|secret_key)\W{0,6}"
        r"([A-Za-z0-9/+=]{30,60})"
    ),
    re.compile(
        r"(?i)(?:session[_ ]?token|security[_ ]?token|x-amz-security-token)"
        r"\W{0,6}([A-Za-z0-9/+=%]{60,})"
    ),
    re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
)


# A short, generic wording ("Access Denied", "403 Forbidden", "Token expired") only counts as
# an AWS error when something in the text says AWS; otherwise any web server's 403 would be.
# "AWS" glued to a class name (AWSLambda, AWSSecurityTokenService, an error printed after
# "AWS" without a blank) says it too.
_WEAK_MESSAGE = 20
_AWS_CONTEXT = re.compile(
    r"(?i)\baws\b|aws_|amazon|\bs3a?\b|s3://|boto|arn:aws|x-amz|\bA[KS]IA[A-Z0-9]{12}|\bsts\b|\biam\b|"
    r"\bkms\b|bucket|redshift|athena|lambda|dynamodb|\bsqs\b|\bsns\b|\bec2\b|\becr\b|\beks\b|"
    r"cloudwatch|terraform|minio|\bsso\b|identity center|request ?id|x-amz-request-id|"
    r"(?-i:\bAWS[A-Z][a-z])"
)


def _bare_status(catalog: Catalog, status: int) -> ErrorEntry | None:
    """The catalog error a status shown without a code stands for: the catalog's own
    bare-status error, else the error of the code family ``codes.toml`` puts the status in
    (S3 answers a HEAD to a bucket of another region with a body-less 301, to a bucket
    still propagating with a 307)."""
    if status in _BARE_STATUS:
        return catalog.by_code(_BARE_STATUS[status])
    name = families.family(str(status))
    if name is None:
        return None
    for code in sorted(families.codes(name)):
        entry = None if code.isdigit() else catalog.by_code(code)
        if entry is not None:
            return entry
    return None


@dataclass
class _Hit:
    entry: ErrorEntry
    position: int
    strength: int  # 3: told by the caller; 2: the code itself is shown; 1: only the wording
    names: list[str] = field(default_factory=list)  # what the text called it (_shown_names)


# The name of a class or code as the text wrote it: an identifier, and the package, module
# or namespace path before it (Java's ``java.lang.X``, .NET's ``Amazon.Runtime.X``, Ruby's
# ``Aws::S3::Errors::X``). Each search is on a short window before one error, never the text.
_IDENT = re.compile(r"[A-Za-z_$][\w$]{0,79}")
_QUALIFIER = re.compile(r"(?:[A-Za-z_$][\w$]{0,59}(?:\.|::)){1,12}\Z")
# The exception a message was raised with, right before it: ``java.lang.X: message``,
# ``Amazon.Runtime.X: message``, Node's ``TypeError [ERR_CODE]: message``.
_THROWN = re.compile(
    r"(?<![\w$.:])((?:[A-Za-z_$][\w$]{0,59}(?:\.|::)){0,12}[A-Z][\w$]{0,59}(?:Exception|Error))"
    r"(?: \[[A-Z0-9_]{1,40}\])?:[ \t]{1,4}\Z"
)
# The exception heading the line an error is on: ``com.amazonaws...AmazonS3Exception:
# Forbidden (Service: …; Error Code: 403 Forbidden; …)``, ``Caused by: X: …``.
_LINE_CLASS = re.compile(
    r"[ \t]{0,40}(?:Caused by: |Exception in thread \"[^\"\n]{0,80}\" )?"
    r"((?:[A-Za-z_$][\w$]{0,59}(?:\.|::)){0,12}[A-Z][\w$]{0,59}(?:Exception|Error))"
    r"(?: \[[A-Z0-9_]{1,40}\])?:[ \t]"
)
_NAME_WINDOW = 200


def _names_entry(word: str, entry: ErrorEntry, catalog: Catalog) -> bool:
    """Whether a word is a name of the entry: its code or an alias, or a name one of its
    code patterns stands for whole (``NoAuthHandlerFound`` for NoCredentialsError)."""
    return catalog.by_code(word) is entry or any(p.fullmatch(word) for p in entry.patterns)


def _shown_names(text: str, hit: _Hit, catalog: Catalog) -> list[str]:
    """The names the text gives this error besides its catalog code: the alias it shows
    (``InvalidParameterValueException``), that name with its namespace
    (``Aws::Sigv4::Errors::MissingCredentialsError``), and the exception class that carried
    it: right before a message matched by its wording, else heading its line
    (``java.lang.IllegalArgumentException``, both with and without the package), so a
    reader finds in the report the name they pasted."""
    if hit.position < 0:
        return []
    names: list[str] = []
    before = text[max(0, hit.position - _NAME_WINDOW) : hit.position]
    word = _IDENT.match(text, hit.position)
    if word is not None and _names_entry(word.group(0), hit.entry, catalog):
        names.append(word.group(0))
        qualifier = _QUALIFIER.search(before)
        if qualifier is not None:
            names.append(qualifier.group(0) + word.group(0))
    thrown = _THROWN.search(before)
    if thrown is None:
        line_start = text.rfind("\n", 0, hit.position) + 1
        thrown = _LINE_CLASS.match(text, line_start, hit.position)
    if thrown is not None:
        qualified = thrown.group(1)
        short = re.split(r"\.|::", qualified)[-1]
        names.extend(dict.fromkeys((short, qualified)))
    return names


def _find_hits(catalog: Catalog, text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    context: list[bool] = []  # computed once, on the first weak match

    def aws_context() -> bool:
        if not context:
            context.append(bool(_AWS_CONTEXT.search(text)))
        return context[0]

    for entry in catalog.errors:
        best: _Hit | None = None
        for pattern in entry.patterns:
            found = pattern.search(text)
            if found and (best is None or found.start() < best.position):
                best = _Hit(entry, found.start(), 2)
        if best is None:
            for pattern in entry.messages:
                found = pattern.search(text)
                if not found or (best is not None and found.start() >= best.position):
                    continue
                if len(found.group(0)) < _WEAK_MESSAGE and not aws_context():
                    continue
                best = _Hit(entry, found.start(), 1)
        if best is not None:
            hits.append(best)
    # The codes each tool's shape shows: one the patterns missed because the text names it
    # by another of its names (an alias) is its catalog error, shown; the others are unknown.
    listed = {h.entry.code for h in hits}
    unknown = False
    unnamed: list[tuple[str, int]] = []
    for code, position, _shape in read_codes(text):
        named = catalog.by_code(code)
        if named is None:
            unknown = True
            unnamed.append((code, position))
        elif named.code not in listed:
            listed.add(named.code)
            hits.append(_Hit(named, position, 2, [code]))
        else:
            for hit in hits:
                if hit.entry is named:
                    hit.names.append(code)  # wherever it stands: the name the tool used
                    if hit.strength < 2:
                        hit.strength, hit.position = 2, position
    if not hits:
        # No code and no known wording, but the tool printed the HTTP status (s3fs's "HTTP
        # response code =400", the C++ SDK's "HTTP response code: 403"): in an AWS context
        # that is the catalog's bare-status error, read weakly. A code the catalog does not
        # know says more than its status: it is listed as unknown instead.
        shown = status_shown(text)
        if shown is not None and not unknown and aws_context():
            bare = _bare_status(catalog, shown[0])
            if bare is not None:
                hits.append(_Hit(bare, shown[1], 1, [str(shown[0])]))
    for hit in hits:
        hit.names = list(dict.fromkeys([*hit.names, *_shown_names(text, hit, catalog)]))
        if hit.strength == 1 and unnamed:
            # A code the catalog does not hold, shown on the line of a wording it knows, is
            # the service's name for that error: botocore's "An error occurred (Code) when
            # calling …: wording", Java's "wording (…; Error Code: Code; …)".
            start = text.rfind("\n", 0, hit.position) + 1
            end = text.find("\n", hit.position)
            end = len(text) if end < 0 else end
            hit.names.extend(c for c, at in unnamed if start <= at < end and c not in hit.names)
    # A more specific error hides a generic one (KMSAccessDenied hides AccessDenied), but
    # only when it is shown at least as plainly: a code shown beats a message matched.
    # Wrappers (negative priority, e.g. Redshift's S3ServiceException) always give way.
    strength = {h.entry.code: h.strength for h in hits}
    wrappers = {h.entry.code for h in hits if h.entry.priority < 0}
    hides = [
        (h, s)
        for h in hits
        for s in h.entry.subsumes
        if s in strength and (h.strength >= strength[s] or s in wrappers)
    ]
    subsumed = {s for _h, s in hides}
    # The code a hidden error showed is a name of the error that hid it: a text that says
    # InvalidParameterValueException reads as RoleNotAssumable, which then lists that name.
    for hider, code in hides:
        for other in hits:
            if other.entry.code == code and other.strength >= 2:
                hider.names.extend(other.names or [code])
    hits = [h for h in hits if h.entry.code not in subsumed]
    strong = [h for h in hits if h.strength == 2]
    kept: list[_Hit] = []
    for hit in hits:
        if hit.strength == 1 and any(
            abs(other.position - hit.position) <= _NEAR and other.entry is not hit.entry
            for other in strong
        ):
            continue
        kept.append(hit)
    # Several message-only hits at one place: keep the most specific (highest priority).
    result: list[_Hit] = []
    for hit in sorted(kept, key=lambda h: (-h.strength, -h.entry.priority, h.position)):
        if hit.strength == 1 and any(
            o.strength == 1 and abs(o.position - hit.position) <= _NEAR for o in result
        ):
            continue
        result.append(hit)
    return result


class _ClueState:
    """Which clues fire for this text; patterns are searched once, on demand."""

    def __init__(self, catalog: Catalog, text: str, flags: set[str]) -> None:
        self._catalog = catalog
        self._text = text
        self._cache: dict[str, bool] = {name: True for name in flags}

    def names(self) -> tuple[str, ...]:
        """Every clue and computed fact of the catalog, in a fixed order."""
        return tuple(sorted(self._catalog.clues))

    def fired(self, name: str) -> bool:
        if name not in self._cache:
            clue = self._catalog.clues[name]
            self._cache[name] = bool(clue.pattern is not None and clue.pattern.search(self._text))
        return self._cache[name]


_SHOWN = {1: "message", 2: "code", 3: "caller"}  # how an error was found, by hit strength
# Words near an error are evidence a rule would miss ("nginx", "minio", "newline", "cron"):
# each distinct word within _WORD_WINDOW characters of the error is a feature whose weight
# is fitted like a clue's. The window keeps the cost flat on a 5 MB log; a word the fit
# never weighed adds nothing.
_WORD = re.compile(r"[A-Za-z][a-z0-9]{2,23}|[A-Z]{2,}[a-z0-9]*")
_WORD_WINDOW = 600
# A category its error's entry does not list is shown (by its general cause) only when it
# ranks among this many: the first three lines a person reads, as top-3 is measured.
_UNLISTED_SHOWN = 3
_WORDS_MAX = 200


def _words(text: str, position: int) -> set[str]:
    """The distinct lower-cased words of the text around ``position`` (the whole start of
    the text when the error was told by the caller and has no place in it)."""
    start = max(0, position - _WORD_WINDOW) if position >= 0 else 0
    window = text[start : start + 2 * _WORD_WINDOW]
    words: set[str] = set()
    for found in _WORD.finditer(window):
        words.add("word:" + found.group(0).lower())
        if len(words) >= _WORDS_MAX:
            break
    return words


def _features(hit: _Hit, clues: _ClueState, facts: TextFacts, text: str) -> frozenset[str]:
    """The evidence features of one error in a text, as the learned weights name them.

    One function for the fitting script (:func:`text_features`) and for ranking, so the
    weights are fitted on exactly what the runtime sees: the error's code and family, how
    it was found (its code shown, only its wording, or told by the caller), every clue and
    computed fact that fired, the tool and its language, and the HTTP status shown.
    """
    code = hit.entry.code
    found = {f"code:{code}", f"shown:{_SHOWN[hit.strength]}"}
    family = families.family(code)
    if family is not None:
        found.add(f"family:{family}")
    return frozenset(found | _context_features(clues, facts, text, hit.position))


def _context_features(clues: _ClueState, facts: TextFacts, text: str, position: int) -> set[str]:
    """The features of a text that do not depend on an error code: every clue and computed
    fact that fired, the tool and its language, the HTTP status, the words near
    ``position`` (the start of the text when it is -1)."""
    found: set[str] = set()
    found.update(f"clue:{name}" for name in clues.names() if clues.fired(name))
    if facts.tool:
        found.add(f"tool:{facts.tool}")
    if facts.language:
        found.add(f"language:{facts.language}")
    if facts.status:
        found.add(f"status:{facts.status}")
    found.update(_words(text, position))
    return found


def _guess_features(clues: _ClueState, facts: TextFacts, text: str) -> frozenset[str] | None:
    """The features of a text with no known error, or None when it is not guessed at.

    Only a text about AWS or S3 is: "Permission denied (publickey)" from ssh has words the
    weights know but is no AWS failure. One function for :func:`diagnose` and for the fit
    (:func:`text_features`), so the fit counts exactly the texts a user gets a guess for.
    """
    if not _AWS_CONTEXT.search(text):
        return None
    return frozenset(_context_features(clues, facts, text, -1) | {"shown:none"})


def _rank(
    entry: ErrorEntry | None,
    features: frozenset[str],
    catalog: Catalog,
    findings: list[Finding],
    redactor: Redactor,
) -> tuple[RankedCause, ...]:
    """The entry's causes ordered by the learned score of their category, and the general
    cause of any category its entry does not list that ranks among the first three.

    Every category with a cause to show is weighed, not only the listed ones: the fit
    showed that one real error in seven has a cause its entry does not name (an
    ``AccessDenied`` from a KMS key, a ``SignatureDoesNotMatch`` from a wrong region), and
    where the entry lists a category is itself a fitted feature. The text evidence is
    weighed by ``learned.json``; the offline audit's findings (with ``--check``) add
    ``ranking.toml``'s boost, as they do for ``check``. Causes of one category keep the
    catalog's order among themselves and share its probability.

    ``entry`` is None for a text with no error keydoctor knows: the categories are then
    weighed on the rest of its evidence alone (tool, status, clues, words).
    """
    model = learned()
    own = entry.causes if entry is not None else ()
    subject = entry.code if entry is not None else "this text"
    listed = list(dict.fromkeys(c.category for c in own))
    categories = listed + [c for c in catalog.general if c not in listed]
    scores: dict[Category, float] = {}
    audit: dict[Category, list[str]] = {}
    for position, category in enumerate(categories):
        boost, _mine, said = audit_boost(category, findings)
        where = position if position < len(listed) else None
        scores[category] = model.score(category, features, where) + boost
        audit[category] = said
    chances = probabilities(scores)
    order = sorted(categories, key=lambda c: (-scores[c], categories.index(c)))
    top = order[0]
    shown = list(own) + [catalog.general[c] for c in order[:_UNLISTED_SHOWN] if c not in listed]
    ranked: list[tuple[float, int, RankedCause]] = []
    for index, cause in enumerate(shown):
        category = cause.category
        why: list[str] = []
        for feature, weight in model.contributions(category, features):
            kind, _, name = feature.partition(":")
            if kind == "clue" and name in catalog.clues and weight >= _WHY_WEIGHT:
                why.append(catalog.clues[name].why)
            if len(why) == _WHY_CLUES:
                break
        why = [redactor.scrub(reason) for reason in why] + audit[category]
        if entry is None:
            why.append("no known error code was found; the rest of the text points to it")
        elif category not in listed:
            why.append(f"not a usual cause of {subject}, but the evidence in the text points to it")
        elif not why:
            why.append(
                f"the likeliest cause of {subject}"
                if category is top
                else f"a known cause of {subject}"
            )
        ranked.append(
            (
                scores[category],
                index,
                RankedCause(
                    cause_id=cause.id,
                    category=category,
                    title=cause.title,
                    explanation=cause.explanation,
                    fix=cause.fix,
                    confirm=cause.confirm,
                    score=scores[category],
                    why=tuple(dict.fromkeys(why)),
                    probability=chances[category],
                ),
            )
        )
    # One cause per category first (the likeliest categories, each by its first-listed
    # cause), then the other causes of those categories: the first three lines a person
    # reads name three different categories.
    seen: set[Category] = set()
    firsts: set[int] = set()
    for _score, index, item in sorted(ranked, key=lambda entry: (-entry[0], entry[1])):
        if item.category not in seen:
            seen.add(item.category)
            firsts.add(index)
    ranked.sort(key=lambda item: (item[1] not in firsts, -item[0], item[1]))
    return tuple(item[2] for item in ranked)


def _question(
    causes: tuple[RankedCause, ...], facts: TextFacts, redactor: Redactor
) -> Question | None:
    """When the top cause is below the learned threshold: the command that decides it."""
    if not causes or causes[0].probability >= learned().threshold:
        return None
    first = causes[0].category
    second = next((c.category for c in causes if c.category is not first), None)
    template = questions().template(first, second) if second is not None else None
    if template is None:
        template = questions().single.get(first)
    if template is None:
        return None
    command, why = template
    bucket = redactor.scrub(facts.bucket) if facts.bucket else None
    region = facts.regions[0] if facts.regions else None
    command = command.replace("{bucket}", shlex.quote(bucket) if bucket else "BUCKET")
    command = command.replace("{region}", shlex.quote(region) if region else "REGION")
    return Question((first, second or first), command, why)


def text_features(
    raw: str | bytes, *, hints: dict[str, Any] | None = None, catalog: Catalog | None = None
) -> list[tuple[str, tuple[Category, ...], frozenset[str]]]:
    """Each error of the text, first as :func:`diagnose` reports them: its code, the
    category of each of its causes in catalog order, and its evidence features (for
    ``evals/corpus/fit.py``)."""
    catalog = catalog or load_catalog()
    read = _read(raw, hints, catalog)
    facts = read.facts
    clues = _ClueState(catalog, read.prepared.text, facts.flags)
    if not read.hits:
        guessed = _guess_features(clues, facts, read.prepared.text)
        return [("", (), guessed)] if guessed is not None else []
    return [
        (
            hit.entry.code,
            tuple(c.category for c in hit.entry.causes),
            _features(hit, clues, facts, read.prepared.text),
        )
        for hit in read.hits
    ]


def _aliases(hit: _Hit, redactor: Redactor) -> tuple[str, ...]:
    """The error's documented other names, then the names the text gave it."""
    seen = {hit.entry.code.lower(), *(a.lower() for a in hit.entry.aliases)}
    shown: list[str] = []
    for name in hit.names:
        if name.lower() not in seen:
            seen.add(name.lower())
            shown.append(redactor.scrub(name))
    return (*hit.entry.aliases, *shown)


def _line_at(text: str, position: int, redactor: Redactor) -> str:
    """The line an error was seen in, redacted whole and only then cut to a window.

    Cutting first would leave a secret's tail without the label that marks it (39 of 40
    characters of an env dump's secret were once shown that way).
    """
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    raw = text[start : end if end != -1 else len(text)]
    line = redactor.scrub(raw)
    lead = len(line) - len(line.lstrip())
    line = line.strip()
    if len(line) > _LINE_MAX:
        # Where the error sits in the redacted line: the redacted length of what precedes
        # it (placeholders change lengths), measured without cutting anything shown.
        at = len(redactor.scrub(raw[: position - start])) - lead
        offset = min(max(0, at - 40), len(line) - _LINE_MAX)
        tail = "…" if offset + _LINE_MAX < len(line) else ""
        line = ("…" if offset else "") + line[offset : offset + _LINE_MAX] + tail
    return line


def _apply_hints(hints: dict[str, Any], facts: TextFacts) -> None:
    unknown = sorted(set(hints) - _HINT_KEYS)
    if unknown:
        raise ValueError(f"unknown hint(s): {', '.join(unknown)}")
    if hints.get("tool"):
        facts.tool = str(hints["tool"])
        facts.language = language_of(facts.tool)
    if hints.get("operation"):
        facts.operation = str(hints["operation"])
    region = hints.get("region")
    if isinstance(region, str) and region:
        if REGION.fullmatch(region):
            if region not in facts.regions:
                facts.regions.append(region)
            facts.flags.add("region-named")
            if region.startswith("cn-"):
                facts.flags.add("china-region")
            if region.startswith("us-gov-"):
                facts.flags.add("govcloud-region")
        else:
            facts.flags.add("region-invalid")
    endpoint = hints.get("endpoint_url")
    if isinstance(endpoint, str) and endpoint:
        facts.endpoint = endpoint
        facts.flags.add("aws-endpoint" if is_aws_host(endpoint) else "custom-endpoint")


def _secret_values(text: str) -> list[str]:
    values: list[str] = []
    for pattern in _SECRET_VALUES:
        for found in pattern.finditer(text):
            value = found.group(1)
            if pattern is _SECRET_VALUES[2] and not (
                any(c.isupper() for c in value)
                and any(c.islower() for c in value)
                and any(c.isdigit() for c in value)
            ):
                continue
            values.append(value)
    return values


def text_clues(
    raw: str | bytes, *, hints: dict[str, Any] | None = None, catalog: Catalog | None = None
) -> _ClueState:
    """The clues of an error text (and of the caller's hints), for the one ranker."""
    catalog = catalog or load_catalog()
    prepared = prepare_text(raw)
    text = prepared.text
    facts = extract(text)
    if hints:
        _apply_hints(hints, facts)
    if prepared.secrets or contains_secret_shape(text):
        facts.flags.add("secret-pasted")
    return _ClueState(catalog, text, facts.flags)


@dataclass
class _Read:
    """A text read once: prepared, its facts, and its errors in the order reported."""

    prepared: PreparedText
    facts: TextFacts
    hits: list[_Hit]
    secret_in_text: bool


def _read(raw: str | bytes, hints: dict[str, Any] | None, catalog: Catalog) -> _Read:
    prepared = prepare_text(raw)
    text = prepared.text
    facts = extract(text)
    if hints:
        _apply_hints(hints, facts)
    secret_in_text = bool(prepared.secrets) or contains_secret_shape(text)
    if secret_in_text:
        facts.flags.add("secret-pasted")
    hits = _find_hits(catalog, text)
    hinted = hints.get("code") if hints else None
    if isinstance(hinted, str) and hinted:
        entry = catalog.by_code(hinted)
        if entry is not None:
            # The caller saw the code itself (e.g. a caught ClientError): it comes first.
            shown = [h for h in hits if h.entry is entry]
            if shown:
                shown[0].strength = 3
            else:
                hits.insert(0, _Hit(entry, -1, 3))  # not in the text: no line to show
    hits.sort(key=lambda h: (-h.strength, -h.entry.priority, h.position))
    return _Read(prepared, facts, hits, secret_in_text)


def diagnose(
    raw: str | bytes,
    *,
    findings: list[Finding] | None = None,
    hints: dict[str, Any] | None = None,
    catalog: Catalog | None = None,
) -> Explanation:
    """The implementation behind :func:`keydoctor.catalog.diagnose_text`."""
    catalog = catalog or load_catalog()
    read = _read(raw, hints, catalog)
    text, facts, secret_in_text = read.prepared.text, read.facts, read.secret_in_text
    findings = list(findings or [])
    redactor = Redactor(
        secrets=[*read.prepared.secrets, *_secret_values(text)], key_ids=facts.raw_key_ids
    )
    clues = _ClueState(catalog, text, facts.flags)
    reports: list[ErrorReport] = []
    for hit in read.hits:
        causes = _rank(hit.entry, _features(hit, clues, facts, text), catalog, findings, redactor)
        reports.append(
            ErrorReport(
                code=hit.entry.code,
                service=hit.entry.service,
                http_status=hit.entry.http_status,
                title=hit.entry.title,
                meaning=hit.entry.meaning,
                aliases=_aliases(hit, redactor),
                line=_line_at(text, hit.position, redactor) if hit.position >= 0 else "",
                causes=causes,
                question=_question(causes, facts, redactor),
            )
        )
    unknown: list[str] = []
    guesses: tuple[RankedCause, ...] = ()
    if not reports:
        unknown = [code for code, _position, _shape in read_codes(text)]
        context = _guess_features(clues, facts, text)
        if context is not None and learned().weighs(context - {"shown:none"}):
            guesses = _rank(None, context, catalog, findings, redactor)
    warnings: list[str] = []
    if secret_in_text:
        warnings.append(
            "the text contains what looks like a secret access key or session token: it was "
            "masked here, but treat it as exposed and rotate it (aws iam create-access-key, "
            "then aws iam delete-access-key for the old one)"
        )
    if facts.raw_key_ids:
        warnings.append(
            "the text shows an access key id; ids are not secret on their own but are "
            "shown masked here"
        )
    return Explanation(
        found=bool(reports),
        errors=tuple(reports),
        tool=facts.tool,
        language=facts.language,
        status=facts.status,
        operation=redactor.scrub(facts.operation) if facts.operation else None,
        regions=tuple(facts.regions),
        bucket=redactor.scrub(facts.bucket) if facts.bucket else None,
        endpoint=scrub_patterns(redactor.scrub(facts.endpoint)) if facts.endpoint else None,
        keys=tuple(facts.keys),
        secret_in_text=secret_in_text,
        unknown_codes=tuple(redactor.scrub(c) for c in unknown),
        warnings=tuple(warnings),
        denied_by=_denial(text, redactor),
        guesses=guesses,
        guess_question=_question(guesses, facts, redactor) if guesses else None,
    )


def _denial(text: str, redactor: Redactor) -> AwsDenial | None:
    """AWS's phrase for the deciding layer, its request values masked like the rest."""
    found = read_denial(text)
    if found is None:
        return None

    def scrubbed(value: str | None) -> str | None:
        return redactor.scrub(value) if value else None

    return AwsDenial(
        found.decision,
        found.layer,
        found.words,
        scrubbed(found.principal),
        scrubbed(found.action),
        scrubbed(found.resource),
    )


__all__ = ["diagnose", "key_info", "text_clues"]
