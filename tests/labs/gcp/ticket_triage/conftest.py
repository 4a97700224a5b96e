"""Shared, CPU-small artefacts for the GCP ticket-triage graded tests.

TensorFlow training is the slow part, so one small model (2,000 training tickets, a few epochs)
is trained once per training code and its export kept on disk, keyed by a hash of that code:
reruns, other grading processes and other exercises' tests reuse it. Lab code is still reached
only through `lab_module`, so grading a learner's copy trains THEIR code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

LAB = "gcp/ticket_triage"
TRAIN_SIZE, EPOCHS = 2000, 4
SMALL_PARAMS = {"learning_rate": 0.01, "hidden_units": 32, "dropout": 0.2}


TRAINING_MODULES = ("data", "model", "trainer")
CACHE = Path(tempfile.gettempdir()) / "labkit-test-models"  # shared by processes and runs


@dataclass
class TrainedModel:
    splits: object  # data.Splits with TRAIN_SIZE training tickets
    export: Path  # the exported SavedModel (raw text in)
    vocabulary: set[str]  # the unigrams the model knows


def training_key(lab_module) -> str:
    """A hash of the code that trains, as it runs now (grading one exercise runs the reference
    for the others), and of the training settings: the same code never trains twice."""
    from shared.grading.exercises import active_patch, effective_source

    patch = active_patch()
    digest = hashlib.sha256(repr((TRAIN_SIZE, EPOCHS, SMALL_PARAMS)).encode())
    for name in TRAINING_MODULES:
        digest.update(effective_source(lab_module(LAB, name).__file__, LAB, name, patch).encode())
    return digest.hexdigest()[:20]


class Trained:
    """The small model of the graded tests, trained once per training code and kept on disk."""

    def __init__(self):
        self._splits = None
        self._values: dict[str, TrainedModel] = {}

    def __call__(self, lab_module) -> TrainedModel:
        key = training_key(lab_module)
        if key not in self._values:
            if self._splits is None:
                self._splits = lab_module(LAB, "data").load_splits(train_size=TRAIN_SIZE)
            folder = CACHE / key
            if not (folder / "vocabulary.json").is_file():
                self._train_into(folder, lab_module)
            vocabulary = set(json.loads((folder / "vocabulary.json").read_text()))
            self._values[key] = TrainedModel(self._splits, folder / "export", vocabulary)
        return self._values[key]

    def _train_into(self, folder: Path, lab_module) -> None:
        data, model, trainer = (lab_module(LAB, name) for name in TRAINING_MODULES)
        result = trainer.train(self._splits, SMALL_PARAMS, epochs=EPOCHS)
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=folder.parent))
        try:
            model.export_model(result.model, work / "export")
            (work / "vocabulary.json").write_text(json.dumps(sorted(data.vocabulary(result.vectorizer))))
        except BaseException:  # the code under test failed: leave no half-written folder behind
            shutil.rmtree(work, ignore_errors=True)
            raise
        try:
            work.rename(folder)  # atomic: another process sees all of it or nothing
        except OSError:  # another process finished the same training first
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def trained():
    """trained(lab_module) -> TrainedModel (splits, export, vocabulary); trains on first use."""
    return Trained()
