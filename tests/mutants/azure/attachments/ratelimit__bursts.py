# MUTANT ratelimit__bursts: a plausible wrong ratelimit.py; the graded tests must fail on it.
# ruff: noqa
"""Staying inside the tier's transactions-per-second quota: a client-side limiter and the wait
after a 429.

Azure AI Vision's S1 tier admits 20 calls per second (F0: 20 per minute). The service counts
calls over a sliding window and answers the 21st with 429 and ``Retry-After`` in whole seconds,
so one 429 costs a whole second of a 20-per-second budget. A client that sends as fast as it
can collects 429s; a client that waits for room before it sends gets almost none and still uses
the whole quota.

``CallLimiter`` keeps the times of the calls it let through and admits a call only while the
last ``window_s`` seconds (plus a small guard: the service dates a call when it *arrives*, a
little after we sent it) hold fewer than ``calls``, and no sooner than ``window_s / calls``
after the previous one. That spacing matters: 20 calls sent at once queue on their way in and
reach the service spread over tens of milliseconds, while the next window's first call, sent
into a quiet line, arrives at once; the service then sees it less than a second after the
burst's last one and answers 429. Spaced calls arrive about as late as each other. The lab asks
the limiter from inside the SDK's pipeline, just before a request goes on the wire (analyze.py),
so each call is dated when it is sent.

After a 429, ``pause`` stops every sender, not only the one that got it, for the ``Retry-After``
the service gave: Azure's throttling guidance reads it as the seconds "your application should
wait before sending the next request". A pause costs a whole window of quota, so the limiter's
job is to make 429s rare, not to recover from them quickly.

``retry_delay`` says how long to wait before a retry: the service's ``Retry-After`` (seconds)
when it is a sensible number, else exponential backoff with jitter, capped.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

MAX_SERVER_DELAY = 60.0  # longest Retry-After honoured; a larger value is clamped
# Late arrivals: 30 ms kept 0-1 429s per 1,000 calls at 20/s on the kit's machine (20 ms let 4
# through, each a whole second of quota); the guard itself costs 3% (benchmarks/README.md).
GUARD_S = 0.03


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header by case-insensitive name (plain dicts in tests, azure-core's headers in use)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def retry_delay(attempt: int, headers: Mapping[str, str] | None = None, *, base: float = 0.5,
                cap: float = 8.0, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    ``Retry-After`` when it holds a finite number >= 0 (clamped to MAX_SERVER_DELAY); else
    backoff: d = min(cap, base * 2**attempt), waiting d/2 + rng() * d/2 (the jitter keeps
    clients that failed together from retrying together).
    """
    # BEGIN SOLUTION
    # HINT: a valid numeric Retry-After (clamped), else min(cap, base * 2**attempt) with half of it jittered.
    try:
        seconds = float(str(header(headers, "retry-after")).strip())
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds) and seconds >= 0:
        return min(seconds, MAX_SERVER_DELAY)
    ceiling = min(cap, base * 2 ** max(0, attempt))
    return ceiling / 2 + rng() * ceiling / 2
    # END SOLUTION


class CallLimiter:
    """At most ``calls`` calls in any ``window_s`` seconds (+ ``guard_s``), at least
    ``window_s / calls`` apart, shared by threads."""

    def __init__(self, calls: int, window_s: float = 1.0, *, guard_s: float = GUARD_S,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if calls < 1 or window_s <= 0:
            raise ValueError(f"a quota needs calls >= 1 and window_s > 0, got {calls} per {window_s} s")
        self.calls, self.window_s, self.guard_s = calls, window_s, guard_s
        self.spacing = window_s / calls  # the quota spread evenly over the window
        self.clock, self.sleep = clock, sleep
        self.sent: deque[float] = deque()  # times of admitted calls, oldest first
        self.paused_until = 0.0
        self.waited = 0.0  # seconds spent waiting for room, for the report
        self._lock = threading.Lock()

    def reserve(self, now: float | None = None) -> float:
        """Admit one call now (record it, return 0.0) or return the seconds until there is room.

        Calls sent more than ``window_s + guard_s`` ago no longer count. While paused
        (``paused_until``), nothing is admitted. There is room when fewer than ``calls`` calls
        count and the last one was sent at least ``spacing`` ago; else wait for both.
        """
        # BEGIN SOLUTION
        # HINT: drop times older than window_s + guard_s; honour paused_until; wait for room in the window and
        # HINT: for spacing after the last call (the longer of the two); admit (append now) when neither waits.
        now = self.clock() if now is None else now
        span = self.window_s + self.guard_s
        while self.sent and self.sent[0] <= now - span:
            self.sent.popleft()
        if now < self.paused_until:
            return self.paused_until - now
        wait = self.sent[0] + span - now if len(self.sent) >= self.calls else 0.0
        # BUG: no spacing, the whole quota at once
        if wait <= 0:
            self.sent.append(now)
            return 0.0
        return max(wait, 1e-3)
        # END SOLUTION

    def acquire(self) -> None:
        """Wait until a call may be sent, and count it (first come, first served)."""
        with self._lock:
            while (wait := self.reserve()) > 0:
                self.sleep(wait)
                self.waited += wait

    def pause(self, seconds: float) -> None:
        """After a 429: admit nothing for ``seconds``."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)


class NoLimit:
    """No quota given: send at will (429s are still handled by the retries)."""

    waited = 0.0

    def acquire(self) -> None:
        pass

    def pause(self, seconds: float) -> None:
        pass
