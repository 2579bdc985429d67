"""Time ``keydoctor check --bucket B`` against the manual loop of the troubleshooting pages.

Everything runs against the same local moto server (IAM authentication enforced), with
the same credentials file, pair by pair so that machine load hits both sides alike:

* ``keydoctor check --bucket B`` (offline audit + every probe);
* the manual loop: ``aws configure list; aws sts get-caller-identity; aws s3 ls;
  aws iam list-access-keys``;
* ``aws sts get-caller-identity`` alone.

Target: keydoctor's whole check at most 0.40x the single ``aws sts get-caller-identity``.
Needs the bench extra: ``pip install -e '.[bench]'``. Run: ``python bench/check_vs_cli.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from cli_setup import aws_cli, cli_env, credentials_ini, moto_bench

# The online check (identity, buckets, region, list, read) may cost at most this share of one
# `aws sts get-caller-identity`: the redesign into one access layer must not cost speed.
TARGET = 0.40


def _timed(cmds: list[list[str]], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of running ``cmds`` one after the other.

    CPU time is read from the reaped children's usage: on a loaded machine the wall time
    mostly measures the wait for a core, the CPU time what the program itself costs.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in cmds:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd[:3])} failed: {done.stderr.strip()[:300]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _bytecode() -> str:
    """Whether keydoctor's modules run from cached bytecode or are compiled on every run.

    With ``PYTHONDONTWRITEBYTECODE`` set and no ``.pyc`` beside an editable install, every
    run compiles keydoctor's source again (about a quarter of its CPU time); the AWS CLI,
    installed by pip, always runs from bytecode. The figures say which case they measured.
    """
    import keydoctor.probes.runner as probe_module

    source = probe_module.__file__ or ""
    cached = importlib.util.cache_from_source(source)
    return "cached" if os.path.exists(cached) else "compiled from source on every run"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with moto_bench() as moto, cli_env(
        credentials_ini(moto.keys.access_key_id, moto.keys.secret_access_key)
    ) as env:
        endpoint = moto.endpoint_args
        bucket = moto.bucket
        aws = aws_cli()
        keydoctor = [sys.executable, "-m", "keydoctor", "check", "--bucket", bucket, *endpoint]
        manual = [
            [aws, "configure", "list"],
            [aws, "sts", "get-caller-identity", *endpoint],
            [aws, "s3", "ls", *endpoint],
            [aws, "iam", "list-access-keys", *endpoint],
        ]
        single = [[aws, "sts", "get-caller-identity", *endpoint]]
        # warm-up: first runs pay for cold disk caches
        for cmds in ([keydoctor], manual, single):
            _timed(cmds, env)
        rows: list[tuple[float, float, float]] = []
        cpu_rows: list[tuple[float, float]] = []
        for _ in range(args.rounds):
            (kd_wall, kd_cpu), (loop_wall, _), (one_wall, one_cpu) = (
                _timed([keydoctor], env),
                _timed(manual, env),
                _timed(single, env),
            )
            rows.append((kd_wall, loop_wall, one_wall))
            cpu_rows.append((kd_cpu, one_cpu))

    kd = statistics.median(r[0] for r in rows)
    loop = statistics.median(r[1] for r in rows)
    one = statistics.median(r[2] for r in rows)
    pair_ratio = statistics.median(r[0] / r[2] for r in rows)
    kd_cpu = statistics.median(r[0] for r in cpu_rows)
    one_cpu = statistics.median(r[1] for r in cpu_rows)
    cpu_ratio = statistics.median(r[0] / r[1] for r in cpu_rows if r[1] > 0)
    load = os.getloadavg()[0]
    bytecode = _bytecode()
    figures = {
        "rounds": args.rounds,
        "keydoctor_check_s": round(kd, 3),
        "manual_loop_s": round(loop, 3),
        "aws_sts_get_caller_identity_s": round(one, 3),
        "ratio_check_vs_sts_median_of_pairs": round(pair_ratio, 3),
        "ratio_check_vs_manual_loop": round(kd / loop, 3),
        "target_ratio_vs_sts": TARGET,
        "target_met": pair_ratio <= TARGET,
        "keydoctor_check_cpu_s": round(kd_cpu, 3),
        "aws_sts_get_caller_identity_cpu_s": round(one_cpu, 3),
        "ratio_cpu_check_vs_sts_median_of_pairs": round(cpu_ratio, 3),
        "load_average_1min": round(load, 2),
        "keydoctor_bytecode": bytecode,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"rounds: {args.rounds} (median; pairs run back to back)")
        print(f"keydoctor check --bucket B     {kd:6.3f} s")
        print(f"manual loop (4 aws commands)   {loop:6.3f} s   check = {kd / loop:.2f}x")
        print(
            f"aws sts get-caller-identity    {one:6.3f} s   check = {pair_ratio:.2f}x "
            f"(target <= {TARGET:.2f}: {'met' if pair_ratio <= TARGET else 'NOT met'})"
        )
        print(f"CPU time: check {kd_cpu:.3f} s, sts {one_cpu:.3f} s, check = {cpu_ratio:.2f}x")
        print(f"load average (1 min): {load:.2f}; keydoctor's bytecode: {bytecode}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
