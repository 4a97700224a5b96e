"""Baseline vs CNN vs tuned CNN on the attachment images: macro-F1, accuracy, times.

    .venv/bin/python benchmarks/gcp_attachments_quality.py [--data DIR] [--workers 2] [--trials 4]

Trains the GCP attachments lab's reference code on the train split (2,000 images), picks epochs
and trials on validation (500), and scores on the test split (1,000): the logistic-regression
baseline on hand-made features, the CNN with default parameters, and the keras-tuner search's
best CNN. Times are wall clock and CPU seconds of this process (the CPU figure is the fair one on
a shared machine). ``--data DIR`` reads a folder written by ``labkit data attachments --out DIR``
(or a run's ``<out>/data``); without it the images are generated here. Nothing is typed by hand:
the ceiling printed is 1 - LABEL_NOISE of the dataset module.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder with train/, validation/, test/ (default: generate)")
    parser.add_argument("--workers", type=int, default=2, help="processes drawing the images when generating")
    parser.add_argument("--trials", type=int, default=None, help="keras-tuner trials (default: the lab's)")
    parser.add_argument("--save", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    from labs.gcp.attachments import classify, data, evaluate, model, trainer, tune
    from labs.gcp.attachments.baseline import train_baseline
    from shared.datasets.attachments import LABEL_NOISE, SPLIT_SIZES, generate

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.data:
        splits = data.kit_splits(args.data)
    else:
        splits = data.Splits(*(data.from_attachments(generate(SPLIT_SIZES[s], split=s, workers=args.workers))
                               for s in ("train", "validation", "test")))
    truth = [i.type for i in splits.test]
    print(f"images: {len(splits.train)} train, {len(splits.validation)} validation, {len(truth)} test; "
          f"ceiling from {LABEL_NOISE:.0%} label noise: about {1 - LABEL_NOISE:.2f} accuracy")
    rows = {}
    print(f"\n{'model':<44} {'macro-F1':>8} {'accuracy':>8} {'n':>5} {'wall s':>7} {'CPU s':>7}")

    def show(name: str, row: dict) -> None:  # each row as soon as it is measured
        rows[name] = row
        print(f"{name:<44} {row['macro_f1']:8.3f} {row['accuracy']:8.3f} {row['n']:5d} {row['wall_s']:7.1f} "
              f"{row['cpu_s']:7.1f}", flush=True)

    base, wall, cpu = timed(lambda: train_baseline(splits.train))
    show("baseline (features + logistic regression)",
         {**evaluate.evaluate(truth, base.predict([i.data for i in splits.test])), "wall_s": wall, "cpu_s": cpu})

    def served_scores(keras_model) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            export = model.export_model(keras_model, tmp)
            results = classify.classify(classify.local_predictor(export), splits.test)
        return evaluate.evaluate(truth, [r["predicted_type"] for r in results])

    result, wall, cpu = timed(lambda: trainer.train(splits))
    show("CNN, default parameters", {**served_scores(result.model), "wall_s": wall, "cpu_s": cpu,
                                     "epochs": len(result.history[trainer.METRIC]), "best_epoch": result.best_epoch,
                                     "val_macro_f1": result.best, "params": result.params})
    trials = args.trials or tune.MAX_TRIALS
    with tempfile.TemporaryDirectory() as tmp:
        search, wall, cpu = timed(lambda: tune.local_search(splits, tmp, max_trials=trials))
    show(f"CNN, tuned ({trials} keras-tuner trials)", {
        **served_scores(search.best_model), "wall_s": wall, "cpu_s": cpu, "val_macro_f1": search.best_value,
        "params": search.best_params})
    for name, r in rows.items():
        if "params" in r:
            print(f"  {name}: validation macro-F1 {r['val_macro_f1']:.3f}, params {r['params']}")
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()
