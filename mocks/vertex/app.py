"""The emulator's ASGI app: Vertex AI REST paths, Cloud Storage JSON API paths, /_mock/ control.

One server answers all three, so ``api_endpoint`` and ``STORAGE_EMULATOR_HOST`` are the same
URL. Control API (JSON in, JSON out):

========================================  =======================================================
``POST /_mock/reset``                     forget everything (models, endpoints, jobs, objects)
``GET|POST /_mock/config``                ``{"state_rule": "immediate"|"delay:2"|"manual",
                                          "job_timeout": 3600}``
``POST /_mock/advance``                   finish pending operations/jobs (``{"name": "..."}``
                                          for one); returns ``{"finished": [names]}``
``GET|POST|DELETE /_mock/faults``         ``{"method": "predict"|"*", "status": 429|"UNAVAILABLE",
                                          "count": 2, "message": "..."}``: the next N calls fail
``GET|DELETE /_mock/requests``            the request log: method (RPC name), path, status
``GET /_mock/jobs/{id}/logs``             a job's (and its trials') captured output
``POST /_mock/monitoring/{id}:run``       close the current monitoring window now
``GET /_mock/health``                     ``{"status": "ok"}``
========================================  =======================================================
"""

from __future__ import annotations

import json
import traceback

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mocks.vertex.exceptions import Internal, InvalidArgument, NotFound, VertexError
from mocks.vertex.models import VertexBackend
from mocks.vertex.responses import PREDICT_PAYLOAD_LIMIT, VertexResponses, check_names
from mocks.vertex.storage import StorageError, storage_routes
from mocks.vertex.urls import resolve

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_app(backend: VertexBackend) -> Starlette:
    responses = VertexResponses(backend)
    monitoring = None

    def monitoring_handlers():
        nonlocal monitoring
        if monitoring is None:
            from mocks.vertex.monitoring import MonitoringResponses

            monitoring = MonitoringResponses(backend)
        return monitoring

    async def vertex(request: Request) -> Response:
        path = request.url.path
        found = resolve(request.method, path)
        if found is None:
            err = NotFound(
                f"The Vertex emulator does not implement {request.method} {path}. "
                "See mocks/vertex/README.md for the methods it serves."
            )
            backend.log_request("UNIMPLEMENTED", request.method, path, err.http_status)
            return err.response()
        name, version, params = found
        try:
            check_names(name, params)
            raw = await request.body()
            if name == "predict" and len(raw) > PREDICT_PAYLOAD_LIMIT:
                raise InvalidArgument(f"Request payload size exceeds the limit: {PREDICT_PAYLOAD_LIMIT} bytes.")
            body = _parse_json(raw)
            fault = backend.take_fault(name)
            if fault is not None:
                raise fault
            handler = getattr(responses, name, None) or getattr(monitoring_handlers(), name)
            query = dict(request.query_params)

            def call():
                backend.tick()
                return handler(params, body, query, version)

            result = await run_in_threadpool(call)
        except VertexError as err:
            backend.log_request(name, request.method, path, err.http_status)
            return err.response()
        except Exception as exc:  # a bug: answer like the service (500 INTERNAL) and keep it for tests
            backend.crashes.append(traceback.format_exc())
            err = Internal(f"Internal error encountered: {type(exc).__name__}.")
            backend.log_request(name, request.method, path, err.http_status)
            return err.response()
        backend.log_request(name, request.method, path, 200)
        return JSONResponse(result)

    async def reset(request: Request) -> Response:
        await run_in_threadpool(backend.reset)
        return JSONResponse({"status": "reset"})

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                return JSONResponse(backend.set_config(**(await _json_body(request))))
            except (TypeError, ValueError, VertexError) as exc:
                return _control_error(str(exc))
        return JSONResponse(backend.config)

    async def advance(request: Request) -> Response:
        body = await _json_body(request)
        finished = await run_in_threadpool(backend.advance, body.get("name"))
        return JSONResponse({"finished": finished})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await _json_body(request)
                fault = backend.add_fault(
                    body.get("method", "*"), body.get("status", 503), int(body.get("count", 1)),
                    body.get("message", ""),
                )
            except (TypeError, ValueError, AttributeError, VertexError) as exc:
                return _control_error(str(exc))
            return JSONResponse(fault)
        if request.method == "DELETE":
            backend.faults.clear()
        return JSONResponse({"faults": backend.faults})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            backend.request_log.clear()
        return JSONResponse({"requests": backend.request_log})

    async def job_logs(request: Request) -> Response:
        try:
            return PlainTextResponse(backend.job_log(request.path_params["id"]))
        except VertexError as err:
            return err.response()

    async def run_monitoring(request: Request) -> Response:
        try:
            result = await run_in_threadpool(monitoring_handlers().run_window, request.path_params["id"])
        except VertexError as err:
            return err.response()
        return JSONResponse(result)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/_mock/reset", reset, methods=["POST"]),
        Route("/_mock/config", config, methods=["GET", "POST"]),
        Route("/_mock/advance", advance, methods=["POST"]),
        Route("/_mock/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_mock/requests", requests, methods=["GET", "DELETE"]),
        Route("/_mock/jobs/{id}/logs", job_logs, methods=["GET"]),
        Route("/_mock/monitoring/{id}:run", run_monitoring, methods=["POST"]),
        Route("/_mock/health", health, methods=["GET"]),
        *storage_routes(backend.storage, backend.crashes),
        Route("/{path:path}", vertex, methods=ALL_METHODS),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_routed, 405: not_routed})


async def not_routed(request: Request, exc: Exception) -> Response:
    """A path no route matches (e.g. one holding a line feed, which path patterns skip): answer
    in the addressed API's error shape, not Starlette's plain text."""
    path = request.url.path
    if path.startswith(("/storage/", "/upload/", "/download/")):
        return StorageError(404, f"Not Found: {request.method} {path[:200]!r}", "notFound").response()
    return NotFound(f"The Vertex emulator does not implement {request.method} {path[:200]!r}.").response()


async def _json_body(request: Request) -> dict:
    return _parse_json(await request.body())


def _parse_json(raw: bytes) -> dict:
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"Invalid JSON payload received. {exc.msg} at position {exc.pos}.") from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InvalidArgument(f"Invalid JSON payload received. {type(exc).__name__}.") from exc
    if not isinstance(body, dict):
        raise InvalidArgument("The request body must be a JSON object.")
    return body


def _control_error(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)
