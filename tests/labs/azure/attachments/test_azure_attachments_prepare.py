"""Graded: checking and preparing images before sending them (prepare.py).

Mutants that these tests catch:
  prepare__off_by_one_limits.py   refuses exactly 50 px / 20 MB (the limits are inclusive)
  prepare__always_reencode.py     re-encodes every image (a JPEG loses quality for nothing)
  prepare__no_downscale.py        sends big photos as they are
  prepare__upscales_tiny.py       enlarges a tiny image instead of refusing it
"""

from __future__ import annotations

import io

import pytest
from azure_attachments_images import png
from PIL import Image


@pytest.mark.exercise(3)
@pytest.mark.points(2)
def test_check_image_applies_the_service_limits(lab, graded_parts):
    check = lab("prepare").check_image
    mb20 = 20 * 1024 * 1024
    with graded_parts("accepts images at the limits"):
        for ok in [(50, 50, 1, "PNG"), (16000, 16000, mb20, "JPEG"), (640, 480, 1000, "BMP"), (60, 60, 10, "TIFF")]:
            assert check(*ok) is None, f"check_image{ok} should pass: the limits are inclusive"
    with graded_parts("refuses outside them, naming the limit", weight=2):
        for bad, word in [((49, 300, 10, "PNG"), "50"), ((300, 16001, 10, "PNG"), "16000"),
                          ((300, 300, mb20 + 1, "PNG"), "20"), ((300, 300, 0, "PNG"), "empty"),
                          ((300, 300, 10, "PPM"), "PPM")]:
            reason = check(*bad)
            assert reason and word.lower() in reason.lower(), f"check_image{bad} gave {reason!r}; expected a " \
                f"reason mentioning {word!r}"


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_a_good_image_is_sent_as_it_came(lab):
    prepare = lab("prepare")
    for data in (png(120, 80), png(120, 80, fmt="JPEG"), png(60, 70, fmt="GIF")):
        prepared = prepare.prepare_image(data)
        assert prepared.data == data and not prepared.changes, (
            "an image within the limits must be sent byte for byte (re-encoding a JPEG loses quality)")
        assert (prepared.width, prepared.height) == Image.open(io.BytesIO(data)).size


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_big_images_are_downscaled_and_long_thin_ones_refused(lab):
    prepare = lab("prepare")
    prepared = prepare.prepare_image(png(3000, 600, fmt="JPEG"), max_side=1000)
    assert (prepared.width, prepared.height) == (1000, 200), "longer side to max_side, aspect kept"
    assert prepared.format == "JPEG" and Image.open(io.BytesIO(prepared.data)).size == (1000, 200)
    assert prepared.changes, "say what was changed"
    with pytest.raises(prepare.Refused, match="50"):
        prepare.prepare_image(png(4000, 60), max_side=1000)  # would be 1000 x 15


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_odd_formats_converted_and_bad_images_refused(lab):
    prepare = lab("prepare")
    prepared = prepare.prepare_image(png(80, 90, fmt="PPM"))
    assert prepared.format == "PNG" and Image.open(io.BytesIO(prepared.data)).format == "PNG", (
        "a format the service does not take (PPM) must be converted to PNG")
    for bad, word in [(b"", "empty"), (b"%PDF-1.7 not an image", "image"), (png(30, 200), "50"),
                      (png(200, 200)[:60], "damaged")]:
        with pytest.raises(prepare.Refused) as refused:
            prepare.prepare_image(bad)
        assert word in refused.value.reason.lower(), f"refused with {refused.value.reason!r}; say why ({word})"
