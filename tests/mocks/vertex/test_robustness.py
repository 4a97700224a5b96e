"""Bad input, through the real SDKs and raw HTTP: each answer is the service's, and the server stays up.

Vertex answers a ``google.rpc.Status`` body ``{"error": {"code", "message", "status"}}``; Cloud
Storage its JSON API shape ``{"error": {"code", "message", "errors": [{"reason"}]}}``. After
every test the emulator must still answer, and must not have crashed (the ``vertex`` fixture
re-raises crashes, including unexpected errors it answered as 500 INTERNAL).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform

from shared.gcp import storage_client, upload_dir
from tests.mocks.vertex.conftest import SERVING_IMAGE, expected_outputs

PARENT = "projects/labkit-local/locations/us-central1"
Q = {"$alt": "json;enum-encoding=int"}
BUCKET = "labkit-staging"
HTTP = httpx.Client(timeout=60)  # one client: making one per call costs ~40 ms (TLS context)


@pytest.fixture(autouse=True, scope="module")
def close_http():
    yield
    HTTP.close()


@pytest.fixture(autouse=True)
def still_up(vertex):
    yield
    assert HTTP.get(f"{vertex.url}/_mock/health").json() == {"status": "ok"}
    assert HTTP.get(f"{vertex.url}/v1/{PARENT}/models", params=Q).status_code == 200


def rpc_error(reply: httpx.Response, status: str, http: int = 400) -> str:
    assert reply.status_code == http, reply.text
    error = reply.json()["error"]
    assert (error["code"], error["status"]) == (http, status)
    return error["message"]


def gcs_error(reply: httpx.Response, http: int, reason: str) -> str:
    assert reply.status_code == http, reply.text
    error = reply.json()["error"]
    assert error["code"] == http and error["errors"][0]["reason"] == reason
    return error["message"]


def sdk_status(caught) -> str:
    return caught.value.response.json()["error"]["status"]


# Resource names ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        f"{PARENT}/models/ABC!",
        f"{PARENT}/models/1%00",
        f"{PARENT}/models/" + "1" * 5000,
        f"{PARENT}/endpoints/abc$",
        f"{PARENT}/customJobs/abc",
        f"{PARENT}/hyperparameterTuningJobs/1.5",
        f"{PARENT}/operations/abc",
        "projects/_/locations/us-central1/models",
        "projects/labkit-local/locations/US_CENTRAL/endpoints",
    ],
)
def test_malformed_resource_names_are_invalid_argument(vertex, path):
    message = rpc_error(HTTP.get(f"{vertex.url}/v1/{path}", params=Q), "INVALID_ARGUMENT")
    assert "Invalid resource" in message and len(message) < 400


def test_well_formed_unknown_names_are_not_found(vertex):
    for path in (f"{PARENT}/models/abc", f"{PARENT}/endpoints/123", f"{PARENT}/customJobs/42"):
        rpc_error(HTTP.get(f"{vertex.url}/v1/{path}", params=Q), "NOT_FOUND", 404)
    with pytest.raises(exceptions.BadRequest) as caught:
        aiplatform.CustomJob.get(f"{PARENT}/customJobs/abc")
    assert sdk_status(caught) == "INVALID_ARGUMENT"


def test_resources_are_seen_only_under_their_own_project_and_location(vertex):
    endpoint = aiplatform.Endpoint.create(display_name="mine")
    other = endpoint.resource_name.replace("labkit-local", "someone-else")
    rpc_error(HTTP.get(f"{vertex.url}/v1/{other}", params=Q), "NOT_FOUND", 404)
    elsewhere = HTTP.get(f"{vertex.url}/v1/projects/labkit-local/locations/europe-west4/endpoints", params=Q)
    assert elsewhere.status_code == 200 and elsewhere.json() == {}


@pytest.mark.parametrize("body", [b"{", b"[" * 100_000, b"[1, 2]", b"\xff\xfe"])
def test_bad_json_bodies_are_invalid_argument(vertex, body):
    reply = HTTP.post(f"{vertex.url}/v1/{PARENT}/endpoints", params=Q, content=body)
    assert "JSON" in rpc_error(reply, "INVALID_ARGUMENT")


def test_bad_list_paging_and_bad_control_config_are_refused(vertex):
    reply = HTTP.get(f"{vertex.url}/v1/{PARENT}/models", params={**Q, "pageSize": "-1"})
    rpc_error(reply, "INVALID_ARGUMENT")
    for config in ({"job_timeout": "abc"}, {"job_timeout": 0}, {"job_timeout": True}):
        assert HTTP.post(f"{vertex.url}/_mock/config", json=config).status_code == 400
    assert HTTP.post(f"{vertex.url}/_mock/config", content=b"{").status_code == 400


# Cloud Storage object names ------------------------------------------------------------------
MARKER = uuid.uuid4().hex[:10]
BAD_NAMES = {
    "dot-dot-slash": f"../../escape-{MARKER}",
    "inner-dot-dot": f"models/../../../escape-{MARKER}",
    "absolute": f"/tmp/escape-{MARKER}",
    "nul": f"model\x00escape-{MARKER}",
    "segment-too-long-for-a-file": "m" * 300,
    "over-1024-bytes": "a/" * 600,
    "dot": ".",
    "dot-dot": "..",
    "line-feed": "a\nb",
    "acme": ".well-known/acme-challenge/token",
    "empty-part": "a//b",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_object_names_are_refused_and_nothing_leaves_the_storage_root(vertex, name):
    storage = vertex.backend.storage
    before = set(vertex.data_dir.parent.iterdir())
    with pytest.raises(exceptions.BadRequest):
        storage_client().bucket(BUCKET).blob(name).upload_from_string(b"x")
    # Every other way in with the same name: metadata, download, delete, resumable start.
    meta = f"{vertex.url}/storage/v1/b/{BUCKET}/o/{quote(name, safe='').replace('.', '%2E')}"
    for reply in (
        HTTP.get(meta),
        HTTP.get(meta.replace("/storage/", "/download/storage/", 1), params={"alt": "media"}),
        HTTP.delete(meta),
    ):
        assert reply.status_code in (400, 404) and "errors" in reply.json()["error"]
    reply = HTTP.post(f"{vertex.url}/upload/storage/v1/b/{BUCKET}/o",
                       params={"uploadType": "resumable"}, json={"name": name})
    gcs_error(reply, 400, "invalid")

    assert not [p for p in set(vertex.data_dir.parent.iterdir()) - before if MARKER in p.name]
    assert not list(vertex.data_dir.rglob(f"*{MARKER}*"))
    assert all(p.resolve().is_relative_to(storage.root.resolve()) for p in storage.root.rglob("*"))


def test_listing_with_a_prefix_outside_the_bucket_lists_nothing(vertex):
    storage_client().bucket(BUCKET).blob("inside.txt").upload_from_string(b"x")
    for prefix in ("../", "../../", "../storage/", "a\x00/"):
        reply = HTTP.get(f"{vertex.url}/storage/v1/b/{BUCKET}/o", params={"prefix": prefix})
        assert reply.status_code == 200 and "items" not in reply.json()
    assert [b.name for b in storage_client().list_blobs(BUCKET)] == ["inside.txt"]


def test_storage_refuses_bad_requests_in_its_own_error_shape(vertex):
    url = vertex.url
    gcs_error(HTTP.post(f"{url}/storage/v1/b", params={"project": "p"}, content=b"{"), 400, "parseError")
    gcs_error(HTTP.post(f"{url}/storage/v1/b", params={"project": "p"}, json={"name": "Bad_Bucket!"}), 400, "invalid")
    gcs_error(HTTP.get(f"{url}/storage/v1/b/{BUCKET}/o", params={"maxResults": "x"}), 400, "invalid")
    gcs_error(HTTP.post(f"{url}/upload/storage/v1/b/{BUCKET}/o", params={"uploadType": "resumable"},
                         content=b"{"), 400, "parseError")
    with pytest.raises(exceptions.BadRequest):
        storage_client().create_bucket("UPPER")

    storage_client().bucket(BUCKET).blob("r.txt").upload_from_string(b"hello")
    media = f"{url}/download/storage/v1/b/{BUCKET}/o/r.txt"
    assert HTTP.get(media, params={"alt": "media"}, headers={"range": "bytes=x-"}).content == b"hello"
    gcs_error(HTTP.get(media, params={"alt": "media"}, headers={"range": "bytes=100-"}), 416,
              "requestedRangeNotSatisfiable")
    assert HTTP.get(media, params={"alt": "media"}, headers={"range": "bytes=-2"}).content == b"lo"


# Models and deployment -----------------------------------------------------------------------
def test_uploading_a_model_from_a_path_that_does_not_exist_fails_the_upload(vertex):
    with pytest.raises(exceptions.InvalidArgument, match="is expected to contain exactly one of"):
        aiplatform.Model.upload(display_name="ghost", artifact_uri=f"gs://{BUCKET}/no/such/model",
                                serving_container_image_uri=SERVING_IMAGE)
    with pytest.raises(exceptions.BadRequest) as caught:  # refused at once: no object can be there
        aiplatform.Model.upload(display_name="up", artifact_uri=f"gs://{BUCKET}/../../etc",
                                serving_container_image_uri=SERVING_IMAGE)
    assert sdk_status(caught) == "INVALID_ARGUMENT"
    assert aiplatform.Model.list() == []


def test_deploying_a_model_that_fails_to_load_is_failed_precondition(vertex, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"this is not a protobuf")
    upload_dir(broken, f"gs://{BUCKET}/models/broken")
    model = aiplatform.Model.upload(display_name="broken", artifact_uri=f"gs://{BUCKET}/models/broken",
                                    serving_container_image_uri=SERVING_IMAGE)
    endpoint = aiplatform.Endpoint.create(display_name="e")
    with pytest.raises(exceptions.FailedPrecondition, match="Model server never became ready"):
        model.deploy(endpoint=endpoint, machine_type="n1-standard-2")
    endpoint = aiplatform.Endpoint(endpoint.resource_name)
    assert endpoint.list_models() == [] and endpoint.traffic_split == {}
    endpoint.delete()  # nothing half-deployed holds it


@pytest.fixture
def endpoint(vertex, tiny_saved_model):
    upload_dir(tiny_saved_model, f"gs://{BUCKET}/models/tiny")
    model = aiplatform.Model.upload(display_name="tiny", artifact_uri=f"gs://{BUCKET}/models/tiny",
                                    serving_container_image_uri=SERVING_IMAGE)
    return model.deploy(machine_type="n1-standard-2")


BAD_INSTANCES = {
    "wrong-shape": [[1.0, 2.0]],
    "wrong-type": [["a", "b", "c"]],
    "ragged": [[1.0, 2.0, 3.0], [1.0]],
    "dict-with-unknown-input": [{"nope": [1.0, 2.0, 3.0]}],
    "nested-too-deep": [[[1.0, 2.0, 3.0]]],
    "empty": [],
}


@pytest.mark.parametrize("instances", BAD_INSTANCES.values(), ids=BAD_INSTANCES.keys())
def test_predict_with_bad_instances_is_invalid_argument(endpoint, instances):
    with pytest.raises(exceptions.BadRequest) as caught:
        endpoint.predict(instances=instances)
    assert sdk_status(caught) == "INVALID_ARGUMENT"
    assert np.allclose(endpoint.predict(instances=[[1.0, 2.0, 3.0]]).predictions, expected_outputs([[1, 2, 3]]))


def test_predict_with_instances_that_are_not_a_list_is_invalid_argument(vertex, endpoint):
    url = f"{vertex.url}/v1/{endpoint.resource_name}:predict"
    for body in ({"instances": 5}, {"instances": {"a": 1}}, {}, {"instances": None}):
        rpc_error(HTTP.post(url, params=Q, json=body), "INVALID_ARGUMENT")


def test_a_10_mb_predict_body_is_refused_and_the_server_serves_on(vertex, endpoint):
    body = b'{"instances": [' + b",".join([b"[0.123456789, 0.123456789, 0.123456789]"] * 260_000) + b"]}"
    assert len(body) > 10_000_000
    start = time.monotonic()
    reply = HTTP.post(f"{vertex.url}/v1/{endpoint.resource_name}:predict", params=Q, content=body,
                       headers={"content-type": "application/json"})
    assert rpc_error(reply, "INVALID_ARGUMENT") == "Request payload size exceeds the limit: 1572864 bytes."
    assert time.monotonic() - start < 5
    # Through the SDK (one 1.6 MB string keeps its JSON encoding quick): the same 400.
    with pytest.raises(exceptions.BadRequest, match="payload size exceeds the limit") as caught:
        endpoint.predict(instances=["x" * 1_600_000])
    assert sdk_status(caught) == "INVALID_ARGUMENT"
    assert len(endpoint.predict(instances=[[0.0, 0.0, 0.0]] * 1000).predictions) == 1000


def test_500_concurrent_predicts_all_answer_in_bounded_time(vertex, endpoint):
    url = f"{vertex.url}/v1/{endpoint.resource_name}:predict"

    async def burst():
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            calls = [client.post(url, params=Q, json={"instances": [[i, 0.0, 1.0]]}) for i in range(500)]
            return await asyncio.gather(*calls)

    start = time.monotonic()
    replies = asyncio.run(burst())
    elapsed = time.monotonic() - start
    assert [r.status_code for r in replies] == [200] * 500
    got = [r.json()["predictions"][0] for r in replies]
    assert np.allclose(got, expected_outputs([[i, 0.0, 1.0] for i in range(500)]))
    assert elapsed < 15, f"500 concurrent predicts took {elapsed:.1f} s"


# Custom jobs ---------------------------------------------------------------------------------
def python_job(code: str, name: str = "j") -> aiplatform.CustomJob:
    """A CustomJob whose only replica runs ``python -c code`` (the emulator runs python commands)."""
    return aiplatform.CustomJob(
        display_name=name, base_output_dir=f"gs://{BUCKET}/jobs/{name}",
        worker_pool_specs=[{
            "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
            "container_spec": {"image_uri": "us-docker.pkg.dev/x/y", "command": ["python", "-c", code]},
        }],
    )


def test_a_trainer_that_crashes_fails_the_job_with_its_exit_status_and_log(vertex):
    job = python_job("import sys; print('loading data'); sys.exit(7)")
    with pytest.raises(RuntimeError, match="non-zero status of 7"):
        job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_FAILED
    assert job.gca_resource.error.code == 3 and "loading data" in job.gca_resource.error.message


def test_a_trainer_that_hangs_is_stopped_at_the_job_timeout_with_what_it_started(vertex, tmp_path):
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen(['sleep', '60']); open({str(pid_file)!r}, 'w').write(str(child.pid)); "
        "time.sleep(60)"
    )
    assert HTTP.post(f"{vertex.url}/_mock/config", json={"job_timeout": 1}).status_code == 200
    start = time.monotonic()
    job = python_job(code)
    with pytest.raises(RuntimeError, match="maximum running time"):
        job.run()
    assert time.monotonic() - start < 8
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_FAILED
    assert job.gca_resource.error.code == 4  # DEADLINE_EXCEEDED
    assert gone(int(pid_file.read_text()))

    # The job's own scheduling.timeout (CustomJob.run(timeout=...)) wins over the default.
    HTTP.post(f"{vertex.url}/_mock/config", json={"job_timeout": 3600})
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"maximum running time \(1 s"):
        python_job("import time; time.sleep(60)", "k").run(timeout=1)
    assert time.monotonic() - start < 8


def gone(pid: int, wait: float = 3.0) -> bool:
    """The process has exited (a zombie waiting for its new parent to reap it counts)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_trainer_that_writes_no_model_succeeds_but_its_model_cannot_be_uploaded(vertex):
    job = python_job("print('trained, but saved nothing')")
    job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED  # CustomJob does not check
    model_dir = job.job_spec.base_output_directory.output_uri_prefix + "/model"
    with pytest.raises(exceptions.InvalidArgument, match="AIP_MODEL_DIR"):
        aiplatform.Model.upload(display_name="none", artifact_uri=model_dir,
                                serving_container_image_uri=SERVING_IMAGE)


def test_cancelling_a_finished_job_is_failed_precondition_and_changes_nothing(vertex):
    job = python_job("pass")
    job.run()
    with pytest.raises(exceptions.BadRequest, match="terminal state") as caught:
        job.cancel()
    assert sdk_status(caught) == "FAILED_PRECONDITION"
    assert aiplatform.CustomJob.get(job.resource_name).state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
