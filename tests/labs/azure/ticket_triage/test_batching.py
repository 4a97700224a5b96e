"""Graded: packing tickets into requests and matching answers by id (batching.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  batching__no_output_reserve.py     packs to the context window without reserving the answer
  batching__match_by_position.py     pairs answers with tickets by position, not by id
  batching__ignores_request_cap.py   packs by count only, past max_request_tokens
"""

from __future__ import annotations

import pytest


def items(batching, sizes):
    return [batching.Item(f"t{i}", "x", n) for i, n in enumerate(sizes)]


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_reserved_output_grows_with_the_batch(lab):
    batching = lab("batching")
    one, ten = batching.reserved_output(1), batching.reserved_output(10)
    assert ten - one == 9 * batching.OUTPUT_PER_TICKET, (
        f"reserved_output(1)={one}, reserved_output(10)={ten}: every ticket adds one answer item, "
        "so reserve OUTPUT_PER_TICKET more tokens per ticket.")


@pytest.mark.exercise(3)
@pytest.mark.points(3)
def test_batches_fit_the_window_with_their_answers(lab):
    batching = lab("batching")
    sizes = [430] * 8 + [100, 100]  # 4 of 430 fit the window only without the answer's reserve
    window, fixed, margin = 3000, 1000, 64
    batches = batching.pack_batches(items(batching, sizes), fixed, window, max_batch=5,
                                    safety_margin=margin)
    flat = [i.id for b in batches for i in b]
    assert flat == [f"t{i}" for i in range(len(sizes))], (
        "every ticket must be in exactly one batch, in the original order.")
    for b in batches:
        need = fixed + sum(i.tokens + batching.BLOCK_OVERHEAD for i in b) + batching.reserved_output(len(b)) + margin
        assert need <= window, (
            f"a batch of {len(b)} tickets needs {need} tokens with its reserved answer, over the "
            f"window of {window}: count reserved_output(len(batch)) in the budget.")
        assert len(b) <= 5, "no batch may hold more than max_batch tickets."
    assert len(batches) <= 4, f"{len(batches)} batches for 10 tickets: pack them greedily, do not send one per request."
    with pytest.raises(ValueError):
        batching.pack_batches(items(batching, [5000]), fixed, window)


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_requests_are_packed_to_the_quota_share_they_are_given(lab):
    batching = lab("batching")
    fixed, cap = 1000, 1700  # room for about 3 tickets of 100 tokens with their answers per request
    sizes = [100] * 7 + [900, 100, 100]  # the 900-token ticket alone costs more than the cap
    batches = batching.pack_batches(items(batching, sizes), fixed, 100_000, max_batch=10,
                                    max_request_tokens=cap)
    assert [i.id for b in batches for i in b] == [f"t{i}" for i in range(len(sizes))], (
        "every ticket must be in exactly one batch, in the original order.")
    for b in batches:
        cost = batching.request_cost(len(b), sum(i.tokens + batching.BLOCK_OVERHEAD for i in b), fixed)
        assert cost <= cap or len(b) == 1, (
            f"a batch of {len(b)} tickets costs {cost} tokens at admission (request_cost: prompt + "
            f"reserved output), over max_request_tokens={cap}: stop adding tickets at the cap.")
    sizes_seen = [len(b) for b in batches]
    assert sizes_seen == [3, 3, 1, 1, 2], (
        f"batch sizes {sizes_seen}: fill each request greedily up to the cap (a ticket too big for "
        "it goes alone), so no request is smaller than it needs to be.")
    unlimited = batching.pack_batches(items(batching, sizes), fixed, 100_000, max_batch=10)
    assert len(unlimited) == 1, "without max_request_tokens, only the window and max_batch limit a batch."


@pytest.mark.exercise(3)
@pytest.mark.points(2)
def test_answers_are_matched_by_id(lab):
    batching = lab("batching")
    answers = [{"id": "b", "category": "bug"}, {"id": "zzz", "category": "billing"},
               {"id": "a", "category": "outage"}, {"id": "b", "category": "how_to"}]
    matched, missing = batching.match_answers(["a", "b", "c"], answers)
    assert matched.get("a", {}).get("category") == "outage" and matched.get("b", {}).get("category") == "bug", (
        f"got {matched}: match each answer to its ticket by the 'id' it carries (models reorder "
        "items), and keep the first answer when an id repeats.")
    assert "zzz" not in matched, "an answer for an id we never sent must be ignored."
    assert missing == ["c"], f"missing should be ['c'] (no answer), got {missing}."
