"""No secret from a statement ever leaves: every fixture, every format, text and JSON.

The fixtures use known values (tests/fixtures/redshift/SECRETS.json); the CLI runs as a
subprocess offline, and its stdout and stderr must hold neither a secret, a token, nor
an unmasked key id, nor any 8-character piece of a secret.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "redshift"
KNOWN = json.loads((FIXTURES / "SECRETS.json").read_text(encoding="utf-8"))
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.sql").exists())


def pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_clean(output: str) -> None:
    for secret in KNOWN["secrets"]:
        for piece in pieces(secret):
            assert piece not in output, f"a piece of a known secret leaked: {piece!r}"
    for key_id in KNOWN["access_key_ids"]:
        assert key_id not in output
        assert key_id[:-2] not in output  # the truncated id of one fixture


def test_no_fixture_echoes_a_secret_cli(clean_env: dict[str, str]) -> None:
    """As a user runs it: a subprocess per fixture (text output)."""
    for case in CASES:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "keydoctor",
                "redshift",
                "--offline",
                "--file",
                str(FIXTURES / case / "input.sql"),
            ],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode in (0, 1), (case, result.stderr)
        assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_fixture_echoes_a_secret_in_any_format(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same through keydoctor.cli.main in this process, for every format."""
    from keydoctor.cli import main

    for case in CASES:
        code = main(
            ["redshift", "--offline", "--format", fmt, "--file", str(FIXTURES / case / "input.sql")]
        )
        captured = capsys.readouterr()
        assert code in (0, 1), (case, captured.err)
        if fmt != "text":
            json.loads(captured.out)
        assert_clean(captured.out + captured.err)


def test_secret_as_argument_and_on_stdin(clean_env: dict[str, str]) -> None:
    sql = (FIXTURES / "seed_space_in_credentials" / "input.sql").read_text(encoding="utf-8")
    for args, stdin in (
        (["redshift", "--offline", sql], None),
        (["redshift", "--offline", "--format", "json"], sql),
        (["redshift", "--offline", "-"], sql),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "keydoctor", *args],
            input=stdin,
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "KD804" in result.stdout
        assert_clean(result.stdout + result.stderr)


def test_library_objects_do_not_show_secrets() -> None:
    """repr() of the parsed objects (as a traceback would show them) holds no secret."""
    from keydoctor.redshift.parser import parse
    from keydoctor.redshift.report import check_sql

    for case in CASES:
        sql = (FIXTURES / case / "input.sql").read_text(encoding="utf-8")
        run = check_sql(sql)
        assert_clean(repr(parse(sql)))
        assert_clean(repr(run))


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_credentials_in_the_s3_path_are_not_echoed(
    fmt: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    """``s3://ID:SECRET@bucket/`` (a secret holding a ``/`` too): the path is reported
    without its userinfo. The secret is made of "QzXj7W" runs, which nothing else in the
    output contains, so no 4-character piece of it may appear."""
    secret = "QzXj7W/QzXj7W+QzXj7WQzXj7W/QzXj7WQzXj7W"
    sql = tmp_path / "copy.sql"
    sql.write_text(
        f"COPY t FROM 's3://AKIAZ7LEAKCHECKKEY01:{secret}@my-bucket/data/' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/r';\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "redshift",
            "--offline",
            "--format",
            fmt,
            "-f",
            str(sql),
        ],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    output = result.stdout + result.stderr
    assert "my-bucket" in output and "AKIAZ7LEAKCHECKKEY01" not in output
    for piece in pieces(secret, 4):
        assert piece not in output, piece
    if fmt != "text":
        json.loads(result.stdout)
