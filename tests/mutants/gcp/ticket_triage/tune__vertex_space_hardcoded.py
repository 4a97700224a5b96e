# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 5, tuning: ONE search space, defined once, used by two tuners.

* locally by **keras-tuner** (Bayesian optimisation): `keras_tuner_hp` turns SEARCH_SPACE into
  `hp.Float` / `hp.Choice` calls inside the model-building function;
* on Vertex by a **HyperparameterTuningJob**: `vertex_parameter_spec` and `vertex_metric_spec`
  turn the same SEARCH_SPACE and OBJECTIVE into the SDK's parameter and metric specs, and each
  trial runs `trainer.py`, which receives the values as ``--<name>=<value>`` and reports the
  metric through CLOUD_ML_HP_METRIC_FILE.

Change the space here and both tuners follow: no second copy to forget.
The budget (a few trials, at most EPOCHS epochs each) keeps a local search under a minute on
two CPU cores.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from labs.gcp.ticket_triage import data
from labs.gcp.ticket_triage.trainer import METRIC

# name -> how it varies. "double": a real range (scale "linear" or "log"); "discrete": numbers.
SEARCH_SPACE: dict[str, dict] = {
    "learning_rate": {"type": "double", "min": 1e-3, "max": 3e-2, "scale": "log"},
    "hidden_units": {"type": "discrete", "values": [16, 32, 64, 128]},
    "dropout": {"type": "double", "min": 0.0, "max": 0.5, "scale": "linear"},
}
OBJECTIVE = (METRIC, "maximize")
MAX_TRIALS, EPOCHS = 4, 5


def keras_tuner_hp(hp) -> dict:
    """Ask a keras-tuner `HyperParameters` for one value of every SEARCH_SPACE entry."""
    # BEGIN SOLUTION
    # HINT: "double" -> hp.Float(name, min_value, max_value, sampling="log" or "linear"); "discrete"
    # HINT: -> hp.Choice(name, values)
    params = {}
    for name, spec in SEARCH_SPACE.items():
        if spec["type"] == "double":
            params[name] = hp.Float(name, spec["min"], spec["max"], sampling=spec["scale"])
        elif spec["type"] == "discrete":
            params[name] = hp.Choice(name, spec["values"])
        else:
            raise ValueError(f"Unknown parameter type {spec['type']!r} for {name!r}.")
    return params
    # END SOLUTION


def vertex_parameter_spec() -> dict:
    """SEARCH_SPACE as the `parameter_spec` of an aiplatform.HyperparameterTuningJob."""
    from google.cloud.aiplatform import hyperparameter_tuning as hpt

    # BEGIN SOLUTION
    # HINT: hpt.DoubleParameterSpec(min=, max=, scale="log"|"linear");
    # HINT: hpt.DiscreteParameterSpec(values=, scale="linear")
    return {  # BUG: a second copy of the space, which drifts from SEARCH_SPACE
        "learning_rate": hpt.DoubleParameterSpec(min=1e-3, max=3e-2, scale="log"),
        "hidden_units": hpt.DiscreteParameterSpec(values=[16, 32, 64, 128], scale="linear"),
        "dropout": hpt.DoubleParameterSpec(min=0.0, max=0.5, scale="linear"),
    }
    # END SOLUTION


def vertex_metric_spec() -> dict:
    """OBJECTIVE as the `metric_spec` of a HyperparameterTuningJob: {metric_id: goal}."""
    return {OBJECTIVE[0]: OBJECTIVE[1]}


@dataclass
class SearchResult:
    best_params: dict
    best_value: float
    trials: list[dict]  # {"params", "value"} per completed trial
    seconds: float
    best_model: object = None  # the best trial's model, its best epoch's weights
    best_history: dict | None = None  # per-epoch metrics of the best trial


def local_search(splits: data.Splits, directory: str | Path, max_trials: int = MAX_TRIALS,
                 epochs: int = EPOCHS, seed: int = data.SEED, vectorizer=None) -> SearchResult:
    """Bayesian optimisation with keras-tuner over SEARCH_SPACE; the vectorizer is adapted once."""
    import keras_tuner as kt

    from labs.gcp.ticket_triage.model import build_model
    from labs.gcp.ticket_triage.trainer import early_stopping, mean_f1_callback

    vectorizer = vectorizer or data.make_vectorizer(splits.train)
    data.tf().keras.utils.set_random_seed(seed)
    tuner = kt.BayesianOptimization(
        lambda hp: build_model(vectorizer, **keras_tuner_hp(hp)),
        objective=kt.Objective(OBJECTIVE[0], direction="max"),
        max_trials=max_trials, seed=seed, directory=str(directory), project_name="ticket_triage",
        overwrite=True,
    )
    started = time.perf_counter()
    tuner.search(
        data.make_dataset(splits.train, shuffle=True, seed=seed),
        validation_data=data.make_dataset(splits.validation, batch_size=256),
        epochs=epochs, shuffle=False, verbose=0,
        callbacks=[mean_f1_callback(), early_stopping()],  # the mean metric must come first
    )
    seconds = time.perf_counter() - started
    trials = [{"params": dict(t.hyperparameters.values), "value": float(t.score)}
              for t in tuner.oracle.trials.values() if t.score is not None]
    best_trial = tuner.oracle.get_best_trials(1)[0]
    history = {name: [float(obs.value[0]) for obs in best_trial.metrics.get_history(name)]
               for name in best_trial.metrics.metrics}
    # The tuner kept the best epoch's weights: reuse them rather than training again. Keras
    # warns that the optimizer state is not restored; a model for inference does not need it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        best_model = tuner.get_best_models(1)[0]
    return SearchResult(dict(best_trial.hyperparameters.values), float(best_trial.score), trials,
                        seconds, best_model, history)


def vertex_search(conn, trainer_package_uri: str | None, max_trials: int = 4, parallel: int = 2,
                  epochs: int = EPOCHS, train_size: int | None = None, sync: bool = True):
    """Run the same search as a Vertex HyperparameterTuningJob; each trial runs trainer.py."""
    from google.cloud import aiplatform

    args = [f"--epochs={epochs}"] + ([f"--train-size={train_size}"] if train_size else [])
    job = aiplatform.CustomJob(
        display_name="ticket-triage-trial",
        worker_pool_specs=[trainer_pool_spec(trainer_package_uri, args)],
        base_output_dir=f"{conn.staging_bucket}/tuning/{int(time.time())}",
    )
    hp_job = aiplatform.HyperparameterTuningJob(
        display_name="ticket-triage-tuning", custom_job=job,
        metric_spec=vertex_metric_spec(), parameter_spec=vertex_parameter_spec(),
        max_trial_count=max_trials, parallel_trial_count=parallel,
    )
    hp_job.run(sync=sync)
    return hp_job


# What the trainer needs, as a source distribution Vertex's training container pip-installs.
PACKAGE_FILES = (
    "labs/__init__.py", "labs/gcp/__init__.py", "labs/gcp/ticket_triage/__init__.py",
    "labs/gcp/ticket_triage/data.py", "labs/gcp/ticket_triage/model.py",
    "labs/gcp/ticket_triage/trainer.py", "shared/__init__.py", "shared/config.py",
    "shared/gcp.py", "shared/datasets/__init__.py", "shared/datasets/tickets.py",
    "shared/datasets/vocab.py",
)
SETUP_PY = """from setuptools import find_packages, setup

setup(name="labkit-trainer", version="0.1.0", packages=find_packages(),
      install_requires=["google-cloud-storage>=2.14", "python-dotenv>=1.0"])
"""


def package_trainer(conn, workdir: str | Path) -> str:
    """Build the trainer's source package (.tar.gz) and upload it to the staging bucket."""
    import tarfile

    from shared.gcp import upload_dir

    root = Path(__file__).resolve().parents[3]
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = "labkit-trainer-0.1.0"
    archive = workdir / f"{name}.tar.gz"
    setup = workdir / "setup.py"
    setup.write_text(SETUP_PY)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(setup, f"{name}/setup.py")
        for rel in PACKAGE_FILES:
            tar.add(root / rel, f"{name}/{rel}")
    folder = workdir / "upload"
    folder.mkdir(exist_ok=True)
    (folder / archive.name).write_bytes(archive.read_bytes())
    uri = f"{conn.staging_bucket}/packages/{int(time.time() * 1000)}"
    upload_dir(folder, uri)
    return f"{uri}/{archive.name}"


TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-17.py310:latest"


def trainer_pool_spec(package_uri: str | None, args: list[str]) -> dict:
    """One worker pool that runs `python -m labs.gcp.ticket_triage.trainer ARGS`."""
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "python_package_spec": {
            "executor_image_uri": TRAINING_IMAGE,
            "package_uris": [package_uri] if package_uri else [],
            "python_module": "labs.gcp.ticket_triage.trainer",
            "args": args,
        },
    }


def best_trial(hp_job) -> tuple[dict, float, str]:
    """(params, metric value, trial id) of the best completed trial of a finished job."""
    best = None
    for trial in hp_job.trials:
        if not trial.final_measurement or not trial.final_measurement.metrics:
            continue
        value = trial.final_measurement.metrics[0].value
        if best is None or value > best[1]:
            params = {p.parameter_id: p.value for p in trial.parameters}
            best = (params, value, trial.id)
    if best is None:
        raise RuntimeError("The tuning job has no completed trial with a metric; "
                           "read the trials' logs (trainer errors end the trial).")
    return best
