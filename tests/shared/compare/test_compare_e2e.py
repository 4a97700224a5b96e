"""`labkit compare tickets` end to end in mock mode, on a few tickets: both labs really run."""

import json
import sqlite3

import pytest

from shared.compare import CompareOptions, compare_tickets


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    paths = compare_tickets(CompareOptions(out=out, limit=30, per_window=2))
    return out, paths


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
    assert figures["azure"]["accuracy"] == pytest.approx(expected)
    assert figures["azure"]["tickets"] == figures["gcp"]["tickets"] == 30, "both stacks on the same tickets"
    gcp_lines = (out / "gcp" / "predictions" / "test.jsonl").read_text().splitlines()
    gcp = {r["id"]: r for r in map(json.loads, gcp_lines) if r["id"] in truth and r["id"] in dict(rows)}
    gcp_acc = sum(r["category"] == r["true_category"] for r in gcp.values()) / len(gcp)
    assert figures["gcp"]["accuracy"] == pytest.approx(gcp_acc)


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
def test_rerun_resumes_instead_of_redoing(compared):
    out, _ = compared
    with sqlite3.connect(out / "azure" / "test" / "results.db") as db:
        calls_before = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    trained_at = (out / "gcp" / "results.json").stat().st_mtime_ns
    compare_tickets(CompareOptions(out=out, limit=30, per_window=2))
    assert (out / "gcp" / "results.json").stat().st_mtime_ns == trained_at, "GCP stages were not redone"
    with sqlite3.connect(out / "azure" / "test" / "results.db") as db:
        calls_after = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        results = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert calls_after == calls_before and results == 30
