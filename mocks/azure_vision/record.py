"""Record and replay: proxy to a real Azure AI Vision endpoint, save the exchanges, replay offline.

The cassette format is the Azure OpenAI emulator's (``mocks/azure_openai/record.py``): JSON
lines, one exchange per line, written as each completes, ``{"method", "path", "api_version",
"request", "status", "headers", "body"}``, plus ``"query"`` (the features and options, which
this service carries in the URL). ``"request"`` is the JSON body with any query string cut
from its image URL (SAS tokens are secrets), or ``"sha256:<hex>"`` of uploaded image bytes.
Keys never reach the file: requests are saved without headers, response headers only from an
allow-list, and the key is replaced by ``***`` wherever it appears. Each exchange also says where
and when it was recorded: ``"upstream"`` (the endpoint's host, no path or query) and
``"recorded_at"`` (UTC, ISO 8601), so a replay can be labelled by what answered it.

Replay matches method, path, query (without api-version order mattering) and request; identical
requests get the recorded answers in order (the last one repeats); an unknown request gets 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mocks.azure_openai.record import CassetteError, read_exchanges

KEPT_HEADERS = ("content-type", "apim-request-id", "x-ms-region", "retry-after", "x-ms-error-code",
                "csp-billing-usage", "api-supported-versions")

__all__ = ["CassetteError", "Player", "Recorder"]


def request_text(content_type: str, body: bytes) -> str:
    if content_type.split(";")[0].strip().lower() != "application/json":
        return "sha256:" + hashlib.sha256(body).hexdigest()
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return body.decode("utf-8", "replace")
    if isinstance(data, dict) and isinstance(data.get("url"), str):
        parts = urlsplit(data["url"])
        data["url"] = parts._replace(query="", fragment="").geturl()
    return json.dumps(data, sort_keys=True)


def request_key(method: str, path: str, query: dict, request: str) -> str:
    return f"{method} {path} {json.dumps(query, sort_keys=True)} {request}"


class Recorder:
    def __init__(self, upstream: str, upstream_key: str, cassette: str | Path):
        if not upstream.startswith(("https://", "http://")):
            raise CassetteError("--record needs the resource's endpoint URL "
                                f"(https://NAME.cognitiveservices.azure.com), got {upstream!r}.")
        self.upstream = upstream.rstrip("/")
        self._key = upstream_key
        self.cassette = Path(cassette)
        try:
            self.cassette.parent.mkdir(parents=True, exist_ok=True)
            self.cassette.touch()
        except OSError as exc:
            raise CassetteError(f"Cannot write the cassette {self.cassette}: {exc.strerror}.") from exc

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if len(self._key) >= 4 else text

    async def handle(self, request: Request, body: bytes) -> Response:
        import httpx

        content_type = request.headers.get("content-type", "application/octet-stream")
        query = dict(request.query_params)
        async with httpx.AsyncClient(timeout=120) as client:
            upstream = await client.post(
                self.upstream + request.url.path, params=query, content=body,
                headers={"Ocp-Apim-Subscription-Key": self._key, "content-type": content_type})
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in KEPT_HEADERS}
        text = self._scrub(upstream.text)
        exchange = {"upstream": urlsplit(self.upstream).netloc,
                    "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "method": request.method, "path": request.url.path,
                    "api_version": query.get("api-version"), "query": query,
                    "request": request_text(content_type, body), "status": upstream.status_code,
                    "headers": headers, "body": text}
        with self.cassette.open("a", encoding="utf-8") as f:
            f.write(json.dumps(exchange) + "\n")
            f.flush()
        return Response(text.encode(), status_code=upstream.status_code, headers=headers)


class Player:
    def __init__(self, cassette: str | Path):
        self.cassette = Path(cassette)
        exchanges = read_exchanges(self.cassette)
        self._recorded: dict[str, list[dict]] = defaultdict(list)
        for ex in exchanges:
            key = request_key(ex["method"], ex["path"], ex.get("query", {}), ex["request"])
            self._recorded[key].append(ex)
        self._used: dict[str, int] = defaultdict(int)

    async def handle(self, request: Request, body: bytes) -> Response:
        content_type = request.headers.get("content-type", "application/octet-stream")
        key = request_key(request.method, request.url.path, dict(request.query_params),
                          request_text(content_type, body))
        answers = self._recorded.get(key)
        if not answers:
            return JSONResponse({"error": {
                "code": "NoRecordedExchange",
                "message": f"Replay mode: the cassette {self.cassette.name} has no recorded exchange "
                           f"for this {request.method} {request.url.path} request (same features, "
                           "options and image). Record it first (--record URL --cassette FILE)."}},
                status_code=404)
        exchange = answers[min(self._used[key], len(answers) - 1)]
        self._used[key] += 1
        return Response(exchange["body"].encode(), status_code=exchange["status"],
                        headers=exchange["headers"])
