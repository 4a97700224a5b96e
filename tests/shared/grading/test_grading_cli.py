"""labkit start / grade / release, driven through typer against the sample kit."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import typer
from grading_helpers import KIT
from typer.testing import CliRunner

import shared.grading.cli as grading_cli
from shared.grading.scores import latest_score, record_score

FAST = ["--timeout", "5", "--wall-clock", "60"]


@pytest.fixture
def labkit(monkeypatch):
    """Invoke the grading commands with the sample kit as the instructor's copy."""
    monkeypatch.setattr(grading_cli, "KIT_ROOT", KIT)
    app = typer.Typer()
    grading_cli.register(app, typer.Typer())
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def test_start_copies_starter_code_and_never_overwrites_work(labkit, tmp_path):
    ws = tmp_path / "ws"
    first = labkit("start", "sample/echo", "--workspace", ws)
    assert first.exit_code == 0, first.output
    code = ws / "labs/sample/echo/text.py"
    assert "NotImplementedError" in code.read_text()
    assert (ws / "labs/__init__.py").is_file() and (ws / "labs/sample/__init__.py").is_file()
    assert "labkit grade sample/echo" in first.output

    again = labkit("start", "sample/echo", "--workspace", ws)
    assert again.exit_code == 0 and "already" in again.output

    code.write_text(code.read_text() + "\n# my work\n")
    refused = labkit("start", "sample/echo", "--workspace", ws)
    assert refused.exit_code == 2
    assert "already holds your work" in refused.output and "text.py" in refused.output
    assert code.read_text().endswith("# my work\n")


def test_grade_workspace_records_the_latest_score(labkit, tmp_path):
    ws = tmp_path / "ws"
    labkit("start", "sample/echo", "--workspace", ws)
    graded = labkit("grade", "sample/echo", "--workspace", ws, *FAST)
    assert graded.exit_code == 0, graded.output
    assert "sample/echo  [ws]  0/5" in graded.output
    assert ("not done yet: labs/sample/echo/text.py:shout (Exercise 1: Shout). "
            "Hint: str.upper() and an f-string") in graded.output
    assert latest_score("sample/echo", ws) == "0/5"

    (ws / "labs/sample/echo/text.py").write_bytes((KIT / "labs/sample/echo/text.py").read_bytes())
    regraded = labkit("grade", "--workspace", ws, *FAST)  # no LAB: every lab in the workspace
    assert "sample/echo  [ws]  5/5" in regraded.output
    assert latest_score("sample/echo", ws) == "5/5"


def test_grade_without_a_workspace_says_how_to_start(labkit, tmp_path):
    result = labkit("grade", "--workspace", tmp_path / "none")
    assert result.exit_code == 2 and "labkit start" in result.output


def test_grade_solution_with_hidden_tests(labkit):
    result = labkit("grade", "--solution", "--with-hidden", *FAST)
    assert result.exit_code == 0, result.output
    assert "sample/echo  [reference]  8/8" in result.output
    assert "TOTAL 10/10" in result.output


def test_grade_two_submissions_into_one_gradebook(labkit, tmp_path, student_root):
    alice = tmp_path / "alice"
    labkit("release", "--out", alice)
    (alice / "tests/labs/sample/calc/test_calc.py").write_text("def test_x():\n    pass\n")
    book = tmp_path / "book.csv"
    result = labkit("grade", "--submission", alice, "--submission", student_root,
                    "--with-hidden", "--report", book, "--format", "gradebook", *FAST)
    assert result.exit_code == 0, result.output
    assert "edited test file: tests/labs/sample/calc/test_calc.py" in result.output
    rows = list(csv.DictReader(book.open()))
    assert [(r["submission"], r["total"], r["max_total"]) for r in rows] == [
        ("alice", "0", "10"), (student_root.name, "0", "10")]
    assert "edited test file" in rows[0]["notes"]


def test_release_command(labkit, tmp_path):
    result = labkit("release", "--out", tmp_path / "rel")
    assert result.exit_code == 0, result.output
    assert "labs: sample/calc, sample/echo" in result.output
    assert (tmp_path / "rel/tests/SHA256SUMS").is_file()
    assert labkit("release", "--out", tmp_path / "rel").exit_code == 2


def test_labkit_list_shows_the_latest_score(tmp_path, monkeypatch):
    from shared.cli import app

    record_score("azure/ticket_triage", 7, 10, tmp_path)
    monkeypatch.setenv("LABKIT_WORKSPACE", str(tmp_path))
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    assert "[7/10]" in result.output


def test_cli_module_stays_light():
    code = ("import sys, shared.grading.cli; "
            "print(sorted(m for m in ('pytest', 'shared.grading.runner') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "[]", run.stderr


def test_grading_a_lab_the_workspace_does_not_hold_says_to_start_it(labkit, tmp_path):
    ws = tmp_path / "ws"
    labkit("start", "sample/echo", "--workspace", ws)
    graded = labkit("grade", "sample/calc", "--workspace", ws, *FAST)
    assert graded.exit_code == 2, graded.output
    assert "sample/calc is not in your workspace" in graded.output
    assert "labkit start sample/calc" in graded.output
