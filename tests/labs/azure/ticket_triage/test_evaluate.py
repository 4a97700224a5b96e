"""Graded: cost and quality figures (evaluate.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  evaluate__price_per_1k.py  reads the table's prices as per 1,000 tokens
  evaluate__one_price.py     charges completion tokens at the input price
  evaluate__micro_f1.py      averages over tickets (accuracy), not over labels
"""

from __future__ import annotations

import pytest


@pytest.mark.exercise(11)
@pytest.mark.points(1)
def test_cost_uses_per_million_prices_for_input_and_output(lab):
    evaluate = lab("evaluate")
    prices = {"m": {"input": 0.15, "output": 0.60}}
    got = evaluate.cost_usd(2_000_000, 500_000, "m", prices)
    assert got == pytest.approx(0.60), (
        f"2M prompt tokens at $0.15/1M plus 0.5M completion tokens at $0.60/1M cost $0.60; got {got}.")
    with pytest.raises(KeyError):
        evaluate.cost_usd(1, 1, "unknown-model", prices)
    assert "gpt-4o-mini" in evaluate.load_prices(), "prices.toml must price gpt-4o-mini."


@pytest.mark.exercise(11)
@pytest.mark.points(1)
def test_macro_f1_weighs_every_label_equally(lab):
    evaluate = lab("evaluate")
    gold = ["a"] * 8 + ["b", "c"]
    pred = ["a"] * 8 + ["a", None]
    labels = ["a", "b", "c"]
    # a: tp 8, fp 1, fn 0 -> F1 16/17; b and c: tp 0 -> 0. Mean 16/51 (accuracy would be 0.8).
    # By hand, not sklearn's f1_score: importing sklearn costs a learner's grade a second.
    expected = 16 / 51
    got = evaluate.macro_f1(gold, pred, labels)
    assert got == pytest.approx(expected), (
        f"macro-F1 should be {expected:.3f} (the mean of each label's F1; rare labels count as much "
        f"as common ones), got {got:.3f}.")
