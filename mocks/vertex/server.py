"""Run the Vertex AI emulator (and its Cloud Storage) on 127.0.0.1.

``VertexServer`` is one threaded HTTP server: point ``aiplatform.init(api_endpoint=...)`` and
``STORAGE_EMULATOR_HOST`` at its ``url``. ``local_emulator()`` is the process-wide instance the
labs' mock mode uses (started on first use, stopped at exit).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mocks._server import ProcessWide, ServerError, ThreadedServer

PROJECT = "labkit-local"
LOCATION = "us-central1"
STAGING_BUCKET = "gs://labkit-staging"


class VertexServer:
    """The emulator's backend and app in a :class:`ThreadedServer`."""

    def __init__(self, data_dir: Path | str | None = None, port: int = 0):
        from mocks.vertex.app import create_app
        from mocks.vertex.models import VertexBackend

        self._owned_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="labkit-vertex-"))
        self.backend = VertexBackend(self.data_dir)
        self.server = ThreadedServer(create_app(self.backend), port=port)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> VertexServer:
        self.server.start()
        self.backend.storage_host = self.server.url
        return self

    def stop(self) -> None:
        self.server.stop()
        for job in self.backend.jobs.values():
            job.cancel.set()
        if self._owned_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def reset(self) -> None:
        self.backend.reset()

    def check_errors(self) -> None:
        """Raise the first crash since the last check: in the server, or an unexpected error the
        emulator answered as 500 INTERNAL (so the client saw the service's error shape)."""
        self.server.check_errors()
        crashes = self.backend.crashes
        if crashes:
            first, crashes[:] = crashes[0], []
            raise ServerError(f"The emulator crashed while handling a request:\n{first}")

    def serve_forever(self) -> None:
        self.backend.storage_host = f"http://{self.server.host}:{self.server.port}"
        try:
            self.server.start()
            self.backend.storage_host = self.server.url
            self.server.serve_forever()
        finally:
            self.stop()

    def __enter__(self) -> VertexServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# The process-wide emulator, started on first call.
local_emulator = ProcessWide(VertexServer)
