"""pytest fixtures for the Vertex AI emulator (a plugin: listed in the root conftest).

* ``vertex_server`` (session): the process-wide emulator (``local_emulator()``), so lab code
  that calls ``shared.gcp.vertex_connection`` in mock mode reaches the same server.
* ``vertex`` (function): resets the emulator (state rule ``immediate``, no faults, empty
  storage), recreates the staging bucket, sets ``STORAGE_EMULATOR_HOST``, calls
  ``aiplatform.init`` against it, and after the test re-raises any crash inside the server.
  Yields the ``VertexServer``; ``vertex.backend`` is the state, ``vertex.url`` the address.

Jobs finish inside the create call under the ``immediate`` rule, so the SDK finds them done at
its first poll and never sleeps ``aiplatform.jobs._JOB_WAIT_TIME`` (5 s).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def vertex_server():
    from mocks.vertex.server import local_emulator

    return local_emulator()


@pytest.fixture
def vertex(vertex_server, monkeypatch):
    from shared.config import load_settings
    from shared.gcp import init_vertex, vertex_connection

    vertex_server.reset()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_server.url)
    init_vertex(vertex_connection(load_settings("mock", environ={}, dotenv_path="/nonexistent")))
    yield vertex_server
    vertex_server.check_errors()
