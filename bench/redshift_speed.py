"""Wall time of ``keydoctor redshift``, as a user feels it.

Usage::

    python bench/redshift_speed.py [--runs 9] [--dump-mb 16]

Runs ``python -m keydoctor redshift`` as a subprocess: offline on one COPY statement,
offline on a SQL dump of several megabytes (one COPY among INSERTs), and online on one
COPY against a local moto server (identity, bucket region, LIST and GET with the
statement's own keys). Prints the median and worst wall time of each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COPY = (
    "COPY sales FROM 's3://{bucket}/tickit/' CREDENTIALS "
    "'aws_access_key_id={key_id};aws_secret_access_key={secret}' DELIMITER '|';"
)


def timed(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "keydoctor", "redshift", *args],
            env=env,
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--dump-mb", type=int, default=16)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    one = COPY.format(
        bucket="bucket-a",
        key_id="AKIAZ3MPLEREDSHIFT01",
        secret="Rs8kPq2Wm7Xv9Ty4Ln6Jc1Hd5Fb3Gz0Aq/Ke+Mw7",
    )
    median, worst = timed(["--offline", one], env, args.runs)
    print(f"offline, one statement:        median {median:.3f} s, worst {worst:.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump.sql"
        insert = "INSERT INTO t VALUES (1, 'a;b', $$c$$); -- row\n"
        count = args.dump_mb * 1024 * 1024 // len(insert)
        dump.write_text(one + "\n" + insert * count, encoding="utf-8")
        median, worst = timed(["--offline", "--file", str(dump)], env, max(1, args.runs // 3))
        print(
            f"offline, {args.dump_mb} MiB dump:          median {median:.3f} s, worst {worst:.3f} s"
        )
    from keydoctor.lab.emulator import Emulator

    emulator = Emulator.start_subprocess()
    try:
        emulator.create_admin()
        emulator.enforce_auth()
        emulator.create_bucket("bench-redshift")
        emulator.client("s3").put_object(Bucket="bench-redshift", Key="tickit/a.txt", Body=b"1")
        keys = emulator.create_user(
            "bench-loader",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:ListBucket", "s3:GetObject"],
                        "Resource": "*",
                    }
                ],
            },
        )
        sql = COPY.format(
            bucket="bench-redshift", key_id=keys.access_key_id, secret=keys.secret_access_key
        )
        online = ["--endpoint-url", emulator.endpoint, "--cluster-region", "us-east-1", sql]
        median, worst = timed(online, env, args.runs)
        print(f"online (moto), one statement:  median {median:.3f} s, worst {worst:.3f} s")
        result = subprocess.run(
            [sys.executable, "-m", "keydoctor", "redshift", "--format", "json", *online],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        probes = json.loads(result.stdout)["statements"][0]["probes"]
        print(
            "  probes: "
            + ", ".join(f"{p['name']} {p.get('duration_ms', 0):.0f} ms" for p in probes)
        )
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
