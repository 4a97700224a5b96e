# MUTANT batching__match_by_position: a plausible wrong batching.py; the graded tests must fail on it.
# ruff: noqa
"""Batching: several tickets per request, packed to the token budget, answers matched by id.

Every request repeats the same system prompt (labels, descriptions, examples). Sending ten
tickets in one request pays for that prompt once instead of ten times, which is where most of
the token saving comes from.

The answer grows with the batch: each ticket adds one JSON item to the output, so a batch of
``n`` tickets reserves ``OUTPUT_OVERHEAD + n * OUTPUT_PER_TICKET`` output tokens, and that
reservation comes out of the same context window as the prompt. The reservation is also what
``max_tokens`` is set to, and Azure counts ``max_tokens`` against the quota when it admits a
request: reserving too much wastes quota, reserving too little cuts answers
(``finish_reason="length"``).

Answers are matched back to tickets by the ``id`` each item carries, never by position: a
model may skip, reorder or repeat items.
"""

from __future__ import annotations

from dataclasses import dataclass

# Output tokens one ticket's answer item needs: {"id": ..., "category": ..., "priority": ...,
# "summary": "<at most 12 words>"} is about 45 tokens with gpt-4o's tokenizer; 60 leaves room.
OUTPUT_PER_TICKET = 60
# The {"results": [ ... ]} wrapper around the items.
OUTPUT_OVERHEAD = 10


@dataclass(frozen=True)
class Item:
    """One ticket ready to send: its id, its (possibly cut) text and that text's token count."""

    id: str
    text: str
    tokens: int


def ticket_block(ticket_id: str, text: str) -> str:
    """How one ticket appears in the user message: delimited and labelled with its id."""
    return f'<ticket id="{ticket_id}">\n{text}\n</ticket>'


# Tokens the delimiters add around a ticket's text (tag, id, newlines); the id is short.
BLOCK_OVERHEAD = 16


def reserved_output(n_tickets: int, per_ticket: int = OUTPUT_PER_TICKET,
                    overhead: int = OUTPUT_OVERHEAD) -> int:
    """Output tokens to reserve (and pass as max_tokens) for a batch of ``n_tickets``."""
    # BEGIN SOLUTION
    # HINT: a fixed overhead for the wrapper plus a share per ticket.
    return overhead + n_tickets * per_ticket
    # END SOLUTION


def request_cost(n_items: int, item_tokens: int, fixed_prompt_tokens: int,
                 per_ticket: int = OUTPUT_PER_TICKET) -> int:
    """What Azure charges the quota for a batch at admission: prompt + reserved output (max_tokens)."""
    return fixed_prompt_tokens + item_tokens + reserved_output(n_items, per_ticket)


def pack_batches(items: list[Item], fixed_prompt_tokens: int, context_window: int, *,
                 max_batch: int = 10, max_output_tokens: int | None = None,
                 safety_margin: int = 64, per_ticket: int = OUTPUT_PER_TICKET,
                 max_request_tokens: int | None = None) -> list[list[Item]]:
    """Group items, in order, into batches that each fit the context window.

    A batch fits when fixed_prompt_tokens + its items' tokens (+ BLOCK_OVERHEAD each)
    + reserved_output(len(batch)) + safety_margin <= context_window, it has at most
    ``max_batch`` items, and its reserved output is within ``max_output_tokens`` (the model's
    output limit) when given. An item that does not fit even alone raises ValueError: cut it
    first (budget.truncate_ticket).

    ``max_request_tokens`` (optional) caps each batch's admission cost, ``request_cost``
    (prompt + reserved output, what the quota is charged): a quota window holds a whole number
    of such requests, so none is left waiting for room a smaller one would have used. An item
    whose request exceeds the cap even alone goes alone.
    """
    # BEGIN SOLUTION
    # HINT: greedy: add items while prompt+items+reserved_output(n)+margin fits and request_cost <= max_request_tokens.
    def fits(n: int, item_tokens: int) -> bool:
        out = reserved_output(n, per_ticket)
        if max_output_tokens is not None and out > max_output_tokens:
            return False
        return fixed_prompt_tokens + item_tokens + out + safety_margin <= context_window

    def within_cap(n: int, item_tokens: int) -> bool:
        return (max_request_tokens is None
                or request_cost(n, item_tokens, fixed_prompt_tokens, per_ticket) <= max_request_tokens)

    batches: list[list[Item]] = []
    current: list[Item] = []
    current_tokens = 0
    for item in items:
        cost = item.tokens + BLOCK_OVERHEAD
        grown = len(current) + 1, current_tokens + cost
        if current and len(current) < max_batch and fits(*grown) and within_cap(*grown):
            current.append(item)
            current_tokens += cost
            continue
        if not fits(1, cost):
            raise ValueError(
                f"Ticket {item.id} needs {item.tokens} tokens and does not fit the context window "
                f"of {context_window} even alone; cut it with budget.truncate_ticket first."
            )
        if current:
            batches.append(current)
        current, current_tokens = [item], cost
    if current:
        batches.append(current)
    return batches
    # END SOLUTION


def user_message(batch: list[Item]) -> str:
    """The user message of a request: every ticket of the batch in its delimiters."""
    return "\n\n".join(ticket_block(item.id, item.text) for item in batch)


def match_answers(batch_ids: list[str], answers: list[dict]) -> tuple[dict[str, dict], list[str]]:
    """Pair answer items with the batch's tickets by ``id``.

    Returns (answer per ticket id, ids with no answer). Items whose id is not in the batch are
    ignored; when an id is answered twice, the first answer wins.
    """
    # BEGIN SOLUTION
    # HINT: index the answers by their "id" (skip unknown ids and repeats), then list the batch ids that got nothing.
    matched: dict[str, dict] = {}
    for ticket_id, answer in zip(batch_ids, answers):  # BUG: by position
        matched[ticket_id] = answer
    missing = [i for i in batch_ids if i not in matched]
    return matched, missing
    # END SOLUTION
