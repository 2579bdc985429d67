"""``keydoctor lab``: the embedded sandbox, every failure of the troubleshooting pages.

``keydoctor lab list`` names the scenarios; ``keydoctor lab run --all`` (also plain
``keydoctor lab`` and ``keydoctor lab run``) starts moto's server in-process on a free
loopback port, builds each scenario, shows the raw error boto3 prints and keydoctor's
diagnosis, then the "fix it" step: for the scenarios with an automatic fix, the plan
(diff) of ``keydoctor fix``, applied, and the proof that the application now works; for
the others the commands to run by hand, labelled "manual". The Redshift seed scenarios
(``redshift-...``) run on the same emulator; their COPY is checked by
``keydoctor redshift``. It exits 0 only when every diagnosis names the expected cause and
every fix step ends as its scenario expects (``--no-fix`` skips that step).
``--keep`` leaves the emulator running and prints the ``export`` lines to try a scenario
by hand. Those lines carry the lab's own keys in clear: they were created in the
emulator a moment ago and are worth nothing anywhere else; the host's keys are never
read, since every scenario runs in a throwaway HOME without the host's AWS variables.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from typing import TYPE_CHECKING

from keydoctor.commands.common import progress, progress_done, write_stdout

if TYPE_CHECKING:
    from keydoctor.lab.registry import Entry
    from keydoctor.lab.runner import LabSession, Outcome

LAB_FORMATS = ("text", "json")
# Every variable a scenario's shell must not inherit from the person's own shell.
_UNSET = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
)


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="lab_action", metavar="ACTION", parser_class=type(parser))
    listing = actions.add_parser("list", help="name the scenarios and the cause each expects")
    listing.add_argument("--format", "--output", dest="format", choices=LAB_FORMATS, default="text")
    running = actions.add_parser(
        "run", help="run scenarios (all of them by default) and check each diagnosis"
    )
    running.add_argument("names", nargs="*", metavar="NAME", help="scenario to run")
    running.add_argument("--all", action="store_true", help="run every scenario (the default)")
    running.add_argument(
        "--keep",
        action="store_true",
        help="leave the emulator running and print the export lines to try it by hand",
    )
    running.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="scenarios diagnosed side by side (default: 2; the emulator serves them all)",
    )
    running.add_argument(
        "--no-fix",
        dest="fix",
        action="store_false",
        help="diagnose only: skip the fix-it step (apply the fix, prove it works)",
    )
    running.add_argument("--format", "--output", dest="format", choices=LAB_FORMATS, default="text")
    parser.set_defaults(
        lab_action=None, names=[], all=False, keep=False, jobs=None, format="text", fix=True
    )


def run(args: argparse.Namespace) -> int:
    from keydoctor.lab.registry import ALL

    if args.lab_action == "list":
        return _list(ALL, args.format)
    if args.jobs is not None and args.jobs < 1:
        from keydoctor.errors import UsageError

        raise UsageError("--jobs takes a number of 1 or more")
    return _run(_select(args), keep=args.keep, fmt=args.format, jobs=args.jobs, fix=args.fix)


def _select(args: argparse.Namespace) -> list[Entry]:
    from keydoctor.errors import UsageError
    from keydoctor.lab.registry import ALL, by_name

    names: list[str] = list(args.names or [])
    if args.all and names:
        raise UsageError("name scenarios or give --all, not both")
    if not names:
        return list(ALL)
    chosen: list[Entry] = []
    for name in names:
        scenario = by_name(name)
        if scenario is None:
            known = ", ".join(s.name for s in ALL)
            raise UsageError(f"no lab scenario named {name!r} (known: {known})")
        if scenario not in chosen:
            chosen.append(scenario)
    return chosen


def _fix_label(s: Entry) -> str:
    if s.fix is not None:
        return s.fix.name + (" (unsafe)" if s.fix.unsafe else "")
    return "-" if s.expected is None else "manual"


def _list(scenarios: tuple[Entry, ...], fmt: str) -> int:
    if fmt == "json":
        import json

        rows = [
            {
                "name": s.name,
                "title": s.title,
                "expected": s.expected_id,
                "seed": s.seed,
                "story": s.story,
                "fix": _fix_label(s),
            }
            for s in scenarios
        ]
        write_stdout(json.dumps({"scenarios": rows}, indent=2, ensure_ascii=False) + "\n")
        return 0
    width = max(len(s.name) for s in scenarios)
    lines = [
        f"{s.name:<{width}}  {(s.expected_id or 'no cause'):<18}  {_fix_label(s):<15}  {s.title}"
        for s in scenarios
    ]
    write_stdout("\n".join(lines) + "\n")
    return 0


def _ensure_lab_dependencies() -> None:
    import importlib.util

    from keydoctor.errors import UsageError

    missing = [m for m in ("moto", "boto3") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the lab needs {' and '.join(missing)}: pip install 'keydoctor[lab]'")


def _stderr_progress(message: str) -> None:
    """The progress line: redrawn in place on a terminal, one line each otherwise."""
    if sys.stderr.isatty():
        progress(message)
    else:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def _run(
    scenarios: list[Entry], *, keep: bool, fmt: str, jobs: int | None, fix: bool = True
) -> int:
    _ensure_lab_dependencies()
    from keydoctor.lab.redshift_entries import command as redshift_command
    from keydoctor.lab.report import display_command, render_json, render_text
    from keydoctor.lab.runner import LabSession, run_scenarios

    started = time.monotonic()
    session = LabSession(fix=fix)
    # SIGTERM (kill, a CI timeout, systemd) would end the process without running the
    # ``finally`` below and leave the scratch HOMEs, keys and all, behind: turn it into an
    # orderly exit so that the lab's files are always removed.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _stderr_progress("lab: starting the AWS emulator")
        session.start()
        outcomes = run_scenarios(session, scenarios, progress=_stderr_progress, workers=jobs)
        progress_done()
        seconds = time.monotonic() - started
        commands = {
            p.scenario.name: display_command(session.check_command(p)[0]) for p in session.prepared
        }
        for rs in session.redshift:
            commands[rs.entry.name] = display_command(redshift_command(rs)) + " < copy.sql"
        keep_lines = _keep_lines(session, outcomes) if keep else None
        if fmt == "json":
            text = render_json(
                outcomes, endpoint=session.endpoint, seconds=seconds, commands=commands
            )
            if keep_lines is not None:
                import json

                document = json.loads(text)
                document["keep"] = {"endpoint": session.endpoint, "shell": keep_lines}
                text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        else:
            text = render_text(
                outcomes, endpoint=session.endpoint, seconds=seconds, commands=commands
            )
            if keep_lines is not None:
                text += "\n" + "\n".join(keep_lines) + "\n"
        write_stdout(text)
        code = 0 if all(o.passed for o in outcomes) else 1
        if keep:
            _wait_for_interrupt(session.endpoint)
        return code
    finally:
        session.close()
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    sys.stderr.write("lab: terminated; removing the lab's files\n")
    raise SystemExit(128 + signum)


def _keep_lines(session: LabSession, outcomes: list[Outcome]) -> list[str]:
    """Shell lines to try each scenario by hand against the running emulator."""
    lines = [
        "# Try a scenario by hand: paste one block into a shell (bash/zsh). The keys below",
        "# exist only in this lab's emulator.",
    ]
    for outcome in outcomes:
        prepared = outcome.prepared
        if prepared is None:
            continue
        aws_dir = prepared.home / ".aws"
        call = prepared.setup.call
        lines.append("")
        lines.append(f"# {prepared.scenario.name}: {prepared.scenario.title}")
        if outcome.fix is not None and outcome.fix.commands:
            lines.append("# (its files are as the lab's fix step left them: fixed)")
        lines.append("unset " + " ".join(_UNSET))
        exports = {
            "AWS_CONFIG_FILE": str(aws_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
            "AWS_ENDPOINT_URL": prepared.app_endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            **prepared.env,
        }
        lines += [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
        app = [
            "python",
            "-m",
            "keydoctor.lab.app",
            prepared.app_endpoint,
            call.operation,
            call.bucket,
            call.key,
        ]
        lines.append(" ".join(shlex.quote(a) for a in app) + "   # the application")
        check, _ = session.check_command(prepared)
        lines.append(
            " ".join(shlex.quote(a) for a in ["keydoctor", *check[3:]]).replace(
                " --format json", ""
            )
        )
    from keydoctor.lab.redshift_entries import command as redshift_command

    for rs in session.redshift:
        lines.append("")
        lines.append(f"# {rs.entry.name}: {rs.entry.title}")
        lines.append(" ".join(shlex.quote(a) for a in redshift_command(rs)) + " <<'SQL'")
        lines += rs.setup.sql.splitlines()
        lines.append("SQL")
    return lines


def _wait_for_interrupt(endpoint: str) -> None:
    sys.stderr.write(
        f"lab: the emulator keeps running at {endpoint}; press Ctrl-C to stop it "
        "and remove the lab's files\n"
    )
    sys.stderr.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.stderr.write("lab: stopped\n")
