"""Hidden graded tests of the GCP attachments lab: instructor-only, left out of releases.

The same rules as the visible tests, on inputs the learner has not seen.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from shared.datasets.attachments import TYPES
from tests.labs.gcp.attachments.conftest import LAB, encoded

pytestmark = pytest.mark.hidden


@pytest.mark.exercise(1)
@pytest.mark.points(1, timeout=120)
def test_tall_gif_and_bmp_are_padded_left_and_right(lab_module):
    data = lab_module(LAB, "data")
    tf = data.tf()
    for fmt in ("GIF", "BMP"):
        tall = encoded(Image.new("RGB", (50, 200), (255, 255, 255)), fmt)
        out = data.decode_and_resize(tf.constant(tall), 40).numpy()
        assert out.shape == (40, 40, 3), f"{fmt}: {out.shape}"
        assert out[:, :10].max() < 1 and out[:, 20].min() > 200, f"{fmt}: a tall image is padded at the sides"


@pytest.mark.exercise(1)
@pytest.mark.points(1, timeout=120)
def test_class_weights_with_three_types(lab_module):
    data = lab_module(LAB, "data")
    kinds = ["config_screen"] * 2 + ["damaged_device"] * 3 + ["error_screenshot"]
    weights = data.class_weights([data.Item(str(k), b"", t) for k, t in enumerate(kinds)])
    assert weights == pytest.approx({TYPES.index("config_screen"): 1.0, TYPES.index("damaged_device"): 2 / 3,
                                     TYPES.index("error_screenshot"): 2.0})


@pytest.mark.exercise(7)
@pytest.mark.points(1, timeout=180)
def test_request_batches_of_real_sized_images(lab_module):
    deploy = lab_module(LAB, "deploy")
    datas = [b"y" * 400_000] * 5  # about 533 kB of base64 each: two fit under 90% of 1.5 MB
    assert deploy.request_batches(datas) == [[0, 1], [2, 3], [4]]
    rows = deploy.encode_instances([b"\x00\x01"])
    assert base64.b64decode(rows[0]["image_bytes"]["b64"]) == b"\x00\x01"


@pytest.mark.exercise(8)
@pytest.mark.points(1, timeout=120)
def test_image_statistics_of_a_dark_stripe(lab_module):
    monitor = lab_module(LAB, "monitor")
    pixels = np.full((50, 100), 200, np.uint8)
    pixels[:25] = 0
    stats = monitor.image_statistics(encoded(Image.fromarray(pixels)))
    assert stats["brightness"] == pytest.approx(100) and stats["contrast"] == pytest.approx(100)
    assert stats["aspect_ratio"] == pytest.approx(2.0) and stats["sharpness"] > 3
