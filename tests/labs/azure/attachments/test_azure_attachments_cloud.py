"""The lab against a real Azure AI Vision resource: skipped unless LABKIT_CLOUD_TESTS=1 and
VISION_ENDPOINT (and VISION_KEY, or an Entra ID sign-in) are set. Not graded; costs a few cents
(2 images x read + tags at S1 prices)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.cloud
def test_the_lab_runs_against_a_real_resource(lab_module, tmp_path, monkeypatch):
    run = lab_module("azure/attachments", "run")
    monkeypatch.chdir(tmp_path)
    assert run.main(["--target", "cloud", "--limit", "2", "--out", str(tmp_path / "o"), "--no-mlflow"]) == 0
    summary = json.loads((tmp_path / "o" / "results.json").read_text())
    assert summary["emulated"] is False and summary["images"] == 2
