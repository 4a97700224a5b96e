"""shared.drift against values worked out by hand (the arithmetic is in each docstring)."""

from __future__ import annotations

import math

import pytest

from shared.drift import (
    DEFAULT_THRESHOLD,
    bin_edges,
    columns,
    feature_drift,
    histogram,
    infer_kind,
    js_divergence,
    linf_distance,
)


def test_identical_samples_have_zero_divergence():
    values = [0.1, 0.5, 0.9, 2.0, 3.5]
    assert js_divergence(values, list(values)) == 0.0


def test_js_divergence_matches_hand_computation():
    """bins=2 over [0, 1]: P = [.5, .5], Q = [1, 0], M = [.75, .25].
    KL(P||M) = .5 log2(.5/.75) + .5 log2(.5/.25) = 0.2075187..., KL(Q||M) = log2(1/.75) = 0.4150375...
    JS = (0.2075187 + 0.4150375) / 2 = 0.3112781...
    """
    expected = (0.5 * math.log2(0.5 / 0.75) + 0.5 * 1 + math.log2(1 / 0.75)) / 2
    assert js_divergence([0.0, 1.0], [0.0, 0.0], bins=2) == pytest.approx(expected)
    assert expected == pytest.approx(0.3112781244591328)


def test_values_beyond_the_baseline_range_count_in_the_edge_bins():
    """Current [5, 5] lies above the baseline's max, so it lands in the last bin: Q = [0, 1],
    the mirror image of the previous test, with the same divergence."""
    assert js_divergence([0.0, 1.0], [5.0, 5.0], bins=2) == pytest.approx(0.3112781244591328)


def test_js_divergence_is_bounded_by_one_and_symmetric_in_disjoint_mass():
    """Baseline all at 0 except one 1 (bins=2): P = [0.9, 0.1]; current all at 1: Q = [0, 1].
    M = [.45, .55]; KL(P||M) = .9 log2(2) + .1 log2(.1/.55); KL(Q||M) = log2(1/.55)."""
    base = [0.0] * 9 + [1.0]
    expected = (0.9 + 0.1 * math.log2(0.1 / 0.55) + math.log2(1 / 0.55)) / 2
    value = js_divergence(base, [1.0] * 10, bins=2)
    assert value == pytest.approx(expected)
    assert 0.0 <= value <= 1.0


def test_smoothing_damps_the_divergence():
    raw = js_divergence([0.0, 1.0], [0.0, 0.0], bins=2)
    assert js_divergence([0.0, 1.0], [0.0, 0.0], bins=2, smoothing=1.0) < raw


def test_bins_come_from_the_baseline_and_a_constant_baseline_still_bins():
    assert bin_edges([0.0, 10.0], bins=4) == [2.5, 5.0, 7.5]
    assert bin_edges([3.0, 3.0], bins=2) == [3.0]
    assert histogram([0.0, 2.5, 9.0, 11.0, -1.0], [2.5, 5.0, 7.5]) == [2, 1, 0, 2]


def test_linf_distance_matches_hand_computation():
    """Baseline a=.5, b=.5; current a=.25, c=.75 -> |diffs| a .25, b .5, c .75 -> 0.75."""
    assert linf_distance(["a", "a", "b", "b"], ["a", "c", "c", "c"]) == pytest.approx(0.75)
    assert linf_distance(["x", "y"], ["y", "x"]) == 0.0


def test_missing_values_are_dropped_and_empty_sides_refused():
    assert linf_distance(["a", None], ["a"]) == 0.0
    with pytest.raises(ValueError, match="at least one value"):
        js_divergence([1.0, 2.0], [None])


def test_kinds_are_inferred_from_the_baseline():
    assert infer_kind([1, 2.5, None]) == "numerical"
    assert infer_kind(["a", 1]) == "categorical"
    assert infer_kind([True, False]) == "categorical"


def test_feature_drift_flags_only_features_beyond_their_threshold():
    baseline = {"age": [float(i % 10) for i in range(100)], "plan": ["free"] * 50 + ["pro"] * 50}
    current = {"age": [float(i % 10) for i in range(100)], "plan": ["free"] * 90 + ["pro"] * 10}
    results = {r.name: r for r in feature_drift(baseline, current)}
    assert results["age"].kind == "numerical" and results["age"].distance == 0.0
    assert not results["age"].drifted
    assert results["plan"].kind == "categorical"
    assert results["plan"].distance == pytest.approx(0.4)  # |0.5 - 0.9|
    assert results["plan"].threshold == DEFAULT_THRESHOLD and results["plan"].drifted
    relaxed = feature_drift(baseline, current, thresholds={"plan": 0.4})
    assert not {r.name: r for r in relaxed}["plan"].drifted  # strictly greater than threshold


def test_feature_drift_honours_kinds_and_skips_features_missing_on_one_side():
    results = feature_drift({"code": [1, 1, 2, 2], "only_base": [1]}, {"code": [1, 1, 1, 1]},
                            kinds={"code": "categorical"})
    assert [(r.name, r.kind, r.distance) for r in results] == [("code", "categorical", 0.5)]


def test_columns_turns_instances_into_feature_lists():
    assert columns([{"a": 1}, {"a": 2, "b": "x"}]) == {"a": [1, 2], "b": [None, "x"]}
