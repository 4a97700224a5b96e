"""Reports from real grading runs: Gradescope results.json, JUnit XML, CSV and a gradebook."""

from __future__ import annotations

import csv
import io
import json
import numbers
import xml.etree.ElementTree as ET

import pytest

from shared.grading.report import (
    ReportError,
    format_for,
    gradescope_results,
    render,
    write_report,
)

# Gradescope's documented results.json shape (autograder specifications), as explicit checks.
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                  "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def gradescope_problems(data: dict) -> list[str]:
    problems = [f"unknown top-level key {k!r}" for k in set(data) - GRADESCOPE_TOP]
    if "score" not in data and not all("score" in t for t in data.get("tests", [])):
        problems.append("no total score and a test without a score")
    if "score" in data and not isinstance(data["score"], numbers.Real):
        problems.append("score must be a number")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} {data[key]!r} is not one of {sorted(VISIBILITIES)}")
    if not isinstance(data.get("tests", []), list):
        return problems + ["tests must be a list"]
    for i, test in enumerate(data.get("tests", [])):
        where = f"tests[{i}]"
        problems += [f"{where}: unknown key {k!r}" for k in set(test) - GRADESCOPE_TEST]
        for key in ("score", "max_score"):
            if key in test and not isinstance(test[key], numbers.Real):
                problems.append(f"{where}.{key} must be a number")
        for key in ("name", "output", "number"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"{where}.{key} must be a string")
        if "status" in test and test["status"] not in ("passed", "failed"):
            problems.append(f"{where}.status must be passed or failed")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"{where}.visibility {test['visibility']!r} is not allowed")
        if "tags" in test and not all(isinstance(t, str) for t in test["tags"]):
            problems.append(f"{where}.tags must be strings")
    return problems


def test_gradescope_results_from_a_real_run_validate(reference_hidden, tmp_path):
    results = list(reference_hidden.values())
    path = write_report(results, tmp_path / "results.json", "gradescope")
    data = json.loads(path.read_text())
    assert gradescope_problems(data) == []
    assert data["score"] == 10 == sum(t["score"] for t in data["tests"])
    names = {t["name"]: t for t in data["tests"]}
    assert names["sample/echo: test_echo_text.py::test_shout"]["visibility"] == "visible"
    hidden = names["sample/echo: test_echo_text.py::test_shout_empty"]
    assert hidden["visibility"] == "after_published" and hidden["max_score"] == 1


def test_gradescope_output_of_a_failing_submission_carries_feedback(student_results):
    data = gradescope_results(list(student_results.values()))
    assert gradescope_problems(data) == []
    assert data["score"] == 0
    shout = next(t for t in data["tests"] if t["name"].endswith("test_shout"))
    assert shout["status"] == "failed" and "str.upper()" in shout["output"]


def test_the_checks_catch_a_wrong_shape():
    bad = {"score": "10", "tests": [{"name": 1, "status": "ok", "visibility": "public",
                                     "points": 3}]}
    assert len(gradescope_problems(bad)) == 5


def test_junit_xml_parses_and_counts(reference_hidden, student_results):
    results = [reference_hidden["sample/echo"], student_results["sample/echo"]]
    root = ET.fromstring(render(results, "junit").encode())
    suites = root.findall("testsuite")
    assert [s.get("tests") for s in suites] == ["4", "2"]
    assert [s.get("failures") for s in suites] == ["0", "2"]
    failure = suites[1].find("testcase/failure")
    assert "not done yet" in failure.text
    props = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
    assert props == {"score": "8", "max_score": "8"}


def test_csv_gradebook_of_two_submissions(reference_hidden, student_results, tmp_path):
    results = list(reference_hidden.values()) + list(student_results.values())
    rows = list(csv.DictReader(io.StringIO(render(results, "csv"))))
    assert len(rows) == 5 + 3  # one row per test: 4 + 1 for the reference, 2 + 1 for the copy
    assert {r["submission"] for r in rows} == {"kit", "student0"}
    student_rows = [r for r in rows if r["submission"] == "student0"]
    assert {r["score"] for r in student_rows} == {"0"}

    book = list(csv.DictReader(io.StringIO(render(results, "gradebook"))))
    assert [(r["submission"], r["total"], r["max_total"]) for r in book] == [
        ("kit", "10", "10"), ("student0", "0", "7")]
    assert book[0]["sample/echo score"] == "8"


def test_one_results_json_per_submission(reference_hidden, student_results):
    with pytest.raises(ReportError, match="one submission"):
        gradescope_results([reference_hidden["sample/echo"], student_results["sample/echo"]])


def test_format_from_suffix_or_option(tmp_path):
    assert format_for(tmp_path / "r.json", None) == "gradescope"
    assert format_for(tmp_path / "r.xml", None) == "junit"
    assert format_for(tmp_path / "r.txt", "csv") == "csv"
    with pytest.raises(ReportError, match="--format"):
        format_for(tmp_path / "r.txt", None)
