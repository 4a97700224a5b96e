"""The real openai SDK against the emulator: every behaviour the labs rely on."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import openai
import pytest
from openai import OpenAI
from pydantic import BaseModel

from shared.tokens import count_chat_tokens

TRIAGE_PROMPT = """You triage customer-support tickets.
Category:
- billing: invoices, charges, refunds, payment card, subscription price
- bug: the product is broken, an error message, a crash
- outage: the whole service is down for everyone
"""
SCHEMA = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "enum": ["billing", "bug", "outage"]},
        "summary": {"type": "string", "maxLength": 30},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "urgent": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["category", "summary", "confidence", "urgent", "tags"],
    "additionalProperties": False,
}


def conforms(value, schema) -> bool:
    """A small JSON-schema check: type, enum, required, additionalProperties, maxLength."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        props = schema.get("properties", {})
        return (isinstance(value, dict) and set(schema.get("required", [])) <= set(value)
                and (schema.get("additionalProperties", True) or set(value) <= set(props))
                and all(conforms(v, props[k]) for k, v in value.items() if k in props))
    if kind == "array":
        return isinstance(value, list) and all(conforms(v, schema.get("items", {})) for v in value)
    if kind == "string":
        return isinstance(value, str) and len(value) <= schema.get("maxLength", len(value))
    if kind == "number":
        return isinstance(value, (int, float)) and schema.get("minimum", value) <= value <= schema.get(
            "maximum", value)
    if kind == "boolean":
        return isinstance(value, bool)
    return True


def ask(client, content="Hello there. How are you?", **kwargs):
    messages = kwargs.pop("messages", [{"role": "user", "content": content}])
    return client.chat.completions.create(model=kwargs.pop("model", "gpt-4o-mini"),
                                          messages=messages, **kwargs)


def test_chat_completion_returns_the_stand_in_answer_and_filter_results(azure_openai):
    r = ask(azure_openai.client())
    assert r.choices[0].finish_reason == "stop"
    assert "Hello there." in r.choices[0].message.content
    assert r.model.startswith("gpt-4o-mini")
    extra = r.model_extra
    assert extra["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"] is False
    assert r.choices[0].model_extra["content_filter_results"]["violence"]["severity"] == "safe"


@pytest.mark.parametrize("model, messages", [
    ("gpt-4o-mini", [{"role": "user", "content": "Hi"}]),
    ("gpt-4o-mini", [{"role": "system", "content": "Be brief.\nVery brief."},
                     {"role": "user", "name": "alice", "content": "Où est la gare ? 🚉"},
                     {"role": "assistant", "content": "Tout droit."},
                     {"role": "user", "content": [{"type": "text", "text": "Merci"}]}]),
    ("gpt-35-turbo-4k", [{"role": "user", "content": "Tokenised with cl100k_base, not o200k."}]),
])
def test_usage_matches_tiktoken_exactly(azure_openai, model, messages):
    r = ask(azure_openai.client(), model=model, messages=messages)
    assert r.usage.prompt_tokens == count_chat_tokens(messages, model)
    from shared.tokens import count_tokens

    assert r.usage.completion_tokens == count_tokens(r.choices[0].message.content, model)
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_json_schema_output_parses_and_conforms(azure_openai):
    fmt = {"type": "json_schema", "json_schema": {"name": "triage", "schema": SCHEMA, "strict": True}}
    r = ask(azure_openai.client(), messages=[
        {"role": "system", "content": TRIAGE_PROMPT},
        {"role": "user", "content": "I was charged twice on my last invoice. Please refund me."}],
        response_format=fmt)
    answer = json.loads(r.choices[0].message.content)
    assert conforms(answer, SCHEMA), answer
    assert answer["category"] == "billing"
    assert answer["summary"] == "I was charged twice on my last"  # first sentence, maxLength 30


class Triage(BaseModel):
    category: str
    priority: str


def test_sdk_parse_with_a_pydantic_model(azure_openai):
    from typing import Literal

    class Ticket(BaseModel):
        category: Literal["billing", "bug", "outage"]
        priority: Literal["low", "high"]

    r = azure_openai.client().chat.completions.parse(
        model="gpt-4o-mini", response_format=Ticket,
        messages=[{"role": "system", "content": TRIAGE_PROMPT + "- high: the service is down\n"},
                  {"role": "user", "content": "The whole service is down for everyone, nothing loads."}])
    parsed = r.choices[0].message.parsed
    assert parsed == Ticket(category="outage", priority="high")


def test_json_object_reads_label_sets_from_the_prompt(azure_openai):
    r = ask(azure_openai.client(), response_format={"type": "json_object"}, messages=[
        {"role": "system", "content": TRIAGE_PROMPT},
        {"role": "user", "content": "The app crashes with an error message when I save."}])
    assert json.loads(r.choices[0].message.content) == {"category": "bug"}


def test_streaming_sends_the_text_in_chunks_and_a_final_usage_chunk(azure_openai):
    messages = [{"role": "user", "content": "Stream this please. Thanks."}]
    chunks = list(ask(azure_openai.client(), messages=messages, stream=True,
                      stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ask(azure_openai.client(), messages=messages).choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == count_chat_tokens(messages)
    assert all(c.usage is None for c in chunks[:-1])


def test_streaming_without_include_usage_has_no_usage_chunk(azure_openai):
    chunks = list(ask(azure_openai.client(), stream=True))
    assert all(c.usage is None for c in chunks)


def test_n_stop_temperature_and_seed(azure_openai):
    r = ask(azure_openai.client(), content="Alpha beta gamma. Delta.", n=3, temperature=0.7, seed=42,
            stop=["gamma"])
    assert len(r.choices) == 3
    assert all(c.message.content.endswith("Alpha beta ") for c in r.choices)
    assert [c.index for c in r.choices] == [0, 1, 2]


def test_finish_reason_length_when_max_tokens_cuts_the_answer(azure_openai):
    r = ask(azure_openai.client(), max_tokens=3)
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 3
    r = ask(azure_openai.client(), max_completion_tokens=4)
    assert r.usage.completion_tokens == 4


def test_embeddings_are_deterministic_normalised_and_sized(azure_openai):
    client = azure_openai.client()
    r = client.embeddings.create(model="text-embedding-3-small", input=["refund my invoice", "refund"],
                                 dimensions=64)
    a, b = (d.embedding for d in r.data)
    assert len(a) == 64 and abs(sum(x * x for x in a) - 1) < 1e-6
    again = client.embeddings.create(model="text-embedding-3-small", input="refund my invoice",
                                     dimensions=64, encoding_format="float")
    assert again.data[0].embedding == pytest.approx(a, abs=1e-6)
    assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.3  # shared word, close vectors
    assert r.usage.prompt_tokens == 4
    assert len(client.embeddings.create(model="text-embedding-3-small", input="x").data[0].embedding) == 1536


def test_embeddings_errors(azure_openai):
    client = azure_openai.client(max_retries=0)
    with pytest.raises(openai.BadRequestError) as exc:
        client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8)
    assert exc.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError) as exc:
        client.embeddings.create(model="gpt-4o-mini", input="x")
    assert exc.value.code == "OperationNotSupported"


def test_wrong_or_missing_key_is_401(azure_openai):
    from openai import AzureOpenAI

    client = AzureOpenAI(azure_endpoint=azure_openai.url, api_key="wrong", api_version="2024-10-21")
    with pytest.raises(openai.AuthenticationError) as exc:
        ask(client)
    assert exc.value.status_code == 401 and "invalid subscription key" in exc.value.message


def test_unknown_deployment_is_404_deployment_not_found(azure_openai):
    with pytest.raises(openai.NotFoundError) as exc:
        ask(azure_openai.client(), model="no-such-deployment")
    assert exc.value.code == "DeploymentNotFound"


def test_unknown_api_version_is_400(azure_openai):
    with pytest.raises(openai.BadRequestError) as exc:
        ask(azure_openai.client(api_version="2099-01-01"))
    assert exc.value.code == "BadRequest" and exc.value.body["message"] == "API version not supported"


def test_context_length_exceeded_has_azures_message(azure_openai):
    messages = [{"role": "user", "content": "word " * 8000}]
    prompt = count_chat_tokens(messages)
    with pytest.raises(openai.BadRequestError) as exc:
        ask(azure_openai.client(), model="gpt-4o-mini-8k", messages=messages, max_tokens=500)
    assert exc.value.code == "context_length_exceeded"
    assert exc.value.body["message"].startswith(
        f"This model's maximum context length is 8192 tokens. However, you requested "
        f"{prompt + 500} tokens ({prompt} in the messages, 500 in the completion).")


def test_max_tokens_above_the_deployments_output_limit_is_400(azure_openai):
    with pytest.raises(openai.BadRequestError) as exc:
        ask(azure_openai.client(), model="gpt-4o-mini-8k", max_tokens=2000)
    assert exc.value.param == "max_tokens"


def test_blocked_prompt_is_filtered_with_innererror(azure_openai):
    azure_openai.control.configure(blocked_terms=[{"term": "forbidden words", "category": "violence"}])
    with pytest.raises(openai.BadRequestError) as exc:
        ask(azure_openai.client(), content="Some FORBIDDEN words here")
    assert exc.value.code == "content_filter"
    inner = exc.value.body["innererror"]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    assert inner["content_filter_result"]["violence"] == {"filtered": True, "severity": "medium"}


def limited(azure_openai, tpm=6000, window_s=1.0):
    """A deployment whose 1 s window admits 100 tokens and 1 request."""
    azure_openai.control.configure(window_s=window_s)
    azure_openai.control.add_deployment("tiny", "gpt-4o-mini", context_window=8192,
                                        max_output_tokens=50, tpm=tpm)


def test_429_carries_azures_headers(azure_openai):
    limited(azure_openai)
    client = azure_openai.client(max_retries=0)
    ok = client.chat.completions.with_raw_response.create(
        model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=10)
    assert ok.headers["x-ratelimit-remaining-requests"] == "0"
    assert int(ok.headers["x-ratelimit-remaining-tokens"]) == 100 - 8 - 10
    with pytest.raises(openai.RateLimitError) as exc:
        ask(client, model="tiny", content="hi", max_tokens=10)
    headers = exc.value.response.headers
    assert 0 < int(headers["retry-after-ms"]) <= 1000
    assert headers["retry-after"] == "1"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert "x-ratelimit-remaining-tokens" in headers
    assert exc.value.code == "429" and "exceeded call rate limit" in exc.value.message
    assert azure_openai.control.usage("tiny")["throttled"] == 1


def test_the_sdk_retry_waits_what_retry_after_ms_says(azure_openai):
    azure_openai.control.script({"status": 429, "code": "429", "message": "slow down",
                                 "headers": {"retry-after-ms": "400", "retry-after": "5"}})
    start = time.monotonic()
    r = ask(azure_openai.client(max_retries=1))
    waited = time.monotonic() - start
    assert r.choices[0].finish_reason == "stop"
    assert 0.38 <= waited < 1.5, f"the SDK waited {waited:.2f} s, retry-after-ms said 0.4 s"


def test_the_sdk_retry_is_admitted_when_the_window_frees(azure_openai):
    limited(azure_openai)
    client = azure_openai.client(max_retries=3)
    ask(client, model="tiny", content="hi", max_tokens=10)
    start = time.monotonic()
    ask(client, model="tiny", content="hi", max_tokens=10)
    assert 0.5 < time.monotonic() - start < 2.0
    statuses = [e["status"] for e in azure_openai.control.requests("tiny")]
    assert statuses[0] == 200 and statuses[-1] == 200 and 429 in statuses


def test_inconsistent_headers_switch(azure_openai):
    limited(azure_openai)
    azure_openai.control.configure(inconsistent_headers=True)
    client = azure_openai.client(max_retries=0)
    ask(client, model="tiny", content="hi", max_tokens=10)
    seen = []
    for _ in range(3):
        with pytest.raises(openai.RateLimitError) as exc:
            ask(client, model="tiny", content="hi", max_tokens=10)
        seen.append(exc.value.response.headers)
    assert "retry-after" not in seen[0] and "retry-after-ms" in seen[0]
    assert "retry-after-ms" not in seen[1] and "retry-after" not in seen[1]
    assert seen[2]["x-ratelimit-remaining-tokens"] == "6000"  # per minute, not what is admissible


@pytest.mark.parametrize("key, error", [("error_500_rate", openai.InternalServerError),
                                        ("error_503_rate", openai.InternalServerError)])
def test_server_faults_raise_the_sdks_errors(azure_openai, key, error):
    azure_openai.control.configure(**{key: 1.0})
    with pytest.raises(error) as exc:
        ask(azure_openai.client(max_retries=0))
    assert exc.value.status_code == (500 if key == "error_500_rate" else 503)


def test_the_sdk_retries_a_scripted_server_error(azure_openai):
    azure_openai.control.script({"error": "unavailable"}, {"error": "server_error"})
    ask(azure_openai.client(max_retries=2, timeout=10))
    assert [e["status"] for e in azure_openai.control.requests()] == [503, 500, 200]


def test_a_dropped_connection_is_an_api_connection_error(azure_openai):
    azure_openai.control.configure(drop_rate=1.0)
    with pytest.raises(openai.APIConnectionError):
        ask(azure_openai.client(max_retries=0))
    azure_openai.control.configure(drop_rate=0.0)
    azure_openai.control.script({"drop": True})
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        list(ask(azure_openai.client(max_retries=0), stream=True))


def test_slow_responses_and_latency(azure_openai):
    azure_openai.control.configure(slow_rate=1.0, slow_s=0.3)
    start = time.monotonic()
    ask(azure_openai.client())
    assert time.monotonic() - start >= 0.3
    with pytest.raises(openai.APITimeoutError):
        ask(azure_openai.client(max_retries=0, timeout=0.1))


def test_v1_paths_take_the_deployment_from_the_body(azure_openai):
    client = OpenAI(base_url=azure_openai.url + "/openai/v1/", api_key=azure_openai.api_key)
    r = ask(client)
    assert r.usage.prompt_tokens == count_chat_tokens([{"role": "user", "content": "Hello there. How are you?"}])
    e = client.embeddings.create(model="text-embedding-3-small", input="hi", dimensions=4)
    assert len(e.data[0].embedding) == 4
    with pytest.raises(openai.NotFoundError) as exc:
        ask(client, model="nope")
    assert exc.value.code == "DeploymentNotFound"


def test_async_client_concurrent_calls(azure_openai):
    async def run():
        async with azure_openai.async_client() as client:
            return await asyncio.gather(*[
                client.chat.completions.create(model="gpt-4o-mini",
                                               messages=[{"role": "user", "content": f"Ticket {i}."}])
                for i in range(8)])

    answers = asyncio.run(run())
    assert [a.choices[0].message.content.endswith(f"Ticket {i}.") for i, a in enumerate(answers)] == [True] * 8
    assert azure_openai.control.usage("gpt-4o-mini")["requests"] == 8


def test_scripted_content_is_counted_and_cut(azure_openai):
    azure_openai.control.script({"content": '{"category": "bug", "priority": "high"}'})
    r = ask(azure_openai.client(), max_tokens=5)
    assert r.choices[0].finish_reason == "length"
    with pytest.raises(ValueError):
        json.loads(r.choices[0].message.content)
