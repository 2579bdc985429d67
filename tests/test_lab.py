"""The lab as a user runs it: ``keydoctor lab run --all`` in a subprocess, judged scenario
by scenario.

Each scenario must (1) really fail the way the troubleshooting pages say, which the raw
boto3 error line proves, and (2) be diagnosed by keydoctor with the expected category
ranked first. The expected table below is the lab's contract, written out again here so
that a scenario cannot quietly change what it expects.
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
}


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
    assert {r["name"]: r["expected"] for r in rows} == {n: e[0] for n, e in EXPECTED.items()}
    text = run_lab(["list"], _lab_env(tmp_path))
    assert text.returncode == 0
    assert len(text.stdout.strip().splitlines()) == len(EXPECTED)


def test_run_all_covers_every_scenario_once(lab_run: dict[str, Any]) -> None:
    names = [s["name"] for s in lab_run["scenarios"]]
    assert sorted(names) == sorted(EXPECTED)
    assert lab_run["summary"]["total"] == len(EXPECTED)
    assert "lab: diagnosed" in lab_run["_stderr"]  # the progress line


@pytest.mark.parametrize("name", list(EXPECTED))
def test_scenario_reproduces_its_failure(lab_run: dict[str, Any], name: str) -> None:
    """The application's boto3 call fails (or works) exactly as the story says."""
    scenario = _scenario(lab_run, name)
    assert scenario["error"] is None, scenario["error"]
    expected_output = EXPECTED[name][1]
    assert expected_output in scenario["application"]["output"]
    assert scenario["application"]["exit"] == (0 if name == "healthy" else 1)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_scenario_top_cause_has_expected_category(lab_run: dict[str, Any], name: str) -> None:
    """keydoctor ranks the expected category first (null: no cause, for the healthy one)."""
    scenario = _scenario(lab_run, name)
    expected = EXPECTED[name][0]
    assert scenario["expected"] == expected
    assert scenario["got"] == expected, (
        f"{name}: keydoctor's top cause is {scenario['got']!r} "
        f"(judged on the {scenario['judged_on']}), expected {expected!r}"
    )
    assert scenario["matched"] is True


def test_exit_code_says_whether_every_diagnosis_matched(lab_run: dict[str, Any]) -> None:
    all_matched = all(s["matched"] for s in lab_run["scenarios"])
    assert lab_run["_exit"] == (0 if all_matched else 1)
    assert lab_run["summary"]["failed"] == [
        s["name"] for s in lab_run["scenarios"] if not s["matched"]
    ]


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
        [sys.executable, "-m", "keydoctor", "lab", "run", "healthy", "rotated-key", "--keep"],
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
    rotated = _block(lines, "rotated-key")
    failed = _shell(rotated, "python -m keydoctor.lab.app", tmp_path)
    assert "(InvalidAccessKeyId)" in failed.stdout
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    assert process.returncode in (0, 1)
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()
