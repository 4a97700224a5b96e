"""Stage 5, tuning: ONE search space, written once, used by two tuners.

The space is written the keras-tuner way, as a function that asks a `HyperParameters` object for
each value (`search_space`). Two tuners use it:

* locally, **keras-tuner** (Bayesian optimisation) calls it inside the model-building function;
* on Vertex, a **HyperparameterTuningJob** needs the same space as the SDK's parameter specs:
  `vertex_parameter_spec` reads the ranges keras-tuner recorded and turns each into a
  `DoubleParameterSpec`, `IntegerParameterSpec`, `DiscreteParameterSpec` or
  `CategoricalParameterSpec`. Each trial runs `trainer.py`, which receives the values as
  ``--<name>=<value>`` and reports the metric through CLOUD_ML_HP_METRIC_FILE.

Change `search_space` and both tuners follow: there is no second copy to forget. The budget (a
few trials of a few epochs) keeps a local search to about a minute on two CPU cores.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from labs.gcp.attachments import data
from labs.gcp.attachments.trainer import METRIC

OBJECTIVE = (METRIC, "maximize")
MAX_TRIALS, EPOCHS = 4, 8


def search_space(hp) -> dict:
    """Ask HP for one value of every tuned parameter; returns {name: value}."""
    return {
        "learning_rate": hp.Float("learning_rate", 1e-3, 1e-2, sampling="log"),
        "filters": hp.Choice("filters", [16, 24, 32]),
        "dropout": hp.Float("dropout", 0.0, 0.4),
    }


def vertex_parameter_spec(space=None) -> dict:
    """SPACE (default `search_space`) as the `parameter_spec` of an aiplatform
    HyperparameterTuningJob: {name: hpt.<Kind>ParameterSpec}."""
    import keras_tuner as kt
    from google.cloud.aiplatform import hyperparameter_tuning as hpt

    hp = kt.HyperParameters()
    (space or search_space)(hp)  # keras-tuner records every range it is asked for in hp.space
    # BEGIN SOLUTION
    # HINT: for each p in hp.space: kt.HyperParameters' kinds are Float (min_value, max_value,
    # HINT: sampling "linear"/"log"), Int (same), Choice (values), Boolean; map them to
    # HINT: hpt.DoubleParameterSpec(min=, max=, scale=), IntegerParameterSpec, DiscreteParameterSpec
    # HINT: (numbers, scale="linear") or CategoricalParameterSpec (strings and booleans)
    from keras_tuner.src.engine import hyperparameters as kinds

    specs = {}
    for p in hp.space:
        scale = "log" if getattr(p, "sampling", None) == "log" else "linear"
        if isinstance(p, kinds.Float):
            specs[p.name] = hpt.DoubleParameterSpec(min=p.min_value, max=p.max_value, scale=scale)
        elif isinstance(p, kinds.Int):
            specs[p.name] = hpt.IntegerParameterSpec(min=p.min_value, max=p.max_value, scale=scale)
        elif isinstance(p, kinds.Choice) and all(isinstance(v, int | float) for v in p.values):
            specs[p.name] = hpt.DiscreteParameterSpec(values=list(p.values), scale="linear")
        elif isinstance(p, kinds.Choice | kinds.Boolean):
            values = [False, True] if isinstance(p, kinds.Boolean) else p.values
            specs[p.name] = hpt.CategoricalParameterSpec(values=[str(v) for v in values])
        else:
            raise ValueError(f"No Vertex parameter spec for {type(p).__name__} {p.name!r}.")
    return specs
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
                 epochs: int = EPOCHS, seed: int = data.SEED, size: int = data.IMAGE_SIZE) -> SearchResult:
    """Bayesian optimisation with keras-tuner over `search_space`, with class weights."""
    import keras_tuner as kt

    from labs.gcp.attachments.model import build_model
    from labs.gcp.attachments.trainer import early_stopping

    data.tf().keras.utils.set_random_seed(seed)
    tuner = kt.BayesianOptimization(
        lambda hp: build_model(**search_space(hp), size=size),
        objective=kt.Objective(OBJECTIVE[0], direction="max"),
        max_trials=max_trials, seed=seed, directory=str(directory), project_name="attachments",
        overwrite=True,
    )
    started = time.perf_counter()
    tuner.search(data.make_dataset(splits.train, shuffle=True, seed=seed, size=size),
                 validation_data=data.make_dataset(splits.validation, batch_size=128, size=size),
                 epochs=epochs, shuffle=False, verbose=0, class_weight=data.class_weights(splits.train),
                 callbacks=[early_stopping()])
    seconds = time.perf_counter() - started
    trials = [{"params": dict(t.hyperparameters.values), "value": float(t.score)}
              for t in tuner.oracle.trials.values() if t.score is not None]
    best = tuner.oracle.get_best_trials(1)[0]
    history = {name: [float(obs.value[0]) for obs in best.metrics.get_history(name)]
               for name in best.metrics.metrics}
    with warnings.catch_warnings():  # the optimizer state is not restored; inference needs none
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        best_model = tuner.get_best_models(1)[0]
    return SearchResult(dict(best.hyperparameters.values), float(best.score), trials, seconds,
                        best_model, history)


# What the trainer needs, as a source distribution Vertex's training container pip-installs.
PACKAGE_FILES = (
    "labs/__init__.py", "labs/gcp/__init__.py", "labs/gcp/attachments/__init__.py",
    "labs/gcp/attachments/data.py", "labs/gcp/attachments/model.py",
    "labs/gcp/attachments/trainer.py", "shared/__init__.py", "shared/config.py", "shared/gcp.py",
    "shared/datasets/__init__.py", "shared/datasets/attachments.py",
    "shared/datasets/attachments_draw.py", "shared/datasets/attachments_nuisances.py",
    "shared/datasets/loading.py", "shared/datasets/tickets.py", "shared/datasets/vocab.py",
)


TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-17.py310:latest"
SETUP_PY = """from setuptools import find_packages, setup

setup(name="labkit-trainer", version="0.1.0", packages=find_packages(),
      install_requires=["google-cloud-storage>=2.14", "python-dotenv>=1.0", "pillow>=10"])
"""


def package_trainer(conn, workdir: str | Path) -> str:
    """PACKAGE_FILES and a setup.py as a .tar.gz sdist in the staging bucket; returns its URI."""
    import tarfile

    import shared
    from shared.gcp import upload_dir

    # labs/ from the folder this lab runs from (your workspace holds only labs/), shared/ from the kit
    labs_root, kit_root = Path(__file__).resolve().parents[3], Path(shared.__file__).resolve().parents[1]
    folder = Path(workdir) / "upload"
    folder.mkdir(parents=True, exist_ok=True)
    name = "labkit-trainer-0.1.0"
    with tarfile.open(folder / f"{name}.tar.gz", "w:gz") as tar:
        for rel in PACKAGE_FILES:
            tar.add((labs_root if rel.startswith("labs/") else kit_root) / rel, f"{name}/{rel}")
        setup = Path(workdir) / "setup.py"
        setup.write_text(SETUP_PY)
        tar.add(setup, f"{name}/setup.py")
    uri = f"{conn.staging_bucket}/packages/{int(time.time() * 1000)}"
    upload_dir(folder, uri)
    return f"{uri}/{name}.tar.gz"


def vertex_search(conn, workdir: str | Path, max_trials: int = 2, parallel: int = 2,
                  epochs: int = 4, train_size: int = 300, validation_size: int = 150, sync: bool = True,
                  data_uri: str | None = None):
    """The same search as a Vertex HyperparameterTuningJob; each trial runs trainer.py on the
    first TRAIN_SIZE training images: those under DATA_URI (gs://.../train and validation/, as
    the trainer's --data-dir), else the kit's, which the trial draws itself from the seed."""
    from google.cloud import aiplatform

    args = [f"--epochs={epochs}", f"--train-size={train_size}", f"--validation-size={validation_size}"]
    if data_uri:
        args.append(f"--data-dir={data_uri}")
    spec = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
            "python_package_spec": {"executor_image_uri": TRAINING_IMAGE,
                                    "package_uris": [package_trainer(conn, workdir)],
                                    "python_module": "labs.gcp.attachments.trainer", "args": args}}
    job = aiplatform.CustomJob(display_name="attachments-trial", worker_pool_specs=[spec],
                               base_output_dir=f"{conn.staging_bucket}/tuning/{int(time.time())}")
    hp_job = aiplatform.HyperparameterTuningJob(
        display_name="attachments-tuning", custom_job=job, metric_spec=vertex_metric_spec(),
        parameter_spec=vertex_parameter_spec(), max_trial_count=max_trials,
        parallel_trial_count=parallel)
    hp_job.run(sync=sync)
    return hp_job


def best_trial(hp_job) -> tuple[dict, float, str]:
    """(params, metric value, trial id) of the finished job's best trial (the metric is maximised)."""
    done = [t for t in hp_job.trials if t.final_measurement and t.final_measurement.metrics]
    if not done:
        raise RuntimeError("The tuning job has no completed trial with a metric; read the trials' logs.")
    best = max(done, key=lambda t: t.final_measurement.metrics[0].value)
    return ({p.parameter_id: p.value for p in best.parameters}, best.final_measurement.metrics[0].value, best.id)
