# MUTANT triage__retry_on_length: a plausible wrong triage.py; the graded tests must fail on it.
# ruff: noqa
"""The run: every ticket classified, filtered or failed-with-reason, concurrently, within quota.

Work flows as *units* (a batch of tickets) through an ``asyncio.Queue`` served by a bounded
number of workers (``concurrency``), all sharing one ``AsyncAzureOpenAI`` client and one
:class:`~labs.azure.ticket_triage.ratelimit.RateLimiter`. Each unit is paced by the limiter,
sent by ``classify.classify_batch``, and its outcome decides what happens next
(``plan_recovery``):

=================  ===========================  ==========================================
outcome            batch of several tickets     a single ticket
=================  ===========================  ==========================================
ok                 accept valid items; retry    accept, or retry it
                   the tickets whose item was
                   missing or invalid
context_length     split in two                 cut the ticket harder
length             split in two                 allow a longer answer
content_filter     split in two (find it)       store as *filtered* with the reason
rate_limited       wait (retry-after-ms, ...)   wait
server_error,      back off, then retry         back off, then retry
connection,
invalid
=================  ===========================  ==========================================

With a quota to pace to (``tpm``), units are sized so the quota is used, not only respected:
each request is packed up to a whole fraction of the rate window's tokens
(``Triage.request_target``), tickets a little further on fill the room a long ticket leaves
(``fill_order``), so k requests fill each window instead of leaving room no waiting batch fits.

A split is progress (batches get smaller, down to one ticket) and costs no try. Anything
else costs each ticket of the unit one try; a ticket out of tries is stored as *failed* with
the last reason. 429s cost no try (the ticket did nothing wrong) but are bounded too.
Every finished ticket is written to the store at once, so a killed run loses nothing.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from labs.azure.ticket_triage import batching, budget, classify, prompt, ratelimit
from labs.azure.ticket_triage.batching import Item
from labs.azure.ticket_triage.store import ResultStore
from shared.tokens import count_tokens

CONTEXT_MESSAGE = re.compile(r"maximum context length is (\d+) tokens.*?requested (\d+) tokens", re.S)
MIN_TICKET_TOKENS = 32
TARGET_STRETCH = 10  # batches' worth of tickets that share one request size (see Triage.plan)
# Outcomes the service refuses before charging the quota.
NOT_ADMITTED = ("rate_limited", "context_length")


@dataclass
class TriageConfig:
    batch_size: int = 10
    concurrency: int = 4
    max_attempts: int = 4  # tries per ticket (429s not counted)
    max_rate_limit_waits: int = 50  # 429s per unit before its tickets fail
    max_ticket_tokens: int = 800  # a longer ticket is cut (budget.truncate_ticket): cost control
    safety_margin: int = budget.SAFETY_MARGIN
    per_ticket_output: int = batching.OUTPUT_PER_TICKET
    tpm: int | None = None  # the deployment's quota to pace to; None: no client-side pacing
    rpm: int | None = None  # default: 6 per 1,000 TPM
    rate_window_s: float = 10.0  # the window the service enforces the quota over
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    examples_per_category: int = 2


@dataclass
class Stats:
    """Running totals, for the progress bar and the report."""

    total: int = 0
    classified: int = 0
    filtered: int = 0
    failed: int = 0
    calls: int = 0
    rate_limited: int = 0
    retries: int = 0  # calls repeated after a failure (429s included)
    splits: int = 0
    truncated: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.classified + self.filtered + self.failed

    def tokens_per_minute(self) -> float:
        minutes = max(1e-9, (time.monotonic() - self.started) / 60)
        return (self.prompt_tokens + self.completion_tokens) / minutes


@dataclass
class Unit:
    items: list[Item]
    per_ticket_output: int
    rate_waits: int = 0


def plan_recovery(kind: str, n_tickets: int) -> str:
    """What to do after an outcome of ``kind`` for a unit of ``n_tickets`` tickets.

    Returns one of: "accept", "wait", "split", "cut", "longer", "filtered", "retry"
    (see the table in this module's docstring).
    """
    # BEGIN SOLUTION
    # HINT: context_length/length/content_filter split a batch; alone: cut / longer / filtered.
    if kind == "ok":
        return "accept"
    if kind == "rate_limited":
        return "wait"
    if kind == "length":
        return "retry"  # BUG: no split
    if kind in ("context_length", "length", "content_filter"):
        if n_tickets > 1:
            return "split"
        return {"context_length": "cut", "length": "longer", "content_filter": "filtered"}[kind]
    if kind in ("server_error", "connection", "invalid"):
        return "retry"
    raise ValueError(f"unknown outcome kind {kind!r}")
    # END SOLUTION


def split_unit(unit: Unit) -> tuple[Unit, Unit]:
    """Two halves of a unit of at least two tickets, in order."""
    middle = len(unit.items) // 2
    return (Unit(unit.items[:middle], unit.per_ticket_output),
            Unit(unit.items[middle:], unit.per_ticket_output))


def fill_order(items: list[Item], target: int, fixed_tokens: int, per_ticket: int, max_batch: int,
               lookahead: int = 40) -> list[Item]:
    """``items`` reordered so that packing them in order fills each request up to ``target``.

    Ticket lengths are skewed (most short, a few long): packed strictly in order, a long ticket
    that does not fit the room left closes the request early. Here it waits for the next
    request while shorter tickets at most ``lookahead`` places on take the room; otherwise the
    order is kept.
    """
    rest, ordered = list(items), []
    while rest:
        taken, n, tokens = [], 0, 0
        for index, item in enumerate(rest[:lookahead]):
            cost = item.tokens + batching.BLOCK_OVERHEAD
            if not taken or batching.request_cost(n + 1, tokens + cost, fixed_tokens, per_ticket) <= target:
                taken.append(index)
                n, tokens = n + 1, tokens + cost
                if n == max_batch:
                    break
        ordered += [rest[i] for i in taken]
        rest = [item for i, item in enumerate(rest) if i not in set(taken)]
    return ordered


def allowance_after_overflow(message: str, ticket_tokens: int, margin: int) -> int:
    """Tokens to cut a lone ticket to after context_length_exceeded.

    Azure says by how much we were over ("maximum context length is N tokens. However, you
    requested M tokens"); cut that much plus the margin. Without those numbers, halve it.
    """
    found = CONTEXT_MESSAGE.search(message or "")
    if found:
        over = int(found.group(2)) - int(found.group(1))
        return max(MIN_TICKET_TOKENS, min(ticket_tokens - 1, ticket_tokens - over - margin))
    return max(MIN_TICKET_TOKENS, ticket_tokens // 2)


class Triage:
    """Classify tickets into a store; see the module docstring."""

    def __init__(self, client, connection, store: ResultStore, config: TriageConfig,
                 labels: prompt.Labels, examples: list[dict],
                 on_progress: Callable[[Stats], None] | None = None):
        self.client = client
        self.conn = connection
        self.store = store
        self.config = config
        self.labels = labels
        self.prompt = classify.build_prompt(labels, examples, connection.model)
        self.on_progress = on_progress or (lambda stats: None)
        self.stats = Stats()
        self.limiter = (ratelimit.RateLimiter(config.tpm, config.rpm, window_s=config.rate_window_s)
                        if config.tpm else None)
        self.tickets: dict[str, dict] = {}
        self.attempts: dict[str, int] = {}
        self.last_reason: dict[str, str] = {}

    # -- preparing the work ------------------------------------------------------------------

    def ticket_allowance(self) -> int:
        """Most tokens one ticket may have: the cost cap, or what fits beside the prompt."""
        room = budget.prompt_budget(self.conn.context_window,
                                    batching.reserved_output(1, self.config.per_ticket_output),
                                    self.config.safety_margin)
        return min(self.config.max_ticket_tokens, room - self.prompt.fixed_tokens - batching.BLOCK_OVERHEAD)

    def item_for(self, ticket: dict, allowance: int) -> Item:
        text, cut = budget.fit_ticket(ticket, allowance, self.conn.model)
        if cut:
            self.stats.truncated += 1
        return Item(ticket["id"], text, count_tokens(text, self.conn.model))

    def plan(self, tickets: list[dict]) -> list[Unit]:
        allowance = self.ticket_allowance()
        if allowance < MIN_TICKET_TOKENS:
            raise classify.ServiceError(
                f"The prompt alone ({self.prompt.fixed_tokens} tokens) leaves no room for a ticket "
                f"in the context window of {self.conn.context_window}. Use fewer examples "
                "(examples_per_category) or a deployment with a larger context window.")
        items = [self.item_for(t, allowance) for t in tickets]
        batches: list[list[Item]] = []
        # Ticket lengths drift over a stream: each stretch of tickets gets its own request size.
        # A stretch's last, partly filled batch is packed again with the next stretch.
        stretch, carry = TARGET_STRETCH * self.config.batch_size, []
        for start in range(0, len(items), stretch):
            part = carry + items[start:start + stretch]
            target = self.request_target(part)
            if target:
                part = fill_order(part, target, self.prompt.fixed_tokens, self.config.per_ticket_output,
                                  self.config.batch_size * 2)
            packed = batching.pack_batches(
                part, self.prompt.fixed_tokens, self.conn.context_window,
                # Packed to the window's share, a run of short tickets may make a longer batch.
                max_batch=self.config.batch_size * (2 if target else 1),
                max_output_tokens=self.conn.max_output_tokens, safety_margin=self.config.safety_margin,
                per_ticket=self.config.per_ticket_output, max_request_tokens=target)
            carry = packed.pop() if start + stretch < len(items) else []
            batches += packed
        return [Unit(batch, self.config.per_ticket_output) for batch in batches]

    def request_target(self, items: list[Item]) -> int | None:
        """The cost to pack each request to when pacing to a quota (pack_batches' units), else None.

        A window admits ``token_capacity`` tokens. Batches packed by count vary in cost, and a
        window ends with room none of them fits: the quota goes unused. Requests of about
        ``batch_size`` average tickets fit ``k = capacity // nominal`` times in a window, so
        each is packed up to ``capacity / k`` tokens: k requests then fill the window, and none
        costs more tokens per ticket than a batch of ``batch_size`` would.
        """
        if self.limiter is None or not items:
            return None
        n, per_ticket = self.config.batch_size, self.config.per_ticket_output
        sample = (items * n)[:n]  # a batch of the first tickets, to measure what it is charged

        def estimate(batch_items: list[Item]) -> int:
            tokens = sum(i.tokens + batching.BLOCK_OVERHEAD for i in batch_items)
            return batching.request_cost(len(batch_items), tokens, self.prompt.fixed_tokens, per_ticket)

        # pack_batches' estimate is safe for the context window (it counts the schema and roomy
        # delimiters); the quota is charged the exact prompt, so pack to the exact cost.
        slack = max(0, estimate(sample) - self.admission_tokens(sample, batching.reserved_output(n, per_ticket)))
        mean_ticket = sum(i.tokens for i in items) / len(items)
        nominal = estimate([Item("", "", round(mean_ticket))] * n) - slack
        capacity = self.limiter.token_capacity
        return int(capacity / max(1, int(capacity // nominal))) + slack

    # -- running -----------------------------------------------------------------------------

    async def run(self, tickets: list[dict]) -> Stats:
        """Classify ``tickets`` (the ones still pending) and return the totals."""
        self.tickets = {t["id"]: t for t in tickets}
        self.stats = Stats(total=len(tickets))
        queue: asyncio.Queue[Unit] = asyncio.Queue()
        for unit in self.plan(tickets):
            queue.put_nowait(unit)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(max(1, self.config.concurrency))]
        joined = asyncio.create_task(queue.join())
        try:
            await asyncio.wait([joined, *workers], return_when=asyncio.FIRST_COMPLETED)
            for worker in workers:  # a worker only ends early by raising (ServiceError)
                if worker.done() and worker.exception() is not None:
                    raise worker.exception()
        finally:
            for task in [joined, *workers]:
                task.cancel()
            await asyncio.gather(joined, *workers, return_exceptions=True)
        return self.stats

    async def _worker(self, queue: asyncio.Queue) -> None:
        while True:
            unit = await queue.get()
            try:
                for follow_up in await self.process(unit):
                    queue.put_nowait(follow_up)
            finally:
                queue.task_done()

    async def process(self, unit: Unit) -> list[Unit]:
        """Send one unit, act on the outcome, and return the units still to do."""
        n = len(unit.items)
        max_tokens = min(batching.reserved_output(n, unit.per_ticket_output), self.conn.max_output_tokens)
        charge = None
        if self.limiter is not None:
            charge = await self.limiter.acquire(self.admission_tokens(unit.items, max_tokens))
        started = time.time()
        outcome = await classify.classify_batch(self.client, self.conn.deployment, self.prompt,
                                                unit.items, self.labels, max_tokens)
        if charge is not None:  # refused before admission: the service did not count it
            self.limiter.settle(charge, admitted=outcome.kind not in NOT_ADMITTED)
        self._account(unit, outcome, started, max_tokens)
        action = plan_recovery(outcome.kind, n)
        if action == "accept":
            return self._accept(unit, outcome)
        if action == "wait":
            return await self._wait(unit, outcome)
        if action == "split":
            self.stats.splits += 1
            return list(split_unit(unit))
        if action == "filtered":
            self._finish(unit.items, "filtered", reason=outcome.detail)
            return []
        if action == "cut":
            return self._cut(unit, outcome)
        if action == "longer":
            return self._longer(unit)
        return await self._retry(unit, outcome)

    # -- outcomes ------------------------------------------------------------------------------

    def _account(self, unit: Unit, outcome: classify.Outcome, started: float, max_tokens: int) -> None:
        self.stats.calls += 1
        self.stats.prompt_tokens += outcome.prompt_tokens
        self.stats.completion_tokens += outcome.completion_tokens
        if outcome.kind == "rate_limited":
            self.stats.rate_limited += 1
        if self.limiter is not None:
            self.limiter.update_from_headers(outcome.headers)
        self.store.record_call(
            started_at=started, latency_s=outcome.latency_s, n_tickets=len(unit.items),
            outcome=outcome.kind, prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            admitted_tokens=self.admission_tokens(unit.items, max_tokens))

    def admission_tokens(self, items: list[Item], max_tokens: int) -> int:
        """What Azure charges the quota when it admits the request: prompt + max_tokens."""
        return self.prompt.message_tokens(items) + max_tokens

    def _finish(self, items: list[Item], status: str, reason: str | None = None,
                answers: dict[str, dict] | None = None, this_call_counts: bool = True) -> None:
        rows = []
        for item in items:
            answer = (answers or {}).get(item.id, {})
            rows.append({"ticket_id": item.id, "status": status, "reason": reason,
                         "category": answer.get("category"), "priority": answer.get("priority"),
                         "summary": answer.get("summary"),
                         "attempts": self.attempts.get(item.id, 0) + int(this_call_counts),
                         "truncated": item.text != self._full_text(item.id)})
        if rows:
            self.store.record(rows)
            setattr(self.stats, status, getattr(self.stats, status) + len(rows))
            self.on_progress(self.stats)

    def _full_text(self, ticket_id: str) -> str:
        ticket = self.tickets.get(ticket_id)
        return f"{ticket['subject']}\n\n{ticket['body']}" if ticket else ""

    def _charge(self, items: list[Item], reason: str) -> list[Item]:
        """One try used by each item; those out of tries are stored as failed."""
        alive, dead = [], []
        for item in items:
            self.attempts[item.id] = self.attempts.get(item.id, 0) + 1
            self.last_reason[item.id] = reason
            (dead if self.attempts[item.id] >= self.config.max_attempts else alive).append(item)
        if dead:
            self._finish(dead, "failed", reason=f"{reason} (after {self.config.max_attempts} tries)",
                         this_call_counts=False)
        return alive

    def _accept(self, unit: Unit, outcome: classify.Outcome) -> list[Unit]:
        done = [i for i in unit.items if i.id in outcome.answers]
        self._finish(done, "classified", answers=outcome.answers)
        again = [i for i in unit.items if i.id not in outcome.answers]
        reasons = sorted({outcome.problems.get(i.id, "no valid answer") for i in again})
        alive = self._charge(again, "invalid answer: " + "; ".join(reasons)) if again else []
        if alive:
            self.stats.retries += 1
            return [Unit(alive, unit.per_ticket_output)]
        return []

    async def _wait(self, unit: Unit, outcome: classify.Outcome) -> list[Unit]:
        unit.rate_waits += 1
        if unit.rate_waits > self.config.max_rate_limit_waits:
            self._finish(unit.items, "failed",
                         reason=f"rate limited {unit.rate_waits} times in a row (429)")
            return []
        delay = ratelimit.retry_delay(unit.rate_waits - 1, outcome.headers,
                                      base=self.config.backoff_base_s, cap=self.config.backoff_cap_s)
        self.stats.retries += 1
        if self.limiter is not None:
            self.limiter.pause(delay)  # every worker waits, not only this one
        else:
            await asyncio.sleep(delay)
        return [unit]

    def _cut(self, unit: Unit, outcome: classify.Outcome) -> list[Unit]:
        item = unit.items[0]
        alive = self._charge([item], "over the context window even alone")
        if not alive:
            return []
        allowance = allowance_after_overflow(outcome.detail, item.tokens, self.config.safety_margin)
        self.stats.retries += 1
        return [Unit([self.item_for(self.tickets[item.id], allowance)], unit.per_ticket_output)]

    def _longer(self, unit: Unit) -> list[Unit]:
        longer = unit.per_ticket_output * 2
        if batching.reserved_output(1, longer) > self.conn.max_output_tokens:
            self._finish(unit.items, "failed", reason="answer cut at the model's output limit")
            return []
        alive = self._charge(unit.items, "answer cut at max_tokens (finish_reason=length)")
        if not alive:
            return []
        self.stats.retries += 1
        return [Unit(alive, longer)]

    async def _retry(self, unit: Unit, outcome: classify.Outcome) -> list[Unit]:
        alive = self._charge(unit.items, f"{outcome.kind}: {outcome.detail}"[:300])
        if not alive:
            return []
        tries = max(self.attempts[i.id] for i in alive)
        self.stats.retries += 1
        await asyncio.sleep(ratelimit.retry_delay(tries - 1, outcome.headers,
                                                  base=self.config.backoff_base_s,
                                                  cap=self.config.backoff_cap_s))
        return [Unit(alive, unit.per_ticket_output)]
