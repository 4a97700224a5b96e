"""Grade labs in subprocesses: one pytest run per lab (and per submission).

Each run gets a wall-clock limit, its output is captured with a size cap (the first and last
kilobytes are kept, the middle is dropped as it streams), and the scores come from a JSON file
that the plugin writes into a fresh temporary folder (rewritten after every test). So a lab that
hangs, crashes at import, prints megabytes, calls ``sys.exit`` or kills its process loses only
its own points: the tests already graded keep their scores, the test that was running and those
after it score 0 with a note saying why, and the next lab is graded as usual.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.grading.plugin import LAB_ROOT_ENV, RESULTS_ENV, fmt_points

KIT_ROOT = Path(__file__).resolve().parents[2]  # the instructor's copy: tests and plugin
DEFAULT_TIMEOUT = 60.0  # seconds per graded test
DEFAULT_WALL_CLOCK = 1800.0  # seconds per lab run
DEFAULT_MAX_LOG = 64_000  # bytes of pytest output kept per lab run


@dataclass
class GradedTest:
    name: str
    nodeid: str
    lab: str
    score: float
    max_score: float
    status: str  # passed | failed | error | timeout | skipped | not_run
    feedback: str = ""
    hidden: bool = False
    duration: float = 0.0
    exercise: int | None = None
    exercise_title: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class LabResult:
    lab_id: str
    submission: str  # a label: "reference", a workspace or a submission folder name
    tests: list[GradedTest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the run itself went wrong
    notes: list[str] = field(default_factory=list)  # e.g. edited test files in a submission
    log: str = ""  # pytest's output, capped
    returncode: int | None = None
    duration: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def summary(self) -> str:
        return f"{fmt_points(self.score)}/{fmt_points(self.max_score)}"


# --------------------------------------------------------------------------------------------
# Capped output


class CappedOutput:
    """Keeps the first ``head`` and last ``tail`` bytes of a stream and counts the rest."""

    def __init__(self, limit: int = DEFAULT_MAX_LOG):
        self.head_limit = limit // 4
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > 2 * self.tail_limit:
            del self.tail[: len(self.tail) - self.tail_limit]

    def text(self) -> str:
        tail = self.tail[-self.tail_limit :]
        dropped = self.total - len(self.head) - len(tail)
        middle = f"\n[... {dropped} bytes of output left out ...]\n" if dropped > 0 else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle
                + bytes(tail).decode("utf-8", "replace"))


@dataclass
class Finished:
    returncode: int | None
    killed: bool
    output: str
    duration: float


def run_capped(cmd: list[str], *, cwd: Path, env: dict, wall_clock: float,
               max_log: int = DEFAULT_MAX_LOG) -> Finished:
    """Run ``cmd`` with a wall-clock limit; kill its whole process group when time is up."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=(os.name == "posix"),
    )
    output = CappedOutput(max_log)
    reader = threading.Thread(target=_drain, args=(proc.stdout, output), daemon=True)
    reader.start()
    killed = False
    try:
        proc.wait(timeout=wall_clock)
    except subprocess.TimeoutExpired:
        killed = True
        _kill_group(proc)
        proc.wait()
    reader.join(timeout=10)
    return Finished(proc.returncode, killed, output.text(), time.monotonic() - start)


def _drain(stream, output: CappedOutput) -> None:
    for chunk in iter(lambda: stream.read1(65536), b""):
        output.feed(chunk)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------------------------
# Grading one lab


def lab_tests_dir(lab_id: str, kit_root: Path = KIT_ROOT) -> Path:
    """tests/labs/<stack>/<task>/ if the lab has its own folder, else tests/labs/<stack>/.

    In a stack folder shared by several labs, the plugin's --grade-lab keeps this lab's tests.
    """
    own = Path(kit_root) / "tests" / "labs" / lab_id
    return own if own.is_dir() else own.parent


def pytest_command(lab_id: str, lab_root: Path, kit_root: Path, *, with_hidden: bool,
                   timeout: float, exercise: int | None = None,
                   extra_args: tuple[str, ...] = ()) -> list[str]:
    cmd = [
        sys.executable, "-m", "pytest", str(lab_tests_dir(lab_id, kit_root)),
        f"--rootdir={kit_root}", "-p", "shared.grading.plugin", "-p", "no:cacheprovider",
        f"--lab-root={Path(lab_root).resolve()}", f"--grade-timeout={timeout}",
        f"--grade-lab={lab_id}", "-m", "points", "-q", "--tb=short", "--show-capture=no", "--color=no",
    ]
    if with_hidden:
        cmd.append("--with-hidden")
    if exercise is not None:
        cmd.append(f"--grade-exercise={exercise}")
    return cmd + list(extra_args)


def grading_env(results: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (LAB_ROOT_ENV, RESULTS_ENV)}
    env[RESULTS_ENV] = str(results)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in a learner's or student's folder
    # The plugin and the kit's shared code come from the instructor's copy.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(KIT_ROOT), env.get("PYTHONPATH")) if p)
    return env


def grade_lab(lab_id: str, lab_root: Path, *, kit_root: Path = KIT_ROOT, label: str = "",
              with_hidden: bool = False, timeout: float = DEFAULT_TIMEOUT,
              wall_clock: float = DEFAULT_WALL_CLOCK, max_log: int = DEFAULT_MAX_LOG,
              exercise: int | None = None, extra_args: tuple[str, ...] = ()) -> LabResult:
    """Grade one lab's code found in ``lab_root/labs`` with the tests of ``kit_root``."""
    kit_root = Path(kit_root).resolve()
    result = LabResult(lab_id, label or Path(lab_root).name)
    if not lab_tests_dir(lab_id, kit_root).is_dir():
        result.notes.append(f"no graded tests for {lab_id} (no folder tests/labs/{lab_id}/ "
                            f"or tests/labs/{lab_id.split('/')[0]}/).")
        return result
    with tempfile.TemporaryDirectory(prefix="labkit-grade-") as tmp:
        results_file = Path(tmp) / f"{secrets.token_hex(8)}.json"
        cmd = pytest_command(lab_id, lab_root, kit_root, with_hidden=with_hidden,
                             timeout=timeout, exercise=exercise, extra_args=extra_args)
        run = run_capped(cmd, cwd=kit_root, env=grading_env(results_file),
                         wall_clock=wall_clock, max_log=max_log)
        data = _read_results(results_file)
    result.log, result.returncode, result.duration = run.output, run.returncode, run.duration
    _fill(result, data, run, wall_clock)
    return result


def _read_results(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fill(result: LabResult, data: dict | None, run: Finished, wall_clock: float) -> None:
    stop = (f"stopped after the {fmt_points(wall_clock)} s wall-clock limit" if run.killed
            else f"the test process exited with code {run.returncode}")
    if data is None:
        result.errors.append(f"the grading run produced no results ({stop}). Output:\n"
                             + run.output[-4000:])
        return
    for error in data.get("errors", []):
        result.errors.append(f"collection error in {error['nodeid']}: {error['message']}")
    current = data.get("current")
    for record in data.get("tests", []):
        test = GradedTest(
            name=record["name"], nodeid=record["nodeid"], lab=record["lab"],
            score=float(record["score"]), max_score=float(record["max_score"]),
            status=record["status"], feedback=record["feedback"], hidden=record["hidden"],
            duration=float(record["duration"]), exercise=record.get("exercise"),
            exercise_title=record.get("exercise_title", ""),
        )
        if not data.get("finished") and test.status == "not_run":
            test.score = 0.0
            if test.nodeid == current:
                test.status = "timeout" if run.killed else "error"
                test.feedback = f"the grading run stopped during this test: {stop}."
            else:
                test.feedback = f"not run: the grading run stopped during {current} ({stop})."
        result.tests.append(test)
    if not data.get("finished"):
        result.errors.append(f"the grading run did not finish: {stop}.")
    if not result.tests and not result.errors:
        result.notes.append(f"no graded tests collected for {result.lab_id}.")


def grade(lab_ids: list[str], lab_root: Path, **kwargs) -> list[LabResult]:
    """Grade several labs of one workspace or submission, one subprocess each, in order."""
    return [grade_lab(lab_id, lab_root, **kwargs) for lab_id in lab_ids]


def kit_lab_ids(kit_root: Path = KIT_ROOT) -> list[str]:
    """Labs of a kit: folders labs/<stack>/<task>/ holding Python code."""
    labs = Path(kit_root) / "labs"
    return sorted(
        f"{task.parent.name}/{task.name}"
        for task in labs.glob("*/*")
        if task.is_dir() and not task.name.startswith(("_", ".")) and any(task.glob("*.py"))
    )


def labs_present(root: Path, kit_root: Path = KIT_ROOT) -> list[str]:
    """The kit's labs that a workspace or submission folder has a copy of."""
    return [lab for lab in kit_lab_ids(kit_root) if (Path(root) / "labs" / lab).is_dir()]
