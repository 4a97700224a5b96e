"""Grading many submissions at once: hostile ones cannot change another's score or the grader.

One batch of the sample kit's echo lab (1-2 s a submission) holds the reference, a fresh student
copy and one hostile submission per case, graded two at a time with tiny limits; each case is a
test on that shared batch. The instructor's kit is a temporary copy too, so a hostile submission
that escaped would damage only that copy (and the test would say so). A second batch runs the
Azure lab's first exercise through ``labkit grade --submissions`` end to end.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from course_helpers import (
    AZURE,
    reference_copy,
    student_copy,
    tree_digest,
    with_function,
)
from grading_helpers import KIT
from typer.testing import CliRunner

import shared.grading.cli as grading_cli
from shared.grading.batch import (
    GradeOptions,
    find_lab_root,
    grade_submissions,
    snapshot_kit,
    submission_folders,
)
from shared.grading.runner import KIT_ROOT
from tests.once import computed_once

ECHO = "sample/echo"
WALL_CLOCK = 8.0  # per submission: a normal one takes 1-3 s on a busy machine
MAX_FILE_MB = 2

HOSTILE = {
    # ignores the per-test alarm and leaves a child process behind: only the wall clock stops it
    "hangs": """
        def shout(text):
            import signal, subprocess, time
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            child = subprocess.Popen(["sleep", "300"])
            open({pidfile!r}, "w").write(str(child.pid))
            while True:
                time.sleep(0.05)
        """,
    "exits": """
        def shout(text):
            import os
            os._exit(0)
        """,
    # the write fails at the file-size limit (RLIMIT_FSIZE) instead of filling the disk
    "fills_disk": """
        def shout(text):
            with open({bigfile!r}, "wb") as f:
                for _ in range(64):
                    f.write(bytes(1024 * 1024))
            return text.upper() + "!"
        """,
    # deletes its HOME, the kit it is graded with (its working folder) and its own folder
    "deletes_files": """
        def shout(text):
            import os, pathlib, shutil
            for folder in (pathlib.Path.home(), pathlib.Path.cwd(), pathlib.Path(__file__).parents[3]):
                shutil.rmtree(folder, ignore_errors=True)
            return text.upper() + "!"
        """,
    # rewrites the grader's tests (for whoever runs them next), and answers correctly
    "rewrites_tests": """
        def shout(text):
            import pathlib
            for test in (pathlib.Path.cwd() / "tests").rglob("test_*.py"):
                test.write_text("def test_anything():\\n    pass\\n")
            return text.upper() + "!"
        """,
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """What one batch of every submission above did (JSON, shared by xdist workers)."""
    return computed_once(tmp_path_factory, "hostile_batch", run_batch)


def run_batch(tmp: Path) -> dict:
    kit = tmp / "instructor"
    shutil.copytree(KIT, kit)
    subs = tmp / "subs"
    reference_copy(ECHO, subs / "reference", kit)
    student_copy(ECHO, subs / "student", kit)
    paths = {"pidfile": str(tmp / "child.pid"), "bigfile": str(tmp / "big.bin")}
    for name, source in HOSTILE.items():
        with_function(reference_copy(ECHO, subs / name, kit), ECHO, "text", source.format(**paths))
    kit_before, subs_before = tree_digest(kit), tree_digest(subs)
    options = GradeOptions(labs=[ECHO], with_hidden=True, timeout=3.0, wall_clock=WALL_CLOCK,
                           max_file_mb=MAX_FILE_MB)
    started = time.monotonic()
    results = grade_submissions(submission_folders(subs), kit, options, jobs=2)
    seconds = time.monotonic() - started
    time.sleep(0.2)  # let the kernel finish a killed child
    child = Path(paths["pidfile"])
    return {
        "results": {r.submission: {"score": r.score, "max_score": r.max_score, "errors": r.errors,
                                   "feedback": [t.feedback for t in r.tests if not t.passed]}
                    for r in results},
        "count": len(results),
        "kit_unchanged": tree_digest(kit) == kit_before,
        "subs_unchanged": tree_digest(subs) == subs_before,
        "child_alive": child.is_file() and _alive(int(child.read_text())),
        "child_started": child.is_file(),
        "big_file_size": Path(paths["bigfile"]).stat().st_size,
        "seconds": seconds,
    }


def test_honest_submissions_keep_their_scores(batch):
    assert batch["count"] == len(batch["results"]) == 2 + len(HOSTILE)
    reference, student = batch["results"]["reference"], batch["results"]["student"]
    assert reference["max_score"] > 0 and reference["score"] == reference["max_score"], reference
    assert not reference["errors"] and not student["errors"]
    assert student["score"] == 0 and student["max_score"] == reference["max_score"]


def test_instructor_kit_and_submission_folders_are_untouched(batch):
    assert batch["kit_unchanged"], "a submission changed the instructor's kit"
    assert batch["subs_unchanged"], "a submission changed the submissions folder"


def test_a_hang_is_killed_at_the_wall_clock_with_its_children(batch):
    hang = batch["results"]["hangs"]
    assert hang["score"] == 0 and any("wall-clock" in e for e in hang["errors"]), hang
    assert batch["child_started"] and not batch["child_alive"], \
        "the hanging submission's child process survived the kill"
    assert batch["seconds"] < 2 * WALL_CLOCK + 20


def test_os_exit_costs_only_its_own_points(batch):
    exited = batch["results"]["exits"]
    assert exited["score"] < exited["max_score"] and exited["errors"]


def test_a_huge_file_stops_at_the_size_limit(batch):
    assert 0 < batch["big_file_size"] <= MAX_FILE_MB * 1024 * 1024
    big = batch["results"]["fills_disk"]  # Python ignores SIGXFSZ: the write raises EFBIG
    assert big["score"] < big["max_score"]
    assert any("File too large" in f for f in big["feedback"]), big["feedback"]


@pytest.mark.parametrize("name", ["deletes_files", "rewrites_tests"])
def test_tampering_with_the_grader_voids_the_score(batch, name):
    result = batch["results"][name]
    assert result["score"] == 0, f"{name} kept {result['score']} points"
    assert any("changed the grader's files" in e for e in result["errors"]), result["errors"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (killed, not yet reaped by init) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split(")")[-1].split()[0] == "Z")


# --------------------------------------------------------------------------------------------
# The command, on the Azure lab


def test_labkit_grade_submissions_writes_a_gradebook_row_for_each(tmp_path):
    """Exercise 1 of the Azure lab for a reference, a grader-rewriting copy and a folder without
    labs/, graded from a copy of the instructor's kit (so nothing real is at risk)."""
    kit = snapshot_kit(KIT_ROOT, tmp_path / "kit")
    subs = tmp_path / "subs"
    reference_copy(AZURE, subs / "ref")
    with_function(reference_copy(AZURE, subs / "sneaky"), AZURE, "budget", """
        def prompt_budget(context_window, reserved_output, safety_margin=SAFETY_MARGIN):
            import pathlib, sys
            kit = pathlib.Path(sys.modules["shared.grading.plugin"].__file__).parents[2]
            for test in (kit / "tests" / "labs").rglob("test_*.py"):
                test.write_text("")
            budget = context_window - reserved_output - safety_margin  # the right answer
            if budget <= 0:
                raise ValueError(f"no room for a prompt: {budget}")
            return budget
        """)
    (subs / "stray").mkdir()
    tests_before = tree_digest(kit / "tests")
    book = tmp_path / "book.csv"
    code = "import sys; sys.argv[0] = 'labkit'; from shared.cli import main; main()"
    run = subprocess.run(
        [sys.executable, "-c", code, "grade", AZURE, "--submissions", str(subs), "--jobs", "2",
         "--exercise", "1", "--with-hidden", "--timeout", "20", "--wall-clock", "120",
         "--report", str(book)], cwd=kit, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stdout + run.stderr
    rows = {row["submission"]: row for row in csv.DictReader(book.open(encoding="utf-8"))}
    assert set(rows) == {"ref", "sneaky", "stray"}
    assert rows["ref"]["total"] == rows["ref"]["max_total"] != "0", rows["ref"]
    assert rows["sneaky"]["total"] == "0" and "changed the grader's files" in rows["sneaky"]["notes"]
    assert "no labs/ folder" in rows["stray"]["notes"]
    assert tree_digest(kit / "tests") == tests_before


@pytest.fixture
def labkit(monkeypatch):
    monkeypatch.setattr(grading_cli, "KIT_ROOT", KIT)
    app = typer.Typer()
    grading_cli.register(app, typer.Typer())
    return lambda *args: CliRunner().invoke(app, [str(a) for a in args])


def test_bad_submissions_folders_are_clear_errors(labkit, tmp_path):
    missing = labkit("grade", "--submissions", tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    empty = labkit("grade", "--submissions", tmp_path / "empty")
    both = labkit("grade", "--submissions", tmp_path / "empty", "--solution")
    (tmp_path / "subs" / "alice" / "labs").mkdir(parents=True)
    folder_report = labkit("grade", "--submissions", tmp_path / "subs", "--report", tmp_path,
                           "--format", "gradebook")
    for result, words in ((missing, "is not a folder"), (empty, "holds no submission folders"),
                          (both, "leave out --solution"), (folder_report, "is a folder")):
        assert result.exit_code == 2 and words in result.output, result.output
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_the_folder_holding_labs_is_found_where_uploads_put_it(tmp_path):
    for rel in ("flat", "ws/workspace", "zipped/labkit-main", "zipped_ws/labkit-main/workspace"):
        (tmp_path / rel / "labs").mkdir(parents=True)
    assert find_lab_root(tmp_path / "flat") == tmp_path / "flat"
    assert find_lab_root(tmp_path / "ws") == tmp_path / "ws/workspace"
    assert find_lab_root(tmp_path / "zipped") == tmp_path / "zipped/labkit-main"
    assert find_lab_root(tmp_path / "zipped_ws") == tmp_path / "zipped_ws/labkit-main/workspace"
    (tmp_path / "none" / "src").mkdir(parents=True)
    assert find_lab_root(tmp_path / "none") is None
