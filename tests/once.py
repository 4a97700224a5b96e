"""A value computed once per test run, shared by every pytest-xdist worker."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path


def computed_once(tmp_path_factory, name: str, compute: Callable[[Path], dict]) -> dict:
    """``compute(folder)`` once per test run, even when pytest-xdist spreads a module's tests
    over several workers (each would otherwise grade the same submissions again).

    The result must be JSON; it is shared through the run's base temporary folder, under a lock.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the folder every worker of this run shares
    saved = base / f"{name}.json"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            work = base / name
            work.mkdir(exist_ok=True)
            saved.write_text(json.dumps(compute(work)), encoding="utf-8")
    return json.loads(saved.read_text(encoding="utf-8"))
