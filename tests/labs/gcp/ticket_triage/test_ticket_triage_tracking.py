"""Graded: tracking. Every epoch's metrics reach MLflow with the epoch as the step.

A plausible wrong answer logs only the final value, or logs every epoch at step 0: both lose
this test's points (see tests/mutants/gcp/ticket_triage/track__*.py).
"""

from __future__ import annotations

import pytest

from tests.labs.gcp.ticket_triage.conftest import LAB

HISTORY = {"loss": [0.9, 0.5, 0.3], "val_macro_f1": [0.6, 0.7, 0.75]}


@pytest.mark.exercise(7)
@pytest.mark.points(2)
def test_log_history_records_every_epoch_with_its_step(lab_module):
    import mlflow

    track = lab_module(LAB, "track")
    with track.tracked_run("history test", {"learning_rate": 0.01}) as run:
        track.log_history(HISTORY)
    client = mlflow.MlflowClient()
    for name, values in HISTORY.items():
        logged = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, name))
        assert logged == list(enumerate(values)), (
            f"MLflow holds {logged} for '{name}'; expected one point per epoch, "
            f"{list(enumerate(values))}. Hint: log each value with step=epoch, so the curve shows.")
    params = client.get_run(run.info.run_id).data.params
    assert params == {"learning_rate": "0.01"}, f"parameters logged: {params}"
