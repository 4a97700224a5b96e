"""Graded tests of the GCP attachments lab: tracking, deployment through the Vertex emulator,
drift monitoring on image statistics."""

from __future__ import annotations

import base64
import math

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.labs.gcp.attachments.conftest import IMAGE_SIZE, LAB, encoded

# Exercise 6: tracking -----------------------------------------------------------------------

@pytest.mark.exercise(6)
@pytest.mark.points(3, timeout=120)
def test_log_training_records_params_every_epoch_and_the_confusion_matrix(lab_module, tmp_path):
    """Catches track__last_epoch_only."""
    import mlflow

    track = lab_module(LAB, "track")
    history = {"loss": [1.2, 0.7, 0.4], "val_macro_f1": [0.5, 0.8, 0.85]}
    confusion = [[5, 1, 0, 0, 0], [0, 4, 0, 0, 0], [0, 0, 3, 1, 0], [0, 0, 0, 2, 0], [0, 0, 0, 0, 1]]
    with track.start_run("graded") as run:
        track.log_training({"filters": 16, "learning_rate": 0.003}, history, confusion, tmp_path)
    client = mlflow.MlflowClient()
    for name, values in history.items():
        logged = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, name))
        assert logged == list(enumerate(values)), (
            f"MLflow holds {logged} for {name!r}; expected one point per epoch, step = epoch from 0: "
            f"{list(enumerate(values))}")
    assert client.get_run(run.info.run_id).data.params == {"filters": "16", "learning_rate": "0.003"}
    artefacts = [a.path for a in client.list_artifacts(run.info.run_id, "plots")]
    assert "plots/confusion.png" in artefacts, f"the confusion matrix PNG must be logged under plots/: {artefacts}"


# Exercise 7: deploy -------------------------------------------------------------------------

@pytest.mark.exercise(7)
@pytest.mark.points(2, timeout=120)
def test_encode_instances_and_request_batches(lab_module):
    """Catches deploy__batches_by_count."""
    deploy = lab_module(LAB, "deploy")
    datas = [bytes(range(256)) * 3, b"\xfb\xff\xfe"]
    instances = deploy.encode_instances(datas)
    assert [list(i) for i in instances] == [["image_bytes"], ["image_bytes"]], instances
    assert [base64.b64decode(i["image_bytes"]["b64"], validate=True) for i in instances] == datas, (
        "each instance is {'image_bytes': {'b64': standard base64 text of the file}}")
    sizes = [300, 300, 300, 90, 600]  # encoded: 440, 440, 440, 160, 840 bytes of a 1000-byte budget (900)
    groups = deploy.request_batches([b"x" * n for n in sizes], limit=1000, max_images=3)
    assert groups == [[0, 1], [2, 3], [4]], (
        f"got {groups}: a request holds images while their base64 (+40 bytes each) stays under 90% "
        "of the limit, at most max_images")
    assert deploy.request_batches([b"x" * 10] * 5, limit=10_000, max_images=2) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="3"):
        deploy.request_batches([b"x", b"x", b"x", b"x" * 5000], limit=1000)


@pytest.fixture(scope="module")
def endpoint_cache():
    return {}


def _endpoint(lab_module, images, cache, tmp_path_factory):
    """A tiny untrained CNN (its weights do not matter here) exported and deployed."""
    from shared.config import load_settings
    from shared.gcp import vertex_connection

    deploy, model = lab_module(LAB, "deploy"), lab_module(LAB, "model")
    if "export" not in cache:
        lab_module(LAB, "data").tf().keras.utils.set_random_seed(0)
        cache["export"] = model.export_model(model.build_model(filters=4, size=IMAGE_SIZE),
                                             tmp_path_factory.mktemp("export") / "m", size=IMAGE_SIZE)
    conn = vertex_connection(load_settings("mock", environ={}, dotenv_path="/nonexistent"))
    return deploy, deploy.deploy_model(deploy.upload_model(cache["export"], conn)), cache["export"]


@pytest.mark.exercise(7)
@pytest.mark.points(3, timeout=180)
def test_deploy_and_predict_image_bytes_through_the_emulator(lab_module, images, vertex, endpoint_cache,
                                                            tmp_path_factory):
    classify = lab_module(LAB, "classify")
    deploy, endpoint, export = _endpoint(lab_module, images, endpoint_cache, tmp_path_factory)
    items = images(lab_module).splits.test[:12]
    remote = classify.classify(deploy.endpoint_predictor(endpoint), items, batches=deploy.request_batches)
    local = classify.classify(classify.local_predictor(export), items)
    assert [r["predicted_type"] for r in remote] == [r["predicted_type"] for r in local], (
        "the endpoint's answers differ from the exported model's on the same images")
    assert all(abs(a["confidence"] - b["confidence"]) < 1e-5 for a, b in zip(remote, local, strict=True))


def _fault(vertex, status, count):
    httpx.post(vertex.url + "/_mock/faults",
               json={"method": "predict", "status": status, "count": count}).raise_for_status()


@pytest.mark.exercise(7)
@pytest.mark.points(2, timeout=180)
@pytest.mark.parametrize("status", [429, 503])
def test_predict_retries_on_429_and_503(lab_module, images, vertex, endpoint_cache, tmp_path_factory, status):
    """Catches deploy__retry_429_only."""
    deploy, endpoint, _ = _endpoint(lab_module, images, endpoint_cache, tmp_path_factory)
    instances = deploy.encode_instances([images(lab_module).splits.test[0].data])
    _fault(vertex, status, 2)
    errors = []
    rows = deploy.predict_with_retries(endpoint, instances, initial=0.01, on_error=errors.append)
    assert len(rows) == 1 and len(errors) == 2, (
        f"two refused calls ({status}) must be retried and the third succeed; errors seen: {errors}")


@pytest.mark.exercise(7)
@pytest.mark.points(2, timeout=180)
def test_predict_gives_up(lab_module, images, vertex, endpoint_cache, tmp_path_factory):
    """Catches deploy__retries_everything."""
    from google.api_core import exceptions as gexc

    deploy, endpoint, _ = _endpoint(lab_module, images, endpoint_cache, tmp_path_factory)
    instances = deploy.encode_instances([images(lab_module).splits.test[0].data])
    errors = []
    _fault(vertex, "INVALID_ARGUMENT", 1)
    with pytest.raises(gexc.BadRequest):
        deploy.predict_with_retries(endpoint, instances, initial=0.01, deadline=2, on_error=errors.append)
    assert errors == [], "a 400 cannot be fixed by retrying: raise it at once"
    _fault(vertex, 503, 1000)
    with pytest.raises((gexc.RetryError, gexc.ServiceUnavailable)):
        deploy.predict_with_retries(endpoint, instances, initial=0.01, deadline=0.5, on_error=errors.append)
    assert len(errors) >= 2, "503s are retried until the deadline, then the error is raised"


# Exercise 8: monitor ------------------------------------------------------------------------

@pytest.mark.exercise(8)
@pytest.mark.points(3, timeout=120)
def test_image_statistics_against_hand_computed_values(lab_module):
    """Catches monitor__sharpness_without_log."""
    monitor = lab_module(LAB, "monitor")
    flat = monitor.image_statistics(encoded(Image.new("L", (120, 60), 100)))
    assert flat == pytest.approx({"brightness": 100, "contrast": 0, "sharpness": 0, "aspect_ratio": 2.0}), flat
    board = np.indices((40, 40)).sum(axis=0) % 2 * 255  # one-pixel checkerboard
    stats = monitor.image_statistics(encoded(Image.fromarray(board.astype(np.uint8))))
    assert stats["brightness"] == pytest.approx(127.5) and stats["contrast"] == pytest.approx(127.5)
    assert stats["sharpness"] == pytest.approx(math.log10(1 + 1020.0 ** 2)), (
        "sharpness = log10(1 + variance of the Laplacian 4*g[y,x] - its 4 neighbours): here every "
        f"Laplacian is +-1020, so log10(1 + 1020^2) = 6.02; got {stats['sharpness']}")
    gradient = np.tile(np.linspace(0, 255, 1024), (512, 1)).astype(np.uint8)
    big = monitor.image_statistics(encoded(Image.fromarray(gradient)))
    assert big["aspect_ratio"] == pytest.approx(2.0)
    assert big["sharpness"] < 1.0, (
        f"a smooth 1024 x 512 gradient scaled to {monitor.STATS_SIDE} px is still smooth; sharpness "
        f"{big['sharpness']:.2f} means the statistics were not computed on the scaled copy")


@pytest.mark.exercise(8)
@pytest.mark.points(2, timeout=120)
def test_window_drift_statistics_and_thresholds(lab_module):
    """Catches monitor__one_threshold_for_all."""
    monitor = lab_module(LAB, "monitor")
    baseline = {"brightness": [float(v) for v in range(10)], "predicted_type": ["invoice"] * 4 + ["other"] * 4}
    current = {"brightness": [0.0] * 10, "predicted_type": ["invoice"] * 6 + ["other"] * 2}
    drifts = {d.name: d for d in monitor.window_drift(baseline, current)}
    js = (0.1 * math.log2(0.1 / 0.55) + 0.9 + math.log2(1 / 0.55)) / 2
    assert drifts["brightness"].distance == pytest.approx(js, abs=1e-9) and drifts["brightness"].drifted, (
        f"brightness is numerical: Jensen-Shannon {js:.3f} expected, got {drifts['brightness'].distance:.3f}")
    assert drifts["predicted_type"].distance == pytest.approx(0.25) and drifts["predicted_type"].drifted, (
        "predicted_type is categorical (L-infinity 0.25) with its own threshold 0.2: it must alert")
    quiet = {d.name: d for d in monitor.window_drift(baseline, current, {"predicted_type": 0.3})}
    assert not quiet["predicted_type"].drifted, "thresholds given to window_drift override THRESHOLDS"


EXPECTED_FEATURE = {"dark_mode": "brightness"}


@pytest.mark.exercise(8)
@pytest.mark.points(3, timeout=180)
def test_drift_scenarios_alert_and_the_stable_stream_stays_quiet(lab_module, images):
    """Input statistics of 50-image windows against the training images. Catches
    monitor__one_threshold_for_all."""
    monitor = lab_module(LAB, "monitor")
    got = images(lab_module)
    baseline = monitor.input_features(got.splits.train)
    for scenario in ("none", *EXPECTED_FEATURE):
        for window in (0, 1):  # the drift starts at window 1
            current = monitor.input_features(got.window(lab_module, scenario, window))
            alerts = [d.name for d in monitor.window_drift(baseline, current) if d.drifted]
            if scenario == "none" or window < 1:
                assert not alerts, f"false alarm on {scenario} window {window} (no drift yet): {alerts}"
            else:
                assert EXPECTED_FEATURE[scenario] in alerts, (
                    f"{scenario} window {window}: expected an alert on {EXPECTED_FEATURE[scenario]}, got {alerts}")


@pytest.mark.exercise(8)
@pytest.mark.points(2, timeout=180)
def test_ten_image_windows_use_thresholds_for_their_size(lab_module, images):
    """At 10 images a window chance alone moves the statistics past the 50-image thresholds;
    monitor_windows hands window_drift thresholds raised to the chance level at that size, so
    the drift-free stream stays quiet while dark mode still alerts. Catches
    monitor__ignores_given_thresholds."""
    monitor = lab_module(LAB, "monitor")
    got = images(lab_module)
    baseline = monitor.input_features(got.splits.train)  # the input statistics only

    def tens(scenario, window):
        items = got.window(lab_module, scenario, window)
        return [items[k:k + 10] for k in range(0, len(items), 10)]

    def alerts(windows):
        answers = [[{"predicted_type": i.type, "confidence": 1.0} for i in w] for w in windows]
        return [r.alerts for r in monitor.monitor_windows(baseline, windows, answers)]

    quiet = alerts(tens("none", 0) + tens("none", 1))
    assert not any(quiet), f"false alarms on 10-image windows of the drift-free stream: {quiet}"
    dark = alerts(tens("dark_mode", 1))
    assert any("brightness" in a for a in dark), f"dark mode must still alert at 10 images a window: {dark}"
