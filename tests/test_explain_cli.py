"""`keydoctor explain` as a user runs it: a subprocess, every input path, every exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

KEY_ID = "ASIAY34FZKBOKMUTVV7A"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9K"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDqFakeTokenValue1234567890abcdefABCDEFxyz=="  # noqa: E501
PASTED = (
    f"$ export AWS_ACCESS_KEY_ID={KEY_ID}\n"
    f"$ export AWS_SECRET_ACCESS_KEY={SECRET}\n"
    "$ aws s3 ls s3://reports-bucket --region eu-west-1\n"
    "An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: "
    "The AWS Access Key Id you provided does not exist in our records.\n"
    f"debug: curl -H 'x-amz-security-token: {TOKEN}' "
    "https://reports-bucket.s3.eu-west-1.amazonaws.com/\n"
    f"secret again, bare: {SECRET}\n"
)


def run(
    args: list[str], env: dict[str, str], stdin: str | bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "explain", *args],
        env=env,
        input=data,
        capture_output=True,
        timeout=60,
    )


def _no_secret(result: subprocess.CompletedProcess[bytes]) -> str:
    out = result.stdout.decode() + result.stderr.decode()
    for value in (SECRET, TOKEN, KEY_ID, SECRET[:20], TOKEN[:30]):
        assert value not in out, "a secret (or a full key id) was echoed"
    return out


def test_text_from_argument(clean_env: dict[str, str]) -> None:
    result = run(
        [
            "An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired."  # noqa: E501
        ],
        clean_env,
    )
    assert result.returncode == 0
    out = result.stdout.decode()
    assert out.startswith("ExpiredToken")
    assert "[session-token]" in out
    assert "fix:" in out
    assert "Traceback" not in result.stderr.decode()


def test_text_from_stdin_and_file(clean_env: dict[str, str], tmp_path: Path) -> None:
    message = "botocore.exceptions.NoCredentialsError: Unable to locate credentials"
    from_stdin = run(["--format", "json"], clean_env, stdin=message)
    assert from_stdin.returncode == 0
    assert json.loads(from_stdin.stdout)["error_code"] == "NoCredentialsError"
    path = tmp_path / "err.txt"
    path.write_text(message, encoding="utf-8")
    from_file = run(["--file", str(path), "--format", "json"], clean_env)
    assert json.loads(from_file.stdout)["causes"][0]["category"] == "no-credentials"
    dash = run(["--file", "-", "--format", "json"], clean_env, stdin=message)
    assert json.loads(dash.stdout)["error_code"] == "NoCredentialsError"


def test_json_shape(clean_env: dict[str, str]) -> None:
    result = run(["--format", "json", PASTED], clean_env)
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    for key in ("error_code", "service", "tool", "operation", "causes", "keys", "errors"):
        assert key in doc
    assert doc["error_code"] == "InvalidAccessKeyId"
    assert doc["operation"] == "ListObjectsV2"
    assert doc["tool"] == "aws-cli"
    assert doc["region"] == "eu-west-1"
    assert doc["bucket"] == "reports-bucket"
    assert doc["keys"] == [
        {
            "masked": "ASIA…VV7A",
            "kind": "temporary access key (STS); needs its session token",
            "account": "609629065308",
        }
    ]
    first = doc["causes"][0]
    assert set(first) >= {"category", "title", "why", "fix", "probability"}
    categories = list(dict.fromkeys(c["category"] for c in doc["causes"]))
    assert "session-token" in categories[:3]
    # Every category is weighed, so the categories shown share at most the whole: the rest
    # belongs to categories not shown (less likely than the three shown first).
    chances = {c["category"]: c["probability"] for c in doc["causes"]}
    assert 0.5 < sum(chances.values()) <= 1.001
    assert first["probability"] == max(chances.values())
    third = sorted(chances.values(), reverse=True)[:3][-1]
    assert 1 - sum(chances.values()) <= third * (16 - len(chances))
    # Uncertain exactly when a deciding question is named, and then it is a real command.
    assert doc["uncertain"] is (doc["question"] is not None)
    if doc["question"]:
        assert doc["question"]["command"].startswith(("aws ", "keydoctor "))
        assert doc["question"]["between"][0] == first["category"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pasted_secrets_are_masked_and_flagged(clean_env: dict[str, str], fmt: str) -> None:
    result = run(["--format", fmt, PASTED], clean_env)
    out = _no_secret(result)
    assert "ASIA…VV7A" in out
    assert "rotate" in out
    if fmt == "json":
        assert json.loads(result.stdout)["secret_in_text"] is True


def test_secrets_in_batch_are_masked(clean_env: dict[str, str], tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps({"id": "x", "text": PASTED}) + "\n", encoding="utf-8")
    result = run(["--batch", str(batch)], clean_env)
    _no_secret(result)
    assert json.loads(result.stdout)["secret_in_text"] is True


def test_no_aws_error_exits_1_and_says_so(clean_env: dict[str, str]) -> None:
    for text in ("nothing to see here", ""):
        result = run([text], clean_env)
        assert result.returncode == 1
        assert "No AWS error found" in result.stdout.decode()
    empty_stdin = run([], clean_env, stdin="")
    assert empty_stdin.returncode == 1
    doc = json.loads(run(["--format", "json", "ok"], clean_env).stdout)
    assert doc["found"] is False and doc["causes"] == []


def test_binary_and_huge_input(clean_env: dict[str, str], tmp_path: Path) -> None:
    binary = tmp_path / "core.bin"
    binary.write_bytes(bytes(range(256)) * 20000)
    result = run(["--file", str(binary)], clean_env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr.decode()
    huge = tmp_path / "app.log"
    noise = "".join(f"2024-05-01 INFO job {i} done\n" for i in range(150_000))
    huge.write_text(
        noise
        + "FATAL: An error occurred (RequestTimeTooSkewed) when calling the PutObject operation\n"
        + noise,
        encoding="utf-8",
    )
    result = run(["--file", str(huge), "--format", "json"], clean_env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["causes"][0]["category"] == "clock-skew"


def test_several_errors_in_text_output(clean_env: dict[str, str]) -> None:
    text = (
        "An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired.\n"  # noqa: E501
        + "...\n" * 10
        + "botocore.exceptions.ProfileNotFound: The config profile (dev) could not be found\n"
    )
    result = run([text], clean_env)
    out = result.stdout.decode()
    assert "2 errors found." in out
    assert "ExpiredToken" in out and "ProfileNotFound" in out


def test_batch_one_result_per_line(clean_env: dict[str, str], tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "text": "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",  # noqa: E501
                    }
                ),
                "this is not json",
                json.dumps({"id": "c", "text": "all fine"}),
                json.dumps({"id": "d"}),
                "",
            ]
        ),
        encoding="utf-8",
    )
    result = run(["--batch", str(batch)], clean_env)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    assert lines[0]["id"] == "a" and lines[0]["error_code"] == "AccessDenied"
    assert "unreadable line" in lines[1]["error"]
    assert lines[2]["found"] is False
    assert "no 'text'" in lines[3]["error"]


def test_usage_errors_exit_2_with_one_line(clean_env: dict[str, str], tmp_path: Path) -> None:
    both = run(["some text", "--file", str(tmp_path / "x")], clean_env)
    assert both.returncode == 2
    missing = run(["--file", str(tmp_path / "missing.txt")], clean_env)
    assert missing.returncode == 2
    err = missing.stderr.decode()
    assert err.startswith("keydoctor: error: cannot read") and err.count("\n") == 1
    bad_format = run(["--format", "sarif", "x"], clean_env)
    assert bad_format.returncode == 2


def test_check_runs_the_offline_audit(clean_env: dict[str, str]) -> None:
    env = dict(clean_env)
    env["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
    env["AWS_SECRET_ACCESS_KEY"] = SECRET
    result = run(
        [
            "--check",
            "--format",
            "json",
            "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation",
        ],
        env,
    )
    assert result.returncode == 0
    _no_secret(result)
    doc = json.loads(result.stdout)
    assert doc["error_code"] == "InvalidAccessKeyId"


def test_hint_flags(clean_env: dict[str, str]) -> None:
    text = (
        "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: "
        "The AWS Access Key Id you provided does not exist in our records."
    )
    plain = json.loads(run(["--format", "json", text], clean_env).stdout)
    hinted = json.loads(run(["--format", "json", "--region", "cn-north-1", text], clean_env).stdout)
    assert plain["causes"][0]["category"] != "region-endpoint"

    def chance(doc: dict[str, Any]) -> float:
        return max(c["probability"] for c in doc["causes"] if c["category"] == "region-endpoint")

    assert chance(hinted) > chance(plain)
    top_two = list(dict.fromkeys(c["category"] for c in hinted["causes"]))[:2]
    assert "region-endpoint" in top_two


def test_json_follows_the_documented_schema(clean_env: dict[str, str]) -> None:
    """docs/schema.json's ``explain`` definition holds for a sure and an unsure answer."""
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "schema.json").read_text())
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/$defs/explain", "$defs": schema["$defs"]}
    )
    seen: set[bool] = set()
    for text in (
        PASTED,
        "An error occurred (RequestTimeTooSkewed) when calling the ListBuckets "
        "operation: The difference between the request time and the current time is "
        "too large.",
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
        GUESSED,
    ):
        doc = json.loads(run(["--format", "json", text], clean_env).stdout)
        validator.validate(doc)
        seen.add(doc["uncertain"])
    assert seen == {True, False}, "one sure and one unsure answer among the texts"


GUESSED = "my s3 upload keeps failing since I rotated the credentials, is the bucket policy wrong?"


def test_a_guess_is_printed_as_one_and_exits_1(clean_env: dict[str, str]) -> None:
    """No known error: the text says so first, then the causes the rest of the text points
    to; the exit code stays 1 (no AWS error found)."""
    text = run([GUESSED], clean_env)
    assert text.returncode == 1
    out = text.stdout.decode()
    assert out.startswith("No AWS error found in this text.\n")
    assert "From the rest of the text, the likeliest causes:" in out
    assert "  1. [" in out and "     fix: " in out
    doc = json.loads(run(["--format", "json", GUESSED], clean_env).stdout)
    assert doc["found"] is False and doc["guessed"] is True and doc["causes"]


def test_text_says_when_it_is_not_sure_and_what_decides(clean_env: dict[str, str]) -> None:
    """Below the learned threshold the text names the deciding command, filled from the text."""
    unsure = run(
        [
            "An error occurred (AccessDenied) when calling the GetObject operation: "
            "Access Denied s3://reports-bucket/key"
        ],
        clean_env,
    )
    assert "Not sure: the first cause is only" in unsure.stdout.decode()
    # The deciding command depends on the two likeliest categories (weights refit with the
    # corpus); whichever it is, the bucket is filled in from the text.
    [command] = [
        line.split("run: ", 1)[1] for line in unsure.stdout.decode().splitlines() if "run: " in line
    ]
    assert command.startswith(("aws ", "keydoctor ")) and "--bucket reports-bucket" in command
    sure = run(
        [
            "An error occurred (RequestTimeTooSkewed) when calling the ListBuckets operation: "
            "The difference between the request time and the current time is too large."
        ],
        clean_env,
    )
    assert sure.returncode == 0
    assert "Not sure" not in sure.stdout.decode()
    assert "[clock-skew]" in sure.stdout.decode().split("Likely causes")[1].splitlines()[1]


def test_batch_lines_are_the_json_formatters_document(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """Each batch line is ``--format json``'s object led by the line number (and the id)."""
    from keydoctor.catalog.matcher import diagnose
    from keydoctor.reporters.explain import BatchLine, ExplainBatchLineFormatter

    message = "An error occurred (ExpiredToken) when calling the ListBuckets operation: expired"
    batch = tmp_path / "b.jsonl"
    batch.write_text(
        json.dumps({"id": 7, "text": message}) + "\n[[[\n" + json.dumps({"text": message}) + "\n",
        encoding="utf-8",
    )
    result = run(["--batch", str(batch)], clean_env)
    assert result.returncode == 0
    single = run(["--format", "json", message], clean_env)
    document = json.loads(single.stdout.decode())
    lines = result.stdout.decode().splitlines()
    assert json.loads(lines[0]) == {"line": 1, **document, "id": 7}
    assert json.loads(lines[2]) == {"line": 3, **document}
    assert json.loads(lines[1])["found"] is False and lines[1].startswith('{"line": 2, "error"')
    formatter = ExplainBatchLineFormatter()
    explained = diagnose(message)
    assert formatter.format(BatchLine(1, explained, 7)) == lines[0] + "\n"
    assert formatter.format(BatchLine(3, explained)) == lines[2] + "\n"
    assert BatchLine(1, explained).found and not BatchLine(2, error="unreadable").found


def test_the_question_for_an_invalid_token_decides_it(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """A bare "security token is invalid" is as often temporary keys without their token as
    keys sent to another partition or endpoint; explain asks the command that tells them
    apart, and that command, run literally, does: KD501 for an ASIA key without a token,
    none for a long-term key."""
    text = "InvalidClientTokenId: The security token included in the request is invalid."
    doc = json.loads(run(["--format", "json", text], clean_env).stdout)
    assert doc["uncertain"] is True
    assert set(doc["question"]["between"]) == {"session-token", "region-endpoint"}
    command = doc["question"]["command"].split()
    assert command == ["keydoctor", "check", "--offline"]
    codes = {}
    for key_id in (KEY_ID, "AKIAY34FZKBOKMUTVV7A"):
        aws = Path(clean_env["HOME"]) / ".aws"
        aws.mkdir(exist_ok=True)
        credentials = aws / "credentials"
        credentials.write_text(
            f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {SECRET}\n"
        )
        credentials.chmod(0o600)
        checked = subprocess.run(
            [sys.executable, "-m", "keydoctor", *command[1:], "--format", "json"],
            env=clean_env,
            capture_output=True,
            timeout=60,
        )
        assert checked.returncode in (0, 1), checked.stderr
        _no_secret(checked)
        codes[key_id[:4]] = {f["code"] for f in json.loads(checked.stdout)["findings"]}
    assert "KD501" in codes["ASIA"]
    assert "KD501" not in codes["AKIA"]
