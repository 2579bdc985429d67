"""Parse arguments, run a command, render, exit: the only module that exits.

Each subcommand lives in ``keydoctor.commands.<name>`` and exposes
``register(subparsers)`` and ``run(args) -> int``. Command modules are imported lazily,
only the one that runs, so ``keydoctor check --offline`` never pays for the lab, the
probes or the catalog.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from keydoctor import __version__
from keydoctor.console import guarded_stdout
from keydoctor.errors import KeydoctorError

# name → (module, one-line help). The order is the order of ``keydoctor --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("keydoctor.commands.check", "audit the credentials this shell would use"),
    "explain": ("keydoctor.commands.explain", "explain a pasted AWS error and rank its causes"),
    "redshift": ("keydoctor.commands.redshift", "check a Redshift COPY/UNLOAD credentials clause"),
    "fix": ("keydoctor.commands.fix", "preview and apply fixes (nothing changes without --apply)"),
    "lab": ("keydoctor.commands.lab", "run the embedded sandbox scenarios on a local AWS emulator"),
    "run": ("keydoctor.commands.run", "run a Python program with keydoctor's diagnosis installed"),
    "rules": ("keydoctor.commands.rules", "list every rule, or show one rule's documentation"),
    "logs": ("keydoctor.commands.logs", "who still uses a key: CloudTrail and S3 access logs"),
    "policy": ("keydoctor.commands.policy", "simulate AWS's policy evaluation for one request"),
}

# Commands that answer one question and return (see ``main``).
BOUNDED_COMMANDS = frozenset({"check", "explain", "redshift", "fix", "rules", "policy"})

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2


@functools.cache
def _help_width() -> int:
    """The help's width, as ``shutil.get_terminal_size`` would give it, less two.

    argparse asks ``shutil`` for it on every ``add_argument`` (to check the metavar), and
    importing ``shutil`` loads the bz2 and lzma modules: a command that prints no help
    should not pay for compression libraries.
    """
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _Formatter(argparse.HelpFormatter):
    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _help_width())


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as the conventions ask."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"keydoctor: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _available_commands() -> dict[str, tuple[str, str]]:
    import importlib.util

    return {
        name: spec
        for name, spec in COMMANDS.items()
        if importlib.util.find_spec(spec[0]) is not None
    }


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keydoctor",
        description="Find out why AWS credentials fail, and fix it.",
    )
    parser.add_argument("--version", action="version", version=f"keydoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # Looking up every command's module costs a file-system search each; a run that names
    # its command only lists the others (their modules are never loaded).
    listed = COMMANDS if only is not None else _available_commands()
    for name, (module_name, help_text) in listed.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.register(command_parser)
    return parser


def _command_of(args_list: Sequence[str]) -> str | None:
    command = next((a for a in args_list if not a.startswith("-")), None)
    return command if command in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(args_list)
    # A bounded command's run is mostly imports: tens of thousands of objects that live
    # to the end and hold no garbage. The cyclic collector would walk them again and again
    # (3% of a whole online check's instructions, measured under callgrind), so it waits
    # until the command returns. Commands whose work grows with their input or runs other
    # programs (lab, logs, run) keep it.
    paused = command in BOUNDED_COMMANDS and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _run(parser_for=command, args_list=args_list)
    finally:
        if paused:
            gc.enable()


def _run(parser_for: str | None, args_list: list[str]) -> int:
    parser = build_parser(only=parser_for)
    args = parser.parse_args(args_list)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        with guarded_stdout():
            code: int = module.run(args)
    except KeydoctorError as exc:
        sys.stderr.write(f"keydoctor: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("keydoctor: interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one masked line, the traceback only on request
        import os

        from keydoctor.redact import scrub_patterns

        if os.environ.get("KEYDOCTOR_DEBUG"):
            raise
        message = scrub_patterns(f"{type(exc).__name__}: {exc}".splitlines()[0])
        sys.stderr.write(
            f"keydoctor: internal error: {message} (set KEYDOCTOR_DEBUG=1 for details)\n"
        )
        return EXIT_ERROR
    return code


def entry() -> None:
    """The console script. A bounded command's process ends with it, so the collector is
    paused for good: turned back on, it would walk every object once more on the way out
    (another 2% of a check)."""
    if _command_of(sys.argv[1:]) in BOUNDED_COMMANDS:
        gc.disable()
    raise SystemExit(main())
