"""A pytest plugin for suite_time.py: the CPU seconds of each test, written where
$LABKIT_CPU_PER_TEST says (one JSON line per test, one file per worker).

A test's CPU is its process's (every thread: the emulators serve from threads of the test's
process) plus that of the subprocesses it waited for (a mutant sweep, a `labkit` command).
Unlike wall seconds it does not grow while the test waits for the other workers' CPU, so a lab's
share of the suite can be compared between runs on a busy and a quiet machine.
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest


def cpu_seconds() -> float:
    own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = cpu_seconds()
    yield
    folder = Path(os.environ["LABKIT_CPU_PER_TEST"])
    line = json.dumps({"nodeid": item.nodeid, "cpu": round(cpu_seconds() - before, 3)})
    with open(folder / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl", "a", encoding="utf-8") as f:
        f.write(line + "\n")
