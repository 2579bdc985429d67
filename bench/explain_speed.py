"""Wall time of ``keydoctor explain``, as a user feels it.

Usage::

    python bench/explain_speed.py [--runs 15] [--log-mb 5] [--timeout 60] [--only NAME]

Runs the installed ``keydoctor`` entry point (falling back to ``python -m keydoctor``)
as a subprocess and prints the median and worst wall time of each case:

* a one-line message and a Python traceback (the pasted error; target under 0.3 s);
* a generated log of several megabytes with the error buried near the end;
* hostile inputs, each ending in one error line (target under 1 s each, up to 5 MB):
  64 KiB of newlines, 65,536 lines in 5 MB, 16,000 lines of blanks and tabs, runs of
  blanks of 60 KiB and 4 MB, a prefix repeated across 5 MB, and one 1 MB line (minified
  JSON) with the error at its end. Each case also says whether the error was found.

A run that exceeds ``--timeout`` is stopped and reported as such, so the script can
measure a build whose matching is still super-linear.
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
MB = 1024 * 1024


def _command() -> list[str]:
    exe = shutil.which("keydoctor", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "keydoctor"]


def _time(args: list[str], runs: int, timeout: float) -> tuple[float, float, bool] | None:
    """Median and worst wall time, and whether the error was found (exit 0)."""
    samples = []
    found = True
    for _ in range(runs):
        start = time.perf_counter()
        try:
            proc = subprocess.run(args, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"explain failed: {proc.stderr.decode().strip()}")
        found = found and proc.returncode == 0
    return statistics.median(samples), max(samples), found


def _hostile(folder: Path) -> dict[str, Path]:
    """The inputs that used to stall ``explain``, each ending in one real error line."""
    tail = ONE_LINE + "\n"
    json_line = '{"level":"error","msg":"' + "x" * (MB - 300) + '","err":"' + ONE_LINE + '"}\n'
    cases = {
        "64 KiB of newlines": "\n" * (65536 - len(tail)) + tail,
        "65,536 newlines in 5 MB": ("x" * 79 + "\n") * 65536 + tail,
        "16,000 lines of blanks": " \t \n" * 16000 + tail,
        "60 KiB run of blanks": " \t" * 30000 + tail,
        "4 MB run of blanks": " " * (4 * MB) + "\n" + tail,
        "5 MB repeated prefix": "aws aws " * (5 * MB // 8) + "\n" + tail,
        "1 MB line (JSON)": json_line,
    }
    paths = {}
    for index, (name, text) in enumerate(cases.items()):
        path = folder / f"hostile-{index}.log"
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--log-mb", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    base = _command() + ["explain"]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "app.log"
        line = "2024-05-01T12:00:00Z INFO worker finished batch without trouble\n"
        count = int(args.log_mb * MB / len(line))
        log.write_text(line * count + TRACEBACK + line * 100, encoding="utf-8")
        cases = {
            "one-line message": base + [ONE_LINE],
            "python traceback (json)": base + ["--format", "json", TRACEBACK],
            f"{args.log_mb:g} MB log (--file)": base + ["--file", str(log)],
        }
        for name, path in _hostile(Path(folder)).items():
            cases[name] = base + ["--file", str(path)]
        print(f"command: {' '.join(_command())} explain   ({args.runs} runs each)")
        for name, command in cases.items():
            if args.only and args.only not in name:
                continue
            timed = _time(command, args.runs, args.timeout)
            if timed is None:
                print(f"  {name:28s} over the {args.timeout:g} s timeout")
                continue
            median, worst, found = timed
            print(
                f"  {name:28s} median {median * 1000:6.0f} ms   worst {worst * 1000:6.0f} ms"
                f"   {'error found' if found else 'NO ERROR FOUND'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
