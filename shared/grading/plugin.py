"""The grading plugin for pytest (active in every run through ``-p shared.grading.plugin``).

What a graded test can use::

    @pytest.mark.points(3)                       # worth 3 points
    def test_shout(lab_module, feedback):
        text = lab_module("azure/ticket_triage", "text")   # lab code, from wherever it is graded
        feedback("shout('hi') should upper-case the text and add one '!'")  # shown on failure
        assert text.shout("hi") == "HI!", "expected 'HI!'; hint: str.upper()"

    @pytest.mark.points(4)
    def test_counts(lab_module, graded_parts):   # partial credit: each part earns its weight
        text = lab_module("azure/ticket_triage", "text")
        with graded_parts("counts one word"):
            assert text.count_words("a") == {"a": 1}
        with graded_parts("ignores case", weight=2):
            assert text.count_words("A a") == {"a": 2}

    @pytest.mark.hidden                          # instructor-only; runs with --with-hidden
    @pytest.mark.exercise(3)                     # the guide step it grades (exercises.toml)

Exercises: a graded test marked ``exercise(N)`` grades step N of its lab alone. When it runs on a
learner's copy (``--lab-root``) and the kit holds the reference solution, every *other*
exercise's function runs the reference's code for the length of the test (see
``shared.grading.exercises``), so N's tests turn green as soon as N is done.

Rules: a test that passes earns its points; a failed test earns the weight of its passed parts
(a failure outside any part earns nothing, so put code that may fail inside a part); a skipped
test earns nothing. ``points(n, timeout=s)`` overrides ``--grade-timeout`` for one test.

Options: ``--with-hidden``, ``--grade-timeout S`` (per graded test, default 60; 0 = none),
``--grade-seed N``, ``--lab-root DIR`` (or env ``LABKIT_LAB_ROOT``: import ``labs.*`` from
``DIR/labs`` instead of the kit), ``--grade-results FILE`` (or env ``LABKIT_GRADE_RESULTS``:
write the results as JSON, rewritten after every test so a crash loses nothing already graded),
``--grade-traceback`` (add the traceback to the feedback in the results), ``--grade-exercise N``
(only the tests of exercise N).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import random
import signal
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

# The redirect of labs.* to a workspace lives in labroot (standard library only); re-exported here.
from shared.grading.labroot import (  # noqa: F401
    LAB_ROOT_ENV,
    active_lab_root,
    install_lab_root,
    remove_lab_root,
)

RESULTS_ENV = "LABKIT_GRADE_RESULTS"
RESULTS_VERSION = 1
MAX_FEEDBACK = 4000  # characters of feedback kept per test in the results file

MARKERS = (
    "points(n): graded test worth n points (partial credit when the test declares parts)",
    "hidden: instructor-only graded test, left out of student releases",
    "exercise(n): the lab exercise (guide step, see the lab's exercises.toml) a graded test grades",
)


class GradeTimeout(BaseException):
    """A graded test ran past its time limit.

    A BaseException so that lab code's ``except Exception`` cannot swallow it.
    """


class PartsFailed(AssertionError):
    """Some parts of a partial-credit test failed; the message lists them."""


class LabImportError(ImportError):
    """The lab module could not be imported; the message says which file and why."""


class Unstarted(NotImplementedError):
    """The test's exercise is still the untouched starter code: the test fails without running."""


class LabExit(Exception):
    """Lab code called ``pytest.exit()``; turned into a failure of that one test."""


# --------------------------------------------------------------------------------------------
# Per-test records


@dataclass
class Part:
    description: str
    weight: float
    passed: bool
    message: str = ""


@dataclass
class GradeRecord:
    nodeid: str
    name: str
    lab: str
    file: str
    max_score: float
    hidden: bool
    exercise: int | None = None
    exercise_title: str = ""
    score: float = 0.0
    status: str = "not_run"  # passed | failed | error | timeout | skipped | not_run
    feedback: str = ""
    duration: float = 0.0
    parts: list[Part] = field(default_factory=list)


RECORD_KEY = pytest.StashKey[GradeRecord]()
PARTS_KEY = pytest.StashKey["GradedParts"]()
FEEDBACK_KEY = pytest.StashKey[list]()
OUTCOMES_KEY = pytest.StashKey[list]()
LAB_KEY = pytest.StashKey[str]()
PATCH_KEY = pytest.StashKey[object]()


def points_of(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("points")
    if marker is None:
        return None
    value = marker.args[0] if marker.args else marker.kwargs.get("n")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.points needs a positive number, e.g. points(2); "
            f"got {value!r}."
        )
    return float(value)


def exercise_of(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("exercise")
    if marker is None:
        return None
    value = marker.args[0] if marker.args else marker.kwargs.get("n")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.exercise needs a step number, e.g. "
                                f"exercise(3); got {value!r}.")
    return value


def lab_of(item: pytest.Item) -> str:
    """The lab a test grades, known before it runs.

    From its path (tests/labs/<stack>/<task>/...), else a module-level ``LAB_ID`` or ``LAB``
    ("stack/task"), else the only lab of its stack (tests/labs/<stack>/test_x.py when the kit has
    a single labs/<stack>/<task>/ folder), else "other".
    """
    path = Path(str(item.path))
    parts = path.parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == "labs" and parts[i - 1] == "tests":
            below = parts[i + 1 :]
            if len(below) >= 3:
                return f"{below[0]}/{below[1]}"
            module = getattr(item, "module", None)
            for name in ("LAB_ID", "LAB"):
                value = getattr(module, name, None)
                if isinstance(value, str) and value.count("/") == 1:
                    return value
            stack_dir = Path(*parts[: i - 1]) / "labs" / below[0]
            tasks = [p.name for p in stack_dir.glob("*/") if p.is_dir()
                     and not p.name.startswith(("_", "."))] if stack_dir.is_dir() else []
            if len(tasks) == 1:
                return f"{below[0]}/{tasks[0]}"
            break
    module = getattr(item, "module", None)
    value = getattr(module, "LAB_ID", None) or getattr(module, "LAB", None)
    return value if isinstance(value, str) and "/" in value else "other"


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def fmt_points(value: float) -> str:
    return f"{round(value, 2):g}"


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def lab_module(request):
    """Import a module of a lab's code: ``lab_module("azure/ticket_triage", "budget")``.

    Graded tests reach lab code only through this fixture, so grading points the same tests at
    the reference solution, a learner's workspace or a submission (see ``--lab-root``).
    """

    def load(lab_id: str, name: str):
        request.node.stash[LAB_KEY] = lab_id.strip("/")
        module_name = "labs." + lab_id.strip("/").replace("/", ".") + "." + name
        where = active_lab_root() or "the kit"
        try:
            return importlib.import_module(module_name)
        except Exception as exc:
            path = "labs/" + lab_id.strip("/") + "/" + name + ".py"
            raise LabImportError(
                f"could not import {path} (from {where}): {type(exc).__name__}: {exc}"
            ) from exc

    return load


class GradedParts:
    """Partial credit: ``with graded_parts("what this part checks", weight=1): ...``."""

    def __init__(self):
        self.parts: list[Part] = []

    @contextlib.contextmanager
    def __call__(self, description: str, weight: float = 1.0):
        if weight <= 0:
            raise ValueError(f"part {description!r}: weight must be positive, got {weight}")
        try:
            yield
        except (Exception, pytest.fail.Exception) as exc:
            self.parts.append(Part(description, float(weight), False, describe_exception(exc)))
        else:
            self.parts.append(Part(description, float(weight), True))

    def fraction(self) -> float:
        total = sum(p.weight for p in self.parts)
        return sum(p.weight for p in self.parts if p.passed) / total if total else 0.0

    def summary(self) -> str:
        passed = sum(p.passed for p in self.parts)
        lines = [f"{passed} of {len(self.parts)} parts passed."]
        lines += [f"- {p.description}: {p.message}" for p in self.parts if not p.passed]
        return "\n".join(lines)


@pytest.fixture
def graded_parts(request) -> GradedParts:
    parts = GradedParts()
    request.node.stash[PARTS_KEY] = parts
    return parts


@pytest.fixture
def feedback(request):
    """``feedback("what was expected, and a hint")``: shown if this test fails."""
    messages = request.node.stash.setdefault(FEEDBACK_KEY, [])
    return messages.append


# --------------------------------------------------------------------------------------------
# Failure descriptions


_GRADING_KIT: list[Path | None] = [None]  # the kit whose exercises.toml names unfinished exercises


def describe_unfinished(exc: NotImplementedError, exercise: int | None = None,
                        kit_root: Path | None = None) -> str:
    from shared.grading.exercises import KIT_ROOT, unfinished

    found = unfinished(exc, Path(kit_root or _GRADING_KIT[0] or KIT_ROOT))
    if found is None:
        return f"not implemented yet: {exc}" if str(exc) else "not implemented yet"
    step = found.exercise
    if exercise is not None and step.number != exercise:
        return (f"this test also needs {step.label} ({found.where}), which is not done yet; "
                f"finish it first. Hint: {found.hint}")
    return not_done(found)


def not_done(found) -> str:
    """The feedback of a test that reached an exercise's starter code (an exercises.Unfinished)."""
    return f"not done yet: {found.where} ({found.exercise.label}). Hint: {found.hint}"


def describe_exception(exc: BaseException, exercise: int | None = None,
                       kit_root: Path | None = None) -> str:
    if isinstance(exc, GradeTimeout | PartsFailed | LabImportError | LabExit | Unstarted):
        return str(exc)
    if isinstance(exc, AssertionError):
        return str(exc) or "an assertion failed (the test gave no message)"
    if isinstance(exc, NotImplementedError):
        return describe_unfinished(exc, exercise, kit_root)
    if isinstance(exc, SystemExit):
        return f"the code called sys.exit({exc.code!r}); lab functions must return, not exit"
    if isinstance(exc, pytest.fail.Exception):
        return str(exc.msg)
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str):
    """Raise GradeTimeout in this thread after ``seconds`` (SIGALRM; main thread, POSIX only)."""
    usable = (
        seconds
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise GradeTimeout(
            f"timed out after {fmt_points(seconds)} s during {what}: the code did not finish "
            "in time. Look for an endless loop or a call that waits forever."
        )

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    if importlib.util.find_spec("numpy") is not None:
        import numpy as np

        np.random.seed(seed)
    if "keras" in sys.modules:  # only when lab code already paid for importing it
        sys.modules["keras"].utils.set_random_seed(seed)


# --------------------------------------------------------------------------------------------
# The grader: collects records, writes the results file, prints the score table


class Grader:
    def __init__(self, config: pytest.Config, results_path: Path | None):
        self.config = config
        self.results_path = results_path
        self.records: dict[str, GradeRecord] = {}
        self.errors: list[dict] = []
        self.current: str | None = None
        self.finished = False
        self.exitstatus: int | None = None
        self.with_hidden = bool(config.getoption("with_hidden"))
        self.timeout = config.getoption("grade_timeout")
        self.seed = config.getoption("grade_seed")
        self.traceback = bool(config.getoption("grade_traceback"))
        self.run_unstarted = bool(config.getoption("run_unstarted"))

    # collection ---------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        only_lab = config.getoption("grade_lab")
        only_exercise = config.getoption("grade_exercise")
        keep, dropped = [], []
        for item in items:
            hidden = item.get_closest_marker("hidden") and not self.with_hidden
            other_lab = only_lab and lab_of(item) != only_lab.strip("/")
            other_exercise = only_exercise is not None and exercise_of(item) != only_exercise
            (dropped if hidden or other_lab or other_exercise else keep).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
        first = config.getoption("grade_first")
        if first:  # stable: tests named after a module run first (mutation checks with -x)
            items.sort(key=lambda item: first not in f"{Path(str(item.path)).stem}::{item.name}")

    def pytest_collection_finish(self, session):
        for item in session.items:
            points = points_of(item)
            if points is None:
                continue
            record = GradeRecord(
                nodeid=item.nodeid,
                name=item.nodeid.split("/")[-1],
                lab=lab_of(item),
                file=_relative(Path(str(item.path)), session.config.rootpath),
                max_score=points,
                hidden=item.get_closest_marker("hidden") is not None,
                exercise=exercise_of(item),
            )
            record.exercise_title = self.exercise_title(record)
            item.stash[RECORD_KEY] = record
            self.records[item.nodeid] = record
        self.write()

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(
                {"nodeid": report.nodeid or "<session>", "message": report.longreprtext[:MAX_FEEDBACK]}
            )
            self.write()

    # running ------------------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid, location):
        if nodeid in self.records:
            self.current = nodeid
            self.write()

    def exercise_title(self, record: GradeRecord) -> str:
        from shared.grading.exercises import ExerciseError, exercise_numbered

        if record.exercise is None:
            return ""
        try:
            return exercise_numbered(record.lab, record.exercise, self.config.rootpath).title
        except ExerciseError:
            return ""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        seed_everything(self.seed)  # before any fixture runs
        self.fail_if_unstarted(item)
        with time_limit(self.limit_for(item), "set-up"):
            self.use_reference_for_other_exercises(item)
            return (yield)

    def fail_if_unstarted(self, item) -> None:
        """A test of an exercise still exactly as the starter code fails at once: its fixtures
        (training, servers) would take seconds to reach the same NotImplementedError."""
        from shared.grading.exercises import ExerciseError, unstarted

        record = item.stash.get(RECORD_KEY, None)
        root, kit = active_lab_root(), Path(self.config.rootpath).resolve()
        if self.run_unstarted or record is None or record.exercise is None or root in (None, kit):
            return
        try:
            found = unstarted(record.lab, record.exercise, root, kit)
        except ExerciseError:
            return
        if found is not None:
            raise Unstarted(not_done(found))

    def use_reference_for_other_exercises(self, item) -> None:
        """Grading a learner's copy: exercises other than this test's run the reference's code."""
        from shared.grading.exercises import has_reference, use_reference_except

        record = item.stash.get(RECORD_KEY, None)
        root, kit = active_lab_root(), Path(self.config.rootpath).resolve()
        if record is None or record.exercise is None or root is None or root == kit:
            return
        if has_reference(record.lab, kit):
            item.stash[PATCH_KEY] = use_reference_except(record.lab, record.exercise, kit)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        try:
            return (yield)
        finally:
            patch = item.stash.get(PATCH_KEY, None)
            if patch is not None:
                from shared.grading.exercises import stop_reference

                stop_reference(patch)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        __tracebackhide__ = True
        with time_limit(self.limit_for(item), "the test"):
            try:
                result = yield
            except pytest.exit.Exception as exc:
                raise LabExit(f"the code called pytest.exit({exc.msg!r})") from None
        parts = item.stash.get(PARTS_KEY, None)
        if parts is not None and any(not p.passed for p in parts.parts):
            raise PartsFailed(parts.summary())
        return result

    def limit_for(self, item) -> float | None:
        if item.stash.get(RECORD_KEY, None) is None:
            return None  # ungraded tests run without a grading time limit
        marker = item.get_closest_marker("points")
        return marker.kwargs.get("timeout", self.timeout)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        record = item.stash.get(RECORD_KEY, None)
        if record is not None:
            item.stash.setdefault(OUTCOMES_KEY, []).append((call.when, report, call.excinfo))
            if call.when == "teardown":  # every phase is known now
                self.score(record, item)
        return report

    def pytest_runtest_logfinish(self, nodeid, location):
        if nodeid in self.records:
            self.current = None
            self.write()

    def score(self, record: GradeRecord, item) -> None:
        outcomes = item.stash.get(OUTCOMES_KEY, [])
        parts = item.stash.get(PARTS_KEY, None)
        extra = item.stash.get(FEEDBACK_KEY, [])
        record.duration = round(sum(r.duration for _, r, _ in outcomes), 3)
        record.parts = list(parts.parts) if parts else []
        failures = [(when, r, e) for when, r, e in outcomes if r.failed]
        skipped = [r for _, r, _ in outcomes if r.skipped]
        if failures:
            when, report, excinfo = failures[0]
            exc = excinfo.value if excinfo is not None else None
            if isinstance(exc, Unstarted):
                when = "call"  # a failed test of an unwritten exercise, not a broken set-up
            only_parts = len(failures) == 1 and when == "call" and isinstance(exc, PartsFailed)
            record.score = record.max_score * parts.fraction() if only_parts else 0.0
            record.status = (
                "timeout" if isinstance(exc, GradeTimeout)
                else "failed" if when == "call" else "error"
            )
            message = (describe_exception(exc, record.exercise, self.config.rootpath) if exc is not None
                       else report.longreprtext)
            if when != "call":
                message = f"error during {'set-up' if when == 'setup' else 'tear-down'}: {message}"
            lines = [*extra, message]
            if self.traceback:
                lines.append(report.longreprtext)
            record.feedback = "\n".join(lines)[:MAX_FEEDBACK]
        elif skipped:
            record.score, record.status = 0.0, "skipped"
            reason = skipped[0].longrepr[2] if isinstance(skipped[0].longrepr, tuple) else ""
            record.feedback = f"skipped (earns no points): {reason}"[:MAX_FEEDBACK]
        else:
            record.score, record.status, record.feedback = record.max_score, "passed", ""
        record.score = round(record.score, 4)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.finished = True
        self.exitstatus = int(exitstatus)
        self.write()

    # output -------------------------------------------------------------------------------

    def as_dict(self) -> dict:
        return {
            "version": RESULTS_VERSION,
            "lab_root": str(active_lab_root() or self.config.rootpath),
            "with_hidden": self.with_hidden,
            "finished": self.finished,
            "exitstatus": self.exitstatus,
            "current": self.current,
            "tests": [asdict(r) for r in self.records.values()],
            "errors": self.errors,
        }

    def write(self) -> None:
        if self.results_path is None:
            return
        tmp = self.results_path.with_name(self.results_path.name + ".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, self.results_path)

    def pytest_terminal_summary(self, terminalreporter):
        ran = [r for r in self.records.values() if r.status != "not_run"]
        if not ran:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "grades: points earned / possible")
        total = possible = 0.0
        for lab in sorted({r.lab for r in ran}):
            records = [r for r in ran if r.lab == lab]
            earned = sum(r.score for r in records)
            maximum = sum(r.max_score for r in records)
            write(lab)
            for heading, group in by_exercise(records):
                write(f"  {heading}")
                for r in group:
                    score = f"{fmt_points(r.score)}/{fmt_points(r.max_score)}"
                    hint = r.feedback.strip().splitlines()[0][:70] if r.feedback.strip() else ""
                    write(f"    {r.status:<8} {score:>9}  {r.name}" + (f"  - {hint}" if hint else ""))
            write(f"  {'total':<10} {fmt_points(earned) + '/' + fmt_points(maximum):>9}")
            total, possible = total + earned, possible + maximum
        write(f"TOTAL {fmt_points(total)}/{fmt_points(possible)}", bold=True)


def by_exercise(records: list) -> list[tuple[str, list]]:
    """Records grouped by exercise in guide order, each group headed "Exercise 3: Batching 4/6"."""
    groups: dict[int | None, list] = {}
    for r in records:
        groups.setdefault(r.exercise, []).append(r)
    out = []
    for number in sorted(groups, key=lambda n: (n is None, n or 0)):
        group = groups[number]
        earned = fmt_points(sum(r.score for r in group))
        possible = fmt_points(sum(r.max_score for r in group))
        title = next((r.exercise_title for r in group if r.exercise_title), "")
        name = (f"Exercise {number}" + (f": {title}" if title else "")) if number else "Other graded tests"
        out.append((f"{name}  {earned}/{possible}", group))
    return out


# --------------------------------------------------------------------------------------------
# Hooks of the plugin module


def pytest_addoption(parser):
    group = parser.getgroup("labkit grading")
    group.addoption("--with-hidden", action="store_true", help="Also run @pytest.mark.hidden tests.")
    group.addoption(
        "--grade-timeout", type=float, default=60.0,
        help="Time limit in seconds for each graded test's set-up and body (0: none). Default 60.",
    )
    group.addoption("--grade-seed", type=int, default=0, help="Seed for random/numpy/keras.")
    group.addoption(
        "--lab-root", default=None,
        help=f"Import labs.* from DIR/labs (a workspace or submission). Env: {LAB_ROOT_ENV}.",
    )
    group.addoption(
        "--grade-results", default=None,
        help=f"Write the graded results as JSON to this file. Env: {RESULTS_ENV}.",
    )
    group.addoption(
        "--grade-lab", default=None,
        help="Grade only this lab's tests (e.g. azure/ticket_triage); others are deselected.",
    )
    group.addoption(
        "--grade-first", default=None,
        help="Run tests whose file or test name contains this text first (with -x: fail fast).",
    )
    group.addoption(
        "--grade-traceback", action="store_true", help="Add tracebacks to the results' feedback."
    )
    group.addoption(
        "--run-unstarted", action="store_true",
        help="Run the tests of exercises still as the starter code too (by default they fail "
             "without running; CI grades the starter copy this way to prove each would fail).",
    )
    group.addoption(
        "--grade-exercise", type=int, default=None,
        help="Grade only the tests of this exercise (its number in the lab guide).",
    )


def _requested_lab_root(namespace) -> str | None:
    return getattr(namespace, "lab_root", None) or os.environ.get(LAB_ROOT_ENV) or None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # As early as possible: before any conftest can import labs.*
    root = _requested_lab_root(early_config.known_args_namespace)
    if root:
        install_lab_root(root)


def pytest_configure(config):
    _GRADING_KIT[0] = Path(config.rootpath)
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    root = _requested_lab_root(config.option)
    if root and active_lab_root() != Path(root).resolve():
        install_lab_root(root)
    # Taken out of the environment so lab code does not find it by a casual look.
    path = config.getoption("grade_results") or os.environ.pop(RESULTS_ENV, None)
    grader = Grader(config, Path(path) if path else None)
    config.pluginmanager.register(grader, "labkit-grader")
