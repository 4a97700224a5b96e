"""Errors as the SDK sees them, fault injection, the state rule, and the raw wire format.

Over REST, google-api-core picks the exception class from the HTTP status (400 -> BadRequest
for both INVALID_ARGUMENT and FAILED_PRECONDITION; the canonical status is in the body).
"""

from __future__ import annotations

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform

PARENT = "projects/labkit-local/locations/us-central1"
Q = {"$alt": "json;enum-encoding=int"}


def inject(vertex, method, status, count=1):
    reply = httpx.post(f"{vertex.url}/_mock/faults", json={"method": method, "status": status, "count": count})
    assert reply.status_code == 200


@pytest.mark.parametrize(
    ("status", "exception", "canonical"),
    [
        (429, exceptions.TooManyRequests, "RESOURCE_EXHAUSTED"),
        (503, exceptions.ServiceUnavailable, "UNAVAILABLE"),
        ("INVALID_ARGUMENT", exceptions.BadRequest, "INVALID_ARGUMENT"),
        ("FAILED_PRECONDITION", exceptions.BadRequest, "FAILED_PRECONDITION"),
        (404, exceptions.NotFound, "NOT_FOUND"),
    ],
)
def test_injected_faults_raise_the_sdk_exception(vertex, status, exception, canonical):
    inject(vertex, "list_models", status)
    with pytest.raises(exception) as caught:
        aiplatform.Model.list()
    assert caught.value.response.json()["error"]["status"] == canonical
    assert aiplatform.Model.list() == []  # the fault was used up


def test_resource_exhausted_is_a_too_many_requests():
    assert issubclass(exceptions.ResourceExhausted, exceptions.TooManyRequests)


def test_unknown_resource_is_not_found(vertex):
    with pytest.raises(exceptions.NotFound, match="not found"):
        aiplatform.Model(f"{PARENT}/models/42")


def test_error_body_is_a_google_rpc_status(vertex):
    reply = httpx.get(f"{vertex.url}/v1/{PARENT}/models/42", params=Q)
    assert reply.status_code == 404
    assert reply.json() == {"error": {"code": 404, "message": f"Model {PARENT}/models/42 not found.",
                                      "status": "NOT_FOUND", "details": []}}
    unknown = httpx.get(f"{vertex.url}/v1/{PARENT}/datasets", params=Q)
    assert unknown.status_code == 404 and "does not implement" in unknown.json()["error"]["message"]


def test_operations_are_polled_under_ui_and_enums_are_integers(vertex):
    vertex.backend.set_config(state_rule="manual")
    op = httpx.post(f"{vertex.url}/v1/{PARENT}/endpoints", params=Q, json={"displayName": "e"}).json()
    assert op["done"] is False and op["name"].startswith(f"{PARENT}/operations/")
    assert op["metadata"]["@type"].endswith("aiplatform.v1.CreateEndpointOperationMetadata")
    assert httpx.get(f"{vertex.url}/ui/{op['name']}", params=Q).json()["done"] is False
    finished = httpx.post(f"{vertex.url}/_mock/advance", json={}).json()["finished"]
    assert finished == [op["name"]]
    done = httpx.get(f"{vertex.url}/ui/{op['name']}", params=Q).json()
    assert done["done"] is True and done["response"]["displayName"] == "e"

    job = httpx.post(f"{vertex.url}/v1/{PARENT}/customJobs", params=Q, json={
        "displayName": "j", "jobSpec": {
            "workerPoolSpecs": [{"pythonPackageSpec": {"pythonModule": "mocks.vertex.examples.quadratic_trainer"}}],
            "baseOutputDirectory": {"outputUriPrefix": "gs://labkit-staging/j"}}}).json()
    assert job["state"] == 1  # JOB_STATE_QUEUED, as an integer
    job_id = job["name"].rsplit("/", 1)[-1]
    assert httpx.get(f"{vertex.url}/v1/{job['name']}", params=Q).json()["state"] == 2  # PENDING
    httpx.post(f"{vertex.url}/_mock/advance", json={"name": job_id})
    assert httpx.get(f"{vertex.url}/v1/{job['name']}", params=Q).json()["state"] == 4  # SUCCEEDED


def test_delay_rule_finishes_operations_after_the_delay(vertex):
    vertex.backend.set_config(state_rule="delay:0.2")
    op = httpx.post(f"{vertex.url}/v1/{PARENT}/endpoints", params=Q, json={"displayName": "e"}).json()
    assert op["done"] is False
    waited = httpx.post(f"{vertex.url}/v1/{op['name']}:wait", params=Q, json={"timeout": "5s"}).json()
    assert waited["done"] is True


def test_request_log_names_the_rpc(vertex):
    aiplatform.Model.list()
    log = httpx.get(f"{vertex.url}/_mock/requests").json()["requests"]
    assert [(r["method"], r["status"]) for r in log] == [("list_models", 200)]


def test_containers_are_refused_with_a_clear_message(vertex):
    job = aiplatform.CustomJob(display_name="c", worker_pool_specs=[{
        "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
        "container_spec": {"image_uri": "gcr.io/x/y", "command": ["/bin/train"]}}],
        base_output_dir="gs://labkit-staging/c")
    with pytest.raises(exceptions.BadRequest, match="runs no containers"):
        job.run()


def test_bad_control_requests_are_refused(vertex):
    assert httpx.post(f"{vertex.url}/_mock/config", json={"state_rule": "soon"}).status_code == 400
    assert httpx.post(f"{vertex.url}/_mock/faults", json={"status": 418}).status_code == 400
