# MUTANT: what: only the last epoch's value of each metric
# ruff: noqa  (a deliberately broken copy of the lab module)
"""Stage 6, tracking: every run and trial in MLflow, the chosen model in its registry.

A training run records its parameters (through `shared.tracking.safe_params`, so no secret can
leak), every epoch's metrics (step = epoch, so the learning curves draw), the confusion matrix on
the test split as a PNG, and the exported SavedModel as the artefact folder ``model/``. The model
chosen for deployment is registered under REGISTERED_MODEL. The drawing of the confusion matrix
and the registration are the ticket lab's (`labs.gcp.ticket_triage.track`), reused as they are.
"""

from __future__ import annotations

from pathlib import Path

from labs.gcp.ticket_triage.track import confusion_png, log_model_dir, register
from shared.datasets.attachments import TYPES
from shared.tracking import experiment, safe_params

EXPERIMENT = "gcp/attachments"
REGISTERED_MODEL = "attachments-gcp"

__all__ = ["EXPERIMENT", "REGISTERED_MODEL", "log_model_dir", "log_training", "register", "start_run"]


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
        mlflow.log_metric(name, float(values[-1]), step=len(values) - 1)  # BUG: no curve
    png = confusion_png(confusion, TYPES, Path(folder) / "confusion.png", "type (test)")
    mlflow.log_artifact(str(png), "plots")
    # END SOLUTION
