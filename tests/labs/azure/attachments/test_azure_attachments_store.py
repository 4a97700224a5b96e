"""Graded: durable results (store.py) and a run that is stopped and resumed (analyze.py, store.py).

Mutants that these tests catch:
  store__overwrites_results.py    a second result replaces the first (an image counted twice)
  store__commit_on_close.py       results reach the disk only when the store is closed (a crash loses them)
  store__pending_ignores_results.py   a resumed run sends every image again
"""

from __future__ import annotations

import sqlite3

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as F
from azure_attachments_images import answer, png


@pytest.mark.exercise(8)
@pytest.mark.points(1)
def test_each_image_has_one_result_never_two(lab, tmp_path):
    store = lab("store").ResultStore(tmp_path / "r.db")
    assert store.record([{"image_id": "a", "status": "done", "type": "invoice", "fields": {"amount": "$1.00"},
                          "attempts": 1, "latency_s": 0.2, "transactions": 2}]) == 1
    assert store.record([{"image_id": "a", "status": "failed", "reason": "late"},
                         {"image_id": "b", "status": "refused", "reason": "too small"}]) == 1, (
        "a's second result must be ignored (and not counted as new); b is new")
    rows = {r["image_id"]: r for r in store.results()}
    assert rows["a"]["status"] == "done" and rows["a"]["fields"] == {"amount": "$1.00"}, "the first result stays"
    with pytest.raises(ValueError):
        store.record([{"image_id": "c", "status": "done"}, {"image_id": "d", "status": "lost"}])
    assert store.count() == 2, "a batch with a bad status is written not at all (roll back)"


@pytest.mark.exercise(8)
@pytest.mark.points(1)
def test_results_are_on_disk_as_soon_as_recorded(lab, tmp_path):
    store = lab("store").ResultStore(tmp_path / "r.db")
    store.record([{"image_id": "a", "status": "done", "type": "invoice"}])
    other = sqlite3.connect(tmp_path / "r.db")  # another process's view, before this one closes
    found = other.execute("SELECT image_id, status FROM results").fetchall()
    other.close()
    assert found == [("a", "done")], "commit each result before record() returns: a crash must not lose it"


class Image:
    def __init__(self, id, data=None):
        self.id, self._data = id, data or png()

    def read(self):
        return self._data


@pytest.mark.exercise(8)
@pytest.mark.points(1)
def test_pending_is_what_has_no_result_in_order(lab, tmp_path):
    store = lab("store").ResultStore(tmp_path / "r.db")
    images = [Image(i) for i in ("c", "a", "d", "b")]
    store.record([{"image_id": "a", "status": "done"}, {"image_id": "d", "status": "failed", "reason": "x"}])
    assert [i.id for i in store.pending(images)] == ["c", "b"]


@pytest.mark.exercise(8)
@pytest.mark.points(1)
def test_a_stopped_run_resumes_without_losing_or_repeating_an_image(lab, connection, azure_vision, tmp_path):
    analyze, store_mod = lab("analyze"), lab("store")
    store = store_mod.ResultStore(tmp_path / "r.db")
    images = [Image("a"), Image("b", png(30, 30)), Image("c"), Image("d")]
    cfg = analyze.AnalyzeConfig(features=[F.READ, F.TAGS], concurrency=1)
    client = lab("client").make_client(connection)
    azure_vision.control.script({"body": answer(lines=["Error code: E1042"])}, {"error": "quota"})
    with pytest.raises(analyze.ServiceError):
        analyze.Analyzer(client, store, cfg, sleep=lambda s: None).run(images)
    first = {r["image_id"]: r["status"] for r in store.results()}
    assert first == {"a": "done", "b": "refused"}, f"a done, b refused before the quota ran out: {first}"
    again = store_mod.ResultStore(tmp_path / "r.db")
    pending = again.pending(images)
    assert [i.id for i in pending] == ["c", "d"], "resume sends only what has no result"
    azure_vision.control.script({"body": answer(lines=["SHIP TO:", "TRACKING # RP123456789US"])},
                                {"body": answer(lines=["DataVault Settings", "Time zone", "Dark theme"])})
    analyze.Analyzer(client, again, cfg, sleep=lambda s: None).run(pending)
    rows = {r["image_id"]: (r["status"], r["type"]) for r in again.results()}
    assert rows == {"a": ("done", "error_screenshot"), "b": ("refused", None), "c": ("done", "shipping_label"),
                    "d": ("done", "config_screen")}, rows
