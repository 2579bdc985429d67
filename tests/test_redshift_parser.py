"""The parser and the credentials string reader, clause by clause."""

from __future__ import annotations

from keydoctor.redshift.credentials import parse_credentials
from keydoctor.redshift.lexer import Kind, split_statements, tokenize
from keydoctor.redshift.parser import parse
from keydoctor.redshift.report import check_sql
from keydoctor.redshift.statement import parse_s3_uri

KID = "AKIAZ3MPLEREDSHIFT01"
SEC = "Rs8kPq2Wm7Xv9Ty4Ln6Jc1Hd5Fb3Gz0Aq/Ke+Mw7"


def test_statements_split_outside_strings_and_comments() -> None:
    text = (
        "-- a; comment\nCOPY a FROM 's3://b-1/x;y' IAM_ROLE default; /* ; */ "
        "UNLOAD ($$select ';'$$) TO 's3://b-1/u' IAM_ROLE default;"
    )
    statements = split_statements(tokenize(text))
    assert [s.tokens[0].value for s in statements] == ["COPY", "UNLOAD"]
    assert statements[0].line == 2


def test_quote_escapes() -> None:
    tokens = tokenize("COPY 'it''s' 'a\\'b' $tag$x$$y$tag$")[1:]
    assert [(t.kind, t.value) for t in tokens] == [
        (Kind.STRING, "it's"),
        (Kind.STRING, "a'b"),
        (Kind.DOLLAR, "x$$y"),
    ]


def test_other_statements_keep_only_what_matters() -> None:
    """Statements that are not COPY/UNLOAD keep their first word and unclosed strings."""
    tokens = tokenize("INSERT INTO t VALUES ('a;b', $$;$$); SELECT 'x")
    assert [(t.kind, t.value) for t in tokens if t.kind is not Kind.SEMI] == [
        (Kind.WORD, "INSERT"),
        (Kind.WORD, "SELECT"),
        (Kind.STRING, "x"),
    ]
    assert tokens[-1].unterminated


def test_every_authorization_form() -> None:
    role = "arn:aws:iam::123456789012:role/R"
    forms = {
        f"CREDENTIALS 'aws_access_key_id={KID};aws_secret_access_key={SEC}'": (
            "keys",
            "credentials",
        ),
        f"WITH CREDENTIALS AS 'aws_iam_role={role}'": ("role", "credentials"),
        f"ACCESS_KEY_ID '{KID}' SECRET_ACCESS_KEY '{SEC}'": ("keys", "access-key-id"),
        f"ACCESS_KEY_ID AS '{KID}' SECRET_ACCESS_KEY AS '{SEC}' SESSION_TOKEN AS 'tok'": (
            "keys",
            "access-key-id",
        ),
        f"IAM_ROLE '{role}'": ("role", "iam-role"),
        "IAM_ROLE DEFAULT": ("role", "iam-role"),
        f"IAM_ROLE '{role},{role}2'": ("role", "iam-role"),
    }
    for clause, (kind, form) in forms.items():
        run = check_sql(f"COPY t FROM 's3://bucket-a/p/' {clause} REGION AS 'us-west-2' MANIFEST")
        result = run.statements[0]
        assert (result.auth.kind, result.auth.form) == (kind, form), clause
        assert result.manifest and result.region == "us-west-2"


def test_chained_roles_are_split() -> None:
    run = check_sql(
        "COPY t FROM 's3://bucket-a/p' IAM_ROLE "
        "'arn:aws:iam::123456789012:role/A,arn:aws:iam::210987654321:role/B'"
    )
    assert run.statements[0].auth.roles == (
        "arn:aws:iam::123456789012:role/A",
        "arn:aws:iam::210987654321:role/B",
    )
    assert run.statements[0].findings == ()


def test_formats_are_read() -> None:
    statements = parse(
        "COPY t FROM 's3://bucket-a/p' IAM_ROLE default FORMAT AS PARQUET;"
        "COPY t FROM 's3://bucket-a/p' IAM_ROLE default ORC;"
        "UNLOAD ('select 1') TO 's3://bucket-a/p' IAM_ROLE default FORMAT CSV"
    )
    assert [s.formats for s in statements] == [["PARQUET"], ["ORC"], ["CSV"]]


def test_credentials_blanks_are_located_by_key() -> None:
    parsed = parse_credentials(
        f"aws_access_key_id={KID}; aws_secret_access_key={SEC[:5]} {SEC[5:]}\n"
    )
    where = [(b.char_name, b.where) for b in parsed.blanks]
    assert where == [
        ("a space", "before `aws_secret_access_key`"),
        ("a space", "inside the value of `aws_secret_access_key`"),
        ("a line break", "after the value of `aws_secret_access_key`"),
    ]
    assert parsed.values["aws_secret_access_key"] == SEC


def test_misspelt_keys_are_mapped() -> None:
    parsed = parse_credentials(f"aws_access_key={KID};aws_secret_key={SEC};session_token=t")
    assert parsed.unknown_keys == [
        ("aws_access_key", "aws_access_key_id"),
        ("aws_secret_key", "aws_secret_access_key"),
        ("session_token", "token"),
    ]
    assert set(parsed.values) == {"aws_access_key_id", "aws_secret_access_key", "token"}


def test_unknown_key_that_is_not_a_name_is_not_shown() -> None:
    parsed = parse_credentials(f"{SEC}=x;aws_access_key_id={KID}")
    assert parsed.unknown_keys == [("(part 1, not a key name)", None)]


def test_seed_space_explanation_and_clause() -> None:
    run = check_sql(
        f"COPY t FROM 's3://bucket-a/p' CREDENTIALS "
        f"'aws_access_key_id={KID}; aws_secret_access_key={SEC}'"
    )
    finding = next(f for f in run.statements[0].findings if f.code == "KD804")
    assert "a space before `aws_secret_access_key`" in finding.explanation
    assert finding.fix.endswith(
        "CREDENTIALS 'aws_access_key_id=AKIA…FT01;aws_secret_access_key=<secret access key>' "
        "(key id shown masked: type your own values, on one line, without spaces)"
    )


def test_s3_uri_forms() -> None:
    assert parse_s3_uri("s3://bucket-a/a/b").prefix == "a/b"
    assert parse_s3_uri("s3://bucket-a").prefix == ""
    assert parse_s3_uri("S3://bucket-a/x").problem
    assert parse_s3_uri("s3a://bucket-a/x").problem
    assert parse_s3_uri("https://bucket-a.s3.amazonaws.com/k").bucket == "bucket-a"
    assert parse_s3_uri("bucket-a/x").problem
    assert parse_s3_uri("dynamodb://Movies").problem is None
