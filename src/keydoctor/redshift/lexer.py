"""Split SQL text into statements and tokens, the way Redshift's parser sees them.

Only as much SQL as a COPY or UNLOAD needs: words, single-quoted strings (with ``''``
and ``\\'`` escapes), double-quoted identifiers, ``$$`` and ``$tag$`` strings, comments
(``--`` and nested ``/* */``), punctuation and ``;``. The lexer never fails: an
unterminated string or comment becomes a token marked ``unterminated`` that runs to the
end of the text, so that the checks can say so instead of crashing.

String values may hold secrets (a credentials string); tokens keep them as plain text
in memory only, and nothing in this module formats a value into a message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    WORD = "word"
    STRING = "string"  # '...'
    IDENT = "ident"  # "..."
    DOLLAR = "dollar"  # $$...$$ or $tag$...$tag$
    NUMBER = "number"
    PUNCT = "punct"
    SEMI = "semi"


@dataclass(frozen=True)
class Token:
    """One token; ``value`` is the unquoted content for strings, the text otherwise."""

    kind: Kind
    value: str
    start: int  # offset in the whole text
    end: int
    line: int
    quote: str = ""  # the opening quote as typed: ', ", $$, $tag$, or a smart quote
    unterminated: bool = False

    @property
    def upper(self) -> str:
        return self.value.upper() if self.kind is Kind.WORD else ""


@dataclass(frozen=True)
class RawStatement:
    """The tokens of one statement (without its ``;``) and where it starts."""

    tokens: tuple[Token, ...]
    line: int
    index: int  # 1-based position among the statements of the input


# Quote characters that word processors and chat tools put in place of ASCII quotes.
SMART_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u00b4`"
SMART_DOUBLE = "\u201c\u201d\u201e\u2033"
_PUNCT = set("(),=*.:[]+-<>|/%!&^~{}@#?")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def tokenize(text: str) -> list[Token]:
    """Every token of the text, ``;`` included; comments and whitespace dropped."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    line = 1
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
            continue
        if char.isspace():
            i += 1
            continue
        if char == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char == "/" and text.startswith("/*", i):
            i, line = _skip_block_comment(text, i, line)
            continue
        start, start_line = i, line
        if _expects_bare_operand(tokens) and char not in "';\"$" + SMART_QUOTES + SMART_DOUBLE:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            if j > i + 1 and text[j - 1] == ";":
                j -= 1  # the statement's own terminator, not part of the value
            chunk = text[i:j]
            if chunk.upper() in ("AS", "DEFAULT") or chunk.upper() in _BARE_AFTER or j == i:
                pass  # a keyword: lexed as a word below
            else:
                tokens.append(Token(Kind.STRING, chunk, i, j, line, "", False))
                i = j
                continue
        if char == "'" or char in SMART_QUOTES:
            closer = char if char == "'" else None
            i, value, closed = _read_single(text, i, closer)
            line += text.count("\n", start, i)
            tokens.append(Token(Kind.STRING, value, start, i, start_line, char, not closed))
            continue
        if char == '"' or char in SMART_DOUBLE:
            end = _find_close(text, i + 1, '"' if char == '"' else SMART_DOUBLE)
            closed = end >= 0
            stop = end if closed else n
            value = text[i + 1 : stop]
            i = stop + 1 if closed else n
            line += text.count("\n", start, i)
            tokens.append(Token(Kind.IDENT, value, start, i, start_line, char, not closed))
            continue
        if char == "$":
            tag_end = i + 1
            while tag_end < n and (text[tag_end].isalnum() or text[tag_end] == "_"):
                tag_end += 1
            if tag_end < n and text[tag_end] == "$" and not text[i + 1 : tag_end][:1].isdigit():
                tag = text[i : tag_end + 1]
                close = text.find(tag, tag_end + 1)
                closed = close >= 0
                stop = close if closed else n
                value = text[tag_end + 1 : stop]
                i = stop + len(tag) if closed else n
                line += text.count("\n", start, i)
                tokens.append(Token(Kind.DOLLAR, value, start, i, start_line, tag, not closed))
                continue
        if char == ";":
            tokens.append(Token(Kind.SEMI, ";", i, i + 1, line))
            i += 1
            continue
        if char.isdigit():
            j = i
            while j < n and (text[j].isdigit() or text[j] == "."):
                j += 1
            tokens.append(Token(Kind.NUMBER, text[i:j], i, j, line))
            i = j
            continue
        if _is_word_char(char):
            j = i
            while j < n and _is_word_char(text[j]):
                j += 1
            tokens.append(Token(Kind.WORD, text[i:j], i, j, line))
            i = j
            continue
        tokens.append(Token(Kind.PUNCT, char, i, i + 1, line))
        i += 1
    return tokens


# Keywords whose operand is a secret or an ARN: when someone forgets the quotes, the value
# is read up to the next whitespace as one bare operand, so that the ';', '/' and '+' in it
# neither split the statement nor scatter the secret over punctuation tokens.
_BARE_AFTER = {"CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "IAM_ROLE"}


def _expects_bare_operand(tokens: list[Token]) -> bool:
    if not tokens or tokens[-1].kind is not Kind.WORD:
        return False
    last = tokens[-1].upper
    if last in _BARE_AFTER:
        return True
    return last == "AS" and len(tokens) > 1 and tokens[-2].upper in _BARE_AFTER


def _skip_block_comment(text: str, i: int, line: int) -> tuple[int, int]:
    """Skip a ``/* */`` comment; they nest in Redshift, as in PostgreSQL."""
    depth = 0
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i, line
        else:
            if text[i] == "\n":
                line += 1
            i += 1
    return n, line


def _read_single(text: str, i: int, closer: str | None) -> tuple[int, str, bool]:
    """Read a single-quoted string from ``text[i]``; ``''`` and ``\\'`` are quotes inside.

    A string opened by a smart quote is closed by any smart or ASCII single quote.
    """
    n = len(text)
    j = i + 1
    parts: list[str] = []
    while j < n:
        char = text[j]
        if closer == "'":
            if char == "\\" and j + 1 < n:
                parts.append(text[j + 1] if text[j + 1] == "'" else text[j : j + 2])
                j += 2
                continue
            if char == "'":
                if j + 1 < n and text[j + 1] == "'":
                    parts.append("'")
                    j += 2
                    continue
                return j + 1, "".join(parts), True
        elif char == "'" or char in SMART_QUOTES:
            return j + 1, "".join(parts), True
        parts.append(char)
        j += 1
    return n, "".join(parts), False


def _find_close(text: str, start: int, closers: str) -> int:
    for j in range(start, len(text)):
        if text[j] in closers:
            return j
    return -1


def split_statements(tokens: list[Token]) -> list[RawStatement]:
    """Group tokens into statements at each ``;`` (strings already hide theirs)."""
    statements: list[RawStatement] = []
    current: list[Token] = []
    for token in tokens:
        if token.kind is Kind.SEMI:
            if current:
                statements.append(
                    RawStatement(tuple(current), current[0].line, len(statements) + 1)
                )
            current = []
            continue
        current.append(token)
    if current:
        statements.append(RawStatement(tuple(current), current[0].line, len(statements) + 1))
    return statements
