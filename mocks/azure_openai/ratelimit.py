"""Azure-style rate limiting: a per-deployment TPM quota enforced over a short sliding window.

How Azure does it (and so how this does it):

* the quota is tokens per minute (TPM); requests per minute (RPM) is 6 per 1,000 TPM;
* a request is charged at admission by its *estimate*: prompt tokens plus ``max_tokens``
  (not the tokens it ends up generating);
* the quota is enforced over short windows, not per minute: with a 10 s window a deployment
  with 20,000 TPM admits at most 3,333 tokens and 20 requests in any 10 s;
* a refused request gets 429 with ``retry-after-ms`` / ``retry-after`` saying when the window
  will have room for it, and every response carries ``x-ratelimit-remaining-requests`` and
  ``x-ratelimit-remaining-tokens`` (what the current window still admits).

A request whose estimate alone exceeds a window's share is admitted when the window is empty,
so a large request is slow but never refused forever.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

REQUESTS_PER_1000_TOKENS = 6


def rpm_for(tpm: int) -> int:
    return tpm * REQUESTS_PER_1000_TOKENS // 1000


@dataclass(frozen=True)
class Decision:
    admitted: bool
    remaining_tokens: int
    remaining_requests: int
    retry_after_s: float = 0.0
    kind: str = ""  # "token" or "call" when refused: which limit bit


class SlidingWindowLimiter:
    """Admit (estimate) requests while the last ``window_s`` seconds stay under the quota."""

    def __init__(self, tpm: int | None, window_s: float = 10.0, clock=time.monotonic):
        self.tpm = tpm
        self.window_s = float(window_s)
        self.clock = clock
        self._log: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return not self.tpm

    @property
    def token_capacity(self) -> int:
        return int(self.tpm * self.window_s / 60) if self.tpm else 0

    @property
    def request_capacity(self) -> int:
        return max(1, int(rpm_for(self.tpm) * self.window_s / 60)) if self.tpm else 0

    def _evict(self, now: float) -> None:
        while self._log and self._log[0][0] <= now - self.window_s:
            self._log.popleft()

    def admit(self, cost: int) -> Decision:
        if self.unlimited:
            return Decision(True, 10**9, 10**9)
        with self._lock:
            now = self.clock()
            self._evict(now)
            used = sum(tokens for _, tokens in self._log)
            tokens_ok = used + cost <= self.token_capacity or not self._log
            calls_ok = len(self._log) + 1 <= self.request_capacity
            if tokens_ok and calls_ok:
                self._log.append((now, cost))
                return Decision(True, max(0, self.token_capacity - used - cost),
                                self.request_capacity - len(self._log))
            wait = 0.0
            if not tokens_ok:
                wait = max(wait, self._wait_for_tokens(now, used, cost))
            if not calls_ok:
                wait = max(wait, self._log[0][0] + self.window_s - now)
            return Decision(False, max(0, self.token_capacity - used),
                            max(0, self.request_capacity - len(self._log)),
                            retry_after_s=max(0.001, wait), kind="token" if not tokens_ok else "call")

    def _wait_for_tokens(self, now: float, used: int, cost: int) -> float:
        """Seconds until enough of the oldest charges leave the window for ``cost`` to fit."""
        for t, tokens in self._log:
            used -= tokens
            if used + cost <= self.token_capacity or used == 0:
                return t + self.window_s - now
        return 0.0

    def remaining(self) -> tuple[int, int]:
        """(tokens, requests) the current window still admits."""
        if self.unlimited:
            return 10**9, 10**9
        with self._lock:
            self._evict(self.clock())
            used = sum(tokens for _, tokens in self._log)
            return max(0, self.token_capacity - used), self.request_capacity - len(self._log)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()


def retry_headers(retry_after_s: float) -> dict[str, str]:
    return {
        "retry-after-ms": str(max(1, math.ceil(retry_after_s * 1000))),
        "retry-after": str(max(1, math.ceil(retry_after_s))),
    }


def remaining_headers(tokens: int, requests: int) -> dict[str, str]:
    return {"x-ratelimit-remaining-requests": str(requests),
            "x-ratelimit-remaining-tokens": str(tokens)}


def inconsistent(headers: dict[str, str], n: int, tpm: int | None) -> dict[str, str]:
    """Make headers behave like the real service's on a bad day (deterministic by request n).

    Cycles through: ``retry-after`` missing; both retry headers missing; remaining-tokens
    reported per minute instead of per window (bigger than what is admissible); headers as is.
    """
    headers = dict(headers)
    variant = n % 4
    if variant == 0:
        headers.pop("retry-after", None)
    elif variant == 1:
        headers.pop("retry-after", None)
        headers.pop("retry-after-ms", None)
        headers.pop("x-ratelimit-remaining-requests", None)
    elif variant == 2 and tpm:
        headers["x-ratelimit-remaining-tokens"] = str(tpm)
    return headers
