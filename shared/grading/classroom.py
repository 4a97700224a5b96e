"""GitHub Classroom autograding for a student release.

The release carries ``.github/workflows/classroom.yml``, shaped like the workflows GitHub
Classroom itself generates: one grading step per lab, each writing its result as the step output
``result`` (base64 of ``{"version": 1, "status", "max_score", "tests": [{"name", "status",
"score", "message", ...}]}``, the format of ``classroom-resources/autograding-command-grader``),
then ``classroom-resources/autograding-grading-reporter``, which reads ``<STEP-ID>_RESULTS``
for each id in ``runners``, prints the results and sends the sum of the tests' ``score`` over
the sum of ``max_score`` to GitHub Classroom. Unlike the command grader (all of ``max-score``
or nothing) each graded test keeps its own points, partial credit included.

The grading step runs ``python -m shared.grading.classroom LAB``: it grades the visible tests of
``workspace/`` when the learner committed the lab there, else the repository's own ``labs/``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

from shared.grading.runner import KIT_ROOT, LabResult, grade_lab, kit_lab_ids, lab_tests_dir

WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def step_id(lab_id: str) -> str:
    """azure/ticket_triage -> azure-ticket-triage (the reporter upper-cases it for the env name)."""
    return lab_id.replace("/", "-").replace("_", "-")


def workflow_text(lab_ids: list[str]) -> str:
    steps = "".join(f"""
      - name: Grade {lab}
        id: {step_id(lab)}
        run: python -m shared.grading.classroom {lab}
""" for lab in lab_ids)
    env = "".join(f"""
          {step_id(lab).upper()}_RESULTS: "${{{{ steps.{step_id(lab)}.outputs.result }}}}\"""" for lab in lab_ids)
    return f"""# GitHub Classroom autograding: grades the visible tests of every lab on each push and
# reports the points to GitHub Classroom (labkit's shared/grading/classroom.py writes this file).
name: Autograding Tests
"on":
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
      - name: Install the kit
        run: |
          python -m pip install --quiet -e .
          python -m shared.tokens seed
{steps}
      - name: Autograding Reporter
        if: always()
        uses: {REPORTER}
        env:{env}
        with:
          runners: {",".join(step_id(lab) for lab in lab_ids)}
"""


def add_to_release(out: Path) -> Path:
    """Write the workflow into a release; the learner's workspace/ becomes part of the repository."""
    labs = [lab for lab in kit_lab_ids(out) if lab_tests_dir(lab, out).is_dir()]
    path = Path(out) / WORKFLOW
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_text(labs), encoding="utf-8")
    ignore = Path(out) / ".gitignore"
    if ignore.is_file():  # the kit ignores /workspace/; a student's repository must commit it
        lines = ignore.read_text(encoding="utf-8").splitlines()
        ignore.write_text("".join(f"{line}\n" for line in lines if line.strip() != "/workspace/"),
                          encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# The grading step


def classroom_result(result: LabResult) -> dict:
    """One lab's results in the format the autograding reporter reads."""
    tests = [{
        "name": f"{result.lab_id}: {test.name}",
        "status": "pass" if test.passed else "fail",
        "score": test.score,
        "message": "" if test.passed else test.feedback,
        "test_code": "",
        "filename": test.nodeid.split("::")[0],
        "line_no": 0,
        "duration": round(test.duration * 1000),
    } for test in result.tests]
    for error in result.errors:
        tests.append({"name": f"{result.lab_id}: grading run", "status": "error", "score": 0,
                      "message": error, "test_code": "", "filename": "", "line_no": 0, "duration": 0})
    failed = any(t["status"] != "pass" for t in tests) or not tests
    return {"version": 1, "status": "fail" if failed else "pass", "max_score": result.max_score,
            "tests": tests}


def learner_root(repo: Path, lab_id: str) -> Path:
    """workspace/ when it holds the lab (labkit start puts it there), else the repository."""
    workspace = Path(repo) / "workspace"
    return workspace if (workspace / "labs" / lab_id).is_dir() else Path(repo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.grading.classroom")
    parser.add_argument("lab", help="e.g. azure/ticket_triage")
    parser.add_argument("--exercise", type=int, default=None)
    args = parser.parse_args(argv)
    root = learner_root(Path.cwd(), args.lab)
    result = grade_lab(args.lab, root, kit_root=KIT_ROOT, label=root.name, exercise=args.exercise)
    print(f"{args.lab}: {result.summary} (graded {root})")
    for test in result.tests:
        print(f"  {'PASS' if test.passed else test.status.upper():<8} {test.score:g}/{test.max_score:g}"
              f"  {test.name}")
    for error in result.errors:
        print(f"  error: {error}")
    encoded = base64.b64encode(json.dumps(classroom_result(result)).encode()).decode()
    output = os.environ.get("GITHUB_OUTPUT")
    if output:  # the step output the reporter reads
        with open(output, "a", encoding="utf-8") as f:
            f.write(f"result={encoded}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
