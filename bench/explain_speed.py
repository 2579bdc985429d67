"""Wall time of ``keydoctor explain``, as a user feels it.

Usage::

    python bench/explain_speed.py [--runs 15] [--log-mb 5]

Runs the installed ``keydoctor`` entry point (falling back to ``python -m keydoctor``)
as a subprocess on a one-line message, on a Python traceback, and on a generated log of
several megabytes with the error buried near the end, and prints the median and worst
wall time of each. The target is under 0.3 s for a pasted error.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_LINE = (
    "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: "
    "The AWS Access Key Id you provided does not exist in our records."
)
TRACEBACK = """Traceback (most recent call last):
  File "app.py", line 12, in <module>
    s3.get_object(Bucket="reports", Key="2024/q1.csv")
  File "/venv/lib/python3.12/site-packages/botocore/client.py", line 565, in _api_call
    return self._make_api_call(operation_name, kwargs)
botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject \
operation: Access Denied
"""


def _command() -> list[str]:
    exe = shutil.which("keydoctor", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "keydoctor"]


def _time(args: list[str], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"explain failed: {proc.stderr.decode().strip()}")
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--log-mb", type=float, default=5.0)
    args = parser.parse_args()
    base = _command() + ["explain"]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "app.log"
        line = "2024-05-01T12:00:00Z INFO worker finished batch without trouble\n"
        count = int(args.log_mb * 1024 * 1024 / len(line))
        log.write_text(line * count + TRACEBACK + line * 100, encoding="utf-8")
        cases = {
            "one-line message": base + [ONE_LINE],
            "python traceback (json)": base + ["--format", "json", TRACEBACK],
            f"{args.log_mb:g} MB log (--file)": base + ["--file", str(log)],
        }
        print(f"command: {' '.join(_command())} explain   ({args.runs} runs each)")
        for name, command in cases.items():
            median, worst = _time(command, args.runs)
            print(f"  {name:28s} median {median * 1000:6.0f} ms   worst {worst * 1000:6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
