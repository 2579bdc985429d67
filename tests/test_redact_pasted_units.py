"""What ``scrub_pasted`` leaves of a pasted text, exactly.

The leak tests over ``explain`` ask only that no piece of a secret is shown, so a scrubber
that hides too much (the label, the words after the value, the line breaks of a folded
block) or hides the value under the wrong name still passes them. Here every expected text
is written out in full from the rules in ``redact.py``'s docstrings: the label and its
separator stay, the value becomes one placeholder (a token's or a secret's), a folded block
keeps its line breaks, and the words around stay as they were. The helpers are pinned by
the spans they return.
"""

from __future__ import annotations

import re

import pytest

from keydoctor.redact import (
    _PASTED_LABEL,
    _bare_run,
    _folded_block,
    _forms,
    _labelled_value,
    _near_label,
    _placeholder,
    _quoted,
    _unquoted_end,
    _visible_length,
    scrub_pasted,
)

S = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"  # 40 characters, a secret's shape
T = (
    "IQoJb3JpZ2luX2Vjdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40"
    "UVsWmflzdE1F8ResqEDusTpkr0cStY4qWB8dWKnHfDNxSIvPZZ63fFKc"
)
T_URL = T.replace("/", "%2F").replace("+", "%2B")
KEY = "ASIAZ7LEAKCHECKTMP03"
RANDOM20 = "Abcdefghij1234567890"  # random-looking, too short to be hidden bare
SEC = "<secret redacted>"
TOK = "<session token redacted>"


# (pasted text, the text after scrubbing, the values reported as removed)
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # env, every shell
    (f"AWS_SECRET_ACCESS_KEY={S}", f"AWS_SECRET_ACCESS_KEY={SEC}", (S,)),
    (f"AWS_SESSION_TOKEN={T}", f"AWS_SESSION_TOKEN={TOK}", (T,)),
    (f'export AWS_SECRET_ACCESS_KEY="{S}"', f'export AWS_SECRET_ACCESS_KEY="{SEC}"', (S,)),
    (f"$env:AWS_SECRET_ACCESS_KEY='{S}'", f"$env:AWS_SECRET_ACCESS_KEY='{SEC}'", (S,)),
    (f"set -x AWS_SECRET_ACCESS_KEY {S}", f"set -x AWS_SECRET_ACCESS_KEY {SEC}", (S,)),
    ("TOKEN=abcd1234", f"TOKEN={TOK}", ("abcd1234",)),
    ("PASSWORD=hunter2", f"PASSWORD={SEC}", ("hunter2",)),
    # INI, YAML, properties: the spacing around the separator stays
    (f"aws_secret_access_key = {S}", f"aws_secret_access_key = {SEC}", (S,)),
    (
        f"aws_secret_access_key = {S[:17]} {S[17:]} (pasted)",
        f"aws_secret_access_key = {SEC} (pasted)",
        (f"{S[:17]} {S[17:]}", S),
    ),
    (
        f"aws_security_token = {T}\nregion = eu-west-1",
        f"aws_security_token = {TOK}\nregion = eu-west-1",
        (T,),
    ),
    (f"  SecretAccessKey: '{S}'", f"  SecretAccessKey: '{SEC}'", (S,)),
    (f"secret_key: `{S}`", f"secret_key: `{SEC}`", (S,)),
    (f"aws.secretKey={S}", f"aws.secretKey={SEC}", (S,)),
    (f"fs.s3a.session.token={T}", f"fs.s3a.session.token={TOK}", (T,)),
    (f"java -Daws.secretKey={S} -jar app.jar", f"java -Daws.secretKey={SEC} -jar app.jar", (S,)),
    ("secret => abcd1234", f"secret => {SEC}", ("abcd1234",)),
    # CLI flags: a blank after a flag is a separator
    (
        f"tool --secret-access-key {S.lower()} --region eu-west-1",
        f"tool --secret-access-key {SEC} --region eu-west-1",
        (S.lower(),),
    ),
    (f"aws s3 ls --session-token {T}", f"aws s3 ls --session-token {TOK}", (T,)),
    # headers and query strings
    (f"X-Amz-Security-Token: {T}", f"X-Amz-Security-Token: {TOK}", (T,)),
    (
        f"https://b/k?X-Amz-Security-Token={T_URL}&X-Amz-Date=20240101T000000Z",
        f"https://b/k?X-Amz-Security-Token={TOK}&X-Amz-Date=20240101T000000Z",
        (T_URL,),
    ),
    # Redshift: the key id stays (it is masked elsewhere), each value ends at ';' or "'"
    (
        f"CREDENTIALS 'aws_access_key_id={KEY};aws_secret_access_key={S};token={T}'",
        f"CREDENTIALS 'aws_access_key_id={KEY};aws_secret_access_key={SEC};token={TOK}'",
        (S, T),
    ),
    # XML: the value between the tags; the closing tag is no label with a value
    (
        f"<SecretAccessKey>{S}</SecretAccessKey>",
        f"<SecretAccessKey>{SEC}</SecretAccessKey>",
        (S,),
    ),
    # JSON
    (
        f'{{"AccessKeyId": "{KEY}", "SecretAccessKey": "{S}", "SessionToken": "{T}"}}',
        f'{{"AccessKeyId": "{KEY}", "SecretAccessKey": "{SEC}", "SessionToken": "{TOK}"}}',
        (S, T),
    ),
    # no separator: a random-looking run close after the label is its value
    (f"my session token is {T} ok", f"my session token is {TOK} ok", (T,)),
    (f"token {RANDOM20}", f"token {TOK}", (RANDOM20,)),
    (f"token\n{RANDOM20}", f"token\n{RANDOM20}", ()),
    (f"token is {RANDOM20}-x", f"token is {RANDOM20}-x", ()),
    ("the token is invalid", "the token is invalid", ()),
    ("secret was abcdefghijklmnopqrst", "secret was abcdefghijklmnopqrst", ()),
    (f"token, far then {RANDOM20}", f"token, far then {RANDOM20}", ()),
    # after a separator a long piece joins the value, a short word does not
    (
        f"token: then {RANDOM20} far away",
        f"token: {TOK} far away",
        (f"then {RANDOM20}", f"then{RANDOM20}"),
    ),
    # variables and empty values are not secrets
    ("AWS_SECRET_ACCESS_KEY=$SECRET", "AWS_SECRET_ACCESS_KEY=$SECRET", ()),
    ("AWS_SECRET_ACCESS_KEY=${SECRET}", "AWS_SECRET_ACCESS_KEY=${SECRET}", ()),
    ("set AWS_SESSION_TOKEN=%TOKEN%", "set AWS_SESSION_TOKEN=%TOKEN%", ()),
    ("AWS_SECRET_ACCESS_KEY=\nnext", "AWS_SECRET_ACCESS_KEY=\nnext", ()),
    ("AWS_SECRET_ACCESS_KEY=\r\nnext", "AWS_SECRET_ACCESS_KEY=\r\nnext", ()),
    ("AWS_SECRET_ACCESS_KEY=", "AWS_SECRET_ACCESS_KEY=", ()),
    ("password: ;", "password: ;", ()),
    # a blank inside: a secret joins pieces up to 41 visible characters, a token only
    # pieces that are long or do not read as a word
    ("secret=abcd efgh", f"secret={SEC}", ("abcd efgh", "abcdefgh")),
    ("token=abcd efgh", f"token={TOK} efgh", ("abcd",)),
    ("token=abcd eFgh", f"token={TOK}", ("abcd eFgh", "abcdeFgh")),
    ("token=abcd Efgh", f"token={TOK} Efgh", ("abcd",)),
    ("token=abcd ef9h", f"token={TOK}", ("abcd ef9h", "abcdef9h")),
    (
        "token=abcd abcdefghijklmnop",
        f"token={TOK}",
        ("abcd abcdefghijklmnop", "abcdabcdefghijklmnop"),
    ),
    ("token=abcd abcdefghijklmno", f"token={TOK} abcdefghijklmno", ("abcd",)),
    ("secret=abcd ef-gh", f"secret={SEC} ef-gh", ("abcd",)),
    ("secret=abcd -x", f"secret={SEC} -x", ("abcd",)),
    ("secret=abcd  efgh", f"secret={SEC}  efgh", ("abcd",)),
    ("secret=abcd\tefgh", f"secret={SEC}\tefgh", ("abcd",)),
    ("secret=abcd ", f"secret={SEC} ", ("abcd",)),
    (
        "a" * 0 + "secret=" + "a" * 37 + " bcde",
        f"secret={SEC}",
        ("a" * 37 + " bcde", "a" * 37 + "bcde"),
    ),
    ("secret=" + "a" * 38 + " bcde", f"secret={SEC} bcde", ("a" * 38,)),
    (
        "secret=" + "a" * 36 + "\u200b" + "a" + " bcde",
        f"secret={SEC}",
        ("a" * 36 + "\u200ba bcde", "a" * 36 + "\u200babcde"),
    ),
    # quotes: escapes stay inside, a line break ends an unclosed quote
    ('secret: "ab\\"cd" x', f'secret: "{SEC}" x', ('ab\\"cd',)),
    ('secret: "abc\ndef"', f'secret: "{SEC}\ndef"', ("abc",)),
    ('token: "abcDEF123 rest of line', f'token: "{TOK} rest of line', ("abcDEF123",)),
    ('secret: "a b c"', f'secret: "{SEC}"', ("a b c", "abc")),
    ('token: "a b c d"', f'token: "{TOK} b c d"', ("a",)),
    ('token: "this is the message here" x', f'token: "{TOK} is the message here" x', ("this",)),
    (
        'password: "my pass word here"',
        f'password: "{SEC}"',
        ("my pass word here", "mypasswordhere"),
    ),
    ('passwd: "my pass word here"', f'passwd: "{SEC}"', ("my pass word here", "mypasswordhere")),
    # a label inside a value already hidden is part of that value
    ('password: "my token: xyz"', f'password: "{SEC}"', ("my token: xyz", "mytoken:xyz")),
    # YAML block scalars: the lines are the value, their line breaks stay
    (
        f"aws_session_token: >-\n  {T[:60]}\n  {T[60:]}\nregion: eu-west-1",
        f"aws_session_token: >-\n{TOK}\n\nregion: eu-west-1",
        (f"  {T[:60]}\n  {T[60:]}", T, T[:60], T[60:]),
    ),
    (
        f"SessionToken: |\n    {T}\nregion: eu-west-1",
        f"SessionToken: |\n{TOK}\nregion: eu-west-1",
        (f"    {T}", T),
    ),
    (
        "secret: >\n  abcdEFGH1234\n  ijklMNOP5678\n",
        f"secret: >\n{SEC}\n\n",
        (
            "  abcdEFGH1234\n  ijklMNOP5678",
            "abcdEFGH1234ijklMNOP5678",
            "abcdEFGH1234",
            "ijklMNOP5678",
        ),
    ),
    (
        "creds:\n  token: |2-\n    abcdEFGH\n\n    ijklMNOP\n  region: x",
        f"creds:\n  token: |2-\n{TOK}\n\n\n  region: x",
        ("    abcdEFGH\n\n    ijklMNOP", "abcdEFGHijklMNOP", "abcdEFGH", "ijklMNOP"),
    ),
    (
        "creds:\n  token: >\n    abcdEFGH\n\tregion: x",
        f"creds:\n  token: >\n{TOK}\n\tregion: x",
        ("    abcdEFGH", "abcdEFGH"),
    ),
    ("token: >\n  this is a sentence\n", "token: >\n  this is a sentence\n", ()),
    ("token: > abc\n", "token: > abc\n", ()),
    ("token: >-\n", "token: >-\n", ()),
    ("token: >-\nregion: x", "token: >-\nregion: x", ()),
    ("token: >-", "token: >-", ()),
    # bare runs: by their start, their length and whether they look random
    (T, TOK, (T,)),
    (S, SEC, (S,)),
    (f"key:{S}.", f"key:{SEC}.", (S,)),
    ("Ab1" + "c" * 33, SEC, ("Ab1" + "c" * 33,)),
    ("Ab1" + "c" * 32, "Ab1" + "c" * 32, ()),
    ("Ab1" + "c" * 41, SEC, ("Ab1" + "c" * 41,)),
    ("Ab1" + "c" * 42, "Ab1" + "c" * 42, ()),
    ("Ab1" + "c" * 76, "Ab1" + "c" * 76, ()),
    ("Ab1" + "c" * 77, TOK, ("Ab1" + "c" * 77,)),
    ("IQoJb3JpZ2lu" + "AbCd", TOK, ("IQoJb3JpZ2luAbCd",)),
    ("FwoGZXIvYXdz" + "AbC1", TOK, ("FwoGZXIvYXdzAbC1",)),
    ("FQoGZXIvYXdz" + "AbC1", TOK, ("FQoGZXIvYXdzAbC1",)),
    ("FwoGZXIvYXdz" + "AbCd", "FwoGZXIvYXdzAbCd", ()),  # no digit: not random
    ("AgoJb3JpZ2lu" + "AbCd", TOK, ("AgoJb3JpZ2luAbCd",)),
    ("a" * 40, "a" * 40, ()),
    ("x-" + S, "x-" + SEC, (S,)),
    ("xxxxx" + S, "xxxxx" + S, ()),
    ("plain words only", "plain words only", ()),
    # every label of a text is looked at, after a label without a value or a variable too
    (
        "secret=abcd1234;token=abcd1234;password=abcd1234",
        f"secret={SEC};token={TOK};password={SEC}",
        ("abcd1234", "abcd1234", "abcd1234"),
    ),
    (
        'password: "my token: xyz" token=abcd1234',
        f'password: "{SEC}" token={TOK}',
        ("my token: xyz", "mytoken:xyz", "abcd1234"),
    ),
    ("token is invalid; secret=abcd1234", f"token is invalid; secret={SEC}", ("abcd1234",)),
    ('token: "$T"; secret=abcd1234', f'token: "$T"; secret={SEC}', ("abcd1234",)),
    ('AWS_SECRET_ACCESS_KEY="$SECRET"', 'AWS_SECRET_ACCESS_KEY="$SECRET"', ()),
    ('secret: "  "', 'secret: "  "', ()),
    # a label at the start of the text has nothing before it (not the text's last character)
    ("token abcd1234 -", "token abcd1234 -", ()),
    ("secret=Xyz12", f"secret={SEC}", ("Xyz12",)),
    ("secret=X\n  abc\n", f"secret={SEC}\n  abc\n", ("X",)),
    # quotes: an empty pair, an opening quote followed by a separator
    ('secret: ""abc" x', 'secret: ""abc" x', ()),
    ('token: ";abc', 'token: ";abc', ()),
    ('token: ";a b c d"', 'token: ";a b c d"', ()),
    ('token: "a b c"', f'token: "{TOK}"', ("a b c", "abc")),
    ('token: "ab cd" x y z', f'token: "{TOK}" x y z', ("ab cd", "abcd")),
    # a blank joins only a piece that starts with a key character, after one that ends so
    ("secret=abcd \u200bxyz", f"secret={SEC} \u200bxyz", ("abcd",)),
    ("secret=abc- defg", f"secret={SEC}", ("abc- defg", "abc-defg")),
    # block scalars: indentation counted from the label's own line
    ("token: >X\n  abcdEFGH\n", "token: >X\n  abcdEFGH\n", ()),
    (
        "a\nb\n  token: >\n    abcd\n  x: 1",
        f"a\nb\n  token: >\n{TOK}\n  x: 1",
        ("    abcd", "abcd"),
    ),
    ("\n  token: >\n    abcd\n  x: 1", f"\n  token: >\n{TOK}\n  x: 1", ("    abcd", "abcd")),
    ("token: >\n  abcd\nx\n", f"token: >\n{TOK}\nx\n", ("  abcd", "abcd")),
    (f"token\n{RANDOM20}\n", f"token\n{RANDOM20}\n", ()),
    # an error class that starts the next sentence is no value, for a token or a secret;
    # with a digit, or not followed by a blank, it is a value as before
    ("session token:  ValidationError: bad", "session token:  ValidationError: bad", ()),
    ("secret: ExpiredTokenException: x y", "secret: ExpiredTokenException: x y", ()),
    ("token=ValidationError:", "token=ValidationError:", ()),
    ("token: Abc1Error: x", f"token: {TOK} x", ("Abc1Error:",)),
    ("token: ValidationError:x", f"token: {TOK}", ("ValidationError:x",)),
]


@pytest.mark.parametrize(("pasted", "shown", "removed"), CASES)
def test_scrub_pasted_exactly(pasted: str, shown: str, removed: tuple[str, ...]) -> None:
    result = scrub_pasted(pasted)
    assert result.text == shown
    assert result.secrets == removed
    assert result.found is bool(removed)


def test_a_text_of_labels_past_the_budget_is_masked_by_one_substitution() -> None:
    """Past 4096 labels the rest goes label and value together, and the result says that
    something was hidden."""
    result = scrub_pasted("token=a;" * 4100)
    assert result.text == f"token={TOK};" * 4096 + f"{SEC};" * 4
    assert result.secrets == ("a",) * 4096 + (SEC,)
    exact = scrub_pasted("token=a;" * 4096)
    assert exact.text == f"token={TOK};" * 4096
    assert exact.secrets == ("a",) * 4096


def _label(text: str, at: int = 0) -> re.Match[str]:
    found = _PASTED_LABEL.search(text, at)
    assert found is not None
    return found


def test_labelled_value_spans() -> None:
    text = f"AWS_SECRET_ACCESS_KEY={S}"
    assert _labelled_value(text, _label(text)) == (22, 62, False)
    text = "x AWS_SESSION_TOKEN abcd1234"
    assert _labelled_value(text, _label(text)) == (20, 28, True)
    text = "--token abcd1234"
    assert _labelled_value(text, _label(text)) == (8, 16, True)
    text = "<Token>abcd1234</Token>"
    assert _labelled_value(text, _label(text)) == (7, 15, True)
    assert _labelled_value(text, _label(text, 10)) is None
    text = "Token>abcd1234"
    assert _labelled_value(text, _label(text)) is None
    text = 'secret: "ab"'
    assert _labelled_value(text, _label(text)) == (9, 11, False)
    text = "secret: |\n  abcd\nx"
    assert _labelled_value(text, _label(text)) == (10, 16, False)
    text = "secret: |x"
    assert _labelled_value(text, _label(text)) is None
    text = "secret: >abc"
    assert _labelled_value(text, _label(text)) is None
    text = "secret = ;"
    assert _labelled_value(text, _label(text)) is None
    text = "secret =\n"
    assert _labelled_value(text, _label(text)) is None
    text = f"secret is {RANDOM20}"
    assert _labelled_value(text, _label(text)) == (10, 30, False)


def test_quoted_spans() -> None:
    assert _quoted('"abc" x', 0, False, "secret") == (1, 4, False)
    assert _quoted("'a\\'b'", 0, True, "token") == (1, 5, True)
    assert _quoted("`ab`", 0, False, "secret") == (1, 3, False)
    # no closing quote: an unquoted value
    assert _quoted('"abc def', 0, True, "token") == (1, 4, True)
    assert _quoted('"abc', 0, True, "token") == (1, 4, True)
    assert _quoted('"', 0, True, "token") == (1, 1, True)
    assert _quoted("\"abc'", 0, True, "token") == (1, 4, True)
    # words: only the start
    assert _quoted('"a b c d"', 0, True, "token") == (1, 2, True)
    assert _quoted('"a b c"', 0, True, "token") == (1, 6, True)
    assert _quoted('"a b c d"', 0, True, "password") == (1, 8, True)
    assert _quoted('"a b c d"', 0, True, "passwd") == (1, 8, True)
    assert _quoted('x "a b c d"', 2, True, "token") == (3, 4, True)


def test_unquoted_end() -> None:
    assert _unquoted_end("abcd efgh", 0, False) == 9
    assert _unquoted_end("abcd efgh", 0, True) == 4
    assert _unquoted_end("abcd efgh ijkl", 0, False) == 14
    assert _unquoted_end("x=abcd", 2, True) == 6
    assert _unquoted_end("abcd ", 0, False) == 4
    assert _unquoted_end("abcd e", 0, False) == 6
    assert _unquoted_end("abcd é", 0, False) == 4
    assert _unquoted_end("", 0, False) == 0
    assert _unquoted_end(";", 0, False) == 0


def test_folded_block_spans() -> None:
    text = "k: >-\n  ab\n  cd\nx: 1"
    assert _folded_block(text, 0, 3) == (6, 15)
    text = "p:\n  k: >\n    ab\n  x: 1"
    assert _folded_block(text, 5, 8) == (10, 16)
    assert _folded_block("k: >\n  ab", 0, 3) == (5, 9)
    assert _folded_block("k: >\n  a b\n", 0, 3) == (5, 10)  # one blank: damage, kept
    assert _folded_block("k: >\n  a b c\n", 0, 3) is None  # two: words
    assert _folded_block("k: >\n  a b c d\n", 0, 3) is None
    assert _folded_block("k: >\nx", 0, 3) is None
    assert _folded_block("k: >\n \nx", 0, 3) == (5, 6)  # a blank line alone
    assert _folded_block("k: >", 0, 3) is None
    assert _folded_block("k: >x\n  ab", 0, 3) is None
    assert _folded_block("k: |+2\n  ab", 0, 3) == (7, 11)
    assert _folded_block("k: > \t\n  ab", 0, 3) == (7, 11)


def test_folded_block_indentation_counts_blanks_only() -> None:
    # the label's indentation is two blanks; a line indented by two ends the block
    text = "a\n  k: >\n    ab\n  x"
    assert _folded_block(text, 4, 7) == (9, 15)
    # a tab before the label is not indentation: the block ends at any line
    text = "\tk: >\n ab\n"
    assert _folded_block(text, 1, 4) == (6, 9)


def test_near_label() -> None:
    assert _near_label(f"token is {RANDOM20}", 5, True) == (9, 29, True)
    assert _near_label(f"token is {RANDOM20} x", 5, False) == (9, 29, False)
    assert _near_label(f"token {'x' * 3} {RANDOM20}", 5, True) == (10, 30, True)
    # beyond 24 characters after the label, or past the line's end: not its value
    assert _near_label("token" + " " * 9 + RANDOM20, 5, True) is None
    assert _near_label("token" + " " * 8 + RANDOM20, 5, True) == (13, 33, True)
    assert _near_label(f"token\n{RANDOM20}", 5, True) is None
    assert _near_label(f"token {'a' * 20}", 5, True) is None
    assert _near_label(f"token {RANDOM20}%x", 5, True) is None
    # an invisible character inside the run belongs to it
    assert _near_label(f"token {RANDOM20}\u200bx y", 5, True) == (6, 28, True)


def test_forms_placeholder_bare_run_and_visible_length() -> None:
    assert _forms("abc") == ["abc"]
    assert _forms("ab cd") == ["ab cd", "abcd"]
    assert _forms(" ab\n cd\n") == [" ab\n cd\n", "abcd", "ab", "cd"]
    assert _forms("ab\n\ncd") == ["ab\n\ncd", "abcd", "ab", "cd"]
    assert _forms("ab cd\nef") == ["ab cd\nef", "abcdef", "ab cd", "ef"]
    assert _placeholder("abc", True) == TOK
    assert _placeholder("abc", False) == SEC
    assert _placeholder("a\nb\nc", False) == SEC + "\n\n"
    removed: list[str] = []
    assert _bare_run("abcdefghijklmnopqrstuvwxyzabcdefghijklmn", removed) == (
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"
    )
    assert _bare_run(S, removed) == SEC
    assert _bare_run(RANDOM20, removed) == RANDOM20
    assert _bare_run(T, removed) == TOK
    assert removed == [S, T]
    assert _visible_length("ab\u200b\u200c\u200d\u2060\ufeff\u00a0c") == 3
    assert _visible_length("a\u200b\u200bb") == 2
