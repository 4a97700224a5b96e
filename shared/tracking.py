"""MLflow set-up shared by both labs: a SQLite tracking store and explicit artefact folders.

MLflow 3's file store is in maintenance mode, so the kit uses ``sqlite:///out/mlflow.db`` unless
``MLFLOW_TRACKING_URI`` says otherwise, and gives every experiment an explicit artefact location
beside the database. Parameters pass through :func:`safe_params`, which drops anything that
looks like a secret, so keys never reach MLflow.

A new SQLite store costs MLflow several seconds of schema migrations, paid by every first run in
a fresh folder and by every test that uses a new folder. The kit migrates one empty store per
MLflow version, keeps it in its cache, and starts each new store as a copy of it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from shared.config import SECRET_NAMES, Secret, redact

DEFAULT_DIR = Path("out")
_SECRET_HINTS = ("key", "secret", "token", "password", "credential")


def tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        DEFAULT_DIR.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{(DEFAULT_DIR / 'mlflow.db').resolve()}"
    if uri.startswith("sqlite:///"):
        seed_store(Path(uri.removeprefix("sqlite:///")))
    return uri


def seed_store(db: Path) -> None:
    """Start a store that does not exist yet as a copy of the cached empty, migrated one."""
    if db.exists() or not db.parent.is_dir():
        return
    template = empty_store()
    if template is not None:
        shutil.copyfile(template, db)


def empty_store() -> Path | None:
    """The cached empty store of the installed MLflow, migrated on first use; None if it cannot be."""
    import mlflow

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "labkit"
    template = cache / f"mlflow-{mlflow.__version__}-empty.db"
    if template.is_file():
        return template
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            fresh = Path(tmp) / "empty.db"
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            # The default experiment's artefact folder is relative, so no path of this cache sticks.
            SqlAlchemyStore(f"sqlite:///{fresh}", "mlartifacts").engine.dispose()
            os.replace(fresh, template)  # atomic: another process sees all of it or nothing
    except Exception:  # noqa: BLE001 - without the cache MLflow migrates the new store itself
        return None
    return template


def _artifact_root(uri: str) -> Path:
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"
    return DEFAULT_DIR.resolve() / "mlartifacts"


def experiment(name: str) -> str:
    """Point MLflow at the kit's store and return the id of experiment NAME (created if new)."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        mlflow.set_experiment(experiment_id=found.experiment_id)
        return found.experiment_id
    location = (_artifact_root(uri) / name.replace("/", "_")).resolve()
    location.mkdir(parents=True, exist_ok=True)
    experiment_id = mlflow.create_experiment(name, artifact_location=location.as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def safe_params(params: dict) -> dict:
    """Parameters fit to log: secrets dropped, secret values masked inside other strings."""
    clean = {}
    for key, value in params.items():
        if isinstance(value, Secret) or key.upper() in SECRET_NAMES:
            continue
        if any(hint in key.lower() for hint in _SECRET_HINTS):
            continue
        clean[key] = redact(str(value)) if isinstance(value, str) else value
    return clean
