"""Baseline vs default Keras model vs tuned Keras model on the ticket test split (GCP lab).

    .venv/bin/python benchmarks/gcp_triage_models.py

Prints macro-F1 and accuracy per head on the 2,000-ticket test split, and the seconds spent
training and tuning on this machine. Every figure is computed here; nothing is typed by hand.
"""

from __future__ import annotations

import tempfile
import time


def main() -> None:
    from labs.gcp.ticket_triage import data, evaluate, model, tune
    from labs.gcp.ticket_triage.baseline import train_baseline
    from labs.gcp.ticket_triage.trainer import train

    splits = data.load_splits()
    rows = []
    started = time.perf_counter()
    baseline = train_baseline(splits.train)
    rows.append(("baseline: TF-IDF + logistic regression", time.perf_counter() - started,
                 evaluate.evaluate(splits.test, baseline.predict(splits.test))))

    default = train(splits)
    probs = model.predict_probs(default.model, data.texts(splits.test))
    rows.append(("Keras, default params", default.seconds,
                 evaluate.evaluate(splits.test, evaluate.labels_from_probs(probs))))

    with tempfile.TemporaryDirectory() as tmp:
        search = tune.local_search(splits, tmp)
    probs = model.predict_probs(search.best_model, data.texts(splits.test))
    rows.append((f"Keras, tuned ({len(search.trials)} keras-tuner trials)", search.seconds,
                 evaluate.evaluate(splits.test, evaluate.labels_from_probs(probs))))

    print(f"test split: {len(splits.test)} tickets; train {len(splits.train)}")
    print(f"{'model':<42} {'cat F1':>7} {'cat acc':>7} {'pri F1':>7} {'pri acc':>7} {'seconds':>8}")
    for name, seconds, m in rows:
        print(f"{name:<42} {m['category_macro_f1']:7.3f} {m['category_accuracy']:7.3f} "
              f"{m['priority_macro_f1']:7.3f} {m['priority_accuracy']:7.3f} {seconds:8.1f}")
    print(f"default params {default.params}, best epoch {default.best_epoch}")
    print(f"tuned params {search.best_params}")


if __name__ == "__main__":
    main()
