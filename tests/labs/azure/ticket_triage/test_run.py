"""Graded: the whole lab end to end in mock mode (run.py): results, summary, MLflow run.

Catches a run that prints the summary but loses tickets, or logs nothing to MLflow.
"""

from __future__ import annotations

import pytest


@pytest.mark.exercise(11)
@pytest.mark.points(1)
def test_run_classifies_every_ticket_and_reports(lab, azure_openai, tmp_path, monkeypatch, capsys):
    run, store_mod = lab("run"), lab("store")
    monkeypatch.chdir(tmp_path)
    assert run.main(["--limit", "12", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "category accuracy" in printed and "estimated cost" in printed, (
        "print the summary table (accuracy, macro-F1, tokens, cost, latency, 429s).")
    with store_mod.ResultStore(tmp_path / "o" / "results.db") as store:
        assert store.count() == 12, f"{store.count()} results for 12 tickets: every ticket must end with one."
    import mlflow  # here, not at the top: grading one exercise collects every test module

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert runs and "category_macro_f1" in runs[0].data.metrics, "log the figures to an MLflow run."
