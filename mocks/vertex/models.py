"""State and logic of the Vertex AI emulator: models, endpoints, jobs, monitoring, operations.

``VertexBackend`` holds everything in memory (artefacts and job folders on disk under
``data_dir``) behind one lock; ``responses.py`` turns HTTP into calls on it. Long-running
operations and jobs finish according to the **state rule** (``config["state_rule"]``):

* ``immediate`` (default): the work is done inside the call that starts it, so an operation
  comes back ``done`` and a job is already finished when the SDK first polls it (no 5 s sleep);
* ``delay:<seconds>``: work starts at once (jobs in a background thread) and the result becomes
  visible no sooner than that many seconds after creation;
* ``manual``: nothing finishes until ``advance()`` (``POST /_mock/advance``) is called.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mocks.vertex import jobs as joblib
from mocks.vertex.exceptions import (
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    VertexError,
    error_for_status,
    status_for_http,
)
from mocks.vertex.storage import StorageBackend, StorageError

# google.cloud.aiplatform.v1.JobState
JOB_QUEUED, JOB_PENDING, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED = 1, 2, 3, 4, 5
JOB_CANCELLING, JOB_CANCELLED, JOB_PAUSED = 6, 7, 8
JOB_DONE = (JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED)
# google.cloud.aiplatform.v1.Trial.State
TRIAL_ACTIVE, TRIAL_SUCCEEDED, TRIAL_INFEASIBLE = 2, 4, 5
DEFAULT_JOB_TIMEOUT = 3600.0
REQUEST_LOG_SIZE = 2000
PREDICTION_LOG_SIZE = 100_000


def timestamp(seconds: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(time.time() if seconds is None else seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(value: str | None, default: float) -> float:
    """'3600s' -> 3600.0 (protobuf Duration JSON)."""
    if not value:
        return default
    try:
        return float(str(value).rstrip("s"))
    except ValueError as exc:
        raise InvalidArgument(f"Malformed duration {value!r}; write it like '3600s'.") from exc


def parse_state_rule(rule: str) -> tuple[str, float]:
    rule = (rule or "").strip().lower()
    if rule in ("immediate", "manual"):
        return rule, 0.0
    if rule.startswith("delay:"):
        try:
            seconds = float(rule.split(":", 1)[1])
        except ValueError:
            seconds = -1
        if seconds >= 0:
            return "delay", seconds
    raise ValueError(f"Unknown state rule {rule!r}; use immediate, delay:<seconds> or manual.")


@dataclass
class Operation:
    name: str
    version: str
    metadata_type: str
    response_type: str
    effect: Callable[[], dict]
    created: float = field(default_factory=time.time)
    ready_at: float | None = 0.0  # None: manual
    done: bool = False
    response: dict | None = None
    error: dict | None = None
    updated: float = field(default_factory=time.time)

    def resource(self) -> dict:
        prefix = f"type.googleapis.com/google.cloud.aiplatform.{self.version}."
        body: dict = {
            "name": self.name,
            "metadata": {
                "@type": prefix + self.metadata_type,
                "genericMetadata": {
                    "createTime": timestamp(self.created),
                    "updateTime": timestamp(self.updated),
                },
            },
            "done": self.done,
        }
        if self.done and self.error is not None:
            body["error"] = self.error
        elif self.done:
            response_type = (
                "type.googleapis.com/google.protobuf.Empty"
                if self.response_type == "Empty"
                else prefix + self.response_type
            )
            body["response"] = {"@type": response_type, **(self.response or {})}
        return body


@dataclass
class Job:
    """A CustomJob or HyperparameterTuningJob (``kind``) and its run."""

    kind: str  # "customJobs" | "hyperparameterTuningJobs"
    resource: dict
    workdir: Path
    ready_at: float | None = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    finished: bool = False  # the work is over (state may still be hidden by the rule)
    final: dict = field(default_factory=dict)  # fields to reveal when the rule allows


@dataclass
class Endpoint:
    resource: dict
    served: dict = field(default_factory=dict)  # deployed model id -> ServedModel
    counter: itertools.count = field(default_factory=itertools.count)
    predictions: list = field(default_factory=list)  # (time, deployed id, instance)


class VertexBackend:
    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.storage = StorageBackend(self.data_dir / "storage")
        self.storage_host: str | None = None  # the server's URL, for trainers' env
        self.crashes: list[str] = []  # tracebacks of unexpected errors, re-raised in tests
        self._lock = threading.RLock()
        self.reset()

    # control -------------------------------------------------------------------------------
    def reset(self) -> None:
        with getattr(self, "_lock", threading.RLock()):
            for job in getattr(self, "jobs", {}).values():
                job.cancel.set()
            self.config: dict = {"state_rule": "immediate"}
            self.models: dict[str, dict[str, dict]] = {}  # model id -> version id -> resource
            self.endpoints: dict[str, Endpoint] = {}
            self.jobs: dict[str, Job] = {}
            self.monitoring_jobs: dict[str, dict] = {}
            self.monitoring_stats: dict[str, list[dict]] = {}  # job id -> closed windows
            self.operations: dict[str, Operation] = {}
            self.faults: list[dict] = []
            self.request_log: list[dict] = []
            self._ids = itertools.count(1_000_001)
            self.storage.reset()
            (self.data_dir / "jobs").mkdir(parents=True, exist_ok=True)

    def new_id(self) -> str:
        return str(next(self._ids))

    def set_config(self, **values) -> dict:
        if "state_rule" in values:
            parse_state_rule(values["state_rule"])
        unknown = set(values) - {"state_rule", "job_timeout"}
        if unknown:
            raise ValueError(f"Unknown config keys {sorted(unknown)}; known: state_rule, job_timeout.")
        if "job_timeout" in values:
            timeout = values["job_timeout"]
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
                raise ValueError(f"job_timeout must be a positive number of seconds, got {timeout!r}.")
        with self._lock:
            self.config.update(values)
            return dict(self.config)

    def _ready_at(self) -> float | None:
        mode, seconds = parse_state_rule(self.config["state_rule"])
        if mode == "manual":
            return None
        return time.time() + seconds if mode == "delay" else 0.0

    def add_fault(self, method: str, status: str | int, count: int = 1, message: str = "") -> dict:
        if isinstance(status, int) or str(status).isdigit():
            status = status_for_http(int(status))
        error_for_status(str(status), "")  # validates the name
        fault = {"method": method, "status": str(status).upper(), "count": int(count),
                 "message": message or f"Injected fault: {str(status).upper()}"}
        with self._lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str) -> VertexError | None:
        with self._lock:
            for fault in self.faults:
                if fault["method"] in (method, "*") and fault["count"] > 0:
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.faults.remove(fault)
                    return error_for_status(fault["status"], fault["message"])
        return None

    def log_request(self, method: str, http_method: str, path: str, status: int) -> None:
        with self._lock:
            self.request_log.append(
                {"time": timestamp(), "method": method, "http_method": http_method,
                 "path": path, "status": status}
            )
            del self.request_log[:-REQUEST_LOG_SIZE]

    def tick(self) -> None:
        """Finish what the delay rule now allows (called before every request)."""
        now = time.time()
        for op in list(self.operations.values()):
            if not op.done and op.ready_at is not None and op.ready_at <= now:
                self._finish_operation(op)
        for job in list(self.jobs.values()):
            if job.finished and job.ready_at is not None and job.ready_at <= now:
                self._reveal(job)

    def advance(self, name: str | None = None) -> list[str]:
        """Finish pending operations and jobs now (all, or the one whose name ends with ``name``)."""
        done = []
        for op in list(self.operations.values()):
            if not op.done and (name is None or op.name.endswith(name)):
                self._finish_operation(op)
                done.append(op.name)
        for job in list(self.jobs.values()):
            if job.resource["state"] in JOB_DONE or (name and not job.resource["name"].endswith(name)):
                continue
            job.ready_at = 0.0
            if job.thread is None and not job.finished:
                self._execute(job)  # manual rule: the work runs now, in this call
            elif job.thread is not None:
                job.thread.join()
            self._reveal(job)
            done.append(job.resource["name"])
        return done

    # operations ----------------------------------------------------------------------------
    def start_operation(
        self, parent: str, version: str, metadata_type: str, response_type: str,
        effect: Callable[[], dict],
    ) -> dict:
        op = Operation(
            name=f"{parent}/operations/{self.new_id()}", version=version,
            metadata_type=metadata_type, response_type=response_type, effect=effect,
            ready_at=self._ready_at(),
        )
        with self._lock:
            self.operations[op.name] = op
        if op.ready_at == 0.0:
            self._finish_operation(op)
        return op.resource()

    def _finish_operation(self, op: Operation) -> None:
        with self._lock:
            if op.done:
                return
            try:
                op.response = op.effect()
            except VertexError as err:
                op.error = err.rpc_status()
            except Exception as exc:  # a bug: fail this operation only, never every later request
                self.crashes.append(traceback.format_exc())
                op.error = Internal(f"Internal error: {type(exc).__name__}: {exc}"[:500]).rpc_status()
            op.done, op.updated = True, time.time()

    def get_operation(self, name: str) -> dict:
        op = self.operations.get(name)
        if op is None:
            raise NotFound(f"Operation {name} not found.")
        return op.resource()

    def list_operations(self, parent: str) -> list[dict]:
        return [op.resource() for name, op in self.operations.items() if name.startswith(parent + "/")]

    def cancel_operation(self, name: str) -> None:
        op = self.operations.get(name)
        if op is None:
            raise NotFound(f"Operation {name} not found.")
        with self._lock:
            if not op.done:
                op.done, op.error, op.updated = True, {"code": 1, "message": "Operation cancelled."}, time.time()

    def delete_operation(self, name: str) -> None:
        if self.operations.pop(name, None) is None:
            raise NotFound(f"Operation {name} not found.")

    def wait_operation(self, name: str, timeout: float = 10.0) -> dict:
        op = self.operations.get(name)
        if op is None:
            raise NotFound(f"Operation {name} not found.")
        deadline = time.time() + timeout
        while not op.done and time.time() < deadline:
            self.tick()
            time.sleep(0.05)
        return op.resource()

    # models --------------------------------------------------------------------------------
    def _split_model(self, model_id: str) -> tuple[str, str | None]:
        base, _, version = model_id.partition("@")
        return base, version or None

    def _versions(self, parent: str, model_id: str) -> dict[str, dict]:
        versions = self.models.get(model_id)
        if not versions or not _under(next(iter(versions.values())), parent):
            raise NotFound(f"Model {parent}/models/{model_id} not found.")
        return versions

    def get_model(self, parent: str, model_ref: str) -> dict:
        """``model_ref`` is ID, ID@versionId or ID@alias (no suffix: the default version)."""
        model_id, wanted = self._split_model(model_ref)
        versions = self._versions(parent, model_id)
        wanted = wanted or "default"
        for version in versions.values():
            if version["versionId"] == wanted or wanted in version.get("versionAliases", []):
                return version
        raise NotFound(f"Model {parent}/models/{model_ref} not found.")

    def upload_model(self, parent: str, version: str, body: dict) -> dict:
        model = dict(body.get("model") or {})
        if not model.get("displayName"):
            raise InvalidArgument("model.displayName is required.")
        artifact = model.get("artifactUri")
        if artifact:
            self.gs_path(artifact)  # a URI no object can be under is refused at once
        parent_model = body.get("parentModel")
        if parent_model:
            model_id = parent_model.rsplit("/", 1)[-1]
            self._versions(parent, model_id)
        else:
            model_id = body.get("modelId") or self.new_id()
            if model_id in self.models:
                raise error_for_status("ALREADY_EXISTS", f"Model {parent}/models/{model_id} already exists.")

        def effect() -> dict:
            if artifact:
                self._check_model_directory(artifact)
            resource = self._add_model_version(parent, model_id, model)
            return {"model": f"{parent}/models/{model_id}", "modelVersionId": resource["versionId"]}

        return self.start_operation(parent, version, "UploadModelOperationMetadata", "UploadModelResponse", effect)

    def gs_path(self, uri: str, field: str = "artifactUri") -> Path:
        """The emulated bucket's file or folder for a gs:// URI named in a request's ``field``."""
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise InvalidArgument(f"{field} must be a gs://bucket/path URI, got {str(uri)[:100]!r}.")
        try:
            return self.storage.local_path(uri)
        except StorageError as err:
            raise InvalidArgument(f"{field} {uri[:100]!r} is not a valid Cloud Storage path: {err.message}") from err

    def _check_model_directory(self, uri: str) -> None:
        """Vertex checks a prebuilt container's model directory at upload; so do we."""
        from mocks.vertex.serving import servable

        if not servable(self.gs_path(uri)):
            raise InvalidArgument(
                f"Model directory {uri} is expected to contain exactly one of: "
                "[saved_model.pb, saved_model.pbtxt] (the emulator also serves a .keras file). "
                "Check that the training job wrote its model to AIP_MODEL_DIR and that the URI is right."
            )

    def _add_model_version(self, parent: str, model_id: str, model: dict) -> dict:
        with self._lock:
            versions = self.models.setdefault(model_id, {})
            version_id = str(max((int(v) for v in versions), default=0) + 1)
            aliases = list(model.get("versionAliases", []))
            if not versions and "default" not in aliases:
                aliases.insert(0, "default")  # the first version is always the default
            self._claim_aliases(versions, aliases)
            now = timestamp()
            first = next(iter(versions.values()), None)
            resource = {
                **model,
                "name": f"{parent}/models/{model_id}",
                "versionId": version_id,
                "versionAliases": aliases,
                "createTime": first["createTime"] if first else now,
                "updateTime": now,
                "versionCreateTime": now,
                "versionUpdateTime": now,
                "etag": uuid.uuid4().hex[:16],
                "supportedDeploymentResourcesTypes": [1, 2],  # DEDICATED, AUTOMATIC
                "deployedModels": [],
            }
            versions[version_id] = resource
            return resource

    @staticmethod
    def _claim_aliases(versions: dict[str, dict], aliases: list[str]) -> None:
        for alias in aliases:
            if not re.fullmatch(r"[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]|default", alias):
                raise InvalidArgument(f"Invalid version alias {alias!r}.")
            for other in versions.values():
                if alias in other.get("versionAliases", []):
                    other["versionAliases"].remove(alias)

    def list_models(self, parent: str, filter_: str = "") -> list[dict]:
        models = [
            self.get_model(parent, model_id) for model_id, versions in list(self.models.items())
            if versions and _under(next(iter(versions.values())), parent)
        ]
        return [m for m in models if matches_filter(m, filter_)]

    def list_model_versions(self, parent: str, model_ref: str) -> list[dict]:
        model_id, _ = self._split_model(model_ref)
        return list(self._versions(parent, model_id).values())

    def merge_version_aliases(self, parent: str, model_ref: str, aliases: list[str]) -> dict:
        resource = self.get_model(parent, model_ref)
        model_id, _ = self._split_model(model_ref)
        with self._lock:
            adds = [a for a in aliases if not a.startswith("-")]
            removes = [a[1:] for a in aliases if a.startswith("-")]
            if "default" in removes:
                raise InvalidArgument("The default alias cannot be removed; move it to another version.")
            self._claim_aliases(self.models[model_id], adds)
            current = [a for a in resource["versionAliases"] if a not in removes]
            resource["versionAliases"] = current + [a for a in adds if a not in current]
            resource["versionUpdateTime"] = timestamp()
        return resource

    def update_model(self, parent: str, model_ref: str, body: dict, mask: str) -> dict:
        resource = self.get_model(parent, model_ref)
        fields = [f.strip() for f in mask.split(",") if f.strip()] or ["displayName", "description", "labels"]
        with self._lock:
            for name in fields:
                key = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
                if key not in ("displayName", "description", "labels", "versionDescription"):
                    raise InvalidArgument(f"Field {name} cannot be updated in the emulator.")
                if key in body:
                    resource[key] = body[key]
            resource["updateTime"] = timestamp()
        return resource

    def delete_model(self, parent: str, version: str, model_ref: str, only_version: bool) -> dict:
        model_id, version_ref = self._split_model(model_ref)
        targets = [self.get_model(parent, model_ref)] if only_version else list(
            self._versions(parent, model_id).values()
        )
        for target in targets:
            if target.get("deployedModels"):
                endpoint = target["deployedModels"][0]["endpoint"]
                raise FailedPrecondition(
                    f"Model {parent}/models/{model_id}@{target['versionId']} is deployed to "
                    f"{endpoint}; undeploy it first."
                )
            if only_version and "default" in target["versionAliases"]:
                raise FailedPrecondition("The default version cannot be deleted; move the alias first.")

        def effect() -> dict:
            with self._lock:
                if only_version:
                    self.models[model_id].pop(targets[0]["versionId"], None)
                else:
                    self.models.pop(model_id, None)
            return {}

        return self.start_operation(parent, version, "DeleteOperationMetadata", "Empty", effect)

    # endpoints -----------------------------------------------------------------------------
    def _endpoint(self, parent: str, endpoint_id: str) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or not _under(endpoint.resource, parent):
            raise NotFound(f"Endpoint {parent}/endpoints/{endpoint_id} not found.")
        return endpoint

    def create_endpoint(self, parent: str, version: str, body: dict, endpoint_id: str = "") -> dict:
        if not body.get("displayName"):
            raise InvalidArgument("endpoint.displayName is required.")
        endpoint_id = endpoint_id or self.new_id()
        if endpoint_id in self.endpoints:
            raise error_for_status("ALREADY_EXISTS", f"Endpoint {parent}/endpoints/{endpoint_id} already exists.")

        def effect() -> dict:
            now = timestamp()
            resource = {
                **body, "name": f"{parent}/endpoints/{endpoint_id}", "deployedModels": [],
                "trafficSplit": {}, "createTime": now, "updateTime": now,
                "etag": uuid.uuid4().hex[:16],
            }
            with self._lock:
                self.endpoints[endpoint_id] = Endpoint(resource)
            return resource

        return self.start_operation(parent, version, "CreateEndpointOperationMetadata", "Endpoint", effect)

    def get_endpoint(self, parent: str, endpoint_id: str) -> dict:
        return self._endpoint(parent, endpoint_id).resource

    def list_endpoints(self, parent: str, filter_: str = "") -> list[dict]:
        return [
            e.resource for e in list(self.endpoints.values())
            if _under(e.resource, parent) and matches_filter(e.resource, filter_)
        ]

    def delete_endpoint(self, parent: str, version: str, endpoint_id: str) -> dict:
        endpoint = self._endpoint(parent, endpoint_id)
        if endpoint.resource["deployedModels"]:
            raise FailedPrecondition(
                f"Endpoint {parent}/endpoints/{endpoint_id} still has deployed models; "
                "undeploy them first (or use endpoint.delete(force=True))."
            )

        def effect() -> dict:
            with self._lock:
                self.endpoints.pop(endpoint_id, None)
            return {}

        return self.start_operation(parent, version, "DeleteOperationMetadata", "Empty", effect)

    def deploy_model(self, parent: str, version: str, endpoint_id: str, body: dict) -> dict:
        from mocks.vertex.serving import load_served_model

        endpoint = self._endpoint(parent, endpoint_id)
        deployed = dict(body.get("deployedModel") or {})
        model_name = deployed.get("model", "")
        match = re.fullmatch(r"projects/[^/]+/locations/[^/]+/models/([^/]+)", model_name)
        if not match:
            raise InvalidArgument(f"deployedModel.model must be a model resource name, got {model_name!r}.")
        model = self.get_model(parent, match.group(1))
        artifact = model.get("artifactUri")
        if not artifact:
            raise FailedPrecondition(f"Model {model_name} has no artifactUri; nothing to serve.")
        split = body.get("trafficSplit") or {}

        def effect() -> dict:
            try:
                served = load_served_model(self.gs_path(artifact))
            except VertexError:
                raise
            except Exception as exc:  # TensorFlow/Keras could not load it: the server never starts
                raise FailedPrecondition(
                    "Model server never became ready. Please validate that your model file or "
                    f"container configuration are valid. Model server log: {type(exc).__name__}: "
                    f"{str(exc)[:300]}"
                ) from exc
            deployed_id = deployed.get("id") or self.new_id()
            record = {
                **deployed, "id": deployed_id, "model": model["name"],
                "modelVersionId": model["versionId"], "createTime": timestamp(),
            }
            with self._lock:
                endpoint.served[deployed_id] = served
                endpoint.resource["deployedModels"].append(record)
                endpoint.resource["trafficSplit"] = self._traffic(
                    endpoint, {(deployed_id if k == "0" else k): v for k, v in split.items()}
                )
                model["deployedModels"].append({"endpoint": endpoint.resource["name"], "deployedModelId": deployed_id})
            return {"deployedModel": record}

        return self.start_operation(parent, version, "DeployModelOperationMetadata", "DeployModelResponse", effect)

    def _traffic(self, endpoint: Endpoint, split: dict) -> dict:
        ids = [d["id"] for d in endpoint.resource["deployedModels"]]
        if not split:
            # No split given: the newest model takes all traffic, as the SDK's default does.
            split = {ids[-1]: 100} if ids else {}
        split = {k: int(v) for k, v in split.items() if int(v) > 0}
        if split and sum(split.values()) != 100:
            raise InvalidArgument(f"trafficSplit must sum to 100, got {sum(split.values())}.")
        unknown = set(split) - set(ids)
        if unknown:
            raise InvalidArgument(f"trafficSplit names unknown deployed models {sorted(unknown)}.")
        return split

    def undeploy_model(self, parent: str, version: str, endpoint_id: str, body: dict) -> dict:
        endpoint = self._endpoint(parent, endpoint_id)
        deployed_id = body.get("deployedModelId", "")
        records = [d for d in endpoint.resource["deployedModels"] if d["id"] == deployed_id]
        if not records:
            raise NotFound(f"Deployed model {deployed_id} not found on {endpoint.resource['name']}.")
        split = body.get("trafficSplit")

        def effect() -> dict:
            with self._lock:
                endpoint.resource["deployedModels"].remove(records[0])
                endpoint.served.pop(deployed_id, None)
                remaining = dict(split) if split else {
                    k: v for k, v in endpoint.resource["trafficSplit"].items() if k != deployed_id
                }
                if remaining and sum(int(v) for v in remaining.values()) != 100:
                    # Give the undeployed model's share to the remaining ones proportionally.
                    remaining = _rescale(remaining)
                endpoint.resource["trafficSplit"] = self._traffic(endpoint, remaining) if remaining else (
                    {endpoint.resource["deployedModels"][-1]["id"]: 100}
                    if endpoint.resource["deployedModels"] else {}
                )
                for model in self._all_versions():
                    model["deployedModels"] = [
                        d for d in model["deployedModels"] if d["deployedModelId"] != deployed_id
                    ]
            return {}

        return self.start_operation(parent, version, "UndeployModelOperationMetadata", "UndeployModelResponse", effect)

    def _all_versions(self):
        return [v for versions in self.models.values() for v in versions.values()]

    def predict(self, parent: str, endpoint_id: str, body: dict) -> dict:
        endpoint = self._endpoint(parent, endpoint_id)
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            raise InvalidArgument("instances must be a non-empty list.")
        deployed_id = self._route(endpoint)
        if deployed_id is None:
            raise FailedPrecondition(
                f"Endpoint {endpoint.resource['name']} has no deployed model to serve the request; "
                "deploy a model first."
            )
        served = endpoint.served[deployed_id]
        record = next(d for d in endpoint.resource["deployedModels"] if d["id"] == deployed_id)
        predictions = served.predict(instances)
        with self._lock:
            now = time.time()
            endpoint.predictions.extend((now, deployed_id, i) for i in instances)
            del endpoint.predictions[:-PREDICTION_LOG_SIZE]
        model = self.get_model(parent, record["model"].rsplit("/", 1)[-1] + "@" + record["modelVersionId"])
        return {
            "predictions": predictions,
            "deployedModelId": deployed_id,
            "model": record["model"],
            "modelDisplayName": model.get("displayName", ""),
            "modelVersionId": record["modelVersionId"],
        }

    @staticmethod
    def _route(endpoint: Endpoint) -> str | None:
        """Weighted round robin over the traffic split: deterministic, exact over 100 calls."""
        split = endpoint.resource["trafficSplit"]
        if not split:
            return None
        slot = next(endpoint.counter) % 100
        for deployed_id, share in sorted(split.items()):
            if slot < share:
                return deployed_id
            slot -= share
        return sorted(split)[-1]

    # jobs ----------------------------------------------------------------------------------
    def _job(self, kind: str, parent: str, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.kind != kind or not _under(job.resource, parent):
            raise NotFound(f"{parent}/{kind}/{job_id} not found.")
        return job

    def create_job(self, kind: str, parent: str, body: dict) -> dict:
        if not body.get("displayName"):
            raise InvalidArgument("displayName is required.")
        spec = body.get("jobSpec") if kind == "customJobs" else body.get("trialJobSpec")
        pools = (spec or {}).get("workerPoolSpecs") or []
        if not pools:
            raise InvalidArgument("workerPoolSpecs must hold at least one worker pool.")
        joblib.command_for(pools[0])  # refuse what cannot run before accepting the job
        if kind == "hyperparameterTuningJobs":
            self._check_study(body)
        job_id = self.new_id()
        now = timestamp()
        resource = {
            **body, "name": f"{parent}/{kind}/{job_id}", "state": JOB_QUEUED,
            "createTime": now, "updateTime": now,
        }
        job = Job(kind, resource, self.data_dir / "jobs" / job_id, ready_at=self._ready_at())
        with self._lock:
            self.jobs[job_id] = job
        snapshot = json.loads(json.dumps(resource))
        if job.ready_at == 0.0:
            self._execute(job)
            self._reveal(job)
        elif job.ready_at is not None:
            job.thread = threading.Thread(target=self._execute, args=(job,), daemon=True)
            job.thread.start()
        else:
            resource["state"] = JOB_PENDING
        return snapshot

    def _check_study(self, body: dict) -> None:
        max_trials = int(body.get("maxTrialCount") or 0)
        parallel = int(body.get("parallelTrialCount") or 0)
        if max_trials < 1 or parallel < 1:
            raise InvalidArgument("maxTrialCount and parallelTrialCount must be at least 1.")
        joblib.StudySearch(body.get("studySpec") or {}, max_trials, seed=0)

    def get_job(self, kind: str, parent: str, job_id: str) -> dict:
        return self._job(kind, parent, job_id).resource

    def list_jobs(self, kind: str, parent: str, filter_: str = "") -> list[dict]:
        return [
            j.resource for j in list(self.jobs.values())
            if j.kind == kind and _under(j.resource, parent) and matches_filter(j.resource, filter_)
        ]

    def cancel_job(self, kind: str, parent: str, job_id: str) -> None:
        job = self._job(kind, parent, job_id)
        if job.resource["state"] in JOB_DONE:
            state = {JOB_SUCCEEDED: "SUCCEEDED", JOB_FAILED: "FAILED", JOB_CANCELLED: "CANCELLED"}
            raise FailedPrecondition(
                f"Cannot cancel {job.resource['name']}: it is already in a terminal state "
                f"(JOB_STATE_{state[job.resource['state']]})."
            )
        job.cancel.set()
        with self._lock:
            job.final = {
                "state": JOB_CANCELLED, "endTime": timestamp(),
                "error": {"code": 1, "message": "CANCELED"},
            }
            job.finished, job.ready_at = True, 0.0
            self._reveal(job)

    def delete_job(self, kind: str, parent: str, version: str, job_id: str) -> dict:
        job = self._job(kind, parent, job_id)
        if job.resource["state"] not in JOB_DONE:
            raise FailedPrecondition(f"{job.resource['name']} is still running; cancel it first.")

        def effect() -> dict:
            with self._lock:
                self.jobs.pop(job_id, None)
            return {}

        return self.start_operation(parent, version, "DeleteOperationMetadata", "Empty", effect)

    def _reveal(self, job: Job) -> None:
        with self._lock:
            if not job.finished or job.resource["state"] in JOB_DONE:
                return
            job.resource.update(job.final)
            job.resource["updateTime"] = timestamp()

    def _execute(self, job: Job) -> None:
        """Run the job's work (blocking) and keep the outcome in ``job.final``."""
        with self._lock:
            job.resource.update({"state": JOB_RUNNING, "startTime": timestamp(), "updateTime": timestamp()})
        try:
            if job.kind == "customJobs":
                outcome = self._run_custom(job)
            else:
                outcome = self._run_tuning(job)
        except VertexError as err:
            outcome = {"state": JOB_FAILED, "error": err.rpc_status()}
        except Exception as exc:  # a bug or an OS error: report it on the job, like Vertex
            outcome = {"state": JOB_FAILED, "error": {"code": 13, "message": f"Internal error: {exc}"}}
        with self._lock:
            if job.finished:  # cancelled meanwhile
                return
            job.final = {**outcome, "endTime": timestamp()}
            job.finished = True

    def _job_env(self, job: Job, base_uri: str, trial_id: str | None = None) -> dict[str, str]:
        project = job.resource["name"].split("/")[1]
        env = {
            **joblib.output_dirs(base_uri, trial_id),
            "CLOUD_ML_JOB_ID": job.resource["name"].rsplit("/", 1)[-1],
            "CLOUD_ML_PROJECT_ID": project,
            "GOOGLE_CLOUD_PROJECT": project,
        }
        if self.storage_host:
            env["STORAGE_EMULATOR_HOST"] = self.storage_host
        if trial_id is not None:
            env["CLOUD_ML_TRIAL_ID"] = trial_id
            env["CLOUD_ML_HP_METRIC_FILE"] = str(job.workdir / f"trial{trial_id}" / "hypertune.metrics")
        return env

    def _timeout(self, spec: dict) -> float:
        default = float(self.config.get("job_timeout", DEFAULT_JOB_TIMEOUT))
        return parse_duration((spec.get("scheduling") or {}).get("timeout"), default)

    @staticmethod
    def _base_uri(spec: dict, job: Job) -> str:
        base = (spec.get("baseOutputDirectory") or {}).get("outputUriPrefix")
        if not base:
            raise InvalidArgument(
                f"{job.resource['name']}: jobSpec.baseOutputDirectory.outputUriPrefix is required "
                "(the SDK sets it from base_output_dir or the staging bucket)."
            )
        return base

    def _run_custom(self, job: Job) -> dict:
        spec = job.resource["jobSpec"]
        env = self._job_env(job, self._base_uri(spec, job))
        result = joblib.run_pool(
            spec["workerPoolSpecs"][0], env, self.storage, job.workdir, job.cancel, self._timeout(spec)
        )
        if result.ok:
            return {"state": JOB_SUCCEEDED}
        if result.timed_out:
            return {"state": JOB_FAILED, "error": DeadlineExceeded(result.message).rpc_status()}
        return {"state": JOB_FAILED, "error": {"code": 3, "message": result.message}}

    def _run_tuning(self, job: Job) -> dict:
        body = job.resource
        spec = body["trialJobSpec"]
        base = self._base_uri(spec, job)
        max_trials, parallel = int(body["maxTrialCount"]), int(body["parallelTrialCount"])
        search = joblib.StudySearch(body["studySpec"], max_trials, seed=int(body["name"].rsplit("/", 1)[-1]))
        with self._lock:
            body["trials"] = []
        completed: list[tuple[dict, float]] = []
        failures: list[str] = []
        index = 0
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            while index < max_trials and not job.cancel.is_set():
                batch = []
                for _ in range(min(parallel, max_trials - index)):
                    params = search.suggest(index, completed)
                    index += 1
                    batch.append((str(index), params))
                futures = [pool.submit(self._run_trial, job, search, base, tid, p) for tid, p in batch]
                for (_, params), future in zip(batch, futures, strict=True):
                    value, failure = future.result()
                    if value is not None:
                        completed.append((params, value))
                    else:
                        failures.append(failure)
        best = search.best(completed)
        if best is None:
            message = failures[0] if failures else "No trial reported the metric."
            return {"state": JOB_FAILED, "error": {"code": 3, "message": f"All trials failed. {message}"}}
        best_id = next(t["id"] for t in body["trials"] if _trial_value(t, search.metric_id) == best[1])
        labels = {**body.get("labels", {}), "labkit_best_trial": best_id}
        return {"state": JOB_SUCCEEDED, "labels": labels}

    def _run_trial(self, job, search, base: str, trial_id: str, params: dict) -> tuple[float | None, str]:
        trial = {
            "id": trial_id, "state": TRIAL_ACTIVE, "startTime": timestamp(),
            "parameters": [{"parameterId": k, "value": v} for k, v in params.items()],
        }
        with self._lock:
            job.resource["trials"].append(trial)
            job.resource["trials"].sort(key=lambda t: int(t["id"]))
        pool = json.loads(json.dumps(job.resource["trialJobSpec"]["workerPoolSpecs"][0]))
        package = pool.get("pythonPackageSpec") or pool.get("containerSpec")
        package["args"] = list(package.get("args", [])) + search.args(params)
        workdir = job.workdir / f"trial{trial_id}"
        env = self._job_env(job, base, trial_id)
        result = joblib.run_pool(
            pool, env, self.storage, workdir, job.cancel, self._timeout(job.resource["trialJobSpec"])
        )
        metric = joblib.read_hypertune_metric(Path(env["CLOUD_ML_HP_METRIC_FILE"]), search.metric_id)
        with self._lock:
            trial["endTime"] = timestamp()
            if result.ok and metric is not None:
                value, step = metric
                trial["state"] = TRIAL_SUCCEEDED
                trial["finalMeasurement"] = {
                    "stepCount": str(step), "metrics": [{"metricId": search.metric_id, "value": value}]
                }
                return value, ""
            trial["state"] = TRIAL_INFEASIBLE
            reason = result.message if not result.ok else (
                f"Trial {trial_id} finished without reporting metric {search.metric_id!r} "
                "(append it to the file named by CLOUD_ML_HP_METRIC_FILE, e.g. with cloudml-hypertune)."
            )
            trial["infeasibleReason"] = reason[-500:]
            return None, reason

    def job_log(self, job_id: str) -> str:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"Job {job_id} not found.")
        logs = sorted(job.workdir.rglob("log.txt")) if job.workdir.exists() else []
        return "".join(f"==> {p.relative_to(job.workdir)} <==\n{p.read_text(errors='replace')}" for p in logs)


def _under(resource: dict, parent: str) -> bool:
    """Resources live under one project and location: another parent does not see them."""
    return resource.get("name", "").startswith(parent + "/")


def _trial_value(trial: dict, metric_id: str) -> float | None:
    for metric in (trial.get("finalMeasurement") or {}).get("metrics", []):
        if metric.get("metricId") == metric_id:
            return metric.get("value")
    return None


def _rescale(split: dict) -> dict:
    total = sum(int(v) for v in split.values())
    keys = sorted(split)
    shares = {k: int(split[k]) * 100 // total for k in keys}
    shares[keys[0]] += 100 - sum(shares.values())
    return shares


def matches_filter(resource: dict, filter_: str) -> bool:
    """The simple filters the SDK builds: display_name="x", labels.k="v", joined by AND."""
    if not filter_:
        return True
    for clause in re.split(r"\s+AND\s+", filter_.strip(), flags=re.IGNORECASE):
        match = re.fullmatch(r'\s*([\w.]+)\s*=\s*"?([^"]*)"?\s*', clause)
        if not match:
            raise InvalidArgument(f"Unsupported filter clause {clause!r} in the emulator.")
        key, value = match.groups()
        if key in ("display_name", "displayName"):
            if resource.get("displayName") != value:
                return False
        elif key.startswith("labels."):
            if resource.get("labels", {}).get(key[7:]) != value:
                return False
        else:
            raise InvalidArgument(f"Unsupported filter field {key!r} in the emulator.")
    return True
