"""The sliding-window limiter on a fake clock: exact capacities and retry-after values."""

from __future__ import annotations

import pytest

from mocks.azure_openai.ratelimit import SlidingWindowLimiter, inconsistent, retry_headers, rpm_for


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rpm_is_six_per_thousand_tpm():
    assert rpm_for(20000) == 120 and rpm_for(1000) == 6


def test_token_quota_over_the_window_and_exact_retry_after():
    clock = Clock()
    limiter = SlidingWindowLimiter(tpm=20000, window_s=10, clock=clock)  # 3333 tokens, 20 requests
    assert limiter.token_capacity == 3333 and limiter.request_capacity == 20
    assert limiter.admit(2000).admitted
    clock.now += 4
    first = limiter.admit(1000)
    assert first.admitted and first.remaining_tokens == 333 and first.remaining_requests == 18
    clock.now += 1
    refused = limiter.admit(1000)
    assert not refused.admitted and refused.kind == "token"
    assert refused.retry_after_s == pytest.approx(5.0)  # when the 2000 leaves the window
    clock.now += 5
    assert limiter.admit(1000).admitted


def test_request_quota_bites_before_tokens_for_small_requests():
    clock = Clock()
    limiter = SlidingWindowLimiter(tpm=20000, window_s=10, clock=clock)
    for i in range(20):
        clock.now += 0.1
        assert limiter.admit(10).admitted, i
    refused = limiter.admit(10)
    assert not refused.admitted and refused.kind == "call"
    assert refused.retry_after_s == pytest.approx(8.1)


def test_an_oversized_request_is_admitted_into_an_empty_window_only():
    clock = Clock()
    limiter = SlidingWindowLimiter(tpm=6000, window_s=10, clock=clock)  # 1000 tokens per window
    assert limiter.admit(5000).admitted
    assert not limiter.admit(5000).admitted
    clock.now += 10
    assert limiter.admit(5000).admitted


def test_unlimited_deployment_never_refuses():
    assert all(SlidingWindowLimiter(None).admit(10**6).admitted for _ in range(100))


def test_retry_headers_round_up():
    assert retry_headers(0.0004) == {"retry-after-ms": "1", "retry-after": "1"}
    assert retry_headers(2.5) == {"retry-after-ms": "2500", "retry-after": "3"}


def test_inconsistent_headers_cycle():
    base = {**retry_headers(1.2), "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-remaining-tokens": "5"}
    variants = [inconsistent(base, n, 20000) for n in range(4)]
    assert "retry-after" not in variants[0]
    assert "retry-after-ms" not in variants[1] and "x-ratelimit-remaining-requests" not in variants[1]
    assert variants[2]["x-ratelimit-remaining-tokens"] == "20000"
    assert variants[3] == base
