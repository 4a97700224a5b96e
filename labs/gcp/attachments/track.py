"""Stage 6, tracking: every run and trial in MLflow, the chosen model in its registry.

A training run records its parameters (through `shared.tracking.safe_params`, so no secret can
leak), every epoch's metrics (step = epoch, so the learning curves draw), the confusion matrix on
the test split as a PNG, and the exported SavedModel as the artefact folder ``model/``. The model
chosen for deployment is registered under REGISTERED_MODEL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.datasets.attachments import TYPES
from shared.tracking import experiment, safe_params

EXPERIMENT = "gcp/attachments"
REGISTERED_MODEL = "attachments-gcp"


def start_run(name: str, tags: dict | None = None):
    """An MLflow run in this lab's experiment (use it as a context manager)."""
    import mlflow

    experiment(EXPERIMENT)
    return mlflow.start_run(run_name=name, tags=tags)


def log_training(params: dict, history: dict[str, list[float]], confusion: list[list[int]],
                 folder: str | Path) -> None:
    """Inside an active run: the parameters, each metric once per epoch (step = epoch index,
    from 0), and the confusion matrix drawn to FOLDER/confusion.png, logged under ``plots/``."""
    import mlflow

    # BEGIN SOLUTION
    # HINT: mlflow.log_params(safe_params(params)); mlflow.log_metric(name, float(value),
    # HINT: step=epoch) for every value of every metric; confusion_png(confusion, TYPES, path,
    # HINT: title) then mlflow.log_artifact(str(path), "plots")
    mlflow.log_params(safe_params(params))
    for name, values in history.items():
        for epoch, value in enumerate(values):
            mlflow.log_metric(name, float(value), step=epoch)
    png = confusion_png(confusion, TYPES, Path(folder) / "confusion.png", "type (test)")
    mlflow.log_artifact(str(png), "plots")
    # END SOLUTION


def confusion_png(matrix: list[list[int]], labels, path: str | Path, title: str) -> Path:
    """The matrix as a heat map with its counts (rows true, columns predicted), saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(matrix, cmap="Greens")
    ax.set(xticks=range(len(labels)), yticks=range(len(labels)), xlabel="predicted", ylabel="true", title=title)
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_yticklabels(labels)
    for (row, col), count in np.ndenumerate(np.asarray(matrix)):
        ax.text(col, row, int(count), ha="center", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(path), dpi=80)
    plt.close(fig)
    return Path(path)


def log_model_dir(export_dir: str | Path) -> None:
    """The exported SavedModel as the run's ``model/`` artefact folder."""
    import mlflow

    mlflow.log_artifacts(str(export_dir), "model")


def register(run_id: str, name: str = REGISTERED_MODEL, description: str = "") -> str:
    """A new version of NAME whose source is the run's ``model/`` folder; returns the version.
    (MLflow 3's `register_model("runs:/...")` wants a model logged through a flavour; a SavedModel
    logged as plain artefacts is registered through the client.)"""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    source = client.get_run(run_id).info.artifact_uri + "/model"
    return str(client.create_model_version(name, source, run_id=run_id, description=description).version)
