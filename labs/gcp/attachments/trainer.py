"""Stage 4, training: the entry point that runs the same way locally, as a Vertex CustomJob and
as a hyperparameter-tuning trial.

    python -m labs.gcp.attachments.trainer --learning-rate 0.003 --model-dir out/model

* Data: ``--data-dir DIR`` (a folder with train/ and validation/ image folders, local or gs://),
  else the kit's generated dataset (``--train-size N`` keeps the first N training images).
* Where to save: ``--model-dir``, else ``AIP_MODEL_DIR`` (Vertex sets it to a gs:// URI), else
  ``out/model``.
* Tuning trials: Vertex passes each parameter as ``--<parameter_id>=<value>`` and reads the
  metric from the file named by ``CLOUD_ML_HP_METRIC_FILE`` (the ``cloudml-hypertune`` format you
  wrote by hand in the ticket lab).
* Class weights: the types are skewed (30% error screenshots, 12% shipping labels), so the loss
  weighs each type as if they were balanced (`data.class_weights`).
* Early stopping on the validation macro-F1; the weights of the best epoch are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from labs.gcp.attachments import data
from labs.gcp.attachments.model import DEFAULTS, build_model, export_model

METRIC = "val_macro_f1"  # what early stopping and both tuners maximise
EPOCHS, PATIENCE, BATCH_SIZE = 15, 4, 32


@dataclass
class TrainResult:
    model: object
    params: dict
    history: dict[str, list[float]]
    best_epoch: int  # 1-based
    seconds: float

    @property
    def best(self) -> float:
        return self.history[METRIC][self.best_epoch - 1]


def early_stopping(patience: int = PATIENCE):
    keras = data.tf().keras
    return keras.callbacks.EarlyStopping(monitor=METRIC, mode="max", patience=patience,
                                         restore_best_weights=True)


def train(splits: data.Splits, params: dict | None = None, epochs: int = EPOCHS,
          batch_size: int = BATCH_SIZE, seed: int = data.SEED, size: int = data.IMAGE_SIZE,
          callbacks: list | None = None) -> TrainResult:
    """Build and fit the CNN on splits.train with class weights, early stopping on validation."""
    keras = data.tf().keras
    params = {**DEFAULTS, **(params or {})}
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    model = build_model(**params, size=size)
    history = model.fit(
        data.make_dataset(splits.train, batch_size, shuffle=True, seed=seed, size=size),
        validation_data=data.make_dataset(splits.validation, batch_size=128, size=size),
        epochs=epochs, shuffle=False, verbose=0, class_weight=data.class_weights(splits.train),
        callbacks=[early_stopping(), *(callbacks or [])],
    ).history
    history = {name: [float(v) for v in values] for name, values in history.items()}
    best_epoch = 1 + max(range(len(history[METRIC])), key=lambda i: history[METRIC][i])
    return TrainResult(model, params, history, best_epoch, time.perf_counter() - started)


def report_metric(tag: str, value: float, step: int) -> None:
    """One cloudml-hypertune JSON line in $CLOUD_ML_HP_METRIC_FILE (nothing outside a trial)."""
    path = os.environ.get("CLOUD_ML_HP_METRIC_FILE")
    if path:
        line = {"timestamp": time.time(), "trial": os.environ.get("CLOUD_ML_TRIAL_ID", "0"),
                tag: str(value), "global_step": str(step)}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def save_model(result: TrainResult, model_dir: str) -> str:
    """Export to ``model_dir``; a gs:// URI is written locally first, then uploaded."""
    summary = {"params": result.params, "best_epoch": result.best_epoch, METRIC: result.best,
               "history": result.history, "seconds": result.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) if model_dir.startswith("gs://") else Path(model_dir)
        export_model(result.model, local)
        (local / "training.json").write_text(json.dumps(summary, indent=1))
        if model_dir.startswith("gs://"):
            from shared.gcp import upload_dir

            upload_dir(local, model_dir)
    return model_dir


def load_data(data_dir: str | None, train_size: int | None, validation_size: int | None) -> data.Splits:
    """--data-dir (local folder or gs:// copied here first) or the kit's generated images."""
    if data_dir is None:
        sizes = {k: v for k, v in (("train", train_size), ("validation", validation_size)) if v}
        return data.kit_splits(sizes={**sizes, "test": 1})
    if data_dir.startswith("gs://"):
        from shared.gcp import download_dir

        local = Path(tempfile.mkdtemp())
        download_dir(data_dir, local)
        data_dir = str(local)
    train = data.load_folder(Path(data_dir) / "train", require_labels=True)[:train_size]
    validation = data.load_folder(Path(data_dir) / "validation", require_labels=True)[:validation_size]
    return data.Splits(train, validation, [])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m labs.gcp.attachments.trainer",
                                description="Train the attachment CNN and export it for serving.")
    # Both spellings: people type --learning-rate, Vertex tuning passes --learning_rate=.
    p.add_argument("--learning-rate", "--learning_rate", type=float, default=DEFAULTS["learning_rate"])
    p.add_argument("--filters", type=int, default=DEFAULTS["filters"])
    p.add_argument("--dropout", type=float, default=DEFAULTS["dropout"])
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--data-dir", "--data_dir", default=None,
                   help="folder (or gs://) with train/ and validation/ image folders; default: the kit's images")
    p.add_argument("--train-size", "--train_size", type=int, default=None)
    p.add_argument("--validation-size", "--validation_size", type=int, default=None)
    p.add_argument("--seed", type=int, default=data.SEED)
    p.add_argument("--model-dir", "--model_dir", default=None,
                   help="where to export (local folder or gs://); default: $AIP_MODEL_DIR or out/model")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model_dir = args.model_dir or os.environ.get("AIP_MODEL_DIR") or "out/model"
    params = {"learning_rate": args.learning_rate, "filters": args.filters, "dropout": args.dropout}
    splits = load_data(args.data_dir, args.train_size, args.validation_size)
    result = train(splits, params, epochs=args.epochs, seed=args.seed)
    report_metric(METRIC, result.best, result.best_epoch)
    save_model(result, model_dir)
    print(json.dumps({"params": params, METRIC: round(result.best, 4), "best_epoch": result.best_epoch,
                      "seconds": round(result.seconds, 1), "model_dir": model_dir}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
