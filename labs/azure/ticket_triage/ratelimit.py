"""Staying inside the deployment's quota: a client-side limiter and the retry delay after a 429.

Azure OpenAI gives each deployment a quota in tokens per minute (TPM) and requests per minute
(RPM, 6 per 1,000 TPM). When it admits a request it counts the prompt tokens *plus*
``max_tokens`` (it cannot know yet how long the answer will be), and it enforces the quota
over short windows (about 10 s), not only per minute. A client that sends as fast as it can
collects 429s; a client that waits for its quota before sending gets almost none and still
uses the whole quota.

``RateLimiter`` keeps a log of what it sent in the last ``window_s`` seconds and admits a
request only while the window stays within the quota's share, the rule the service applies.
It also listens to the service: ``x-ratelimit-remaining-tokens`` / ``-requests`` below what
we think remains (another client shares the deployment, or our counts are off) are charged
to the window, and a 429 pauses every sender, not only the one that got it.

``retry_delay`` says how long to wait before retrying: the service's ``retry-after-ms`` if
present, else ``retry-after`` (seconds or an HTTP date), else exponential backoff with jitter
up to a cap. Real responses sometimes lack these headers or carry odd values (negative,
non-numeric, absurdly large): those are ignored or clamped rather than trusted.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

# Longest a server hint is honoured; a larger value is clamped (a typo must not stall a run).
MAX_SERVER_DELAY = 60.0


def requests_per_minute(tpm: int) -> int:
    """Azure's RPM for a TPM quota: 6 requests per 1,000 tokens per minute."""
    return max(1, tpm * 6 // 1000)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header value by case-insensitive name (plain dicts in tests, httpx.Headers in use)."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _number(value: str | None) -> float | None:
    """A finite, non-negative number from a header value, else None."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _http_date_delay(value: str | None, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def retry_delay(attempt: int, headers: Mapping[str, str] | None = None, *, base: float = 1.0,
                cap: float = 30.0, rng: Callable[[], float] = random.random,
                wall_clock: Callable[[], float] = time.time) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    1. ``retry-after-ms`` (milliseconds) when it is a valid number;
    2. else ``retry-after``: seconds, or an HTTP date (measured from ``wall_clock()``);
    3. else exponential backoff: d = min(cap, base * 2**attempt), and the delay is
       d/2 + rng() * d/2 (jitter keeps clients that failed together from retrying together).
    A server value is clamped to MAX_SERVER_DELAY.
    """
    # BEGIN SOLUTION
    # HINT: retry-after-ms, then retry-after (number or HTTP date), else capped backoff + jitter.
    ms = _number(_header(headers, "retry-after-ms"))
    if ms is not None:
        return min(ms / 1000.0, MAX_SERVER_DELAY)
    raw = _header(headers, "retry-after")
    seconds = _number(raw)
    if seconds is None and raw is not None:
        seconds = _http_date_delay(raw, wall_clock())
    if seconds is not None:
        return min(seconds, MAX_SERVER_DELAY)
    ceiling = min(cap, base * (2 ** max(0, attempt)))
    return ceiling / 2 + rng() * ceiling / 2
    # END SOLUTION


class RateLimiter:
    """A sliding-window log of what we sent: at most the quota's share in any ``window_s``.

    Why a log and not a token bucket: the service admits a request when the tokens charged in
    the *last* ``window_s`` seconds plus this one stay within ``tpm * window_s / 60``. A token
    bucket refilling at the same rate can put up to twice that into one window (a full bucket
    plus its refill), and the service answers that with 429s. Mirroring the service's rule
    cannot overshoot it. Each entry is dated ``guard_s`` late because the service records a
    request when it arrives, a little after we decide to send it; once the answer is back,
    ``settle`` re-dates the entry to that moment (the service admitted it before answering, so
    we never believe room frees up before the service does) or, after a 429, removes it (the
    service did not count it).
    """

    def __init__(self, tpm: int, rpm: int | None = None, *, window_s: float = 10.0,
                 guard_s: float = 0.1, clock: Callable[[], float] = time.monotonic,
                 sleep=asyncio.sleep):
        if tpm <= 0:
            raise ValueError(f"tpm must be positive, got {tpm}")
        self.tpm = tpm
        self.rpm = rpm or requests_per_minute(tpm)
        self.window_s = window_s
        self.guard_s = guard_s
        self.clock = clock
        self.sleep = sleep
        self.log: deque[list[float]] = deque()  # [time charged, tokens]; tokens 0 = request only
        self.paused_until = 0.0
        self.waited = 0.0  # seconds spent waiting for quota, for the report
        self._lock = asyncio.Lock()

    @property
    def token_capacity(self) -> float:
        return self.tpm * self.window_s / 60.0

    @property
    def request_capacity(self) -> int:
        return max(1, int(self.rpm * self.window_s / 60.0))

    def _evict(self, now: float) -> None:
        # Entries are re-dated by settle(), so the log is not in time order: filter, don't pop.
        if any(entry[0] <= now - self.window_s for entry in self.log):
            self.log = deque(e for e in self.log if e[0] > now - self.window_s)

    def used(self, now: float | None = None) -> tuple[float, int]:
        """(tokens, requests) charged in the current window."""
        self._evict(self.clock() if now is None else now)
        return sum(tokens for _, tokens in self.log), len(self.log)

    def reserve(self, tokens: int, now: float | None = None) -> float:
        """Charge ``tokens`` and one request if the window has room and return 0.0; otherwise
        charge nothing and return how many seconds to wait before asking again.

        ``tokens`` is what Azure counts at admission: prompt tokens + max_tokens. A request
        larger than the whole window's capacity is admitted when the window is empty (it
        could never fit otherwise). While paused after a 429 (``paused_until``), nothing is
        admitted.
        """
        # BEGIN SOLUTION
        # HINT: _evict, honour paused_until, admit if tokens and requests fit, else time to room.
        now = self.clock() if now is None else now
        self._evict(now)
        if now < self.paused_until:
            return self.paused_until - now
        used = sum(t for _, t in self.log)
        tokens_ok = used + tokens <= self.token_capacity or not self.log
        calls_ok = len(self.log) < self.request_capacity
        if tokens_ok and calls_ok:
            self.log.append([now + self.guard_s, float(tokens)])
            return 0.0
        ordered = sorted(self.log)
        wait = 0.0
        if not calls_ok:
            wait = ordered[len(ordered) - self.request_capacity][0] + self.window_s - now
        if not tokens_ok:
            left = used
            for charged_at, charged in ordered:
                left -= charged
                if left + tokens <= self.token_capacity or left <= 0:
                    wait = max(wait, charged_at + self.window_s - now)
                    break
        return max(wait, 1e-3)
        # END SOLUTION

    async def acquire(self, tokens: int) -> list[float]:
        """Wait until ``tokens`` may be sent, charge them, and return the log entry (for settle)."""
        async with self._lock:  # one waiter at a time: first come, first served
            while (wait := self.reserve(tokens)) > 0:
                await self.sleep(wait)
                self.waited += wait
            return self.log[-1]

    def settle(self, entry: list[float], admitted: bool) -> None:
        """The answer to the request charged as ``entry`` is back: re-date it, or refund it."""
        if not admitted:
            self.log = deque(e for e in self.log if e is not entry)
        else:
            entry[0] = max(entry[0], self.clock())

    def update_from_headers(self, headers: Mapping[str, str] | None) -> None:
        """Believe the service when it says it has less room than we think.

        ``x-ratelimit-remaining-tokens`` below our own remaining (capacity - used) means
        someone else uses the deployment or our counts are low: charge the difference now, so
        the next requests wait for it. The same for ``x-ratelimit-remaining-requests``.
        Missing, non-numeric or negative values are ignored; a value above ours changes
        nothing (the service's windows may be longer than ours).
        """
        # BEGIN SOLUTION
        # HINT: when a valid remaining header is below ours, charge the difference to self.log.
        now = self.clock()
        used_tokens, used_requests = self.used(now)
        remaining_tokens = _number(_header(headers, "x-ratelimit-remaining-tokens"))
        if remaining_tokens is not None:
            deficit = (self.token_capacity - used_tokens) - remaining_tokens
            if deficit > 0:
                self.log.append([now, deficit])
                used_requests += 1  # that entry also counts as a request slot; compensate below
        remaining_requests = _number(_header(headers, "x-ratelimit-remaining-requests"))
        if remaining_requests is not None:
            missing = int((self.request_capacity - used_requests) - remaining_requests)
            self.log.extend([now, 0.0] for _ in range(max(0, missing)))
        # END SOLUTION

    def pause(self, seconds: float) -> None:
        """After a 429: admit nothing for ``seconds`` (every sender waits, not only this one)."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)
