"""The tuning search in-process: parameter kinds and scales, and refinement vs random."""

from __future__ import annotations

import math
import statistics

import pytest

from mocks.vertex.examples.quadratic_trainer import score
from mocks.vertex.exceptions import InvalidArgument
from mocks.vertex.jobs import Parameter, StudySearch

SPEC = {
    "metrics": [{"metricId": "score", "goal": 1}],
    "parameters": [
        {"parameterId": "x", "doubleValueSpec": {"maxValue": 1}},
        {"parameterId": "lr", "doubleValueSpec": {"minValue": 1e-4, "maxValue": 1}, "scaleType": 2},
        {"parameterId": "optimizer", "categoricalValueSpec": {"values": ["adam", "sgd", "rmsprop"]}},
        {"parameterId": "layers", "integerValueSpec": {"minValue": "1", "maxValue": "5"}},
    ],
}


def best_of(spec: dict, trials: int, seed: int) -> float:
    search = StudySearch(spec, trials, seed)
    done = []
    for i in range(trials):
        p = search.suggest(i, done)
        done.append((p, score(p["x"], p["lr"], p["optimizer"], int(p["layers"]))))
    return search.best(done)[1]


def test_refinement_is_at_least_as_good_as_random_on_average():
    random_spec = {**SPEC, "algorithm": 3}
    refined = statistics.mean(best_of(SPEC, 12, s) for s in range(40))
    random = statistics.mean(best_of(random_spec, 12, s) for s in range(40))
    assert refined >= random, (refined, random)


def test_log_scale_spreads_over_decades_and_bounds_hold():
    lr = Parameter({"parameterId": "lr", "doubleValueSpec": {"minValue": 1e-4, "maxValue": 1}, "scaleType": 2})
    assert lr.from_unit(0.5) == pytest.approx(1e-2)
    assert lr.to_unit(1e-3) == pytest.approx(0.25)
    rev = Parameter({"parameterId": "m", "doubleValueSpec": {"minValue": 0.1, "maxValue": 1}, "scaleType": 3})
    assert rev.from_unit(0) == pytest.approx(0.1) and rev.from_unit(1) == pytest.approx(1)
    assert rev.to_unit(rev.from_unit(0.3)) == pytest.approx(0.3)


def test_integer_discrete_and_categorical_values():
    layers = Parameter({"parameterId": "n", "integerValueSpec": {"minValue": "1", "maxValue": "5"}})
    assert {layers.from_unit(u / 100) for u in range(101)} == {1, 2, 3, 4, 5}
    units = Parameter({"parameterId": "u", "discreteValueSpec": {"values": [64, 16, 32]}})
    assert {units.from_unit(u / 10) for u in range(10)} == {16.0, 32.0, 64.0}
    assert units.as_arg(32.0) == "32"


def test_grid_search_walks_the_grid():
    spec = {"metrics": [{"metricId": "m", "goal": 2}], "algorithm": 2, "parameters": [
        {"parameterId": "a", "categoricalValueSpec": {"values": ["p", "q"]}},
        {"parameterId": "b", "integerValueSpec": {"minValue": "1", "maxValue": "2"}}]}
    search = StudySearch(spec, 4, 0)
    assert [search.suggest(i, []) for i in range(4)] == [
        {"a": "p", "b": 1}, {"a": "q", "b": 1}, {"a": "p", "b": 2}, {"a": "q", "b": 2}]


def test_bad_study_specs_are_invalid_arguments():
    with pytest.raises(InvalidArgument, match="log scale"):
        Parameter({"parameterId": "x", "doubleValueSpec": {"maxValue": 1}, "scaleType": 2})
    with pytest.raises(InvalidArgument, match="exactly one metric"):
        StudySearch({**SPEC, "metrics": []}, 4, 0)
    assert not math.isnan(best_of(SPEC, 4, 0))
