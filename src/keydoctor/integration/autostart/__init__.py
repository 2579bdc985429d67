"""The directory ``keydoctor run`` puts first on ``PYTHONPATH``.

It holds a ``sitecustomize`` module, which Python's ``site`` imports at start-up in every
interpreter that sees this directory: it turns keydoctor's hook on (no code change in
the program) and then runs the ``sitecustomize`` that would have run without it.
"""

from __future__ import annotations

from pathlib import Path


def directory() -> str:
    """The absolute path to put on ``PYTHONPATH``."""
    return str(Path(__file__).resolve().parent)
