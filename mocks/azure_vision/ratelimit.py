"""Pricing tiers: a call-rate limit over a sliding window and a monthly transaction quota.

As Azure publishes them for Azure AI Vision (Image Analysis), at the time of writing:

* **F0** (free): 20 calls per minute (the service's FAQ), 5,000 transactions per month (the
  pricing page);
* **S1** (standard): 20 calls per second (the FAQ: "Upgrade to the S1 tier to get up to 20
  transactions per second", more on request), no monthly cap (pay per transaction).

A call over the rate gets 429 with ``Retry-After`` (seconds until the window has room, the way
azure-core's ``RetryPolicy`` reads it); a call after the month's transactions are used gets
403 "Out of call volume quota" (no ``Retry-After``: waiting seconds does not help). Each
requested visual feature is one billed transaction, as the price sheet counts them; the rate
limit counts calls. The emulator's "month" is its lifetime since start or reset.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

TIERS = {
    "F0": {"calls": 20, "window_s": 60.0, "monthly_transactions": 5000},
    "S1": {"calls": 20, "window_s": 1.0, "monthly_transactions": None},
}


@dataclass(frozen=True)
class Decision:
    admitted: bool
    retry_after_s: float = 0.0
    quota_exhausted: bool = False


class TierLimiter:
    """Admit calls while the last ``window_s`` seconds hold fewer than ``calls`` of them."""

    def __init__(self, calls: int | None, window_s: float, monthly_transactions: int | None,
                 clock=time.monotonic):
        self.calls = calls
        self.window_s = float(window_s)
        self.monthly_transactions = monthly_transactions
        self.clock = clock
        self.transactions = 0
        self._log: deque[float] = deque()
        self._lock = threading.Lock()

    @classmethod
    def for_tier(cls, tier: str, clock=time.monotonic) -> TierLimiter:
        return cls(**TIERS[tier], clock=clock)

    def admit(self, transactions: int) -> Decision:
        with self._lock:
            if self.monthly_transactions is not None and \
                    self.transactions + transactions > self.monthly_transactions:
                return Decision(False, quota_exhausted=True)
            if self.calls:
                now = self.clock()
                while self._log and self._log[0] <= now - self.window_s:
                    self._log.popleft()
                if len(self._log) >= self.calls:
                    return Decision(False, retry_after_s=max(0.001, self._log[0] + self.window_s - now))
                self._log.append(now)
            self.transactions += transactions
            return Decision(True)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self.transactions = 0


def retry_after_value(seconds: float, override: float | None = None) -> str:
    """Azure sends whole seconds; an override (tests, demos) may be a fraction."""
    if override is not None:
        return f"{override:g}"
    return str(max(1, math.ceil(seconds)))
