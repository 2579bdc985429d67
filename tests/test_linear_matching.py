"""Every pattern ``explain`` runs takes time linear in its input (issue: quadratic matching).

``explain`` once took 15.9 s on 16,000 lines of blanks and over two minutes on 64 KiB of
newlines: the tool-detection pattern ``(?m)^\\s*...`` re-scanned the whole run of
whitespace from every line start. This file guards every pattern of the catalog's TOML
files and of the readers (``catalog/facts.py``, ``catalog/matcher.py``,
``catalog/regions.py``, ``catalog/shapes.py``, ``redact.py``)
in two ways, neither of them a wall-clock bound:

* a static check of each pattern's parse tree for the shapes that backtrack
  super-linearly (an unbounded repeat inside another, or an unbounded repeat that can
  cross a line break right after a line start);
* a scaling check: each pattern runs on adversarial inputs (long runs of blanks and
  newlines, its own literal prefixes repeated, a 1 MB line) at two sizes, ``n`` and
  ``16 n``. Linear work grows about 16 times, quadratic work 256 times; the bound is 64,
  and a case is measured in CPU time of the thread, again (best of three, then of
  seven) before it may fail, so a busy machine does not make the test flaky. The
  wall-clock figures live in ``bench/explain_speed.py``.

The end-to-end part runs ``diagnose`` itself on the hostile inputs and checks the answer
(the error after them is still found), with the same scaling comparison.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keydoctor import redact
from keydoctor.catalog import facts, matcher, regions, shapes
from keydoctor.catalog.schema import load_catalog

try:  # Python 3.11 names the parser sre_parse; 3.12+ re._parser
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layout
    import sre_parse  # type: ignore[no-redef]

SMALL = 2 * 1024
SCALE = 16
BOUND = 64  # linear: ~16; quadratic: ~256
NOISE = 1e-4  # seconds: below this a small case is timer noise, so it counts as this
MAXREPEAT = sre_parse.MAXREPEAT


def _module_patterns() -> Iterator[tuple[str, re.Pattern[str]]]:
    for module in (facts, matcher, regions, shapes, redact):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                yield f"{module.__name__}.{name}", value
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, re.Pattern):
                        yield f"{module.__name__}.{name}[{key!r}]", item
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    if isinstance(item, re.Pattern):
                        yield f"{module.__name__}.{name}[{index}]", item
                    elif isinstance(item, tuple) and isinstance(item[-1], re.Pattern):
                        yield f"{module.__name__}.{name}[{item[0]}]", item[-1]
                    elif isinstance(item, shapes.Shape):
                        yield f"{module.__name__}.{name}[{item.name}]", item.pattern


def all_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every regular expression the catalog declares and the readers compile."""
    catalog = load_catalog()
    found: list[tuple[str, re.Pattern[str]]] = []
    for name, clue in catalog.clues.items():
        if clue.pattern is not None:
            found.append((f"clue {name}", clue.pattern))
    for entry in catalog.errors:
        for index, pattern in enumerate(entry.patterns):
            found.append((f"{entry.code} pattern {index}", pattern))
        for index, pattern in enumerate(entry.messages):
            found.append((f"{entry.code} message {index}", pattern))
    found.extend(_module_patterns())
    return found


PATTERNS = all_patterns()


def test_every_reader_is_covered() -> None:
    """The collection is not silently empty: the catalog and all three readers count."""
    sources = {name.split(" ")[0].rsplit(".", 1)[0] for name, _ in PATTERNS}
    assert {
        "keydoctor.catalog.facts",
        "keydoctor.catalog.matcher",
        "keydoctor.catalog.shapes",
        "keydoctor.redact",
    } <= sources
    assert len(PATTERNS) > 300


# --- the static check -------------------------------------------------------------------

_REPEATS = {
    sre_parse.MAX_REPEAT,
    sre_parse.MIN_REPEAT,
    getattr(sre_parse, "POSSESSIVE_REPEAT", None),
}


def _items(tree: Any) -> Iterator[tuple[Any, Any]]:
    """Every (op, argument) of a parsed pattern, depth first."""
    for op, arg in tree:
        yield op, arg
        if op in _REPEATS:
            yield from _items(arg[2])
        elif op is sre_parse.SUBPATTERN:
            yield from _items(arg[-1])
        elif op is sre_parse.BRANCH:
            for option in arg[1]:
                yield from _items(option)
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            yield from _items(arg[1])


def _unbounded(op: Any, arg: Any) -> bool:
    return (
        op in _REPEATS
        and op is not getattr(sre_parse, "POSSESSIVE_REPEAT", None)
        and arg[1] == MAXREPEAT
    )


def _matches_newline(tree: Any, flags: int) -> bool:
    """Whether the first item of ``tree`` can match a line break."""
    return _matches_char(tree, flags, "\n")


def _matches_char(tree: Any, flags: int, char: str) -> bool:
    """Whether the first item of ``tree`` can match ``char`` (a conservative test)."""
    return any(re.fullmatch(_item_source(op, arg), char, flags) for op, arg in list(tree)[:1])


def _item_source(op: Any, arg: Any) -> str:
    """A regex for one single-character item (a class, a literal, any); else never."""
    if op is sre_parse.ANY:
        return "(?s:.)"
    if op is sre_parse.LITERAL:
        return re.escape(chr(arg))
    if op is sre_parse.NOT_LITERAL:
        return "[^" + re.escape(chr(arg)) + "]"
    if op is sre_parse.IN:
        return _class_source(arg)
    return "(?!)"


def _class_source(items: Any) -> str:
    parts = []
    negate = ""
    names = {
        sre_parse.CATEGORY_SPACE: r"\s",
        sre_parse.CATEGORY_NOT_SPACE: r"\S",
        sre_parse.CATEGORY_WORD: r"\w",
        sre_parse.CATEGORY_NOT_WORD: r"\W",
        sre_parse.CATEGORY_DIGIT: r"\d",
        sre_parse.CATEGORY_NOT_DIGIT: r"\D",
    }
    for op, arg in items:
        if op is sre_parse.NEGATE:
            negate = "^"
        elif op is sre_parse.LITERAL:
            parts.append(re.escape(chr(arg)))
        elif op is sre_parse.RANGE:
            parts.append(re.escape(chr(arg[0])) + "-" + re.escape(chr(arg[1])))
        elif op is sre_parse.CATEGORY:
            parts.append(names.get(arg, ""))
    return "[" + negate + "".join(parts) + "]" if parts else "(?!)"


def _blank_run(op: Any, arg: Any, flags: int) -> bool:
    """An unbounded repeat whose body can match a blank (``\\s*``, ``[ \\t]+``, ``.*``)."""
    return _unbounded(op, arg) and _matches_char(arg[2], flags, " ")


def _adjacent_blank_runs(tree: Any, flags: int) -> bool:
    """Two blank repeats with only optional or blank items between them, in one
    sequence: every split of a run of blanks between them is tried."""
    items = list(tree)
    for index, (op, arg) in enumerate(items):
        if not _blank_run(op, arg, flags):
            continue
        for later_op, later_arg in items[index + 1 :]:
            if _blank_run(later_op, later_arg, flags):
                return True
            optional = later_op in _REPEATS and later_arg[0] == 0
            if not (optional or re.fullmatch(_item_source(later_op, later_arg), " ", flags)):
                break
    return False


def shape_problems(pattern: re.Pattern[str]) -> list[str]:
    """The super-linear shapes in one pattern's parse tree (empty when it is safe)."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags & ~re.UNICODE)
    problems: list[str] = []
    for op, arg in _items(tree):
        if _unbounded(op, arg) and any(_unbounded(o, a) for o, a in _items(arg[2])):
            problems.append("an unbounded repeat inside another")
    sequences = [tree] + [arg[-1] for op, arg in _items(tree) if op is sre_parse.SUBPATTERN]
    sequences += [option for op, arg in _items(tree) if op is sre_parse.BRANCH for option in arg[1]]
    if any(_adjacent_blank_runs(sequence, pattern.flags) for sequence in sequences):
        problems.append("two blank repeats with only optional or blank items between them")
    items = list(tree)
    for index, (op, arg) in enumerate(items[:-1]):
        following_op, following_arg = items[index + 1]
        if (
            op is sre_parse.AT
            and arg is sre_parse.AT_BEGINNING
            and pattern.flags & re.MULTILINE
            and _unbounded(following_op, following_arg)
            and _matches_newline(following_arg[2], pattern.flags)
        ):
            problems.append("a line start followed by a repeat that crosses lines")
    if pattern.flags & re.MULTILINE:
        for op, arg in _items(tree):
            if op is sre_parse.BRANCH:
                for option in arg[1]:
                    parts = list(option)
                    if (
                        len(parts) >= 2
                        and parts[0][0] is sre_parse.AT
                        and _unbounded(*parts[1])
                        and _matches_newline(parts[1][1][2], pattern.flags)
                    ):
                        problems.append("a line start followed by a repeat that crosses lines")
    return problems


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_no_backtracking_shape(name: str, pattern: re.Pattern[str]) -> None:
    assert shape_problems(pattern) == [], f"{name}: {pattern.pattern!r}"


def test_the_static_check_catches_the_known_culprit() -> None:
    """The check is not vacuous: the pattern that stalled explain, and a nested repeat."""
    assert shape_problems(re.compile(r"(?m)^\s*(?:\$ )?aws [a-z]+"))
    assert shape_problems(re.compile(r"(?m)foo|^\s*aws"))
    assert shape_problems(re.compile(r"(a+)+b"))
    assert shape_problems(re.compile(r"endpointOverride\s*=?\s*x"))
    assert shape_problems(re.compile(r"(?:a|endpoint\s*[= ]\s*)x"))
    assert not shape_problems(re.compile(r"(?m)^[ \t]*(?:\$ )?aws [a-z]+"))


# --- the scaling check --------------------------------------------------------------------


def _example(tree: Any, budget: list[int]) -> str:
    """One short string the parsed pattern (nearly) matches: its literal skeleton."""
    out: list[str] = []
    for op, arg in tree:
        if op is sre_parse.LITERAL:
            out.append(chr(arg))
        elif op is sre_parse.NOT_LITERAL:
            out.append("a" if arg != ord("a") else "b")
        elif op is sre_parse.ANY:
            out.append("a")
        elif op is sre_parse.IN:
            out.append(_class_member(arg))
        elif op in _REPEATS:
            out.append(_example(arg[2], budget) * max(1, min(arg[0], 3)))
        elif op is sre_parse.SUBPATTERN:
            out.append(_example(arg[-1], budget))
        elif op is sre_parse.BRANCH:
            out.append(_example(arg[1][0], budget))
    return "".join(out)


def _class_member(items: Any) -> str:
    for op, arg in items:
        if op is sre_parse.NEGATE:
            return "a"
        if op is sre_parse.LITERAL:
            return chr(arg)
        if op is sre_parse.RANGE:
            return chr(arg[0])
        if op is sre_parse.CATEGORY:
            return {sre_parse.CATEGORY_DIGIT: "1", sre_parse.CATEGORY_SPACE: " "}.get(arg, "a")
    return "a"


def literal_prefixes(pattern: re.Pattern[str]) -> list[str]:
    """A skeleton of each top-level alternative, and of each alternative inside a leading
    group: the prefixes an attacker would repeat."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags & ~re.UNICODE)
    options: list[Any] = [tree]
    for op, arg in tree:
        if op is sre_parse.BRANCH:
            options = list(arg[1])
        elif op is sre_parse.SUBPATTERN:
            for sub_op, sub_arg in arg[-1]:
                if sub_op is sre_parse.BRANCH:
                    options.extend(sub_arg[1])
        break
    examples = []
    for option in options:
        example = _example(option, [0])
        if example and example not in examples:
            examples.append(example)
    return examples[:6]


def adversarial(pattern: re.Pattern[str], size: int) -> Iterator[tuple[str, str]]:
    """Hostile inputs of about ``size`` characters for one pattern."""
    yield "blank lines", " \t \n" * (size // 4)
    yield "newlines", "\n" * size
    yield "one run of blanks", " " * size
    yield "one long word", "a" * size
    yield "base64 alphabet", "aB3/" * (size // 4)
    for example in literal_prefixes(pattern):
        yield f"{example!r} repeated", example * (size // len(example) + 1)
        yield f"{example!r} spaced", (example + " ") * (size // (len(example) + 1) + 1)
        yield f"{example!r} then blanks", example + " " * size
        yield f"{example!r} then a word", example + "a" * size
        yield f"{example!r} then lines", example + "\n" * size
        half = example[: max(1, len(example) // 2)]
        if half != example:
            yield f"{half!r} repeated", half * (size // len(half) + 1)
            yield f"{half!r} then blanks", half + " " * size


def _seconds(work: Callable[[], object], repeats: int) -> float:
    """CPU seconds of this thread (best of ``repeats``): time spent waiting for a core on
    a busy machine is not counted, so only the work itself is compared."""
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return best


def grows_linearly(work: Callable[[str], object], small: str, large: str) -> tuple[bool, float]:
    """Whether ``work`` on ``large`` (``SCALE`` times ``small``) costs at most ``BOUND``
    times as much; measured again, best of three then of seven, before saying no."""
    ratio = 0.0
    for repeats in (1, 3, 7):
        small_time = _seconds(lambda: work(small), repeats)
        large_time = _seconds(lambda: work(large), repeats)
        ratio = large_time / max(small_time, NOISE)
        if ratio <= BOUND:
            return True, ratio
    return False, ratio


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_pattern_scales_linearly(name: str, pattern: re.Pattern[str]) -> None:
    small_cases = dict(adversarial(pattern, SMALL))
    large_cases = dict(adversarial(pattern, SMALL * SCALE))
    assert len(small_cases) >= 5
    slow = []
    for case, small in small_cases.items():
        linear, ratio = grows_linearly(
            lambda text: sum(1 for _ in pattern.finditer(text)), small, large_cases[case]
        )
        if not linear:
            slow.append(f"{case}: x{ratio:.0f} for x{SCALE} input")
    assert not slow, f"{name} ({pattern.pattern!r}) is super-linear on: {slow}"


def test_the_scaling_check_catches_a_quadratic_pattern() -> None:
    """The check is not vacuous: the old tool-detection pattern fails it."""
    culprit = re.compile(r"(?m)^\s*(?:\$ |# )?aws [a-z0-9-]+")
    small, large = "\n" * 256, "\n" * (256 * SCALE)  # quadratic: kept small
    ratio = _seconds(lambda: culprit.search(large), 1) / max(
        _seconds(lambda: culprit.search(small), 3), NOISE / 10
    )
    assert ratio > BOUND


# --- end to end: explain on hostile inputs ------------------------------------------------

ERROR_LINE = (
    "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: "
    "The AWS Access Key Id you provided does not exist in our records."
)
HOSTILE: dict[str, Callable[[int], str]] = {
    "blank lines (the reported 16,000-line case)": lambda n: " \t \n" * (n // 4),
    "newlines (the reported 64 KiB case)": lambda n: "\n" * n,
    "blank lines with blanks at their end": lambda n: "  \n" * (n // 3),
    "one run of blanks": lambda n: " " * n + "\n",
    "a prompt prefix repeated": lambda n: "$ aws " * (n // 6) + "\n",
    "setting prefixes repeated": lambda n: "endpointOverride " * (n // 17) + "\n",
    "presigned query repeated": lambda n: "?Signature=a" * (n // 12) + "\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_explain_reads_past_hostile_input_in_linear_time(case: str) -> None:
    """The error after the hostile part is found, and ``diagnose`` scales linearly up
    to the size the catalog's patterns ever see (the text is reduced beyond 64 KiB)."""
    make = HOSTILE[case]
    size = 60 * 1024 - len(ERROR_LINE)
    explanation = matcher.diagnose(make(size) + ERROR_LINE)
    assert explanation.found
    assert explanation.errors[0].code == "InvalidAccessKeyId"
    small, large = make(size // SCALE) + ERROR_LINE, make(size) + ERROR_LINE
    linear, ratio = grows_linearly(matcher.diagnose, small, large)
    assert linear, f"{case}: x{ratio:.0f} for x{SCALE} input"
