"""Time ``keydoctor check --offline`` against ``aws configure list`` on the same setup.

Both commands read the same fresh HOME (a credentials file with two profiles, a config
file with regions, and the environment of the setup), run as subprocesses the way a
person runs them, pair by pair and in alternating order so that machine load and disk
caches hit both alike. The figure is the median of the per-pair ratios, with both
medians beside it.

``aws configure list`` shows only the winning source; ``keydoctor check --offline``
walks the whole chain, lists every shadowed source and runs every offline rule.
Target: keydoctor at most 0.25x the AWS CLI's wall time.

Needs the bench extra (the AWS CLI from PyPI): ``pip install -e '.[bench]'``.
Run: ``python bench/offline_vs_cli.py [--rounds 21] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cli_setup import aws_cli, cli_env

TARGET = 0.25

# Fake keys of the right shape: nothing here is ever sent anywhere.
CREDENTIALS = """\
[default]
aws_access_key_id = AKIAZ7BENCHDEFAULT01
aws_secret_access_key = x8Jq2Lr0Vw4Zt6Yb1Nc3Md5Pf7Qh9Sk0Tg2Ua4We

[dev]
aws_access_key_id = AKIAZ7BENCHDEVPROF02
aws_secret_access_key = p3Rk9Ts1Uv5Wx7Yz0Ab2Cd4Ef6Gh8Ij0Kl2Mn4Op
"""
CONFIG = """\
[default]
region = us-east-1

[profile dev]
region = eu-west-1
output = json
"""
SETUPS: dict[str, dict[str, str]] = {
    "default profile": {},
    "env keys over AWS_PROFILE=dev": {
        "AWS_PROFILE": "dev",
        "AWS_ACCESS_KEY_ID": "AKIAZ7BENCHENVKEYS03",
        "AWS_SECRET_ACCESS_KEY": "q4Sl0Ut2Vw6Xy8Za1Bc3De5Fg7Hi9Jk1Lm3No5Pq",
    },
}


def _keydoctor() -> list[str]:
    local = Path(sys.executable).with_name("keydoctor")
    if local.exists():
        return [str(local)]
    return [sys.executable, "-m", "keydoctor"]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {done.stderr.strip()[:300]}")
    return elapsed


def compile_bytecode() -> None:
    """Write keydoctor's .pyc files, as ``pip install`` does for the AWS CLI.

    In an editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` every recently edited
    module would be compiled from source on every run, which times the compiler, not
    keydoctor; compileall writes the bytecode regardless of that variable.
    """
    import compileall

    import keydoctor

    compileall.compile_dir(str(Path(keydoctor.__file__).parent), quiet=1)


def measure(env: dict[str, str], rounds: int) -> dict[str, float]:
    keydoctor = [*_keydoctor(), "check", "--offline"]
    aws = [aws_cli(), "configure", "list"]
    for cmd in (keydoctor, aws):  # warm-up: the first runs pay for cold disk caches
        _timed(cmd, env)
    kd_times: list[float] = []
    cli_times: list[float] = []
    for index in range(rounds):
        if index % 2 == 0:
            kd_times.append(_timed(keydoctor, env))
            cli_times.append(_timed(aws, env))
        else:
            cli_times.append(_timed(aws, env))
            kd_times.append(_timed(keydoctor, env))
    ratios = [k / c for k, c in zip(kd_times, cli_times, strict=True)]
    return {
        "keydoctor_median_s": round(statistics.median(kd_times), 4),
        "aws_configure_list_median_s": round(statistics.median(cli_times), 4),
        "ratio_median_of_pairs": round(statistics.median(ratios), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="pairs per setup (default 21)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    compile_bytecode()
    with cli_env(CREDENTIALS, CONFIG, prefix="kd-bench-offline-", private=True) as base:
        base.pop("NO_COLOR", None)
        results = {name: measure({**base, **extra}, args.rounds) for name, extra in SETUPS.items()}

    worst = max(r["ratio_median_of_pairs"] for r in results.values())
    if args.json:
        print(json.dumps({"rounds": args.rounds, "target": TARGET, "setups": results,
                          "worst_ratio": worst, "target_met": worst <= TARGET}, indent=2))
        return 0
    print(f"rounds: {args.rounds} pairs per setup, alternating order; medians")
    for name, r in results.items():
        print(f"{name}:")
        print(f"  keydoctor check --offline   {r['keydoctor_median_s']:7.3f} s")
        print(f"  aws configure list          {r['aws_configure_list_median_s']:7.3f} s")
        print(f"  ratio (median of pairs)     {r['ratio_median_of_pairs']:7.3f}x")
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"worst ratio {worst:.3f}x (target <= {TARGET:.2f}x: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
