"""Deployment monitoring through the real aiplatform SDK: a shifted feature is flagged, an
unshifted one is not. Windows close through the control API (``/_mock/monitoring/ID:run``)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from google.cloud import aiplatform
from google.cloud.aiplatform import model_monitoring

from shared.gcp import storage_client, upload_dir
from tests.mocks.vertex.conftest import SERVING_IMAGE


@pytest.fixture(scope="session")
def two_input_model(tmp_path_factory):
    """A Keras model with named scalar inputs age and income (dict instances), exported."""
    import keras

    inputs = {"age": keras.Input((1,), name="age"), "income": keras.Input((1,), name="income")}
    joined = keras.layers.Concatenate()([inputs["age"], inputs["income"]])
    model = keras.Model(inputs, keras.layers.Dense(1)(joined))
    folder = tmp_path_factory.mktemp("two_input")
    model.export(str(folder), verbose=False)
    return folder


def rows(rng, n, income_shift=0.0):
    return [{"age": float(a), "income": float(i)} for a, i in
            zip(rng.normal(40, 10, n), rng.normal(50 + income_shift, 10, n), strict=True)]


def test_shifted_feature_is_flagged_and_unshifted_is_not(vertex, two_input_model):
    rng = np.random.default_rng(0)
    upload_dir(two_input_model, "gs://labkit-staging/models/two")
    baseline = rows(rng, 500)
    storage_client().bucket("labkit-staging").blob("data/train.jsonl").upload_from_string(
        "\n".join(json.dumps({**r, "label": 1}) for r in baseline)
    )
    model = aiplatform.Model.upload(display_name="two", artifact_uri="gs://labkit-staging/models/two",
                                    serving_container_image_uri=SERVING_IMAGE)
    endpoint = model.deploy(machine_type="n1-standard-2")
    job = aiplatform.ModelDeploymentMonitoringJob.create(
        display_name="watch", endpoint=endpoint,
        logging_sampling_strategy=model_monitoring.RandomSampleConfig(sample_rate=1.0),
        schedule_config=model_monitoring.ScheduleConfig(monitor_interval=1),
        alert_config=model_monitoring.EmailAlertConfig(user_emails=["ml@example.com"]),
        objective_configs=model_monitoring.ObjectiveConfig(
            skew_detection_config=model_monitoring.SkewDetectionConfig(
                data_source="gs://labkit-staging/data/train.jsonl", data_format="jsonl",
                target_field="label", skew_thresholds={"age": 0.3, "income": 0.3},
            )
        ),
        stats_anomalies_base_directory="gs://labkit-staging/monitoring",
    )
    job_id = job.resource_name.rsplit("/", 1)[-1]

    def window(instances):
        for start in range(0, len(instances), 100):
            endpoint.predict(instances=[{k: [v] for k, v in r.items()} for r in instances[start:start + 100]])
        return httpx.post(f"{vertex.url}/_mock/monitoring/{job_id}:run").json()

    calm = window(rows(rng, 300))
    assert calm["instances"] == 300 and calm["objectives"][0]["anomalies"] == []
    shifted = window(rows(rng, 300, income_shift=30))
    assert shifted["objectives"][0]["anomalies"] == ["income"]

    pager = job.api_client.search_model_deployment_monitoring_stats_anomalies(request={
        "model_deployment_monitoring_job": job.resource_name,
        "deployed_model_id": endpoint.list_models()[0].id,
        "objectives": [{"type_": 1}],
    })
    stats = {f.feature_display_name: f for s in pager for f in s.feature_stats}
    income = [p.distribution_deviation for p in stats["income"].prediction_stats]
    age = [p.distribution_deviation for p in stats["age"].prediction_stats]
    assert income[0] < 0.3 < income[1] and max(age) < 0.3
    assert stats["income"].prediction_stats[1].anomaly_detection_threshold == pytest.approx(0.3)
    written = [b.name for b in storage_client().list_blobs("labkit-staging", prefix="monitoring/")]
    assert written == ["monitoring/window-0001.json", "monitoring/window-0002.json"]
