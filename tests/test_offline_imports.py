"""The offline path stays light: no boto3, no botocore session, client or HTTP stack.

``keydoctor check --offline`` reads the shared files with ``botocore.configloader`` and
nothing else of the SDK; building a session or a client would cost more than the whole
audit (see ``bench/offline_vs_cli.py`` for the timing itself, which is never asserted
here). The list of imported modules comes from ``python -X importtime``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

FORBIDDEN = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "botocore.credentials",
    "botocore.endpoint",
    "botocore.httpsession",
    "urllib3",
    "moto",
)


def imported_modules(env: dict[str, str], *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keydoctor", "check", "--offline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", line)
        if match:
            names.add(match.group(1))
    assert "keydoctor.audit" in names, "importtime output not understood"
    return names


def test_offline_check_never_imports_the_sdk_stack(clean_env: dict[str, str]) -> None:
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAZ7IMPORTCHECK001\n"
        "aws_secret_access_key = n4Vb2Xc8Zl0Kj6Hg4Fd2Sa9Qw7Er5Ty3Ui1Op0As\n"
    )
    (aws / "config").write_text(
        "[default]\nregion = us-east-1\n"
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = Admin\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n"
    )
    for args in ((), ("--profile", "sso", "--format", "json"), ("--profile", "role")):
        names = imported_modules(clean_env, *args)
        loaded = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
        assert not loaded, f"offline path imported {loaded} for {args}"
        assert "botocore.configloader" in names
