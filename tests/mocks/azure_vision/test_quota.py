"""Pricing tiers: 429 with Retry-After (honoured by azure-core's RetryPolicy), monthly quota, billing."""

from __future__ import annotations

import time

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF
from azure.core.exceptions import HttpResponseError

from mocks.azure_vision.ratelimit import TierLimiter, retry_after_value
from tests.mocks.azure_vision import drawing


@pytest.fixture(scope="module")
def png():
    return drawing.encode(drawing.shapes_image().resize((100, 75)))


def statuses(server) -> list[int]:
    return [e["status"] for e in server.control.requests()]


def test_sdk_waits_the_retry_after_of_a_429_then_succeeds(azure_vision, png):
    azure_vision.control.script({"error": "rate_limit", "headers": {"Retry-After": "0.2"}, "times": 2})
    started = time.monotonic()
    result = azure_vision.client().analyze(png, [VF.TAGS])
    assert result.tags is not None
    assert time.monotonic() - started >= 0.4  # two waits of Retry-After, not the SDK's own backoff
    assert statuses(azure_vision) == [429, 429, 200]


def test_sdk_does_not_retry_a_post_429_without_retry_after(azure_vision, png):
    # azure-core retries POST only on 500/503/504, or on any error that carries Retry-After
    azure_vision.control.script({"status": 429, "code": "429", "message": "Rate limit is exceeded."})
    with pytest.raises(HttpResponseError) as exc:
        azure_vision.client().analyze(png, [VF.TAGS])
    assert exc.value.status_code == 429 and statuses(azure_vision) == [429]


def test_the_s1_rate_is_enforced_with_whole_second_retry_after(azure_vision, png):
    azure_vision.backend.limiter.clock = lambda: 1000.0  # time stands still: a slow machine can't slide the window
    client = azure_vision.client(retry_total=0)
    for _ in range(20):
        client.analyze(png, [VF.TAGS])
    with pytest.raises(HttpResponseError) as exc:
        client.analyze(png, [VF.TAGS])
    error = exc.value
    assert (error.status_code, error.error.code) == (429, "429")
    assert error.response.headers["Retry-After"] == "1"
    assert "S1 pricing tier" in error.error.message
    assert azure_vision.control.usage()["throttled"] == 1


def test_the_real_limiter_drives_sdk_retries_when_retry_after_is_small(azure_vision, png):
    azure_vision.control.configure(retry_after_s=0.1)
    azure_vision.control.limits(calls=2, window_s=1.0)
    client = azure_vision.client(retry_status=30)  # azure-core retries a status 3 times by default
    started = time.monotonic()
    for _ in range(4):
        client.analyze(png, [VF.TAGS])
    assert time.monotonic() - started >= 1.0  # calls 3 and 4 waited for the window
    assert statuses(azure_vision).count(200) == 4 and 429 in statuses(azure_vision)


def test_f0_allows_20_calls_a_minute(azure_vision, png):
    azure_vision.control.configure(tier="F0")
    client = azure_vision.client(retry_total=0)
    for _ in range(20):
        client.analyze(png, [VF.TAGS])
    with pytest.raises(HttpResponseError) as exc:
        client.analyze(png, [VF.TAGS])
    assert exc.value.status_code == 429 and "F0 pricing tier" in exc.value.error.message
    assert 55 <= int(exc.value.response.headers["Retry-After"]) <= 60


def test_monthly_quota_is_counted_in_transactions_and_refused_with_403(azure_vision, png):
    azure_vision.control.configure(tier="F0")
    azure_vision.control.limits(monthly_transactions=3)
    client = azure_vision.client()
    client.analyze(png, [VF.TAGS, VF.OBJECTS])  # two transactions
    with pytest.raises(HttpResponseError) as exc:
        client.analyze(png, [VF.TAGS, VF.SMART_CROPS])  # would be four
    assert exc.value.status_code == 403 and "Out of call volume quota" in exc.value.error.message
    assert "Retry-After" not in exc.value.response.headers
    assert statuses(azure_vision) == [200, 403]  # not retried
    client.analyze(png, [VF.PEOPLE])  # the third transaction still fits


def test_each_feature_is_a_billed_transaction(azure_vision, png):
    client = azure_vision.client()
    raw = {}
    client.analyze(png, [VF.TAGS, VF.OBJECTS, VF.PEOPLE], raw_response_hook=lambda r: raw.update(
        billing=r.http_response.headers["CSP-Billing-Usage"]))
    client.analyze(png, [VF.TAGS])
    assert raw["billing"] == "CognitiveServices.ComputerVision.Transaction=3"
    usage = azure_vision.control.usage()
    assert (usage["calls"], usage["transactions"]) == (2, 4)
    assert usage["transactions_by_feature"] == {"tags": 2, "objects": 1, "people": 1}


def test_a_request_refused_after_admission_is_billed_a_server_fault_is_not(azure_vision, png):
    client = azure_vision.client(retry_total=0)
    with pytest.raises(HttpResponseError) as exc:
        client.analyze_from_url("https://www.this.is.a.bad.url.com/for/sure.jpg", [VF.TAGS, VF.READ])
    assert exc.value.response.headers["CSP-Billing-Usage"] == "CognitiveServices.ComputerVision.Transaction=2"
    azure_vision.control.configure(error_500_rate=1.0)  # a fault after admission
    with pytest.raises(HttpResponseError) as exc:
        client.analyze(png, [VF.TAGS])
    assert exc.value.status_code == 500 and "CSP-Billing-Usage" not in exc.value.response.headers
    usage = azure_vision.control.usage()
    assert (usage["calls"], usage["transactions"], usage["errors"]) == (0, 2, 2)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_limiter_slides_its_window():
    clock = Clock()
    limiter = TierLimiter(calls=2, window_s=1.0, monthly_transactions=None, clock=clock)
    assert limiter.admit(1).admitted and limiter.admit(1).admitted
    refused = limiter.admit(1)
    assert not refused.admitted and refused.retry_after_s == pytest.approx(1.0)
    clock.now += 0.6
    assert limiter.admit(1).retry_after_s == pytest.approx(0.4)
    clock.now += 0.4
    assert limiter.admit(1).admitted


def test_retry_after_is_whole_seconds_unless_overridden():
    assert retry_after_value(0.2) == "1" and retry_after_value(1.01) == "2"
    assert retry_after_value(3.0, override=0.05) == "0.05"
