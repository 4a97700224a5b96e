"""Shared artefacts for the Vertex emulator tests (built once per session: TensorFlow is slow)."""

from __future__ import annotations

import numpy as np
import pytest

WEIGHTS = np.array([[1, 0], [0, 1], [1, 1]], dtype="float32")
BIAS = np.array([0.5, -0.5], dtype="float32")
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest"


@pytest.fixture(scope="session")
def tiny_saved_model(tmp_path_factory):
    """A 3 -> 2 linear Keras model with known weights, exported as a SavedModel folder."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([WEIGHTS, BIAS])
    folder = tmp_path_factory.mktemp("tiny_model")
    model.export(str(folder), verbose=False)
    return folder


def expected_outputs(instances) -> list:
    return (np.asarray(instances, dtype="float32") @ WEIGHTS + BIAS).tolist()
