"""Bad input: a finding or a one-line error, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from keydoctor.redshift.report import MAX_INPUT_BYTES, build_document, check_sql


def run_cli(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "redshift", *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=120,
    )


def test_missing_file_is_one_line_error(clean_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["--offline", "--file", str(tmp_path / "nope.sql")], clean_env)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("keydoctor: error: cannot read") and err.count("\n") == 1


def test_argument_and_file_together_is_usage_error(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "a.sql"
    path.write_text("COPY t FROM 's3://bucket-a/x' IAM_ROLE default;")
    result = run_cli(["--offline", "--file", str(path), "COPY x"], clean_env)
    assert result.returncode == 2 and b"Traceback" not in result.stderr


def test_bad_cluster_region_is_usage_error(clean_env: dict[str, str]) -> None:
    result = run_cli(["--offline", "--cluster-region", "moon-1", "COPY t"], clean_env)
    assert result.returncode == 2 and b"--cluster-region" in result.stderr


def test_binary_garbage_gives_findings(clean_env: dict[str, str]) -> None:
    garbage = bytes(range(256)) * 50 + b"\xff\xfe COPY t FROM 's3://bucket-a/p' IAM_ROLE default"
    result = run_cli(["--offline", "--format", "json", "-"], clean_env, stdin=garbage)
    assert b"Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["findings"]  # at least the unterminated string or the skipped statements


def test_huge_file_is_cut_with_a_finding(clean_env: dict[str, str], tmp_path: Path) -> None:
    """A dump larger than the limit: one COPY, then INSERTs until past 16 MiB."""
    path = tmp_path / "huge.sql"
    copy = b"COPY t FROM 's3://bucket-a/p/' IAM_ROLE 'arn:aws:iam::123456789012:role/R';\n"
    insert = b"INSERT INTO t VALUES (1, 'a;b', $$c$$); -- row\n"
    with path.open("wb") as handle:
        handle.write(copy + insert * (MAX_INPUT_BYTES // len(insert) + 10))
    result = run_cli(["--offline", "--format", "json", "--file", str(path)], clean_env)
    assert b"Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert [f["code"] for f in doc["input_findings"]] == ["KD816", "KD801"]
    assert "INSERT ×" in doc["input_findings"][1]["explanation"]
    assert [s["kind"] for s in doc["statements"]] == ["COPY"]


def test_empty_input_and_no_copy_are_high() -> None:
    for text in ("", "   \n-- only a comment\n", "SELECT 1; DELETE FROM t;"):
        doc = build_document(check_sql(text))
        assert [f["code"] for f in doc["input_findings"]] == ["KD801"]
        assert doc["input_findings"][0]["severity"] == "high"


def test_unquoted_credentials_cut_by_semicolon() -> None:
    """A credentials string without quotes: the lexer keeps it whole up to the blank."""
    run = check_sql(
        "COPY t FROM 's3://bucket-a/p' CREDENTIALS aws_access_key_id=AKIAZ3MPLEREDSHIFT01;"
        "aws_secret_access_key=Rs8kPq2Wm7Xv9Ty4Ln6Jc1Hd5Fb3Gz0Aq/Ke+Mw7"
    )
    assert len(run.statements) == 1
    assert [f.code for f in run.statements[0].findings][:1] == ["KD805"]


def test_unterminated_comment_and_dollar_string() -> None:
    for text in (
        "COPY t FROM 's3://bucket-a/p' IAM_ROLE default /* never closed",
        "COPY t FROM $$s3://bucket-a/p IAM_ROLE default",
        "UNLOAD ('select 1' TO 's3://bucket-a/p' IAM_ROLE default",
        "COPY",
        "UNLOAD",
        "COPY t FROM",
        "(((((",
        "'",
        '"',
        "$$",
        "/*",
        "--",
    ):
        doc = build_document(check_sql(text))
        assert isinstance(doc["findings"], list)


def test_deeply_nested_and_long_lines_are_fine() -> None:
    text = (
        "UNLOAD (" + "(" * 50_000 + "'x'" + ")" * 50_000 + ") TO 's3://bucket-a/p' IAM_ROLE default"
    )
    doc = build_document(check_sql(text))
    assert doc["statements"][0]["kind"] == "UNLOAD"
    assert doc["statements"][0]["bucket"] == "bucket-a"


def test_tty_without_sql_is_usage_error(clean_env: dict[str, str]) -> None:
    # No argument and an empty, closed stdin: treated as empty input (a finding).
    result = run_cli(["--offline"], clean_env, stdin=b"")
    assert result.returncode == 1 and b"no COPY or UNLOAD" in result.stdout
    assert os.name != "nt"


def test_any_text_gives_a_document_never_an_exception() -> None:
    """Random text, and random mixes of SQL fragments, always parse and check."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    fragments = st.sampled_from(
        [
            "COPY",
            "UNLOAD",
            "t",
            "FROM",
            "TO",
            "'s3://bucket-a/p/'",
            "CREDENTIALS",
            "'",
            '"',
            "$$",
            "$t$",
            ";",
            "--",
            "/*",
            "*/",
            "(",
            ")",
            ",",
            "IAM_ROLE",
            "default",
            "AS",
            "ACCESS_KEY_ID",
            "SECRET_ACCESS_KEY",
            "SESSION_TOKEN",
            "REGION",
            "MANIFEST",
            "'aws_access_key_id=AKIAZ3MPLEREDSHIFT01;aws_secret_access_key=x'",
            "FORMAT",
            "PARQUET",
            "'arn:aws:iam::123456789012:role/R'",
            "\n",
            " ",
            "\u2018",
            "\u200b",
            "=",
        ]
    )

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.one_of(st.text(max_size=300), st.lists(fragments, max_size=40).map(" ".join)))
    def check(text: str) -> None:
        document = build_document(check_sql(text))
        assert isinstance(document["findings"], list)
        for statement in document["statements"]:
            assert statement["kind"] in ("COPY", "UNLOAD", "OTHER")

    check()
