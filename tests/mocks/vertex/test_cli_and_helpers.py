"""The `labkit mock serve vertex` command and shared.gcp's connection helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from shared.config import ConfigError, load_settings
from shared.gcp import init_vertex, vertex_connection


def test_serve_prints_the_env_and_answers(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", "from shared.cli import main; main()", "mock", "serve", "vertex",
         "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("export STORAGE_EMULATOR_HOST=") for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, lines
            lines.append(process.stdout.readline())
        url = next(line for line in lines if "STORAGE_EMULATOR_HOST" in line).strip().split("=", 1)[1]
        assert httpx.get(f"{url}/_mock/health").json() == {"status": "ok"}
        assert httpx.get(f"{url}/storage/v1/b/labkit-staging").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "storage" / "labkit-staging").is_dir()


def test_mock_connection_points_at_the_emulator(vertex):
    conn = vertex_connection(load_settings("mock", environ={}, dotenv_path="/nonexistent"))
    assert conn.emulated and conn.api_endpoint == vertex.url
    assert os.environ["STORAGE_EMULATOR_HOST"] == vertex.url
    assert "credentials" not in repr(conn)
    init_vertex(conn)
    from google.cloud import aiplatform

    assert aiplatform.Model.list() == []


def test_cloud_connection_needs_the_settings():
    settings = load_settings("cloud", environ={}, dotenv_path="/nonexistent")
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT"):
        vertex_connection(settings)
    cloud = vertex_connection(load_settings("cloud", environ={
        "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_STAGING_BUCKET": "gs://b/"}, dotenv_path="/nonexistent"))
    assert (cloud.project, cloud.location, cloud.staging_bucket, cloud.api_endpoint, cloud.emulated) == (
        "p", "us-central1", "gs://b", None, False)
