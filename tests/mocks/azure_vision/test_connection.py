"""shared/azure.py's vision_connection: the one call lab code makes, in mock and in cloud mode."""

from __future__ import annotations

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF

from shared.azure import VisionConnection, vision_connection
from shared.config import ConfigError, Secret, load_settings
from tests.mocks.azure_vision import drawing


def test_mock_mode_gives_a_working_client_on_the_shared_emulator(azure_vision, tmp_path):
    conn = vision_connection(load_settings(environ={}, dotenv_path=tmp_path / ".env"))
    assert conn.emulated and conn.endpoint == azure_vision.url
    png = drawing.encode(drawing.shapes_image())
    assert conn.client().analyze(png, [VF.OBJECTS]).objects.list
    assert azure_vision.control.usage()["calls"] == 1


def test_cloud_mode_needs_the_endpoint(tmp_path):
    with pytest.raises(ConfigError, match="VISION_ENDPOINT"):
        vision_connection(load_settings("cloud", environ={}, dotenv_path=tmp_path / ".env"))


def test_cloud_mode_reads_the_settings_and_works_against_any_endpoint(azure_vision, tmp_path):
    environ = {"VISION_ENDPOINT": azure_vision.url, "VISION_KEY": azure_vision.api_key}
    conn = vision_connection(load_settings("cloud", environ=environ, dotenv_path=tmp_path / ".env"))
    assert not conn.emulated and conn.api_key == Secret(azure_vision.api_key)
    assert conn.client().analyze(drawing.encode(drawing.shapes_image()), [VF.TAGS]).tags is not None
    assert azure_vision.api_key not in repr(conn)


def test_without_a_key_cloud_mode_uses_entra_id(tmp_path):
    from azure.identity import DefaultAzureCredential

    conn = vision_connection(load_settings("cloud", environ={"VISION_ENDPOINT": "https://x.cognitiveservices.azure.com"},
                                           dotenv_path=tmp_path / ".env"))
    assert conn.api_key is None and isinstance(conn._credential(), DefaultAzureCredential)
    assert isinstance(conn, VisionConnection)


@pytest.mark.cloud
def test_the_same_calls_work_against_the_real_service(tmp_path):
    """Opt-in: LABKIT_CLOUD_TESTS=1 with VISION_ENDPOINT and VISION_KEY (or Entra ID) set."""
    conn = vision_connection(load_settings("cloud", dotenv_path=tmp_path / ".env"))
    png = drawing.encode(drawing.text_image(["Invoice INV-2024-0173", "Total 249.99 EUR"]))
    result = conn.client().analyze(png, [VF.READ, VF.TAGS], language="en")
    assert result.metadata.width == 560 and result.model_version
    words = {w.text for line in result.read.blocks[0].lines for w in line.words}
    assert {"Invoice", "INV-2024-0173"} <= words
