"""Run lab scenarios: build them on one emulator, fail as the user does, diagnose, judge.

For each scenario the runner writes a throwaway HOME (``~/.aws/config``,
``~/.aws/credentials``, mode 0600) and an environment with no AWS variable but the
scenario's own, then runs two programs in it as a person would, each a subprocess:

1. the application (:mod:`keydoctor.lab.app`): the boto3 call that fails, to show the
   raw error boto3 prints;
2. ``python -m keydoctor check --format json --endpoint-url <emulator> ...``: keydoctor's
   diagnosis, whose top-ranked cause must have the scenario's expected category;
3. the "fix it" step (:mod:`keydoctor.lab.fixit`): ``keydoctor fix ... --apply`` for the
   fix the findings call for, then the application again (or ``keydoctor check`` when
   its answer is replayed) to prove the fix; "manual" with the diagnosis's commands
   when no automatic fix exists.

The Redshift scenarios (:mod:`keydoctor.lab.redshift_entries`) are built on the same
emulator and judged in the same pool; their "application" is a COPY statement.

The judgement is on what the user sees, against what the scenario states: the top-ranked
cause (the JSON's ``diagnosis``) has the expected category, its fix holds every string of
the scenario's ``fix_says``, ``keydoctor check`` exits with the scenario's ``exit_code``,
and the fix step ends as expected (an automatic fix applied with the stated diff lines
and proven by running again). A ``check`` without a ``diagnosis`` key has only the
offline audit: its worst finding is shown, but it is never a match. A flag of the
scenario that ``check`` does not accept fails the scenario; it is never dropped.

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

from keydoctor.lab import fixit
from keydoctor.lab.emulator import Emulator
from keydoctor.lab.redshift_entries import RedshiftEntry, RedshiftPrepared
from keydoctor.lab.registry import Entry
from keydoctor.lab.replay import ReplayServer
from keydoctor.lab.scenarios import HOME_DIR, Lab, Scenario, Setup
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
JUDGED_REDSHIFT = "keydoctor redshift findings"


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
    """What one scenario showed, and whether keydoctor named the expected cause and fixed it."""

    scenario: Entry
    prepared: Prepared | None
    call: str | None = None  # what the application does (a boto3 call, a COPY statement)
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
    code_ok: bool = True  # Redshift: the expected finding code is among the findings
    fix: fixit.FixResult | None = None  # None: the fix step was not asked for

    @property
    def expected(self) -> str | None:
        return self.scenario.expected_id

    @property
    def matched(self) -> bool:
        """The expected category ranked first by keydoctor's own answer (no stand-in)."""
        return (
            self.error is None
            and self.judged in (JUDGED_DIAGNOSIS, JUDGED_REDSHIFT)
            and self.got == self.expected
            and self.code_ok
        )

    @property
    def fix_said(self) -> bool:
        """The top cause's fix holds what the scenario says it must (no cause: healthy)."""
        if self.expected is None:
            return self.cause is None
        text = str((self.cause or {}).get("fix") or "")
        return bool(text) and all(part in text for part in self.scenario.fix_says)

    @property
    def exit_ok(self) -> bool:
        return self.check_exit == self.scenario.exit_code

    @property
    def expected_fix(self) -> str:
        """What the fix step must end in: fixed, manual, or nothing to fix."""
        if self.scenario.fix is not None:
            return fixit.FIXED
        return fixit.NOTHING if self.scenario.expected is None else fixit.MANUAL

    @property
    def fix_ok(self) -> bool:
        """The fix step did what the scenario expects (true when it was not run)."""
        fix = self.fix
        if fix is None:
            return True
        wanted = self.scenario.fix
        if wanted is not None:
            diff_rows = [
                row
                for plan in fix.plans
                for diff in plan.get("diffs") or []
                for row in str(diff.get("diff") or "").splitlines()
            ]
            diff_ok = all(any(row.startswith(line) for row in diff_rows) for line in wanted.diff)
            return fix.status == fixit.FIXED and wanted.name in fix.fixes and diff_ok
        if self.scenario.expected is None:
            return fix.status == fixit.NOTHING
        manual_ok = fix.status == fixit.MANUAL and bool(fix.manual)
        if isinstance(self.scenario, Scenario) and self.scenario.proves_export:
            return manual_ok and fix.proof is not None and fix.proof_exit == 0
        return manual_ok

    @property
    def failures(self) -> list[str]:
        """Why the scenario failed, one reason a line (empty: it passed)."""
        reasons: list[str] = []
        if self.error is not None:
            reasons.append(f"error: {self.error}")
        elif not self.matched:
            reasons.append(
                f"top cause {self.got or 'none'} on the {self.judged}, "
                f"expected {self.expected or 'none'}"
                + ("" if self.code_ok else " (expected finding code missing)")
            )
        if self.error is None and not self.fix_said:
            reasons.append(
                "the top cause's fix does not say "
                + " / ".join(repr(part) for part in self.scenario.fix_says)
                if self.expected is not None
                else "a cause was named for a healthy setup"
            )
        if self.error is None and not self.exit_ok:
            reasons.append(f"exit code {self.check_exit}, expected {self.scenario.exit_code}")
        if not self.fix_ok:
            reasons.append(f"the fix step did not end as expected: {self.expected_fix}")
        return reasons

    @property
    def passed(self) -> bool:
        return self.matched and self.fix_said and self.exit_ok and self.fix_ok and not self.failures


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
    """What the report ranks first: (judged, category or None, the cause itself).

    Without a ``diagnosis`` the worst failing finding is returned for the report to show,
    judged on the offline audit, which :attr:`Outcome.matched` never accepts.
    """
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

    def __init__(self, scratch: Path | None = None, *, fix: bool = True) -> None:
        self.scratch = scratch or Path(tempfile.mkdtemp(prefix="keydoctor-lab-"))
        self.fix = fix  # run the "fix it" step after each diagnosis
        self.emulator: Emulator | None = None
        self.prepared: list[Prepared] = []
        self.redshift: list[RedshiftPrepared] = []
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
            if prepared.setup.portal is not None:
                prepared.setup.portal.stop()
            for server in prepared.setup.servers:
                server.stop()
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
        for relative, text in setup.files.items():
            (home / relative).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_private(home / relative, text)
        replay = ReplayServer(setup.replay) if setup.replay is not None else None
        prepared = Prepared(
            scenario=scenario,
            setup=setup,
            home=home,
            env={name: value.replace(HOME_DIR, str(home)) for name, value in setup.env.items()},
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

    def prepare_redshift(self, entry: RedshiftEntry) -> RedshiftPrepared:
        from keydoctor.lab.redshift_entries import prepare

        if self.emulator is None:
            raise RuntimeError("the lab's emulator is not running")
        prepared = prepare(self.emulator, entry)
        self.redshift.append(prepared)
        return prepared

    def execute_redshift(self, prepared: RedshiftPrepared) -> Outcome:
        """Ask keydoctor (in this process) about the COPY; its fix is always manual."""
        from keydoctor.lab.redshift_entries import judge

        started = time.monotonic()
        outcome = Outcome(scenario=prepared.entry, prepared=None, notes=list(prepared.setup.notes))
        try:
            verdict = judge(prepared)
        except Exception as exc:  # a crash is a failed outcome, shown in one line
            outcome.error = scrub_patterns(f"{type(exc).__name__}: {exc}".splitlines()[0])
            outcome.seconds = time.monotonic() - started
            return outcome
        outcome.call = verdict.statement
        outcome.app_output = (
            "(no Redshift cluster in the lab: the statement is checked, not run; "
            f"cluster region {prepared.setup.cluster_region})"
        )
        outcome.judged = JUDGED_REDSHIFT
        outcome.got = verdict.named
        outcome.cause = verdict.cause
        outcome.code_ok = verdict.code_ok
        outcome.check_exit = verdict.exit_code
        if not verdict.code_ok:
            outcome.notes.append(
                f"expected finding {prepared.entry.expected_code} among "
                + (", ".join(verdict.codes) or "no findings")
            )
        if self.fix:
            if verdict.named is None:
                outcome.fix = fixit.FixResult(status=fixit.NOTHING)
            else:
                outcome.fix = fixit.FixResult(status=fixit.MANUAL, manual=verdict.fixes)
        outcome.seconds = time.monotonic() - started
        return outcome

    def application_command(self, prepared: Prepared, endpoint: str | None = None) -> list[str]:
        call = prepared.setup.call
        return [
            sys.executable,
            "-m",
            "keydoctor.lab.app",
            endpoint or prepared.app_endpoint,
            call.operation,
            call.bucket,
            call.key,
        ]

    def execute(self, prepared: Prepared) -> Outcome:
        started = time.monotonic()
        setup = prepared.setup
        outcome = Outcome(
            scenario=prepared.scenario,
            prepared=prepared,
            call=setup.call.describe(),
            notes=list(setup.notes),
        )
        env = host_free_environment(prepared.home, prepared.env)
        app = self.application_command(prepared)
        check, dropped = self.check_command(prepared)
        if dropped:
            # Asking a narrower question than the scenario states would judge another case.
            outcome.error = (
                "keydoctor check does not accept "
                + "/".join(dropped)
                + ", which the scenario asks with"
            )
            outcome.seconds = time.monotonic() - started
            return outcome
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
            if self.fix:
                outcome.fix = self.fix_it(prepared, outcome, document, env, check)
        outcome.seconds = time.monotonic() - started
        return outcome

    def fix_it(
        self,
        prepared: Prepared,
        outcome: Outcome,
        document: dict[str, Any],
        env: dict[str, str],
        check: list[str],
    ) -> fixit.FixResult:
        """Apply what the findings call for and prove it; else name the manual commands."""
        if outcome.got is None:
            return fixit.FixResult(status=fixit.NOTHING)
        fixes = fixit.called_for(document)
        if not fixes:
            result = fixit.FixResult(
                status=fixit.MANUAL, manual=fixit.manual_commands(outcome.cause, document)
            )
            if prepared.scenario.proves_export and prepared.replay is None:
                result = fixit.prove_export(
                    result,
                    str((outcome.cause or {}).get("fix") or ""),
                    env=env,
                    application=self.application_command(prepared),
                    run=_run,
                )
            return result
        wanted = prepared.scenario.fix
        # The application's answer is replayed when moto cannot give AWS's: re-running it
        # would only replay the same answer, so keydoctor check is asked again instead.
        application = None if prepared.replay is not None else self.application_command(prepared)
        return fixit.apply_and_prove(
            fixes=fixes,
            unsafe=wanted is not None and wanted.unsafe,
            bucket=prepared.setup.call.bucket,
            endpoint=self.endpoint,
            env=env,
            python=sys.executable,
            application=application,
            check=check,
            run=_run,
            manual=fixit.manual_commands(outcome.cause, document),
        )


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
    scenarios: Sequence[Entry],
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[Outcome]:
    """Build every scenario, then run their programs side by side; results in order."""
    total = len(scenarios)
    prepared: list[Prepared | RedshiftPrepared | Outcome] = []
    for index, scenario in enumerate(scenarios, 1):
        if progress and sys.stderr.isatty():
            progress(f"lab: building {index}/{total} {scenario.name}")
        try:
            if isinstance(scenario, RedshiftEntry):
                prepared.append(session.prepare_redshift(scenario))
            else:
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

    def execute(item: Prepared | RedshiftPrepared | Outcome) -> Outcome:
        nonlocal done
        if isinstance(item, Outcome):
            outcome = item
        elif isinstance(item, RedshiftPrepared):
            outcome = session.execute_redshift(item)
        else:
            outcome = session.execute(item)
        done += 1
        if progress:
            progress(f"lab: diagnosed {done}/{total} (last: {outcome.scenario.name})")
        return outcome

    # Two at a time: every check's probes land on the one in-process emulator, and more
    # side by side only makes each of them wait longer for it (measured on two cores).
    pool_size = workers or DEFAULT_WORKERS
    with ThreadPoolExecutor(max_workers=pool_size) as pool:
        return list(pool.map(execute, prepared))
