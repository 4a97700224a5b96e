"""The image pair's Azure side from a Vision cassette: labelled by what it was recorded from, and a
recording of labkit's own emulator is never presented as Azure's quality."""

import datetime as dt
import io
import json
import math
from dataclasses import replace

import pytest
from PIL import Image

from shared.compare import PAIRS
from shared.compare.attachments import recorded, run_azure
from shared.compare.cassette import CassetteProblem, read_vision_info
from shared.compare.collect import CompareOptions, same_items
from shared.compare.records import summary_row
from shared.compare.report import NOT_MEASURED, findings, markdown, sections
from shared.datasets import attachments as dataset
from tests.shared.compare.test_compare_attachments import runs_from


def _exchange(upstream: str | None, at: str = "2026-11-30T23:00:00+00:00", status: int = 200) -> dict:
    ex = {"method": "POST", "path": "/computervision/imageanalysis:analyze", "api_version": "2024-02-01",
          "query": {"features": "read,tags"}, "request": "sha256:00", "status": status, "headers": {},
          "body": json.dumps({"modelVersion": "2023-10-01", "metadata": {"width": 8, "height": 8}})}
    if upstream is not None:
        ex.update(upstream=upstream, recorded_at=at)
    return ex


def _cassette(tmp_path, *exchanges) -> object:
    path = tmp_path / "vision.cassette.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in exchanges))
    return path


def test_the_label_says_what_answered(tmp_path):
    azure = read_vision_info(_cassette(tmp_path, _exchange("docs-east.cognitiveservices.azure.com", status=429),
                                       _exchange("docs-east.cognitiveservices.azure.com",
                                                 "2026-12-01T01:00:00+00:00")))
    assert not azure.from_emulator and azure.exchanges == 2
    assert azure.label == "recorded from Azure AI Vision docs-east (model 2023-10-01), 2026-11-30"
    local = read_vision_info(_cassette(tmp_path, _exchange("127.0.0.1:40123")))
    assert local.from_emulator and local.label.startswith("recorded from labkit's Vision emulator at 127.0.0.1:40123")
    unnamed = read_vision_info(_cassette(tmp_path, _exchange(None)))
    assert unnamed.from_emulator and "does not name" in unnamed.label and "date not recorded" in unnamed.label
    other = read_vision_info(_cassette(tmp_path, _exchange("vision.example.com")))
    assert other.from_emulator and "not an Azure AI Vision endpoint" in other.label


def test_a_cassette_that_cannot_be_labelled_is_a_clear_error(tmp_path):
    with pytest.raises(CassetteProblem, match="no answered image analysis"):
        read_vision_info(_cassette(tmp_path, _exchange("a.cognitiveservices.azure.com", status=429)))
    with pytest.raises(CassetteProblem, match="mixes answers"):
        read_vision_info(_cassette(tmp_path, _exchange("a.cognitiveservices.azure.com"), _exchange("127.0.0.1:1")))
    with pytest.raises(CassetteProblem, match="Cannot read"):
        read_vision_info(tmp_path / "missing.jsonl")


def test_only_an_azure_recording_makes_the_vision_quality_a_result(tmp_path):
    """Hand-made lab stores (as test_compare_attachments), relabelled as a replay of each cassette."""
    pages = {}
    for name, upstream in (("azure", "docs-east.cognitiveservices.azure.com"), ("local", "127.0.0.1:40123")):
        info = read_vision_info(_cassette(tmp_path, _exchange(upstream)))
        azure, gcp = runs_from(tmp_path / name, azure_target="cloud" if name == "azure" else "mock")
        runs = same_items([recorded(azure, info, replayed=True), gcp])
        figures = {r.stack: summary_row(r) for r in runs}
        said = findings(runs, figures)  # the page without its charts: drawing them is the slow part
        pages[name] = (figures, said, markdown(PAIRS["attachments"].title, runs, sections(runs, figures, said, {})))
    figures, said, page = pages["azure"]
    label = "recorded from Azure AI Vision docs-east (model 2023-10-01), 2026-11-30"
    assert figures["azure"]["quality_source"] == label and figures["azure"]["accuracy"] is not None
    assert any(label in s and "macro-F1" in s for s in said)
    assert figures["azure"]["speed_source"].startswith("replayed") and math.isnan(figures["azure"]["latency_p50_ms"])
    figures, said, page = pages["local"]
    assert figures["azure"]["quality_source"] is None and figures["azure"]["accuracy"] is None
    assert "labkit's Vision emulator" in page and NOT_MEASURED in page
    assert not any("Azure AI Vision (AI-102 way) (" in s and "macro-F1" in s for s in said)


def test_record_then_replay_through_the_azure_lab(tmp_path, monkeypatch):
    """Record the Azure lab's calls on 1 blank image (against labkit's emulator, standing in for a real
    resource), then replay them with no endpoint or key: nothing reaches a service."""
    from mocks.azure_vision.server import local_emulator

    folder = tmp_path / "data" / "test"
    png = io.BytesIO()
    Image.new("RGB", (96, 64), "white").save(png, "PNG")  # nothing to read: the OCR stand-in is quick
    dataset.write_folder([replace(dataset.generate(1, seed=0, split="test")[0], data=png.getvalue())], folder)
    truth = {r["id"]: {**r, "split": "test"} for r in dataset.read_labels(folder)}
    emulator = local_emulator()
    monkeypatch.setenv("VISION_ENDPOINT", emulator.url)
    monkeypatch.setenv("VISION_KEY", emulator.api_key)
    cassette = tmp_path / "images.cassette.jsonl"
    opts = dict(out=tmp_path, limit=1, per_window=1, azure_cassette=cassette)
    run = run_azure(CompareOptions(**opts, azure_record=True), {"test": folder}, truth)
    assert run.quality_source is None and "labkit's Vision emulator" in run.stand_in
    assert emulator.api_key not in cassette.read_text()

    # An instructor's cassette names an Azure host: give the recording one, then replay offline.
    lines = [dict(json.loads(line), upstream="docs-east.cognitiveservices.azure.com")
             for line in cassette.read_text().splitlines()]
    cassette.write_text("".join(json.dumps(e) + "\n" for e in lines))
    monkeypatch.delenv("VISION_ENDPOINT")
    monkeypatch.delenv("VISION_KEY")
    billed = emulator.control.usage()
    replayed = run_azure(CompareOptions(**opts), {"test": folder}, truth)
    assert emulator.control.usage() == billed, "the replay sent nothing to a service"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert replayed.quality_source == f"recorded from Azure AI Vision docs-east (model 2023-10-01), {today}"
    assert [p.predicted_category for p in replayed.predictions] == [p.predicted_category for p in run.predictions]
