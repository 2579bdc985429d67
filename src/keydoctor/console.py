"""Standard output as the CLI uses it: a report that degrades rather than fails.

A report is text for a person or a program; the ways the terminal or the pipe can fail
it are not bugs of the audit and must not end in "internal error":

* an output encoding that cannot show a character (``PYTHONIOENCODING=ascii``,
  ``LC_ALL=C`` on an old Python): ``…`` becomes ``...``, arrows and dashes their ASCII
  forms, anything else a ``\\uXXXX`` escape (valid inside JSON strings too), so
  ``AKIA…WXYZ`` prints as ``AKIA...WXYZ``;
* a reader that went away (``| head -0``): :class:`BrokenPipeError` goes on to the CLI,
  which exits quietly;
* a closed stdout (``>&-``) or a full disk (``> /dev/full``): :class:`OutputError`, one
  line on stderr and exit 2.

After a failed write the file descriptor is pointed at ``/dev/null``, so that Python's
own flush at exit does not print a second, unmasked error.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from keydoctor.errors import KeydoctorError

# What each non-ASCII character keydoctor itself writes becomes on an ASCII terminal.
ASCII_FORMS = {
    "…": "...",
    "→": "->",
    "←": "<-",
    "—": "--",
    "–": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "×": "x",
    "✓": "ok",
    "✗": "x",
    "•": "*",
    "≥": ">=",
    "≤": "<=",
}


class OutputError(KeydoctorError):
    """Standard output is closed or cannot be written (a full disk, an I/O error)."""


def degrade(text: str, encoding: str) -> str:
    """``text`` as ``encoding`` can carry it: ASCII forms first, then backslash escapes."""
    try:
        text.encode(encoding)
        return text
    except LookupError:
        return text
    except UnicodeEncodeError:
        pass
    for char, plain in ASCII_FORMS.items():
        text = text.replace(char, plain)
    out: list[str] = []
    for char in text:
        try:
            char.encode(encoding)
            out.append(char)
        except UnicodeEncodeError:
            out.append(_escape(char))
    return "".join(out)


def _escape(char: str) -> str:
    """``\\uXXXX`` (a surrogate pair above the BMP): readable in text, and the same
    character again inside a JSON string."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _drop_output(stream: TextIO | None) -> None:
    """Point the stream's descriptor at /dev/null so nothing buffered is flushed again."""
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError, AttributeError):
        return
    if fd < 0:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


class GuardedOutput:
    """A stand-in for ``sys.stdout`` that degrades text and names write failures."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        stream = self._stream
        if stream is None:
            raise OutputError("standard output is closed; nothing could be written")
        try:
            return stream.write(degrade(text, self.encoding))
        except BrokenPipeError:
            _drop_output(stream)
            raise
        except OSError as exc:
            _drop_output(stream)
            raise OutputError(
                f"cannot write to standard output: {exc.strerror or type(exc).__name__}"
            ) from None

    def flush(self) -> None:
        stream = self._stream
        if stream is None:
            return
        try:
            stream.flush()
        except BrokenPipeError:
            _drop_output(stream)
            raise
        except OSError as exc:
            _drop_output(stream)
            raise OutputError(
                f"cannot write to standard output: {exc.strerror or type(exc).__name__}"
            ) from None

    def isatty(self) -> bool:
        return bool(self._stream is not None and self._stream.isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """``sys.stdout`` guarded for the duration of one command, then put back."""
    original = sys.stdout
    sys.stdout = GuardedOutput(original)
    try:
        yield
    finally:
        sys.stdout = original
