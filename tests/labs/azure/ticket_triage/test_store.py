"""Graded: durable results and resume (store.py, run.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  store__overwrites_results.py   INSERT OR REPLACE: a second result silently replaces the first
  store__commit_on_close.py      writes everything in one transaction committed at the end
  store__pending_ignores_results.py  resume sends every ticket again
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def row(ticket_id, status="classified", **kw):
    return {"ticket_id": ticket_id, "status": status, "category": "bug", "priority": "low",
            "summary": "s", **kw}


@pytest.mark.exercise(10)
@pytest.mark.points(2)
def test_each_ticket_has_one_committed_result_and_pending_skips_it(lab, tmp_path):
    store_mod = lab("store")
    path = tmp_path / "r.db"
    store = store_mod.ResultStore(path)
    store.record([row("a"), row("b", "failed", reason="timeout")])
    other = sqlite3.connect(path)  # another process's view: only committed rows are visible
    seen = other.execute("SELECT ticket_id FROM results ORDER BY ticket_id").fetchall()
    assert seen == [("a",), ("b",)], (
        f"another connection sees {seen}: commit each record() call so results survive a crash.")
    store.record([row("a", "failed", reason="late duplicate")])
    status = other.execute("SELECT status FROM results WHERE ticket_id='a'").fetchone()[0]
    assert status == "classified", (
        "a ticket's first result must stay: a second record() for the same id must not replace it "
        "(ON CONFLICT DO NOTHING, not INSERT OR REPLACE).")
    pending = store.pending([{"id": "a"}, {"id": "c"}, {"id": "b"}, {"id": "d"}])
    assert [t["id"] for t in pending] == ["c", "d"], (
        f"pending() returned {[t['id'] for t in pending]}; it must keep, in order, only tickets without a result.")
    store.close()


def _run_lab_cmd(run_module, argv):
    """A command running the lab's run.main(argv) in a fresh process, from the same lab root."""
    root = Path(run_module.__file__).resolve().parents[3]
    # Grading one exercise: the child runs the other exercises' reference code, as this test does.
    code = ("import sys; from shared.grading.labroot import install_lab_root; "
            f"install_lab_root({str(root)!r}); "
            "from shared.grading.exercises import apply_reference_from_env; apply_reference_from_env(); "
            "import importlib; m = importlib.import_module('labs.azure.ticket_triage.run'); "
            "from shared.labrun import unfinished_exit\n"
            f"try:\n    sys.exit(m.main({argv!r}))\n"
            "except NotImplementedError as exc:\n    sys.exit(unfinished_exit(exc) or 1)")
    return [sys.executable, "-c", code]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.exercise(10)
@pytest.mark.points(3, timeout=120)
def test_resume_after_sigkill_finishes_each_ticket_exactly_once(lab, tmp_path):
    run = lab("run")
    out = tmp_path / "out"
    db = out / "results.db"
    argv = ["--limit", "30", "--batch-size", "1", "--concurrency", "1", "--out", str(out), "--no-mlflow"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(_run_lab_cmd(run, argv), env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _count(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    ended_alone = proc.poll()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if ended_alone:
        lines = proc.stderr.read().decode("utf-8", "replace").strip().splitlines() or ["(no output)"]
        why = next((line for line in lines if "not done yet" in line), lines[-1])
        pytest.fail(f"the run stopped by itself before it could be killed: {why[:500]}")
    saved = _count(db)
    assert 3 <= saved < 30, (
        f"the run killed mid-way had {saved} results saved: write each result as soon as its "
        "ticket finishes (commit per batch), not at the end of the run.")
    resumed = subprocess.run(_run_lab_cmd(run, argv + ["--resume"]), env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=90)
    assert resumed.returncode == 0, f"the resumed run failed: {resumed.stderr[-1500:]}"
    with sqlite3.connect(db) as conn:
        total, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT ticket_id) FROM results").fetchone()
        sent = conn.execute("SELECT COALESCE(SUM(n_tickets), 0) FROM calls WHERE outcome = 'ok'").fetchone()[0]
    assert total == distinct == 30, f"after resume: {total} results for {distinct} tickets; expected 30, each once."
    assert sent <= 30 + 1, (
        f"{sent} tickets were sent across both runs for 30 tickets: a resumed run must send only "
        "the tickets without a result (at most the one in flight at the kill is sent twice).")
