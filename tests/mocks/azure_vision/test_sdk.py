"""The real ImageAnalysisClient (sync and aio) against the emulator, feature by feature."""

from __future__ import annotations

import asyncio

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF
from azure.core.credentials import AccessToken
from azure.core.exceptions import ServiceRequestError

from tests.mocks.azure_vision import drawing
from tests.mocks.azure_vision.drawing import iou

BLOCKS = {VF.TAGS: "tagsResult", VF.CAPTION: "captionResult", VF.DENSE_CAPTIONS: "denseCaptionsResult",
          VF.OBJECTS: "objectsResult", VF.SMART_CROPS: "smartCropsResult", VF.PEOPLE: "peopleResult"}


@pytest.fixture(scope="module")
def shapes_png():
    return drawing.encode(drawing.shapes_image())


@pytest.fixture(scope="module")
def screenshot_png():
    return drawing.encode(drawing.screenshot_image())


@pytest.mark.parametrize("feature", list(BLOCKS), ids=lambda f: f.value)
def test_each_feature_returns_its_block_and_no_other(azure_vision, shapes_png, feature):
    result = azure_vision.client().analyze(shapes_png, [feature])
    body = result.as_dict()
    assert set(body) == {"modelVersion", "metadata", BLOCKS[feature]}
    assert body["metadata"] == {"width": 400, "height": 300}
    assert body["modelVersion"] == "2023-10-01"
    assert azure_vision.control.usage()["transactions_by_feature"] == {feature.value: 1}


def test_read_alone_returns_one_block_of_lines_and_words(azure_vision):
    png = drawing.encode(drawing.text_image(["Order 4471 shipped today"], size=(400, 80)))
    body = azure_vision.client().analyze(png, [VF.READ]).as_dict()
    assert set(body) == {"modelVersion", "metadata", "readResult"}
    (block,) = body["readResult"]["blocks"]
    (line,) = block["lines"]
    assert line["text"] == "Order 4471 shipped today"
    assert [w["text"] for w in line["words"]] == ["Order", "4471", "shipped", "today"]
    assert all(len(w["boundingPolygon"]) == 4 and 0 < w["confidence"] <= 1 for w in line["words"])


def test_all_features_at_once_describe_a_screenshot(azure_vision, screenshot_png):
    result = azure_vision.client().analyze(
        screenshot_png, list(BLOCKS), smart_crops_aspect_ratios=[0.9, 1.33],
        gender_neutral_caption=True, language="en", model_version="latest")
    assert "screenshot" in result.caption.text and 0 < result.caption.confidence <= 1
    tags = {t.name: t.confidence for t in result.tags.list}
    assert {"screenshot", "text"} <= set(tags)
    assert list(tags.values()) == sorted(tags.values(), reverse=True)
    dense = result.dense_captions.list
    assert dense[0].text == result.caption.text
    assert (dense[0].bounding_box.width, dense[0].bounding_box.height) == (640, 400)
    assert 2 <= len(dense) <= 10
    title_bar = max(result.objects.list, key=lambda o: o.bounding_box.width)
    assert iou(title_bar.bounding_box, (0, 0, 639, 40)) > 0.9
    assert result.people.list == []
    crops = result.smart_crops.list
    assert [c.aspect_ratio for c in crops] == [0.9, 1.33]
    for crop in crops:
        box = crop.bounding_box
        assert box.width / box.height == pytest.approx(crop.aspect_ratio, abs=0.02)
        assert box.x >= 0 and box.y >= 0 and box.x + box.width <= 640 and box.y + box.height <= 400


def test_async_client_gets_every_feature_as_the_sync_one_does(azure_vision, screenshot_png):
    async def run():
        async with azure_vision.async_client() as client:
            return await client.analyze(screenshot_png, list(VF), smart_crops_aspect_ratios=[1.0])

    result = asyncio.run(run())
    lines = [line.text for line in result.read.blocks[0].lines]
    assert "Error 0x80070005" in lines and "Access is denied." in lines
    sync = azure_vision.client().analyze(screenshot_png, list(VF), smart_crops_aspect_ratios=[1.0])
    assert result.as_dict() == sync.as_dict()
    assert set(result.as_dict()) == {"modelVersion", "metadata", "readResult", *BLOCKS.values()}


def test_async_client_honours_retry_after(azure_vision, shapes_png):
    azure_vision.control.script({"error": "rate_limit", "headers": {"Retry-After": "0.1"}})

    async def run():
        async with azure_vision.async_client() as client:
            return await client.analyze(shapes_png, [VF.TAGS])

    assert asyncio.run(run()).tags is not None
    assert [e["status"] for e in azure_vision.control.requests()] == [429, 200]


def test_async_client_raises_the_same_errors(azure_vision):
    from azure.core.exceptions import HttpResponseError

    async def run():
        async with azure_vision.async_client() as client:
            await client.analyze(b"not an image", [VF.TAGS])

    with pytest.raises(HttpResponseError) as exc:
        asyncio.run(run())
    assert exc.value.status_code == 400 and exc.value.error.code == "InvalidRequest"


def test_objects_are_the_drawn_shapes_with_their_boxes(azure_vision, shapes_png):
    objects = azure_vision.client().analyze(shapes_png, [VF.OBJECTS]).objects.list
    named = {o.tags[0].name: o.bounding_box for o in objects}
    assert set(named) == {"rectangle", "circle"}
    assert iou(named["rectangle"], (40, 60, 179, 219)) > 0.9
    assert iou(named["circle"], (230, 80, 349, 199)) > 0.9


def test_people_and_a_smart_crop_that_keeps_them(azure_vision):
    png = drawing.encode(drawing.person_image())
    result = azure_vision.client().analyze(png, [VF.PEOPLE, VF.SMART_CROPS, VF.CAPTION],
                                           smart_crops_aspect_ratios=[0.75])
    (person,) = result.people.list
    assert iou(person.bounding_box, (390, 60, 530, 390)) > 0.4
    crop = result.smart_crops.list[0].bounding_box
    assert crop.x <= 420 and crop.x + crop.width >= 500  # the head is inside the crop
    assert "person" in result.caption.text


def test_smart_crop_without_ratios_picks_one_between_half_and_two(azure_vision, shapes_png):
    (crop,) = azure_vision.client().analyze(shapes_png, [VF.SMART_CROPS]).smart_crops.list
    assert 0.5 <= crop.aspect_ratio <= 2.0


def test_tags_in_another_language(azure_vision):
    png = drawing.encode(drawing.text_image(["Rechnung Nr. 2024-17", "Summe 99,00 EUR"]))
    tags = [t.name for t in azure_vision.client().analyze(png, [VF.TAGS], language="es").tags.list]
    assert "texto" in tags and "text" not in tags


def test_analyze_from_url_reads_file_urls_and_the_emulators_own_images(azure_vision, shapes_png, tmp_path):
    path = tmp_path / "shapes.png"
    path.write_bytes(shapes_png)
    client = azure_vision.client()
    from_file = client.analyze_from_url(path.as_uri(), [VF.OBJECTS])
    azure_vision.control.put_image("tickets/shapes.png", shapes_png)
    from_store = client.analyze_from_url(azure_vision.image_url("tickets/shapes.png"), [VF.OBJECTS])
    from_bytes = client.analyze(shapes_png, [VF.OBJECTS])
    assert from_file.as_dict() == from_store.as_dict() == from_bytes.as_dict()
    assert [e["source"] for e in azure_vision.control.requests()] == ["url", "url", "bytes"]


def test_answers_are_deterministic(azure_vision, screenshot_png):
    client = azure_vision.client()
    features = [VF.TAGS, VF.OBJECTS, VF.DENSE_CAPTIONS, VF.SMART_CROPS]
    assert client.analyze(screenshot_png, features).as_dict() == client.analyze(screenshot_png, features).as_dict()


class KeyAsToken:
    """An Entra ID stand-in: the emulator accepts a bearer token equal to its key."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, 4102444800)


def test_entra_id_bearer_needs_https_unless_the_call_says_otherwise(azure_vision, shapes_png):
    from azure.ai.vision.imageanalysis import ImageAnalysisClient

    client = ImageAnalysisClient(azure_vision.url, KeyAsToken(azure_vision.api_key))
    with pytest.raises(ServiceRequestError, match="non-TLS"):
        client.analyze(shapes_png, [VF.TAGS])
    assert azure_vision.control.requests() == []  # refused before sending
    result = client.analyze(shapes_png, [VF.TAGS], enforce_https=False)
    assert result.tags.list
