"""Fixtures for the grading tests: a tiny sample kit graded in subprocesses.

The sample kit under data/kit (two labs, sample/echo and sample/calc, with solution regions,
graded, partial-credit and hidden tests) is test data: it is graded by these tests and never
collected here. data/variants holds broken replacements of its lab code (hangs, crashes, exits,
noise); data/mutants holds plausible wrong answers for the mutation check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_helpers import KIT, grade_sample

from shared.grading.regions import make_student_copy

collect_ignore = ["data"]


@pytest.fixture(scope="session")
def student_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("student")
    make_student_copy(KIT / "labs", root / "labs")
    return root


@pytest.fixture(scope="session")
def reference_hidden():
    """Reference solution, hidden tests included: {lab: LabResult}."""
    return {lab: grade_sample(lab, KIT, with_hidden=True) for lab in ("sample/echo", "sample/calc")}


@pytest.fixture(scope="session")
def student_results(student_root):
    return {lab: grade_sample(lab, student_root) for lab in ("sample/echo", "sample/calc")}
