"""Record and replay: proxy to a real Azure OpenAI endpoint, save the exchanges, replay offline.

A cassette is a JSON-lines file, one exchange per line, written as each exchange completes:
``{"method", "path", "api_version", "request", "status", "headers", "body"}``. Keys never reach
it: requests are saved without headers, response headers are kept only from an allow-list, and
any occurrence of a key in a body is replaced by ``***``.

Replay matches a request by method, path and its JSON body (key order ignored); identical
requests get the recorded answers in order (the last one repeats). A request with no
recording gets a 404 whose message says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

KEPT_HEADERS = ("content-type", "apim-request-id", "x-request-id", "x-ms-region", "retry-after",
                "retry-after-ms", "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens")


class CassetteError(ValueError):
    """A cassette cannot be read or written."""


def read_exchanges(cassette: Path) -> list[dict]:
    """The recorded exchanges of a cassette (one JSON object a line); CassetteError if unreadable."""
    try:
        lines = cassette.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise CassetteError(f"Cannot read the cassette {cassette}: {exc}.") from exc


def request_key(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True)
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return f"{method} {path} {canonical}"


class Recorder:
    def __init__(self, upstream: str, upstream_key: str, cassette: str | Path):
        if not upstream.startswith(("https://", "http://")):
            raise CassetteError(f"--record needs the endpoint's URL (https://NAME.openai.azure.com), got {upstream!r}.")
        self.upstream = upstream.rstrip("/")
        self._key = upstream_key
        self.cassette = Path(cassette)
        try:
            self.cassette.parent.mkdir(parents=True, exist_ok=True)
            self.cassette.touch()
        except OSError as exc:
            raise CassetteError(f"Cannot write the cassette {self.cassette}: {exc.strerror}.") from exc

    def _scrub(self, text: str, request: Request) -> str:
        for secret in (self._key, request.headers.get("api-key", ""),
                       request.headers.get("authorization", "")[7:]):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    async def handle(self, request: Request) -> Response:
        import httpx

        body = await request.body()
        params = dict(request.query_params)
        async with httpx.AsyncClient(timeout=120) as client:
            upstream = await client.request(
                request.method, self.upstream + request.url.path, params=params, content=body,
                headers={"api-key": self._key, "content-type": "application/json"},
            )
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in KEPT_HEADERS}
        text = self._scrub(upstream.text, request)
        exchange = {
            "method": request.method, "path": request.url.path,
            "api_version": params.get("api-version"),
            "request": self._scrub(body.decode("utf-8", "replace"), request),
            "status": upstream.status_code, "headers": headers, "body": text,
        }
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
            key = request_key(ex["method"], ex["path"], ex["request"].encode())
            self._recorded[key].append(ex)
        self._used: dict[str, int] = defaultdict(int)

    async def handle(self, request: Request) -> Response:
        key = request_key(request.method, request.url.path, await request.body())
        answers = self._recorded.get(key)
        if not answers:
            return JSONResponse({"error": {
                "code": "NoRecordedExchange", "param": None, "type": None,
                "message": f"Replay mode: the cassette {self.cassette.name} has no recorded "
                           f"exchange for this {request.method} {request.url.path} request. "
                           "Record it first (--record URL --cassette FILE) or send the same "
                           "request body that was recorded."}}, status_code=404)
        exchange = answers[min(self._used[key], len(answers) - 1)]
        self._used[key] += 1
        return Response(exchange["body"].encode(), status_code=exchange["status"],
                        headers=exchange["headers"])
