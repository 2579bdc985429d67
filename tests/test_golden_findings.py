"""One golden case per finding code: tests/fixtures/<CODE>/ holds the inputs and the
expected JSON (the `credentials` and `findings` of `keydoctor check --offline`).

Each case folder has `case.toml` (description, args, env, modes of the files and of the
`aws` folder), optional `credentials` and
`config` files (bytes as written), and `expected.json`. The HOME of the run is written as
`$HOME` in the expected JSON. Set KEYDOCTOR_UPDATE_GOLDEN=1 to rewrite the expected files
after a deliberate change, then review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keydoctor.checks import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(
    p
    for p in FIXTURES.iterdir()
    if p.is_dir()
    and (p / "case.toml").exists()
    and p.name.startswith("KD")
    and p.name[2:5].isdigit()
)
OFFLINE_FAMILIES = ("KD1", "KD2", "KD3", "KD4", "KD5")
# Variables of the machine running the tests that change explanations (CI, sudo hints).
HOST_VARS = {"CI", "GITHUB_ACTIONS", "SUDO_USER", "SUDO_UID", "NO_COLOR"}


def _run_case(case: Path, tmp_path: Path) -> tuple[dict[str, object], int, str]:
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    home = tmp_path / "home"
    aws = home / ".aws"
    aws.mkdir(parents=True)
    for name in ("credentials", "config"):
        if (case / name).exists():
            shutil.copyfile(case / name, aws / name)
            os.chmod(aws / name, int(str(spec.get("modes", {}).get(name, "600")), 8))
    profiles = int(spec.get("sso_profiles", 0))
    if profiles:
        # A large but valid config (too big to keep in the repository): SSO profiles as an
        # organisation's generated config holds them, one block per account and role.
        with open(aws / "config", "a", encoding="utf-8") as handle:
            for n in range(profiles):
                handle.write(
                    f"\n[profile acct-{n:05d}]\nsso_session = corp\n"
                    f"sso_account_id = {100000000000 + n}\nsso_role_name = ReadOnlyAccess\n"
                    "region = eu-west-1\noutput = json\n"
                )
    if spec.get("symlink_credentials"):
        (aws / "credentials").rename(aws / "credentials.real")
        (aws / "credentials").symlink_to(aws / "credentials.real")
    if "aws" in spec.get("modes", {}):  # the mode of the ~/.aws folder itself
        os.chmod(aws, int(str(spec["modes"]["aws"]), 8))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in HOST_VARS}
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"})
    env.pop("NO_COLOR", None)
    substitutions: dict[str, str] = {}
    for key, value in spec.get("env", {}).items():
        env[key] = str(value)
    minutes = spec.get("expiry_in_minutes")
    if minutes is not None:
        when = (datetime.now(UTC) + timedelta(minutes=int(minutes))).replace(microsecond=0)
        env["AWS_CREDENTIAL_EXPIRATION"] = when.isoformat().replace("+00:00", "Z")
        substitutions[when.isoformat()] = "$EXPIRY"
        substitutions[env["AWS_CREDENTIAL_EXPIRATION"]] = "$EXPIRY"
    args = ["check", "--offline", "--format", "json", *spec.get("args", [])]
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    text = proc.stdout.replace(str(home), "$HOME")
    for old, new in substitutions.items():
        text = text.replace(old, new)
    doc = json.loads(text)
    return {"credentials": doc["credentials"], "findings": doc["findings"]}, proc.returncode, text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, tmp_path: Path) -> None:
    actual, code, _ = _run_case(case, tmp_path)
    codes = [f["code"] for f in actual["findings"]]  # type: ignore[index]
    assert case.name in codes, f"{case.name} does not produce its own code: {codes}"
    expected_path = case / "expected.json"
    if os.environ.get("KEYDOCTOR_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    assert code == spec.get("exit_code", code)


def test_every_offline_rule_has_a_golden_case() -> None:
    offline = {code for code in all_rules() if code.startswith(OFFLINE_FAMILIES)}
    have = {c.name for c in CASES}
    assert offline - have == set()


def test_golden_outputs_match_the_schema(tmp_path: Path) -> None:
    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[1] / "docs" / "schema.json").read_text(encoding="utf-8")
    )
    for case in CASES[:: max(1, len(CASES) // 12)]:
        _, _, text = _run_case(case, tmp_path / case.name)
        jsonschema.validate(json.loads(text), schema)
