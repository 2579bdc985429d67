"""One golden case per finding code: tests/fixtures/<CODE>/ holds the inputs, the facts a
person expects, and a snapshot of the output (`expected.json`: the `credentials` and
`findings` of `keydoctor check --offline`).

Each case folder has `case.toml` (description, args, env, modes of the files and of the
`aws` folder), optional `credentials` and `config` files (bytes as written), and
`expected.json`. The HOME of the run is written as `$HOME`.

Two layers, and only the first is the truth. `case.toml` states what a person expects,
written from the case and never from the output: `exit_code`, and `[[expect]]` entries
(code, severity, category, `fix_says`: strings the finding's fix must contain); every
finding at high or above must be one of them. The snapshot is the second layer: it
catches any other change to the output. KEYDOCTOR_UPDATE_GOLDEN=1 rewrites snapshots
after a deliberate change, but only for cases whose stated facts hold, and the stored
snapshots are checked against the stated facts too, so regenerating can never turn a
wrong answer into a passing case. `known_defect` in `case.toml` names a stated fact the
code does not meet yet: the facts test is then a strict expected failure, which turns
into a failure the day the code is right, so the marker is removed with the fix.
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
from typing import Any

import pytest

from keydoctor.checks import all_rules
from privileges import drop_dac_prefix, give_away

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
    if (case / "aws").is_dir():  # cache files under ~/.aws (sso/cache, cli/cache), as found
        shutil.copytree(case / "aws", aws, dirs_exist_ok=True)
    prefix: tuple[str, ...] = ()
    if spec.get("foreign_owner"):  # folders under ~/.aws owned by another user (sudo's root)
        dropped = drop_dac_prefix()
        if dropped is None or os.geteuid() != 0:
            pytest.skip("needs root able to drop CAP_DAC_OVERRIDE to give files away")
        prefix = dropped
        for rel in spec["foreign_owner"]:
            give_away(aws / rel)
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
        [*prefix, sys.executable, "-m", "keydoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        # As CI and cron run it: no controlling terminal and nothing on standard input, so
        # a case never depends on the terminal the tests were started from (KD519).
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    text = proc.stdout.replace(str(home), "$HOME")
    for old, new in substitutions.items():
        text = text.replace(old, new)
    doc = json.loads(text)
    return {"credentials": doc["credentials"], "findings": doc["findings"]}, proc.returncode, text


FAILING = ("high", "critical")
_RUNS: dict[str, tuple[dict[str, object], int, str]] = {}


def _spec(case: Path) -> dict[str, Any]:
    return tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))


def _cached_run(case: Path, tmp_path: Path) -> tuple[dict[str, object], int, str]:
    """One ``keydoctor check`` per case for both layers (its output is HOME-independent)."""
    if case.name not in _RUNS:
        _RUNS[case.name] = _run_case(case, tmp_path)
    return _RUNS[case.name]


def fact_problems(spec: dict[str, Any], findings: list[dict[str, Any]], code: int) -> list[str]:
    """Where the output departs from the facts the case states (empty: none)."""
    problems: list[str] = []
    if code != spec["exit_code"]:
        problems.append(f"exit code {code}, stated {spec['exit_code']}")
    for stated in spec["expect"]:
        same_code = [f for f in findings if f["code"] == stated["code"]]
        if not same_code:
            problems.append(f"{stated['code']} is missing")
            continue
        if not any(
            f["severity"] == stated["severity"]
            and f["category"] == stated["category"]
            and all(part in f["fix"] for part in stated["fix_says"])
            for f in same_code
        ):
            shown = [(f["severity"], f["category"], f["fix"]) for f in same_code]
            problems.append(f"{stated['code']}: stated {stated}, got {shown}")
    failing = {f["code"] for f in findings if f["severity"] in FAILING}
    stated_failing = {e["code"] for e in spec["expect"] if e["severity"] in FAILING}
    if failing != stated_failing:
        problems.append(f"failing codes {sorted(failing)}, stated {sorted(stated_failing)}")
    return problems


def _params() -> list[Any]:
    params = []
    for case in CASES:
        defect = _spec(case).get("known_defect")
        marks = [pytest.mark.xfail(strict=True, reason=defect)] if defect else []
        params.append(pytest.param(case, marks=marks, id=case.name))
    return params


@pytest.mark.parametrize("case", _params())
def test_golden_case_meets_the_stated_facts(case: Path, tmp_path: Path) -> None:
    actual, code, _ = _cached_run(case, tmp_path)
    findings: list[dict[str, Any]] = actual["findings"]  # type: ignore[assignment]
    assert case.name in [f["code"] for f in findings], f"{case.name} missing its own code"
    problems = fact_problems(_spec(case), findings, code)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_matches_its_snapshot(case: Path, tmp_path: Path) -> None:
    actual, code, _ = _cached_run(case, tmp_path)
    expected_path = case / "expected.json"
    if os.environ.get("KEYDOCTOR_UPDATE_GOLDEN"):
        spec = _spec(case)
        problems = fact_problems(spec, actual["findings"], code)  # type: ignore[arg-type]
        if problems and not spec.get("known_defect"):
            pytest.fail("not rewritten, the stated facts fail:\n" + "\n".join(problems))
        expected_path.write_text(
            json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


@pytest.mark.parametrize("case", _params())
def test_stored_snapshot_meets_the_stated_facts(case: Path) -> None:
    """A snapshot rewritten from wrong output cannot pass: it is held to the facts too.

    The exit code of a stored snapshot is the one ``--fail-on high`` (the default every
    case uses) gives its findings."""
    spec = _spec(case)
    assert "--fail-on" not in spec.get("args", [])
    snapshot = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    findings = snapshot["findings"]
    code = 1 if any(f["severity"] in FAILING for f in findings) else 0
    problems = fact_problems(spec, findings, code)
    assert problems == [], "\n".join(problems)


def test_every_case_states_its_facts() -> None:
    for case in CASES:
        spec = _spec(case)
        assert spec.get("exit_code") in (0, 1), f"{case.name}: exit_code not stated"
        stated = spec.get("expect") or []
        assert case.name in [e["code"] for e in stated], f"{case.name}: its own code unstated"
        for entry in stated:
            assert set(entry) == {"code", "severity", "category", "fix_says"}, case.name
            assert entry["fix_says"] and all(entry["fix_says"]), case.name


def test_fact_check_catches_a_wrong_fix_severity_and_exit() -> None:
    """The checker itself fails on each kind of departure (so a pass means something)."""
    spec = {
        "exit_code": 1,
        "expect": [
            {
                "code": "KD502",
                "severity": "high",
                "category": "session-token",
                "fix_says": ["unset AWS_SESSION_TOKEN"],
            }
        ],
    }
    right = {
        "code": "KD502",
        "severity": "high",
        "category": "session-token",
        "fix": "unset AWS_SESSION_TOKEN",
    }
    assert fact_problems(spec, [right], 1) == []
    wrong_fix = dict(right, fix="export AWS_SESSION_TOKEN='<value>'")
    assert fact_problems(spec, [wrong_fix], 1)
    assert fact_problems(spec, [dict(right, severity="medium")], 0)
    assert fact_problems(spec, [right], 0)
    extra = {"code": "KD101", "severity": "high", "category": "secret-wrong", "fix": "x"}
    assert fact_problems(spec, [right, extra], 1)


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
