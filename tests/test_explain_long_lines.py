"""``explain`` reads an error anywhere in a line, and cuts a line only after redacting it.

Two reported holes: an error after character 4,000 of a line (minified JSON logs) gave
"No AWS error found", because every line was cut there; and the "seen in" excerpt of a
long line was cut to a window *before* it was redacted, so on an env dump 39 of 40
characters of a secret were printed (the label that marks the value lay outside the
window). Session-token tails (``--session-token X``, Redshift ``token=``,
``X-Amz-Security-Token=``) leaked the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from keydoctor.catalog.matcher import diagnose
from keydoctor.reporters.explain import ExplainTextFormatter

ERROR = (
    "An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: "
    "The AWS Access Key Id you provided does not exist in our records."
)
SECRET = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"
TOKEN = (
    "IQoJb3JpZ2luX2Vjdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40"
    "UVsWmflzdE1F8ResqEDusTpkr0cStY4qWB8dWKnHfDNxSIvPZZ63fFKc"
)


def fragments(secret: str, around: str, size: int = 4) -> set[str]:
    """Every ``size``-character piece of ``secret`` that the text around it lacks."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)} - {
        around[i : i + size] for i in range(len(around) - size + 1)
    }


def outputs(text: str) -> str:
    """What explain prints for ``text``, in text and JSON."""
    explanation = diagnose(text)
    return ExplainTextFormatter(show_all=True).format(explanation) + json.dumps(
        explanation.to_dict()
    )


def assert_no_fragment(output: str, secret: str, context: str) -> None:
    leaked = sorted(f for f in fragments(secret, context) if f in output)
    assert not leaked, f"fragments of the secret were printed: {leaked}"


def test_error_after_character_4000_of_a_json_line() -> None:
    line = json.dumps({"level": "error", "payload": "x" * 6000, "err": "ClientError: " + ERROR})
    assert line.index("InvalidAccessKeyId") > 6000
    explanation = diagnose(line)
    assert explanation.found
    assert explanation.errors[0].code == "InvalidAccessKeyId"
    assert "InvalidAccessKeyId" in explanation.errors[0].line


def test_error_at_the_end_of_a_one_megabyte_line() -> None:
    line = '{"msg":"' + "y" * (1024 * 1024) + '","err":"' + ERROR + '"}'
    explanation = diagnose(line)
    assert explanation.found
    assert explanation.errors[0].code == "InvalidAccessKeyId"


def test_error_in_the_middle_of_a_long_line_in_a_big_log() -> None:
    """Beyond 64 KiB the log is reduced to lines near error words; a long line is then
    windowed, not cut at its start."""
    filler = "2024-05-01 INFO all good\n" * 4000
    line = "z" * 30000 + " " + ERROR + " " + "z" * 30000
    explanation = diagnose(filler + line + "\n" + filler)
    assert explanation.found
    assert explanation.errors[0].code == "InvalidAccessKeyId"


@pytest.mark.parametrize("gap", range(0, 80, 3))
def test_env_dump_line_shows_no_piece_of_the_secret(gap: int) -> None:
    """The secret sits at every distance before the error, so that a window cut first
    would start inside it (the reported 39-of-40 leak)."""
    prefix = " ".join(f"VAR_{i}=value{i}" for i in range(300))
    line = f"{prefix} AWS_SECRET_ACCESS_KEY={SECRET} {'p' * gap} {ERROR}"
    out = outputs(line)
    assert "InvalidAccessKeyId" in out
    assert "seen in" in out
    assert_no_fragment(out, SECRET, prefix + ERROR)


@pytest.mark.parametrize(
    "form",
    [
        "aws s3 ls s3://reports --session-token {t}",
        "COPY t FROM 's3://reports/p' CREDENTIALS 'aws_access_key_id=AKIAZ7LEAKCHECKKEY01;"
        "aws_secret_access_key=<hidden>;token={t}'",
        "GET https://reports.s3.amazonaws.com/k?X-Amz-Security-Token={t}&X-Amz-Date=20240101",
        "curl -H 'x-amz-security-token: {t}' https://reports.s3.amazonaws.com/",
    ],
)
@pytest.mark.parametrize("gap", [0, 7, 30, 61])
def test_token_tails_are_not_printed(form: str, gap: int) -> None:
    before = "w " * 2500
    line = before + form.format(t=TOKEN) + " " + "q" * gap + " " + ERROR
    out = outputs(line)
    assert "InvalidAccessKeyId" in out
    assert_no_fragment(out, TOKEN, before + form + ERROR)


def test_cli_reads_a_long_json_line_and_prints_no_secret(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """As a user runs it: --file with one minified JSON line, text and JSON output."""
    record = {
        "level": "error",
        "env": " ".join(f"K{i}=v{i}" for i in range(600)) + f" AWS_SECRET_ACCESS_KEY={SECRET}",
        "err": "botocore.exceptions.ClientError: " + ERROR,
    }
    path = tmp_path / "app.log"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert len(path.read_text()) > 6000
    for fmt in ("text", "json"):
        result = subprocess.run(
            [sys.executable, "-m", "keydoctor", "explain", "--file", str(path), "--format", fmt],
            env=clean_env,
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr.decode()
        out = result.stdout.decode() + result.stderr.decode()
        assert "InvalidAccessKeyId" in out
        assert_no_fragment(out, SECRET, json.dumps(record).replace(SECRET, "") + ERROR)
