# MUTANT track__last_epoch_only: a plausible wrong track.py; the graded tests must fail on it.
# ruff: noqa
"""Stage 6, tracking: every run and trial in MLflow, the chosen model in its registry.

What a run records: its parameters (through `shared.tracking.safe_params`, so no secret can
leak), the metrics of every epoch (step = epoch), the test metrics, the confusion matrix as a
PNG, and the exported SavedModel as an artefact folder ``model/``. The model chosen for
deployment is registered under REGISTERED_MODEL, so "which model is in production, trained how"
has one answer.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from shared.tracking import experiment, safe_params

EXPERIMENT = "gcp/ticket_triage"
REGISTERED_MODEL = "ticket-triage-gcp"


@contextmanager
def tracked_run(name: str, params: dict | None = None, tags: dict | None = None):
    """An MLflow run in the lab's experiment, with its parameters logged."""
    import mlflow

    experiment(EXPERIMENT)
    with mlflow.start_run(run_name=name, tags=tags) as run:
        if params:
            mlflow.log_params(safe_params(params))
        yield run


def log_history(history: dict[str, list[float]]) -> None:
    """Log each Keras metric once per epoch, with the epoch as the step."""
    import mlflow

    # BEGIN SOLUTION
    # HINT: for every metric name and list of values in history: mlflow.log_metric(name,
    # HINT: float(value), step=epoch)
    for name, values in history.items():
        mlflow.log_metric(name, float(values[-1]))  # MUTANT: only the final epoch is kept
    # END SOLUTION


def confusion_png(matrix: list[list[int]], labels, path: str | Path, title: str) -> Path:
    """Draw a confusion matrix (rows true, columns predicted) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(labels), 0.8 + 0.6 * len(labels)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def log_evaluation(metrics: dict[str, float], confusions: dict[str, tuple[list, tuple]],
                   folder: str | Path) -> None:
    """Test metrics plus one confusion-matrix PNG per head ({head: (matrix, labels)})."""
    import mlflow

    mlflow.log_metrics({f"test_{k}": float(v) for k, v in metrics.items()})
    for head, (matrix, labels) in confusions.items():
        png = confusion_png(matrix, labels, Path(folder) / f"confusion_{head}.png", f"{head} (test)")
        mlflow.log_artifact(str(png), "plots")


def log_model_dir(export_dir: str | Path) -> None:
    """The exported SavedModel as the run's ``model/`` artefact folder."""
    import mlflow

    mlflow.log_artifacts(str(export_dir), "model")


def register(run_id: str, name: str = REGISTERED_MODEL, description: str = "") -> str:
    """Register the run's ``model/`` folder as a new version of NAME; returns the version.

    MLflow 3's `mlflow.register_model("runs:/...")` only accepts models logged through a
    flavour (`mlflow.<flavour>.log_model`); a SavedModel folder logged as plain artefacts is
    registered through the client with its artefact URI as the source.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    source = client.get_run(run_id).info.artifact_uri + "/model"
    version = client.create_model_version(name, source, run_id=run_id, description=description)
    return str(version.version)
