"""Time ``keydoctor fix tidy`` on large and repetitive shared files.

Three inputs, each written into a fresh HOME and run as a user would run it (a new
Python process, ``fix tidy`` preview and ``fix tidy --apply --unsafe``):

* ``1mb``: a credentials file just under the 1 MiB limit, every value padded with blanks
  and quotes, CRLF line endings (every line changes);
* ``dup500``: 500 copies of one ``[default]`` section (tidy-sections merges them);
* ``profiles``: 5,000 distinct profiles with a stray tab after each value.

Prints seconds per input as JSON. Run: ``python bench/tidy_speed.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY_ID = "AKIAY34FZKBOKMUTVV7A"
SECRET = "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"


def one_megabyte() -> str:
    lines: list[str] = []
    size = 0
    number = 0
    while True:
        block = (
            f"[p{number}]\r\naws_access_key_id = '{KEY_ID}'  \r\n"
            f'aws_secret_access_key = "{SECRET}"\t\r\n\r\n'
        )
        if size + len(block) > (1 << 20) - 64:
            break
        lines.append(block)
        size += len(block)
        number += 1
    return "".join(lines)


def duplicated(copies: int) -> str:
    section = f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n\n"
    return section * copies


def profiles(count: int) -> str:
    return "".join(
        f"[p{n}]\naws_access_key_id = {KEY_ID}\t\naws_secret_access_key = {SECRET}\n"
        for n in range(count)
    )


def _time(args: list[str], home: Path, timeout: float) -> float | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"})
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "keydoctor", "fix", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keydoctor fix {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return round(elapsed, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="give up on one run after this many seconds (reported as null)",
    )
    args = parser.parse_args()
    inputs = {"1mb": one_megabyte(), "dup500": duplicated(500), "profiles": profiles(5000)}
    results: dict[str, dict[str, float | int | None]] = {}
    for name, text in inputs.items():
        home = Path(tempfile.mkdtemp(prefix="kd-tidy-bench-"))
        try:
            (home / ".aws").mkdir()
            path = home / ".aws" / "credentials"
            path.write_bytes(text.encode())
            os.chmod(path, 0o600)
            results[name] = {
                "bytes": len(text.encode()),
                "preview_s": _time(["tidy"], home, args.timeout),
                "apply_s": _time(["tidy", "--apply", "--unsafe"], home, args.timeout),
            }
        finally:
            shutil.rmtree(home, ignore_errors=True)
        print(name, results[name], file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
