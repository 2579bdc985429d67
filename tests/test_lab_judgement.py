"""The lab notices a wrong answer: its judgement is tested by breaking keydoctor on purpose.

A lab that prints PASS whatever keydoctor says proves nothing. Here a copy of the
package is edited the way a bad change would edit it (a wrong command in a cause's fix,
an ``Allow`` statement turned into a ``Deny``, the exit code lost) and put first on
``PYTHONPATH``; ``keydoctor lab run`` then runs that copy end to end, its ``check``
subprocesses too, and must report FAIL for the scenarios the edit touches, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import keydoctor
from keydoctor.lab.runner import (
    JUDGED_DIAGNOSIS,
    JUDGED_OFFLINE,
    LabSession,
    Outcome,
    run_scenarios,
)
from keydoctor.lab.scenarios import SCENARIOS, Lab, Scenario, Setup, by_name

PACKAGE = Path(keydoctor.__file__).parent
WRONG_KEY_ID_FIX = "aws configure set region us-west-2"


def _mutated_package(root: Path, edits: list[tuple[str, str, str]]) -> Path:
    """A copy of the package with each ``(file, old, new)`` edit made once; its root."""
    shutil.copytree(PACKAGE, root / "keydoctor", ignore=shutil.ignore_patterns("__pycache__"))
    for relative, old, new in edits:
        path = root / "keydoctor" / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{relative}: the text to break is not there once: {old!r}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def _lab(pythonpath: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KEYDOCTOR_"))}
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=str(pythonpath))
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "lab", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp,
    )


def _scenarios(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert "Traceback" not in result.stderr, result.stderr
    document = json.loads(result.stdout)
    return {s["name"]: s for s in document["scenarios"]}


def test_the_mutated_copy_is_the_one_that_runs(tmp_path: Path) -> None:
    """Without this, every test below could be judging the installed, unbroken package."""
    root = _mutated_package(tmp_path / "pkg", [])
    env = dict(os.environ, PYTHONPATH=str(root))
    shown = subprocess.run(
        [sys.executable, "-c", "import keydoctor; print(keydoctor.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert Path(shown.stdout.strip()).is_relative_to(root), shown.stdout + shown.stderr


def test_wrong_fix_commands_fail_the_lab(tmp_path: Path) -> None:
    """The key-id fix becomes a region command and the missing-permission statement a Deny:
    the category is still right, so only the judgement of the fix can catch it."""
    root = _mutated_package(
        tmp_path / "pkg",
        [
            (
                "catalog/causes.toml",
                'fix = "Compare the id with `aws iam list-access-keys --user-name USER` '
                "(Status must be Active); if it is gone, create a new key "
                "(`aws iam create-access-key --user-name USER`) "
                'and store it with `aws configure`."',
                f'fix = "{WRONG_KEY_ID_FIX}"',
            ),
            (
                "probes/policy.py",
                'statement = {"Effect": "Allow", "Action": action, "Resource": resource}',
                'statement = {"Effect": "Deny", "Action": action, "Resource": resource}',
            ),
        ],
    )
    result = _lab(root, tmp_path, "key-id-typo", "no-list-bucket", "healthy", "--format", "json")
    scenarios = _scenarios(result)
    assert result.returncode == 1
    for name in ("key-id-typo", "no-list-bucket"):
        scenario = scenarios[name]
        assert scenario["matched"] is True  # the category alone would have passed
        assert scenario["fix_said"] is False
        assert scenario["passed"] is False
        assert any("fix does not say" in reason for reason in scenario["failures"]), scenario
    assert WRONG_KEY_ID_FIX in scenarios["key-id-typo"]["keydoctor"]["cause"]["fix"]
    assert '"Effect": "Deny"' in scenarios["no-list-bucket"]["keydoctor"]["cause"]["fix"]
    assert scenarios["healthy"]["passed"] is True  # the edits do not touch it


def test_wrong_fix_shows_fail_in_the_text_report(tmp_path: Path) -> None:
    broken = _mutated_package(
        tmp_path / "pkg",
        [("catalog/causes.toml", "`aws iam list-access-keys --user-name USER`", "`aws s3 ls`")],
    )
    result = _lab(broken, tmp_path, "key-id-typo", "--no-fix")
    assert result.returncode == 1
    assert "FAIL  key-id-typo" in result.stdout
    assert "the top cause's fix does not say 'aws iam list-access-keys'" in result.stdout
    assert "failed: key-id-typo" in result.stdout


def test_lost_exit_code_fails_the_lab(tmp_path: Path) -> None:
    """``check`` and ``redshift`` exiting 0 on a failure is what a CI job sees as success."""
    root = _mutated_package(
        tmp_path / "pkg",
        [
            (
                "commands/common.py",
                "return 1 if any(f.severity >= threshold for f in findings) else 0",
                "return 0",
            )
        ],
    )
    result = _lab(root, tmp_path, "rotated-key", "redshift-no-list", "--no-fix", "--format", "json")
    scenarios = _scenarios(result)
    assert result.returncode == 1
    for name in ("rotated-key", "redshift-no-list"):
        assert scenarios[name]["matched"] is True
        assert scenarios[name]["exit_ok"] is False
        assert "exit code 0, expected 1" in scenarios[name]["failures"], scenarios[name]


def _with_unknown_flag(lab: Lab) -> Setup:
    healthy = by_name("healthy")
    assert healthy is not None
    setup = healthy.build(lab)
    setup.check_args = [*setup.check_args, "--no-such-question", "x"]
    return setup


def test_a_flag_check_does_not_accept_fails_the_scenario(tmp_path: Path) -> None:
    """Dropping the flag would judge a narrower question than the scenario asks."""
    scenario = Scenario(
        name="unknown-flag",
        title="A scenario asking with a flag check does not have",
        seed="-",
        expected=None,
        story="-",
        fix_says=(),
        exit_code=0,
        build=_with_unknown_flag,
    )
    session = LabSession(tmp_path / "lab", fix=False)
    session.start()
    try:
        (outcome,) = run_scenarios(session, [scenario])
    finally:
        session.close()
    assert outcome.error is not None and "--no-such-question" in outcome.error
    assert not outcome.passed
    assert outcome.failures[0].startswith("error: keydoctor check does not accept")


def test_the_offline_audit_never_stands_in_for_the_diagnosis() -> None:
    scenario = by_name("rotated-key")
    assert scenario is not None
    cause = {"category": "key-id-wrong", "fix": "aws iam create-access-key --user-name U"}
    offline = Outcome(
        scenario=scenario,
        prepared=None,
        judged=JUDGED_OFFLINE,
        got="key-id-wrong",
        cause=cause,
        check_exit=1,
    )
    assert not offline.matched and not offline.passed
    live = Outcome(
        scenario=scenario,
        prepared=None,
        judged=JUDGED_DIAGNOSIS,
        got="key-id-wrong",
        cause=cause,
        check_exit=1,
    )
    assert live.matched and live.passed


def test_every_scenario_states_fix_and_exit_code() -> None:
    """What a person must see is stated for each failure; healthy ones expect silence."""
    from keydoctor.lab.registry import ALL

    for entry in ALL:
        if entry.expected is None:
            assert entry.fix_says == () and entry.exit_code == 0, entry.name
        else:
            assert entry.fix_says and all(part.strip() for part in entry.fix_says), entry.name
            assert entry.exit_code == 1, entry.name
    for scenario in SCENARIOS:
        if scenario.fix is not None:
            assert scenario.fix.diff, f"{scenario.name}: an automatic fix states its diff"


@pytest.mark.parametrize("line", ["+region = us-west-2", "-[profile prod]"])
def test_an_automatic_fix_with_other_diff_lines_is_not_ok(line: str) -> None:
    from keydoctor.lab import fixit

    scenario = by_name("bucket-other-region")
    assert scenario is not None and scenario.fix is not None
    outcome = Outcome(scenario=scenario, prepared=None, judged=JUDGED_DIAGNOSIS)
    plans = [{"name": "set-region", "diffs": [{"diff": f"--- a\n+++ b\n{line}\n"}]}]
    outcome.fix = fixit.FixResult(status=fixit.FIXED, fixes=["set-region"], plans=plans)
    assert not outcome.fix_ok
    right = [{"name": "set-region", "diffs": [{"diff": "--- a\n+++ b\n+region = eu-west-1\n"}]}]
    outcome.fix = fixit.FixResult(status=fixit.FIXED, fixes=["set-region"], plans=right)
    assert outcome.fix_ok
