"""Record through the emulator to an endpoint (another emulator here), then replay offline."""

from __future__ import annotations

import json

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF
from azure.core.exceptions import ResourceNotFoundError

from mocks.azure_vision.record import Player, Recorder
from mocks.azure_vision.server import AzureVisionServer
from tests.mocks.azure_vision import drawing


def test_record_strips_keys_and_replay_answers_offline(azure_vision, tmp_path):
    cassette = tmp_path / "vision.jsonl"
    png = drawing.encode(drawing.shapes_image())
    upstream = azure_vision  # stands in for https://NAME.cognitiveservices.azure.com
    with AzureVisionServer(passthrough=Recorder(upstream.url, upstream.api_key, cassette)) as rec:
        recorded = rec.client().analyze(png, [VF.OBJECTS, VF.TAGS]).as_dict()
        text = cassette.read_text()
        assert upstream.api_key not in text and rec.api_key not in text
    exchange = json.loads(text)
    assert set(exchange) >= {"method", "path", "api_version", "request", "status", "headers", "body"}
    assert exchange["request"].startswith("sha256:") and exchange["query"]["features"] == "objects,tags"
    assert exchange["upstream"] == upstream.url.split("://")[1] and exchange["recorded_at"].endswith("+00:00")
    assert len(upstream.control.requests()) == 1
    with AzureVisionServer(passthrough=Player(cassette)) as replay:
        client = replay.client(retry_total=0)
        assert client.analyze(png, [VF.OBJECTS, VF.TAGS]).as_dict() == recorded
        with pytest.raises(ResourceNotFoundError, match="no recorded exchange"):
            client.analyze(png, [VF.TAGS])  # other features: another request
    assert len(upstream.control.requests()) == 1  # replay never reached the endpoint
