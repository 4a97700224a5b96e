"""Run Vertex training work locally: custom jobs' worker pools and tuning trials.

A worker pool's ``pythonPackageSpec`` runs as ``sys.executable -m <pythonModule> <args>`` in a
subprocess. Its ``packageUris`` that point into the emulated bucket (``.tar.gz`` sources as
``CustomJob.from_local_script`` builds them, or ``.whl`` files) are unpacked and put first on
``PYTHONPATH``; otherwise the module is imported from the current environment (the labs are
installed in it). A ``containerSpec`` runs only when its command starts with ``python``,
``python3`` or ``python -m``: the emulator runs no containers.

Environment set for the process (as Vertex sets it): ``AIP_MODEL_DIR``,
``AIP_CHECKPOINT_DIR``, ``AIP_TENSORBOARD_LOG_DIR`` (gs:// URIs under the job's
``baseOutputDirectory``, per trial for tuning), ``CLOUD_ML_JOB_ID``, ``CLOUD_ML_TRIAL_ID`` and
``CLOUD_ML_HP_METRIC_FILE`` for trials, ``CLOUD_ML_PROJECT_ID``, ``GOOGLE_CLOUD_PROJECT`` and
``STORAGE_EMULATOR_HOST`` so the trainer can write to gs:// with google-cloud-storage.

Tuning trials report their metric the ``cloudml-hypertune`` way: JSON lines appended to the file
named by ``CLOUD_ML_HP_METRIC_FILE``, e.g.
``{"timestamp": 1.0, "trial": "3", "accuracy": "0.91", "global_step": "5"}``; the last line
carrying the study's metric id wins.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mocks.vertex.exceptions import InvalidArgument
from mocks.vertex.storage import StorageBackend, StorageError

LOG_TAIL_CHARS = 2000


@dataclass
class RunResult:
    returncode: int
    log_path: Path
    message: str = ""  # why it failed, for the job's error
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def output_dirs(base_uri: str, trial_id: str | None = None) -> dict[str, str]:
    base = base_uri.rstrip("/") + "/" + (f"{trial_id}/" if trial_id else "")
    return {
        "AIP_MODEL_DIR": base + "model/",
        "AIP_CHECKPOINT_DIR": base + "checkpoints/",
        "AIP_TENSORBOARD_LOG_DIR": base + "logs/",
    }


def command_for(pool: dict) -> list[str]:
    """The command line of a worker pool, run with this interpreter."""
    package = pool.get("pythonPackageSpec")
    if package:
        module = package.get("pythonModule")
        if not module:
            raise InvalidArgument("pythonPackageSpec.pythonModule is required.")
        return [sys.executable, "-m", module, *package.get("args", [])]
    container = pool.get("containerSpec")
    if container:
        command = list(container.get("command", [])) + list(container.get("args", []))
        if command and os.path.basename(command[0]) in ("python", "python3"):
            return [sys.executable, *command[1:]]
        raise InvalidArgument(
            "The Vertex emulator runs no containers: give the worker pool a pythonPackageSpec "
            "(python_module + args), or a containerSpec whose command starts with 'python'."
        )
    raise InvalidArgument("A worker pool needs a pythonPackageSpec or a containerSpec.")


def package_roots(pool: dict, storage: StorageBackend, workdir: Path) -> list[str]:
    """Unpack the pool's packages from the emulated bucket; return PYTHONPATH entries."""
    roots: list[str] = []
    uris = (pool.get("pythonPackageSpec") or {}).get("packageUris", [])
    for index, uri in enumerate(uris):
        if not uri.startswith("gs://"):
            continue
        try:
            path = storage.local_path(uri)
        except StorageError as err:
            raise InvalidArgument(f"packageUris: {uri[:100]!r} is not a valid path: {err.message}") from err
        if not path.is_file():
            continue  # not in the emulated bucket: run from the current environment
        if path.suffix == ".whl":
            target = workdir / f"package{index}"
            with zipfile.ZipFile(path) as wheel:
                wheel.extractall(target)
            roots.append(str(target))
        elif path.name.endswith((".tar.gz", ".tgz", ".tar")):
            target = workdir / f"package{index}"
            with tarfile.open(path) as tar:
                tar.extractall(target, filter="data")
            roots.extend(str(p) for p in _source_roots(target))
    return roots


def _source_roots(folder: Path) -> list[Path]:
    """An sdist unpacks to NAME-VERSION/ holding setup.py and the package: use that folder."""
    roots = [p for p in sorted(folder.iterdir()) if p.is_dir() and _is_project(p)]
    return roots or [folder]


def _is_project(folder: Path) -> bool:
    return any((folder / f).is_file() for f in ("setup.py", "pyproject.toml", "setup.cfg"))


def run_pool(
    pool: dict,
    env: dict[str, str],
    storage: StorageBackend,
    workdir: Path,
    cancel: threading.Event,
    timeout: float,
    replica: str = "workerpool0-0",
) -> RunResult:
    """Run one worker pool replica to completion; its output goes to ``workdir/log.txt``."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "log.txt"
    command = command_for(pool)
    roots = package_roots(pool, storage, workdir)
    full_env = dict(os.environ)
    for item in (pool.get("pythonPackageSpec") or pool.get("containerSpec") or {}).get("env", []):
        full_env[item["name"]] = item.get("value", "")
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        roots + [p for p in (full_env.get("PYTHONPATH", ""), os.getcwd()) if p]
    )
    full_env["PYTHONUNBUFFERED"] = "1"
    with log_path.open("wb") as log:
        # A session of its own, so a timeout or cancel also stops what the trainer started.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=workdir,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if cancel.is_set() or time.monotonic() > deadline:
                _kill_group(process)
                if cancel.is_set():
                    return RunResult(-9, log_path, f"The replica {replica} was cancelled.")
                return RunResult(-9, log_path, (
                    f"The job exceeded its maximum running time ({timeout:g} s, "
                    "CustomJobSpec.scheduling.timeout) and was stopped."
                ), timed_out=True)
            cancel.wait(0.05)
    if process.returncode == 0:
        return RunResult(0, log_path)
    tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    message = (
        f"The replica {replica} exited with a non-zero status of {process.returncode}. "
        f"Last lines of its log:\n{tail}"
    )
    return RunResult(process.returncode, log_path, message)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def read_hypertune_metric(path: Path, metric_id: str) -> tuple[float, int] | None:
    """The last (value, global_step) reported for ``metric_id`` in a hypertune metric file."""
    if not path.is_file():
        return None
    found = None
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and metric_id in record:
            try:
                value = float(record[metric_id])
            except (TypeError, ValueError):
                continue
            found = (value, int(float(record.get("global_step", 0) or 0)))
    return found


# Study search --------------------------------------------------------------------------------
LINEAR, LOG, REVERSE_LOG = 1, 2, 3
GRID_SEARCH, RANDOM_SEARCH = 2, 3
MAXIMIZE, MINIMIZE = 1, 2


def _scale(spec: dict) -> int:
    value = spec.get("scaleType", LINEAR)
    names = {"UNIT_LINEAR_SCALE": LINEAR, "UNIT_LOG_SCALE": LOG, "UNIT_REVERSE_LOG_SCALE": REVERSE_LOG}
    return names.get(value, value) if isinstance(value, str) else int(value or LINEAR)


class Parameter:
    """One study parameter mapped to and from the unit interval (numeric ones)."""

    def __init__(self, spec: dict):
        self.id = spec.get("parameterId") or ""
        if not self.id:
            raise InvalidArgument("Every study parameter needs a parameterId.")
        self.scale = _scale(spec)
        if "doubleValueSpec" in spec or "integerValueSpec" in spec:
            self.kind = "double" if "doubleValueSpec" in spec else "integer"
            bounds = spec.get("doubleValueSpec") or spec.get("integerValueSpec")
            self.low, self.high = float(bounds.get("minValue", 0)), float(bounds.get("maxValue", 0))
            if self.low > self.high:
                raise InvalidArgument(f"Parameter {self.id}: minValue is above maxValue.")
            if self.scale in (LOG, REVERSE_LOG) and self.low <= 0:
                raise InvalidArgument(f"Parameter {self.id}: a log scale needs minValue > 0.")
            self.values: list = []
        elif "categoricalValueSpec" in spec:
            self.kind, self.values = "categorical", list(spec["categoricalValueSpec"]["values"])
        elif "discreteValueSpec" in spec:
            self.kind = "discrete"
            self.values = sorted(float(v) for v in spec["discreteValueSpec"]["values"])
        else:
            raise InvalidArgument(f"Parameter {self.id} has no value spec.")
        if self.kind in ("categorical", "discrete") and not self.values:
            raise InvalidArgument(f"Parameter {self.id} lists no values.")

    @property
    def numeric(self) -> bool:
        return self.kind in ("double", "integer")

    def from_unit(self, u: float):
        u = min(1.0, max(0.0, u))
        if self.kind in ("categorical", "discrete"):
            return self.values[min(len(self.values) - 1, int(u * len(self.values)))]
        if self.scale == LOG:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        elif self.scale == REVERSE_LOG:
            span = math.log(self.high) - math.log(self.low)
            x = self.high + self.low - math.exp(math.log(self.low) + (1 - u) * span)
        else:
            x = self.low + u * (self.high - self.low)
        x = min(self.high, max(self.low, x))
        return int(round(x)) if self.kind == "integer" else x

    def to_unit(self, value) -> float:
        if self.kind in ("categorical", "discrete"):
            index = self.values.index(value) if value in self.values else 0
            return (index + 0.5) / len(self.values)
        if self.high == self.low:
            return 0.5
        if self.scale == LOG:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        if self.scale == REVERSE_LOG:
            span = math.log(self.high) - math.log(self.low)
            return 1 - (math.log(self.high + self.low - value) - math.log(self.low)) / span
        return (value - self.low) / (self.high - self.low)

    def grid(self) -> list:
        if self.kind == "integer":
            return list(range(int(self.low), int(self.high) + 1))
        if self.kind == "double":
            raise InvalidArgument(
                f"GRID_SEARCH cannot enumerate the double parameter {self.id}; use discrete values."
            )
        return list(self.values)

    def as_arg(self, value) -> str:
        if self.kind == "integer":
            return str(int(value))
        if self.kind == "discrete" and float(value).is_integer():
            return str(int(value))
        return str(value)


class StudySearch:
    """Suggest trial parameters: random first, then local refinement around the best so far.

    ``ALGORITHM_UNSPECIFIED`` (Vertex's default, Bayesian there) runs ``ceil(maxTrials / 2)``
    random trials, then samples each later trial near the best completed one (Gaussian steps in
    the unit-scaled space, sigma 0.15 shrinking to 0.05; categorical values kept with
    probability 0.7). Near-best sampling is never worse than random on a smooth objective and
    the random half still explores. ``RANDOM_SEARCH`` stays random; ``GRID_SEARCH`` walks the
    grid in order.
    """

    def __init__(self, study_spec: dict, max_trials: int, seed: int):
        self.parameters = [Parameter(p) for p in study_spec.get("parameters", [])]
        if not self.parameters:
            raise InvalidArgument("studySpec.parameters must list at least one parameter.")
        metrics = study_spec.get("metrics", [])
        if len(metrics) != 1:
            raise InvalidArgument("studySpec.metrics must hold exactly one metric (metricId, goal).")
        self.metric_id = metrics[0].get("metricId", "")
        goal = metrics[0].get("goal", MAXIMIZE)
        self.goal = {"MAXIMIZE": MAXIMIZE, "MINIMIZE": MINIMIZE}.get(goal, goal)
        self.algorithm = study_spec.get("algorithm", 0)
        if isinstance(self.algorithm, str):
            self.algorithm = {"GRID_SEARCH": GRID_SEARCH, "RANDOM_SEARCH": RANDOM_SEARCH}.get(
                self.algorithm, 0
            )
        self.max_trials = max_trials
        self.random_trials = max(1, math.ceil(max_trials / 2))
        self.rng = random.Random(seed)
        self._grid_index = 0

    def better(self, a: float, b: float) -> bool:
        return a > b if self.goal == MAXIMIZE else a < b

    def best(self, completed: list[tuple[dict, float]]) -> tuple[dict, float] | None:
        best = None
        for params, value in completed:
            if best is None or self.better(value, best[1]):
                best = (params, value)
        return best

    def suggest(self, index: int, completed: list[tuple[dict, float]]) -> dict:
        if self.algorithm == GRID_SEARCH:
            return self._grid(index)
        best = self.best(completed)
        if self.algorithm == RANDOM_SEARCH or index < self.random_trials or best is None:
            return {p.id: p.from_unit(self.rng.random()) for p in self.parameters}
        progress = (index - self.random_trials) / max(1, self.max_trials - self.random_trials)
        sigma = 0.15 - 0.10 * progress
        params = {}
        for p in self.parameters:
            current = best[0][p.id]
            if p.numeric:
                params[p.id] = p.from_unit(p.to_unit(current) + self.rng.gauss(0, sigma))
            elif self.rng.random() < 0.7:
                params[p.id] = current
            else:
                params[p.id] = p.from_unit(self.rng.random())
        return params

    def _grid(self, index: int) -> dict:
        grids = [p.grid() for p in self.parameters]
        params = {}
        for p, values in zip(self.parameters, grids, strict=True):
            params[p.id] = values[index % len(values)]
            index //= len(values)
        return params

    def args(self, params: dict) -> list[str]:
        return [f"--{p.id}={p.as_arg(params[p.id])}" for p in self.parameters]
