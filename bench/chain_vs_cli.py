"""Time ``keydoctor check --profile three`` on a three-hop role chain against
``aws sts get-caller-identity --profile three``, both against the same local moto server.

The chain is base (a user's keys) -> one -> two -> three, each role trusting the session
of the one before. keydoctor's check assumes every hop itself (to name the hop that
breaks), traces the network path and runs its other probes; the AWS CLI assumes the three
roles and asks STS once. Pairs run back to back so machine load hits both sides alike.

Target: the check at most 0.5x the AWS CLI's call. Needs the bench extra:
``pip install -e '.[bench]'``. Run: ``python bench/chain_vs_cli.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keydoctor.lab.emulator import Emulator

TARGET = 0.5
ACCOUNT = "123456789012"


def _aws() -> str:
    local = Path(sys.executable).with_name("aws")
    found = str(local) if local.exists() else shutil.which("aws")
    if not found:
        raise SystemExit("the AWS CLI is missing: pip install -e '.[bench]'")
    return found


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {(done.stderr or done.stdout)[:400]}")
    return elapsed


def _trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--show", action="store_true", help="print one check's probes with their times, then stop"
    )
    args = parser.parse_args()

    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    emulator = Emulator.start_subprocess()
    try:
        emulator.create_admin()
        keys = emulator.create_user("chain-user", everything)
        iam = emulator.client("iam")
        previous = f"arn:aws:iam::{ACCOUNT}:user/chain-user"
        for name in ("hop1", "hop2", "hop3"):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(previous))
            iam.put_role_policy(
                RoleName=name, PolicyName="all", PolicyDocument=json.dumps(everything)
            )
            # moto matches principals exactly: trust the previous hop's session ARN.
            previous = f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/chain"
        emulator.enforce_auth()
        home = Path(tempfile.mkdtemp(prefix="kd-chain-bench-"))
        (home / ".aws").mkdir()
        credentials = home / ".aws" / "credentials"
        credentials.write_text(
            f"[base]\naws_access_key_id = {keys.access_key_id}\n"
            f"aws_secret_access_key = {keys.secret_access_key}\n"
        )
        credentials.chmod(0o600)
        (home / ".aws" / "config").write_text(
            "".join(
                f"[profile {name}]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{role}\n"
                f"source_profile = {source}\nrole_session_name = chain\nregion = us-east-1\n\n"
                for name, role, source in (
                    ("one", "hop1", "base"),
                    ("two", "hop2", "one"),
                    ("three", "hop3", "two"),
                )
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        # The AWS CLI's credential provider ignores --endpoint-url: its three AssumeRole
        # calls reach moto only through AWS_ENDPOINT_URL. keydoctor walks the chain at
        # --endpoint-url itself, so it runs as it would against AWS, without the variable
        # (which makes it leave its direct client for botocore's).
        cli_env = dict(env, AWS_ENDPOINT_URL=emulator.endpoint)
        endpoint = ["--endpoint-url", emulator.endpoint]
        keydoctor = [sys.executable, "-m", "keydoctor", "check", "--profile", "three", *endpoint]
        aws = [_aws(), "sts", "get-caller-identity", "--profile", "three", *endpoint]
        if args.show:
            shown = subprocess.run(
                [*keydoctor, "--format", "json"], env=env, capture_output=True, text=True
            )
            for probe in json.loads(shown.stdout)["probes"]:
                print(f"{probe['duration_ms']:8.1f} ms  {probe['name']}: {probe['outcome']}")
            return 0
        _timed(keydoctor, env)  # warm-up: first runs pay for cold disk caches
        _timed(aws, cli_env)
        rows = [(_timed(keydoctor, env), _timed(aws, cli_env)) for _ in range(args.rounds)]
    finally:
        emulator.stop()

    kd = statistics.median(r[0] for r in rows)
    cli = statistics.median(r[1] for r in rows)
    ratio = statistics.median(r[0] / r[1] for r in rows)
    figures = {
        "rounds": args.rounds,
        "keydoctor_check_three_hop_s": round(kd, 3),
        "aws_sts_get_caller_identity_three_hop_s": round(cli, 3),
        "ratio_median_of_pairs": round(ratio, 3),
        "target_ratio": TARGET,
        "target_met": ratio <= TARGET,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"rounds: {args.rounds} (median; pairs run back to back)")
        print(f"keydoctor check --profile three            {kd:6.3f} s")
        print(
            f"aws sts get-caller-identity --profile three {cli:6.3f} s   check = {ratio:.2f}x "
            f"(target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
