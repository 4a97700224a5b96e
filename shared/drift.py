"""Drift statistics shared by the Vertex AI emulator and the GCP lab, so both agree exactly.

Vertex AI Model Monitoring compares the distribution of each input feature in the serving
traffic with the training baseline: Jensen-Shannon divergence for numerical features,
L-infinity distance for categorical ones, and flags a feature whose distance exceeds its
threshold (the SDK's default is 0.3).

Exact choices (Vertex does not publish its binning; these are ours, fixed so results repeat):

* **Numerical binning**: ``bins`` equal-width bins (default 10) spanning the baseline's
  ``[min, max]``. Current values outside that range are counted in the outermost bins, so a
  shift beyond the training range shows up as mass piling into an edge bin. A constant baseline
  (min == max) gets the range ``[v - 0.5, v + 0.5]``.
* **Empty bins**: Jensen-Shannon needs no pseudo-counts: the mixture ``M = (P + Q) / 2`` is
  positive wherever P or Q is, and terms with ``p = 0`` contribute 0 (the limit of
  ``p log p``). ``smoothing`` adds a pseudo-count to every bin of both histograms if you
  want to damp tiny samples; it is 0 by default so the value is the plain divergence.
* **Logs are base 2**, so the divergence lies in [0, 1] (1 = disjoint supports).
* **Categorical**: L-infinity distance, ``max |p_c - q_c|`` over the union of categories of
  the normalised frequencies; it lies in [0, 1].
* ``None`` values (a feature missing from an instance) are dropped before counting.
* A feature is ``drifted`` when ``distance > threshold`` (strictly greater, as Vertex words it).
* Kinds: a feature whose baseline values are all int/float (bool excluded) is numerical,
  otherwise categorical; pass ``kinds`` to override.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.3
DEFAULT_BINS = 10
NUMERICAL = "numerical"
CATEGORICAL = "categorical"

__all__ = [
    "bin_edges",
    "columns",
    "CATEGORICAL",
    "DEFAULT_BINS",
    "DEFAULT_THRESHOLD",
    "NUMERICAL",
    "FeatureDrift",
    "feature_drift",
    "histogram",
    "infer_kind",
    "js_divergence",
    "linf_distance",
]


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    kind: str  # "numerical" | "categorical"
    distance: float
    threshold: float
    drifted: bool

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "distance": self.distance,
            "threshold": self.threshold,
            "drifted": self.drifted,
        }


def _present(values: Iterable) -> list:
    return [v for v in values if v is not None]


def _numbers(values: Iterable, what: str) -> list[float]:
    out = []
    for v in _present(values):
        number = float(v)
        if math.isnan(number):
            raise ValueError(f"{what} contains NaN; drop or impute missing values first.")
        out.append(number)
    if not out:
        raise ValueError(f"{what} has no values; drift needs at least one value on each side.")
    return out


def bin_edges(baseline: Sequence[float], bins: int = DEFAULT_BINS) -> list[float]:
    """Inner edges of ``bins`` equal-width bins over the baseline range (outer bins are open)."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}.")
    values = _numbers(baseline, "baseline")
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    return [low + width * i for i in range(1, bins)]


def histogram(values: Sequence[float], inner_edges: Sequence[float]) -> list[int]:
    """Counts per bin; bin i holds edges[i-1] <= v < edges[i], the outer bins are open-ended."""
    import bisect

    counts = [0] * (len(inner_edges) + 1)
    for v in values:
        counts[bisect.bisect_right(inner_edges, v)] += 1
    return counts


def _normalise(counts: Sequence[float], smoothing: float) -> list[float]:
    smoothed = [c + smoothing for c in counts]
    total = sum(smoothed)
    return [c / total for c in smoothed]


def _kl2(p: Sequence[float], m: Sequence[float]) -> float:
    return sum(pi * math.log2(pi / mi) for pi, mi in zip(p, m, strict=True) if pi > 0)


def js_divergence(
    baseline: Sequence[float],
    current: Sequence[float],
    bins: int = DEFAULT_BINS,
    smoothing: float = 0.0,
) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two samples of a numerical feature."""
    if smoothing < 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing}.")
    base = _numbers(baseline, "baseline")
    cur = _numbers(current, "current")
    edges = bin_edges(base, bins)
    p = _normalise(histogram(base, edges), smoothing)
    q = _normalise(histogram(cur, edges), smoothing)
    m = [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]
    value = (_kl2(p, m) + _kl2(q, m)) / 2
    return min(1.0, max(0.0, value))  # float rounding only


def linf_distance(baseline_values: Sequence, current_values: Sequence) -> float:
    """Max absolute difference of normalised category frequencies over the union of categories."""
    base = Counter(_present(baseline_values))
    cur = Counter(_present(current_values))
    if not base or not cur:
        raise ValueError("L-infinity distance needs at least one value on each side.")
    n_base, n_cur = sum(base.values()), sum(cur.values())
    return max(abs(base[c] / n_base - cur[c] / n_cur) for c in set(base) | set(cur))


def infer_kind(values: Iterable) -> str:
    """numerical when every present value is an int or float (not bool), else categorical."""
    present = _present(values)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    return NUMERICAL if present and numeric else CATEGORICAL


def feature_drift(
    baseline: Mapping[str, Sequence],
    current: Mapping[str, Sequence],
    thresholds: Mapping[str, float] | None = None,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
) -> list[FeatureDrift]:
    """Drift of every feature present on both sides, in the baseline's feature order.

    ``thresholds`` maps feature -> threshold (others get DEFAULT_THRESHOLD); ``kinds`` maps
    feature -> "numerical" | "categorical" (others are inferred from the baseline values).
    """
    thresholds = dict(thresholds or {})
    kinds = dict(kinds or {})
    results = []
    for name, base_values in baseline.items():
        if name not in current:
            continue
        kind = kinds.get(name) or infer_kind(base_values)
        if kind == NUMERICAL:
            distance = js_divergence(base_values, current[name], bins=bins)
        elif kind == CATEGORICAL:
            distance = linf_distance(base_values, current[name])
        else:
            raise ValueError(f"Unknown kind {kind!r} for feature {name!r}; use numerical or categorical.")
        threshold = float(thresholds.get(name, DEFAULT_THRESHOLD))
        results.append(FeatureDrift(name, kind, distance, threshold, distance > threshold))
    return results


def columns(rows: Iterable[Mapping]) -> dict[str, list]:
    """Turn a list of instance dicts into feature -> values (None where an instance lacks it)."""
    rows = list(rows)
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row if k not in names)
    return {name: [row.get(name) for row in rows] for name in names}
