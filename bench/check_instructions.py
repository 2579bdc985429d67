"""Count the instructions of keydoctor's check and of the AWS CLI command it is measured against.

Wall and CPU time on a shared machine move with its load (``check_vs_cli.py`` gives them with
the load average beside them); the number of instructions a process executes does not. This
runs both commands once under Valgrind's ``callgrind`` (every thread counted, the Python
start included) against the same local moto server and credentials file as
``check_vs_cli.py``, and prints the two counts and their ratio. Valgrind slows a program
about fifty times, so the probes' timeout is raised for the run; the answers are the same.
With ``--offline``: ``keydoctor check --offline`` against ``aws configure list`` on the
setup of ``offline_vs_cli.py`` (target 0.25).

Needs Valgrind (``apt-get install valgrind``) and the bench extra
(``pip install -e '.[bench]'``). Run: ``python bench/check_instructions.py``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys

from cli_setup import aws_cli, cli_env, credentials_ini, moto_bench

TARGET = 0.40  # the online check's budget against one `aws sts get-caller-identity`
OFFLINE_TARGET = 0.25  # the offline audit's budget against `aws configure list`
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(cmd: list[str], env: dict[str, str]) -> int:
    """Instructions executed by ``cmd`` and all its threads, as callgrind counts them."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        env=env, capture_output=True, text=True, timeout=900,
    )
    found = _REFS.search(run.stderr)
    if run.returncode not in (0, 1) or found is None:
        raise SystemExit(f"{cmd[0]} failed under valgrind: {run.stderr.strip()[-400:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--offline", action="store_true", help="check --offline, configure list")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    if args.offline:
        return report(*offline(), OFFLINE_TARGET, "check --offline", "configure list", args.json)
    with moto_bench() as moto, cli_env(
        credentials_ini(moto.keys.access_key_id, moto.keys.secret_access_key)
    ) as env:
        endpoint = moto.endpoint_args
        check = [sys.executable, "-m", "keydoctor", "check", "--bucket", moto.bucket,
                 "--timeout", "60", *endpoint]
        sts = [aws_cli(), "sts", "get-caller-identity", *endpoint]
        # one plain run of each first, so that both start from written bytecode
        for cmd in (check, sts):
            subprocess.run(cmd, env=env, capture_output=True, timeout=120)
        kd = instructions(check, env)
        aws = instructions(sts, env)
    return report(kd, aws, TARGET, "check --bucket B", "sts get-caller-identity", args.json)


def offline() -> tuple[int, int]:
    """``keydoctor check --offline`` and ``aws configure list`` on the offline bench's files."""
    from offline_vs_cli import CONFIG, CREDENTIALS

    audit = [sys.executable, "-m", "keydoctor", "check", "--offline"]
    listing = [aws_cli(), "configure", "list"]
    with cli_env(CREDENTIALS, CONFIG) as env:
        for cmd in (audit, listing):
            subprocess.run(cmd, env=env, capture_output=True, timeout=120)
        return instructions(audit, env), instructions(listing, env)


def report(kd: int, aws: int, target: float, ours: str, theirs: str, as_json: bool) -> int:
    ratio = kd / aws
    figures = {
        "keydoctor": ours,
        "aws": theirs,
        "keydoctor_instructions": kd,
        "aws_instructions": aws,
        "ratio": round(ratio, 3),
        "target_ratio": target,
        "target_met": ratio <= target,
    }
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"keydoctor {ours:<24} {kd:>15,} instructions")
        print(f"aws {theirs:<30} {aws:>15,} instructions")
        verdict = "met" if ratio <= target else "NOT met"
        print(f"keydoctor = {ratio:.3f}x (target <= {target:.2f}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
