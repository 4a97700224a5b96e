"""Models and endpoints through the real aiplatform SDK: upload, deploy, predict, undeploy.

Operations finish at once under the fixture's ``immediate`` state rule, so no test polls.
"""

from __future__ import annotations

import numpy as np
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform

from shared.gcp import upload_dir
from tests.mocks.vertex.conftest import SERVING_IMAGE, expected_outputs

ARTIFACTS = "gs://labkit-staging/models/tiny"


@pytest.fixture
def model(vertex, tiny_saved_model):
    upload_dir(tiny_saved_model, ARTIFACTS)
    return aiplatform.Model.upload(
        display_name="tiny", artifact_uri=ARTIFACTS, serving_container_image_uri=SERVING_IMAGE
    )


def test_upload_deploy_predict_undeploy(model):
    assert model.version_id == "1" and "default" in model.version_aliases
    endpoint = aiplatform.Endpoint.create(display_name="tiny-endpoint")
    endpoint.deploy(model, machine_type="n1-standard-2")
    assert [d.model for d in endpoint.list_models()] == [model.resource_name]

    instances = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 4.0, 0.5]]
    prediction = endpoint.predict(instances=instances)
    assert np.allclose(prediction.predictions, expected_outputs(instances))
    assert prediction.model_resource_name == model.resource_name
    assert prediction.model_version_id == "1"

    endpoint.undeploy_all()
    assert endpoint.list_models() == []
    with pytest.raises(exceptions.BadRequest) as caught:
        endpoint.predict(instances=instances)
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"


def test_bad_instance_shape_is_invalid_argument(model):
    endpoint = model.deploy(machine_type="n1-standard-2")
    with pytest.raises(exceptions.BadRequest, match="expects") as caught:
        endpoint.predict(instances=[[1.0, 2.0]])
    assert caught.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_versions_and_aliases(model):
    second = aiplatform.Model.upload(
        display_name="tiny", parent_model=model.resource_name, artifact_uri=ARTIFACTS,
        serving_container_image_uri=SERVING_IMAGE, version_aliases=["candidate"],
    )
    assert second.resource_name == model.resource_name and second.version_id == "2"
    versions = {v.version_id: v.version_aliases for v in model.versioning_registry.list_versions()}
    assert versions == {"1": [], "2": ["candidate", "default"]}
    assert aiplatform.Model(model.resource_name, version="candidate").version_id == "2"
    assert aiplatform.Model(model.resource_name + "@1").version_id == "1"
    model.versioning_registry.add_version_aliases(["stable"], version="1")
    assert aiplatform.Model(model.resource_name, version="stable").version_id == "1"


def test_get_list_and_delete(model):
    assert [m.resource_name for m in aiplatform.Model.list()] == [model.resource_name]
    assert aiplatform.Model.list(filter='display_name="other"') == []
    assert aiplatform.Model(model.resource_name).display_name == "tiny"
    model.delete()
    with pytest.raises(exceptions.NotFound):
        aiplatform.Model(model.resource_name)


def test_a_deployed_model_cannot_be_deleted(model):
    endpoint = model.deploy(machine_type="n1-standard-2")
    with pytest.raises(exceptions.BadRequest) as caught:
        model.delete()
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"
    endpoint.undeploy_all()
    endpoint.delete()
    assert aiplatform.Endpoint.list() == []
    with pytest.raises(exceptions.NotFound):
        endpoint._sync_gca_resource()  # Endpoint(name) itself does not call the service


def test_deploying_a_model_whose_artefacts_were_deleted_fails_the_operation(model):
    """Upload checks the model directory (test_robustness.py); deleting it afterwards fails deploy."""
    from shared.gcp import storage_client

    for blob in storage_client().list_blobs("labkit-staging", prefix="models/tiny/"):
        blob.delete()
    endpoint = aiplatform.Endpoint.create(display_name="e")
    with pytest.raises(exceptions.FailedPrecondition, match="does not exist"):
        endpoint.deploy(model, machine_type="n1-standard-2")


