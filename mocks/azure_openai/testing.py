"""pytest fixtures for the Azure OpenAI emulator (loaded by the root conftest's pytest_plugins).

* ``azure_openai_server`` (session): the process-wide :func:`local_emulator`, the same server
  the labs' mock mode talks to through ``shared.azure.azure_openai_connection``.
* ``azure_openai`` (function): that server, reset before the test (deployments, config, script,
  log, usage, rate-limit windows); after the test, any crash inside the server is re-raised.

    def test_retry(azure_openai):
        azure_openai.control.script({"error": "rate_limit"})
        client = azure_openai.client()
        ...
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def azure_openai_server():
    from mocks.azure_openai.server import local_emulator

    return local_emulator()


@pytest.fixture
def azure_openai(azure_openai_server):
    azure_openai_server.control.reset()
    azure_openai_server.errors.clear()
    yield azure_openai_server
    azure_openai_server.check_errors()
