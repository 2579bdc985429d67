"""The lab as a user runs it: ``keydoctor lab run --all`` in a subprocess, judged scenario
by scenario.

Each scenario must (1) really fail the way the troubleshooting pages say, which the raw
boto3 error line proves, (2) be diagnosed by keydoctor with the expected category
ranked first, and (3) end its "fix it" step as expected: fixed (the fix applied, then
the application works, or ``keydoctor check`` is clean), manual (the commands shown), or
nothing to fix. The expected tables below are the lab's contract, written out again here
so that a scenario cannot quietly change what it expects.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from keydoctor.redact import KEY_ID_PATTERN, contains_secret_shape

# name -> (expected category, what boto3 must print for the failing call)
EXPECTED: dict[str, tuple[str | None, str]] = {
    "healthy": (None, "ok: read "),
    "key-id-typo": ("key-id-wrong", "(InvalidAccessKeyId)"),
    "secret-wrong": ("secret-wrong", "(SignatureDoesNotMatch)"),
    "secret-trailing-space": ("secret-wrong", "(SignatureDoesNotMatch)"),
    "rotated-key": ("key-id-wrong", "(InvalidAccessKeyId)"),
    "temporary-key-without-token": ("session-token", "(InvalidAccessKeyId)"),
    "env-overrides-profile": ("wrong-source", "(InvalidAccessKeyId)"),
    "wrong-profile-name": ("wrong-source", "ProfileNotFound: The config profile (analytic)"),
    "bucket-other-region": ("region-endpoint", "(PermanentRedirect)"),
    "no-list-bucket": ("permission-missing", "(AccessDenied) when calling the ListObjectsV2"),
    "explicit-deny": ("explicit-deny", "(AccessDenied) when calling the GetObject"),
    "secret-quoted": ("secret-wrong", "(SignatureDoesNotMatch)"),
    "profile-header-in-credentials": (
        "config-malformed",
        "NoCredentialsError: Unable to locate credentials",
    ),
    # botocore raises the portal's 403 as it came (only a 401 becomes its own SSO error).
    "sso-role-not-assigned": (
        "permission-missing",
        "(ForbiddenException) when calling the GetRoleCredentials operation: No access",
    ),
    "role-chain-hop": ("trust-policy", "(AccessDenied) when calling the AssumeRole"),
    "container-token-stale": (
        "provider-failure",
        "Received non 200 response 401 from container metadata",
    ),
    "imds-hop-limit": ("provider-failure", "NoCredentialsError: Unable to locate credentials"),
    "web-identity-token-missing": (
        "provider-failure",
        "FileNotFoundError: [Errno 2] No such file or directory",
    ),
    "proxy-without-no-proxy": (
        "region-endpoint",
        "ProxyConnectionError: Failed to connect to proxy",
    ),
}
# The Redshift seed's COPY scenarios: name -> (expected category, expected finding code).
REDSHIFT: dict[str, tuple[str | None, str | None]] = {
    "redshift-healthy": (None, None),
    "redshift-credentials-line-break": ("config-malformed", "KD804"),
    "redshift-key-id-unknown": ("key-id-wrong", "KD820"),
    "redshift-temporary-key-no-token": ("session-token", "KD501"),
    "redshift-secret-wrong": ("secret-wrong", "KD821"),
    "redshift-bucket-other-region": ("region-endpoint", "KD829"),
    "redshift-no-list": ("permission-missing", "KD823"),
    "redshift-no-get": ("permission-missing", "KD824"),
}
# Scenarios with an automatic fix: name -> (fix, how the fix is proved, lines its diff holds).
FIXED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "secret-quoted": ("tidy", "application", ('-aws_secret_access_key = "',)),
    "profile-header-in-credentials": ("tidy", "application", ("-[profile dev]", "+[dev]")),
    # The application's redirect is a replayed AWS answer: keydoctor check is the proof.
    "bucket-other-region": ("set-region", "keydoctor check", ("+region = eu-west-1",)),
}
ALL_NAMES = [*EXPECTED, *REDSHIFT]


def _expected_category(name: str) -> str | None:
    return EXPECTED[name][0] if name in EXPECTED else REDSHIFT[name][0]


def _lab_env(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def run_lab(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "lab", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of every scenario, as the README's quick start does it (JSON form)."""
    env = _lab_env(tmp_path_factory.mktemp("lab"))
    result = run_lab(["run", "--all", "--format", "json"], env)
    assert "Traceback" not in result.stderr, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    document["_exit"] = result.returncode
    document["_stdout"] = result.stdout
    document["_stderr"] = result.stderr
    return document


def _scenario(document: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in document["scenarios"] if s["name"] == name]
    assert len(found) == 1, f"scenario {name} missing from the lab run"
    return found[0]


def test_list_names_every_scenario_and_its_expected_cause(tmp_path: Path) -> None:
    result = run_lab(["list", "--format", "json"], _lab_env(tmp_path))
    assert result.returncode == 0
    rows = json.loads(result.stdout)["scenarios"]
    assert {r["name"]: r["expected"] for r in rows} == {n: _expected_category(n) for n in ALL_NAMES}
    fixes = {r["name"]: r["fix"] for r in rows}
    assert fixes["secret-quoted"] == "tidy"
    assert fixes["profile-header-in-credentials"] == "tidy (unsafe)"
    assert fixes["bucket-other-region"] == "set-region"
    assert fixes["healthy"] == "-"
    assert fixes["rotated-key"] == "manual"
    assert fixes["redshift-no-get"] == "manual"
    text = run_lab(["list"], _lab_env(tmp_path))
    assert text.returncode == 0
    assert len(text.stdout.strip().splitlines()) == len(ALL_NAMES)


def test_run_all_covers_every_scenario_once(lab_run: dict[str, Any]) -> None:
    names = [s["name"] for s in lab_run["scenarios"]]
    assert sorted(names) == sorted(ALL_NAMES)
    assert lab_run["summary"]["total"] == len(ALL_NAMES)
    assert "lab: diagnosed" in lab_run["_stderr"]  # the progress line


@pytest.mark.parametrize("name", list(EXPECTED))
def test_scenario_reproduces_its_failure(lab_run: dict[str, Any], name: str) -> None:
    """The application's boto3 call fails (or works) exactly as the story says."""
    scenario = _scenario(lab_run, name)
    assert scenario["error"] is None, scenario["error"]
    expected_output = EXPECTED[name][1]
    assert expected_output in scenario["application"]["output"]
    assert scenario["application"]["exit"] == (0 if name == "healthy" else 1)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_scenario_top_cause_has_expected_category(lab_run: dict[str, Any], name: str) -> None:
    """keydoctor ranks the expected category first (null: no cause, for the healthy one)."""
    scenario = _scenario(lab_run, name)
    expected = _expected_category(name)
    assert scenario["expected"] == expected
    assert scenario["got"] == expected, (
        f"{name}: keydoctor's top cause is {scenario['got']!r} "
        f"(judged on the {scenario['judged_on']}), expected {expected!r}"
    )
    assert scenario["matched"] is True


@pytest.mark.parametrize("name", ALL_NAMES)
def test_scenario_passes_on_what_the_user_sees(lab_run: dict[str, Any], name: str) -> None:
    """Cause, the fix's essential words and keydoctor's exit code, each judged by the lab."""
    scenario = _scenario(lab_run, name)
    assert scenario["failures"] == [], scenario["failures"]
    assert scenario["fix_said"] is True
    assert scenario["exit_ok"] is True
    assert scenario["keydoctor"]["exit"] == (0 if _expected_category(name) is None else 1)
    assert scenario["passed"] is True


def test_exit_code_says_whether_every_scenario_passed(lab_run: dict[str, Any]) -> None:
    """Passed: the diagnosis matched and the fix step ended as the scenario expects."""
    for scenario in lab_run["scenarios"]:
        assert scenario["passed"] == (
            scenario["matched"]
            and scenario["fix_said"]
            and scenario["exit_ok"]
            and scenario["fix"]["ok"]
        )
    all_passed = all(s["passed"] for s in lab_run["scenarios"])
    assert lab_run["_exit"] == (0 if all_passed else 1)
    assert lab_run["summary"]["failed"] == [
        s["name"] for s in lab_run["scenarios"] if not s["passed"]
    ]
    assert lab_run["summary"]["fixed"] == len(FIXED)


@pytest.mark.parametrize("name", list(REDSHIFT))
def test_redshift_scenario_is_judged(lab_run: dict[str, Any], name: str) -> None:
    """The COPY is checked on the same emulator; the worst finding has the expected category."""
    scenario = _scenario(lab_run, name)
    category, code = REDSHIFT[name]
    assert scenario["error"] is None, scenario["error"]
    assert scenario["judged_on"] == "keydoctor redshift findings"
    assert scenario["application"]["call"].startswith("COPY sales FROM 's3://lab-rs-")
    assert scenario["keydoctor"]["command"].startswith("keydoctor redshift --endpoint-url ")
    assert scenario["got"] == category
    assert scenario["matched"] is True
    if code is None:
        assert scenario["keydoctor"]["cause"] is None
        assert scenario["fix"]["status"] == "nothing to fix"
    else:
        assert scenario["keydoctor"]["cause"]["category"] == category
        # A COPY's keys live in the SQL, which keydoctor fix does not edit: manual.
        assert scenario["fix"]["status"] == "manual"
        assert scenario["fix_said"] is True, scenario["keydoctor"]["cause"]["fix"]
    assert scenario["exit_ok"] is True and scenario["failures"] == []


@pytest.mark.parametrize("name", list(FIXED))
def test_fix_step_repairs_and_proves(lab_run: dict[str, Any], name: str) -> None:
    """Before: the application fails. Then keydoctor fix's plan (its diff), applied. After:
    the application works, or keydoctor check names no cause where the failure is replayed."""
    scenario = _scenario(lab_run, name)
    fix_name, proof, diff_lines = FIXED[name]
    assert scenario["application"]["exit"] == 1  # before
    fix = scenario["fix"]
    assert fix["status"] == "fixed", fix
    assert fix["ok"] is True
    assert fix["fixes"] == [fix_name]  # what keydoctor's own findings call for
    assert fix["commands"] and fix["commands"][0].startswith(f"keydoctor fix {fix_name} --apply")
    assert all(o["applied"] for o in fix["outcomes"]) and fix["outcomes"]
    diffs = "\n".join(d["diff"] for p in fix["plans"] for d in p["diffs"])
    for line in diff_lines:
        assert any(row.startswith(line) for row in diffs.splitlines()), diffs
    assert fix["proof"]["by"] == proof
    assert fix["proof"]["exit"] == 0
    if proof == "application":
        assert fix["proof"]["output"].startswith("ok: read ")  # after
    else:
        assert fix["proof"]["output"].startswith("no cause")


def test_unsafe_fix_runs_only_with_the_scenarios_consent(lab_run: dict[str, Any]) -> None:
    renamed = _scenario(lab_run, "profile-header-in-credentials")["fix"]
    assert "--unsafe" in renamed["commands"][0]
    assert [p["safety"] for p in renamed["plans"]] == ["unsafe"]
    quoted = _scenario(lab_run, "secret-quoted")["fix"]
    assert "--unsafe" not in quoted["commands"][0]
    assert [p["safety"] for p in quoted["plans"]] == ["safe"]


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in FIXED and n != "healthy"])
def test_scenarios_without_an_automatic_fix_are_manual(lab_run: dict[str, Any], name: str) -> None:
    """No pretence: the commands of the diagnosis, labelled manual, and nothing applied."""
    scenario = _scenario(lab_run, name)
    fix = scenario["fix"]
    assert fix["status"] == "manual"
    assert fix["commands"] == [] and fix["outcomes"] == []
    assert fix["manual"], "a manual fix shows at least one command"
    assert scenario["fix_said"] is True, scenario["keydoctor"]["cause"]["fix"]


def test_manual_commands_name_the_exact_change(lab_run: dict[str, Any]) -> None:
    assert _scenario(lab_run, "wrong-profile-name")["fix"]["manual"][0] == (
        "export AWS_PROFILE=analytics"
    )
    unset = _scenario(lab_run, "env-overrides-profile")["fix"]["manual"][0]
    assert unset.startswith("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY")
    # KD101 calls for tidy, but the space is in an exported variable: tidy plans nothing.
    spaced = _scenario(lab_run, "secret-trailing-space")["fix"]
    assert spaced["fixes"] == ["tidy"]
    assert "plans no change to the files" in spaced["note"]
    assert spaced["manual"][0].startswith("export AWS_SECRET_ACCESS_KEY=")


def test_healthy_has_nothing_to_fix(lab_run: dict[str, Any]) -> None:
    assert _scenario(lab_run, "healthy")["fix"]["status"] == "nothing to fix"


def test_no_fix_skips_the_step_and_leaves_the_failure(tmp_path: Path) -> None:
    result = run_lab(["run", "secret-quoted", "--no-fix", "--format", "json"], _lab_env(tmp_path))
    assert result.returncode == 0, result.stderr
    scenario = json.loads(result.stdout)["scenarios"][0]
    assert scenario["fix"] is None
    assert scenario["matched"] is True
    assert "(SignatureDoesNotMatch)" in scenario["application"]["output"]


def test_text_report_shows_plan_result_and_proof(tmp_path: Path) -> None:
    result = run_lab(["run", "secret-quoted", "rotated-key"], _lab_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "fix it     keydoctor fix tidy --apply" in out
    assert "plan       tidy [safe]" in out
    assert "proof      application again: ok: read " in out
    assert "FIXED" in out
    assert "fix it     manual:" in out
    assert "1 fixed and proved, 1 manual" in out
    assert not contains_secret_shape(out)


def test_report_shows_no_key_material(lab_run: dict[str, Any]) -> None:
    """Without --keep nothing key-shaped leaves the lab: ids masked, secrets absent."""
    for text in (lab_run["_stdout"], lab_run["_stderr"]):
        assert not contains_secret_shape(text)
        for match in KEY_ID_PATTERN.finditer(text):
            pytest.fail(f"unmasked key id in the lab's output: {match.group(0)[:4]}…")


def test_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    result = run_lab(["run", "no-such-scenario"], _lab_env(tmp_path))
    assert result.returncode == 2
    assert "no lab scenario named 'no-such-scenario'" in result.stderr
    assert "Traceback" not in result.stderr


def _read_until(lines_in: queue.Queue[str | None], marker: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines_in.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    pytest.fail(f"no line with {marker!r} within {timeout}s; got {lines[-5:]}")


def _pump(stream: IO[str], lines_out: queue.Queue[str | None]) -> None:
    for line in stream:
        lines_out.put(line)
    lines_out.put(None)


@pytest.fixture
def kept_lab(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "lab",
            "run",
            "healthy",
            "secret-quoted",
            "rotated-key",
            "--keep",
        ],
        env=_lab_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines_in: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines_in), daemon=True).start()
    try:
        lines = _read_until(lines_in, "# rotated-key:", 120)
        lines += _read_until(lines_in, "keydoctor check", 30)
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _block(lines: list[str], name: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {name}:"))
    block: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        block.append(line)
    return block


def _shell(block: list[str], command_prefix: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run the block's exports, then its line that starts with ``command_prefix``."""
    exports = [line for line in block if line.startswith(("export ", "unset "))]
    command = next(line for line in block if line.startswith(command_prefix))
    command = command.split("   #")[0]
    script = "\n".join([*exports, f"exec {sys.executable} {command[len('python ') :]}"])
    env = _lab_env(tmp)
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


def test_keep_leaves_the_emulator_running_with_working_exports(
    kept_lab: tuple[subprocess.Popen[str], list[str]], tmp_path: Path
) -> None:
    """The printed export lines reproduce each scenario by hand while the lab waits."""
    process, lines = kept_lab
    assert process.poll() is None, "the lab exited instead of keeping the emulator running"
    healthy = _block(lines, "healthy")
    assert any(re.match(r"export AWS_SHARED_CREDENTIALS_FILE=", line) for line in healthy)
    worked = _shell(healthy, "python -m keydoctor.lab.app", tmp_path)
    assert worked.stdout.startswith("ok: read "), worked.stdout + worked.stderr
    # The fix step rewrote this scenario's credentials file: by hand, the call now works.
    fixed = _block(lines, "secret-quoted")
    refixed = _shell(fixed, "python -m keydoctor.lab.app", tmp_path)
    assert refixed.stdout.startswith("ok: read "), refixed.stdout + refixed.stderr
    rotated = _block(lines, "rotated-key")
    failed = _shell(rotated, "python -m keydoctor.lab.app", tmp_path)
    assert "(InvalidAccessKeyId)" in failed.stdout
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    assert process.returncode in (0, 1)
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_an_exported_fix_is_carried_out_and_proven(lab_run: dict[str, Any]) -> None:
    """The proxy scenario's fix is a shell export: the lab runs the application with it."""
    fix = _scenario(lab_run, "proxy-without-no-proxy")["fix"]
    assert fix["status"] == "manual" and fix["ok"] is True
    assert fix["proof"]["by"] == "application after `export NO_PROXY=127.0.0.1`"
    assert fix["proof"]["exit"] == 0
    assert fix["proof"]["output"].startswith("ok: read ")
