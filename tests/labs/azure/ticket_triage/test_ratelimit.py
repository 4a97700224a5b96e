"""Graded: retry delays after a 429 and the client-side quota limiter (ratelimit.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  ratelimit__ignores_retry_after_ms.py   reads only retry-after (whole seconds)
  ratelimit__no_backoff_cap.py           exponential backoff without a cap
  ratelimit__trusts_odd_headers.py       believes negative / non-numeric header values
  ratelimit__ignores_remaining_headers.py  never adapts to x-ratelimit-remaining-*
  ratelimit__token_bucket.py             a token bucket that can put 2x the quota in a window
"""

from __future__ import annotations

import email.utils

import pytest


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_retry_after_ms_wins_over_retry_after(lab):
    rl = lab("ratelimit")
    got = rl.retry_delay(0, {"retry-after-ms": "1500", "retry-after": "3"})
    assert got == pytest.approx(1.5), (
        f"with retry-after-ms: 1500 and retry-after: 3 the delay was {got}; expected 1.5 s: "
        "retry-after-ms is the precise hint, use it first.")
    got = rl.retry_delay(0, {"Retry-After": "4"})
    assert got == pytest.approx(4.0), f"with only retry-after: 4 the delay was {got}; expected 4 s."
    date = email.utils.formatdate(1_000_010, usegmt=True)
    got = rl.retry_delay(0, {"retry-after": date}, wall_clock=lambda: 1_000_000)
    assert got == pytest.approx(10, abs=1), f"retry-after as an HTTP date 10 s ahead gave {got}; expected 10 s."


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_backoff_with_jitter_and_cap_when_headers_are_missing_or_odd(lab):
    rl = lab("ratelimit")
    low = [rl.retry_delay(a, {}, base=1, cap=8, rng=lambda: 0.0) for a in range(6)]
    high = [rl.retry_delay(a, None, base=1, cap=8, rng=lambda: 1.0) for a in range(6)]
    assert high[:4] == pytest.approx([1, 2, 4, 8]) and max(high) == pytest.approx(8), (
        f"backoff without headers gave {high}; expected 1, 2, 4, 8 then capped at 8 (base*2**attempt, cap).")
    assert all(lo < hi for lo, hi in zip(low, high, strict=True)), (
        "add jitter: the delay must depend on rng() so clients that failed together spread out.")
    for odd in ({"retry-after-ms": "-5"}, {"retry-after-ms": "soon"}, {"retry-after": "nan"},
                {"retry-after": ""}):
        got = rl.retry_delay(0, odd, base=1, cap=8, rng=lambda: 1.0)
        assert got == pytest.approx(1.0), (
            f"with the odd header {odd} the delay was {got}; ignore invalid values and fall back "
            "to backoff (here 1 s).")
    assert rl.retry_delay(0, {"retry-after-ms": "3600000"}) <= rl.MAX_SERVER_DELAY, (
        "clamp an absurd server delay to MAX_SERVER_DELAY.")


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_limiter_admits_at_most_the_quota_per_window(lab):
    rl = lab("ratelimit")
    clock = FakeClock()
    limiter = rl.RateLimiter(tpm=6000, rpm=600, window_s=10, guard_s=0, clock=clock)  # 1000 tokens / 10 s
    admitted = []
    for step in range(400):  # 40 s in 0.1 s steps, a 300-token request whenever allowed
        clock.now = 1000.0 + step * 0.1
        if limiter.reserve(300) == 0:
            admitted.append(clock.now)
    for t in admitted:
        in_window = sum(1 for u in admitted if t - 10 < u <= t)
        assert in_window * 300 <= 1000, (
            f"{in_window * 300} tokens were admitted within 10 s at t={t - 1000:.1f}; the quota "
            "allows 1000 per 10 s window (tpm * window_s / 60) in *any* window.")
    assert len(admitted) >= 11, (
        f"only {len(admitted)} requests in 40 s; the quota allows 3 per 10 s: do not wait longer than needed.")
    wait = rl.RateLimiter(tpm=6000, window_s=10, guard_s=0, clock=clock)
    assert wait.reserve(900) == 0 and wait.reserve(300) > 0, "a full window must make reserve() return a wait."


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_limiter_believes_lower_remaining_headers_and_ignores_odd_ones(lab):
    rl = lab("ratelimit")
    clock = FakeClock()
    limiter = rl.RateLimiter(tpm=60000, window_s=10, guard_s=0, clock=clock)  # 10,000 per window
    limiter.update_from_headers({"x-ratelimit-remaining-tokens": "abc", "x-ratelimit-remaining-requests": "-3"})
    limiter.update_from_headers({"x-ratelimit-remaining-tokens": str(10**9)})
    assert limiter.reserve(5000) == 0, (
        "non-numeric, negative or larger-than-ours remaining headers must not block requests.")
    limiter.update_from_headers({"x-ratelimit-remaining-tokens": "100"})
    assert limiter.reserve(2000) > 0, (
        "after x-ratelimit-remaining-tokens: 100 a 2000-token request must wait: the service "
        "has less room than we counted (someone else shares the deployment).")
