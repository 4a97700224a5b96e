"""Shared, CPU-small artefacts for the GCP ticket-triage graded tests.

TensorFlow training is the slow part, so one tiny model (2,000 training tickets, a few epochs)
is trained once per session and shared. Lab code is still reached only through `lab_module`:
the session cache takes the test's loader, so grading a learner's copy trains THEIR code.
"""

from __future__ import annotations

import pytest

LAB = "gcp/ticket_triage"
TRAIN_SIZE, EPOCHS = 2000, 4
SMALL_PARAMS = {"learning_rate": 0.01, "hidden_units": 32, "dropout": 0.2}


TRAINING_MODULES = {"data", "model", "trainer"}


def training_key() -> str:
    """Which code trains: the same for every test unless one exercise's training code is the
    learner's (grading one exercise runs the reference for the others, see the grading plugin)."""
    from shared.grading.exercises import active_patch

    patch = active_patch()
    if patch is None or not patch.learner_modules & TRAINING_MODULES:
        return "shared"
    return f"exercise-{patch.keep}"


class Trained:
    """Lazily trained once per training code: the splits, the train result and its export."""

    def __init__(self, folder):
        self.folder = folder
        self._values = {}

    def __call__(self, lab_module):
        key = training_key()
        if key not in self._values:
            data = lab_module(LAB, "data")
            trainer = lab_module(LAB, "trainer")
            model = lab_module(LAB, "model")
            splits = data.load_splits(train_size=TRAIN_SIZE)
            result = trainer.train(splits, SMALL_PARAMS, epochs=EPOCHS)
            export = model.export_model(result.model, self.folder / f"export-{key}")
            self._values[key] = (splits, result, export)
        return self._values[key]


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """trained(lab_module) -> (splits, TrainResult, export folder); trains on first use."""
    return Trained(tmp_path_factory.mktemp("gcp_triage_model"))
