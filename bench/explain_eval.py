"""Measure ``keydoctor explain`` on labelled error texts.

Usage::

    python bench/explain_eval.py                      # the repository's own labelled sets
    python bench/explain_eval.py FILE.jsonl [...]     # any file of the same shape

With no file, it measures the real-error corpus (``evals/corpus/cases.jsonl``) on each side
of its frozen split (``evals/corpus/split.json``: held out by source thread, never used for
tuning), then ``tests/data/errors-sample.jsonl`` and ``tests/data/explain_cases.jsonl``.

Each file holds JSON lines with ``text``, ``code`` and ``category`` (the cause the public
thread established). The script runs ``keydoctor explain --batch`` on it, as a user would,
and prints per file:

* code recognised: among cases whose labelled code is actually shown in the text, the
  share where keydoctor reports that code (its error code or one of the aliases it lists);
* top-1 / top-3: the share of all cases whose labelled category is the first / among the
  first three ranked causes of the first error;
* calibration: the cases with an error found, in five bins of the first cause's
  probability, with the mean probability predicted and the share where it was right.

With no file it also prints the 5-fold cross-validation figures on the corpus's training
side from ``evals/corpus/fit.py`` (which needs the ``fit`` extra: numpy and scipy).

``--misses`` lists the cases that missed, to study patterns (never to copy a case's
cause into a rule that matches that one case). ``--only-untuned`` keeps the cases whose
``tuned`` field is false (held out while the catalog was written).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _shows_code(case: dict[str, object]) -> bool:
    code = str(case.get("code", ""))
    if not code or code.lower().startswith("none") or "no error code" in code:
        return False
    return code.lower() in str(case.get("text", "")).lower()


def _codes(result: dict[str, object]) -> set[str]:
    codes: set[str] = set()
    for error in result.get("errors", []) or []:  # type: ignore[union-attr]
        codes.add(str(error["error_code"]).lower())
        codes.update(str(a).lower() for a in error.get("aliases", []))
    return codes


def _categories(result: dict[str, object]) -> list[str]:
    return [str(c["category"]) for c in result.get("causes", []) or []]  # type: ignore[union-attr]


REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "evals" / "corpus" / "cases.jsonl"
SPLIT = REPO / "evals" / "corpus" / "split.json"
BLIND = REPO / "evals" / "blind"
SAMPLES = (
    REPO / "tests" / "data" / "errors-sample.jsonl",
    REPO / "tests" / "data" / "explain_cases.jsonl",
)


def evaluate(
    path: Path, *, misses: bool, only_untuned: bool, sources: frozenset[str] | None = None
) -> dict[str, Any]:
    cases = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if sources is not None:
        cases = [c for c in cases if c.get("source") in sources]
    if only_untuned:
        cases = [c for c in cases if c.get("tuned") is False]
    with tempfile.NamedTemporaryFile(
        "w", suffix=".jsonl", delete=False, encoding="utf-8"
    ) as handle:
        for case in cases:
            handle.write(json.dumps({"id": case.get("id"), "text": case["text"]}) + "\n")
        batch = handle.name
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "explain", "--batch", batch],
        capture_output=True,
        text=True,
        timeout=600,
    )
    Path(batch).unlink()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keydoctor explain --batch failed: {proc.stderr.strip()}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(results) == len(cases), "one result per case"
    shown = recognised = top1 = top3 = 0
    pairs: list[tuple[float, bool]] = []
    for case, result in zip(cases, results, strict=True):
        categories = _categories(result)
        expected = case["category"]
        hit1 = bool(categories) and categories[0] == expected
        if categories:
            pairs.append((float(result["causes"][0].get("probability", 0.0)), hit1))
        hit3 = expected in categories[:3]
        top1 += hit1
        top3 += hit3
        code_ok = None
        if _shows_code(case):
            shown += 1
            code_ok = str(case["code"]).lower() in _codes(result)
            recognised += code_ok
        if misses and (not hit3 or not hit1 or code_ok is False):
            print(
                f"  miss {case.get('id')}: want {expected} ({case.get('code')}); got "
                f"{result.get('error_code')} {categories[:3]}"
                + (" [code not recognised]" if code_ok is False else "")
            )
    total = len(cases) or 1
    return {
        "cases": len(cases),
        "with_code": shown,
        "code": recognised / shown if shown else 1.0,
        "top1": top1 / total,
        "top3": top3 / total,
        "calibration": calibration(pairs),
    }


def calibration(
    pairs: list[tuple[float, bool]], bins: int = 5
) -> list[tuple[str, int, float, float]]:
    """(bin, cases, mean predicted probability, share right) in equal-width bins."""
    rows = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [(p, ok) for p, ok in pairs if low <= p < high or (index == bins - 1 and p >= 1)]
        predicted = sum(p for p, _ in inside) / len(inside) if inside else 0.0
        observed = sum(ok for _, ok in inside) / len(inside) if inside else 0.0
        rows.append((f"{low:.1f}-{high:.1f}", len(inside), predicted, observed))
    return rows


def blind_readings(heldout: frozenset[str]) -> list[str]:
    """What readers who saw only the held-out texts (``evals/blind``) ranked first and in
    their first three: how much of the cause the text holds, beside keydoctor's figures."""
    labels = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            if case["source"] in heldout:
                labels[case["id"]] = case["category"]
    lines = []
    for path in sorted(BLIND.glob("*.jsonl")):
        reading = {
            row["id"]: row["top3"]
            for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        }
        missing = len(set(labels) - set(reading))
        top1 = sum(reading[i][0] == want for i, want in labels.items() if i in reading)
        top3 = sum(want in reading[i] for i, want in labels.items() if i in reading)
        total = len(labels) or 1
        lines.append(
            f"blind reading {path.stem}: {len(labels)} held-out cases; top-1 {top1 / total:.1%}, "
            f"top-3 {top3 / total:.1%}" + (f" ({missing} not read)" if missing else "")
        )
    return lines


def five_fold() -> str:
    """The fitting script's 5-fold figures on the training side, or why they are missing."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "evals" / "corpus" / "fit.py"), "--report"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"5-fold: not run ({last}; pip install -e '.[fit]')"
    return proc.stdout.rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the cases that missed")
    parser.add_argument("--only-untuned", action="store_true", help="only cases with tuned=false")
    args = parser.parse_args()
    runs: list[tuple[str, Path, frozenset[str] | None]] = [(str(p), p, None) for p in args.files]
    if not runs:
        split = json.loads(SPLIT.read_text(encoding="utf-8"))
        for side in ("heldout", "train"):
            runs.append((f"corpus {side}", CORPUS, frozenset(split[f"{side}_sources"])))
        runs += [(str(p.relative_to(REPO)), p, None) for p in SAMPLES if p.exists()]
    for name, path, sources in runs:
        if not path.exists():
            print(f"{name}: no such file", file=sys.stderr)
            return 2
        figures = evaluate(
            path, misses=args.misses, only_untuned=args.only_untuned, sources=sources
        )
        print(
            f"{name}: {figures['cases']} cases; code recognised {figures['code']:.0%} "
            f"(of {figures['with_code']} that show one); category top-1 {figures['top1']:.0%}, "
            f"top-3 {figures['top3']:.0%}"
        )
        if sources is not None:
            print("  calibration of the first cause (bin: cases, predicted, observed):")
            for name_, count, predicted, observed in figures["calibration"]:
                print(f"    {name_}: {count:3d}  {predicted:.2f}  {observed:.2f}")
    if not args.files:
        split = json.loads(SPLIT.read_text(encoding="utf-8"))
        for line in blind_readings(frozenset(split["heldout_sources"])):
            print(line)
        print(five_fold())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
