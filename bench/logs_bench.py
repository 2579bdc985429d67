"""``keydoctor logs`` throughput against the floor of decompressing the same files.

On a tree written by ``bench/gen_logs.py`` (or any CloudTrail tree), measures:

* the floor: ``zcat`` of every ``.json.gz`` file to ``/dev/null`` (gzip decompression alone);
* DuckDB: ``keydoctor logs TREE --format json --quiet``, wall time and peak memory (the
  largest resident set of the child, from ``getrusage``);
* with ``--spark``: the same command with ``--engine spark`` (PySpark ``local[2]``), and
  whether its answer equals DuckDB's, row for row (every field but the engine's name).

Prints one JSON object. The machine's load average is printed too: on a shared machine
the figures are only comparable within one run.

    python bench/gen_logs.py /tmp/trail --accounts 4 --regions 3 --files 12 --records 1000 \\
        --target-mb 1024
    python bench/logs_bench.py /tmp/trail --spark
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def gz_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json.gz") if "CloudTrail-Digest" not in p.parts)


def uncompressed_size(path: Path) -> int:
    """The gzip trailer's ISIZE (the input size modulo 2**32; CloudTrail files are small)."""
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return int(struct.unpack("<I", handle.read(4))[0])


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, bytes, int]:
    """Wall seconds, stdout and the child's peak RSS in MB (this run only)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {proc.stderr.decode()[-500:]}")
    return wall, proc.stdout, (peak if peak > before else 0) // 1024


def zcat_floor(files: list[Path]) -> float:
    start = time.perf_counter()
    for first in range(0, len(files), 500):
        with open(os.devnull, "wb") as sink:
            subprocess.run(
                ["zcat", "-q", *map(str, files[first : first + 500])],
                stdout=sink,
                stderr=subprocess.DEVNULL,
                check=False,
            )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--spark", action="store_true", help="also run --engine spark")
    args = parser.parse_args()
    files = gz_files(args.tree)
    compressed = sum(p.stat().st_size for p in files)
    raw = sum(uncompressed_size(p) for p in files)
    keydoctor = [sys.executable, "-m", "keydoctor", "logs", str(args.tree), "--quiet"]
    zcat_s = zcat_floor(files)
    duck_s, duck_out, duck_mb = timed([*keydoctor, "--format", "json"])
    duck = json.loads(duck_out)
    events = duck["read"]["records"]
    result: dict[str, Any] = {
        "files": len(files),
        "gzip_mb": round(compressed / 1e6, 1),
        "json_mb": round(raw / 1e6, 1),
        "records": events,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "zcat_s": round(zcat_s, 1),
        "zcat_json_mb_per_s": round(raw / 1e6 / zcat_s, 1),
        "duckdb_s": round(duck_s, 1),
        "duckdb_json_mb_per_s": round(raw / 1e6 / duck_s, 1),
        "duckdb_events_per_s": round(events / duck_s),
        "duckdb_over_zcat": round(duck_s / zcat_s, 2),
        "duckdb_peak_rss_mb": duck_mb,
    }
    if args.spark:
        env = dict(os.environ, KEYDOCTOR_SPARK_MASTER="local[2]")
        spark_s, spark_out, _ = timed([*keydoctor, "--format", "json", "--engine", "spark"], env)
        spark = json.loads(spark_out)
        spark.pop("engine")
        duck.pop("engine")
        result.update(
            spark_local2_s=round(spark_s, 1),
            spark_events_per_s=round(events / spark_s),
            spark_events_per_s_per_core=round(events / spark_s / 2),
            spark_equals_duckdb=spark == duck,
            keys=len(duck["keys"]),
            source_rows=sum(len(k["sources"]) for k in duck["keys"]),
        )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
