# MUTANT: what: requests of max_images, whatever their size
# ruff: noqa  (a deliberately broken copy of the lab module)
"""Stage 7, deployment: upload the exported model to Vertex AI, deploy it to an endpoint, and
classify images through `Endpoint.predict`.

An image travels as JSON: the file's bytes base64-encoded in a ``{"b64": ...}`` object, which
Vertex's TensorFlow serving container decodes back to bytes for the model's string input. A
request may carry at most 1.5 MB, and base64 makes bytes a third larger, so the images are
grouped into requests by size, not by count (`request_batches`).

Online prediction fails in two ordinary ways: 429 (too many requests for the endpoint) and 503
(a replica restarting). The SDK does not retry predict calls. In the ticket lab you wrote the
retry loop by hand; here `google.api_core.retry.Retry` does the same (exponential back-off with
jitter, retry only what can succeed later, an overall deadline), with a timeout on every call.

Uploading, deploying and undeploying are as in the ticket lab. Cost on a real project: an
endpoint bills per node-hour while a model is deployed, used or not.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

REQUEST_LIMIT = 1_572_864  # bytes of one predict request body (Vertex's limit, 1.5 MB)
MAX_IMAGES = 32  # per request, however small
TIMEOUT_S, DEADLINE_S, INITIAL_S = 30.0, 120.0, 0.5
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-17:latest"


def upload_model(model_dir, conn, display_name: str = "attachments"):
    """Copy the SavedModel folder to the staging bucket (Vertex serves from Cloud Storage only)
    and register it in Vertex's Model Registry with the prebuilt TensorFlow serving image."""
    from google.cloud import aiplatform

    from shared.gcp import upload_dir

    uri = f"{conn.staging_bucket}/models/{display_name}-{int(time.time() * 1000)}"
    upload_dir(model_dir, uri)
    return aiplatform.Model.upload(display_name=display_name, artifact_uri=uri,
                                   serving_container_image_uri=SERVING_IMAGE)


def deploy_model(model):
    """A new endpoint with the model on one small replica (the cheapest setting)."""
    return model.deploy(machine_type="n1-standard-2", min_replica_count=1, max_replica_count=1)


def undeploy(endpoint) -> None:
    """Stop paying for the endpoint: undeploy every model, then delete the endpoint."""
    endpoint.undeploy_all()
    endpoint.delete()


def encode_instances(datas: list[bytes]) -> list[dict]:
    """One Vertex instance per image: {"image_bytes": {"b64": <base64 text of the file>}}."""
    # BEGIN SOLUTION
    # HINT: base64.b64encode(data).decode("ascii"): standard base64 (not URL-safe), as text
    return [{"image_bytes": {"b64": base64.b64encode(data).decode("ascii")}} for data in datas]
    # END SOLUTION


def request_batches(datas: list[bytes], limit: int = REQUEST_LIMIT, max_images: int = MAX_IMAGES) -> list[list[int]]:
    """Group the images (by index, in order) into requests whose encoded size stays under LIMIT.

    An image's share of the body is its base64 length plus about 40 bytes of JSON; keep every
    request under 90% of LIMIT, at most MAX_IMAGES images. An image too large even alone raises
    ValueError naming it, rather than a 400 from the endpoint halfway through.
    """
    # BEGIN SOLUTION
    # HINT: size of one image = 4 * ceil(len(data) / 3) + 40; start a new group when adding the
    # HINT: image would pass 0.9 * limit or max_images; one image over 0.9 * limit -> ValueError
    budget = 0.9 * limit
    groups: list[list[int]] = []
    size = 0
    for index, data in enumerate(datas):
        need = 4 * -(-len(data) // 3) + 40
        if need > budget:
            raise ValueError(f"Image {index} is {len(data):,} bytes: too large for one predict request "
                             f"(limit {limit:,} bytes of JSON). Downscale it before sending.")
        if not groups or len(groups[-1]) >= max_images:  # BUG: size ignored
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += need
    return groups
    # END SOLUTION


def predict_with_retries(endpoint, instances: list, timeout: float = TIMEOUT_S, deadline: float = DEADLINE_S,
                         initial: float = INITIAL_S, on_error: Callable[[Exception], None] | None = None) -> list:
    """`endpoint.predict(instances=..., timeout=TIMEOUT)` under a `google.api_core.retry.Retry`
    that retries 429 and 503 only, with exponential back-off from INITIAL seconds (doubling, at
    most 16 x INITIAL per wait) until DEADLINE seconds have passed; ON_ERROR is called with each
    error that is retried. Returns the predictions, one per instance."""
    from google.api_core import exceptions as gexc
    from google.api_core import retry

    # BEGIN SOLUTION
    # HINT: retry.Retry(predicate=retry.if_exception_type(gexc.TooManyRequests,
    # HINT: gexc.ServiceUnavailable), initial=..., maximum=16 * initial, multiplier=2,
    # HINT: timeout=deadline, on_error=on_error); wrap endpoint.predict with it and call it
    policy = retry.Retry(
        predicate=retry.if_exception_type(gexc.TooManyRequests, gexc.ServiceUnavailable),
        initial=initial, maximum=16 * initial, multiplier=2, timeout=deadline, on_error=on_error,
    )
    return list(policy(endpoint.predict)(instances=instances, timeout=timeout).predictions)
    # END SOLUTION


def endpoint_predictor(endpoint, **retry_options):
    """A `classify` predictor that sends image bytes to the endpoint as base64 instances."""

    def predict(datas: list[bytes]) -> list[dict]:
        return [dict(row) for row in predict_with_retries(endpoint, encode_instances(datas), **retry_options)]

    return predict
