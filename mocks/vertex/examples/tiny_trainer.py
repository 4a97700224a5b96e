"""A tiny Vertex training module: fit y = 2x + 1 and save the model to AIP_MODEL_DIR.

Run by a CustomJob as ``python -m mocks.vertex.examples.tiny_trainer --epochs=20``. Vertex (and
the emulator) sets ``AIP_MODEL_DIR`` to a gs:// folder; the model is exported as a TensorFlow
SavedModel (what Vertex's prebuilt TF serving containers load) and copied there.
"""

from __future__ import annotations

import argparse
import os
import tempfile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--learning_rate", type=float, default=0.1)
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from shared.gcp import upload_dir

    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    y = 2 * x + 1
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(args.learning_rate), loss="mse")
    history = model.fit(x, y, epochs=args.epochs, verbose=0)
    print(f"final loss {history.history['loss'][-1]:.5f}")

    model_dir = os.environ["AIP_MODEL_DIR"]
    with tempfile.TemporaryDirectory() as local:
        model.export(local, verbose=False)
        upload_dir(local, model_dir)
    print(f"model written to {model_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
