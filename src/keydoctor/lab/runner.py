"""Run lab scenarios: build them on one emulator, fail as the user does, diagnose, judge.

For each scenario the runner writes a throwaway HOME (``~/.aws/config``,
``~/.aws/credentials``, mode 0600) and an environment with no AWS variable but the
scenario's own, then runs two programs in it as a person would, each a subprocess:

1. the application (:mod:`keydoctor.lab.app`): the boto3 call that fails, to show the
   raw error boto3 prints;
2. ``python -m keydoctor check --format json --endpoint-url <emulator> ...``: keydoctor's
   diagnosis, whose top-ranked cause must have the scenario's expected category.

The top-ranked cause is the JSON's ``diagnosis`` when ``keydoctor check`` reports one
(the live probes); a build of ``check`` without a ``diagnosis`` key only has the offline
audit, and then its worst finding at ``high`` or above stands in for it. The outcome
says which of the two was judged, so a pass is never claimed for the wrong reason.

All scenarios share one emulator (they are isolated by their names) and their
subprocesses run side by side, which keeps ``keydoctor lab run --all`` short.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keydoctor.lab.emulator import Emulator
from keydoctor.lab.replay import ReplayServer
from keydoctor.lab.scenarios import Lab, Scenario, Setup
from keydoctor.redact import scrub_patterns

SUBPROCESS_TIMEOUT = 60.0
DEFAULT_WORKERS = 2
FAILING_SEVERITIES = ("critical", "high")
# Variables that would make a scenario's programs see the host instead of the lab.
_HOST_VARIABLES_PREFIXES = ("AWS_", "KEYDOCTOR_")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")

JUDGED_DIAGNOSIS = "diagnosis"
JUDGED_OFFLINE = "offline audit"
JUDGED_ERROR = "error"


@dataclass
class Prepared:
    """A scenario built on the emulator, with its HOME written to disk."""

    scenario: Scenario
    setup: Setup
    home: Path
    env: dict[str, str]  # the scenario's own AWS variables (what a shell would export)
    app_endpoint: str
    replay: ReplayServer | None = None


@dataclass
class Outcome:
    """What one scenario showed, and whether keydoctor named the expected cause."""

    scenario: Scenario
    prepared: Prepared | None
    app_output: str = ""
    app_exit: int | None = None
    check_exit: int | None = None
    judged: str = JUDGED_ERROR  # diagnosis / offline audit / error
    got: str | None = None  # the category of the top-ranked cause; None: all is well
    cause: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def expected(self) -> str | None:
        return self.scenario.expected_id

    @property
    def matched(self) -> bool:
        return self.judged != JUDGED_ERROR and self.got == self.expected


def check_flags() -> frozenset[str]:
    """The option strings this build of ``keydoctor check`` accepts."""
    from keydoctor.commands import check

    parser = argparse.ArgumentParser(add_help=False)
    check.register(parser)
    return frozenset(parser._option_string_actions)


def supported_args(args: Sequence[str], flags: frozenset[str]) -> tuple[list[str], list[str]]:
    """Keep the ``--flag value`` pairs ``check`` knows; return them and the dropped flags."""
    kept: list[str] = []
    dropped: list[str] = []
    items = list(args)
    index = 0
    while index < len(items):
        flag = items[index]
        takes_value = index + 1 < len(items) and not items[index + 1].startswith("--")
        chunk = items[index : index + (2 if takes_value else 1)]
        if flag in flags:
            kept.extend(chunk)
        else:
            dropped.append(flag)
        index += len(chunk)
    return kept, dropped


def host_free_environment(home: Path, scenario_env: dict[str, str]) -> dict[str, str]:
    """This process's environment without the host's AWS settings, with the lab's HOME."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_HOST_VARIABLES_PREFIXES) and name.lower() not in _PROXY_VARIABLES
    }
    env["HOME"] = str(home)
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # never ask 169.254.169.254 from the lab
    env["NO_COLOR"] = "1"
    env.update(scenario_env)
    return env


def top_cause(document: dict[str, Any]) -> tuple[str, str | None, dict[str, Any] | None]:
    """What the report ranks first: (judged, category or None, the cause itself)."""
    if "diagnosis" in document:
        diagnosis = document["diagnosis"]
        if not diagnosis:
            return JUDGED_DIAGNOSIS, None, None
        return JUDGED_DIAGNOSIS, str(diagnosis.get("category")), dict(diagnosis)
    for finding in document.get("findings", []):
        if finding.get("severity") in FAILING_SEVERITIES:
            return JUDGED_OFFLINE, str(finding.get("category")), dict(finding)
    return JUDGED_OFFLINE, None, None


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class LabSession:
    """One emulator, one scratch directory, and the scenarios built in them."""

    def __init__(self, scratch: Path | None = None) -> None:
        self.scratch = scratch or Path(tempfile.mkdtemp(prefix="keydoctor-lab-"))
        self.emulator: Emulator | None = None
        self.prepared: list[Prepared] = []
        self._flags: frozenset[str] | None = None

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> Emulator:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.emulator = Emulator.start_thread()
        # moto's state lives in this process, not in the server: start from a clean slate
        # in case an earlier session in the same process left users and settings behind.
        self.emulator.reset()
        self.emulator.disable_auth()
        self.emulator.create_admin()
        self.emulator.enforce_auth()
        return self.emulator

    def close(self) -> None:
        for prepared in self.prepared:
            if prepared.replay is not None:
                prepared.replay.stop()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def endpoint(self) -> str:
        if self.emulator is None:
            raise RuntimeError("the lab's emulator is not running")
        return self.emulator.endpoint

    # -- building -------------------------------------------------------------------------
    def prepare(self, scenario: Scenario) -> Prepared:
        if self.emulator is None:
            raise RuntimeError("the lab's emulator is not running")
        setup = scenario.build(Lab(self.emulator, scenario.name))
        home = self.scratch / scenario.name
        aws_dir = home / ".aws"
        aws_dir.mkdir(parents=True, mode=0o700)
        if setup.config is not None:
            _write_private(aws_dir / "config", setup.config)
        if setup.credentials is not None:
            _write_private(aws_dir / "credentials", setup.credentials)
        replay = ReplayServer(setup.replay) if setup.replay is not None else None
        prepared = Prepared(
            scenario=scenario,
            setup=setup,
            home=home,
            env=dict(setup.env),
            app_endpoint=replay.endpoint if replay else self.endpoint,
            replay=replay,
        )
        self.prepared.append(prepared)
        return prepared

    # -- running --------------------------------------------------------------------------
    def check_command(self, prepared: Prepared) -> tuple[list[str], list[str]]:
        if self._flags is None:
            self._flags = check_flags()
        args, dropped = supported_args(prepared.setup.check_args, self._flags)
        command = [
            sys.executable,
            "-m",
            "keydoctor",
            "check",
            "--format",
            "json",
            "--endpoint-url",
            self.endpoint,
            *args,
        ]
        return command, dropped

    def execute(self, prepared: Prepared) -> Outcome:
        started = time.monotonic()
        setup = prepared.setup
        outcome = Outcome(scenario=prepared.scenario, prepared=prepared, notes=list(setup.notes))
        env = host_free_environment(prepared.home, prepared.env)
        call = setup.call
        app = [
            sys.executable,
            "-m",
            "keydoctor.lab.app",
            prepared.app_endpoint,
            call.operation,
            call.bucket,
            call.key,
        ]
        check, dropped = self.check_command(prepared)
        if dropped:
            outcome.notes.append(
                "this build of keydoctor check has no "
                + "/".join(dropped)
                + ": those questions were not asked"
            )
        with ThreadPoolExecutor(max_workers=2) as pool:
            app_future = pool.submit(_run, app, env)
            check_future = pool.submit(_run, check, env)
            app_result = app_future.result()
            check_result = check_future.result()
        outcome.app_exit = app_result.returncode
        outcome.app_output = scrub_patterns(_last_line(app_result.stdout or app_result.stderr))
        outcome.check_exit = check_result.returncode
        try:
            document = json.loads(check_result.stdout)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            outcome.error = scrub_patterns(
                _last_line(check_result.stderr) or "keydoctor check printed no JSON"
            )
        else:
            outcome.document = document
            outcome.judged, outcome.got, outcome.cause = top_cause(document)
        outcome.seconds = time.monotonic() - started
        return outcome


class _Completed:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def _run(command: list[str], env: dict[str, str]) -> _Completed:
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return _Completed(124, "", f"timed out after {SUBPROCESS_TIMEOUT:.0f}s")
    return _Completed(result.returncode, result.stdout, result.stderr)


def run_scenarios(
    session: LabSession,
    scenarios: Sequence[Scenario],
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[Outcome]:
    """Build every scenario, then run their programs side by side; results in order."""
    total = len(scenarios)
    prepared: list[Prepared | Outcome] = []
    for index, scenario in enumerate(scenarios, 1):
        if progress and sys.stderr.isatty():
            progress(f"lab: building {index}/{total} {scenario.name}")
        try:
            prepared.append(session.prepare(scenario))
        except Exception as exc:  # a scenario that cannot be built is a failed outcome
            message = scrub_patterns(f"{type(exc).__name__}: {exc}".splitlines()[0])
            prepared.append(
                Outcome(
                    scenario=scenario,
                    prepared=None,
                    error=f"could not build the scenario: {message}",
                )
            )
    done = 0

    def execute(item: Prepared | Outcome) -> Outcome:
        nonlocal done
        outcome = item if isinstance(item, Outcome) else session.execute(item)
        done += 1
        if progress:
            progress(f"lab: diagnosed {done}/{total} (last: {outcome.scenario.name})")
        return outcome

    # Two at a time: every check's probes land on the one in-process emulator, and more
    # side by side only makes each of them wait longer for it (measured on two cores).
    pool_size = workers or DEFAULT_WORKERS
    with ThreadPoolExecutor(max_workers=pool_size) as pool:
        return list(pool.map(execute, prepared))
