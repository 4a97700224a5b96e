"""The stand-in on its own: what each feature derives from the pixels, deterministically."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mocks.azure_vision import exceptions as err
from mocks.azure_vision import images, standin
from mocks.azure_vision.analysis import _neutral
from mocks.azure_vision.models import Options
from tests.mocks.azure_vision import drawing
from tests.mocks.azure_vision.drawing import iou


def scene_of(image: Image.Image) -> standin.Scene:
    return standin.analyse(np.asarray(image.convert("RGB")))


def test_boxes_are_in_the_original_pixels_of_a_large_image():
    big = drawing.shapes_image().resize((1600, 1200), Image.NEAREST)  # analysed at 512 px
    named = {r.name: r.box.to_dict() for r in scene_of(big).objects}
    assert iou(named["rectangle"], (160, 240, 719, 879)) > 0.9
    assert iou(named["circle"], (920, 320, 1399, 799)) > 0.9


def test_object_colours_and_caption_come_from_the_pixels():
    scene = scene_of(drawing.shapes_image())
    assert [(r.name, r.colour) for r in scene.objects] == [("rectangle", "blue"), ("circle", "red")]
    assert standin.caption(scene)[0] == "a blue rectangle on a white background"


def test_a_plain_image_has_nothing_in_it():
    scene = scene_of(Image.new("RGB", (300, 200), (245, 245, 245)))
    assert (scene.objects, scene.people, scene.text_regions) == ([], [], [])
    assert standin.caption(scene)[0] == "a white background"
    assert [name for name, _ in standin.tags(scene)] == []


def test_documents_and_receipts_are_told_apart_by_shape():
    lines = ["Invoice INV-1", "Item A 10.00", "Item B 12.50", "Total 22.50", "Thank you"]
    wide = scene_of(drawing.text_image(lines, size=(560, 300)))
    tall = scene_of(drawing.text_image(lines, size=(300, 560)))
    assert standin.caption(wide)[0] == "a document with text"
    assert standin.caption(tall)[0] == "a receipt with text"
    assert {"text", "receipt", "document"} <= {name for name, _ in standin.tags(tall)}


def test_a_noisy_photo_is_a_photograph_without_text():
    noise = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    scene = standin.analyse(noise)
    assert scene.text_regions == [] and [n for n, _ in standin.tags(scene)] == ["photograph"]


def test_smart_crops_follow_the_content_and_keep_the_ratio():
    image = Image.new("RGB", (800, 400), "white")
    ImageDraw.Draw(image).rectangle((620, 120, 760, 300), fill=(200, 30, 30))  # at the right
    scene = scene_of(image)
    for ratio, box in standin.smart_crops(scene, [0.75, 1.0, 1.8]):
        assert box.w / box.h == pytest.approx(ratio, abs=0.02)
        assert box.x <= 620 and box.x + box.w >= 760 and box.x + box.w <= 800
    (natural, box), = standin.smart_crops(scene, None)
    assert 0.5 <= natural <= 2.0 and box.x + box.w >= 760


def test_dense_captions_start_with_the_whole_image_and_stay_within_ten():
    image = Image.new("RGB", (600, 600), "white")
    draw = ImageDraw.Draw(image)
    for i in range(16):  # more regions than the service returns
        x, y = 20 + (i % 4) * 145, 20 + (i // 4) * 145
        draw.rectangle((x, y, x + 90, y + 90), fill=(40, 90, 200))
    values = standin.dense_captions(scene_of(image))
    assert len(values) == 10
    assert values[0][2].to_dict() == {"x": 0, "y": 0, "w": 600, "h": 600}
    assert all(text == "a blue rectangle" for text, _, _ in values[1:])


def test_the_same_pixels_give_the_same_answers():
    def everything():
        scene = scene_of(drawing.screenshot_image())
        return (standin.tags(scene), standin.caption(scene), standin.dense_captions(scene),
                [(r.name, r.box) for r in scene.objects], standin.smart_crops(scene, [1.0]))

    assert everything() == everything()


def test_tags_translate_into_the_requested_language():
    scene = scene_of(drawing.text_image(["Rechnung 2024", "Summe 99,00"]))
    assert "Text" in [name for name, _ in standin.tags(scene, "de")]
    assert "text" in [name for name, _ in standin.tags(scene, "ko")]  # not translated: English


def test_gender_neutral_captions_replace_gendered_words():
    on, off = Options(["caption"], gender_neutral=True), Options(["caption"])
    assert _neutral("a man and a woman at a desk", on) == "a person and a person at a desk"
    assert _neutral("a man and a woman at a desk", off) == "a man and a woman at a desk"


def test_image_checks_run_in_the_services_order():
    with pytest.raises(err.ImageTooLargeInBytes):
        images.decode(b"")
    with pytest.raises(err.InvalidImageFormat):
        images.decode(b"GIF89a but not really")
    tiny = drawing.encode(Image.new("RGB", (40, 40)))
    with pytest.raises(err.InvalidImageSize):
        images.decode(tiny)
    palette = drawing.encode(Image.new("P", (60, 60)), "GIF")
    decoded = images.decode(palette)
    assert decoded.rgb.shape == (60, 60, 3) and decoded.format == "GIF"


def test_a_very_large_image_is_analysed_reduced_but_answered_in_its_own_pixels():
    from mocks.azure_vision.analysis import analyse_image

    image = Image.new("RGB", (6000, 4500), "white")  # 27 MP: analysed at half size
    ImageDraw.Draw(image).rectangle((600, 900, 2699, 3299), fill=(40, 90, 200))
    decoded = images.decode(drawing.encode(image))
    assert decoded.scale == 2.0 and decoded.rgb.shape == (2250, 3000, 3)
    body = analyse_image(decoded, Options(["objects"]))
    assert body["metadata"] == {"width": 6000, "height": 4500}
    (found,) = body["objectsResult"]["values"]
    assert iou(found["boundingBox"], (600, 900, 2699, 3299)) > 0.95
