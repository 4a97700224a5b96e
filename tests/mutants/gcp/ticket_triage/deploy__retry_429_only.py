# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 7, deployment: upload the exported model to Vertex AI, deploy it to an endpoint, and
classify tickets through `Endpoint.predict` in batches.

Online prediction fails in two ordinary ways: 429 (quota: too many requests for the
endpoint) and 503 (a replica restarting or scaling). The SDK does not retry predict calls, so
`predict_with_retries` does: exponential back-off with jitter, a bounded number of attempts,
and a timeout on every call so a stuck connection cannot hang the batch. Other errors (400: the
instances are wrong) are raised at once: retrying cannot fix them.

Cost on a real project: an endpoint bills per node-hour while a model is deployed, used or not.
`undeploy` removes the deployment when the lab is done.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-17:latest"
MACHINE_TYPE = "n1-standard-2"
TIMEOUT_S, ATTEMPTS, BACKOFF_S = 30.0, 5, 0.5


def upload_model(model_dir: str | Path, conn, display_name: str = "ticket-triage"):
    """Register the SavedModel in Vertex's Model Registry. A local folder is copied to the
    staging bucket first: Vertex serves from Cloud Storage only."""
    from google.cloud import aiplatform

    from shared.gcp import upload_dir

    artifact_uri = str(model_dir)
    if not artifact_uri.startswith("gs://"):
        artifact_uri = f"{conn.staging_bucket}/models/{display_name}-{int(time.time() * 1000)}"
        upload_dir(model_dir, artifact_uri)
    return aiplatform.Model.upload(
        display_name=display_name, artifact_uri=artifact_uri,
        serving_container_image_uri=SERVING_IMAGE,
    )


def deploy_model(model, machine_type: str = MACHINE_TYPE):
    """Create an endpoint and deploy the model on one small replica (the cheapest setting)."""
    return model.deploy(machine_type=machine_type, min_replica_count=1, max_replica_count=1,
                        traffic_percentage=100)


def is_retryable(exc: Exception) -> bool:
    """429 and 503 are worth retrying; everything else is not."""
    from google.api_core import exceptions as gexc

    return isinstance(exc, gexc.TooManyRequests)  # BUG: 503 not retried


def predict_with_retries(endpoint, instances: list, timeout: float = TIMEOUT_S,
                         attempts: int = ATTEMPTS, backoff: float = BACKOFF_S,
                         sleep: Callable[[float], None] = time.sleep) -> list:
    """`endpoint.predict(instances, timeout=...)`, retried on 429/503 with exponential back-off.

    Returns the list of predictions (one per instance). Raises the last error after
    ``attempts`` tries, and any non-retryable error at once.
    """
    # BEGIN SOLUTION
    # HINT: loop attempt in range(attempts): try endpoint.predict(instances=...,
    # HINT: timeout=timeout).predictions; except an error that is_retryable (and not the last
    # HINT: attempt): sleep(backoff * 2**attempt * (1 + random.random())) and go round again;
    # HINT: otherwise raise
    for attempt in range(attempts):
        try:
            return list(endpoint.predict(instances=instances, timeout=timeout).predictions)
        except Exception as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            sleep(backoff * 2**attempt * (1 + random.random()))  # jitter: clients don't sync up
    raise AssertionError("unreachable")
    # END SOLUTION


def endpoint_predictor(endpoint, **retry_options):
    """A `classify` predictor that sends raw texts to the endpoint (one instance per text)."""

    def predict(batch: list[str]) -> list[dict]:
        return [dict(row) for row in predict_with_retries(endpoint, batch, **retry_options)]

    return predict


def undeploy(endpoint) -> None:
    """Stop paying for the endpoint: undeploy every model, then delete the endpoint."""
    endpoint.undeploy_all()
    endpoint.delete()
