"""``keydoctor logs`` run as a user runs it, for the tests of the log readers.

One place for the subprocess call and the JSON answer, so that the JSON-tree tests
(``test_logs.py``) and the CSV-export tests (``test_logs_csv.py``) read the command the
same way: a traceback on stderr is a failure whatever the exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def logs(env: dict[str, str] | None, *args: str) -> subprocess.CompletedProcess[str]:
    """``keydoctor logs ARGS`` in a child process, with its text output."""
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "logs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def answer(env: dict[str, str] | None, *args: str) -> dict[str, Any]:
    """The JSON answer of a run that must succeed."""
    proc = logs(env, *args, "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document
