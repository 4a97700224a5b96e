"""Shared, CPU-small artefacts for the GCP attachments graded tests.

Two things are slow here, so both are made once and kept on disk (shared by processes, runs and
the grading of every exercise):

* the images: a few hundred from the dataset generator (about 60 images/s per core), keyed by a
  hash of the generator's code;
* one small CNN trained on them, keyed by a hash of the training code as it runs now (grading one
  exercise runs the reference for the others), so the same code never trains twice. Lab code is
  still reached only through `lab_module`: grading a learner's copy trains THEIR code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

LAB = "gcp/attachments"
SIZES = {"train": 240, "validation": 60, "test": 80}
# Two 50-image windows per scenario: window 0 as in training, window 1 drifted (drift_start=1).
STREAM = {"scenarios": ("none", "dark_mode"), "windows": 2, "per_window": 50}
TRAIN_PARAMS, EPOCHS, IMAGE_SIZE = {"filters": 8, "learning_rate": 0.005, "dropout": 0.1}, 6, 48
TRAINING_MODULES = ("data", "model", "trainer")
CACHE = Path(tempfile.gettempdir()) / "labkit-test-models"
ROOT = Path(__file__).resolve().parents[4]
GENERATOR = ("attachments.py", "attachments_draw.py", "attachments_nuisances.py", "vocab.py")


def _atomic_folder(folder: Path, fill) -> Path:
    """Make FOLDER by fill(tmp) in a sibling temporary folder, renamed into place at once."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent))
    try:
        fill(work)
    except BaseException:  # the code under test failed: leave no half-written folder behind
        shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        work.rename(folder)  # atomic: another process sees all of it or nothing
    except OSError:  # another process finished first
        shutil.rmtree(work, ignore_errors=True)
    return folder


def images_folder() -> Path:
    """SIZES images per split and the STREAM windows, written once as --input folders."""
    digest = hashlib.sha256(repr((SIZES, STREAM)).encode())
    for name in GENERATOR:
        digest.update((ROOT / "shared" / "datasets" / name).read_bytes())

    def fill(work: Path) -> None:
        from shared.datasets.attachments import generate, stream, write_folder

        for split, n in SIZES.items():
            write_folder(generate(n, split=split), work / split)
        for scenario in STREAM["scenarios"]:
            windows = stream(scenario, windows=STREAM["windows"], per_window=STREAM["per_window"], drift_start=1)
            for w, items in enumerate(windows):
                write_folder(items, work / "stream" / scenario / str(w))

    return _atomic_folder(CACHE / f"attachments-images-{digest.hexdigest()[:16]}", fill)


@dataclass
class Images:
    folder: Path
    splits: object  # data.Splits

    def window(self, lab_module, scenario: str, window: int) -> list:
        return lab_module(LAB, "data").load_folder(self.folder / "stream" / scenario / str(window), True)


@pytest.fixture(scope="session")
def images():
    """images(lab_module) -> Images (the cached folder and its train/validation/test items)."""
    made = {}

    def get(lab_module) -> Images:
        if "value" not in made:
            folder = images_folder()
            made["value"] = Images(folder, lab_module(LAB, "data").kit_splits(folder))
        return made["value"]

    return get


def training_key(lab_module) -> str:
    from shared.grading.exercises import active_patch, effective_source

    patch = active_patch()
    digest = hashlib.sha256(repr((images_folder().name, TRAIN_PARAMS, EPOCHS, IMAGE_SIZE)).encode())
    for name in TRAINING_MODULES:
        digest.update(effective_source(lab_module(LAB, name).__file__, LAB, name, patch).encode())
    return digest.hexdigest()[:20]


@dataclass
class TrainedModel:
    export: Path  # the exported SavedModel (image bytes in)
    summary: dict  # best epoch, history


@pytest.fixture(scope="session")
def trained(images):
    """trained(lab_module) -> TrainedModel: the small CNN, trained on first use per training code."""
    made: dict[str, TrainedModel] = {}

    def get(lab_module) -> TrainedModel:
        key = training_key(lab_module)
        if key not in made:
            splits = images(lab_module).splits

            def fill(work: Path) -> None:
                model, trainer = lab_module(LAB, "model"), lab_module(LAB, "trainer")
                result = trainer.train(splits, TRAIN_PARAMS, epochs=EPOCHS, size=IMAGE_SIZE)
                model.export_model(result.model, work / "export", size=IMAGE_SIZE)
                (work / "summary.json").write_text(json.dumps({"best_epoch": result.best_epoch,
                                                               "history": result.history}))

            folder = _atomic_folder(CACHE / f"attachments-cnn-{key}", fill)
            made[key] = TrainedModel(folder / "export", json.loads((folder / "summary.json").read_text()))
        return made[key]

    return get


def encoded(image, fmt: str = "PNG") -> bytes:
    """A PIL image as the bytes of an image file (PNG unless FMT says otherwise)."""
    import io

    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()
