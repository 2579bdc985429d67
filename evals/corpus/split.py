"""Assign each corpus case to ``train`` or ``heldout`` by its source thread.

The split is by source URL, so every case taken from one thread lands on the same
side. It is deterministic: the sha256 of the normalised URL decides, and a source is
held out when ``int(hash[:8], 16) % 10 < 3`` (about 30 %).

Usage::

    python evals/corpus/split.py --write   # writes evals/corpus/split.json
    python evals/corpus/split.py --stats   # counts by family, category, split and tool
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.jsonl"
SPLIT = HERE / "split.json"
HELDOUT_BUCKETS = 3
BUCKETS = 10

#: The tool families a case's ``family`` field names, one per case. ``boto3`` covers
#: Python (boto3, botocore, aiobotocore, s3fs, pandas); ``minio`` covers mc, minio-go and
#: the MinIO server; ``k8s`` covers EKS, IRSA, Karpenter and external-dns; ``ci`` covers
#: GitHub Actions, GitLab and Jenkins; ``observability-storage`` covers Loki, Thanos,
#: Mimir, Cortex, Tempo and Prometheus; ``backup`` covers restic, Velero, Duplicati, Borg.
FAMILIES = (
    "aws-cli",
    "boto3",
    "sdk-java",
    "sdk-go",
    "sdk-js",
    "sdk-dotnet",
    "sdk-php",
    "sdk-ruby",
    "sdk-rust",
    "sdk-cpp",
    "sdk-mobile",
    "terraform",
    "cdk-cloudformation",
    "serverless",
    "ansible",
    "pulumi",
    "k8s",
    "ci",
    "registry-ecr",
    "console",
    "web-upload",
    "rclone",
    "s3cmd",
    "minio",
    "ceph-rgw",
    "s3-mounts",
    "backup",
    "hadoop-spark",
    "databricks",
    "snowflake",
    "redshift",
    "athena-glue",
    "airflow",
    "dbt",
    "observability-storage",
    "other",
)


def normalise(url: str) -> str:
    """Normalise a URL: trimmed, lower-case scheme and host, no trailing slash or fragment."""
    url = url.strip()
    url = url.split("#", 1)[0]
    scheme, sep, rest = url.partition("://")
    if sep:
        host, slash, path = rest.partition("/")
        url = f"{scheme.lower()}://{host.lower()}{slash}{path}"
    return url.rstrip("/")


def is_heldout(url: str) -> bool:
    """True when the source thread belongs to the held-out side."""
    digest = hashlib.sha256(normalise(url).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % BUCKETS < HELDOUT_BUCKETS


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """Read the corpus, one JSON object a line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def compute_split(cases: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """The split of the distinct sources of ``cases``, each list sorted."""
    sources = sorted({str(case["source"]) for case in cases})
    return {
        "heldout_sources": [s for s in sources if is_heldout(s)],
        "train_sources": [s for s in sources if not is_heldout(s)],
    }


def _table(title: str, counts: Counter[str]) -> str:
    """A small two-column Markdown table, largest count first."""
    rows = [f"| {title} | cases |", "|---|---:|"]
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows += [f"| {key} | {n} |" for key, n in ordered]
    return "\n".join(rows)


def stats(cases: list[dict[str, Any]]) -> str:
    """Counts by family, by category, by split and by tool, as Markdown tables."""
    by_family: Counter[str] = Counter(str(c.get("family", "?")) for c in cases)
    by_tool: Counter[str] = Counter(str(c["tool"]) for c in cases)
    by_category: Counter[str] = Counter(str(c["category"]) for c in cases)
    by_split: Counter[str] = Counter(
        "heldout" if is_heldout(str(c["source"])) else "train" for c in cases
    )
    sources = compute_split(cases)
    lines = [
        f"cases: {len(cases)}; distinct sources: {len({c['source'] for c in cases})}; "
        f"families: {len(by_family)}; tools: {len(by_tool)}",
        f"sources heldout/train: {len(sources['heldout_sources'])}/{len(sources['train_sources'])}",
        "",
        _table("split", by_split),
        "",
        _table("family", by_family),
        "",
        _table("category", by_category),
        "",
        _table("tool", by_tool),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write`` writes split.json, ``--stats`` prints counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write split.json")
    parser.add_argument("--stats", action="store_true", help="print counts")
    args = parser.parse_args(argv)
    if not (args.write or args.stats):
        parser.print_help()
        return 2
    cases = load_cases()
    if args.write:
        SPLIT.write_text(json.dumps(compute_split(cases), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {SPLIT.name}")
    if args.stats:
        print(stats(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
