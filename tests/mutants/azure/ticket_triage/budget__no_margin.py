# MUTANT budget__no_margin: a plausible wrong budget.py; the graded tests must fail on it.
# ruff: noqa
"""Token budget: how much of the context window a request may use, and cutting long tickets.

A chat request must fit the deployment's context window *together with* the answer: the
service rejects a request whose prompt tokens plus ``max_tokens`` exceed the window
(``context_length_exceeded``). So the prompt budget is

    context window - tokens reserved for the answer - a safety margin

The margin absorbs what we cannot count exactly (a tokenizer update, the service's own
framing). Counts are exact tiktoken counts from ``shared.tokens``, never characters: one
character is not one token (a Chinese ticket or a stack trace has far more tokens per
character than English prose).

Truncation strategy for a ticket over its allowance (documented in the lab guide):

1. keep the subject whole (it names the problem; cut only if it alone is over a quarter);
2. keep the first lines of the body (who is affected, what they tried);
3. keep the last lines (the newest message of a quoted thread, the final error of a log);
4. drop the middle, and say so with a marker line ``[... N lines cut ...]``.

Cutting the first N characters instead would lose the end of a thread or log, which is
usually where the actual error is.
"""

from __future__ import annotations

from shared.tokens import count_tokens, encoding_for

# Tokens held back from every budget for what exact counting cannot see.
SAFETY_MARGIN = 64
# Share of a cut ticket's body budget given to its first lines; the rest goes to its end.
HEAD_SHARE = 0.6
CUT_MARKER = "[... {n} lines cut ...]"


def prompt_budget(context_window: int, reserved_output: int, safety_margin: int = SAFETY_MARGIN) -> int:
    """Tokens the prompt may use so that prompt + answer + margin fit the context window.

    Raises ValueError when nothing is left for the prompt, with the numbers that clash.
    """
    # BEGIN SOLUTION
    # HINT: context window minus the reserved answer minus the margin; refuse (ValueError) when <= 0.
    budget = context_window - reserved_output  # BUG: forgets the margin
    if budget <= 0:
        raise ValueError(
            f"No room for a prompt: context window {context_window} - reserved output "
            f"{reserved_output} - safety margin {safety_margin} = {budget} tokens. "
            "Reserve fewer output tokens (smaller batches) or use a model with a larger window."
        )
    return budget
    # END SOLUTION


def _token_prefix(text: str, n: int, model: str) -> str:
    enc = encoding_for(model)
    ids = enc.encode(text, disallowed_special=())
    return enc.decode(ids[: max(0, n)])


def _token_suffix(text: str, n: int, model: str) -> str:
    enc = encoding_for(model)
    ids = enc.encode(text, disallowed_special=())
    return enc.decode(ids[max(0, len(ids) - n):]) if n > 0 else ""


def head_lines(lines: list[str], max_tokens: int, model: str) -> list[str]:
    """The first whole lines that fit ``max_tokens`` (a token prefix of line 1 if it alone is over)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count_tokens(line + "\n", model)
        if used + cost > max_tokens:
            if not kept:
                kept.append(_token_prefix(line, max_tokens - 1, model))
            break
        kept.append(line)
        used += cost
    return kept


def tail_lines(lines: list[str], max_tokens: int, model: str) -> list[str]:
    """The last whole lines that fit ``max_tokens`` (a token suffix of the last line if it alone is over)."""
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        cost = count_tokens(line + "\n", model)
        if used + cost > max_tokens:
            if not kept:
                kept.append(_token_suffix(line, max_tokens - 1, model))
            break
        kept.append(line)
        used += cost
    return list(reversed(kept))


def truncate_ticket(subject: str, body: str, max_tokens: int, model: str = "gpt-4o-mini") -> str:
    """The ticket text (subject, blank line, body) cut to at most ``max_tokens`` tokens.

    A ticket that fits is returned unchanged. Otherwise keep the subject, the first lines and
    the last lines of the body, with a marker line where the middle was dropped.
    """
    # BEGIN SOLUTION
    # HINT: keep subject + head_lines() + CUT_MARKER line + tail_lines(); shrink until it fits.
    full = f"{subject}\n\n{body}"
    if count_tokens(full, model) <= max_tokens:
        return full
    if count_tokens(subject, model) > max_tokens // 4:
        subject = _token_prefix(subject, max_tokens // 4, model)
    lines = body.splitlines()
    marker_cost = count_tokens("\n" + CUT_MARKER.format(n=len(lines)) + "\n", model)
    room = max_tokens - count_tokens(subject + "\n\n", model) - marker_cost
    while room > 0:
        head = head_lines(lines, int(room * HEAD_SHARE), model)
        rest = lines[len(head):]
        tail = tail_lines(rest, room - int(room * HEAD_SHARE), model)
        cut = len(lines) - len(head) - len(tail)
        text = "\n".join([subject, "", *head, CUT_MARKER.format(n=cut), *tail])
        if count_tokens(text, model) <= max_tokens:
            return text
        room -= max(1, room // 10)  # token counts of joined pieces can differ by a few: shrink
    return _token_prefix(full, max_tokens, model)  # too small for the strategy: a plain prefix
    # END SOLUTION


def fit_ticket(ticket: dict, max_tokens: int, model: str = "gpt-4o-mini") -> tuple[str, bool]:
    """The text sent for one ticket dict and whether it was cut."""
    text = truncate_ticket(ticket["subject"], ticket["body"], max_tokens, model)
    return text, text != f"{ticket['subject']}\n\n{ticket['body']}"
