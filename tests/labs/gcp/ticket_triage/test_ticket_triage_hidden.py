"""Hidden graded tests of the GCP ticket-triage lab: instructor-only, left out of releases.

The same rules as the visible tests, on inputs the learner has not seen. Worth 6 of the lab's
75 points (about 8%).
"""

from __future__ import annotations

import json

import pytest

from tests.labs.gcp.ticket_triage.conftest import LAB

pytestmark = pytest.mark.hidden


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_normalise_on_other_text(lab_module):
    data = lab_module(LAB, "data")
    samples = ["ERROR E-4021 at 10:45 -- retry?", "Straße № 7, 2. Stock", "tab\tand\nnewline"]
    got = [s.decode() for s in data.normalise(data.tf().constant(samples)).numpy()]
    assert got[0] == "error e 0 at 0 0 retry", f"got {got[0]!r}"
    assert got == [data.normalise_text(s) for s in samples], "TensorFlow and Python normalisation disagree"


@pytest.mark.exercise(3)
@pytest.mark.points(2)
def test_macro_f1_with_a_class_never_predicted_and_one_never_present(lab_module):
    ev = lab_module(LAB, "evaluate")
    y_true = ["p", "p", "q", "q", "q", "s"]
    y_pred = ["p", "q", "q", "q", "p", "q"]
    # p: tp 1 fp 1 fn 1 -> 1/2; q: tp 2 fp 2 fn 1 -> 4/7; s (never predicted) -> 0;
    # r (absent on both sides) says nothing about the model and is left out of the mean
    assert ev.macro_f1(y_true, y_pred, ["p", "q", "r", "s"]) == pytest.approx((1 / 2 + 4 / 7 + 0) / 3)


@pytest.mark.exercise(5)
@pytest.mark.points(1)
def test_report_metric_for_another_trial_and_metric(lab_module, tmp_path, monkeypatch):
    trainer = lab_module(LAB, "trainer")
    path = tmp_path / "metrics" / "m.jsonl"
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(path))
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "12")
    for step, value in enumerate([0.1, 0.2, 0.3], start=1):
        trainer.report_metric("accuracy", value, step)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["global_step"] for x in lines] == ["1", "2", "3"] and lines[-1]["accuracy"] == "0.3"
    assert all(x["trial"] == "12" for x in lines)


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_language_and_oov_on_other_tickets(lab_module):
    monitor = lab_module(LAB, "monitor")
    assert monitor.guess_language("Die Rechnung ist falsch und wir brauchen eine Gutschrift") == "de"
    assert monitor.guess_language("La factura de mayo no es correcta para mi empresa") == "es"
    assert monitor.guess_language("Invoice INV-1 is wrong for my company") == "en"
    ticket = {"id": "h", "subject": "Alpha", "body": "beta gamma alpha", "product": "DataVault",
              "category": "bug", "priority": "low", "language": "en"}
    f = monitor.input_features([ticket], {"alpha"})
    assert f["length_tokens"] == [4] and f["oov_share"] == pytest.approx([0.5]), f
