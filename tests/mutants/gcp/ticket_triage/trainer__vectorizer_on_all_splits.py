# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 4, training: the entry point that runs the same way locally, as a Vertex CustomJob
and as a hyperparameter-tuning trial.

    python -m labs.gcp.ticket_triage.trainer --learning-rate 0.01 --model-dir out/model

* Where to save: ``--model-dir``, else ``AIP_MODEL_DIR`` (Vertex sets it to a gs:// URI), else
  ``out/model``. The model is exported locally first, then copied when the target is gs://.
* Tuning trials: Vertex passes each parameter as ``--<parameter_id>=<value>`` (``--learning_rate``)
  and reads the metric from the file named by ``CLOUD_ML_HP_METRIC_FILE``, one JSON line per
  report, the format of Google's ``cloudml-hypertune`` package (written here by hand).
* Reproducible: fixed seeds (Python, NumPy, TensorFlow) and a seeded shuffle.
* Early stopping on the validation split; the weights of the best epoch are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from labs.gcp.ticket_triage import data
from labs.gcp.ticket_triage.model import DEFAULTS, build_model, export_model

METRIC = "val_macro_f1"  # mean of the two heads' validation macro-F1: what tuning maximises
EPOCHS, PATIENCE, BATCH_SIZE = 10, 2, 64


@dataclass
class TrainResult:
    model: object
    vectorizer: object
    params: dict
    history: dict[str, list[float]]
    best_epoch: int  # 1-based
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> float:
        return self.history[METRIC][self.best_epoch - 1]


def mean_f1_callback():
    """A Keras callback adding METRIC (mean of the heads' val macro-F1) to each epoch's logs.

    It must come first in the callback list: early stopping and keras-tuner read the same logs.
    """
    keras = data.tf().keras

    class MeanMacroF1(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs is not None and "val_category_macro_f1" in logs:
                logs[METRIC] = (float(logs["val_category_macro_f1"])
                                + float(logs["val_priority_macro_f1"])) / 2

    return MeanMacroF1()


def early_stopping(patience: int = PATIENCE):
    """Stop when the validation metric stops improving and keep the best epoch's weights."""
    keras = data.tf().keras
    # BEGIN SOLUTION
    # HINT: keras.callbacks.EarlyStopping(monitor=METRIC, mode="max", patience=...,
    # HINT: restore_best_weights=True)
    return keras.callbacks.EarlyStopping(
        monitor=METRIC, mode="max", patience=patience, restore_best_weights=True
    )
    # END SOLUTION


def train(splits: data.Splits, params: dict | None = None, epochs: int = EPOCHS,
          batch_size: int = BATCH_SIZE, seed: int = data.SEED, vectorizer=None,
          callbacks: list | None = None) -> TrainResult:
    """Adapt the vectorizer on train (unless given), build, fit with early stopping."""
    keras = data.tf().keras
    params = {**DEFAULTS, **(params or {})}
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    vectorizer = vectorizer or data.make_vectorizer(splits.train + splits.validation + splits.test)  # BUG
    model = build_model(vectorizer, **params)
    history = model.fit(
        data.make_dataset(splits.train, batch_size, shuffle=True, seed=seed),
        validation_data=data.make_dataset(splits.validation, batch_size=256),
        epochs=epochs, shuffle=False, verbose=0,
        callbacks=[mean_f1_callback(), early_stopping(), *(callbacks or [])],
    ).history
    best_epoch = 1 + max(range(len(history[METRIC])), key=lambda i: history[METRIC][i])
    return TrainResult(model, vectorizer, params, history, best_epoch,
                       time.perf_counter() - started)


def report_metric(tag: str, value: float, step: int, path: str | None = None) -> None:
    """Report a tuning metric the way Vertex reads it (the cloudml-hypertune format).

    Appends {"timestamp", "trial", tag, "global_step"} as one JSON line to the file named by
    CLOUD_ML_HP_METRIC_FILE; outside a tuning trial (no such variable) it does nothing.
    """
    path = path or os.environ.get("CLOUD_ML_HP_METRIC_FILE")
    if not path:
        return
    # BEGIN SOLUTION
    # HINT: values are strings in that format: {"timestamp": time.time(), "trial":
    # HINT: os.environ.get("CLOUD_ML_TRIAL_ID", "0"), tag: str(value), "global_step": str(step)};
    # HINT: open the file in append mode
    record = {"timestamp": time.time(), "trial": os.environ.get("CLOUD_ML_TRIAL_ID", "0"),
              tag: str(value), "global_step": str(step)}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    # END SOLUTION


def save_model(result: TrainResult, model_dir: str) -> str:
    """Export to ``model_dir``; a gs:// URI is written locally first, then uploaded."""
    summary = {"params": result.params, "best_epoch": result.best_epoch, METRIC: result.best,
               "history": result.history, "seconds": result.seconds}
    if not model_dir.startswith("gs://"):
        export_model(result.model, model_dir)
        (Path(model_dir) / "training.json").write_text(json.dumps(summary, indent=1))
        return model_dir
    from shared.gcp import upload_dir

    with tempfile.TemporaryDirectory() as tmp:
        export_model(result.model, tmp)
        (Path(tmp) / "training.json").write_text(json.dumps(summary, indent=1))
        upload_dir(tmp, model_dir)
    return model_dir


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m labs.gcp.ticket_triage.trainer",
        description="Train the ticket-triage model and export it for serving.",
    )
    # Both spellings: people type --learning-rate, Vertex tuning passes --learning_rate=.
    p.add_argument("--learning-rate", "--learning_rate", type=float, default=DEFAULTS["learning_rate"])
    p.add_argument("--hidden-units", "--hidden_units", type=int, default=DEFAULTS["hidden_units"])
    p.add_argument("--dropout", type=float, default=DEFAULTS["dropout"])
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-size", "--batch_size", type=int, default=BATCH_SIZE)
    p.add_argument("--train-size", "--train_size", type=int, default=None,
                   help="use only the first N training tickets (quick runs)")
    p.add_argument("--seed", type=int, default=data.SEED)
    p.add_argument("--model-dir", "--model_dir", default=None,
                   help="where to export (local folder or gs://); default: $AIP_MODEL_DIR or out/model")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model_dir = args.model_dir or os.environ.get("AIP_MODEL_DIR") or "out/model"
    params = {"learning_rate": args.learning_rate, "hidden_units": args.hidden_units,
              "dropout": args.dropout}
    splits = data.load_splits(seed=args.seed, train_size=args.train_size)
    result = train(splits, params, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    report_metric(METRIC, result.best, result.best_epoch)
    save_model(result, model_dir)
    print(json.dumps({"params": params, METRIC: round(result.best, 4),
                      "best_epoch": result.best_epoch, "seconds": round(result.seconds, 1),
                      "model_dir": model_dir}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
