"""`fix --format json` redacts values before it serialises them (fuzzed).

Secrets that JSON escapes (a tab, a quote, a backslash, a control character) or that
hold invisible characters once came out whole, because the redactor searched the
serialised text; and a secret starting with a letter that followed an escape's backslash
produced invalid JSON (``\\<secret redacted>``). Here Hypothesis writes such secrets in
every place of a credentials file and the preview must stay valid JSON that holds no
4-character fragment of any of them.

The secrets are pieces of the cycle "QzXj7W" with at most one other character in any four
in a row, so every 4-character window of a secret holds three of Q, z, X, j, 7, W in an
order that nothing else in the output contains: a window found can only be a leak.
Fixed seed (``derandomize``) and a fixed budget of examples, so a CI run is repeatable.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from keydoctor.cli import main

UNIT = "QzXj7W"
KEY_ID = "AKIAZ7LEAKCHECKKEY01"
# Characters that JSON escapes, that are invisible, or that the INI and URL forms treat
# specially; none of them ends a line.
ODD = "\t\"\\\x01\x1f\x7f\u200b\u00a0\u2060\ufeff\u200c'%/+= #;<>&@:\u00e9"


@st.composite
def secrets(draw: st.DrawFn) -> str:
    start = draw(st.integers(0, len(UNIT) - 1))
    length = draw(st.integers(4, 60))
    base = [UNIT[(start + i) % len(UNIT)] for i in range(length)]
    out: list[str] = []
    since_odd = 3
    for char in base:
        if since_odd >= 3 and draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(ODD)))
            since_odd = 0
        out.append(char)
        since_odd += 1
    return "".join(out)


def _fragments(value: str) -> set[str]:
    return {value[i : i + 4] for i in range(len(value) - 3)}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _fix_json(credentials: str) -> tuple[str, str, int]:
    with tempfile.TemporaryDirectory() as home:
        aws = Path(home) / ".aws"
        aws.mkdir()
        (aws / "credentials").write_bytes(credentials.encode("utf-8"))
        os.chmod(aws / "credentials", 0o644)  # a mode change as well as a diff
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"})
        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch.dict(os.environ, env, clear=True),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(["fix", "tidy", "--format", "json"])
    return out.getvalue(), err.getvalue(), code


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(secret=secrets(), token=secrets(), misspelt=secrets(), comment=secrets())
def test_fix_json_is_valid_and_holds_no_fragment(
    secret: str, token: str, misspelt: str, comment: str
) -> None:
    credentials = (
        "[default]\r\n"
        f"aws_access_key_id = {KEY_ID}\r\n"
        f"aws_secret_access_key = {secret}\r\n"
        f"aws_session_token = {token}\r\n"
        f"aws_secret_acess_key = {misspelt}\r\n"
        f"# {comment}\r\n"
    )
    stdout, stderr, code = _fix_json(credentials)
    assert code in (0, 1, 2), stderr
    assert "internal error" not in stderr, stderr
    document = json.loads(stdout)  # valid JSON, whatever the secrets hold
    diffs = [d["diff"] for plan in document["plans"] for d in plan["diffs"]]
    assert any(diffs), stdout  # the CRLF endings always make tidy show every line
    decoded = "\n".join(_strings(document))
    for value in (secret, token, misspelt, comment):
        for piece in _fragments(value):
            assert piece not in stdout, (piece, value)
            assert piece not in decoded, (piece, value)
            assert piece not in stderr, (piece, value)
