"""`labkit mock serve azure-vision` as a newcomer uses it: start, paste the lines, call, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF
from azure.core.credentials import AzureKeyCredential

from tests.mocks.azure_openai.test_cli import LABKIT, read_exports, serve
from tests.mocks.azure_vision import drawing


def test_serve_prints_pasteable_settings_and_serves_until_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "VISION_"))}
    proc = serve(["azure-vision", "--port", "0", "--region", "uksouth"], env, tmp_path)
    try:
        exports = read_exports(proc)
        assert set(exports) == {"VISION_ENDPOINT", "VISION_KEY"}
        assert exports["VISION_ENDPOINT"].startswith("http://127.0.0.1:")
        client = ImageAnalysisClient(exports["VISION_ENDPOINT"], AzureKeyCredential(exports["VISION_KEY"]))
        result = client.analyze(drawing.encode(drawing.shapes_image()), [VF.OBJECTS])
        assert len(result.objects.list) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_serve_refuses_record_without_a_cassette():
    done = subprocess.run([*LABKIT, "mock", "serve", "azure-vision", "--record", "https://x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--cassette" in done.stderr
