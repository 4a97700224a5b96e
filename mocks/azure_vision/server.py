"""The emulator as a server: :class:`AzureVisionServer` and the process-wide :func:`local_emulator`.

    with AzureVisionServer() as server:
        client = server.client()                       # a real ImageAnalysisClient
        server.control.configure(region="uksouth")     # caption is not offered there
        server.control.script({"error": "rate_limit"})

``local_emulator()`` starts one server on first use and returns the same one afterwards; the
labs' mock mode (``shared/azure.py``) and the pytest fixtures (``testing.py``) share it.
"""

from __future__ import annotations

import secrets

from mocks._server import BackendControl, ProcessWide, ThreadedServer
from mocks.azure_vision.models import VisionBackend
from mocks.azure_vision.responses import create_app


class Control(BackendControl):
    """In-process helpers for the /_mock/ control API (same effects, no HTTP round trip)."""

    backend: VisionBackend

    def limits(self, calls: int | None = None, window_s: float | None = None,
               monthly_transactions: int | None = None) -> None:
        self.backend.set_limits(calls, window_s, monthly_transactions)

    def script(self, *items: dict) -> int:
        """Queue the next responses/errors (see README.md, "Scripted responses")."""
        return self.backend.add_script(list(items))

    def put_image(self, name: str, data: bytes) -> str:
        """Store an image; analyze_from_url(server.image_url(name)) reads it without a network."""
        self.backend.put_image(name, data)
        return name

    def requests(self) -> list[dict]:
        return self.backend.requests()

    def usage(self) -> dict:
        return self.backend.usage_totals()


class AzureVisionServer(ThreadedServer):
    """An emulated Azure AI Vision resource on 127.0.0.1 (an ephemeral port unless given)."""

    def __init__(self, config: dict | None = None, port: int = 0, api_key: str | None = None,
                 passthrough=None):
        self.api_key = api_key or "labkit-" + secrets.token_hex(12)
        self.backend = VisionBackend(config, api_key=self.api_key)
        self.control = Control(self.backend)
        super().__init__(create_app(self.backend, passthrough), port=port)

    @property
    def endpoint(self) -> str:
        return self.url

    def image_url(self, name: str) -> str:
        return f"{self.url}/_mock/images/{name}"

    def client(self, **kwargs):
        """A real ``azure.ai.vision.imageanalysis.ImageAnalysisClient`` for this server."""
        from azure.ai.vision.imageanalysis import ImageAnalysisClient
        from azure.core.credentials import AzureKeyCredential

        return ImageAnalysisClient(self.url, AzureKeyCredential(self.api_key), **kwargs)

    def async_client(self, **kwargs):
        from azure.ai.vision.imageanalysis.aio import ImageAnalysisClient
        from azure.core.credentials import AzureKeyCredential

        return ImageAnalysisClient(self.url, AzureKeyCredential(self.api_key), **kwargs)

    def env(self) -> dict[str, str]:
        """The settings a shell (or a cloud-mode run) needs to reach this server."""
        return {"VISION_ENDPOINT": self.url, "VISION_KEY": self.api_key}

    def __repr__(self) -> str:  # never the key
        state = self.url if self._server is not None else "stopped"
        return f"AzureVisionServer({state})"


# The process-wide emulator, started on first use, stopped when the process exits.
local_emulator = ProcessWide(AzureVisionServer)
