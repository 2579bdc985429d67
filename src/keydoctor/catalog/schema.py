"""The typed shape of the error catalog, and the loader that refuses a bad catalog.

The catalog is data (TOML files beside this module) so that knowledge about AWS errors
can grow without code changes, and so that the reference pages in ``docs/errors/`` are
generated from the same source the matcher uses. Loading validates everything: a cause
without a category from the fixed vocabulary, a clue that names nothing, a regular
expression that does not compile or an unknown key is an error at load time, never a
surprise at match time.

Layout of the files:

``clues.toml``
    ``[clue.<name>]`` with ``pattern`` (a regular expression searched in the text) and
    ``why`` (the sentence shown when the clue fires). Facts computed in code (an ``ASIA``
    key, a China region, a custom endpoint ...) are clues too; they are declared in
    :data:`keydoctor.catalog.facts.FACTS`.
``causes.toml``
    ``[cause.<id>]`` reusable causes: ``category``, ``title``, ``explanation``, ``fix``,
    optional ``confirm`` (a command or keydoctor check that confirms it).
``errors-*.toml``
    ``[[error]]`` entries: ``code``, ``service``, ``http_status``, ``title``, ``meaning``,
    ``patterns`` (regexes that show the code itself), ``messages`` (regexes for the
    message wording, used when no code is shown), ``aliases``, ``subsumes``,
    ``related``, ``priority`` and ``[[error.cause]]`` items. A cause item either
    ``use``-s a reusable cause or defines one inline; either way it carries a ``prior``
    (how common this cause is for this error) and ``clues``, a table of clue name to
    weight (positive raises the cause, negative lowers it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keydoctor.errors import KeydoctorError
from keydoctor.model import Category

_CATEGORIES = {c.value: c for c in Category}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class CatalogError(KeydoctorError):
    """The catalog data is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Clue:
    """Something in the text (or a fact derived from it) that shifts a cause's likelihood."""

    name: str
    why: str
    pattern: re.Pattern[str] | None  # None for facts computed in code


@dataclass(frozen=True)
class Cause:
    """One reason an error happens, with how to confirm and fix it."""

    id: str
    category: Category
    title: str
    explanation: str
    fix: str
    confirm: str | None
    prior: float
    clues: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ErrorEntry:
    """One error as AWS, an SDK or a tool reports it, and the causes behind it."""

    code: str
    service: str
    http_status: int | None
    title: str
    meaning: str
    patterns: tuple[re.Pattern[str], ...]
    messages: tuple[re.Pattern[str], ...]
    aliases: tuple[str, ...]
    subsumes: tuple[str, ...]
    related: tuple[str, ...]
    priority: int
    causes: tuple[Cause, ...]
    source: str  # the catalog file it came from, for messages and docs

    @property
    def slug(self) -> str:
        """A file-name-safe form of the code, for the docs page."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.code).strip("-")


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: clues by name, errors in file order, and the general cause of
    each category (``general = true`` in ``causes.toml``).

    ``explain`` weighs every category for every error, not only those the error's entry
    lists: a pasted ``AccessDenied`` may come from a KMS key or a wrong region that its
    entry does not name. When such a category ranks among the first three, its general
    cause is what is shown.
    """

    clues: dict[str, Clue]
    errors: tuple[ErrorEntry, ...]
    general: dict[Category, Cause] = field(default_factory=dict)

    def by_code(self, code: str) -> ErrorEntry | None:
        lowered = code.lower()
        for entry in self.errors:
            if entry.code.lower() == lowered or lowered in (a.lower() for a in entry.aliases):
                return entry
        return None


_CLUE_KEYS = {"pattern", "why"}
_CAUSE_KEYS = {"category", "title", "explanation", "fix", "confirm"}
_CAUSE_ITEM_KEYS = _CAUSE_KEYS | {"use", "id", "prior", "clues"}
_SHARED_CAUSE_KEYS = _CAUSE_KEYS | {"general"}
_ERROR_KEYS = {
    "code",
    "service",
    "http_status",
    "title",
    "meaning",
    "patterns",
    "messages",
    "aliases",
    "subsumes",
    "related",
    "priority",
    "cause",
}
_ERROR_REQUIRED = {"code", "service", "title", "meaning", "cause"}


def _fail(where: str, message: str) -> CatalogError:
    return CatalogError(f"catalog {where}: {message}")


def _unknown(where: str, table: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise _fail(where, f"unknown key(s) {', '.join(extra)}")


def _text(where: str, table: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(where, f"missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"'{key}' must be a non-empty string")
    return value.strip()


def _compile(where: str, pattern: object) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise _fail(where, "a pattern must be a non-empty string")
    try:
        # ASCII word boundaries: an error code glued to CJK text or binary junk is still found.
        compiled = re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise _fail(where, f"pattern {pattern!r} does not compile: {exc}") from None
    if compiled.search(""):
        raise _fail(where, f"pattern {pattern!r} matches the empty string")
    return compiled


def _strings(where: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"'{key}' must be a list of non-empty strings")
    return tuple(value)


def _category(where: str, value: object) -> Category:
    if not isinstance(value, str) or value not in _CATEGORIES:
        raise _fail(where, f"category {value!r} is not in the fixed vocabulary")
    return _CATEGORIES[value]


def _parse_clues(raw: dict[str, Any], facts: dict[str, str]) -> dict[str, Clue]:
    clues: dict[str, Clue] = {name: Clue(name, why, None) for name, why in facts.items()}
    for name, table in raw.items():
        where = f"clues.toml [clue.{name}]"
        if not _NAME.match(name):
            raise _fail(where, "clue names are lower-case kebab-case")
        if name in clues:
            raise _fail(where, "clue defined twice (or shadows a computed fact)")
        if not isinstance(table, dict):
            raise _fail(where, "must be a table")
        _unknown(where, table, _CLUE_KEYS)
        why = _text(where, table, "why")
        assert why is not None
        clues[name] = Clue(name, why, _compile(where, table.get("pattern")))
    return clues


def _parse_cause_def(where: str, table: dict[str, Any], cause_id: str) -> dict[str, Any]:
    return {
        "id": cause_id,
        "category": _category(where, table.get("category")),
        "title": _text(where, table, "title"),
        "explanation": _text(where, table, "explanation"),
        "fix": _text(where, table, "fix"),
        "confirm": _text(where, table, "confirm", required=False),
    }


def _parse_weights(
    where: str, value: object, clues: dict[str, Clue]
) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise _fail(where, "'clues' must be a table of clue name = weight")
    weights: list[tuple[str, float]] = []
    for name, weight in value.items():
        if name not in clues:
            raise _fail(where, f"unknown clue '{name}'")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise _fail(where, f"weight of clue '{name}' must be a number")
        weights.append((name, float(weight)))
    return tuple(weights)


def _parse_error(
    where: str,
    table: dict[str, Any],
    shared: dict[str, dict[str, Any]],
    clues: dict[str, Clue],
    source: str,
) -> ErrorEntry:
    _unknown(where, table, _ERROR_KEYS)
    missing = sorted(_ERROR_REQUIRED - set(table))
    if missing:
        raise _fail(where, f"missing {', '.join(missing)}")
    code = _text(where, table, "code")
    assert code is not None
    where = f"{source} [[error]] {code}"
    patterns = tuple(_compile(where, p) for p in _strings(where, table, "patterns"))
    messages = tuple(_compile(where, p) for p in _strings(where, table, "messages"))
    if not patterns and not messages:
        raise _fail(where, "needs at least one of 'patterns' or 'messages'")
    status = table.get("http_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise _fail(where, "'http_status' must be an integer")
    priority = table.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise _fail(where, "'priority' must be an integer")
    raw_causes = table["cause"]
    if not isinstance(raw_causes, list) or not raw_causes:
        raise _fail(where, "needs at least one [[error.cause]]")
    causes: list[Cause] = []
    for index, item in enumerate(raw_causes):
        cwhere = f"{where} cause #{index + 1}"
        if not isinstance(item, dict):
            raise _fail(cwhere, "must be a table")
        _unknown(cwhere, item, _CAUSE_ITEM_KEYS)
        use = item.get("use")
        if use is not None:
            if use not in shared:
                raise _fail(cwhere, f"uses unknown cause '{use}'")
            own = sorted(set(item) & _CAUSE_KEYS)
            if own:
                raise _fail(cwhere, f"'use' cannot be combined with {', '.join(own)}")
            base = dict(shared[use])
        else:
            cause_id = _text(cwhere, item, "id")
            assert cause_id is not None
            base = _parse_cause_def(cwhere, item, cause_id)
        prior = item.get("prior", 1.0)
        if isinstance(prior, bool) or not isinstance(prior, int | float) or prior < 0:
            raise _fail(cwhere, "'prior' must be a non-negative number")
        causes.append(
            Cause(
                prior=float(prior),
                clues=_parse_weights(cwhere, item.get("clues"), clues),
                **base,
            )
        )
    ids = [c.id for c in causes]
    if len(set(ids)) != len(ids):
        raise _fail(where, "the same cause is listed twice")
    return ErrorEntry(
        code=code,
        service=_text(where, table, "service") or "",
        http_status=status,
        title=_text(where, table, "title") or "",
        meaning=_text(where, table, "meaning") or "",
        patterns=patterns,
        messages=messages,
        aliases=_strings(where, table, "aliases"),
        subsumes=_strings(where, table, "subsumes"),
        related=_strings(where, table, "related"),
        priority=priority,
        causes=tuple(causes),
        source=source,
    )


def parse_catalog(files: dict[str, str], facts: dict[str, str]) -> Catalog:
    """Build and validate a catalog from file name → TOML text.

    Separate from :func:`load_catalog` so that tests can feed broken catalogs.
    """
    import tomllib  # loaded with the catalog only: a healthy check never reads it

    parsed: dict[str, dict[str, Any]] = {}
    for name, text in sorted(files.items()):
        try:
            parsed[name] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _fail(name, f"not valid TOML: {exc}") from None
    raw_clues: dict[str, Any] = {}
    raw_causes: dict[str, Any] = {}
    for name, data in parsed.items():
        _unknown(name, data, {"clue", "cause", "error"})
        for key, target in (("clue", raw_clues), ("cause", raw_causes)):
            section = data.get(key, {})
            if not isinstance(section, dict):
                raise _fail(name, f"'{key}' must be a table of named entries")
            for entry_name in section:
                if entry_name in target:
                    raise _fail(name, f"{key} '{entry_name}' defined twice")
            target.update(section)
    clues = _parse_clues(raw_clues, facts)
    shared: dict[str, dict[str, Any]] = {}
    general: dict[Category, Cause] = {}
    for cause_id, table in raw_causes.items():
        where = f"[cause.{cause_id}]"
        if not _NAME.match(cause_id):
            raise _fail(where, "cause ids are lower-case kebab-case")
        if not isinstance(table, dict):
            raise _fail(where, "must be a table")
        _unknown(where, table, _SHARED_CAUSE_KEYS)
        shared[cause_id] = _parse_cause_def(where, table, cause_id)
        marked = table.get("general", False)
        if not isinstance(marked, bool):
            raise _fail(where, "'general' must be true or false")
        if marked:
            category = shared[cause_id]["category"]
            if category in general:
                raise _fail(
                    where, f"a second general cause of {category.value} ({general[category].id})"
                )
            general[category] = Cause(prior=1.0, clues=(), **shared[cause_id])
    errors: list[ErrorEntry] = []
    for name, data in parsed.items():
        items = data.get("error", [])
        if not isinstance(items, list):
            raise _fail(name, "'error' must be an array of tables ([[error]])")
        for index, table in enumerate(items):
            if not isinstance(table, dict):
                raise _fail(name, f"error #{index + 1} must be a table")
            errors.append(_parse_error(f"{name} error #{index + 1}", table, shared, clues, name))
    codes = [e.code.lower() for e in errors]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise _fail("errors", f"code(s) defined twice: {', '.join(duplicates)}")
    known = set(codes)
    for entry in errors:
        for ref in entry.subsumes + entry.related:
            if ref.lower() not in known:
                raise _fail(f"{entry.source} {entry.code}", f"refers to unknown error '{ref}'")
    return Catalog(clues=clues, errors=tuple(errors), general=general)


_CACHE: list[Catalog] = []


def catalog_files() -> dict[str, str]:
    """The error knowledge shipped in this package (clues, causes, errors), by file name.

    ``codes.toml`` (the code families) and ``ranking.toml`` (the ranker's weights) have
    loaders of their own, so that the probes and the ranker need not parse every pattern.
    """
    # Read beside this module: importlib.resources costs more to import than the read.
    folder = Path(__file__).parent
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in folder.iterdir()
        if item.name in ("clues.toml", "causes.toml")
        or (item.name.startswith("errors-") and item.name.endswith(".toml"))
    }


def load_catalog() -> Catalog:
    """The shipped catalog, parsed and validated once per process."""
    if not _CACHE:
        from keydoctor.catalog.facts import FACTS

        _CACHE.append(parse_catalog(catalog_files(), FACTS))
    return _CACHE[0]
