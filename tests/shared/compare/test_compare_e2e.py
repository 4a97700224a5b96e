"""`labkit compare tickets` end to end in mock mode, on a few tickets: both labs really run."""

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from shared.compare import CompareOptions, compare_tickets
from shared.compare.collect import gcp_run_from, run_azure, same_items
from shared.compare.records import summary_row
from shared.compare.report import findings
from tests.once import computed_once


def options(out: Path) -> CompareOptions:
    """A few tickets; the GCP lab trains on the first 1,000 (the rerun must ask for the same)."""
    return CompareOptions(out=out, limit=30, per_window=2, gcp_train_size=1000)


@pytest.fixture(scope="module")
def compared(tmp_path_factory, azure_openai_server, vertex_server):
    """One comparison per test run, whichever worker runs these tests (both labs train and serve)."""

    def compare(out):
        # The emulators are process-wide: start from a clean state, whatever an earlier test queued
        # (a test that injects more faults than it uses would otherwise fail this one).
        azure_openai_server.control.reset()
        vertex_server.reset()
        paths = compare_tickets(options(out))
        return {"out": str(out), **{kind: str(path) for kind, path in paths.items()}}

    saved = computed_once(tmp_path_factory, "compare-e2e", compare)
    return Path(saved.pop("out")), {kind: Path(path) for kind, path in saved.items()}


@pytest.mark.slow
def test_report_numbers_come_from_the_labs_own_records(compared):
    out, paths = compared
    figures = json.loads(paths["json"].read_text())["stacks"]
    with sqlite3.connect(out / "azure" / "test" / "results.db") as db:
        rows = db.execute("SELECT ticket_id, category FROM results").fetchall()
    from shared.datasets.tickets import generate

    truth = {t["id"]: t["category"] for t in generate(0).test}
    expected = sum(truth[i] == c for i, c in rows) / len(rows)
    assert len(rows) == 30
    assert figures["azure"]["accuracy"] is None, "an emulated stand-in's quality is not a result"
    assert figures["azure"]["stand_in_check"]["accuracy"] == pytest.approx(expected)
    assert figures["azure"]["items"] == figures["gcp"]["items"] == 30, "both stacks on the same tickets"
    gcp_lines = (out / "gcp" / "predictions" / "test.jsonl").read_text().splitlines()
    gcp = {r["id"]: r for r in map(json.loads, gcp_lines) if r["id"] in truth and r["id"] in dict(rows)}
    gcp_acc = sum(r["category"] == r["true_category"] for r in gcp.values()) / len(gcp)
    assert figures["gcp"]["accuracy"] == pytest.approx(gcp_acc)
    gcp_results = json.loads((out / "gcp" / "results.json").read_text())
    assert "first 1000 training tickets" in gcp_results["train"]["data"]["train"], "the lab says what it trained on"
    monitored = gcp_results["monitor"]
    assert "retraining" not in monitored, "compare runs the monitor stage with --no-retrain"


@pytest.mark.slow
def test_every_emulated_figure_is_labelled(compared):
    _, paths = compared
    page, md = paths["html"].read_text(), paths["markdown"].read_text()
    for text in (page, md):
        assert "Azure OpenAI (AI-102 way) (emulated)" in text
        assert "Custom TensorFlow on Vertex AI (PMLE way) (emulated)" in text
        assert "stand-in model" in text
    for chart in ("accuracy_per_window", "cost_vs_volume", "latency"):
        assert paths[chart].stat().st_size > 1000


@pytest.mark.slow
def test_rerun_resumes_instead_of_redoing(compared, tmp_path):
    out = tmp_path / "compare"  # a copy: the other tests (maybe on another worker) read the first run's files
    shutil.copytree(compared[0], out)
    with sqlite3.connect(out / "azure" / "test" / "results.db") as db:
        calls_before = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    trained_at = (out / "gcp" / "results.json").stat().st_mtime_ns
    compare_tickets(options(out))
    assert (out / "gcp" / "results.json").stat().st_mtime_ns == trained_at, "GCP stages were not redone"
    with sqlite3.connect(out / "azure" / "test" / "results.db") as db:
        calls_after = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        results = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert calls_after == calls_before and results == 30


@pytest.mark.slow
def test_a_cassette_feeds_the_azure_side(compared, monkeypatch):
    """Record the Azure side once (here against the emulator, standing in for a real endpoint), then
    replay it offline: the Azure quality becomes a result, labelled from the cassette's own metadata."""
    from mocks.azure_openai.server import local_emulator

    out, _ = compared
    emulator = local_emulator()
    for name, value in {"AZURE_OPENAI_ENDPOINT": emulator.url, "AZURE_OPENAI_API_KEY": emulator.api_key,
                        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-mini"}.items():
        monkeypatch.setenv(name, value)
    cassette = out / "tickets.cassette.jsonl"
    opts = dict(out=out, limit=4, per_window=1, azure_cassette=cassette)
    recorded = run_azure(CompareOptions(**opts, azure_record=True))  # the Azure side alone: no report needed
    assert recorded.quality_source is None, "answers from labkit's emulator stay 'not measured'"
    assert "recorded from gpt-4o-mini on labkit's emulator" in recorded.stand_in

    # A real deployment's answers carry its own fingerprint; give the recording one, so it stands
    # in for a cassette recorded from Azure. Replay matches requests, so answers may differ.
    cassette.write_text(cassette.read_text().replace("fp_labkit", "fp_0ba2a8a4f3"))
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")  # replay needs no credentials
    last_before = emulator.backend.requests(limit=1)  # the log is capped: compare its last entry
    replayed = run_azure(CompareOptions(**opts))
    assert emulator.backend.requests(limit=1) == last_before, "the replay sent nothing to a service"
    runs = same_items([replayed, gcp_run_from(out / "gcp", tuned=False, emulated=True)])
    figures = {r.stack: summary_row(r) for r in runs}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert figures["azure"]["quality_source"] == f"recorded from gpt-4o-mini, {today}"
    assert figures["azure"]["macro_f1"] is not None and figures["azure"]["items"] == 4
    assert figures["azure"]["speed_source"].startswith("replayed")
    assert any(f"recorded from gpt-4o-mini, {today}" in s and "macro-F1" in s for s in findings(runs, figures))
