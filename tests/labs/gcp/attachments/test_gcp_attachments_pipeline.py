"""Graded tests of the GCP attachments lab: input pipeline, baseline, CNN, export, tuning.

Each test names the broken variants it catches; they live in tests/mutants/gcp/attachments/.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from shared.datasets.attachments import TYPES
from tests.labs.gcp.attachments.conftest import IMAGE_SIZE, LAB, encoded


def half_dark(width: int = 128, height: int = 128) -> Image.Image:
    """Left half black, right half white."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, width // 2, height))
    return image


# Exercise 1: input pipeline -----------------------------------------------------------------

@pytest.mark.exercise(1)
@pytest.mark.points(3, timeout=120)
def test_decode_and_resize_keeps_the_aspect_ratio_and_the_0_255_scale(lab_module):
    """Catches data__resize_stretches."""
    data = lab_module(LAB, "data")
    tf = data.tf()
    wide = encoded(Image.new("RGB", (200, 100), (250, 250, 250)))
    out = data.decode_and_resize(tf.constant(wide), 64).numpy()
    assert out.shape == (64, 64, 3) and out.dtype == np.float32, f"got {out.shape} {out.dtype}"
    assert out.max() > 200, (
        f"the pixels reach {out.max():.2f}: keep them in 0-255 here; scaling to [0, 1] is the "
        "model's Rescaling layer, so the served model scales exactly as in training")
    assert out[:12].max() < 1 and out[-12:].max() < 1 and abs(out[32].mean() - 250) < 2, (
        "a 200 x 100 image must fill the middle 32 rows and be padded (black) above and below: "
        "resize_with_pad keeps the aspect ratio, which tells a receipt from a screenshot")


@pytest.mark.exercise(1)
@pytest.mark.points(2, timeout=120)
def test_decode_any_format_to_three_channels_with_antialiasing(lab_module):
    """Catches data__no_antialias."""
    data = lab_module(LAB, "data")
    tf = data.tf()
    grey = encoded(Image.new("L", (80, 80), 128))
    jpeg = encoded(Image.new("RGB", (90, 60), (10, 200, 30)), "JPEG")
    for name, raw in (("greyscale PNG", grey), ("JPEG", jpeg)):
        shape = tuple(data.decode_and_resize(tf.constant(raw), 32).numpy().shape)
        assert shape == (32, 32, 3), f"a {name} must come out as (32, 32, 3), got {shape}"
    stripes = np.zeros((250, 250), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: fine print, at 4x reduction
    out = data.decode_and_resize(tf.constant(encoded(Image.fromarray(stripes))), 64).numpy()
    assert out.std() < 30, (
        f"one-pixel stripes shrunk 4x should become an even grey (std {out.std():.0f}); without "
        "antialias=True resizing samples a few source pixels and thin lines turn into noise")


@pytest.mark.exercise(1)
@pytest.mark.points(2, timeout=120)
def test_make_dataset_yields_pixels_and_one_hot_types(lab_module):
    data = lab_module(LAB, "data")
    tf = data.tf()
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    kinds = ["shipping_label", "error_screenshot", "invoice"]
    items = [data.Item(f"i{k}", encoded(Image.new("RGB", (40, 30), c)), t)
             for k, (c, t) in enumerate(zip(colours, kinds, strict=True))]
    pixels, labels = next(iter(data.make_dataset(items, batch_size=3, size=16)))
    assert tuple(pixels.shape) == (3, 16, 16, 3) and tuple(labels.shape) == (3, len(TYPES))
    expected = np.stack([data.decode_and_resize(tf.constant(i.data), 16).numpy() for i in items])
    assert np.allclose(pixels.numpy(), expected, atol=1e-3), (
        "make_dataset must map decode_and_resize over the images, in order when not shuffled")
    assert [TYPES[i] for i in labels.numpy().argmax(axis=1)] == kinds, (
        "labels must be one-hot over TYPES in that order (the model's outputs are read that way)")


@pytest.mark.exercise(1)
@pytest.mark.points(1, timeout=120)
def test_training_batches_are_shuffled_by_the_seed(lab_module):
    """shuffle=True reorders the images, the same way for the same seed (a run can be repeated)."""
    data = lab_module(LAB, "data")
    kinds = [TYPES[k % len(TYPES)] for k in range(12)]
    items = [data.Item(f"i{k}", encoded(Image.new("RGB", (40, 30), (20 * k, 0, 0))), t)
             for k, t in enumerate(kinds)]

    def order(**kw):  # (types, red level of each image) of the first batch
        pixels, labels = next(iter(data.make_dataset(items, batch_size=12, size=8, **kw)))
        return [TYPES[i] for i in labels.numpy().argmax(axis=1)], [round(float(x)) for x in pixels.numpy()[:, 4, 4, 0]]

    plain, _ = order()
    assert plain == kinds, "without shuffle the images keep their order"
    shuffled, reds = order(shuffle=True, seed=7)
    assert sorted(reds) != reds, "shuffle=True must reorder the training images (shuffle before batching)"
    assert order(shuffle=True, seed=7)[1] == reds, "the same seed must give the same order"


@pytest.mark.exercise(1)
@pytest.mark.points(2, timeout=120)
def test_class_weights_balance_the_types(lab_module):
    """Catches data__weights_inverted."""
    data = lab_module(LAB, "data")
    items = [data.Item(str(k), b"", t) for k, t in enumerate(["invoice"] * 6 + ["shipping_label"] * 2)]
    weights = data.class_weights(items)
    invoice, label = TYPES.index("invoice"), TYPES.index("shipping_label")
    assert set(weights) == {invoice, label}, f"one weight per type present, by index: {weights}"
    assert weights[invoice] == pytest.approx(8 / (2 * 6)) and weights[label] == pytest.approx(8 / (2 * 2)), (
        f"balanced weights are n / (types x count): expected {{invoice: 0.667, shipping_label: 2.0}}, "
        f"got {weights}")


# Exercise 2: baseline -----------------------------------------------------------------------

@pytest.mark.exercise(2)
@pytest.mark.points(2, timeout=120)
def test_image_features_describe_layout_edges_colour_and_shape(lab_module):
    """Catches baseline__no_edges."""
    baseline = lab_module(LAB, "baseline")
    grid = baseline.GRID
    small = baseline.image_features(encoded(half_dark(128, 128)))
    large = baseline.image_features(encoded(half_dark(400, 200)))
    assert small.shape == large.shape == (2 * grid * grid + 7,), (
        f"every image must give the same {2 * grid * grid + 7} numbers, got {small.shape} and {large.shape}")
    assert large[-1] == pytest.approx(2.0) and small[-1] == pytest.approx(1.0), "last: width / height"
    brightness = small[:grid * grid].reshape(grid, grid)
    left, right = brightness[:, :grid // 2], brightness[:, grid // 2:]
    assert np.allclose(left, 0, atol=0.02) and np.allclose(right, 1, atol=0.02), (
        "the first GRID x GRID numbers are the mean grey level (0-1) per cell, row by row")
    edges = small[grid * grid:2 * grid * grid].reshape(grid, grid)
    assert edges[:, grid // 2 - 1].min() > 0.05 and edges[:, : grid // 2 - 1].max() < 0.01, (
        "the next GRID x GRID numbers are the mean edge strength per cell: only the cells along "
        "the black/white boundary have edges")
    assert small[-7:-4] == pytest.approx([0.5, 0.5, 0.5], abs=0.02), "then mean R, G, B (0-1)"


@pytest.mark.exercise(2)
@pytest.mark.points(2, timeout=180)
def test_baseline_reaches_a_useful_score(lab_module, images):
    """The features carry the types: logistic regression on 240 images beats the majority class
    clearly."""
    baseline, evaluate = lab_module(LAB, "baseline"), lab_module(LAB, "evaluate")
    splits = images(lab_module).splits
    model = baseline.train_baseline(splits.train)
    truth = [i.type for i in splits.test]
    score = evaluate.evaluate(truth, model.predict([i.data for i in splits.test]))
    majority = max(truth.count(t) for t in TYPES) / len(truth)
    assert score["accuracy"] >= 0.75, (
        f"the baseline reached accuracy {score['accuracy']:.2f} on {len(truth)} test images "
        f"(majority class {majority:.2f}); layout, edge, colour and shape features reach 0.75")


# Exercise 3: CNN ----------------------------------------------------------------------------

@pytest.mark.exercise(3)
@pytest.mark.points(2, timeout=120)
def test_augmentation_matches_the_nuisances(lab_module):
    """Catches model__flips_images."""
    model = lab_module(LAB, "model")
    keras = lab_module(LAB, "data").tf().keras
    aug = model.augmentation()
    layers = [type(layer).__name__ for layer in aug.layers]
    assert "RandomFlip" not in layers, (
        "no flips: a mirrored screenshot or invoice never arrives, so flipping teaches the model "
        "about images it will not see")
    for needed in ("RandomBrightness", "RandomRotation"):
        assert needed in layers, f"augmentation should include {needed}: got {layers}"
    rotation = next(layer for layer in aug.layers if isinstance(layer, keras.layers.RandomRotation))
    factor = max(abs(f) for f in np.ravel(rotation.factor))
    assert factor <= 0.03, (
        f"RandomRotation factor {factor} is a fraction of a full turn: scans are tilted a few "
        "degrees (0.01 = 3.6 degrees), never sideways")
    image = np.full((1, 32, 32, 3), 120.0, np.float32)
    image[:, :, :16] = 30.0
    assert np.allclose(aug(image, training=False), image), "augmentation must do nothing at inference"
    assert not np.allclose(aug(image, training=True), image), "augmentation must change training images"


@pytest.mark.exercise(3)
@pytest.mark.points(2, timeout=120)
def test_cnn_scales_inside_and_answers_probabilities(lab_module):
    """Catches model__no_rescaling."""
    model = lab_module(LAB, "model")
    keras = lab_module(LAB, "data").tf().keras
    cnn = model.build_model(filters=4, size=32)
    assert tuple(cnn.input_shape) == (None, 32, 32, 3), f"input shape {cnn.input_shape}"
    scaling = [layer for layer in cnn.layers if isinstance(layer, keras.layers.Rescaling)]
    assert scaling and float(np.ravel(scaling[0].scale)[0]) == pytest.approx(1 / 255), (
        "the model must scale pixels to [0, 1] itself (a Rescaling(1/255) layer), so serving "
        "scales exactly as training did")
    probs = np.asarray(cnn(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")))
    assert probs.shape == (2, len(TYPES)) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


@pytest.mark.exercise(3)
@pytest.mark.points(3, timeout=180)
def test_the_cnn_learns_the_types(lab_module, trained, images):
    """A few epochs on 240 images: far above the majority class."""
    model, evaluate = lab_module(LAB, "model"), lab_module(LAB, "evaluate")
    splits = images(lab_module).splits
    probs = model.predict_exported(model.load_exported(trained(lab_module).export),
                                   [i.data for i in splits.test])
    truth = [i.type for i in splits.test]
    score = evaluate.evaluate(truth, [TYPES[k] for k in probs.argmax(axis=1)])
    majority = max(truth.count(t) for t in TYPES) / len(truth)
    assert score["accuracy"] >= 0.6, (
        f"after a few epochs on 240 images the CNN reached accuracy {score['accuracy']:.2f} on "
        f"{len(truth)} test images (majority class {majority:.2f}); expected 0.6 or more")


# Exercise 4: export -------------------------------------------------------------------------

@pytest.mark.exercise(4)
@pytest.mark.points(3, timeout=180)
def test_export_takes_image_bytes_and_matches_the_model(lab_module, images, tmp_path):
    """Same probabilities from bytes as the Keras model from the pipeline's pixels: no skew.
    Catches model__export_scales_again."""
    data, model = lab_module(LAB, "data"), lab_module(LAB, "model")
    tf = data.tf()
    tf.keras.utils.set_random_seed(0)
    cnn = model.build_model(filters=4, size=IMAGE_SIZE)
    export = model.export_model(cnn, tmp_path / "export", size=IMAGE_SIZE)
    serving = model.load_exported(export)
    specs = list(serving.structured_input_signature[1].values())
    assert [s.dtype.name for s in specs] == ["string"] and specs[0].shape.as_list() == [None], (
        f"the serving signature takes {specs}; it must take the image files' bytes "
        "(tf.string, shape [None]) so a client sends the file as it is")
    items = images(lab_module).splits.test[:6]
    datas = [i.data for i in items]
    out = serving(image_bytes=tf.constant(datas))
    pixels = np.stack([data.decode_and_resize(tf.constant(d), IMAGE_SIZE).numpy() for d in datas])
    expected = np.asarray(cnn(pixels, training=False))
    assert np.allclose(out["probabilities"].numpy(), expected, atol=1e-4), (
        "the exported model's probabilities differ from the Keras model's on the same images: "
        "decode with data.decode_and_resize and call the model, nothing else (training/serving skew)")
    assert [t.decode() for t in out["type"].numpy()] == [TYPES[k] for k in expected.argmax(axis=1)]
    assert np.allclose(out["confidence"].numpy(), expected.max(axis=1), atol=1e-5)


# Exercise 5: tuning -------------------------------------------------------------------------

@pytest.mark.exercise(5)
@pytest.mark.points(3, timeout=120)
def test_one_search_space_drives_both_tuners(lab_module):
    """Catches tune__scale_always_linear."""
    tune = lab_module(LAB, "tune")

    def space(hp):
        return {"lr": hp.Float("lr", 1e-4, 1e-1, sampling="log"), "units": hp.Int("units", 8, 64),
                "filters": hp.Choice("filters", [4, 12, 20]), "pool": hp.Choice("pool", ["max", "avg"]),
                "dropout": hp.Float("dropout", 0.1, 0.3)}

    specs = tune.vertex_parameter_spec(space)
    kinds = {name: type(spec).__name__ for name, spec in specs.items()}
    assert kinds == {"lr": "DoubleParameterSpec", "units": "IntegerParameterSpec",
                     "filters": "DiscreteParameterSpec", "pool": "CategoricalParameterSpec",
                     "dropout": "DoubleParameterSpec"}, f"parameter spec kinds: {kinds}"
    assert (specs["lr"].min, specs["lr"].max, specs["lr"].scale) == (1e-4, 1e-1, "log"), (
        "a log-sampled range must stay log-scaled on Vertex, or most trials land at the top end")
    assert specs["dropout"].scale == "linear" and (specs["units"].min, specs["units"].max) == (8, 64)
    assert list(specs["filters"].values) == [4, 12, 20] and list(specs["pool"].values) == ["max", "avg"]
    default = tune.vertex_parameter_spec()
    import keras_tuner as kt

    assert set(default) == set(tune.search_space(kt.HyperParameters())), (
        "with no argument, vertex_parameter_spec must translate the lab's own search_space")


@pytest.mark.exercise(5)
@pytest.mark.points(1, timeout=120)
def test_a_parameter_vertex_cannot_search_is_an_error(lab_module):
    """A Fixed value has no Vertex parameter spec: say so, naming it, rather than drop it silently."""
    tune = lab_module(LAB, "tune")

    def space(hp):
        return {"lr": hp.Float("lr", 1e-4, 1e-1), "epochs": hp.Fixed("epochs", 5)}

    with pytest.raises(ValueError, match="epochs"):
        tune.vertex_parameter_spec(space)
