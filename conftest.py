"""Test-wide set-up: a clean environment for every test, and the fixture that finds lab code.

Root conftest so every test directory (and a grading run) gets the same guarantees.
"""

from __future__ import annotations

import os
import random

import pytest

pytest_plugins = ["mocks.azure_openai.testing", "mocks.vertex.testing"]

# Real cloud credentials are removed for every test so nothing reaches a cloud by accident.
# Tests marked `cloud` get them back only when LABKIT_CLOUD_TESTS=1 says so.
CLOUD_ENV = (
    "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY",
    "AZURE_OPENAI_DEPLOYMENT", "VISION_ENDPOINT", "VISION_KEY", "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_REGION", "GOOGLE_CLOUD_STAGING_BUCKET",
    "STORAGE_EMULATOR_HOST", "LABKIT_TARGET",
)
_SAVED_CLOUD_ENV = {k: os.environ[k] for k in CLOUD_ENV if k in os.environ}


@pytest.fixture(autouse=True)
def clean_environment(request, monkeypatch, tmp_path):
    """No cloud credentials, no stray .env, seeded randomness."""
    cloud = request.node.get_closest_marker("cloud") is not None
    if cloud and os.environ.get("LABKIT_CLOUD_TESTS") != "1":
        pytest.skip("cloud test: set LABKIT_CLOUD_TESTS=1 and the cloud settings to run it")
    for name in CLOUD_ENV:
        monkeypatch.delenv(name, raising=False)
    if cloud:
        for name, value in _SAVED_CLOUD_ENV.items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    random.seed(0)
    try:
        import numpy as np

        np.random.seed(0)
    except ImportError:
        pass
    yield


# The lab_module fixture (graded tests reach lab code only through it) is provided by the
# grading plugin, shared/grading/plugin.py, so grading can redirect it to a workspace.


GRADED_BY_THE_SWEEP = "tests/shared/grading/test_labs.py::test_each_mutant_loses_points["


@pytest.hookimpl(trylast=True)  # after -k and -m: only a sweep that will run stands in for the tests
def pytest_collection_modifyitems(config, items):
    """A kit lab's graded tests run once per `make test`, not twice: the first batch of its mutant
    sweep (test_labs.py) grades the reference with every graded test, hidden ones included, so
    when that batch is collected too, the same tests are not also run here on the same code.
    Run a lab's tests folder alone and they all run, as always."""
    from shared.grading.plugin import lab_of, points_of

    swept = {item.nodeid[len(GRADED_BY_THE_SWEEP):].split(":1of")[0] for item in items
             if item.nodeid.startswith(GRADED_BY_THE_SWEEP) and ":1of" in item.nodeid
             and item.get_closest_marker("skip") is None}
    twice = {item for item in items if points_of(item) is not None and lab_of(item) in swept
             and item.nodeid.startswith("tests/labs/")}
    if twice:
        config.hook.pytest_deselected(items=[item for item in items if item in twice])
        items[:] = [item for item in items if item not in twice]
    items.sort(key=cost_rank)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist is a dev dependency; a student's copy may lack it
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (what `make test` runs): one worker more than there are cores. Part of the suite
    waits rather than computes (retry and timeout tests sleep, subprocesses start, sockets
    answer), and the spare worker fills those gaps: on 2 cores, 225 s against 242 s with one
    worker per core, back to back (benchmarks/README.md)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # the user's own choice: xdist reads it
    from xdist.plugin import pytest_xdist_auto_num_workers as xdist_cores  # xdist's own count

    return xdist_cores(config) + 1


# The suite's most expensive tests, most expensive first (benchmarks/suite_time.py measures
# them). They start first: with `--dist worksteal` the first worker's share of the tests begins
# with them and the other workers, once through their own many short tests, take from its end,
# so the run does not end with one worker alone on a long test. A whole module moves when its
# tests share a module-scoped fixture.
EXPENSIVE_FIRST = (
    "tests/shared/grading/test_labs.py::test_each_mutant_loses_points",
    "tests/shared/compare/test_compare_e2e.py",
    "tests/shared/grading/test_release_commands.py",
)


def cost_rank(item) -> int:
    return next((i for i, prefix in enumerate(EXPENSIVE_FIRST) if item.nodeid.startswith(prefix)),
                len(EXPENSIVE_FIRST))
