"""Model deployment monitoring: per-feature skew/drift of logged prediction inputs, per window.

``ModelDeploymentMonitoringJob`` (create, get, list, update, pause, resume, delete,
``searchModelDeploymentMonitoringStatsAnomalies``) over an endpoint. The emulator logs every
instance its endpoints predict on; a **window** is the instances logged since the previous
window closed. Windows close when ``POST /_mock/monitoring/{job id}:run`` is called (the real
service closes one per ``monitorInterval``, at least an hour: too slow for a lab).

For each deployed model's objective config and each feature of the window:

* **skew** (``trainingPredictionSkewDetectionConfig``, objective RAW_FEATURE_SKEW = 1): the
  window against the training baseline (``trainingDataset.gcsSource.uris[0]`` in the emulated
  bucket, ``dataFormat`` ``jsonl`` or ``csv``; ``targetField`` left out);
* **drift** (``predictionDriftDetectionConfig``, RAW_FEATURE_DRIFT = 2): the window against
  the previous window (the first window against the training baseline when there is one).

Distances come from :mod:`shared.drift` (Jensen-Shannon for numbers, L-infinity for
strings); thresholds per feature from the config, else ``defaultSkewThreshold``, else 0.3.
Instance values that are one-element lists (``{"age": [31.0]}``, as TF serving inputs often
are) count as their element; longer lists are not monitored. Each closed window is also written
as JSON under ``statsAnomaliesBaseDirectory`` when that is a gs:// folder.
"""

from __future__ import annotations

import csv
import io
import json
import time

from mocks.vertex.exceptions import FailedPrecondition, InvalidArgument, NotFound
from mocks.vertex.models import JOB_PAUSED, JOB_RUNNING, VertexBackend, timestamp
from shared import drift

SKEW, DRIFT = 1, 2


def _scalar(value):
    if isinstance(value, list):
        return value[0] if len(value) == 1 and not isinstance(value[0], list) else None
    return value if isinstance(value, int | float | str | bool) else None


def instance_columns(instances: list) -> dict[str, list]:
    rows = [i for i in instances if isinstance(i, dict)]
    return {k: [v for v in vals if v is not None] for k, vals in drift.columns(
        [{k: _scalar(v) for k, v in row.items()} for row in rows]).items()}


def _thresholds(config: dict, key: str) -> tuple[dict[str, float], float]:
    per_feature = {k: float(v.get("value", 0)) for k, v in (config.get(key) or {}).items()}
    default = (config.get("defaultSkewThreshold") or {}).get("value", drift.DEFAULT_THRESHOLD)
    return per_feature, float(default)


class MonitoringResponses:
    def __init__(self, backend: VertexBackend):
        self.backend = backend

    # resources -----------------------------------------------------------------------------
    def _job(self, parent: str, job_id: str) -> dict:
        job = self.backend.monitoring_jobs.get(job_id)
        if job is None:
            raise NotFound(f"{parent}/modelDeploymentMonitoringJobs/{job_id} not found.")
        return job

    def create_model_deployment_monitoring_job(self, params, body, query, version):
        parent = params["parent"]
        endpoint_name = body.get("endpoint", "")
        endpoint_id = endpoint_name.rsplit("/", 1)[-1]
        endpoint = self.backend._endpoint(parent, endpoint_id)
        if not endpoint.resource["deployedModels"]:
            raise FailedPrecondition(f"Endpoint {endpoint_name} has no deployed model to monitor.")
        if not body.get("modelDeploymentMonitoringObjectiveConfigs"):
            raise InvalidArgument("modelDeploymentMonitoringObjectiveConfigs is required.")
        job_id = self.backend.new_id()
        now = timestamp()
        resource = {
            **body, "name": f"{parent}/modelDeploymentMonitoringJobs/{job_id}",
            "state": JOB_RUNNING, "scheduleState": 2, "createTime": now, "updateTime": now,
            "nextScheduleTime": now,
        }
        with self.backend._lock:
            self.backend.monitoring_jobs[job_id] = resource
            self.backend.monitoring_stats[job_id] = []
            resource["_cursor"] = len(endpoint.predictions)  # logged before creation: not monitored
        return _public(resource)

    def get_model_deployment_monitoring_job(self, params, body, query, version):
        return _public(self._job(params["parent"], params["id"]))

    def list_model_deployment_monitoring_jobs(self, params, body, query, version):
        from mocks.vertex.responses import paginate

        jobs = [_public(j) for j in self.backend.monitoring_jobs.values()]
        return paginate(jobs, "modelDeploymentMonitoringJobs", query)

    def update_model_deployment_monitoring_job(self, params, body, query, version):
        job = self._job(params["parent"], params["id"])
        mask = [f for f in query.get("updateMask", "").split(",") if f]
        for key in mask or list(body):
            key = "".join(w if i == 0 else w.title() for i, w in enumerate(key.split("_")))
            if key in body and key not in ("name", "state", "endpoint"):
                job[key] = body[key]
        job["updateTime"] = timestamp()
        return self.backend.start_operation(
            params["parent"], version, "UpdateModelDeploymentMonitoringJobOperationMetadata",
            "ModelDeploymentMonitoringJob", lambda: _public(job),
        )

    def pause_model_deployment_monitoring_job(self, params, body, query, version):
        self._job(params["parent"], params["id"])["state"] = JOB_PAUSED
        return {}

    def resume_model_deployment_monitoring_job(self, params, body, query, version):
        self._job(params["parent"], params["id"])["state"] = JOB_RUNNING
        return {}

    def delete_model_deployment_monitoring_job(self, params, body, query, version):
        self._job(params["parent"], params["id"])

        def effect() -> dict:
            self.backend.monitoring_jobs.pop(params["id"], None)
            self.backend.monitoring_stats.pop(params["id"], None)
            return {}

        return self.backend.start_operation(params["parent"], version, "DeleteOperationMetadata", "Empty", effect)

    # windows -------------------------------------------------------------------------------
    def run_window(self, job_id: str) -> dict:
        """Close the current window: compute every feature's distance and the anomalies."""
        job = self.backend.monitoring_jobs.get(job_id)
        if job is None:
            raise NotFound(f"Monitoring job {job_id} not found.")
        parent = job["name"].rsplit("/modelDeploymentMonitoringJobs/", 1)[0]
        endpoint = self.backend._endpoint(parent, job["endpoint"].rsplit("/", 1)[-1])
        with self.backend._lock:
            logged = endpoint.predictions[job["_cursor"]:]
            job["_cursor"] = len(endpoint.predictions)
        start = job.get("_window_start", time.time() if not logged else logged[0][0])
        end = time.time()
        job["_window_start"] = end
        windows = self.backend.monitoring_stats[job_id]
        window = {"startTime": timestamp(start), "endTime": timestamp(end), "objectives": []}
        for config in job["modelDeploymentMonitoringObjectiveConfigs"]:
            deployed_id = config.get("deployedModelId", "")
            instances = [i for _, d, i in logged if d == deployed_id or not deployed_id]
            current = instance_columns(instances)
            objective = config.get("objectiveConfig") or {}
            window["objectives"].extend(self._objectives(objective, deployed_id, current, windows))
            window.setdefault("columns", {})[deployed_id] = current
        windows.append(window)
        self._write_stats(job, window, len(windows))
        return {
            "window": len(windows),
            "instances": len(logged),
            "objectives": [
                {k: v for k, v in o.items() if k != "_baseline"} for o in window["objectives"]
            ],
        }

    def _objectives(self, objective: dict, deployed_id: str, current: dict, windows: list) -> list[dict]:
        results = []
        skew = objective.get("trainingPredictionSkewDetectionConfig")
        baseline = self._baseline(objective.get("trainingDataset")) if objective.get("trainingDataset") else None
        if skew is not None and baseline is not None:
            thresholds, default = _thresholds(skew, "skewThresholds")
            results.append(self._compare(SKEW, deployed_id, baseline, current, thresholds, default))
        drift_config = objective.get("predictionDriftDetectionConfig")
        if drift_config is not None:
            previous = next(
                (w["columns"][deployed_id] for w in reversed(windows) if deployed_id in w.get("columns", {})),
                baseline,
            )
            if previous is not None:
                thresholds, _ = _thresholds(drift_config, "driftThresholds")
                results.append(self._compare(
                    DRIFT, deployed_id, previous, current, thresholds, drift.DEFAULT_THRESHOLD
                ))
        return results

    @staticmethod
    def _compare(kind, deployed_id, reference, current, thresholds, default) -> dict:
        names = [n for n in reference if n in current and reference[n] and current[n]]
        all_thresholds = {n: thresholds.get(n, default) for n in names}
        kinds = {n: drift.infer_kind(reference[n]) for n in names}
        features = drift.feature_drift(
            {n: reference[n] for n in names}, {n: current[n] for n in names}, all_thresholds, kinds
        )
        return {
            "objective": kind, "deployedModelId": deployed_id,
            "features": [f.as_dict() for f in features],
            "anomalies": [f.name for f in features if f.drifted],
        }

    def _baseline(self, dataset: dict) -> dict[str, list]:
        uris = (dataset.get("gcsSource") or {}).get("uris") or []
        if not uris:
            raise InvalidArgument(
                "The emulator reads training baselines from gs:// files only "
                "(trainingDataset.gcsSource.uris); BigQuery sources are not emulated."
            )
        path = self.backend.gs_path(uris[0], "trainingDataset.gcsSource.uris")
        if not path.is_file():
            raise FailedPrecondition(f"Training baseline {uris[0]} does not exist in the emulated bucket.")
        text = path.read_text()
        fmt = (dataset.get("dataFormat") or "jsonl").lower()
        if fmt == "csv":
            rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]
        elif fmt == "jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            raise InvalidArgument(f"dataFormat {fmt!r} is not emulated; use jsonl or csv.")
        target = dataset.get("targetField")
        return instance_columns([{k: v for k, v in r.items() if k != target} for r in rows])

    def _write_stats(self, job: dict, window: dict, number: int) -> None:
        base = (job.get("statsAnomaliesBaseDirectory") or {}).get("outputUriPrefix", "")
        if not base.startswith("gs://"):
            return
        bucket, _, prefix = base[5:].partition("/")
        body = {k: v for k, v in window.items() if k != "columns"}
        self.backend.storage.ensure_bucket(bucket)
        name = "/".join(filter(None, [prefix.rstrip("/"), f"window-{number:04d}.json"]))
        self.backend.storage.write_object(bucket, name, json.dumps(body, indent=1).encode(), "application/json")

    # search --------------------------------------------------------------------------------
    def search_model_deployment_monitoring_stats_anomalies(self, params, body, query, version):
        self._job(params["parent"], params["id"])
        wanted_model = body.get("deployedModelId", "")
        wanted_feature = body.get("featureDisplayName", "")
        kinds = {o.get("type") for o in body.get("objectives", []) if o.get("type")}
        grouped: dict[tuple[int, str], dict[str, dict]] = {}
        for window in self.backend.monitoring_stats.get(params["id"], []):
            for objective in window["objectives"]:
                key = (objective["objective"], objective["deployedModelId"])
                if kinds and key[0] not in kinds or wanted_model and key[1] != wanted_model:
                    continue
                features = grouped.setdefault(key, {})
                for f in objective["features"]:
                    if wanted_feature and f["name"] != wanted_feature:
                        continue
                    entry = features.setdefault(f["name"], {
                        "featureDisplayName": f["name"], "threshold": {"value": f["threshold"]},
                        "predictionStats": [],
                    })
                    entry["predictionStats"].append({
                        "startTime": window["startTime"], "endTime": window["endTime"],
                        "distributionDeviation": f["distance"],
                        "anomalyDetectionThreshold": f["threshold"],
                        "score": 1.0 if f["drifted"] else 0.0,
                    })
        stats = []
        for (kind, deployed_id), features in grouped.items():
            anomalies = sum(s["score"] > 0 for f in features.values() for s in f["predictionStats"])
            stats.append({
                "objective": kind, "deployedModelId": deployed_id, "anomalyCount": anomalies,
                "featureStats": list(features.values()),
            })
        return {"monitoringStats": stats} if stats else {}


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _public(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if not k.startswith("_")}
