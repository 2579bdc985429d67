"""Read COPY and UNLOAD statements out of SQL text, clause by clause.

Redshift's grammar for these two statements is a head (``COPY table [(cols)] FROM
'source'`` or ``UNLOAD ('query') TO 'target'``) followed by parameters in any order. The
parser recognises the parameters keydoctor checks (authorization, MANIFEST, REGION,
the data format) and steps over the others. It never raises on bad SQL: what it cannot
read goes into :attr:`Statement.problems` or :attr:`Statement.unterminated`.
"""

from __future__ import annotations

import difflib

from keydoctor.model import Secret
from keydoctor.redshift.lexer import Kind, RawStatement, Token, split_statements, tokenize
from keydoctor.redshift.statement import AuthClause, Operand, Statement

AUTH_KEYWORDS = ("CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "IAM_ROLE")
SECRET_KEYWORDS = {"CREDENTIALS", "SECRET_ACCESS_KEY", "SESSION_TOKEN"}
COPY_FORMATS = ("PARQUET", "ORC", "CSV", "JSON", "AVRO", "FIXEDWIDTH", "SHAPEFILE")
UNLOAD_FORMATS = ("PARQUET", "CSV", "JSON")

# Spellings people type for the authorization keywords, and what Redshift expects.
_KEYWORD_MISSPELLINGS = {
    "CREDENTIAL": "CREDENTIALS",
    "AWS_CREDENTIALS": "CREDENTIALS",
    "ACCESS_KEY": "ACCESS_KEY_ID",
    "AWS_ACCESS_KEY_ID": "ACCESS_KEY_ID",
    "AWS_ACCESS_KEY": "ACCESS_KEY_ID",
    "ACCESSKEYID": "ACCESS_KEY_ID",
    "SECRET_KEY": "SECRET_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY": "SECRET_ACCESS_KEY",
    "AWS_SECRET_KEY": "SECRET_ACCESS_KEY",
    "SECRETACCESSKEY": "SECRET_ACCESS_KEY",
    "TOKEN": "SESSION_TOKEN",
    "AWS_SESSION_TOKEN": "SESSION_TOKEN",
    "SECURITY_TOKEN": "SESSION_TOKEN",
    "IAMROLE": "IAM_ROLE",
    "AWS_IAM_ROLE": "IAM_ROLE",
    "IAM_ROLE_ARN": "IAM_ROLE",
    "ROLE": "IAM_ROLE",
}
_OPERAND_KINDS = (Kind.STRING, Kind.IDENT, Kind.DOLLAR)


def parse(text: str) -> list[Statement]:
    """Every statement of the text, parsed; never raises on malformed SQL."""
    return [parse_statement(raw) for raw in split_statements(tokenize(text))]


def _operand(token: Token) -> Operand:
    quote = token.quote
    return Operand(token.value, quote, token.line, token.unterminated)


def _misspelt_keyword(word: str) -> str | None:
    upper = word.upper()
    if upper in _KEYWORD_MISSPELLINGS:
        return _KEYWORD_MISSPELLINGS[upper]
    if upper in AUTH_KEYWORDS or len(upper) < 7:
        return None
    close = difflib.get_close_matches(upper, AUTH_KEYWORDS, n=1, cutoff=0.85)
    return close[0] if close else None


class _Cursor:
    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token | None:
        token = self.peek()
        if token is not None:
            self.pos += 1
        return token

    def accept_word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.upper in words:
            self.pos += 1
            return True
        return False


def parse_statement(raw: RawStatement) -> Statement:
    tokens = raw.tokens
    first = tokens[0]
    statement = Statement(index=raw.index, line=raw.line, kind="OTHER")
    statement.unterminated = [_operand(t) for t in tokens if t.unterminated]
    if first.kind is not Kind.WORD:
        statement.first_word = ""
        return statement
    statement.first_word = first.value if first.value.isascii() and len(first.value) <= 30 else ""
    head = first.upper
    if head not in ("COPY", "UNLOAD"):
        return statement
    statement.kind = head
    cursor = _Cursor(tokens)
    cursor.next()
    if head == "COPY":
        _parse_copy_head(cursor, statement)
    else:
        _parse_unload_head(cursor, statement)
    _parse_parameters(cursor, statement)
    return statement


def _parse_copy_head(cursor: _Cursor, statement: Statement) -> None:
    names: list[str] = []
    while (token := cursor.peek()) is not None:
        if token.upper == "FROM":
            break
        if token.kind is Kind.PUNCT and token.value == "(":
            _skip_parens(cursor)
            continue
        if token.upper in AUTH_KEYWORDS:
            statement.problems.append("no-from")
            return
        names.append(token.value)
        cursor.next()
    statement.table = "".join(names) or None
    if not cursor.accept_word("FROM"):
        statement.problems.append("no-from")
        return
    statement.location_keyword = "FROM"
    token = cursor.peek()
    if token is not None and (token.kind in _OPERAND_KINDS or token.kind is Kind.WORD):
        if token.kind is Kind.WORD and token.upper in AUTH_KEYWORDS:
            statement.problems.append("no-source")
            return
        statement.location = _operand(token)
        cursor.next()
    else:
        statement.problems.append("no-source")


def _parse_unload_head(cursor: _Cursor, statement: Statement) -> None:
    opening = cursor.peek()
    if opening is not None and opening.kind is Kind.PUNCT and opening.value == "(":
        _skip_parens(cursor)
    else:
        statement.problems.append("no-query")
    while (token := cursor.peek()) is not None and token.upper != "TO":
        if token.upper in AUTH_KEYWORDS:
            break
        cursor.next()
    if not cursor.accept_word("TO"):
        statement.problems.append("no-to")
        return
    statement.location_keyword = "TO"
    token = cursor.peek()
    if (
        token is not None
        and token.kind in (*_OPERAND_KINDS, Kind.WORD)
        and token.upper not in AUTH_KEYWORDS
    ):
        statement.location = _operand(token)
        cursor.next()
    else:
        statement.problems.append("no-target")


def _skip_parens(cursor: _Cursor) -> None:
    depth = 0
    while (token := cursor.next()) is not None:
        if token.kind is Kind.PUNCT and token.value == "(":
            depth += 1
        elif token.kind is Kind.PUNCT and token.value == ")":
            depth -= 1
            if depth <= 0:
                return


def _read_operand(cursor: _Cursor) -> Operand | None:
    cursor.accept_word("AS")
    token = cursor.peek()
    if token is None:
        return None
    if token.kind in _OPERAND_KINDS:
        cursor.next()
        return _operand(token)
    if token.kind is Kind.STRING:
        cursor.next()
        return _operand(token)
    return None


def _parse_parameters(cursor: _Cursor, statement: Statement) -> None:
    formats = COPY_FORMATS if statement.kind == "COPY" else UNLOAD_FORMATS
    while (token := cursor.next()) is not None:
        word = token.upper
        if token.kind is not Kind.WORD:
            continue
        if word in AUTH_KEYWORDS:
            _parse_auth(cursor, statement, word, token.value)
        elif word == "MANIFEST":
            statement.manifest = True
        elif word == "REGION":
            operand = _read_operand(cursor)
            if operand is None:
                statement.problems.append("region-without-value")
            else:
                statement.region = operand
        elif word == "FORMAT":
            cursor.accept_word("AS")
            following = cursor.peek()
            if following is not None and following.upper in formats:
                statement.formats.append(following.upper)
                cursor.next()
        elif word in formats:
            statement.formats.append(word)
        else:
            meant = _misspelt_keyword(token.value)
            if meant is not None:
                statement.misspelt_keywords.append((token.value[:40], meant))
                _parse_auth(cursor, statement, meant, token.value)


def _parse_auth(cursor: _Cursor, statement: Statement, keyword: str, typed: str) -> None:
    following = cursor.peek()
    if keyword == "IAM_ROLE" and following is not None and following.upper == "DEFAULT":
        cursor.next()
        statement.auth.append(AuthClause("IAM_ROLE", typed, None, is_default=True))
        return
    operand = _read_operand(cursor)
    secret = None
    if operand is not None and keyword in SECRET_KEYWORDS:
        secret = Secret(operand.text)
    statement.auth.append(AuthClause(keyword, typed, operand, secret=secret))
