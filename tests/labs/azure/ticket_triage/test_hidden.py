"""Hidden graded tests of the Azure ticket-triage lab: instructor-only, left out of releases.

The same rules as the visible tests, on inputs the learner has not seen, so a solution fitted to
the visible cases loses points. Worth 6 of the lab's 80 points (about 8%).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

pytestmark = pytest.mark.hidden


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_budget_on_other_numbers_and_the_exact_edge(lab):
    budget = lab("budget")
    assert budget.prompt_budget(16385, 4096, 100) == 12189, "16385 - 4096 - 100 = 12189"
    with pytest.raises(ValueError):
        budget.prompt_budget(4160, 4096, 64)  # exactly nothing left is too little


@pytest.mark.exercise(3)
@pytest.mark.points(2)
def test_batches_of_two_and_answers_with_odd_items(lab):
    batching = lab("batching")
    items = [batching.Item(f"q{i}", "x", 50) for i in range(5)]
    batches = batching.pack_batches(items, 200, 100_000, max_batch=2, safety_margin=0)
    assert [[i.id for i in b] for b in batches] == [["q0", "q1"], ["q2", "q3"], ["q4"]], (
        "with max_batch=2 five small tickets make batches of 2, 2 and 1, in order")
    answers = ["not a dict", {"category": "bug"}, {"id": 7}, {"id": "q2", "category": "how_to"},
               {"id": "q2", "category": "billing"}]
    matched, missing = batching.match_answers(["q1", "q2"], answers)
    assert list(matched) == ["q2"] and matched["q2"]["category"] == "how_to" and missing == ["q1"], (
        f"got {matched}, {missing}: skip items that are not dicts or carry no string id; the first answer wins")


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_retry_after_as_an_http_date_and_growing_backoff(lab):
    rl = lab("ratelimit")
    now = 1_700_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 4, tz=UTC), usegmt=True)
    got = rl.retry_delay(0, {"retry-after": date}, wall_clock=lambda: now)
    assert got == pytest.approx(4.0, abs=1.0), f"retry-after as an HTTP date 4 s ahead gave {got}"
    waits = [rl.retry_delay(a, {}, base=0.5, cap=100.0, rng=lambda: 1.0) for a in range(4)]
    assert waits == [0.5, 1.0, 2.0, 4.0], f"backoff base 0.5 doubling per attempt (jitter at its top): {waits}"


@pytest.mark.exercise(11)
@pytest.mark.points(1)
def test_cost_and_macro_f1_on_other_figures(lab):
    evaluate = lab("evaluate")
    prices = {"big": {"input": 2.5, "output": 10.0}}
    assert evaluate.cost_usd(400_000, 100_000, "big", prices) == pytest.approx(2.0), "0.4M*2.5 + 0.1M*10 per 1M"
    gold, pred = ["x", "y", "y", "z"], ["x", "y", "z", "z"]
    # x: F1 1; y: tp 1 fn 1 -> 2/3; z: tp 1 fp 1 -> 2/3
    assert evaluate.macro_f1(gold, pred, ["x", "y", "z"]) == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
