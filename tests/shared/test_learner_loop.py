"""The learner's loop as a learner meets it: whose code runs, what an unfinished exercise says,
their own tickets as input, and the two tracebacks that used to end a run.

Everything runs the real console script in a fresh folder (the learner's working directory).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from shared.datasets.loading import InputError, load_tickets

LABKIT = str(Path(sys.executable).with_name("labkit"))


def labkit(*args, cwd, env=None, timeout=180):
    return subprocess.run([LABKIT, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """A learner's folder with both labs started (starter code only)."""
    folder = tmp_path_factory.mktemp("learner")
    for lab in ("azure/ticket_triage", "gcp/ticket_triage"):
        assert labkit("start", lab, cwd=folder).returncode == 0
    return folder


def _stopped_at(result, number: int, title: str, where: str, lab: str) -> None:
    assert result.returncode == 3, result.stdout[-800:] + result.stderr[-1500:]
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert f"Exercise {number}: {title} of {lab} is not done yet" in result.stderr, result.stderr
    assert where in result.stderr and f"labkit grade {lab} --exercise {number}" in result.stderr


def test_run_uses_the_learners_copy_and_stops_at_the_unfinished_exercise(learner):
    result = labkit("run", "azure/ticket_triage", "--limit", "3", "--no-mlflow", cwd=learner)
    assert result.stdout.splitlines()[0] == "azure/ticket_triage: running your copy in ./workspace"
    _stopped_at(result, 10, "Durability", "labs/azure/ticket_triage/store.py:ResultStore.pending",
                "azure/ticket_triage")
    assert "hint: read the finished ticket ids" in result.stderr


def test_gcp_run_stops_at_its_first_unfinished_exercise(learner):
    result = labkit("run", "gcp/ticket_triage", "--stage", "baseline", cwd=learner)
    assert result.stdout.splitlines()[0] == "gcp/ticket_triage: running your copy in ./workspace"
    _stopped_at(result, 2, "Baseline", "labs/gcp/ticket_triage/baseline.py:make_pipeline",
                "gcp/ticket_triage")


def test_compare_on_an_unfinished_copy_is_a_message(learner):
    result = labkit("compare", "tickets", "--limit", "5", "--per-window", "1", "--out", "cmp", cwd=learner)
    assert "azure/ticket_triage: running your copy in ./workspace" in result.stdout
    _stopped_at(result, 10, "Durability", "store.py:ResultStore.pending", "azure/ticket_triage")


def test_reference_flag_runs_the_kit_and_results_record_whose_code(learner):
    result = labkit("run", "azure/ticket_triage", "--reference", "--limit", "4", "--no-mlflow",
                    "--out", "ref", cwd=learner)
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.splitlines()[0] == "azure/ticket_triage: running the kit's reference solution"
    with sqlite3.connect(learner / "ref" / "results.db") as db:
        meta = json.loads(db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()[0])
    assert meta["code"] == "the kit's reference solution"


def test_run_lab_help_lists_the_labs_options(learner):
    result = labkit("run", "azure/ticket_triage", "--help", cwd=learner)
    assert result.returncode == 0
    for option in ("--input", "--limit", "--resume", "--workspace", "--reference"):
        assert option in result.stdout, option


def test_workspace_option_must_hold_the_lab(tmp_path):
    result = labkit("run", "azure/ticket_triage", "--workspace", "nowhere", cwd=tmp_path)
    assert result.returncode == 2 and "labkit start azure/ticket_triage" in result.stderr


# Their own tickets ---------------------------------------------------------------------------

BAD_INPUTS = {
    "empty.jsonl": (b"", "the file is empty"),
    "words.txt": (b"just some words\nand more\n", "line 1: the CSV header lacks"),
    "latin1.jsonl": ('{"id": "a", "subject": "Caf\u00e9", "body": "x"}\n'.encode("latin-1"), "line 1: not valid UTF-8"),
    "broken.jsonl": (b'{"id": "a", "subject": "s", "body": "b"}\n{"id": "b", "subj\n', "line 2: not valid JSON"),
    "nobody.jsonl": (b'{"id": "a", "subject": "s"}\n', "line 1: field 'body' is missing"),
    "twice.csv": (b"id,subject,body\na,s,b\nb,s,b\na,s,b\n", "line 4: id 'a' is already used on line 2"),
    "labels.jsonl": (b'{"id": "a", "subject": "s", "body": "b", "category": "billing", "priority": "urgent"}\n',
                     "line 1: field 'priority': unknown label 'urgent'"),
    "mixed.jsonl": (b'{"id": "a", "subject": "s", "body": "b", "category": "bug", "priority": "low"}\n'
                    b'{"id": "b", "subject": "s", "body": "b"}\n', "line 2: no category/priority"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_files_name_file_line_and_field(tmp_path, name):
    data, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_tickets(path)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value), str(caught.value)


def test_a_bad_input_file_exits_2_with_the_message(learner):
    (learner / "twice.csv").write_bytes(BAD_INPUTS["twice.csv"][0])
    result = labkit("run", "azure/ticket_triage", "--reference", "--input", "twice.csv", cwd=learner)
    assert result.returncode == 2 and "twice.csv, line 4: id 'a' is already used" in result.stderr
    assert "Traceback" not in result.stderr


def test_own_unlabelled_tickets_are_classified_and_a_huge_one_is_cut(learner):
    huge = "Export fails with an error.\n" + "2025-01-01 ERROR worker crashed, retrying\n" * 25_000
    assert len(huge) > 1_000_000
    rows = [{"id": "mine-1", "subject": "Refund please", "body": "We were charged twice on one invoice."},
            {"id": "mine-2", "subject": "Log attached", "body": huge}]
    (learner / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = labkit("run", "azure/ticket_triage", "--reference", "--input", "mine.jsonl", "--no-mlflow",
                    "--out", "mine", cwd=learner)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "no category/priority labels: accuracy and macro-F1 are skipped" in result.stdout
    with sqlite3.connect(learner / "mine" / "results.db") as db:
        rows = dict(db.execute("SELECT ticket_id, truncated FROM results").fetchall())
    assert rows == {"mine-1": 0, "mine-2": 1}, rows


def test_labelled_csv_input_gets_metrics(learner):
    (learner / "labelled.csv").write_text(
        "id,subject,body,category,priority\n"
        "c1,Refund,\"We were charged twice, please refund\",billing,medium\n"
        "c2,Cannot log in,Password reset link does not work,account_access,high\n")
    result = labkit("run", "azure/ticket_triage", "--reference", "--input", "labelled.csv", "--no-mlflow",
                    "--out", "labelled", cwd=learner)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "category accuracy" in result.stdout


def test_gcp_stream_input_without_labels_has_windows_and_no_accuracy(tmp_path):
    from labs.gcp.ticket_triage.run import user_stream

    rows = [{"id": f"s{i}", "subject": "Login", "body": "cannot log in", "window": i // 3} for i in range(7)]
    (tmp_path / "stream.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    windows, labelled = user_stream(tmp_path / "stream.jsonl")
    assert [len(w) for w in windows] == [3, 3, 1] and not labelled


# The two tracebacks --------------------------------------------------------------------------

def test_a_non_utf8_env_file_is_a_config_error(tmp_path):
    (tmp_path / ".env").write_bytes(b"LABKIT_TARGET=mock\nAZURE_OPENAI_DEPLOYMENT=caf\xe9\n")
    result = labkit("run", "azure/ticket_triage", "--reference", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-1500:]
    assert ".env, line 2: not valid UTF-8" in result.stderr
    doctor = labkit("doctor", cwd=tmp_path)  # the doctor reports it among its checks
    assert "Traceback" not in doctor.stderr and ".env, line 2: not valid UTF-8" in doctor.stdout


def test_an_mlflow_failure_after_the_run_keeps_the_results(learner, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # the store's folder cannot be created
    broken = f"sqlite:///{tmp_path / 'a-file' / 'mlflow.db'}"
    result = labkit("run", "azure/ticket_triage", "--reference", "--limit", "3", "--out", "mlf",
                    cwd=learner, env={"MLFLOW_TRACKING_URI": broken})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-1500:]
    assert "MLflow logging failed" in result.stderr and "--no-mlflow" in result.stderr
    with sqlite3.connect(learner / "mlf" / "results.db") as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 3
