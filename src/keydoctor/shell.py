"""Commands shown to the user, built from argument lists and quoted for a POSIX shell.

A printed fix is meant to be copied into a terminal. Values that come from files, flags or
the environment (profile names, paths, regions) can hold blanks or shell metacharacters
(``$(id)``), so a command is always built from separate arguments and rendered with
:func:`shlex.join`; no value is ever pasted into a command string as written.
"""

from __future__ import annotations

import shlex


def command(*argv: str) -> str:
    """One command line, every argument quoted where the shell would otherwise split it."""
    return shlex.join(argv)


def profile_args(profile: str | None) -> tuple[str, ...]:
    """``--profile NAME`` for a named profile; nothing for the default one."""
    if not profile or profile == "default":
        return ()
    return ("--profile", profile)


def quote(value: str) -> str:
    """One value quoted for the shell (a path, a profile name)."""
    return shlex.quote(value)


def runnable_part(fix: str) -> str:
    """The step at the start of a printed fix, without the commentary after it.

    A fix of kind command or keydoctor-fix is printed as the command itself, optionally
    followed by two or more blanks and a parenthesised remark (``chmod 600 PATH   (or …)``);
    this returns the command, which is what a person pastes and what the proof tests run.
    """
    head, _, _ = fix.partition("  (")
    return head.strip()
