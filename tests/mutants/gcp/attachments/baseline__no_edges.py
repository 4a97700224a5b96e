# MUTANT: what: the edge cells are the brightness cells again
# ruff: noqa  (a deliberately broken copy of the lab module)
"""Stage 2, baseline first: logistic regression on image features you design by hand.

Before any neural network, a linear model on a few hundred numbers per image says what "good"
looks like: where the dark and bright regions are (layout), where the edges are (text lines,
tables, barcodes, cracks), the colours, and the shape of the image. It trains in a second on a
CPU, and the CNN has to beat it. Same splits, same metrics as the CNN.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from shared.datasets.attachments import TYPES

GRID = 8  # the layout is described on a GRID x GRID raster


def image_features(data: bytes) -> np.ndarray:
    """One image file's bytes -> a fixed-length feature vector (the same length for any image):

    * layout: mean brightness of each cell of a GRID x GRID raster of the grey image, and mean
      edge strength (absolute difference to the right and lower neighbour) of each cell;
    * colour: mean and standard deviation of R, G and B over the whole image;
    * shape: the aspect ratio width / height.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    # BEGIN SOLUTION
    # HINT: grey = image.convert("L").resize((8 * GRID, 8 * GRID)) as floats in 0-1; edges = abs of
    # HINT: np.diff along each axis; cell means by reshape(GRID, 8, GRID, 8).mean(axis=(1, 3));
    # HINT: colour from np.asarray(image.resize((32, 32))); concatenate with [width / height]
    side = 8 * GRID
    grey = np.asarray(image.convert("L").resize((side, side)), np.float32) / 255
    edges = np.zeros_like(grey)
    edges[:, :-1] += np.abs(np.diff(grey, axis=1))
    edges[:-1, :] += np.abs(np.diff(grey, axis=0))
    cells = [a.reshape(GRID, 8, GRID, 8).mean(axis=(1, 3)).ravel() for a in (grey, grey)]  # BUG: no edges
    rgb = np.asarray(image.resize((32, 32)), np.float32).reshape(-1, 3) / 255
    colour = np.concatenate([rgb.mean(axis=0), rgb.std(axis=0)])
    return np.concatenate([*cells, colour, [image.width / image.height]]).astype(np.float32)
    # END SOLUTION


def make_pipeline():
    """Standardise each feature, then a regularised multinomial logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline as sk_pipeline
    from sklearn.preprocessing import StandardScaler

    return sk_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))


@dataclass
class Baseline:
    pipeline: object  # fitted sklearn Pipeline

    def predict_probs(self, datas: list[bytes]) -> np.ndarray:
        """Probabilities with columns in TYPES order, like the CNN's."""
        probs = self.pipeline.predict_proba(np.stack([image_features(d) for d in datas]))
        out = np.zeros((len(datas), len(TYPES)))  # a type absent from training keeps probability 0
        for column, name in enumerate(self.pipeline.classes_):  # sklearn sorts classes_ by name
            out[:, TYPES.index(name)] = probs[:, column]
        return out

    def predict(self, datas: list[bytes]) -> list[str]:
        return [TYPES[i] for i in self.predict_probs(datas).argmax(axis=1)]


def train_baseline(items) -> Baseline:
    """Fit on the training split only (items with .data and .type)."""
    pipeline = make_pipeline()
    pipeline.fit(np.stack([image_features(i.data) for i in items]), [i.type for i in items])
    return Baseline(pipeline)
