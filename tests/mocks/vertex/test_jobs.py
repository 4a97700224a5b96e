"""CustomJob and HyperparameterTuningJob through the real aiplatform SDK.

Jobs run inside the create call under the ``immediate`` state rule, so the SDK finds them
finished at its first poll. The one test that uses the ``delay`` rule sets
``aiplatform.jobs._JOB_WAIT_TIME`` to 0.05 s with monkeypatch, so it waits ~1 s (the delay), not 5 s per poll.
"""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from google.cloud import aiplatform
from google.cloud.aiplatform import hyperparameter_tuning as hpt

from mocks.vertex.examples.quadratic_trainer import score
from shared.gcp import storage_client
from tests.mocks.vertex.conftest import SERVING_IMAGE

TRAIN_IMAGE = "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-14.py310:latest"


def worker_pool(module: str, args: list[str], package_uris: list[str] | None = None) -> list[dict]:
    return [{
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "python_package_spec": {
            "executor_image_uri": TRAIN_IMAGE, "package_uris": package_uris or [],
            "python_module": module, "args": args,
        },
    }]


def custom_job(module: str, args: list[str], base: str = "gs://labkit-staging/jobs/run1", **kw):
    return aiplatform.CustomJob(
        display_name="job", worker_pool_specs=worker_pool(module, args, **kw), base_output_dir=base
    )


@pytest.mark.slow
def test_custom_job_trains_and_writes_to_aip_model_dir_and_the_model_serves(vertex):
    job = custom_job("mocks.vertex.examples.tiny_trainer", ["--epochs=60"])
    job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    names = [b.name for b in storage_client().list_blobs("labkit-staging", prefix="jobs/run1/model/")]
    assert "jobs/run1/model/saved_model.pb" in names

    model = aiplatform.Model.upload(
        display_name="line", artifact_uri="gs://labkit-staging/jobs/run1/model",
        serving_container_image_uri=SERVING_IMAGE,
    )
    endpoint = model.deploy(machine_type="n1-standard-2")
    predictions = endpoint.predict(instances=[[0.5], [-0.5]]).predictions
    assert np.allclose(predictions, [[2.0], [0.0]], atol=0.1)  # y = 2x + 1 was learnt
    assert "model written to gs://labkit-staging/jobs/run1/model/" in vertex.backend.job_log(job.name)


def test_failing_job_reports_the_error_and_the_log(vertex):
    job = custom_job("mocks.vertex.examples.quadratic_trainer", ["--x=1", "--fail_above=0.5"])
    with pytest.raises(RuntimeError, match="non-zero status of 1"):
        job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_FAILED
    assert "failing on purpose" in job.gca_resource.error.message


def test_package_uris_in_the_bucket_are_unpacked_onto_the_path(vertex, tmp_path):
    """A source tarball like CustomJob.from_local_script uploads: NAME-VERSION/setup.py + pkg."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in {
            "trainer-0.1/setup.py": "",
            "trainer-0.1/trainer/__init__.py": "",
            "trainer-0.1/trainer/task.py": (
                "import os, sys\n"
                "from shared.gcp import storage_client\n"
                "b, _, p = os.environ['AIP_MODEL_DIR'][5:].partition('/')\n"
                "storage_client().bucket(b).blob(p + 'args.txt').upload_from_string(' '.join(sys.argv[1:]))\n"
            ),
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bucket = storage_client().bucket("labkit-staging")
    bucket.blob("pkgs/trainer-0.1.tar.gz").upload_from_string(buffer.getvalue())
    job = custom_job("trainer.task", ["--alpha=1"], package_uris=["gs://labkit-staging/pkgs/trainer-0.1.tar.gz"])
    job.run()
    assert bucket.blob("jobs/run1/model/args.txt").download_as_text() == "--alpha=1"


def test_manual_rule_keeps_a_job_pending_until_cancelled(vertex):
    vertex.backend.set_config(state_rule="manual")
    job = custom_job("mocks.vertex.examples.quadratic_trainer", [])
    job.run(sync=False)
    job.wait_for_resource_creation()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_PENDING
    job.cancel()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_CANCELLED


def test_delay_rule_reveals_the_result_after_the_delay(vertex, monkeypatch):
    monkeypatch.setattr(aiplatform.jobs, "_JOB_WAIT_TIME", 0.05)
    vertex.backend.set_config(state_rule="delay:1")
    job = custom_job("mocks.vertex.examples.quadratic_trainer", [])
    job.submit()
    assert job.state in (aiplatform.gapic.JobState.JOB_STATE_QUEUED, aiplatform.gapic.JobState.JOB_STATE_RUNNING)
    job._block_until_complete()  # the SDK's own polling loop (what run() uses); wait() does not poll after submit()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED


PARAMETERS = {
    "x": hpt.DoubleParameterSpec(min=0, max=1, scale="linear"),
    "lr": hpt.DoubleParameterSpec(min=1e-4, max=1, scale="log"),
    "optimizer": hpt.CategoricalParameterSpec(values=["adam", "sgd", "rmsprop"]),
    "layers": hpt.IntegerParameterSpec(min=1, max=5, scale="linear"),
}


def run_tuning(goal: str, trials: int = 6, parallel: int = 2, extra_args=()):
    job = custom_job("mocks.vertex.examples.quadratic_trainer", ["--metric=score", *extra_args])
    tuning = aiplatform.HyperparameterTuningJob(
        display_name="tune", custom_job=job, metric_spec={"score": goal},
        parameter_spec=PARAMETERS, max_trial_count=trials, parallel_trial_count=parallel,
    )
    tuning.run()
    return tuning


def trial_params(trial) -> dict:
    return {p.parameter_id: p.value for p in trial.parameters}


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_tuning_job_runs_the_trials_and_marks_the_best(vertex, goal):
    tuning = run_tuning(goal)
    trials = tuning.trials
    assert len(trials) == 6 and [t.id for t in trials] == ["1", "2", "3", "4", "5", "6"]
    for trial in trials:
        p = trial_params(trial)
        assert 0 <= p["x"] <= 1 and 1e-4 <= p["lr"] <= 1 and p["optimizer"] in ("adam", "sgd", "rmsprop")
        assert p["layers"] == int(p["layers"])
        # the metric is the trainer's last report (the step-2 line), which equals score(...)
        reported = trial.final_measurement.metrics[0].value
        assert reported == pytest.approx(score(p["x"], p["lr"], p["optimizer"], int(p["layers"])))
        assert trial.final_measurement.step_count == 2
    values = {t.id: t.final_measurement.metrics[0].value for t in trials}
    best = (max if goal == "maximize" else min)(values, key=values.get)
    assert tuning.labels["labkit_best_trial"] == best


def test_failed_trials_are_infeasible_and_the_job_still_succeeds(vertex):
    tuning = run_tuning("maximize", trials=6, extra_args=["--fail_above=0.2"])
    states = {t.id: (t.state, trial_params(t)["x"]) for t in tuning.trials}
    assert any(x > 0.2 for _, x in states.values()) and any(x <= 0.2 for _, x in states.values())
    for state, x in states.values():
        assert state == (aiplatform.gapic.Trial.State.INFEASIBLE if x > 0.2 else aiplatform.gapic.Trial.State.SUCCEEDED)
