"""Raw HTTP against the emulator: the exact wire format, headers and the /_mock/ control API."""

from __future__ import annotations

import json

import httpx
import pytest

CHAT = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
BODY = {"messages": [{"role": "user", "content": "Hello. Bye."}]}


@pytest.fixture
def http(azure_openai):
    with httpx.Client(base_url=azure_openai.url, headers={"api-key": azure_openai.api_key}) as client:
        yield client


def test_chat_response_shape_and_headers(http):
    r = http.post(CHAT, json=BODY)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["apim-request-id"] and r.headers["x-ratelimit-remaining-tokens"]
    body = r.json()
    assert set(body) == {"id", "object", "created", "model", "system_fingerprint",
                         "prompt_filter_results", "choices", "usage"}
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert set(choice) == {"index", "finish_reason", "logprobs", "message", "content_filter_results"}
    assert choice["message"]["role"] == "assistant"
    assert set(choice["content_filter_results"]) >= {"hate", "self_harm", "sexual", "violence"}


def test_bearer_token_is_accepted_and_errors_have_azures_body(azure_openai):
    ok = httpx.post(azure_openai.url + CHAT, json=BODY,
                    headers={"Authorization": f"Bearer {azure_openai.api_key}"})
    assert ok.status_code == 200
    denied = httpx.post(azure_openai.url + CHAT, json=BODY)
    assert denied.status_code == 401
    assert set(denied.json()["error"]) == {"code", "message", "param", "type"}
    assert denied.json()["error"]["code"] == "401"


def test_missing_api_version_is_404_resource_not_found(http):
    r = http.post("/openai/deployments/gpt-4o-mini/chat/completions", json=BODY)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Resource not found"
    assert http.post("/openai/nothing/here?api-version=2024-10-21", json=BODY).status_code == 404


def test_v1_path_rejects_dated_api_versions(http):
    r = http.post("/openai/v1/chat/completions?api-version=2024-10-21",
                  json={**BODY, "model": "gpt-4o-mini"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    assert http.post("/openai/v1/chat/completions?api-version=preview",
                     json={**BODY, "model": "gpt-4o-mini"}).status_code == 200


def test_invalid_json_body_is_400(http):
    r = http.post(CHAT, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_stream_is_server_sent_events_in_azures_order(http):
    r = http.post(CHAT, json={**BODY, "stream": True, "stream_options": {"include_usage": True}})
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in r.headers
    events = [line[6:] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"] == [] and "prompt_filter_results" in chunks[0]
    assert chunks[1]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] > 0


def test_429_wire_format(http, azure_openai):
    azure_openai.control.configure(window_s=1.0)
    azure_openai.control.add_deployment("tiny", tpm=6000, max_output_tokens=50)
    url = CHAT.replace("gpt-4o-mini", "tiny")
    assert http.post(url, json=BODY).status_code == 200
    r = http.post(url, json=BODY)
    assert r.status_code == 429
    assert {"retry-after-ms", "retry-after", "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens"} <= set(r.headers)
    assert r.json()["error"]["code"] == "429"


def test_embeddings_base64_is_little_endian_float32(http):
    import base64
    import struct

    r = http.post("/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21",
                  json={"input": "hello", "dimensions": 4, "encoding_format": "base64"})
    raw = base64.b64decode(r.json()["data"][0]["embedding"])
    assert len(struct.unpack("<4f", raw)) == 4


def test_control_api_config_deployments_script_log_usage_reset(azure_openai):
    with httpx.Client(base_url=azure_openai.url) as mock:
        assert mock.get("/_mock/health").json()["status"] == "ok"
        assert mock.patch("/_mock/config", json={"error_500_rate": 0.25}).json()["error_500_rate"] == 0.25
        bad = mock.patch("/_mock/config", json={"no_such_key": 1})
        assert bad.status_code == 400 and "no_such_key" in bad.json()["error"]["message"]
        assert mock.patch("/_mock/config", json={"drop_rate": 2.0}).status_code == 400
        assert mock.patch("/_mock/config", json={"error_500_rate": 0.0}).status_code == 200
        created = mock.post("/_mock/deployments", json={"name": "mine", "model": "gpt-4o-mini", "tpm": 1000})
        assert created.status_code == 201 and created.json()[0]["rpm"] == 6
        assert "mine" in [d["name"] for d in mock.get("/_mock/deployments").json()]
        queued = mock.post("/_mock/script", json={"items": [{"status": 503, "code": "ServiceUnavailable"},
                                                            {"content": "scripted!"}]})
        assert len(queued.json()["queued"]) == 2
        assert mock.post("/_mock/script", json={"bogus": 1}).status_code == 400
        data = httpx.Client(base_url=azure_openai.url, headers={"api-key": azure_openai.api_key})
        url = CHAT.replace("gpt-4o-mini", "mine")
        assert data.post(url, json=BODY).status_code == 503
        assert data.post(url, json=BODY).json()["choices"][0]["message"]["content"] == "scripted!"
        log = mock.get("/_mock/requests", params={"deployment": "mine"}).json()
        assert [e["status"] for e in log] == [503, 200]
        assert "api-key" not in json.dumps(log) and azure_openai.api_key not in json.dumps(log)
        usage = mock.get("/_mock/usage").json()["mine"]
        assert usage["requests"] == 1 and usage["errors"] == 1
        assert mock.delete("/_mock/deployments/mine").status_code == 204
        assert mock.post("/_mock/reset").json() == {"reset": True}
        assert mock.get("/_mock/usage").json() == {}
        assert mock.get("/_mock/config").json()["error_500_rate"] == 0.0
