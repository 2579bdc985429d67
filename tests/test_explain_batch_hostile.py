"""``explain --batch``: one hostile line never ends the batch nor loses the results before it.

Reported: a single deeply nested JSON line (``[`` a hundred thousand times) raised
RecursionError, which aborted the whole batch and dropped the results not yet written.
Binary lines, and text with lone surrogates (valid JSON, not encodable as UTF-8), are
the other lines a log export may hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: gone"
LATER = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"

HOSTILE: dict[str, bytes] = {
    "nested arrays": b"[" * 100_000,
    "nested objects": b'{"a":' * 100_000,
    "nested inside text's object": b'{"text": "x", "more": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
    "binary": b"\xff\xfe\x00\x01binary\x80\x81",
    "lone surrogates": json.dumps(
        {"text": "\ud800 An error occurred (ExpiredToken) when calling X", "id": "\udfff"}
    ).encode(),
    "not an object": b"[1, 2, 3]",
    "huge number": b'{"text": "x", "n": ' + b"9" * 50_000 + b"}",
}


def run_batch(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "explain", "--batch", str(path)],
        env=env,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_line_gets_one_result_and_the_batch_goes_on(
    case: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "errors.jsonl"
    path.write_bytes(
        json.dumps({"text": GOOD, "id": "first"}).encode()
        + b"\n"
        + HOSTILE[case]
        + b"\n"
        + json.dumps({"text": LATER, "id": "last"}).encode()
        + b"\n"
    )
    result = run_batch(path, clean_env)
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [item["line"] for item in lines] == [1, 2, 3]
    first, middle, last = lines
    assert first["id"] == "first" and first["error_code"] == "InvalidAccessKeyId"
    assert last["id"] == "last" and last["error_code"] == "AccessDenied"
    if case == "lone surrogates":
        assert middle["error_code"] == "ExpiredToken"
    else:
        assert middle["found"] is False
        assert middle["error"].startswith("unreadable line: ")
        assert "\n" not in middle["error"] and len(middle["error"]) < 200


def test_many_lines_after_a_hostile_one(clean_env: dict[str, str], tmp_path: Path) -> None:
    """More than one write's worth of results (200) on both sides of the bad line."""
    good = json.dumps({"text": GOOD}).encode() + b"\n"
    path = tmp_path / "errors.jsonl"
    path.write_bytes(good * 250 + b"[" * 100_000 + b"\n" + good * 250)
    result = run_batch(path, clean_env)
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(lines) == 501
    assert sum(1 for item in lines if item["found"]) == 500
    assert lines[250]["line"] == 251 and "error" in lines[250]
