"""Every error the service sends, as the real SDK raises it: status, code, innererror, header."""

from __future__ import annotations

import time

import pytest
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from PIL import Image

from tests.mocks.azure_vision import drawing


@pytest.fixture(scope="module")
def png():
    return drawing.encode(drawing.shapes_image())


def raised(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as exc:
        call()
    error = exc.value
    assert error.response.headers["x-ms-error-code"] == error.error.code
    assert error.response.headers["apim-request-id"]
    return error


def inner(error: HttpResponseError) -> str | None:
    body = error.response.json()["error"]
    return (body.get("innererror") or {}).get("code")


def test_a_wrong_key_is_401_with_the_services_message(azure_vision, png):
    client = ImageAnalysisClient(azure_vision.url, AzureKeyCredential("wrong-key"))
    with pytest.raises(ClientAuthenticationError) as exc:
        client.analyze(png, [VF.TAGS])
    assert exc.value.status_code == 401 and exc.value.error.code == "401"
    assert exc.value.error.message.startswith("Access denied due to invalid subscription key")
    assert "wrong-key" not in exc.value.response.text() and azure_vision.api_key not in str(exc.value)
    assert "x-ms-error-code" not in exc.value.response.headers  # the gateway answers, as recorded


@pytest.mark.parametrize("features, inner_code", [
    (["colours"], "NotSupportedFeature"),
    (["tags", "brands"], "NotSupportedFeature"),
    ([], "BadArgument"),
])
def test_unknown_or_missing_features(azure_vision, png, features, inner_code):
    error = raised(lambda: azure_vision.client().analyze(png, features))
    assert (error.status_code, error.error.code, inner(error)) == (400, "InvalidRequest", inner_code)


def test_feature_names_are_case_insensitive(azure_vision, png):
    result = azure_vision.client().analyze(png, ["Tags", "OBJECTS"])
    assert result.tags is not None and result.objects is not None


@pytest.mark.parametrize("language, features", [("fr", [VF.CAPTION]), ("de", [VF.TAGS, VF.OBJECTS]),
                                                ("xx", [VF.TAGS])])
def test_languages_only_tags_speak(azure_vision, png, language, features):
    error = raised(lambda: azure_vision.client().analyze(png, features, language=language))
    assert (error.status_code, inner(error)) == (400, "NotSupportedLanguage")


@pytest.mark.parametrize("kwargs, inner_code", [
    ({"smart_crops_aspect_ratios": [2.0]}, "BadArgument"),
    ({"smart_crops_aspect_ratios": [0.7]}, "BadArgument"),
    ({"model_version": "2021-01-01"}, "InvalidModel"),
])
def test_bad_options(azure_vision, png, kwargs, inner_code):
    error = raised(lambda: azure_vision.client().analyze(png, [VF.SMART_CROPS], **kwargs))
    assert (error.status_code, inner(error)) == (400, inner_code)


def test_the_edges_of_the_size_limits_are_accepted(azure_vision):
    client = azure_vision.client()
    for size in [(50, 50), (16000, 50)]:
        small = drawing.encode(Image.new("RGB", size, "white"))
        assert client.analyze(small, [VF.TAGS]).metadata.width == size[0]


@pytest.mark.parametrize("size", [(49, 60), (60, 49), (16001, 50), (50, 16001)])
def test_dimensions_outside_50_to_16000(azure_vision, size):
    image = drawing.encode(Image.new("RGB", size, "white"))
    error = raised(lambda: azure_vision.client().analyze(image, [VF.TAGS]))
    assert inner(error) == "InvalidImageSize"
    assert error.error.message == "The image dimension is not allowed to be smaller than 50 and larger than 16000."


def test_exactly_20_mb_is_accepted(azure_vision, png):
    padded = png + b"\0" * (20 * 1024 * 1024 - len(png))  # bytes after a PNG's end are ignored
    assert azure_vision.client().analyze(padded, [VF.TAGS]).metadata.width == 400


def test_more_than_20_mb_is_refused_before_decoding(azure_vision, png):
    big = png + b"\0" * (20 * 1024 * 1024 + 1 - len(png))
    error = raised(lambda: azure_vision.client().analyze(big, [VF.TAGS]))
    assert error.error.message == "The image size is not allowed to be zero or larger than 20971520 bytes."
    assert inner(error) is None  # the service sends no innererror here
    assert "image" not in azure_vision.control.requests()[-1]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF", "MPO"])
def test_every_documented_format_is_accepted(azure_vision, fmt):
    image = drawing.shapes_image().resize((64, 64))  # square: ICO keeps only square sizes
    options = {"save_all": True, "append_images": [image.rotate(180)]} if fmt == "MPO" else {}
    data = drawing.encode(image, fmt, **options)  # MPO: two frames, the first is analysed
    result = azure_vision.client().analyze(data, [VF.TAGS])
    assert (result.metadata.width, result.metadata.height) == (64, 64)
    assert azure_vision.control.requests()[-1]["image"]["format"] == fmt


@pytest.mark.parametrize("data", [
    b"plain text, not an image",
    drawing.encode(drawing.shapes_image(), "PNG")[:400],  # a valid header, the pixels cut off
    drawing.encode(drawing.shapes_image(), "PPM"),  # an image, but not a format the service takes
], ids=["garbage", "truncated", "ppm"])
def test_corrupt_or_unsupported_images(azure_vision, data):
    error = raised(lambda: azure_vision.client().analyze(data, [VF.TAGS]))
    assert (error.status_code, error.error.code, inner(error)) == (400, "InvalidRequest", "InvalidImageFormat")


@pytest.mark.parametrize("url", ["https://www.this.is.a.bad.url.com/for/sure.jpg", "file:///no/such/image.png",
                                 "http://127.0.0.1:9/_mock/images/never-uploaded.png", "ftp://example.com/a.png"])
def test_urls_the_emulator_cannot_reach_and_it_never_uses_the_network(azure_vision, url):
    started = time.monotonic()
    error = raised(lambda: azure_vision.client().analyze_from_url(url, [VF.TAGS]))
    assert error.error.message == "The provided image url is not accessible."
    assert time.monotonic() - started < 2


def test_caption_is_regional(azure_vision, png):
    azure_vision.control.configure(region="uksouth")
    client = azure_vision.client()
    for feature in (VF.CAPTION, VF.DENSE_CAPTIONS):
        error = raised(lambda f=feature: client.analyze(png, [VF.TAGS, f]))
        assert inner(error) == "NotSupportedFeature" and "not supported in this region" in error.error.message
    assert client.analyze(png, [VF.TAGS, VF.OBJECTS]).tags is not None
    azure_vision.control.configure(region="westeurope")
    assert client.analyze(png, [VF.CAPTION]).caption.text


def test_server_faults_are_retried_by_the_sdk_then_raised(azure_vision, png):
    azure_vision.control.configure(error_503_rate=1.0)
    error = raised(lambda: azure_vision.client(retry_total=1, retry_backoff_factor=0.01).analyze(png, [VF.TAGS]))
    assert error.status_code == 503
    assert [e["status"] for e in azure_vision.control.requests()] == [503, 503]
