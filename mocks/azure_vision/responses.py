"""HTTP in, HTTP out: the Image Analysis route, its wire format, and the /_mock/ control API.

Data plane (what ``ImageAnalysisClient`` and ``aio.ImageAnalysisClient`` call)::

    POST /computervision/imageanalysis:analyze?api-version=2023-10-01&features=...
         Ocp-Apim-Subscription-Key: KEY   (or Authorization: Bearer TOKEN)
         application/octet-stream (image bytes) | application/json {"url": ...}

Control plane (no key; the server only listens on loopback): see README.md, "Control API".
The analysis runs in a worker thread, so a slow OCR never blocks the control API or a 429.
"""

from __future__ import annotations

import asyncio
import uuid

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._server import ControlPlaneBase, bad_request
from mocks.azure_vision import exceptions as err
from mocks.azure_vision.models import REGION_NAMES, SUPPORTED_API_VERSIONS, VisionBackend
from mocks.azure_vision.models import Request as AnalyzeRequest

ANALYZE_PATH = "/computervision/imageanalysis:analyze"


def service_headers(backend: VisionBackend, extra: dict[str, str] | None = None) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    region = backend.config["region"]
    return {"apim-request-id": request_id, "request-id": request_id,
            "x-ms-region": REGION_NAMES.get(region, region),
            "api-supported-versions": ",".join(SUPPORTED_API_VERSIONS), **(extra or {})}


def error_response(backend: VisionBackend, exc: err.VisionError) -> Response:
    if exc.gateway:
        return JSONResponse(exc.body(), status_code=exc.status, headers={"apim-request-id": str(uuid.uuid4())})
    headers = service_headers(backend, {"x-ms-error-code": exc.code, **exc.headers})
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


class DataPlane:
    def __init__(self, backend: VisionBackend, passthrough=None):
        self.backend = backend
        self.passthrough = passthrough  # record.py's Recorder or Player, if any

    async def analyze(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        call = AnalyzeRequest(
            params=dict(request.query_params), body=await request.body(),
            content_type=request.headers.get("content-type", ""),
            key=request.headers.get("ocp-apim-subscription-key"),
            bearer=auth[7:] if auth.lower().startswith("bearer ") else None,
        )
        try:
            if self.passthrough is not None:
                self.backend.authenticate(call.key, call.bearer)
                return await self.passthrough.handle(request, call.body)
            result = await run_in_threadpool(self.backend.analyze, call)
        except err.VisionError as exc:
            return error_response(self.backend, exc)
        if result.delay_s:
            await asyncio.sleep(result.delay_s)
        headers = service_headers(self.backend, result.headers)
        return JSONResponse(result.body, headers=headers, media_type="application/json; charset=utf-8")

    async def not_found(self, request: Request) -> Response:
        return error_response(self.backend, err.ResourceNotFound())


# ---- the control plane ---------------------------------------------------------------------

class ControlPlane(ControlPlaneBase):
    backend: VisionBackend

    async def limits(self, request: Request) -> Response:
        try:
            data = await self._json(request)
            self.backend.set_limits(**data)
        except (ValueError, TypeError) as exc:
            return bad_request(exc)
        limiter = self.backend.limiter
        return JSONResponse({"calls": limiter.calls, "window_s": limiter.window_s,
                             "monthly_transactions": limiter.monthly_transactions})

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
        return JSONResponse(self.backend.requests(int(limit) if limit else None))

    async def usage(self, request: Request) -> Response:
        return JSONResponse(self.backend.usage_totals())

    async def image(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "PUT":
            self.backend.put_image(name, await request.body())
            return JSONResponse({"url": f"{request.base_url}_mock/images/{name}"}, status_code=201)
        data = self.backend.images.get(name)
        if data is None:
            return JSONResponse({"error": {"code": "NotFound", "message": f"No image {name!r}."}},
                                status_code=404)
        if request.method == "DELETE":
            self.backend.images.pop(name, None)
            return Response(status_code=204)
        return Response(data, media_type="application/octet-stream")

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "region": self.backend.config["region"],
                             "tier": self.backend.config["tier"]})


def create_app(backend: VisionBackend, passthrough=None) -> Starlette:
    data, control = DataPlane(backend, passthrough), ControlPlane(backend)
    routes = [
        Route(ANALYZE_PATH, data.analyze, methods=["POST"]),
        Route("/_mock/reset", control.reset, methods=["POST"]),
        Route("/_mock/config", control.config, methods=["GET", "PATCH"]),
        Route("/_mock/limits", control.limits, methods=["POST"]),
        Route("/_mock/script", control.script, methods=["GET", "POST", "DELETE"]),
        Route("/_mock/requests", control.requests, methods=["GET", "DELETE"]),
        Route("/_mock/usage", control.usage, methods=["GET"]),
        Route("/_mock/images/{name:path}", control.image, methods=["GET", "PUT", "DELETE"]),
        Route("/_mock/health", control.health, methods=["GET"]),
        Route("/{path:path}", data.not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.backend = backend
    return app
