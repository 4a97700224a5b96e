"""Binary instances: ``{"b64": ...}`` values reach a string input as bytes (TF Serving's REST rule).

This is how an image model is served on Vertex: the client base64-encodes the file's bytes, the
serving signature receives the raw bytes and decodes the image itself.
"""

from __future__ import annotations

import base64
import io

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from PIL import Image

from shared.gcp import upload_dir
from tests.mocks.vertex.conftest import SERVING_IMAGE

ARTIFACTS = "gs://labkit-staging/models/image-size"


@pytest.fixture(scope="module")
def image_size_model(tmp_path_factory):
    """A SavedModel taking encoded image bytes and answering each image's height and width."""
    import tensorflow as tf

    class ImageSize(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
        def serve(self, image_bytes):
            def size(data):
                image = tf.io.decode_image(data, channels=3, expand_animations=False)
                return tf.shape(image)[:2]

            return {"size": tf.map_fn(size, image_bytes, fn_output_signature=tf.int32)}

    module = ImageSize()
    folder = tmp_path_factory.mktemp("image_size")
    tf.saved_model.save(module, str(folder), signatures={"serving_default": module.serve})
    return folder


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_b64_instances_reach_the_model_as_bytes(vertex, image_size_model):
    upload_dir(image_size_model, ARTIFACTS)
    model = aiplatform.Model.upload(display_name="image-size", artifact_uri=ARTIFACTS,
                                    serving_container_image_uri=SERVING_IMAGE)
    endpoint = model.deploy(machine_type="n1-standard-2")
    plain = endpoint.predict(instances=[{"b64": _png(30, 20)}, {"b64": _png(7, 9)}])
    assert plain.predictions == [[20, 30], [9, 7]]
    named = endpoint.predict(instances=[{"image_bytes": {"b64": _png(5, 4)}}])
    assert named.predictions == [[4, 5]]
    with pytest.raises(exceptions.BadRequest, match="base64") as caught:
        endpoint.predict(instances=[{"b64": "not base64!"}])
    assert caught.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
