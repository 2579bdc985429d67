"""Fit the weights ``keydoctor explain`` ranks pasted text with, on the corpus's training side.

Usage::

    python evals/corpus/fit.py --write    # fit and write src/keydoctor/catalog/learned.json
    python evals/corpus/fit.py --check    # exit 1 when the committed file differs from a re-fit
    python evals/corpus/fit.py --report   # the 5-fold figures and calibration on train

Needs numpy and scipy (``pip install -e '.[fit]'``); the runtime reads the written numbers
and needs neither.

What it does, and why each step is so:

* **Features** are computed by the package itself (:func:`keydoctor.catalog.matcher.
  text_features`), the function ``explain`` ranks with, so training and runtime see the
  same evidence: the first error's code and family, how it was found, every clue and fact
  that fired, the tool, its language, the HTTP status, and each word within 600 characters
  of the error (a word is weighed only when ``MIN_WORD_CASES`` training cases show it).
* **Only the training side** of the frozen split (``split.json``) is read for fitting,
  choosing the model, the temperature and the threshold. The held-out side is for the
  final report (``bench/explain_eval.py``) alone.
* **The model** scores every cause category with a bias plus a weight per feature, and a
  softmax over every category the catalog has a cause to show for: those the error's
  entry lists, and the others by their general cause (``general = true`` in
  ``causes.toml``). Where the entry lists a category (1st, 2nd, 3rd, later, or not at
  all) is a fitted feature, so the catalog's order counts as evidence without fencing the
  answer in: one real error in seven has a cause its entry does not name. Two regularised
  families are tried, multinomial logistic regression with an L2 penalty and Bernoulli
  naive Bayes with additive smoothing, each at a few strengths; the one with the best
  5-fold top-1 (then log-loss) wins. Folds are by source thread (sha256 of the URL), so a
  thread never sits on both sides of a fold.
* **Calibration**: one temperature divides every score, fitted to the out-of-fold scores
  of the chosen model (minimum log-loss). **Threshold**: the lowest top-cause probability
  at which the out-of-fold top cause was right at least ``TARGET_PRECISION`` of the time;
  below it ``explain`` says it is not sure and names the deciding command.
* **Deterministic**: fixed folds, a deterministic optimiser started from zeros, numbers
  rounded to four decimals, keys sorted: the same corpus gives a byte-identical file, whose
  header records the sha256 of the corpus and of the split it was fitted on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize, minimize_scalar

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES = HERE / "cases.jsonl"
SPLIT = HERE / "split.json"
OUT = REPO / "src" / "keydoctor" / "catalog" / "learned.json"
# The project's other labelled real-error sets (public threads, each with its source and the
# category the thread established): training data too, never the corpus's held-out side.
EXTRA = (
    REPO / "tests" / "data" / "errors-sample.jsonl",
    REPO / "tests" / "data" / "explain_cases.jsonl",
)
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE))

from split import normalise  # noqa: E402

from keydoctor.catalog.matcher import text_features  # noqa: E402
from keydoctor.catalog.schema import load_catalog  # noqa: E402
from keydoctor.model import Category  # noqa: E402

FOLDS = 5
LR_L2 = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)  # penalty strengths tried for logistic regression
NB_ALPHA = (0.1, 0.3, 1.0)  # smoothing tried for naive Bayes
TARGET_PRECISION = 0.8  # how often a "sure" top cause must have been right out of fold
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(13))  # 0.30 .. 0.90
BINS = 5
CATEGORIES = tuple(c.value for c in Category)
DECIMALS = 4
MIN_WORD_CASES = 3  # a word near the error is a feature once this many training cases show it
LISTED = 4  # weights for an error's 1st, 2nd, 3rd and every later listed category


@dataclass(frozen=True)
class Example:
    """One corpus case as the ranker sees it: its first error's candidates and features."""

    case_id: str
    source: str
    label: str
    causes: tuple[str, ...]  # the category of each catalog cause, catalog order; () if no error
    features: frozenset[str]
    # The categories explain weighs: the listed ones in catalog order, then every other
    # category with a general cause, in causes.toml's order (as matcher._rank does).
    candidates: tuple[str, ...] = ()

    @property
    def fittable(self) -> bool:
        """An error was found and the labelled category is among its candidates."""
        return self.label in self.candidates


@dataclass(frozen=True)
class Model:
    """A bias per category and a weight per (category, feature), over a vocabulary."""

    kind: str
    strength: float
    vocabulary: tuple[str, ...]
    bias: np.ndarray  # (categories,)
    weights: np.ndarray  # (categories, features)
    listing: np.ndarray  # (LISTED,): a weight for the error's 1st, 2nd, ... listed category

    def scores(self, examples: Sequence[Example]) -> np.ndarray:
        listed = _listed(examples) @ self.listing
        return design(examples, self.vocabulary) @ self.weights.T + self.bias + listed


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_cases(path: Path) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _example(case: dict[str, object]) -> Example:
    errors = text_features(str(case["text"]))
    causes = tuple(c.value for c in errors[0][1]) if errors else ()
    features = errors[0][2] if errors else frozenset()
    listed = tuple(dict.fromkeys(causes))
    general = tuple(c.value for c in load_catalog().general if c.value not in listed)
    candidates = listed + general if errors else ()
    return Example(
        str(case["id"]), str(case["source"]), str(case["category"]), causes, features, candidates
    )


def train_examples() -> tuple[list[Example], int]:
    """The training side of the frozen split, then the project's other labelled real cases
    (``EXTRA``), read through the package's own features; and how many come from the corpus.

    A case of ``EXTRA`` whose thread is on the held-out side is left out, so that nothing
    of a held-out thread is ever fitted on.
    """
    split = json.loads(SPLIT.read_text(encoding="utf-8"))
    train = set(split["train_sources"])
    heldout = {normalise(s) for s in split["heldout_sources"]}
    corpus = [_example(c) for c in _read_cases(CASES) if c["source"] in train]
    extra = [
        _example(c)
        for path in EXTRA
        for c in _read_cases(path)
        if normalise(str(c["source"])) not in heldout
    ]
    return corpus + extra, len(corpus)


def extra_digest() -> str:
    """One sha256 over the other labelled sets, in ``EXTRA``'s order."""
    joined = "".join(digest(path) for path in EXTRA)
    return hashlib.sha256(joined.encode("ascii")).hexdigest()


def fold_of(source: str) -> int:
    """A thread's fold: other hex digits of the URL's sha256 than the held-out split uses."""
    value = hashlib.sha256(normalise(source).encode("utf-8")).hexdigest()
    return int(value[8:16], 16) % FOLDS


def vocabulary(examples: Sequence[Example]) -> tuple[str, ...]:
    """Every feature the examples show, but a word only when it is near the error in at
    least ``MIN_WORD_CASES`` of them: rarer words would fit single threads, not evidence."""
    counts: dict[str, int] = {}
    for example in examples:
        for feature in example.features:
            counts[feature] = counts.get(feature, 0) + 1
    return tuple(
        sorted(f for f, n in counts.items() if not f.startswith("word:") or n >= MIN_WORD_CASES)
    )


def design(examples: Sequence[Example], vocab: Sequence[str]) -> np.ndarray:
    index = {f: i for i, f in enumerate(vocab)}
    matrix = np.zeros((len(examples), len(vocab)))
    for row, example in enumerate(examples):
        for feature in example.features:
            column = index.get(feature)
            if column is not None:
                matrix[row, column] = 1.0
    return matrix


def _mask(examples: Sequence[Example]) -> np.ndarray:
    mask = np.zeros((len(examples), len(CATEGORIES)), dtype=bool)
    for row, example in enumerate(examples):
        for category in example.candidates:
            mask[row, CATEGORIES.index(category)] = True
    return mask


def _listed(examples: Sequence[Example]) -> np.ndarray:
    """(examples, categories, LISTED): 1 where the category is the error's n-th listed one
    (the last column for every later place; a category the entry does not list has none).

    The catalog lists each error's causes most common first (from AWS's documentation);
    that order is evidence like any other, and its weight is fitted, not set by hand.
    """
    listed = np.zeros((len(examples), len(CATEGORIES), LISTED))
    for row, example in enumerate(examples):
        for position, category in enumerate(dict.fromkeys(example.causes)):
            listed[row, CATEGORIES.index(category), min(position, LISTED - 1)] = 1.0
    return listed


def _labels(examples: Sequence[Example]) -> np.ndarray:
    return np.array([CATEGORIES.index(e.label) for e in examples], dtype=int)


def _masked_log_softmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    masked = np.where(mask, scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    shifted = masked - top
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def fit_logistic(examples: Sequence[Example], l2: float) -> Model:
    """Conditional multinomial logistic regression with an L2 penalty on every number."""
    vocab = vocabulary(examples)
    x, y, mask = design(examples, vocab), _labels(examples), _mask(examples)
    listed = _listed(examples)
    n_cat, n_feat = len(CATEGORIES), len(vocab)
    rows = np.arange(len(examples))
    split = n_cat + n_cat * n_feat

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        bias, weights = theta[:n_cat], theta[n_cat:split].reshape(n_cat, n_feat)
        listing = theta[split:]
        logp = _masked_log_softmax(x @ weights.T + bias + listed @ listing, mask)
        value = -logp[rows, y].sum() + 0.5 * l2 * float(theta @ theta)
        grad = np.where(mask, np.exp(logp), 0.0)
        grad[rows, y] -= 1.0
        d_bias = grad.sum(axis=0) + l2 * bias
        d_weights = grad.T @ x + l2 * weights
        d_listing = np.einsum("ik,ikj->j", grad, listed) + l2 * listing
        return float(value), np.concatenate([d_bias, d_weights.ravel(), d_listing])

    start = np.zeros(split + LISTED)
    found = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-10},
    )
    theta = found.x
    return Model(
        "logistic-l2",
        l2,
        vocab,
        theta[:n_cat],
        theta[n_cat:split].reshape(n_cat, n_feat),
        theta[split:],
    )


def fit_naive_bayes(examples: Sequence[Example], alpha: float) -> Model:
    """Bernoulli naive Bayes with additive smoothing, written as a bias and log-odds weights."""
    vocab = vocabulary(examples)
    x, y = design(examples, vocab), _labels(examples)
    n_cat = len(CATEGORIES)
    counts = np.bincount(y, minlength=n_cat).astype(float)
    prior = (counts + alpha) / (counts.sum() + n_cat * alpha)
    present = np.zeros((n_cat, len(vocab)))
    np.add.at(present, y, x)
    theta = (present + alpha) / (counts[:, None] + 2 * alpha)
    bias = np.log(prior) + np.log1p(-theta).sum(axis=1)
    weights = np.log(theta) - np.log1p(-theta)
    return Model("naive-bayes", alpha, vocab, bias, weights, np.zeros(LISTED))


def fit(kind: str, strength: float, examples: Sequence[Example]) -> Model:
    usable = [e for e in examples if e.fittable]
    if kind == "logistic-l2":
        return fit_logistic(usable, strength)
    return fit_naive_bayes(usable, strength)


def ranked(example: Example, scores: np.ndarray) -> list[str]:
    """The example's candidate categories as explain orders them: by score, then by
    candidate order (explain lists one cause per category before the rest)."""
    distinct = list(example.candidates)
    order = sorted(
        range(len(distinct)),
        key=lambda i: (-scores[CATEGORIES.index(distinct[i])], i),
    )
    return [distinct[i] for i in order]


def top_probability(example: Example, scores: np.ndarray, temperature: float) -> tuple[str, float]:
    """The top category among the example's candidates, and its probability."""
    candidates = list(example.candidates)
    values = np.array([scores[CATEGORIES.index(c)] for c in candidates]) / temperature
    values = np.exp(values - values.max())
    values /= values.sum()
    best = ranked(example, scores)[0]
    return best, float(values[candidates.index(best)])


def out_of_fold(kind: str, strength: float, examples: Sequence[Example]) -> np.ndarray:
    """Every example's scores from a model fitted on the other folds."""
    scores = np.zeros((len(examples), len(CATEGORIES)))
    folds = [fold_of(e.source) for e in examples]
    for fold in range(FOLDS):
        fitting = [e for e, f in zip(examples, folds, strict=True) if f != fold]
        testing = [i for i, f in enumerate(folds) if f == fold]
        if not testing:
            continue
        model = fit(kind, strength, fitting)
        scores[testing] = model.scores([examples[i] for i in testing])
    return scores


def figures(
    examples: Sequence[Example], scores: np.ndarray, temperature: float = 1.0
) -> dict[str, float]:
    """top-1, top-3 (of all cases, a case without an error is a miss) and mean log-loss
    (of the cases whose label is among the candidates)."""
    top1 = top3 = 0
    losses: list[float] = []
    for example, row in zip(examples, scores, strict=True):
        if not example.candidates:
            continue
        order = ranked(example, row)
        top1 += order[0] == example.label
        top3 += example.label in order[:3]
        if example.fittable:
            candidates = list(example.candidates)
            values = np.array([row[CATEGORIES.index(c)] for c in candidates]) / temperature
            logp = values - values.max() - math.log(np.exp(values - values.max()).sum())
            losses.append(-float(logp[candidates.index(example.label)]))
    total = len(examples) or 1
    return {
        "cases": len(examples),
        "top1": top1 / total,
        "top3": top3 / total,
        "logloss": sum(losses) / len(losses) if losses else 0.0,
    }


def choose(
    examples: Sequence[Example],
) -> tuple[str, float, list[tuple[str, float, dict[str, float]]]]:
    """The model family and strength with the best 5-fold top-1, then log-loss."""
    tried: list[tuple[str, float, dict[str, float]]] = []
    for kind, strengths in (("logistic-l2", LR_L2), ("naive-bayes", NB_ALPHA)):
        for strength in strengths:
            tried.append((kind, strength, figures(examples, out_of_fold(kind, strength, examples))))
    best = max(tried, key=lambda t: (round(t[2]["top1"], 9), -round(t[2]["logloss"], 9)))
    return best[0], best[1], tried


def fit_temperature(examples: Sequence[Example], scores: np.ndarray) -> float:
    """The temperature that minimises the out-of-fold log-loss."""
    usable = [(e, row) for e, row in zip(examples, scores, strict=True) if e.fittable]

    def loss(log_t: float) -> float:
        subset_e = [e for e, _ in usable]
        subset_s = np.array([row for _, row in usable])
        return figures(subset_e, subset_s, math.exp(log_t))["logloss"]

    found = minimize_scalar(
        loss, bounds=(math.log(0.05), math.log(20.0)), method="bounded", options={"xatol": 1e-6}
    )
    return round(math.exp(float(found.x)), DECIMALS)


def calibration(
    pairs: Sequence[tuple[float, bool]], bins: int = BINS
) -> list[tuple[str, int, float, float]]:
    """Predicted (mean top probability) against observed (share right), in equal-width bins."""
    rows: list[tuple[str, int, float, float]] = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [(p, ok) for p, ok in pairs if low <= p < high or (index == bins - 1 and p == 1.0)]
        predicted = sum(p for p, _ in inside) / len(inside) if inside else 0.0
        observed = sum(ok for _, ok in inside) / len(inside) if inside else 0.0
        rows.append((f"{low:.1f}-{high:.1f}", len(inside), predicted, observed))
    return rows


def top_pairs(
    examples: Sequence[Example], scores: np.ndarray, temperature: float
) -> list[tuple[float, bool]]:
    """(top probability, top was right) for every example with an error found."""
    pairs: list[tuple[float, bool]] = []
    for example, row in zip(examples, scores, strict=True):
        if example.candidates:
            best, chance = top_probability(example, row, temperature)
            pairs.append((chance, best == example.label))
    return pairs


def choose_threshold(pairs: Sequence[tuple[float, bool]]) -> float:
    """The lowest threshold above which the top cause was right often enough out of fold."""
    for threshold in THRESHOLDS:
        sure = [ok for p, ok in pairs if p >= threshold]
        if sure and sum(sure) / len(sure) >= TARGET_PRECISION:
            return threshold
    return THRESHOLDS[-1]


@dataclass(frozen=True)
class Fitted:
    """Everything the fit decided, and the out-of-fold evidence it decided on."""

    model: Model
    temperature: float
    threshold: float
    tried: list[tuple[str, float, dict[str, float]]]
    oof_figures: dict[str, float]
    oof_corpus: dict[str, float]  # the same, on the corpus's training side alone
    oof_pairs: list[tuple[float, bool]]
    train_cases: int
    corpus_cases: int
    fitted_cases: int


def run_fit() -> Fitted:
    examples, corpus = train_examples()
    kind, strength, tried = choose(examples)
    oof = out_of_fold(kind, strength, examples)
    temperature = fit_temperature(examples, oof)
    pairs = top_pairs(examples, oof, temperature)
    threshold = choose_threshold(pairs)
    model = fit(kind, strength, examples)
    return Fitted(
        model,
        temperature,
        threshold,
        tried,
        figures(examples, oof, temperature),
        figures(examples[:corpus], oof[:corpus], temperature),
        pairs,
        len(examples),
        corpus,
        sum(e.fittable for e in examples),
    )


def _number(value: float) -> float:
    rounded = round(value, DECIMALS)
    return 0.0 if rounded == 0 else rounded


def render(fitted: Fitted) -> str:
    """learned.json, byte for byte: sorted keys, rounded numbers, zero weights left out.

    JSON rather than TOML: the runtime reads it on every ``explain`` and ``json`` parses
    it in a fraction of a millisecond where ``tomllib`` takes tens.
    """
    model = fitted.model
    categories: dict[str, object] = {}
    for index, category in enumerate(CATEGORIES):
        weights = {
            feature: _number(float(model.weights[index, column]))
            for column, feature in enumerate(model.vocabulary)
        }
        weights = {f: w for f, w in weights.items() if w != 0.0}
        bias = _number(float(model.bias[index]))
        if bias != 0.0 or weights:
            categories[category] = {"bias": bias, "weights": weights}
    document = {
        "about": "Generated by evals/corpus/fit.py --write from the training side of "
        "evals/corpus/ and tests/data/: do not edit by hand. explain scores a category as "
        "(bias + the weights of the features present + listing.positions[where the error's "
        "catalog causes list it, the last for every later place; nothing when they do not]) "
        "/ calibration.temperature, over every category with a cause to show.",
        "provenance": {
            "corpus_sha256": digest(CASES),
            "split_sha256": digest(SPLIT),
            "extra_sha256": extra_digest(),
            "corpus_train_cases": fitted.corpus_cases,
            "train_cases": fitted.train_cases,
            "fitted_cases": fitted.fitted_cases,
            "model": model.kind,
            "hyperparameter": model.strength,
            "folds": FOLDS,
        },
        "calibration": {"temperature": fitted.temperature, "threshold": fitted.threshold},
        "listing": {"positions": [_number(float(w)) for w in model.listing]},
        "category": categories,
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def report(fitted: Fitted) -> str:
    """The 5-fold figures of every model tried, and the chosen one's calibration."""
    lines = [
        f"train: {fitted.train_cases} cases ({fitted.corpus_cases} of the corpus's training side, "
        f"{fitted.train_cases - fitted.corpus_cases} of tests/data), {fitted.fitted_cases} with "
        "an error found and the labelled category among its candidates"
    ]
    for kind, strength, result in fitted.tried:
        lines.append(
            f"  5-fold {kind} {strength}: top-1 {result['top1']:.1%}, top-3 {result['top3']:.1%}, "
            f"log-loss {result['logloss']:.3f}"
        )
    oof = fitted.oof_figures
    lines.append(
        f"chosen {fitted.model.kind} {fitted.model.strength}; temperature {fitted.temperature}; "
        f"threshold {fitted.threshold}"
    )
    lines.append(
        f"5-fold (train, calibrated): top-1 {oof['top1']:.1%}, top-3 {oof['top3']:.1%}, "
        f"log-loss {oof['logloss']:.3f}"
    )
    corpus = fitted.oof_corpus
    lines.append(
        f"5-fold (corpus train side only): top-1 {corpus['top1']:.1%}, top-3 {corpus['top3']:.1%}"
    )
    lines.append("5-fold calibration of the top cause (bin: cases, predicted, observed):")
    for name, count, predicted, observed in calibration(fitted.oof_pairs):
        lines.append(f"  {name}: {count:3d}  {predicted:.2f}  {observed:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="write learned.json")
    parser.add_argument("--check", action="store_true", help="exit 1 if learned.json differs")
    parser.add_argument("--report", action="store_true", help="print the 5-fold figures")
    args = parser.parse_args(argv)
    if not (args.write or args.check or args.report):
        parser.print_help()
        return 2
    fitted = run_fit()
    text = render(fitted)
    if args.report:
        print(report(fitted))
    if args.write:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT.relative_to(REPO)}")
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(REPO)} is not what the corpus fits: run fit.py --write")
            return 1
        print(f"{OUT.relative_to(REPO)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
