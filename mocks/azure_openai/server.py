"""The emulator as a server: :class:`AzureOpenAIServer` and the process-wide :func:`local_emulator`.

    with AzureOpenAIServer() as server:
        client = server.client()              # a real openai.AzureOpenAI pointed at it
        server.control.script({"error": "rate_limit"})
        server.control.configure(error_503_rate=0.5)

``local_emulator()`` starts one server on first use and returns the same one afterwards; the
labs' mock mode (``shared/azure.py``) and the pytest fixtures (``testing.py``) share it, so a
test that scripts the emulator scripts the one the lab code talks to.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from mocks._server import BackendControl, ProcessWide, ThreadedServer
from mocks.azure_openai.models import DEFAULT_API_VERSION, AzureOpenAIBackend, Deployment
from mocks.azure_openai.responses import create_app


class Control(BackendControl):
    """In-process helpers for the /_mock/ control API (same effects, no HTTP round trip)."""

    backend: AzureOpenAIBackend

    def add_deployment(self, name: str, model: str = "gpt-4o-mini", **fields) -> Deployment:
        return self.backend.add_deployment({"name": name, "model": model, **fields})

    def deployments(self) -> list[dict]:
        return [d.to_dict() for d in self.backend.deployments.values()]

    def script(self, *items: dict) -> int:
        """Queue the next responses/errors (see README.md, "Scripted responses")."""
        return self.backend.add_script(list(items))

    def requests(self, deployment: str | None = None) -> list[dict]:
        return self.backend.requests(deployment)

    def usage(self, deployment: str | None = None) -> dict:
        totals = self.backend.usage_totals()
        return totals.get(deployment, {}) if deployment else totals


class AzureOpenAIServer(ThreadedServer):
    """An emulated Azure OpenAI resource on 127.0.0.1 (an ephemeral port unless given)."""

    def __init__(self, config: dict | str | Path | None = None, port: int = 0,
                 api_key: str | None = None, passthrough=None):
        self.api_key = api_key or "labkit-" + secrets.token_hex(12)
        self.backend = AzureOpenAIBackend(config, api_key=self.api_key)
        self.control = Control(self.backend)
        self.api_version = DEFAULT_API_VERSION
        super().__init__(create_app(self.backend, passthrough), port=port)

    @property
    def endpoint(self) -> str:
        return self.url

    def client(self, **kwargs):
        """A real ``openai.AzureOpenAI`` client for this server."""
        from openai import AzureOpenAI

        return AzureOpenAI(**self._client_args(kwargs))

    def async_client(self, **kwargs):
        from openai import AsyncAzureOpenAI

        return AsyncAzureOpenAI(**self._client_args(kwargs))

    def _client_args(self, kwargs: dict) -> dict:
        return {"azure_endpoint": self.url, "api_key": self.api_key,
                "api_version": self.api_version, **kwargs}

    def env(self, deployment: str = "gpt-4o-mini") -> dict[str, str]:
        """The settings a shell (or a cloud-mode run) needs to reach this server."""
        return {"AZURE_OPENAI_ENDPOINT": self.url, "AZURE_OPENAI_API_KEY": self.api_key,
                "OPENAI_API_VERSION": self.api_version, "AZURE_OPENAI_DEPLOYMENT": deployment}


# The process-wide emulator, started on first use, stopped when the process exits.
local_emulator = ProcessWide(AzureOpenAIServer)
