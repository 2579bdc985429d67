"""Line-level editing of the shared INI files, touching nothing but the lines it must.

botocore's parser (``configparser``) would rewrite a whole file, dropping comments and
reordering keys; keydoctor edits the text instead: it finds a section by the name the SDK
sees, replaces the value part of one ``key = value`` line and leaves every other byte as it
was. Line endings of inserted lines follow the file's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SECTION = re.compile(r"^\s*\[(?P<name>[^\]]*)\]\s*(?:[#;].*)?$")
# The value part starts after the separator and the blanks that follow it.
OPTION = re.compile(r"^(?P<lead>(?P<key>[^=:\s\[#;][^=:]*?)\s*[=:][ \t]*)(?P<value>.*)$")


@dataclass(frozen=True)
class Span:
    """One section: its header line index and the index after its last line."""

    header: str  # the text between the brackets, as written
    start: int
    end: int

    @property
    def name(self) -> str:
        return self.header.strip()


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept, so that joining them gives the text back exactly."""
    return text.splitlines(keepends=True) if text else []


def line_body(line: str) -> tuple[str, str]:
    """A line without its ending, and the ending ("\\r\\n", "\\n", "\\r" or "")."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith(("\n", "\r")):
        return line[:-1], line[-1]
    return line, ""


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def spans(lines: list[str]) -> list[Span]:
    found: list[Span] = []
    for index, line in enumerate(lines):
        body, _ = line_body(line)
        match = SECTION.match(body)
        # An indented header inside a section is a continuation line to configparser.
        if match and (not found or body[:1] not in (" ", "\t")):
            if found:
                last = found[-1]
                found[-1] = Span(last.header, last.start, index)
            found.append(Span(match.group("name"), index, len(lines)))
    return found


def option_at(line: str) -> tuple[str, str, str, str] | None:
    """``(lead, key, value, ending)`` for a top-level ``key = value`` line, else None."""
    body, ending = line_body(line)
    if not body or body[:1] in (" ", "\t") or body.lstrip()[:1] in ("#", ";"):
        return None
    if SECTION.match(body):
        return None
    match = OPTION.match(body)
    if not match:
        return None
    return match.group("lead"), match.group("key"), match.group("value"), ending


def option_key(key: str) -> str:
    """configparser lower-cases option names and strips them."""
    return key.strip().lower()


def profile_matcher(kind: str, profile: str) -> Callable[[str], bool]:
    """Which section headers botocore reads as ``profile`` in a config or credentials file."""

    def matches(header: str) -> bool:
        name = header.strip()
        if kind == "credentials":
            return name == profile
        if profile == "default" and name == "default":
            return True
        parts = name.split()
        return len(parts) == 2 and parts[0] == "profile" and parts[1] == profile

    return matches


def section_header_for(kind: str, profile: str) -> str:
    if kind == "config" and profile != "default":
        return f"profile {profile}"
    return profile


def find_spans(text: str, matches: Callable[[str], bool]) -> list[Span]:
    return [s for s in spans(split_lines(text)) if matches(s.header)]


def get_option(text: str, matches: Callable[[str], bool], key: str) -> str | None:
    """The raw value of ``key`` in the first matching section, as written."""
    lines = split_lines(text)
    for span in spans(lines):
        if not matches(span.header):
            continue
        for index in range(span.start + 1, span.end):
            parsed = option_at(lines[index])
            if parsed and option_key(parsed[1]) == option_key(key):
                return parsed[2]
    return None


def _continuation_lines(lines: list[str], index: int, end: int) -> list[int]:
    """The indented lines after an option line that configparser joins into its value.

    Blank and comment lines in between do not end the value (configparser skips them
    and keeps reading indented lines as continuations), so they are stepped over but
    not returned: comments stay where they are.
    """
    found: list[int] = []
    cursor = index + 1
    while cursor < end:
        body, _ = line_body(lines[cursor])
        stripped = body.strip()
        if not stripped or stripped[0] in "#;":
            cursor += 1
            continue
        if body[:1] in (" ", "\t"):
            found.append(cursor)
            cursor += 1
            continue
        break
    return found


def _last_content_line(lines: list[str], span: Span) -> int:
    """Index of the last non-blank, non-comment line of a section (the header at least)."""
    last = span.start
    for index in range(span.start + 1, span.end):
        body, _ = line_body(lines[index])
        if body.strip() and body.lstrip()[:1] not in ("#", ";"):
            last = index
    return last


def _ensure_ending(lines: list[str], index: int, newline: str) -> None:
    body, ending = line_body(lines[index])
    if not ending:
        lines[index] = body + newline


def set_options(
    text: str,
    matches: Callable[[str], bool],
    header: str,
    values: dict[str, str],
) -> str:
    """Set each key in the first matching section, adding the section if there is none.

    An existing line keeps everything up to its value (key spelling, blanks, separator);
    a new key is written after the section's last setting, as ``key = value``.
    """
    newline = newline_of(text)
    lines = split_lines(text)
    for key, value in values.items():
        target = next((s for s in spans(lines) if matches(s.header)), None)
        if target is None:
            if lines:
                _ensure_ending(lines, len(lines) - 1, newline)
                if line_body(lines[-1])[0].strip():
                    lines.append(newline)
            lines.append(f"[{header}]{newline}")
            lines.append(f"{key} = {value}{newline}")
            continue
        replaced = False
        for index in range(target.start + 1, target.end):
            parsed = option_at(lines[index])
            if parsed and option_key(parsed[1]) == option_key(key):
                lead, _, _, ending = parsed
                # Indented lines after it are part of the old value (configparser joins
                # them); they go with it, or the new value would inherit them.
                for dropped in reversed(_continuation_lines(lines, index, target.end)):
                    del lines[dropped]
                lines[index] = lead + value + ending
                replaced = True
                break
        if not replaced:
            after = _last_content_line(lines, target)
            _ensure_ending(lines, after, newline)
            lines.insert(after + 1, f"{key} = {value}{newline}")
    return "".join(lines)


def remove_options(text: str, matches: Callable[[str], bool], keys: set[str]) -> str:
    """Remove every line setting one of ``keys`` in every matching section."""
    wanted = {option_key(k) for k in keys}
    lines = split_lines(text)
    keep: list[bool] = [True] * len(lines)
    for span in spans(lines):
        if not matches(span.header):
            continue
        index = span.start + 1
        while index < span.end:
            parsed = option_at(lines[index])
            if parsed and option_key(parsed[1]) in wanted:
                keep[index] = False
                for dropped in _continuation_lines(lines, index, span.end):
                    keep[dropped] = False
                index += 1
            else:
                index += 1
    return "".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def section_options(text: str, span: Span) -> list[tuple[str, str]]:
    """The ``(key, raw value)`` pairs of one section, in order."""
    return options_in(split_lines(text), span)


def options_in(lines: list[str], span: Span) -> list[tuple[str, str]]:
    """:func:`section_options` on lines already split: callers that visit every section
    split the file once, not once per section (which made large files quadratic)."""
    found: list[tuple[str, str]] = []
    for index in range(span.start + 1, span.end):
        parsed = option_at(lines[index])
        if parsed:
            found.append((option_key(parsed[1]), parsed[2]))
    return found
