"""Graded: what each SDK error means for the run (classify.error_kind).

The errors come from the real ``openai`` client talking to the emulator, so they are exactly
what the lab meets at run time. Mutant in tests/mutants/azure/ticket_triage/ it catches:
  classify__filter_as_server_error.py  treats a content-filter refusal as a server error (retried)
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.labs.azure.ticket_triage.conftest import sdk_error


@pytest.mark.exercise(7)
@pytest.mark.points(2)
def test_error_kind_maps_each_sdk_error_to_what_the_run_does(lab, azure_openai, connection):
    import openai

    classify = lab("classify")
    cases = {
        "rate_limited": {"error": "rate_limit"},
        "content_filter": {"error": "content_filter", "category": "violence"},
        "server_error": {"error": "unavailable"},
        "context_length": {"status": 400, "code": "context_length_exceeded",
                           "message": "This model's maximum context length is 10 tokens."},
    }
    for expected, item in cases.items():
        exc = sdk_error(azure_openai, connection, item)
        got = classify.error_kind(exc)
        assert got == expected, (
            f"error_kind({type(exc).__name__}, code={getattr(exc, 'code', None)!r}) returned {got!r}; "
            f"expected {expected!r}: 429 -> wait, 400 with a code -> handle that batch, 5xx -> retry.")
    lost = openai.APIConnectionError(request=sdk_error(azure_openai, connection,
                                                         {"error": "server_error"}).request)
    assert classify.error_kind(lost) == "connection", "a dropped connection is retried: 'connection'."
    wrong_key = sdk_error(azure_openai, connection, None, api_key="not-the-key")
    with pytest.raises(classify.ServiceError):
        classify.error_kind(wrong_key)
    assert isinstance(wrong_key, openai.AuthenticationError)
    missing = dataclasses.replace(connection, deployment="no-such-deployment")
    with pytest.raises(classify.ServiceError):
        classify.error_kind(sdk_error(azure_openai, missing))
