"""Graded: the rules each exercise's docstring and hint state that the other tests leave unchecked.

Found by measuring the graded tests (issue 18): ``benchmarks/generated_mutants.py`` lists the
mechanical slips (an ignored parameter, a scale off by one, a boundary flipped) that kept full
marks. Each test checks one stated rule at the edge where it shows: a batch size other than the
default, another seed, a white pixel that must be exactly 1.0, a request exactly at 90% of the
limit by the hint's size formula.
"""

from __future__ import annotations

import time

import httpx
import numpy as np
import pytest
from PIL import Image

from shared.datasets.attachments import TYPES
from tests.labs.gcp.attachments.conftest import LAB, encoded

# Exercise 1: data.make_dataset --------------------------------------------------------------

@pytest.mark.exercise(1)
@pytest.mark.points(1, timeout=120)
def test_make_dataset_uses_the_batch_size_and_seed_passed_in(lab_module):
    data = lab_module(LAB, "data")
    items = [data.Item(f"i{k}", encoded(Image.new("RGB", (40, 30), (20 * k, 0, 0))), TYPES[k % len(TYPES)])
             for k in range(12)]
    sizes = [int(pixels.shape[0]) for pixels, _ in data.make_dataset(items, batch_size=5, size=8)]
    assert sizes == [5, 5, 2], f"12 images in batches of batch_size=5 are 5, 5, 2; got {sizes}"

    def order(seed):  # the red level of each image, in the order the one batch gives them
        pixels, _ = next(iter(data.make_dataset(items, batch_size=12, shuffle=True, seed=seed, size=8)))
        return [round(float(x)) for x in pixels.numpy()[:, 4, 4, 0]]

    orders = {tuple(order(seed)) for seed in (1, 2, 3)}
    assert len(orders) > 1, "shuffle with the seed passed in: other seeds must give other orders"


# Exercise 2: baseline.image_features --------------------------------------------------------

@pytest.mark.exercise(2)
@pytest.mark.points(1, timeout=120)
def test_image_features_cells_row_by_row_on_a_0_1_scale(lab_module):
    baseline = lab_module(LAB, "baseline")
    grid = baseline.GRID
    image = Image.new("RGB", (160, 160), (255, 255, 255))
    image.paste((0, 0, 0), (0, 80, 160, 160))  # top half white, bottom half black
    got = baseline.image_features(encoded(image))
    brightness = got[:grid * grid].reshape(grid, grid)
    assert np.allclose(brightness[0], 1.0, atol=1e-6) and np.allclose(brightness[-1], 0.0, atol=1e-6), (
        f"cell means per GRID x GRID cell, row by row, grey scaled to 0-1 (white exactly 1.0): top row "
        f"{brightness[0].round(4).tolist()}, bottom row {brightness[-1].round(4).tolist()}")
    white = baseline.image_features(encoded(Image.new("RGB", (90, 60), (255, 255, 255))))
    assert white[-7:-1] == pytest.approx([1, 1, 1, 0, 0, 0], abs=1e-6), (
        f"a white image: mean R, G, B exactly 1.0 (0-1 scale), standard deviations 0; got {white[-7:-1]}")


# Exercise 3: model.augmentation and model.build_model -----------------------------------------

@pytest.mark.exercise(3)
@pytest.mark.points(1, timeout=120)
def test_augmentation_keeps_the_0_255_range_and_seeds_each_layer_apart(lab_module):
    model = lab_module(LAB, "model")
    layers = [layer for layer in model.augmentation().layers if hasattr(layer, "seed")]
    seeds = [layer.seed for layer in layers]
    assert None not in seeds and len(set(seeds)) == len(seeds), (
        f"seeds {seeds}: seed every layer, each with its own seed (a shared seed draws the same numbers)")
    augment = model.augmentation()
    white = augment(np.full((16, 32, 32, 3), 255.0, np.float32), training=True).numpy()[:, 16, 16, :]
    black = augment(np.zeros((16, 32, 32, 3), np.float32), training=True).numpy()[:, 16, 16, :]
    assert white.max() == pytest.approx(255, abs=0.01) and black.min() == pytest.approx(0, abs=0.01), (
        f"pixels stay in 0-255 (value_range=(0, 255)): a brightened white image is clipped at exactly 255 "
        f"(got up to {white.max():.2f}), a darkened black one at exactly 0 (got down to {black.min():.2f})")


@pytest.mark.exercise(3)
@pytest.mark.points(1, timeout=120)
def test_build_model_uses_the_filters_and_learning_rate_passed_in(lab_module):
    keras = lab_module(LAB, "data").tf().keras
    cnn = lab_module(LAB, "model").build_model(learning_rate=0.0123, filters=5, size=32)
    convs = [layer for layer in cnn.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [5, 10, 15, 20], (
        f"four 3x3 blocks of f, 2f, 3f, 4f filters with filters=5: got {[c.filters for c in convs]}")
    assert all(tuple(c.kernel_size) == (3, 3) for c in convs), f"3x3 kernels: {[c.kernel_size for c in convs]}"
    assert float(cnn.optimizer.learning_rate) == pytest.approx(0.0123), "Adam with the learning_rate passed in"


# Exercise 7: deploy -------------------------------------------------------------------------

@pytest.mark.exercise(7)
@pytest.mark.points(1)
def test_request_batches_at_the_edges_of_the_size_rule(lab_module):
    """Size of an image = 4 * ceil(len / 3) + 40 (the hint); a request may reach 0.9 * limit."""
    batches = lab_module(LAB, "deploy").request_batches

    def of_size(need):  # bytes whose share of a request is exactly `need`
        assert (need - 40) % 4 == 0
        return b"x" * (3 * (need - 40) // 4)

    # limit 1040: at most 936. One image of exactly 936 fits alone; the next starts a new request.
    got = batches([of_size(936), of_size(500), of_size(436), of_size(44)], limit=1040)
    assert got == [[0], [1, 2], [3]], f"with limit 1040 (at most 936 per request) expected [[0], [1, 2], [3]]: " \
        f"an image exactly at 90% fits, and 500 + 436 = 936 fills the next request exactly; got {got}"
    # limit 1030: at most 927. 928 is over; 500 + 428 = 928 does not fit together.
    with pytest.raises(ValueError):
        batches([of_size(928)], limit=1030)
    got = batches([of_size(900), of_size(500), of_size(428)], limit=1030)
    assert got == [[0], [1], [2]], f"with limit 1030 (at most 927) 500 + 428 = 928 must be split; got {got}"


class RecordingEndpoint:
    """The real SDK endpoint, with each predict call's timeout and start/end times written down."""

    def __init__(self, endpoint):
        self.endpoint, self.timeouts, self.calls = endpoint, [], []

    def predict(self, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        started = time.monotonic()
        try:
            return self.endpoint.predict(**kwargs)
        finally:
            self.calls.append((started, time.monotonic()))


@pytest.mark.exercise(7)
@pytest.mark.points(1, timeout=300)  # uses the session's small trained CNN (trained on first use)
def test_predict_with_retries_uses_the_timeout_and_initial_wait_passed_in(lab_module, trained, images, vertex):
    from shared.config import load_settings
    from shared.gcp import vertex_connection

    deploy = lab_module(LAB, "deploy")
    conn = vertex_connection(load_settings("mock", environ={}, dotenv_path="/nonexistent"))
    endpoint = RecordingEndpoint(deploy.deploy_model(deploy.upload_model(trained(lab_module).export, conn)))
    instances = deploy.encode_instances([images(lab_module).splits.test[0].data])
    httpx.post(vertex.url + "/_mock/faults", json={"method": "predict", "status": 503, "count": 6}).raise_for_status()
    rows = deploy.predict_with_retries(endpoint, instances, timeout=7.5, initial=0.001)
    assert len(rows) == 1 and len(endpoint.calls) == 7, f"six 503s, then an answer: {len(endpoint.calls)} calls"
    assert endpoint.timeouts == [7.5] * 7, f"every call gets the timeout passed in (7.5 s): {endpoint.timeouts}"
    waited = sum(nxt[0] - prev[1] for prev, nxt in zip(endpoint.calls, endpoint.calls[1:], strict=False))
    # Back-off from initial=0.001 s waits at most 0.001 * (1+2+4+8+16+16) = 0.047 s in all; from the
    # default 0.5 s it would wait about 12 s on average (waits drawn between 0 and 0.5, 1, 2, 4, 8, 8 s).
    assert waited < 1.5, f"the waits between tries add up to {waited:.2f} s: back off from the initial wait passed in"


# Exercise 8: monitor.image_statistics --------------------------------------------------------

@pytest.mark.exercise(8)
@pytest.mark.points(1, timeout=120)
def test_a_large_and_a_small_copy_of_one_picture_agree(lab_module):
    """Statistics on the grey image scaled to at most STATS_SIDE px (the docstring's reason)."""
    monitor = lab_module(LAB, "monitor")
    blocks = (np.random.default_rng(3).random((16, 32)) > 0.5).astype(np.uint8) * 255  # 8-px squares
    small = Image.fromarray(blocks).resize((256, 128), Image.Resampling.NEAREST).convert("RGB")
    large = small.resize((1024, 512), Image.Resampling.NEAREST)  # the same picture, 4x the pixels
    a, b = monitor.image_statistics(encoded(small)), monitor.image_statistics(encoded(large))
    assert abs(a["sharpness"] - b["sharpness"]) < 0.35, (
        f"sharpness {a['sharpness']:.2f} at 256x128 and {b['sharpness']:.2f} at 1024x512: scale the image to "
        f"at most STATS_SIDE ({monitor.STATS_SIDE}) px on its longer side before measuring, so copies agree")
    assert a["aspect_ratio"] == b["aspect_ratio"] == 2.0
