"""pytest fixtures for the Azure AI Vision emulator.

* ``azure_vision_server`` (session): the process-wide :func:`local_emulator`, the same server
  the labs' mock mode talks to through ``shared.azure.vision_connection``.
* ``azure_vision`` (function): that server, reset before the test (config, limits, script, log,
  usage); after the test, any crash inside the server is re-raised.

    def test_retry(azure_vision):
        azure_vision.control.script({"error": "rate_limit", "headers": {"Retry-After": "0.01"}})
        result = azure_vision.client().analyze(png, [VisualFeatures.TAGS])

Load them with ``pytest_plugins = ["mocks.azure_vision.testing"]`` in a root conftest, or import
the two names into a conftest.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def azure_vision_server():
    from mocks.azure_vision.server import local_emulator

    return local_emulator()


@pytest.fixture
def azure_vision(azure_vision_server):
    azure_vision_server.control.reset()
    azure_vision_server.errors.clear()
    yield azure_vision_server
    azure_vision_server.check_errors()
