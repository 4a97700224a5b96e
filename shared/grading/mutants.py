"""Check that a lab's graded tests catch its mutants: many mutants in one pytest process.

A mutant is a copy of one lab module with one plausible bug (``tests/mutants/<lab>/<module>__<bug>.py``).
Grading each in its own pytest process pays Python's, pytest's and TensorFlow's start-up once
per mutant; this sweep pays it once per batch of mutants:

    result = sweep("gcp/ticket_triage", kit_root, [(mutant_file, exercise_or_None), ...], work_dir)
    result.caught_by[mutant_file.name]   # nodeid of the first test that lost points, or None

An entry may also be a folder holding ``labs/<lab>`` (e.g. a copy with some exercises done),
graded as it is. A folder in ``recorded`` (e.g. a fresh student copy) is graded first with every
test, none skipped as unstarted, and each test's grade record is kept:

    result.records["starter"]            # [{"name": ..., "status": ..., "feedback": ...}, ...]

In the child process (this module loaded as a pytest plugin with ``--mutant-sweep PLAN``), each
mutant gets its own copy of the reference with the mutant in place of its module. ``labs.*`` is
imported afresh from that copy (subprocesses a test starts see it too, through ``--lab-root``'s
environment), and its exercise's graded tests run, the mutated module's tests first, until one
loses points. Every fixture is torn down between mutants, so nothing computed from one mutant's
code reaches the next one's tests.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from shared.grading.labroot import LAB_ROOT_ENV, install_lab_root
from shared.grading.plugin import FEEDBACK_KEY, OUTCOMES_KEY, PARTS_KEY, RECORD_KEY, exercise_of

PLUGIN = "shared.grading.mutants"


@dataclass
class SweepResult:
    caught_by: dict[str, str | None] = field(default_factory=dict)  # mutant file name -> test
    records: dict[str, list[dict]] = field(default_factory=dict)  # recorded folder -> every test's record
    seconds: dict[str, float] = field(default_factory=dict)  # mutant file name -> time to grade it
    log: str = ""


def copy_reference(kit: Path, lab_id: str, root: Path) -> Path:
    """``root/labs/<lab>`` as a copy of the kit's reference (with the package __init__ files)."""
    stack = lab_id.split("/")[0]
    for init in (Path("labs/__init__.py"), Path("labs") / stack / "__init__.py"):
        if (kit / init).is_file():
            (root / init).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kit / init, root / init)
    shutil.copytree(kit / "labs" / lab_id, root / "labs" / lab_id,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def sweep(lab_id: str, kit: Path, mutants: list[tuple[Path, int | None]], work: Path,
          *, recorded: tuple[Path, ...] = (), timeout: float = 120.0,
          wall_clock: float = 1800.0) -> SweepResult:
    """Grade every mutant with ``lab_id``'s graded tests (hidden included) in one subprocess,
    after grading each ``recorded`` folder with all of them."""
    from shared.grading.runner import grading_env, pytest_command, run_capped

    work.mkdir(parents=True, exist_ok=True)
    out = work / "caught.json"
    plan = {"lab": lab_id, "kit": str(kit), "work": str(work), "out": str(out),
            "recorded": [str(folder) for folder in recorded],
            "mutants": [{"file": str(m), "exercise": n} for m, n in mutants]}
    (work / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    first = copy_reference(kit, lab_id, work / "reference")
    # Every test runs: a sweep checks tests, so none may be failed early as unstarted.
    cmd = pytest_command(lab_id, first, kit, with_hidden=True, timeout=timeout,
                         extra_args=("--run-unstarted",))
    cmd += ["-p", PLUGIN, f"--mutant-sweep={work / 'plan.json'}"]
    run = run_capped(cmd, cwd=kit, env=grading_env(work / "results.json"), wall_clock=wall_clock)
    return SweepResult(_read(out, "caught"), _read(out, "records"), _read(out, "seconds"), run.output)


def _read(out: Path, what: str) -> dict:
    """What the sweep process wrote to ``out`` (``caught.json``, ``caught.records.json``, ...)."""
    path = out if what == "caught" else out.with_suffix(f".{what}.json")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


# --------------------------------------------------------------------------------------------
# The child side: a pytest plugin


def pytest_addoption(parser):
    parser.addoption("--mutant-sweep", default=None,
                     help="JSON plan: grade each listed mutant in turn (shared.grading.mutants).")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    path = session.config.getoption("mutant_sweep")
    if not path:
        return None
    plan = json.loads(Path(path).read_text(encoding="utf-8"))
    out = Path(plan["out"])
    records: dict[str, list[dict]] = {}
    for folder in map(Path, plan.get("recorded", [])):
        use_root(folder)
        run_until_one_loses(session.items, stop=False)
        records[folder.name] = [asdict(i.stash[RECORD_KEY]) for i in session.items if RECORD_KEY in i.stash]
        out.with_suffix(".records.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    caught: dict[str, str | None] = {}
    seconds: dict[str, float] = {}
    for index, mutant in enumerate(plan["mutants"]):
        started = time.perf_counter()
        file = Path(mutant["file"])
        if file.is_dir():  # a prepared copy of the lab, graded as it is
            root, module = file, ""
        else:
            root = copy_reference(Path(plan["kit"]), plan["lab"], Path(plan["work"]) / f"m{index}")
            module = file.stem.split("__")[0]
            shutil.copyfile(file, root / "labs" / plan["lab"] / f"{module}.py")
        use_root(root)
        owners = module_exercises(plan["lab"], Path(plan["kit"]), module)
        chosen = tests_for(session.items, module, mutant["exercise"], owners, file.stem if module else "")
        caught[file.name] = run_until_one_loses(chosen)
        seconds[file.name] = round(time.perf_counter() - started, 2)
        out.write_text(json.dumps(caught, indent=1), encoding="utf-8")
        out.with_suffix(".seconds.json").write_text(json.dumps(seconds, indent=1), encoding="utf-8")
    return True


def use_root(root: Path) -> None:
    """Import ``labs.*`` afresh from ``root``, in this process and in any it starts."""
    for name in [n for n in sys.modules if n == "labs" or n.startswith("labs.")]:
        del sys.modules[name]
    install_lab_root(root)
    os.environ[LAB_ROOT_ENV] = str(root)


def module_exercises(lab_id: str, kit: Path, module: str) -> set[int]:
    """The exercises with a function in ``module``."""
    from shared.grading.exercises import load_exercises

    return {e.number for e in load_exercises(lab_id, kit)
            if any(spec.split(":")[0] == module for spec in e.functions)}


def tests_for(items: list, module: str, exercise: int | None, owners: set[int] = frozenset(),
              mutant: str = "") -> list:
    """The graded tests of ``exercise`` (all when None), where a bug shows soonest first: those
    whose code names the mutant ("Catches data__labels_sorted"), then those named after ``module``,
    then those of the exercises with a function in it (``owners``). Only the order depends on
    these names: every chosen test still runs until one loses points."""
    chosen = [i for i in items if exercise is None or exercise_of(i) == exercise]
    return sorted(chosen, key=lambda i: (not (mutant and mutant in _source(i)),
                                         module not in f"{Path(str(i.path)).stem}::{i.name}",
                                         exercise_of(i) not in owners))


def _source(item) -> str:
    import inspect

    try:
        return inspect.getsource(item.function)
    except (AttributeError, OSError, TypeError):
        return ""


def run_until_one_loses(items: list, stop: bool = True) -> str | None:
    """Run ``items`` until one loses points (all of them when not ``stop``); then tear every
    fixture down. The nodeid of the first that lost points, or None."""
    from _pytest.runner import runtestprotocol

    losing = None
    for i, item in enumerate(items):
        for key in (OUTCOMES_KEY, PARTS_KEY, FEEDBACK_KEY):  # a rerun starts with a clean record
            if key in item.stash:
                del item.stash[key]
        item._initrequest()
        following = items[i + 1] if i + 1 < len(items) else None
        reports = runtestprotocol(item, nextitem=following, log=False)
        if losing is None and any(r.failed or r.skipped for r in reports):
            losing = item.nodeid
            if stop:
                break
    if items:
        items[0].session._setupstate.teardown_exact(None)
    return losing
