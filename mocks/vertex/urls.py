"""Routing data: (HTTP method, path pattern after /v1/ or /v1beta1/ or /ui/, handler name).

Handler names are the Vertex RPCs in snake_case; they are also the names fault injection uses
(``{"method": "predict", ...}``). Paths arrive percent-decoded (``models/1@2``).
"""

from __future__ import annotations

import re

LOC = r"(?P<parent>projects/[^/]+/locations/[^/]+)"
ID = r"(?P<id>[^/:]+)"

URLS: list[tuple[str, str, str]] = [
    # ModelService
    ("POST", rf"{LOC}/models:upload", "upload_model"),
    ("GET", rf"{LOC}/models", "list_models"),
    ("GET", rf"{LOC}/models/{ID}:listVersions", "list_model_versions"),
    ("POST", rf"{LOC}/models/{ID}:mergeVersionAliases", "merge_version_aliases"),
    ("DELETE", rf"{LOC}/models/{ID}:deleteVersion", "delete_model_version"),
    ("GET", rf"{LOC}/models/{ID}", "get_model"),
    ("PATCH", rf"{LOC}/models/{ID}", "update_model"),
    ("DELETE", rf"{LOC}/models/{ID}", "delete_model"),
    # EndpointService and PredictionService
    ("POST", rf"{LOC}/endpoints", "create_endpoint"),
    ("GET", rf"{LOC}/endpoints", "list_endpoints"),
    ("POST", rf"{LOC}/endpoints/{ID}:deployModel", "deploy_model"),
    ("POST", rf"{LOC}/endpoints/{ID}:undeployModel", "undeploy_model"),
    ("POST", rf"{LOC}/endpoints/{ID}:predict", "predict"),
    ("GET", rf"{LOC}/endpoints/{ID}", "get_endpoint"),
    ("PATCH", rf"{LOC}/endpoints/{ID}", "update_endpoint"),
    ("DELETE", rf"{LOC}/endpoints/{ID}", "delete_endpoint"),
    # JobService: custom jobs, tuning jobs, deployment monitoring jobs
    ("POST", rf"{LOC}/(?P<kind>customJobs|hyperparameterTuningJobs)", "create_job"),
    ("GET", rf"{LOC}/(?P<kind>customJobs|hyperparameterTuningJobs)", "list_jobs"),
    ("GET", rf"{LOC}/(?P<kind>customJobs|hyperparameterTuningJobs)/{ID}", "get_job"),
    ("POST", rf"{LOC}/(?P<kind>customJobs|hyperparameterTuningJobs)/{ID}:cancel", "cancel_job"),
    ("DELETE", rf"{LOC}/(?P<kind>customJobs|hyperparameterTuningJobs)/{ID}", "delete_job"),
    ("POST", rf"{LOC}/modelDeploymentMonitoringJobs", "create_model_deployment_monitoring_job"),
    ("GET", rf"{LOC}/modelDeploymentMonitoringJobs", "list_model_deployment_monitoring_jobs"),
    ("GET", rf"{LOC}/modelDeploymentMonitoringJobs/{ID}", "get_model_deployment_monitoring_job"),
    ("PATCH", rf"{LOC}/modelDeploymentMonitoringJobs/{ID}", "update_model_deployment_monitoring_job"),
    ("DELETE", rf"{LOC}/modelDeploymentMonitoringJobs/{ID}", "delete_model_deployment_monitoring_job"),
    ("POST", rf"{LOC}/modelDeploymentMonitoringJobs/{ID}:pause", "pause_model_deployment_monitoring_job"),
    ("POST", rf"{LOC}/modelDeploymentMonitoringJobs/{ID}:resume", "resume_model_deployment_monitoring_job"),
    (
        "POST",
        rf"{LOC}/modelDeploymentMonitoringJobs/{ID}:searchModelDeploymentMonitoringStatsAnomalies",
        "search_model_deployment_monitoring_stats_anomalies",
    ),
    # google.longrunning.Operations (the SDK polls these under /ui/)
    ("GET", r"(?P<name>projects/[^:]+/operations/[^/:]+)", "get_operation"),
    ("POST", r"(?P<name>projects/[^:]+/operations/[^/:]+):cancel", "cancel_operation"),
    ("POST", r"(?P<name>projects/[^:]+/operations/[^/:]+):wait", "wait_operation"),
    ("DELETE", r"(?P<name>projects/[^:]+/operations/[^/:]+)", "delete_operation"),
    ("GET", r"(?P<name>projects/[^:]+)/operations", "list_operations"),
]

VERSION = re.compile(r"^/(?P<version>v1|v1beta1|ui)/(?P<rest>.+)$")
COMPILED = [(method, re.compile(pattern), name) for method, pattern, name in URLS]


def resolve(http_method: str, path: str) -> tuple[str, str, dict] | None:
    """(handler name, API version, path params) for a request, or None when nothing matches."""
    match = VERSION.match(path)
    if not match:
        return None
    version = "v1" if match["version"] == "ui" else match["version"]
    for method, pattern, name in COMPILED:
        if method == http_method:
            found = pattern.fullmatch(match["rest"])
            if found:
                return name, version, found.groupdict()
    return None
