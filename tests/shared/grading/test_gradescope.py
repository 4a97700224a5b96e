"""The Gradescope autograder bundle, run the way Gradescope runs it, in a fake /autograder tree.

One bundle (the Azure lab, exercise 1, to keep each run a few seconds) is built per module and
run on three submissions side by side: the reference, a fresh student copy uploaded with its
workspace/ folder, and a mutant from tests/mutants. Every results.json is checked against Gradescope's
documented schema (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from numbers import Number
from pathlib import Path

import pytest
import typer
from course_helpers import AZURE, reference_copy, student_copy
from grading_helpers import KIT
from typer.testing import CliRunner

import shared.grading.cli as grading_cli
from shared.grading.gradescope import CONFIG, BundleError, write_bundle
from shared.grading.runner import KIT_ROOT
from tests.once import computed_once

MUTANT = KIT_ROOT / "tests" / "mutants" / AZURE / "budget__no_margin.py"  # exercise 1's function

# Gradescope's results.json, as its specification lists the fields.
VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
RESULTS_FIELDS = {"score": Number, "execution_time": Number, "output": str,
                  "output_format": FORMATS, "test_output_format": FORMATS,
                  "test_name_format": FORMATS, "visibility": VISIBILITY,
                  "stdout_visibility": VISIBILITY, "extra_data": dict, "tests": list,
                  "leaderboard": list}
TEST_FIELDS = {"score": Number, "max_score": Number, "status": {"passed", "failed"}, "name": str,
               "name_format": FORMATS, "number": str, "output": str, "output_format": FORMATS,
               "tags": list, "visibility": VISIBILITY, "extra_data": dict}


def _field_problems(where: str, data: dict, fields: dict) -> list[str]:
    problems = []
    for key, value in data.items():
        kind = fields.get(key)
        if kind is None:
            problems.append(f"{where}: unknown field {key!r}")
        elif isinstance(kind, set) and value not in kind:
            problems.append(f"{where}.{key} = {value!r}, not one of {sorted(kind)}")
        elif isinstance(kind, type) and (not isinstance(value, kind) or isinstance(value, bool)):
            problems.append(f"{where}.{key} = {value!r} is not a {kind.__name__}")
    return problems


def schema_problems(data) -> list[str]:
    """What in ``data`` breaks Gradescope's results.json format (empty when nothing does)."""
    if not isinstance(data, dict):
        return ["results.json is not a JSON object"]
    problems = _field_problems("results", data, RESULTS_FIELDS)
    tests = data.get("tests", [])
    if "score" not in data and not all(isinstance(t, dict) and "score" in t for t in tests):
        problems.append("results: no top-level score and not every test has one")
    for i, test in enumerate(tests if isinstance(tests, list) else []):
        problems += _field_problems(f"tests[{i}]", test, TEST_FIELDS)
        if isinstance(test.get("tags", []), list) and not all(isinstance(t, str) for t in test.get("tags", [])):
            problems.append(f"tests[{i}].tags must be strings")
        score, most = test.get("score", 0), test.get("max_score", float("inf"))
        if isinstance(score, Number) and isinstance(most, Number) and not 0 <= score <= most:
            problems.append(f"tests[{i}]: score outside 0..max_score")
    for i, row in enumerate(data.get("leaderboard", [])):
        if not {"name", "value"} <= set(row) or not set(row) <= {"name", "value", "order"}:
            problems.append(f"leaderboard[{i}] needs name and value (and at most order)")
    return problems


def test_the_checker_catches_what_gradescope_rejects():
    good = {"score": 1.0, "tests": [{"name": "t", "score": 1, "max_score": 1, "visibility": "visible"}]}
    assert schema_problems(good) == []
    assert schema_problems({"tests": [{"name": "t"}]})  # no score anywhere
    assert schema_problems({**good, "visibility": "public"})
    assert schema_problems({**good, "tests": [{"score": "1", "max_score": 1}]})
    assert schema_problems({**good, "scores": 1})


# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    write_bundle(out, KIT_ROOT, labs=[AZURE], exercise=1)
    return out


def run_autograder(bundle: Path, root: Path, make_submission) -> tuple[dict, float]:
    """Lay out root/{source,submission,results} like Gradescope, run run_autograder there."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    make_submission(root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "LABKIT_PYTHON": sys.executable}
    env = {k: v for k, v in env.items() if k != "LABKIT_WORKSPACE"}
    started = time.monotonic()
    run = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), seconds


def _mutant(folder: Path) -> None:
    reference_copy(AZURE, folder)
    shutil.copyfile(MUTANT, folder / "labs" / AZURE / "budget.py")


SUBMISSIONS = {
    "reference": lambda folder: reference_copy(AZURE, folder),
    "student": lambda folder: student_copy(AZURE, folder / "workspace"),  # an upload of the repo
    "mutant": _mutant,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """{submission: [results.json, seconds]} for every submission above, two at a time."""
    def compute(work: Path) -> dict:
        bundle = write_bundle(work / "autograder.zip", KIT_ROOT, labs=[AZURE], exercise=1).out

        def one(name):
            (work / name).mkdir()
            return name, run_autograder(bundle, work / name, SUBMISSIONS[name])

        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(pool.map(one, SUBMISSIONS))

    return computed_once(tmp_path_factory, "gradescope_runs", compute)


def test_bundle_has_gradescope_layout(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {n: archive.getinfo(n).external_attr >> 16 for n in ("setup.sh", "run_autograder")}
        config = json.loads(archive.read(CONFIG))
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", CONFIG, "pyproject.toml", "conftest.py"} <= names
    assert all(mode & 0o111 for mode in modes.values()), modes  # executable
    assert f"tests/labs/{AZURE}/test_hidden.py" in names  # hidden tests go along
    assert f"labs/{AZURE}/budget.py" in names  # the reference, for the other exercises
    assert not any(n.startswith(("tests/mutants/", "tests/shared/", "benchmarks/")) for n in names)
    assert config["labs"] == [AZURE] and config["exercise"] == 1
    assert "pip install" in setup and "shared.tokens seed" in setup and "PIP_NO_INDEX" in setup
    assert bundle.stat().st_size < 2_000_000


def test_scripts_are_valid_bash(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_every_results_json_follows_gradescopes_schema(graded):
    for name, (data, _) in graded.items():
        assert schema_problems(data) == [], name
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_reference_scores_full_marks_hidden_tests_included(graded):
    data, _ = graded["reference"]
    assert data["tests"] and data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert any(t["visibility"] == "after_published" for t in data["tests"])  # a hidden test ran


def test_student_copy_scores_zero_with_feedback(graded):
    data, _ = graded["student"]
    assert data["tests"] and data["score"] == 0
    assert all(t["status"] == "failed" and t["output"] for t in data["tests"])


def test_mutant_loses_points(graded):
    reference, _ = graded["reference"]
    data, _ = graded["mutant"]
    assert 0 <= data["score"] < reference["score"]


def test_bad_bundle_paths_are_clear_errors(tmp_path):
    (tmp_path / "folder.zip").mkdir()
    for out, words in ((tmp_path / "bundle.tar", "is a .zip file"),
                       (tmp_path / "folder.zip", "is a folder")):
        with pytest.raises(BundleError, match=words):
            write_bundle(out, KIT_ROOT)
    with pytest.raises(BundleError, match="no graded lab"):
        write_bundle(tmp_path / "a.zip", KIT_ROOT, labs=["azure/nope"])


def test_release_command_writes_the_bundle_or_says_why_not(monkeypatch, tmp_path):
    monkeypatch.setattr(grading_cli, "KIT_ROOT", KIT)
    app = typer.Typer()
    grading_cli.register(app, typer.Typer())

    def labkit(*args):
        return CliRunner().invoke(app, [str(a) for a in args])

    made = labkit("release", "--gradescope", tmp_path / "echo.zip", "--lab", "sample/echo",
                  "--exercise", "1")
    assert made.exit_code == 0 and "KB" in made.output, made.output
    with zipfile.ZipFile(tmp_path / "echo.zip") as archive:
        assert json.loads(archive.read(CONFIG))["labs"] == ["sample/echo"]
    for args, words in ((("--gradescope", tmp_path / "b.zip", "--exercise", "1"), "exactly one --lab"),
                        (("--gradescope", tmp_path / "b.txt"), "is a .zip file"),
                        ((), "--gradescope OUT.zip")):
        result = labkit("release", *args)
        assert result.exit_code == 2 and words in result.output, result.output
