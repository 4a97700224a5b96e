"""Graded: the token budget and the truncation strategy (budget.py).

Each test fails on a plausible wrong implementation, kept as a full copy of the module in
tests/mutants/azure/ticket_triage/:
  budget__chars_not_tokens.py  measures text in characters, not tiktoken tokens
  budget__head_only.py         cuts a long ticket to its first N tokens (loses the end)
  budget__no_margin.py         forgets the safety margin in the budget
"""

from __future__ import annotations

import pytest

from shared.tokens import count_tokens

MODEL = "gpt-4o-mini"
LOG_LINES = "\n".join(f"2025-06-0{i % 9 + 1} 12:00:{i % 60:02d} INFO worker {i} heartbeat ok"
                      for i in range(400))


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_prompt_budget_leaves_room_for_answer_and_margin(lab):
    budget = lab("budget")
    got = budget.prompt_budget(8192, 1000, 64)
    assert got == 8192 - 1000 - 64, (
        f"prompt_budget(8192, reserved_output=1000, margin=64) returned {got}; expected 7128: "
        "the context window minus the reserved answer minus the safety margin.")
    with pytest.raises(ValueError):
        budget.prompt_budget(1000, 990, 64)


@pytest.mark.exercise(2)
@pytest.mark.points(2)
def test_truncated_ticket_fits_in_tokens_and_keeps_subject_start_and_end(lab):
    budget = lab("budget")
    body = "First line: exports fail since Monday.\n" + LOG_LINES + "\nFATAL: disk quota exceeded on node-7"
    cut = budget.truncate_ticket("CSV export broken", body, 300, MODEL)
    n = count_tokens(cut, MODEL)
    assert n <= 300, f"the cut ticket has {n} tokens (tiktoken), over the limit of 300: count tokens, not characters."
    assert cut.startswith("CSV export broken"), "the cut ticket must start with the whole subject."
    assert "First line: exports fail since Monday." in cut, "the cut ticket must keep the body's first line."
    assert "FATAL: disk quota exceeded on node-7" in cut, (
        "the cut ticket must keep the end of the body (the last line of a log or the newest "
        "message of a thread), not only its beginning.")
    assert "lines cut" in cut, "mark where the middle was dropped with the CUT_MARKER line."
    assert n >= 200, f"the cut ticket uses only {n} of 300 tokens: fill the budget, do not over-cut."


@pytest.mark.exercise(2)
@pytest.mark.points(2)
def test_truncation_counts_tokens_not_characters(lab):
    budget = lab("budget")
    prose = " ".join(["The invoice total looks wrong this month."] * 40)  # ~1,700 chars, ~320 tokens
    n = count_tokens("Subject\n\n" + prose, MODEL)
    same = budget.truncate_ticket("Subject", prose, n + 5, MODEL)
    assert same == "Subject\n\n" + prose, (
        f"a ticket of {n} tokens was cut although the limit is {n + 5} tokens: "
        "measure with shared.tokens.count_tokens, not len(text).")
    dense = "\n".join("数据导出失败，请尽快处理。错误代码 E-" + str(i) for i in range(60))  # many tokens per char
    cut = budget.truncate_ticket("导出失败", dense, 120, MODEL)
    assert count_tokens(cut, MODEL) <= 120, (
        f"a Chinese ticket cut to 120 tokens has {count_tokens(cut, MODEL)}: characters are not "
        "tokens (one CJK character can be one or more tokens).")
