"""``keydoctor run -- python app.py``: run a program with the diagnosis hook installed.

No change to the program: the ``keydoctor.integration.autostart`` directory goes first
on ``PYTHONPATH``, so every Python process of the program (and its Python children)
imports keydoctor's ``sitecustomize`` at start-up, which arms the hook and then runs the
environment's own ``sitecustomize``. No ``.pth`` file is installed anywhere and nothing
outside the child's environment changes. The exit code is the program's own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from keydoctor.errors import UsageError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probe",
        action="store_true",
        help="on a failure, also ask STS who the keys belong to (one network call)",
    )
    parser.add_argument(
        "program",
        nargs=argparse.REMAINDER,
        help="the command to run, after --, e.g. -- python app.py",
    )


def child_environment(base: dict[str, str], *, probe: bool) -> dict[str, str]:
    """``base`` with the autostart directory first on PYTHONPATH and the hook armed."""
    from keydoctor.integration.autostart import directory

    env = dict(base)
    site_dir = directory()
    existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != site_dir]
    env["PYTHONPATH"] = os.pathsep.join([site_dir, *existing])
    env["KEYDOCTOR_HOOK"] = "1"
    if probe:
        env["KEYDOCTOR_PROBE"] = "1"
    else:
        env.pop("KEYDOCTOR_PROBE", None)
    return env


def run(args: argparse.Namespace) -> int:
    program = list(args.program)
    if program and program[0] == "--":
        program = program[1:]
    if not program:
        raise UsageError("nothing to run: give the command after --, e.g. -- python app.py")
    if program[0] in ("python", "python3") and shutil.which(program[0]) is None:
        program[0] = sys.executable
    if shutil.which(program[0]) is None and not os.path.exists(program[0]):
        raise UsageError(f"command not found: {program[0]}")
    completed = subprocess.run(program, env=child_environment(dict(os.environ), probe=args.probe))
    code = completed.returncode
    return 128 - code if code < 0 else code
