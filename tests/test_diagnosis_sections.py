"""A section header botocore does not read is the cause when no credentials are found.

``[profile dev]`` in the credentials file (seed 001, step 2: the section name must match
the profile) leaves profile ``dev`` without keys, so botocore finds none. The diagnosis
names the header (config-malformed, KD301), whose fix is the rename, rather than the
symptom "no credentials anywhere" (KD203).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from keydoctor.lab.emulator import Emulator

KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documentation example, never a real key
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _write(home: Path, credentials_header: str) -> None:
    aws = home / ".aws"
    (aws / "config").write_text("[profile dev]\nregion = us-east-1\n")
    (aws / "credentials").write_text(
        f"[{credentials_header}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    (aws / "config").chmod(0o600)
    (aws / "credentials").chmod(0o600)


def _check(env: dict[str, str], endpoint: str) -> dict[str, object]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "check",
            "--format",
            "json",
            "--endpoint-url",
            endpoint,
        ],
        env={**env, "AWS_PROFILE": "dev"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert SECRET not in result.stdout
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_misnamed_section_is_the_diagnosis(
    clean_env: dict[str, str], moto_server: Emulator
) -> None:
    _write(Path(clean_env["HOME"]), "profile dev")
    diagnosis = _check(clean_env, moto_server.endpoint)["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert diagnosis["category"] == "config-malformed"
    assert "KD301: [profile x] section in the credentials file" in diagnosis["evidence"]
    assert "[dev]" in diagnosis["fix"]


def test_without_a_misnamed_section_no_credentials_stays_the_diagnosis(
    clean_env: dict[str, str], moto_server: Emulator
) -> None:
    _write(Path(clean_env["HOME"]), "prod")  # keys for another profile: nothing misnamed
    diagnosis = _check(clean_env, moto_server.endpoint)["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert diagnosis["category"] == "no-credentials"
