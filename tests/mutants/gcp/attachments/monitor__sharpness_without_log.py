# MUTANT: what: sharpness is the raw Laplacian variance
# ruff: noqa  (a deliberately broken copy of the lab module)
"""Stage 8, drift monitoring: are production's attachments still the images the model learnt?

Pixels have no columns to compare, so we monitor statistics that describe each image, the way
Vertex AI Model Monitoring compares tabular features, and the model's own answers:

=================  ===========  ===========================================================
feature            kind         catches
=================  ===========  ===========================================================
brightness         numerical    screens switching to dark mode (dark_mode)
contrast           numerical    washed-out photos, glare, dark themes
sharpness          numerical    blur: photos of a monitor instead of screenshots
aspect_ratio       numerical    a new shape of document or screen
predicted_type     categorical  a shift in what customers send, or the model changing its mind
confidence         numerical    the model hesitating: often the first sign of trouble
=================  ===========  ===========================================================

Numerical features are compared with Jensen-Shannon divergence, categorical ones with
L-infinity distance (`shared/drift.py`, the statistics of Vertex and of its emulator). Each
feature has its own threshold (Vertex's default 0.3 unless THRESHOLDS says otherwise). The input
statistics' baseline is the training split; the prediction features' baseline is the model's
predictions on the validation split (on its own training images a model is over-confident).

The thresholds are set for windows of WINDOW_SIZE (50) images. A smaller window's histogram is
noisier: with no drift at all, Jensen-Shannon's chance level grows about as 1/n and L-infinity's
as 1/sqrt(n), so at 10 images a window chance alone crosses them. `size_thresholds` therefore
raises each threshold to the distance chance reaches at the window's size (`chance_thresholds`:
the 99th percentile over random windows drawn from the baseline itself); at 50 images and more
the thresholds above stand.

What this cannot see (measured in benchmarks/gcp_attachments_drift.py, 50-image windows): a
change in the *text* (new_language: the pixel statistics barely move, and the CNN never read the
words), phone photos of screens (15% of the training screens were photos already), and the new
invoice layout, which costs the CNN about 8 points of accuracy yet moves no statistic past its
threshold: a drift that hits one class shows in labelled samples, not in distributions.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

from shared.drift import CATEGORICAL, DEFAULT_THRESHOLD, NUMERICAL, FeatureDrift, feature_drift

KINDS = {"brightness": NUMERICAL, "contrast": NUMERICAL, "sharpness": NUMERICAL,
         "aspect_ratio": NUMERICAL, "predicted_type": CATEGORICAL, "confidence": NUMERICAL}
INPUT_FEATURES = ("brightness", "contrast", "sharpness", "aspect_ratio")
# Windows hold 50 images. Brightness gets a lower threshold than Vertex's default 0.3 because
# the drift-free `none` stream keeps it under about 0.05 while dark mode moves a third of the
# images to the other end of the scale (measured in benchmarks/gcp_attachments_drift.py).
THRESHOLDS = {"brightness": 0.15, "predicted_type": 0.2}
WINDOW_SIZE = 50  # the window size THRESHOLDS are set for
CHANCE_DRAWS, CHANCE_QUANTILE = 300, 0.99  # random baseline windows behind chance_thresholds
STATS_SIDE = 256  # statistics on a copy at most this many pixels on its longer side


def image_statistics(data: bytes) -> dict[str, float]:
    """One image file's bytes -> {"brightness", "contrast", "sharpness", "aspect_ratio"}.

    Computed on the grey image scaled to at most STATS_SIDE px on its longer side (so that a
    large and a small copy of the same picture agree): brightness = mean grey level (0-255),
    contrast = its standard deviation, sharpness = log10(1 + variance of the 4-neighbour
    Laplacian) (blur lowers it; log, because the variance spans four orders of magnitude and
    the drift histogram has equal-width bins), aspect_ratio = width / height of the original.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("L")
    # BEGIN SOLUTION
    # HINT: width, height = image.size; image.thumbnail((STATS_SIDE, STATS_SIDE)); g = float array;
    # HINT: laplacian = 4*g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    width, height = image.size
    image.thumbnail((STATS_SIDE, STATS_SIDE))
    g = np.asarray(image, np.float64)
    laplacian = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return {"brightness": float(g.mean()), "contrast": float(g.std()),
            "sharpness": float(laplacian.var()),  # BUG: no log
            "aspect_ratio": width / height}
    # END SOLUTION


def input_features(items) -> dict[str, list[float]]:
    """Per-image input statistics of ITEMS (objects with .data) as columns."""
    rows = [image_statistics(item.data) for item in items]
    return {name: [row[name] for row in rows] for name in INPUT_FEATURES}


def prediction_features(predictions: list[dict]) -> dict[str, list]:
    """Per-image output features from `classify` results."""
    return {"predicted_type": [p["predicted_type"] for p in predictions],
            "confidence": [float(p["confidence"]) for p in predictions]}


def window_drift(baseline: dict[str, list], current: dict[str, list],
                 thresholds: dict[str, float] | None = None) -> list[FeatureDrift]:
    """Drift of every monitored feature of one window against the baseline: KINDS say which
    statistic, THRESHOLDS (updated by THRESHOLDS given here) which threshold. (monitor_windows
    gives the thresholds for each window's size, see size_thresholds.)"""
    # BEGIN SOLUTION
    # HINT: shared.drift.feature_drift(baseline, current, thresholds={**THRESHOLDS, **(thresholds
    # HINT: or {})}, kinds=KINDS)
    return feature_drift(baseline, current, thresholds={**THRESHOLDS, **(thresholds or {})}, kinds=KINDS)
    # END SOLUTION


@dataclass
class WindowReport:
    window: int
    n: int
    drifts: list[FeatureDrift]
    accuracy: float  # type accuracy on this window (nan when the images carry no labels)
    means: dict[str, float] = field(default_factory=dict)  # mean of each numerical feature

    @property
    def alerts(self) -> list[str]:
        return [d.name for d in self.drifts if d.drifted]

    def line(self) -> str:
        flagged = ", ".join(f"{d.name} {d.distance:.2f}>{d.threshold:.2f}" for d in self.drifts if d.drifted)
        accuracy = "n/a " if math.isnan(self.accuracy) else f"{self.accuracy:.2f}"
        return f"window {self.window}: {self.n:>3} images  accuracy {accuracy}  " + (
            f"ALERT: {flagged}" if flagged else "ok")

    def as_dict(self) -> dict:
        return {"window": self.window, "n": self.n,
                "accuracy": None if math.isnan(self.accuracy) else self.accuracy,
                "alerts": self.alerts,
                "statistics": {d.name: {"distance": d.distance, "threshold": d.threshold,
                                        **({"mean": self.means[d.name]} if d.name in self.means else {})}
                               for d in self.drifts}}


def chance_thresholds(baseline: dict[str, list], n: int, draws: int = CHANCE_DRAWS,
                      quantile: float = CHANCE_QUANTILE, seed: int = 0) -> dict[str, float]:
    """Per feature, the distance chance alone reaches in a window of N images: the QUANTILE of the
    distances between the baseline and DRAWS windows of N values drawn from the baseline itself
    (with replacement, a fixed seed: the same baseline gives the same thresholds)."""
    rng = np.random.default_rng(seed)
    seen: dict[str, list[float]] = {name: [] for name in baseline}
    for _ in range(draws):
        window = {name: [values[i] for i in rng.integers(0, len(values), n)] for name, values in baseline.items()}
        for drift in feature_drift(baseline, window, kinds=KINDS):
            seen[drift.name].append(drift.distance)
    return {name: float(np.quantile(distances, quantile)) for name, distances in seen.items()}


def size_thresholds(baseline: dict[str, list], n: int) -> dict[str, float]:
    """The thresholds for a window of N images: THRESHOLDS (0.3 for the others), set for
    WINDOW_SIZE images, each raised to the chance level at N where that is higher."""
    if n < 1:
        raise ValueError("a window needs at least one image to be judged.")
    chance = chance_thresholds(baseline, n) if n < WINDOW_SIZE else {}
    return {name: max(THRESHOLDS.get(name, DEFAULT_THRESHOLD), chance.get(name, 0.0)) for name in baseline}


def build_baseline(train, validation_predictions: list[dict]) -> dict[str, list]:
    """Input statistics of the training images + prediction features on the validation split."""
    return {**input_features(train), **prediction_features(validation_predictions)}


def monitor_windows(baseline: dict[str, list], windows: list[list], predictions: list[list[dict]],
                    thresholds: dict[str, float] | None = None) -> list[WindowReport]:
    """One report per window: drift per feature (against the thresholds for the window's size,
    updated by THRESHOLDS given here), the alerting features, accuracy, means."""
    reports, by_size = [], {}
    for index, (items, preds) in enumerate(zip(windows, predictions, strict=True)):
        if len(items) not in by_size:
            by_size[len(items)] = size_thresholds(baseline, len(items))
        current = {**input_features(items), **prediction_features(preds)}
        labelled = bool(items) and all(item.type for item in items)
        correct = sum(p["predicted_type"] == item.type for p, item in zip(preds, items, strict=True))
        means = {k: float(np.mean(v)) for k, v in current.items() if KINDS[k] == NUMERICAL}
        drifts = window_drift(baseline, current, {**by_size[len(items)], **(thresholds or {})})
        reports.append(WindowReport(index, len(items), drifts, correct / len(items) if labelled else math.nan, means))
    return reports


def first_alert(reports: list[WindowReport]) -> int | None:
    return next((r.window for r in reports if r.alerts), None)
