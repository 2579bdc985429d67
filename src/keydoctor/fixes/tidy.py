"""``tidy``: repair what years of hand-editing leave in the shared files.

Two plans come out of it, because their risks differ:

* ``tidy`` (safe): stray whitespace, quotes and invisible characters around values, CRLF
  line endings, a byte-order mark, and ``chmod 600``. The same keys are meant before and
  after; only the bytes that made the SDK read them wrong go.
* ``tidy-sections`` (unsafe): ``[profile x]`` in the credentials file becomes ``[x]``,
  ``[x]`` in the config file becomes ``[profile x]``, blanks inside headers go, and
  duplicate sections are merged. Each of these can make the SDK see a profile it did not
  see before, so it can change which credentials are used.

Every other byte (comments, order, unrelated lines) stays as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from keydoctor.fixes import atomic, ini
from keydoctor.fixes.plan import Chmod, FileWrite, Plan, RunState, Safety
from keydoctor.sources.files import MAX_FILE_BYTES

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00a0"
_STRIP = " \t\r\n\f\v" + INVISIBLE
# Keys whose values can never hold a blank or an invisible character anywhere.
_KEY_MATERIAL = {
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
}
# Quotes are part of the command line for these; never strip them.
_KEEP_QUOTES = {"credential_process"}
# Config-file sections that are not profiles and must keep their bare names.
_CONFIG_NON_PROFILE = {"default", "plugins", "preview"}

FILE_MODE = 0o600
# re's \s is str.isspace() (both use Unicode's white space); one C-level pass per value
# instead of a Python loop per character keeps megabyte files fast.
_BLANK = re.compile(r"\s")
_BLANK_OR_INVISIBLE = re.compile("[\\s" + INVISIBLE + "]")


@dataclass
class TidyResult:
    text: str
    changes: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # problems seen but not fixed, and why


def clean_value(key: str, value: str) -> str:
    """A value without the stray characters around it (and inside key material)."""
    cleaned = value.strip(_STRIP)
    if (
        key not in _KEEP_QUOTES
        and len(cleaned) >= 2
        and cleaned[0] == cleaned[-1]
        and cleaned[0] in "'\""
    ):
        inner = cleaned[1:-1].strip(_STRIP)
        if not _BLANK.search(inner):
            cleaned = inner
    if key in _KEY_MATERIAL:
        cleaned = _BLANK_OR_INVISIBLE.sub("", cleaned)
    return cleaned


def tidy_values(text: str) -> TidyResult:
    """The safe part: BOM, line endings, and the characters around values."""
    result = TidyResult(text)
    if text.startswith("\ufeff"):
        text = text[1:]
        result.changes.append("removed the byte-order mark at the start of the file")
    if "\r\n" in text:
        count = text.count("\r\n")
        text = text.replace("\r\n", "\n")
        result.changes.append(f"converted {count} Windows (CRLF) line endings to LF")
    lines = ini.split_lines(text)
    folding = False  # the last option had a value on its own line: indented lines join it
    for index, line in enumerate(lines):
        unfolded = _unfold_line(line) if folding else None
        parsed = ini.option_at(unfolded or line)
        if unfolded is not None and parsed is not None:
            lines[index] = line = unfolded
            result.changes.append(
                f"line {index + 1}: removed the indentation that folded "
                f"{ini.option_key(parsed[1])} into the value above"
            )
        body = ini.line_body(line)[0]
        if parsed is None:
            if ini.SECTION.match(body) and body[:1] not in (" ", "\t"):
                folding = False
            continue
        lead, key, value, ending = parsed
        folding = bool(value.strip())
        name = ini.option_key(key.strip(_STRIP))
        new_lead = lead
        if any(c in INVISIBLE for c in lead):
            new_lead = "".join(c for c in lead if c not in INVISIBLE)
        if name in _KEY_MATERIAL and value.strip(_STRIP):
            # one blank after the separator, as `aws configure` writes it: a tab or a run
            # of blanks there is padding that readers other than botocore keep
            stem = new_lead.rstrip(" \t")
            if stem[-1:] in ("=", ":") and new_lead[len(stem) :] not in ("", " "):
                new_lead = stem + " "
        new_value = clean_value(name, value)
        if (
            new_value != value
            and new_value
            and new_lead.rstrip(" \t")[-1:] in ("=", ":")
            and not new_lead.endswith((" ", "\t"))
        ):
            new_lead += " "  # the stripped NBSP or tab was the only separator
        if new_lead != lead or new_value != value:
            lines[index] = new_lead + new_value + ending
            result.changes.append(f"line {index + 1}: cleaned the value of {name}")
    result.text = "".join(lines)
    return result


def _unfold_line(line: str) -> str | None:
    """An indented ``known_setting = value`` line without its indentation, else None.

    configparser joins an indented line to the value above it (``region = us-east-1``
    followed by ``\taws_access_key_id = ...`` is one two-line region). Only lines that name
    a setting botocore reads are un-indented, so a deliberate multi-line value stays.
    """
    from keydoctor.checks.files import KNOWN_KEYS

    body, ending = ini.line_body(line)
    if body[:1] not in (" ", "\t"):
        return None
    parsed = ini.option_at(body.lstrip(" \t") + ending)
    if parsed is None or ini.option_key(parsed[1]) not in KNOWN_KEYS:
        return None
    return body.lstrip(" \t") + ending


def _target_header(kind: str, header: str) -> str | None:
    """The header a section should have, or None when it is right as it is."""
    parts = header.split()
    if not parts:
        return None
    if kind == "credentials":
        if len(parts) == 2 and parts[0] == "profile":
            wanted = parts[1]
        elif len(parts) == 1:
            wanted = parts[0]
        else:
            return None
    else:
        if len(parts) == 1 and parts[0] not in _CONFIG_NON_PROFILE:
            wanted = f"profile {parts[0]}"
        elif len(parts) == 1 or len(parts) == 2:
            wanted = " ".join(parts)
        else:
            return None
    return wanted if wanted != header else None


def _values(lines: list[str], span: ini.Span) -> dict[str, str]:
    return {k: clean_value(k, v) for k, v in ini.options_in(lines, span)}


def tidy_sections(text: str, kind: str) -> TidyResult:
    """The unsafe part: section names the SDK ignores, and duplicate sections."""
    result = TidyResult(text)
    lines = ini.split_lines(text)
    all_spans = ini.spans(lines)
    targets = [(_target_header(kind, s.header) or s.header.strip()) for s in all_spans]
    groups: dict[str, list[int]] = {}
    for number, target in enumerate(targets):
        groups.setdefault(target, []).append(number)

    renames: dict[int, str] = {}
    drop: set[int] = set()  # line indices removed (duplicate headers and repeated keys)
    moves: dict[int, list[str]] = {}  # first span index -> lines appended to it
    for target, members in groups.items():
        first = members[0]
        values: dict[str, str] = {}
        conflict: str | None = None
        for key, value in ini.options_in(lines, all_spans[first]):
            if key in values and values[key] != clean_value(key, value):
                conflict = key
            values.setdefault(key, clean_value(key, value))
        for other in members[1:]:
            if conflict:
                break
            for key, value in _values(lines, all_spans[other]).items():
                if key in values and values[key] != value:
                    conflict = key
                    break
                values.setdefault(key, value)
            if conflict:
                break
        if conflict is not None:
            where = ", ".join(str(all_spans[m].start + 1) for m in members)
            result.left.append(
                f"[{target}] (section header at line(s) {where}) sets {conflict} more than "
                "once with different values; keydoctor will not choose between them: keep "
                "the one you mean and delete the other"
            )
            continue
        for member in members:
            wanted = _target_header(kind, all_spans[member].header)
            if wanted is not None and member == first:
                renames[member] = wanted
                result.changes.append(
                    f"line {all_spans[member].start + 1}: renamed "
                    f"[{all_spans[member].header}] to [{wanted}]"
                )
        seen: set[str] = set()
        for member in members:
            span = all_spans[member]
            if member != first:
                drop.add(span.start)
            moved: list[str] = []
            index = span.start + 1
            while index < span.end:
                parsed = ini.option_at(lines[index])
                if parsed is None:
                    index += 1
                    continue
                stop = index + 1
                while (
                    stop < span.end
                    and ini.line_body(lines[stop])[0][:1] in (" ", "\t")
                    and ini.line_body(lines[stop])[0].strip()
                ):
                    stop += 1
                key = ini.option_key(parsed[1])
                if key in seen:
                    drop.update(range(index, stop))
                    if member == first:
                        result.changes.append(
                            f"line {index + 1}: removed a repeated {key} with the same value"
                        )
                elif member != first:
                    moved.extend(lines[index:stop])
                    drop.update(range(index, stop))
                seen.add(key)
                index = stop
            if member == first:
                continue
            if moved:
                moves.setdefault(first, []).extend(moved)
            result.changes.append(
                f"line {span.start + 1}: merged the duplicate section [{span.header}] into "
                f"the one at line {all_spans[first].start + 1}"
                + (f" ({len(moved)} setting(s) moved)" if moved else " (identical settings)")
            )

    if not renames and not drop:
        return result
    newline = ini.newline_of(text)
    insert_after: dict[int, int] = {}
    for first_span in moves:
        span = all_spans[first_span]
        last = span.start
        for index in range(span.start + 1, span.end):
            body = ini.line_body(lines[index])[0]
            if index not in drop and body.strip() and body.lstrip()[:1] not in ("#", ";"):
                last = index
        insert_after[last] = first_span
    out: list[str] = []
    header_of = {s.start: n for n, s in enumerate(all_spans)}
    for index, line in enumerate(lines):
        if index in drop:
            continue
        span_number = header_of.get(index)
        if span_number is not None and span_number in renames:
            body, ending = ini.line_body(line)
            open_at, close_at = body.index("["), body.index("]")
            line = body[: open_at + 1] + renames[span_number] + body[close_at:] + ending
        out.append(line)
        if index in insert_after:
            if not ini.line_body(out[-1])[1]:
                out[-1] += newline
            out.extend(moves[insert_after[index]])
            if not ini.line_body(out[-1])[1]:
                out[-1] += newline
    result.text = "".join(out)
    return result


def wanted_mode(mode: int | None) -> int:
    """600 when group or others have any access; a stricter mode (400, 700) stays."""
    if mode is None or mode & 0o077:
        return FILE_MODE
    return mode


def _read_text(path: str) -> tuple[bytes, str] | str | None:
    """The file's bytes and text; a reason (str) when tidy must leave it alone; None if absent."""
    if os.path.isdir(path):
        return f"{path} is a directory, not a file; tidy left it alone"
    try:
        data = atomic.read_bytes(path)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc}); tidy left it alone"
    if data is None:
        return None
    if len(data) > MAX_FILE_BYTES:
        return f"{path} is larger than any real credentials file; tidy left it alone"
    if b"\x00" in data:
        return f"{path} holds NUL bytes (a binary file); tidy left it alone"
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{path} is not UTF-8 text; tidy left it alone (save it as UTF-8 first)"


def _tidy_values_render(text: str, _state: RunState) -> str:
    return tidy_values(text).text


def _tidy_sections_render(kind: str) -> Callable[[str, RunState], str]:
    def render(text: str, _state: RunState) -> str:
        return tidy_sections(text, kind).text

    return render


def plan_tidy(files: list[tuple[str, str]]) -> list[Plan]:
    """The ``tidy`` and ``tidy-sections`` plans for ``(kind, path)`` pairs.

    ``tidy-sections`` is computed on the text that ``tidy`` leaves, so the two apply in
    order; when ``tidy`` is not applied, ``tidy-sections`` finds the file unchanged from
    what it expected and refuses to write.
    """
    safe = Plan("tidy", Safety.SAFE, "clean values, line endings and byte-order marks; chmod 600")
    unsafe = Plan(
        "tidy-sections",
        Safety.UNSAFE,
        "rename sections the SDK ignores and merge duplicate sections",
    )
    for kind, path in files:
        read = _read_text(path)
        if read is None:
            continue
        if isinstance(read, str):
            safe.notes.append(read)
            continue
        data, text = read
        values = tidy_values(text)
        mode = atomic.file_mode(path)
        wanted = wanted_mode(mode)
        if values.text != text:
            safe.steps.append(
                FileWrite(
                    path,
                    data,
                    _tidy_values_render,
                    values.text,
                    mode=wanted,
                    why="; ".join(values.changes),
                )
            )
            safe.notes.extend(f"{path}: {c}" for c in values.changes)
        elif mode is not None and mode != wanted:
            safe.steps.append(Chmod(path, wanted))
        if mode is not None and mode != wanted:
            safe.notes.append(f"{path}: mode {mode:o} -> {wanted:o} (only you can read it)")
        sections = tidy_sections(values.text, kind)
        if sections.text != values.text:
            unsafe.steps.append(
                FileWrite(
                    path,
                    values.text.encode("utf-8"),
                    _tidy_sections_render(kind),
                    sections.text,
                    mode=wanted,
                    why="; ".join(sections.changes),
                )
            )
            unsafe.notes.extend(f"{path}: {c}" for c in sections.changes)
        unsafe.notes.extend(f"{path}: not fixed: {item}" for item in sections.left)
    return [p for p in (safe, unsafe) if p.steps or p.notes]
