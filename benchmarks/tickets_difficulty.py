"""The ticket dataset's two settings: ceiling, baseline, Keras and tuned Keras on each.

    .venv/bin/python benchmarks/tickets_difficulty.py                       # both, ~5-10 min
    .venv/bin/python benchmarks/tickets_difficulty.py --difficulty hard --seed 1

For each setting (`shared.datasets.tickets.generate(seed, difficulty)`), on its 2,000-ticket
test split: category macro-F1 and accuracy, priority macro-F1, of
* the ceiling: the category each ticket had before label noise (what a perfect reader of the
  text answers; its only errors are the noisy labels),
* the GCP lab's baseline (TF-IDF + logistic regression, `labs/gcp/ticket_triage/baseline.py`),
* the lab's Keras model with default parameters (`trainer.train`),
* the Keras model tuned with keras-tuner on validation (`tune.local_search`, its trials).
Accuracy's 95% interval on 2,000 tickets is about +-0.013 at 0.9 (Wilson): a gap of one point
between two models on one seed is within noise, several points is not.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time


def splits_for(seed: int, difficulty: str):
    from labs.gcp.ticket_triage.data import Splits
    from shared.datasets.tickets import generate

    ds = generate(seed=seed, difficulty=difficulty)
    return ds, Splits(train=ds.train, validation=ds.validation, test=ds.test, stream=ds.stream)


def wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def measure(seed: int, difficulty: str, trials: int) -> list[tuple[str, dict, float]]:
    from labs.gcp.ticket_triage import data, evaluate, model, tune
    from labs.gcp.ticket_triage.baseline import train_baseline
    from labs.gcp.ticket_triage.trainer import train

    ds, splits = splits_for(seed, difficulty)
    test = splits.test
    clean = {"category": [ds.clean_labels.get(t["id"], t["category"]) for t in test],
             "priority": [t["priority"] for t in test]}
    rows = [("ceiling: labels before noise", evaluate.evaluate(test, clean), 0.0)]
    started = time.perf_counter()
    baseline = train_baseline(splits.train)
    rows.append(("baseline: TF-IDF + logistic regression", evaluate.evaluate(test, baseline.predict(test)),
                 time.perf_counter() - started))
    default = train(splits)
    probs = model.predict_probs(default.model, data.texts(test))
    rows.append(("Keras, default params", evaluate.evaluate(test, evaluate.labels_from_probs(probs)),
                 default.seconds))
    with tempfile.TemporaryDirectory() as tmp:
        search = tune.local_search(splits, tmp, max_trials=trials)
    probs = model.predict_probs(search.best_model, data.texts(test))
    rows.append((f"Keras, tuned ({len(search.trials)} trials) {_fmt(search.best_params)}",
                 evaluate.evaluate(test, evaluate.labels_from_probs(probs)), search.seconds))
    return rows


def _fmt(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def main(argv: list[str] | None = None) -> None:
    from labs.gcp.ticket_triage.tune import MAX_TRIALS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--difficulty", default="standard,hard", help="settings, comma-separated")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--trials", type=int, default=MAX_TRIALS, help=f"keras-tuner trials (default {MAX_TRIALS})")
    args = p.parse_args(argv)
    for difficulty in args.difficulty.split(","):
        rows = measure(args.seed, difficulty, args.trials)
        print(f"\n{difficulty} (seed {args.seed}): test split n=2000 tickets; train 5000, validation 1000")
        print(f"  {'model':<70} {'cat F1':>6} {'cat acc [95% CI]':>22} {'pri F1':>6} {'seconds':>7}")
        for name, m, seconds in rows:
            low, high = wilson(m["category_accuracy"], 2000)
            print(f"  {name:<70} {m['category_macro_f1']:6.3f} {m['category_accuracy']:6.3f} "
                  f"[{low:.3f}, {high:.3f}] {m['priority_macro_f1']:6.3f} {seconds:7.1f}")


if __name__ == "__main__":
    main()
