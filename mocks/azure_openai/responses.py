"""HTTP in, HTTP out: the service's routes, wire format and the /_mock/ control API.

Data plane (what ``AzureOpenAI`` / ``AsyncAzureOpenAI`` and ``OpenAI(base_url=.../openai/v1/)`` call):

* ``POST /openai/deployments/{deployment}/chat/completions?api-version=...``
* ``POST /openai/deployments/{deployment}/embeddings?api-version=...``
* ``POST /openai/v1/chat/completions`` and ``/openai/v1/embeddings`` (deployment in ``model``)

Control plane (no key; the server only listens on loopback): see README.md, "Control API".
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._server import ControlPlaneBase, bad_request
from mocks.azure_openai import exceptions as err
from mocks.azure_openai.models import AzureOpenAIBackend, ChatResult, EmbeddingsResult

DROP_MESSAGE = "ASGI callable returned without completing response."


class _HideDeliberateDrops(logging.Filter):
    """uvicorn logs an error when a response is left incomplete; ours are on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return DROP_MESSAGE not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_HideDeliberateDrops())


# ---- wire format -----------------------------------------------------------------------------

def service_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    return {"apim-request-id": request_id, "x-request-id": request_id,
            "x-ms-region": "Local Emulator", **(extra or {})}


def error_response(exc: err.AzureOpenAIError) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status, headers=service_headers(exc.headers))


def prompt_filter_results() -> list[dict]:
    return [{"prompt_index": 0, "content_filter_results": err.filter_results()}]


def completion_filter_results() -> dict:
    results = {k: v for k, v in err.filter_results().items() if k != "jailbreak"}
    results["protected_material_code"] = {"filtered": False, "detected": False}
    results["protected_material_text"] = {"filtered": False, "detected": False}
    return results


def usage_body(prompt: int, completion: int) -> dict:
    return {
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }


def chat_body(result: ChatResult) -> dict:
    return {
        "id": result.id, "object": "chat.completion", "created": result.created,
        "model": result.model, "system_fingerprint": result.system_fingerprint,
        "prompt_filter_results": prompt_filter_results(),
        "choices": [
            {"index": i, "finish_reason": finish, "logprobs": None,
             "message": {"role": "assistant", "content": text, "refusal": None},
             "content_filter_results": completion_filter_results()}
            for i, (text, finish) in enumerate(result.choices)
        ],
        "usage": usage_body(result.prompt_tokens, result.completion_tokens),
    }


def stream_events(result: ChatResult) -> list[dict]:
    """The chunks of a streamed answer, in Azure's order (prompt filter results first)."""
    base = {"id": result.id, "object": "chat.completion.chunk", "created": result.created,
            "model": result.model, "system_fingerprint": result.system_fingerprint}
    if result.include_usage:
        base["usage"] = None
    events = [{"choices": [], "created": 0, "id": "", "model": "", "object": "",
               "prompt_filter_results": prompt_filter_results()}]

    def chunk(index: int, delta: dict, finish=None, filters=None) -> dict:
        return {**base, "choices": [{"index": index, "delta": delta, "finish_reason": finish,
                                     "logprobs": None, "content_filter_results": filters or {}}]}

    for i, (text, finish) in enumerate(result.choices):
        events.append(chunk(i, {"role": "assistant", "content": "", "refusal": None}))
        for piece in re.findall(r"\S+\s*|\s+", text):
            events.append(chunk(i, {"content": piece}, filters=completion_filter_results()))
        events.append(chunk(i, {}, finish=finish))
    if result.include_usage:
        events.append({**base, "choices": [],
                       "usage": usage_body(result.prompt_tokens, result.completion_tokens)})
    return events


def embeddings_body(result: EmbeddingsResult, encoding_format: str | None) -> dict:
    import base64
    import struct

    def encode(vector: list[float]):
        if encoding_format == "base64":
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    return {
        "object": "list", "model": result.model,
        "data": [{"object": "embedding", "index": i, "embedding": encode(v)}
                 for i, v in enumerate(result.vectors)],
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }


class PartialResponse(Response):
    """Send the status line, headers and part of the body, then leave: a dropped connection."""

    def __init__(self, body: bytes, headers: dict[str, str], media_type: str):
        super().__init__(body, headers=headers, media_type=media_type)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2],
                    "more_body": True})


class EventStreamResponse(Response):
    """Server-sent events, paced per chunk, optionally dropped halfway."""

    media_type = "text/event-stream"

    def __init__(self, events: list[dict], headers: dict[str, str], pause_s: float, drop: bool):
        # no Response.__init__: it would declare a Content-Length, and a stream has none
        self.status_code = 200
        self.background = None
        all_headers = {**headers, "content-type": "text/event-stream; charset=utf-8",
                       "cache-control": "no-cache"}
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                            for k, v in all_headers.items()]
        self.events, self.pause_s, self.drop = events, pause_s, drop

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        stop_at = len(self.events) // 2 if self.drop else len(self.events)
        for i, event in enumerate(self.events[:stop_at]):
            if i > 1 and self.pause_s:
                await asyncio.sleep(self.pause_s)
            data = f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
            await send({"type": "http.response.body", "body": data, "more_body": True})
        if self.drop:
            return
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


# ---- the data plane ----------------------------------------------------------------------

class DataPlane:
    def __init__(self, backend: AzureOpenAIBackend, passthrough=None):
        self.backend = backend
        self.passthrough = passthrough  # record.py's Recorder or Player, if any

    async def _body(self, request: Request) -> dict:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise err.InvalidRequest(
                "We could not parse the JSON body of your request. (HINT: This likely means you "
                "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
                "but what was sent was not valid JSON.)")
        return body

    def _check(self, request: Request, v1: bool) -> str:
        auth = request.headers.get("authorization", "")
        bearer = auth[7:] if auth.lower().startswith("bearer ") else None
        self.backend.authenticate(request.headers.get("api-key"), bearer)
        version = request.query_params.get("api-version")
        self.backend.check_api_version(version, v1)
        return version or "v1"

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        v1 = path.startswith("/openai/v1/")
        operation = "embeddings" if path.endswith("/embeddings") else "chat"
        try:
            api_version = self._check(request, v1)
            if self.passthrough is not None:
                return await self.passthrough.handle(request)
            body = await self._body(request)
            deployment = body.get("model") if v1 else request.path_params["deployment"]
            if operation == "chat":
                result = self.backend.chat_completions(deployment, body, api_version)
            else:
                result = self.backend.embeddings(deployment, body, api_version)
        except err.AzureOpenAIError as exc:
            return error_response(exc)
        if result.delay_s:
            await asyncio.sleep(result.delay_s)
        headers = service_headers(result.headers)
        if isinstance(result, EmbeddingsResult):
            payload = embeddings_body(result, body.get("encoding_format"))
        elif result.stream:
            return EventStreamResponse(stream_events(result), headers, result.per_token_s, result.drop)
        else:
            payload = chat_body(result)
        if result.drop:
            return PartialResponse(json.dumps(payload).encode(), headers, "application/json")
        return JSONResponse(payload, headers=headers)

    async def not_found(self, request: Request) -> Response:
        return error_response(err.ResourceNotFound())


# ---- the control plane ---------------------------------------------------------------------

class ControlPlane(ControlPlaneBase):
    backend: AzureOpenAIBackend

    async def deployments(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = await self._json(request)
                added = [self.backend.add_deployment(d) for d in (data if isinstance(data, list) else [data])]
            except (ValueError, TypeError) as exc:
                return bad_request(exc)
            return JSONResponse([d.to_dict() for d in added], status_code=201)
        return JSONResponse([d.to_dict() for d in self.backend.deployments.values()])

    async def deployment(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.backend.deployments:
            return JSONResponse({"error": {"code": "NotFound", "message": f"No deployment {name!r}."}},
                                status_code=404)
        if request.method == "DELETE":
            self.backend.remove_deployment(name)
            return Response(status_code=204)
        return JSONResponse(self.backend.deployments[name].to_dict())

    async def script(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.backend.script.clear()
        elif request.method == "POST":
            try:
                data = await self._json(request)
                items = data.get("items", [data]) if isinstance(data, dict) else data
                self.backend.add_script(items)
            except (ValueError, TypeError, AttributeError) as exc:
                return bad_request(exc)
        return JSONResponse({"queued": list(self.backend.script)})

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.backend.request_log.clear()
            return Response(status_code=204)
        limit = request.query_params.get("limit")
        return JSONResponse(self.backend.requests(request.query_params.get("deployment"),
                                                  int(limit) if limit else None))

    async def usage(self, request: Request) -> Response:
        return JSONResponse(self.backend.usage_totals())

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "deployments": sorted(self.backend.deployments)})


def create_app(backend: AzureOpenAIBackend, passthrough=None) -> Starlette:
    data, control = DataPlane(backend, passthrough), ControlPlane(backend)
    routes = [
        Route("/openai/deployments/{deployment}/chat/completions", data.handle, methods=["POST"]),
        Route("/openai/deployments/{deployment}/embeddings", data.handle, methods=["POST"]),
        Route("/openai/v1/chat/completions", data.handle, methods=["POST"]),
        Route("/openai/v1/embeddings", data.handle, methods=["POST"]),
        Route("/_mock/reset", control.reset, methods=["POST"]),
        Route("/_mock/config", control.config, methods=["GET", "PATCH"]),
        Route("/_mock/deployments", control.deployments, methods=["GET", "POST"]),
        Route("/_mock/deployments/{name}", control.deployment, methods=["GET", "DELETE"]),
        Route("/_mock/script", control.script, methods=["GET", "POST", "DELETE"]),
        Route("/_mock/requests", control.requests, methods=["GET", "DELETE"]),
        Route("/_mock/usage", control.usage, methods=["GET"]),
        Route("/_mock/health", control.health, methods=["GET"]),
        Route("/{path:path}", data.not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.backend = backend
    return app
