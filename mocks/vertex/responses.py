"""HTTP to backend calls: one method per Vertex RPC (snake_case), each returning a JSON body.

Every method takes ``(params, body, query, version)``: the path groups from ``urls.py``, the
parsed JSON body, the query parameters and the API version (``v1`` or ``v1beta1``).
"""

from __future__ import annotations

import re

from mocks.vertex.exceptions import InvalidArgument
from mocks.vertex.models import VertexBackend

DEFAULT_PAGE_SIZE = 100
PREDICT_PAYLOAD_LIMIT = 1_572_864  # Vertex online prediction refuses request bodies over 1.5 MB

# What well-formed names look like; a malformed one is INVALID_ARGUMENT (AIP-193), not NOT_FOUND.
PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,19}")
LOCATION = re.compile(r"[a-z][a-z0-9-]{0,62}")
NUMERIC_ID = (re.compile(r"[0-9]{1,19}"), "a number of at most 19 digits")
MODEL_ID = (
    re.compile(r"[a-z0-9][a-z0-9_-]{0,62}(@[a-zA-Z0-9-]{1,128})?"),
    "1-63 lowercase letters, digits, '-' or '_', optionally followed by @version or @alias",
)
ENDPOINT_ID = (re.compile(r"[0-9]{1,19}|[a-z][a-z0-9-]{0,62}"), "a number, or 1-63 lowercase letters, digits or '-'")
ID_RULES = {
    **dict.fromkeys(
        ["list_model_versions", "merge_version_aliases", "delete_model_version", "get_model",
         "update_model", "delete_model"], MODEL_ID),
    **dict.fromkeys(
        ["deploy_model", "undeploy_model", "predict", "get_endpoint", "update_endpoint",
         "delete_endpoint"], ENDPOINT_ID),
}


def check_names(handler: str, params: dict) -> None:
    """Refuse a malformed project, location or resource id in the request path."""
    name = params.get("name") or params.get("parent") or ""
    parts = name.split("/")
    if len(parts) < 4 or parts[2] != "locations" or parts[0] != "projects":
        raise InvalidArgument(f"Invalid resource name {name[:100]!r}: expected projects/PROJECT/locations/LOCATION/...")
    if not PROJECT.fullmatch(parts[1]):
        raise InvalidArgument(f"Invalid resource name {name[:100]!r}: {parts[1][:64]!r} is not a project id or number.")
    if not LOCATION.fullmatch(parts[3]):
        raise InvalidArgument(f"Invalid resource name {name[:100]!r}: {parts[3][:64]!r} is not a location.")
    if "name" in params and "/operations/" in name:
        resource_id, (pattern, rule) = name.rsplit("/", 1)[1], NUMERIC_ID
    elif "id" in params:
        resource_id, (pattern, rule) = params["id"], ID_RULES.get(handler, NUMERIC_ID)
    else:
        return
    if not pattern.fullmatch(resource_id):
        raise InvalidArgument(f"Invalid resource id {resource_id[:100]!r}: an id here is {rule}.")


def paginate(items: list[dict], key: str, query: dict) -> dict:
    """One page of ``items`` under ``key`` with Vertex's pageSize / pageToken (an offset here)."""
    try:
        size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
        start = int(query.get("pageToken") or 0)
        if size < 0 or start < 0:
            raise ValueError(size)
    except ValueError as exc:
        raise InvalidArgument(
            "pageSize must be a non-negative integer and pageToken one the service returned."
        ) from exc
    page = items[start : start + size]
    body: dict = {key: page} if page else {}
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return body


class VertexResponses:
    def __init__(self, backend: VertexBackend):
        self.backend = backend

    # models
    def upload_model(self, params, body, query, version):
        return self.backend.upload_model(params["parent"], version, body)

    def list_models(self, params, body, query, version):
        return paginate(self.backend.list_models(params["parent"], query.get("filter", "")), "models", query)

    def list_model_versions(self, params, body, query, version):
        return paginate(self.backend.list_model_versions(params["parent"], params["id"]), "models", query)

    def merge_version_aliases(self, params, body, query, version):
        return self.backend.merge_version_aliases(params["parent"], params["id"], body.get("versionAliases", []))

    def get_model(self, params, body, query, version):
        return self.backend.get_model(params["parent"], params["id"])

    def update_model(self, params, body, query, version):
        return self.backend.update_model(params["parent"], params["id"], body, query.get("updateMask", ""))

    def delete_model(self, params, body, query, version):
        return self.backend.delete_model(params["parent"], version, params["id"], only_version=False)

    def delete_model_version(self, params, body, query, version):
        return self.backend.delete_model(params["parent"], version, params["id"], only_version=True)

    # endpoints
    def create_endpoint(self, params, body, query, version):
        return self.backend.create_endpoint(params["parent"], version, body, query.get("endpointId", ""))

    def list_endpoints(self, params, body, query, version):
        items = self.backend.list_endpoints(params["parent"], query.get("filter", ""))
        return paginate(items, "endpoints", query)

    def get_endpoint(self, params, body, query, version):
        return self.backend.get_endpoint(params["parent"], params["id"])

    def update_endpoint(self, params, body, query, version):
        resource = self.backend.get_endpoint(params["parent"], params["id"])
        for key in ("displayName", "description", "labels"):
            if key in body:
                resource[key] = body[key]
        return resource

    def delete_endpoint(self, params, body, query, version):
        return self.backend.delete_endpoint(params["parent"], version, params["id"])

    def deploy_model(self, params, body, query, version):
        return self.backend.deploy_model(params["parent"], version, params["id"], body)

    def undeploy_model(self, params, body, query, version):
        return self.backend.undeploy_model(params["parent"], version, params["id"], body)

    def predict(self, params, body, query, version):
        return self.backend.predict(params["parent"], params["id"], body)

    # jobs
    def create_job(self, params, body, query, version):
        return self.backend.create_job(params["kind"], params["parent"], body)

    def list_jobs(self, params, body, query, version):
        items = self.backend.list_jobs(params["kind"], params["parent"], query.get("filter", ""))
        return paginate(items, params["kind"], query)

    def get_job(self, params, body, query, version):
        return self.backend.get_job(params["kind"], params["parent"], params["id"])

    def cancel_job(self, params, body, query, version):
        self.backend.cancel_job(params["kind"], params["parent"], params["id"])
        return {}

    def delete_job(self, params, body, query, version):
        return self.backend.delete_job(params["kind"], params["parent"], version, params["id"])

    # operations
    def get_operation(self, params, body, query, version):
        return self.backend.get_operation(params["name"])

    def list_operations(self, params, body, query, version):
        return paginate(self.backend.list_operations(params["name"]), "operations", query)

    def cancel_operation(self, params, body, query, version):
        self.backend.cancel_operation(params["name"])
        return {}

    def wait_operation(self, params, body, query, version):
        from mocks.vertex.models import parse_duration

        return self.backend.wait_operation(params["name"], parse_duration(body.get("timeout"), 10.0))

    def delete_operation(self, params, body, query, version):
        self.backend.delete_operation(params["name"])
        return {}
