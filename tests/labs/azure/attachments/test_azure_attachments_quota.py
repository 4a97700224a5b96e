"""Graded: the quota (ratelimit.py) and retries (analyze.py) against the emulator.

Mutants that these tests catch:
  ratelimit__ignores_retry_after.py   backs off by its own clock, ignoring the service's Retry-After
  ratelimit__no_backoff_cap.py        lets exponential backoff grow without a cap
  ratelimit__no_guard.py              forgets the guard (calls arrive late and collect 429s)
  ratelimit__fixed_window.py          counts calls per calendar second (the guard lost at each second's edge)
  ratelimit__bursts.py                sends the whole quota at once (no spacing; the burst arrives spread out)
  analyze__retries_everything.py      retries a bad image (it will never succeed, and each try is billed)
  analyze__unbounded_retries.py       retries for ever
  analyze__no_pause_on_429.py         one thread waits after a 429; the others keep hitting the quota
"""

from __future__ import annotations

import math

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as F
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure_attachments_images import answer, png


@pytest.mark.exercise(6)
@pytest.mark.points(1)
def test_retry_delay_honours_retry_after_then_backs_off(lab, graded_parts):
    delay = lab("ratelimit").retry_delay
    with graded_parts("Retry-After in seconds"):
        assert delay(0, {"Retry-After": "2"}) == 2.0
        assert delay(3, {"retry-after": "0.5"}) == 0.5, "header names are case-insensitive"
        assert delay(0, {"Retry-After": "86400"}) == 60.0, "clamp a server value to MAX_SERVER_DELAY"
    with graded_parts("odd values ignored; capped exponential backoff with jitter"):
        for odd in ("soon", "-3", "nan", ""):
            got = delay(1, {"Retry-After": odd}, base=1.0, cap=8.0, rng=lambda: 1.0)
            assert got == 2.0, f"Retry-After {odd!r} must be ignored (backoff 1 * 2**1), got {got}"
        tops = [delay(a, {}, base=0.5, cap=4.0, rng=lambda: 1.0) for a in range(6)]
        assert tops == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], f"min(cap, base * 2**attempt): {tops}"
        assert delay(2, None, base=0.5, cap=4.0, rng=lambda: 0.0) == 1.0, "jitter: from half of it to all of it"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.exercise(6)
@pytest.mark.points(2)
def test_limiter_spreads_the_quota_over_a_sliding_window(lab, graded_parts):
    clock = Clock()
    limiter = lab("ratelimit").CallLimiter(3, 1.0, guard_s=0.0, clock=clock)
    with graded_parts("calls spread over the window: at least window_s / calls apart"):
        assert limiter.reserve(now=0.0) == 0.0
        wait = limiter.reserve(now=0.1)
        assert wait == pytest.approx(1 / 3 - 0.1), (
            f"3 calls per 1 s go 1/3 s apart (a burst reaches the service spread out): wait until t=1/3, got {wait}")
        assert [limiter.reserve(now=t) for t in (0.34, 0.68)] == [0.0, 0.0]
    with graded_parts("calls leave the window after window_s"):
        wait = limiter.reserve(now=1.0)
        assert wait == pytest.approx(0.68 + 1 / 3 - 1.0), f"the last call was at t=0.68: wait until +1/3, got {wait}"
        assert limiter.reserve(now=1.02) == 0.0, "3 calls in (0.02, 1.02]: the call of t=0.0 has left the window"
    with graded_parts("paused after a 429"):
        clock.now = 5.0
        limiter.pause(2.0)
        assert limiter.reserve(now=6.0) == pytest.approx(1.0), "paused until t=7: wait 1 s"
        assert limiter.reserve(now=7.0) == 0.0


@pytest.mark.exercise(6)
@pytest.mark.points(1)
def test_limiter_keeps_a_guard_for_calls_that_arrive_late(lab):
    limiter = lab("ratelimit").CallLimiter(2, 1.0, guard_s=0.1, clock=Clock())
    assert limiter.reserve(now=1.0) == 0.0 and limiter.reserve(now=1.5) == 0.0
    wait = limiter.reserve(now=2.0)
    assert wait == pytest.approx(0.1), (
        f"with guard_s=0.1 a call counts for 1.1 s (a sliding window, not calendar seconds): wait 0.1 more, got {wait}")
    assert limiter.reserve(now=2.1) == 0.0


def raised(azure_vision, client, item=None, data=None, features=(F.TAGS,)):
    if item is not None:
        azure_vision.control.script(item)
    try:
        client.analyze(data or png(), list(features))
    except HttpResponseError as exc:
        return exc
    raise AssertionError("the call was expected to fail")


@pytest.mark.exercise(7)
@pytest.mark.points(2)
def test_each_error_is_retried_refused_or_fatal(lab, connection, azure_vision, graded_parts):
    kind = lab("analyze").error_kind
    client = lab("client").make_client(connection)
    cases = [("rate_limit", "retry"), ("server_error", "retry"), ("unavailable", "retry"), ("quota", "fatal")]
    with graded_parts("429 and 5xx retried; 403 quota fatal"):
        for error, expected in cases:
            got = kind(raised(azure_vision, client, {"error": error}))
            assert got == expected, f"{error}: expected {expected!r}, got {got!r}"
        assert kind(ServiceRequestError("connection refused")) == "retry", "no answer at all: retry"
    with graded_parts("a bad image is refused, a bad request or key is fatal", weight=2):
        assert kind(raised(azure_vision, client, data=png(30, 30))) == "refused", "InvalidImageSize: refused"
        assert kind(raised(azure_vision, client, data=b"GIF89a-broken")) == "refused", "InvalidImageFormat"
        azure_vision.control.configure(region="uksouth")  # caption is not offered there
        assert kind(raised(azure_vision, client, features=(F.CAPTION,))) == "fatal", "NotSupportedFeature: fatal"
        bad_key = lab("client").make_client(type(connection)(connection.endpoint, type(connection.api_key)("nope"),
                                                              True))
        assert kind(raised(azure_vision, bad_key)) == "fatal", "401: fatal"
        assert kind(raised(azure_vision, client, {"status": 418, "code": "Teapot", "message": "?"})) == "failed"


class Recorder:
    """A limiter that admits at once and remembers pauses."""

    def __init__(self):
        self.acquired, self.paused = 0, []

    def acquire(self):
        self.acquired += 1

    def pause(self, seconds):
        self.paused.append(seconds)


def analyzer(lab, connection, tmp_path, limiter=None, **config):
    analyze, store = lab("analyze"), lab("store")
    sleeps = []
    cfg = analyze.AnalyzeConfig(features=[F.TAGS], **config)
    run = analyze.Analyzer(lab("client").make_client(connection), store.ResultStore(tmp_path / "r.db"), cfg,
                           limiter or Recorder(), sleep=sleeps.append)
    return run, sleeps


@pytest.mark.exercise(7)
@pytest.mark.points(1)
def test_a_429_is_retried_after_retry_after_and_pauses_everyone(lab, connection, azure_vision, tmp_path):
    limiter = Recorder()
    run, sleeps = analyzer(lab, connection, tmp_path, limiter)
    azure_vision.control.script({"error": "rate_limit", "headers": {"Retry-After": "0.25"}}, {"body": answer()})
    got = run.call_with_retries("a", png())
    assert got.status == "done" and got.attempts == 2, f"429 then success: done after 2 tries, got {got}"
    assert sleeps == [0.25], f"wait the Retry-After (0.25 s) before the retry; slept {sleeps}"
    assert limiter.acquired == 2 and limiter.paused == [0.25], (
        "each try waits for the limiter, and a 429 pauses the limiter so every thread waits")
    outcomes = [c["outcome"] for c in run.store.calls()]
    assert outcomes == ["429", "ok"], f"every call is recorded: {outcomes}"


@pytest.mark.exercise(7)
@pytest.mark.points(1)
def test_retries_stop_at_the_cap_and_bad_images_are_not_retried(lab, connection, azure_vision, tmp_path):
    run, sleeps = analyzer(lab, connection, tmp_path, max_attempts=3)
    azure_vision.control.script({"error": "server_error", "times": 3})
    got = run.call_with_retries("a", png())
    assert got.status == "failed" and got.attempts == 3 and "3" in got.reason, (
        f"max_attempts=3: give up after 3 tries, saying so; got {got}")
    assert len(sleeps) == 2 and all(0 < s <= 8 for s in sleeps), f"backoff between tries: {sleeps}"
    got = run.call_with_retries("b", png(30, 30))
    assert got.status == "refused" and got.attempts == 1 and "50" in got.reason, (
        f"a 400 about the image is refused at once with the service's message; got {got}")
    assert got.transactions == 1, "the service billed the refused call: count it"


@pytest.mark.exercise(7)
@pytest.mark.points(1)
def test_a_fatal_error_stops_the_run(lab, connection, azure_vision, tmp_path):
    run, _ = analyzer(lab, connection, tmp_path)
    azure_vision.control.script({"error": "quota"})
    with pytest.raises(lab("analyze").ServiceError):
        run.call_with_retries("a", png())
    assert len(run.store.calls()) == 1, "403 quota: one call, then stop (no retry helps)"
    assert not math.isnan(run.store.calls()[0]["latency_s"])
