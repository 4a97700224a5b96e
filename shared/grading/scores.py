"""The latest grade of each lab, kept in the learner's workspace for ``labkit list``.

``labkit grade`` records each lab's score in ``<workspace>/.labkit/scores.json``; the workspace
is ``./workspace`` unless ``LABKIT_WORKSPACE`` names another folder. Standard library only:
``labkit list`` imports this module.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

WORKSPACE_ENV = "LABKIT_WORKSPACE"
SCORES_FILE = Path(".labkit") / "scores.json"


def default_workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "workspace")


def _fmt(value: float) -> str:
    return f"{round(value, 2):g}"


def read_scores(workspace: Path | None = None) -> dict:
    path = Path(workspace or default_workspace()) / SCORES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_score(lab_id: str, score: float, max_score: float,
                 workspace: Path | None = None) -> Path:
    """Remember a lab's latest grade (written atomically: a crash never leaves half a file)."""
    path = Path(workspace or default_workspace()) / SCORES_FILE
    scores = read_scores(workspace)
    scores[lab_id] = {"score": score, "max_score": max_score,
                      "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(scores, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return path


def latest_score(lab_id: str, workspace: Path | None = None) -> str | None:
    """The last grade of ``lab_id``, e.g. "7/10", or None if it was never graded."""
    entry = read_scores(workspace).get(lab_id)
    try:
        return f"{_fmt(float(entry['score']))}/{_fmt(float(entry['max_score']))}"
    except (TypeError, KeyError, ValueError):
        return None
