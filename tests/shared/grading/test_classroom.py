"""The student release's GitHub Classroom workflow: valid YAML, the reporter's contract, and a
grading command that works in the release as shipped.

GitHub Classroom's reporter (classroom-resources/autograding-grading-reporter) reads, for each id
in ``runners``, the environment variable ``<ID>_RESULTS``: base64 of a JSON object with
``version``, ``status``, ``max_score`` and ``tests`` (each with ``name``, ``status`` and
``score``); it reports the sum of the tests' scores over the sum of ``max_score``.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys

import pytest
import yaml
from course_helpers import AZURE, reference_copy

from shared.grading.classroom import WORKFLOW, step_id
from shared.grading.release import write_release
from shared.grading.runner import KIT_ROOT


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "release"
    write_release(out, KIT_ROOT)
    return out


@pytest.fixture(scope="module")
def workflow(release) -> dict:
    return yaml.safe_load((release / WORKFLOW).read_text(encoding="utf-8"))


def grading_steps(workflow: dict) -> list[dict]:
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    return [s for s in steps if "shared.grading.classroom" in s.get("run", "")]


def test_workflow_is_valid_yaml_in_classrooms_shape(workflow):
    assert workflow["name"] == "Autograding Tests"
    assert "push" in workflow["on"]  # quoted "on", so YAML 1.1 readers don't make it True
    assert workflow["permissions"]["checks"] == "write"
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    reporter = steps[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    ids = [s["id"] for s in grading_steps(workflow)]
    assert reporter["with"]["runners"].split(",") == ids
    assert {s["run"].split()[-1] for s in grading_steps(workflow)} >= {AZURE}
    for step in ids:
        assert reporter["env"][f"{step.upper()}_RESULTS"] == f"${{{{ steps.{step}.outputs.result }}}}"


def test_release_lets_learners_commit_their_workspace(release):
    assert "/workspace/" not in (release / ".gitignore").read_text(encoding="utf-8").split()


def test_grading_command_works_in_the_release(release, workflow, tmp_path):
    """The workflow's own command for the Azure lab, with --exercise 1 added to keep it short,
    run in the release with a learner's workspace committed (the reference code here)."""
    step = next(s for s in grading_steps(workflow) if s["id"] == step_id(AZURE))
    reference_copy(AZURE, release / "workspace")
    output = tmp_path / "github_output"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    env["GITHUB_OUTPUT"] = str(output)
    command = shlex.split(step["run"])
    assert command[:3] == ["python", "-m", "shared.grading.classroom"]
    run = subprocess.run([sys.executable, *command[1:], "--exercise", "1"], cwd=release, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stdout + run.stderr
    assert "workspace" in run.stdout  # graded the learner's workspace, not the starter code
    name, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    assert name == "result"
    result = json.loads(base64.b64decode(value))
    assert result["version"] == 1 and result["status"] == "pass"
    assert result["tests"] and result["max_score"] > 0
    assert sum(t["score"] for t in result["tests"]) == result["max_score"]
    assert all(t["status"] == "pass" and t["name"].startswith(AZURE) for t in result["tests"])
