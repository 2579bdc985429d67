"""The formatters and the one public API: what the CLI prints is a formatter applied to the
very result ``keydoctor.check()`` returns.

The command line runs as a user would (subprocess, fresh HOME); the Python call gets the
same environment through ``environ``. Offline, the outputs must be equal byte for byte
in every format. Online (a real moto server, IAM authentication enforced) the two runs
ask the endpoint separately, so only what is measured differs: each probe's duration and
the measured clock skew are set aside, everything else must be equal.

The masking tests hand the formatters a result that carries a secret and a full key id
in a finding's own words (as a probe's answer could): every format must mask them as
values, before JSON escapes a quote or a backslash that a search in the serialised text
would no longer match.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import keydoctor
from keydoctor.catalog import diagnose_text
from keydoctor.examine import CheckResult
from keydoctor.lab.emulator import Emulator
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.reporters import FORMATS, check_formatter
from keydoctor.reporters.explain import explain_formatter

KEY_ID = "ASIAZ3MHL4QPDX7KWN2V"
# A quote and a backslash: JSON escapes both, so only masking by value can catch it.
SECRET = 'QzXj7W"kP2\\nR8vT5mL1cY9bN4hG6dF0sA3eU'
PASTED = (
    "An error occurred (SignatureDoesNotMatch) when calling the ListBuckets operation: "
    "The request signature we calculated does not match the signature you provided."
)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _file_keys(env: dict[str, str], key_id: str, secret: str) -> None:
    path = Path(env["HOME"]) / ".aws" / "credentials"
    path.write_text(
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_offline_output_is_the_formatter_on_check(clean_env: dict[str, str], fmt: str) -> None:
    """``check --offline`` prints exactly ``formatter.format(keydoctor.check())``."""
    _file_keys(clean_env, KEY_ID, SECRET)
    env = dict(clean_env, AWS_DEFAULT_REGION="eu-west-1")
    proc = _cli(env, "check", "--offline", "--format", fmt)
    result = keydoctor.check(environ=env)
    assert isinstance(result, CheckResult)
    assert "KD501" in [f.code for f in result.findings]  # the setup does have a problem
    assert proc.stdout == check_formatter(fmt).format(result)
    assert proc.returncode == (0 if result.ok else 1)


def _without_measures(document: dict[str, Any]) -> dict[str, Any]:
    """The document less what two runs measure differently: durations and clock skew."""
    probes = [{k: v for k, v in p.items() if k != "duration_ms"} for p in document["probes"]]
    rest = {k: v for k, v in document.items() if k != "clock_skew_seconds"}
    return dict(rest, probes=probes)


@pytest.mark.parametrize("good_secret", [True, False], ids=["valid-keys", "wrong-secret"])
def test_cli_online_json_is_the_formatter_on_check(
    moto_server: Emulator, clean_env: dict[str, str], good_secret: bool
) -> None:
    """Online on moto: the same document (measures aside) and the same SARIF, both ways."""
    bucket = f"kd-fmt-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket, "us-east-1")
    keys = moto_server.create_user(
        f"fmt-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
        },
    )
    secret = keys.secret_access_key if good_secret else "x" * 40
    _file_keys(clean_env, keys.access_key_id, secret)
    env = dict(clean_env, AWS_DEFAULT_REGION="us-east-1")
    flags = ("--endpoint-url", moto_server.endpoint, "--bucket", bucket)
    proc = _cli(env, "check", "--format", "json", *flags)
    result = keydoctor.check(
        environ=env, endpoint_url=moto_server.endpoint, online=True, buckets=(bucket,)
    )
    from_cli = json.loads(proc.stdout)
    from_api = json.loads(check_formatter("json").format(result))
    assert from_api == result.to_dict()
    assert from_api["mode"] == "online" and from_api["probes"]
    assert (from_api["diagnosis"] is None) is good_secret
    assert _without_measures(from_cli) == _without_measures(from_api)
    sarif = _cli(env, "check", "--format", "sarif", *flags)
    assert sarif.stdout == check_formatter("sarif").format(result)
    for text in (proc.stdout, sarif.stdout):
        assert keys.secret_access_key not in text and keys.access_key_id not in text


def _with_leaky_finding(clean_env: dict[str, str]) -> CheckResult:
    """An offline result plus a finding whose words hold the secret and the full key id."""
    _file_keys(clean_env, KEY_ID, SECRET)
    result = keydoctor.check(environ=clean_env)
    leaky = Finding(
        code="KD999",
        severity=Severity.HIGH,
        category=Category.SECRET_WRONG,
        title=f"answer for {KEY_ID}",
        explanation=f"the endpoint echoed {SECRET} back",
        fix=f"aws configure set aws_secret_access_key {SECRET}",
        location=Location("file", path=f"/tmp/{SECRET}", line=3, key=KEY_ID),
    )
    return dataclasses.replace(result, findings=(*result.findings, leaky))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize("fmt", FORMATS)
def test_formatters_mask_values_of_the_typed_result(clean_env: dict[str, str], fmt: str) -> None:
    result = _with_leaky_finding(clean_env)
    output = check_formatter(fmt).format(result)
    assert "KD999" in output  # the planted finding is shown ...
    shown = [output] if fmt == "text" else [output, *_strings(json.loads(output))]
    for text in shown:  # ... with neither the secret nor the whole key id
        assert SECRET not in text
        assert SECRET[6:20] not in text
        assert KEY_ID not in text
    assert "ASIA…WN2V" in output or "ASIA\\u2026WN2V" in output


def test_formatting_leaves_the_result_as_it_was(clean_env: dict[str, str]) -> None:
    """A formatter reads the result: the same result formats the same way twice."""
    result = _with_leaky_finding(clean_env)
    before = (result.findings, result.to_dict())
    outputs = [check_formatter(fmt).format(result) for fmt in FORMATS for _ in range(2)]
    assert outputs[0::2] == outputs[1::2]
    assert (result.findings, result.to_dict()) == before


def test_text_colour_only_adds_styles(clean_env: dict[str, str]) -> None:
    result = _with_leaky_finding(clean_env)
    plain = check_formatter("text").format(result)
    coloured = check_formatter("text", color=True).format(result)
    assert "\033[" in coloured and "\033[" not in plain
    import re

    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        check_formatter("yaml")
    with pytest.raises(ValueError, match="text or json"):
        explain_formatter("sarif")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cli_explain_is_the_formatter_on_the_result(clean_env: dict[str, str], fmt: str) -> None:
    proc = _cli(clean_env, "explain", "--format", fmt, PASTED)
    result = diagnose_text(PASTED)
    assert result.found and result.error_code == "SignatureDoesNotMatch"
    assert proc.stdout == explain_formatter(fmt).format(result)
    assert proc.returncode == 0
