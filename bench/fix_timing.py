"""Time ``keydoctor fix``: a tidy preview and apply, and a whole key rotation.

* ``fix tidy`` (dry run) and ``fix tidy --apply --unsafe`` on the ``messy`` golden case
  (tests/fixtures/fix/tidy/messy), a fresh copy for every apply;
* ``fix rotate-key --apply --unsafe`` against a local moto server (IAM authentication
  enforced), a fresh IAM user for every run: plan (STS + ListAccessKeys), CreateAccessKey,
  backup + atomic write, STS verification read back from the file, UpdateAccessKey.

Each command runs as a user would run it (a new Python process). Prints the median and
spread in milliseconds as JSON. Needs the lab extra. Run: ``python bench/fix_timing.py``.
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
import uuid
from pathlib import Path

from keydoctor.lab.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
MESSY = ROOT / "tests" / "fixtures" / "fix" / "tidy" / "messy"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:*AccessKey*", "sts:GetCallerIdentity"],
                   "Resource": "*"}],
}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def _fresh_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="kd-bench-"))
    (home / ".aws").mkdir()
    return home


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "keydoctor", "fix", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keydoctor fix {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
        "runs": len(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    homes: list[Path] = []
    try:
        preview, apply = [], []
        for _ in range(args.runs):
            home = _fresh_home()
            homes.append(home)
            for name in ("credentials", "config"):
                shutil.copyfile(MESSY / name, home / ".aws" / name)
            preview.append(_run(["tidy"], _env(home)))
            apply.append(_run(["tidy", "--apply", "--unsafe"], _env(home)))
        results["tidy_preview"] = _stats(preview)
        results["tidy_apply"] = _stats(apply)

        emulator = Emulator.start_subprocess()
        try:
            emulator.create_admin()
            emulator.enforce_auth()
            rotations = []
            for _ in range(args.runs):
                keys = emulator.create_user(f"bench{uuid.uuid4().hex[:8]}", POLICY)
                home = _fresh_home()
                homes.append(home)
                (home / ".aws" / "credentials").write_text(
                    f"[default]\naws_access_key_id = {keys.access_key_id}\n"
                    f"aws_secret_access_key = {keys.secret_access_key}\n")
                rotations.append(_run(["rotate-key", "--apply", "--unsafe", "--endpoint-url",
                                       emulator.endpoint], _env(home)))
            results["rotate_apply"] = _stats(rotations)
        finally:
            emulator.stop()
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
