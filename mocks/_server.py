"""A threaded HTTP server for any emulator's ASGI app: start, stop, url, ephemeral port.

Every emulator wraps its app in :class:`ThreadedServer` so tests, the labs' mock mode and
``labkit mock serve`` run it the same way. The server binds to loopback only. Exceptions raised
by a handler are kept in ``errors`` so a test fixture can re-raise them in the test instead of
letting the server fail silently.
"""

from __future__ import annotations

import atexit
import json
import socket
import threading
import time
import traceback

import uvicorn


class ServerError(RuntimeError):
    """The emulator could not start, or a handler crashed while serving."""


class _ErrorCatcher:
    """ASGI middleware that records handler crashes, then lets the app answer 500."""

    def __init__(self, app, errors: list[str]):
        self.app = app
        self.errors = errors

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except Exception:
            self.errors.append(traceback.format_exc())
            raise


class ThreadedServer:
    """Run an ASGI app with uvicorn in a daemon thread on 127.0.0.1."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ServerError(f"Emulators bind to loopback only; refusing host {host!r}.")
        self.app = app
        self.host = host
        self.port = port
        self.errors: list[str] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise ServerError("The server is not running; call start() first.")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        if self._server is not None:
            return self
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted connections when the
        # listening socket says so, and without it every response stalls ~40 ms (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ServerError(
                f"Cannot listen on {self.host}:{self.port} ({exc.strerror}). "
                "Pick another port with --port, or 0 for any free port."
            ) from exc
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            _ErrorCatcher(self.app, self.errors),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="labkit-emulator"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"The emulator did not start within {timeout:.0f} s.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def check_errors(self) -> None:
        """Raise the first handler crash recorded since the last check (and forget them)."""
        if self.errors:
            first, self.errors[:] = self.errors[0], []
            raise ServerError(f"The emulator crashed while handling a request:\n{first}")

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until Ctrl-C (for ``labkit mock serve``)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


class ProcessWide:
    """One started server per process, made on first call and stopped when the process exits.

    The labs' mock mode and the test fixtures call the same instance, so a test that scripts
    the emulator scripts the one the lab code talks to.
    """

    def __init__(self, factory):
        self.factory = factory
        self.server = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self.server is None:
                self.server = self.factory().start()
                atexit.register(self.server.stop)
            return self.server


class BackendControl:
    """In-process helpers for an emulator's /_mock/ control API (same effects, no HTTP round trip)."""

    def __init__(self, backend):
        self.backend = backend

    def reset(self) -> None:
        self.backend.reset()

    def config(self) -> dict:
        return dict(self.backend.config)

    def configure(self, **patch) -> dict:
        return self.backend.update_config(patch)


def bad_request(exc: Exception):
    """A control-plane request the emulator cannot take: 400 with the reason."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {"code": "BadMockRequest", "message": str(exc)}}, status_code=400)


class ControlPlaneBase:
    """The /_mock/ routes every Azure emulator has: reset, and config (GET, or POST a patch)."""

    def __init__(self, backend):
        self.backend = backend

    async def _json(self, request):
        raw = await request.body()
        return json.loads(raw) if raw.strip() else {}

    async def reset(self, request):
        from starlette.responses import JSONResponse

        self.backend.reset()
        return JSONResponse({"reset": True})

    async def config(self, request):
        from starlette.responses import JSONResponse

        if request.method == "GET":
            return JSONResponse(self.backend.config)
        try:
            return JSONResponse(self.backend.update_config(await self._json(request)))
        except ValueError as exc:
            return bad_request(exc)
