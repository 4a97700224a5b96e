"""Raw HTTP against the emulator: routes, headers, auth, the /_mock/ control API, secrets."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.mocks.azure_vision import drawing

PATH = "/computervision/imageanalysis:analyze"


@pytest.fixture(scope="module")
def png():
    return drawing.encode(drawing.shapes_image().resize((100, 75)))


@pytest.fixture
def http(azure_vision):
    with httpx.Client(base_url=azure_vision.url, timeout=30) as client:
        yield client


def analyze(http, server, body, params=None, content_type="application/octet-stream", **headers):
    params = {"api-version": "2023-10-01", "features": "tags", **(params or {})}
    headers = {"Ocp-Apim-Subscription-Key": server.api_key, "content-type": content_type, **headers}
    return http.post(PATH, params=params, content=body, headers=headers)


def test_a_success_carries_the_services_headers(http, azure_vision, png):
    r = analyze(http, azure_vision, png, {"features": "tags,objects"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.headers["x-ms-region"] == "East US"
    assert r.headers["apim-request-id"] == r.headers["request-id"]
    assert "2023-10-01" in r.headers["api-supported-versions"].split(",")
    assert r.headers["CSP-Billing-Usage"] == "CognitiveServices.ComputerVision.Transaction=2"
    assert "x-ms-error-code" not in r.headers
    azure_vision.control.configure(region="westeurope")
    assert analyze(http, azure_vision, png).headers["x-ms-region"] == "West Europe"


@pytest.mark.parametrize("params, status, code, inner", [
    ({"api-version": ""}, 404, "404", None),
    ({"api-version": "2024-02-01"}, 400, "InvalidRequest", "UnsupportedApiVersion"),
    ({"gender-neutral-caption": "yes"}, 400, "InvalidRequest", "BadArgument"),
    ({"smartcrops-aspect-ratios": "wide"}, 400, "InvalidRequest", "BadArgument"),
    ({"model-version": "newest"}, 400, "InvalidRequest", "InvalidModel"),
])
def test_query_parameter_errors(http, azure_vision, png, params, status, code, inner):
    if params.get("api-version") == "":
        params = {"features": "tags"}
        r = http.post(PATH, params=params, content=png, headers={
            "Ocp-Apim-Subscription-Key": azure_vision.api_key, "content-type": "application/octet-stream"})
    else:
        r = analyze(http, azure_vision, png, params)
    body = r.json()["error"]
    assert (r.status_code, body["code"], (body.get("innererror") or {}).get("code")) == (status, code, inner)
    assert r.headers["x-ms-error-code"] == code


def test_body_errors(http, azure_vision, png):
    r = analyze(http, azure_vision, png, content_type="text/plain")
    assert r.json()["error"]["innererror"]["code"] == "UnsupportedMediaType"
    r = analyze(http, azure_vision, b'{"uri": "file:///x.png"}', content_type="application/json")
    assert r.json()["error"]["innererror"]["code"] == "BadArgument"
    r = analyze(http, azure_vision, b"", content_type="application/octet-stream")
    assert r.json()["error"]["message"].startswith("The image size is not allowed to be zero")


def test_auth_by_key_or_bearer_and_nothing_else(http, azure_vision, png):
    base = {"api-version": "2023-10-01", "features": "tags"}
    ctype = {"content-type": "application/octet-stream"}
    assert http.post(PATH, params=base, content=png, headers=ctype).status_code == 401
    bearer = {"Authorization": f"Bearer {azure_vision.api_key}", **ctype}
    assert http.post(PATH, params=base, content=png, headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer eyJhbGciOi.not.this", **ctype}
    r = http.post(PATH, params=base, content=png, headers=wrong)
    assert r.status_code == 401 and r.json()["error"]["code"] == "401"


def test_unknown_paths_are_404(http, azure_vision):
    r = http.post("/vision/v3.2/analyze", headers={"Ocp-Apim-Subscription-Key": azure_vision.api_key})
    assert r.status_code == 404 and r.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_control_api_config_script_log_usage_reset(http, azure_vision, png):
    assert http.patch("/_mock/config", json={"tier": "F9"}).status_code == 400
    assert http.patch("/_mock/config", json={"colour": "blue"}).status_code == 400
    assert http.patch("/_mock/config", json={"region": "uksouth", "retry_after_s": 0.5}).json()["region"] == "uksouth"
    assert http.post("/_mock/script", json={"items": [{"error": "server_error"}, {"status": 418}]}).status_code == 200
    assert http.post("/_mock/script", json={"error": "meteor"}).status_code == 400
    assert [analyze(http, azure_vision, png).status_code for _ in range(3)] == [500, 418, 200]
    log = http.get("/_mock/requests").json()
    assert [e["status"] for e in log] == [500, 418, 200] and log[0]["scripted"] is True
    assert http.get("/_mock/usage").json()["calls"] == 1
    assert http.post("/_mock/limits", json={"calls": 1}).json()["calls"] == 1
    assert http.post("/_mock/reset").json() == {"reset": True}
    assert http.get("/_mock/config").json()["region"] == "eastus" and http.get("/_mock/requests").json() == []
    assert http.get("/_mock/health").json() == {"status": "ok", "region": "eastus", "tier": "S1"}


def test_a_scripted_body_is_returned_as_is(http, azure_vision, png):
    canned = {"modelVersion": "2023-10-01", "metadata": {"width": 1, "height": 1},
              "captionResult": {"text": "a cat", "confidence": 0.99}}
    azure_vision.control.script({"body": canned, "delay_s": 0.01})
    assert analyze(http, azure_vision, png, {"features": "caption"}).json() == canned


def test_images_uploaded_to_the_control_api_are_analysed_by_url(http, azure_vision, png):
    put = http.put("/_mock/images/a b.png", content=png)
    assert put.status_code == 201
    assert http.get("/_mock/images/a b.png").content == png
    body = json.dumps({"url": put.json()["url"]}).encode()
    r = analyze(http, azure_vision, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["metadata"] == {"width": 100, "height": 75}
    assert http.delete("/_mock/images/a b.png").status_code == 204
    assert analyze(http, azure_vision, body, content_type="application/json").status_code == 400


def test_secrets_never_reach_logs_errors_or_repr(http, azure_vision, png):
    sas = "sv=2022-11-02&sig=SECRETSIGNATURE"
    body = json.dumps({"url": f"https://account.blob.core.windows.net/c/img.png?{sas}"}).encode()
    analyze(http, azure_vision, body, content_type="application/json")
    analyze(http, azure_vision, png, **{"Ocp-Apim-Subscription-Key": "a-wrong-key"})
    everything = json.dumps(azure_vision.control.requests()) + repr(azure_vision)
    everything += json.dumps(azure_vision.control.config()) + json.dumps(azure_vision.control.usage())
    for secret in (azure_vision.api_key, "a-wrong-key", "SECRETSIGNATURE"):
        assert secret not in everything
    assert azure_vision.control.requests()[0]["url"] == "https://account.blob.core.windows.net/c/img.png"
