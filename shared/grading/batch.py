"""Grade many submissions on one machine: each in its own process, folder, HOME and time limit.

``labkit grade --submissions DIR --jobs N`` grades every folder of DIR, N at a time. For each
submission the parent

1. copies the submission's ``labs/`` and ``tests/`` into a fresh temporary folder (lab code that
   deletes or rewrites "its" folder reaches only that copy, never DIR or another submission);
2. copies the instructor's kit into the same folder (:func:`snapshot_kit`: code, reference,
   every lab test, hidden ones included) so grading never runs from the instructor's own copy;
3. starts a worker (``python -m shared.grading.batch``) in its own process group, with that
   folder as working folder, HOME and TMPDIR, a private copy of the tokenizer cache, a limit on
   the size of any file it writes (RLIMIT_FSIZE) and a wall-clock limit for the whole submission;
   the worker grades each lab with :func:`shared.grading.runner.grade_lab` (one pytest process
   per lab, its own group, killed at the submission's remaining time);
4. checks the kit copy against the instructor's kit afterwards: a submission that changed the
   grader's files scores 0 with a note saying which files, for a human to look at;
5. deletes the folder and rewrites the gradebook, so every finished submission has its row even
   if a later one fails or the run is stopped.

This stops careless and casual hostile code from touching other submissions, the instructor's
tests and the machine's tokenizer cache. It is not a sandbox: see "Threat model" in README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from shared.grading.regions import iter_files
from shared.grading.release import RELEASE_ITEMS, check_submission_tests
from shared.grading.runner import KIT_ROOT, GradedTest, LabResult, grade_lab, run_capped

# What grading runs from the instructor's kit: the release's code plus the reference and every test.
KIT_ITEMS = (*RELEASE_ITEMS, "labs", "tests/__init__.py", "tests/labs")
DEFAULT_JOBS = 2
DEFAULT_MAX_FILE_MB = 512  # no file a grading run writes may be larger (RLIMIT_FSIZE)
WORKER_GRACE = 15.0  # seconds the parent waits past the wall clock before it kills a worker


class BatchError(ValueError):
    """Bad input to a batch (no such folder, no submissions); nothing was graded."""


@dataclass
class GradeOptions:
    labs: list[str] | None = None  # None: the kit's labs present in each submission
    with_hidden: bool = True
    exercise: int | None = None
    timeout: float = 60.0  # per graded test
    wall_clock: float = 1800.0  # per submission, every lab included
    max_file_mb: float = DEFAULT_MAX_FILE_MB


# --------------------------------------------------------------------------------------------
# Finding submissions


def find_lab_root(folder: Path) -> Path | None:
    """The folder holding ``labs/``: the folder itself, its ``workspace/``, or its only subfolder."""
    folder = Path(folder)
    candidates = [folder, folder / "workspace"]
    children = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))] \
        if folder.is_dir() else []
    if len(children) == 1:  # an upload that kept its top folder, e.g. alice/labkit-main/labs
        candidates += [children[0], children[0] / "workspace"]
    return next((c for c in candidates if (c / "labs").is_dir()), None)


def submission_folders(folder: Path) -> list[Path]:
    """Every visible subfolder of ``folder``, sorted; a clear error if there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder; pass the folder that holds one folder per "
                         "submission.")
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not found:
        raise BatchError(f"{folder} holds no submission folders (one folder per submission, "
                         "each holding labs/).")
    return found


# --------------------------------------------------------------------------------------------
# The instructor's kit, copied and checked


def kit_files(kit_root: Path) -> list[Path]:
    files = []
    for item in KIT_ITEMS:
        path = Path(kit_root) / item
        files += [path] if path.is_file() else iter_files(path) if path.is_dir() else []
    return files


def kit_manifest(kit_root: Path) -> dict[str, str]:
    """{path relative to the kit: SHA-256} of every file grading runs from."""
    kit_root = Path(kit_root)
    return {p.relative_to(kit_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in kit_files(kit_root)}


def snapshot_kit(kit_root: Path, dest: Path) -> Path:
    for path in kit_files(kit_root):
        target = dest / path.relative_to(kit_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dest


def changedkit_files(before: dict[str, str], kit_copy: Path) -> list[str]:
    """Files of the kit copy that were edited, deleted or added (caches left aside)."""
    try:
        after = kit_manifest(kit_copy)
    except OSError as exc:  # e.g. a folder made unreadable
        return [f"unreadable: {exc}"]
    changed = [f"edited {rel}" for rel in before if rel in after and after[rel] != before[rel]]
    changed += [f"deleted {rel}" for rel in before if rel not in after]
    changed += [f"added {rel}" for rel in after if rel not in before]
    return sorted(changed)


# --------------------------------------------------------------------------------------------
# Grading one submission (in the worker process, or in Gradescope's container)


def grade_labs(lab_root: Path, kit_root: Path, lab_ids: list[str], options: GradeOptions,
               label: str, on_result: Callable[[LabResult], None] | None = None,
               deadline: float | None = None) -> list[LabResult]:
    """Grade ``lab_ids`` of one submission in order, each in its own pytest process."""
    results = []
    for lab_id in lab_ids:
        left = options.wall_clock if deadline is None else deadline - time.monotonic()
        if left <= 1:
            result = LabResult(lab_id, label)
            result.errors.append(f"not graded: the submission used up its "
                                 f"{options.wall_clock:g} s wall-clock limit before this lab.")
        else:
            result = grade_lab(lab_id, lab_root, kit_root=kit_root, label=label,
                               with_hidden=options.with_hidden, timeout=options.timeout,
                               wall_clock=left, exercise=options.exercise)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _limit_file_size(max_mb: float) -> None:
    """No file this process or its children write may pass ``max_mb`` (and no core dumps)."""
    try:
        import resource
    except ImportError:  # not POSIX: only the wall clock applies
        return
    limit = int(max_mb * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def worker_main(argv: list[str] | None = None) -> int:
    """``python -m shared.grading.batch``: grade one submission copy, results as JSON."""
    parser = argparse.ArgumentParser(prog="python -m shared.grading.batch")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--lab", action="append", required=True)
    parser.add_argument("--options", required=True, help="GradeOptions as JSON")
    args = parser.parse_args(argv)
    options = GradeOptions(**json.loads(args.options))
    _limit_file_size(options.max_file_mb)
    kit_root = Path.cwd()  # the parent starts the worker in its copy of the kit
    deadline = time.monotonic() + options.wall_clock
    done: list[LabResult] = []

    def save(result: LabResult) -> None:  # after every lab, so a killed worker loses nothing done
        done.append(result)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(json.dumps([dataclasses.asdict(r) for r in done]), encoding="utf-8")
        os.replace(tmp, args.out)

    grade_labs(args.root, kit_root, args.lab, options, args.label, save, deadline)
    return 0


def _load_results(path: Path) -> list[LabResult]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    results = []
    for record in records:
        tests = [GradedTest(**t) for t in record.pop("tests")]
        results.append(LabResult(**record, tests=tests))
    return results


# --------------------------------------------------------------------------------------------
# The parent: one worker per submission


def _worker_env(folder: Path, kit_copy: Path) -> dict:
    from shared.tokens import cache_dir

    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    tokens = folder / "tiktoken"  # a private copy: a submission cannot spoil the next one's cache
    if cache_dir().is_dir():
        shutil.copytree(cache_dir(), tokens)
    for name in ("home", "tmp"):
        (folder / name).mkdir()
    env.update(HOME=str(folder / "home"), TMPDIR=str(folder / "tmp"),
               TIKTOKEN_CACHE_DIR=str(tokens), PYTHONDONTWRITEBYTECODE="1")
    env.pop("DATA_GYM_CACHE_DIR", None)
    env.pop("XDG_CACHE_HOME", None)
    # The kit copy's code first; the running kit after it for a kit that has no shared/ (tests).
    env["PYTHONPATH"] = os.pathsep.join([str(kit_copy), str(KIT_ROOT)])
    return env


def _copy_submission(lab_root: Path, dest: Path) -> Path:
    for name in ("labs", "tests"):
        if (lab_root / name).is_dir():
            shutil.copytree(lab_root / name, dest / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _failed(label: str, lab_ids: list[str], message: str) -> list[LabResult]:
    return [LabResult(lab, label, errors=[message]) for lab in lab_ids]


def grade_submission(folder: Path, label: str, kit_root: Path,
                     options: GradeOptions) -> list[LabResult]:
    """Grade one submission folder in a worker process; never raises for a bad submission."""
    from shared.grading.runner import kit_lab_ids, lab_tests_dir, labs_present

    lab_root = find_lab_root(folder)
    if lab_root is None:
        every_lab = options.labs or [lab for lab in kit_lab_ids(kit_root)
                                     if lab_tests_dir(lab, kit_root).is_dir()]
        return _failed(label, every_lab, f"no labs/ folder in {folder} (looked in it, its "
                       "workspace/ and its only subfolder).")
    lab_ids = options.labs or labs_present(lab_root, kit_root)
    if not lab_ids:
        return _failed(label, ["-"], "the submission holds none of the kit's labs.")
    notes = {lab: check_submission_tests(lab_root, kit_root, lab) for lab in lab_ids}
    with tempfile.TemporaryDirectory(prefix="labkit-sub-") as tmp:
        work = Path(tmp)
        kit_copy = snapshot_kit(kit_root, work / "kit")
        before = kit_manifest(kit_copy)  # of the copy: the instructor may edit the kit meanwhile
        root = _copy_submission(lab_root, work / "submission")
        out = work / "results.json"
        cmd = [sys.executable, "-m", "shared.grading.batch", "--root", str(root), "--out", str(out),
               "--label", label, "--options", json.dumps(dataclasses.asdict(options))]
        for lab in lab_ids:
            cmd += ["--lab", lab]
        run = run_capped(cmd, cwd=kit_copy, env=_worker_env(work, kit_copy),
                         wall_clock=options.wall_clock + WORKER_GRACE)
        results = _load_results(out)
        tampered = changedkit_files(before, kit_copy)
    graded = {r.lab_id for r in results}
    why = "killed at the wall clock" if run.killed else f"exit code {run.returncode}"
    results += _failed(label, [lab for lab in lab_ids if lab not in graded],
                       f"not graded: the grading worker stopped ({why}). Output:\n"
                       + run.output[-2000:])
    for result in results:
        result.notes += notes.get(result.lab_id, [])
        if tampered:
            _void(result, tampered)
    return results


def _void(result: LabResult, changed: list[str]) -> None:
    """A submission that changed the grader's files keeps no points: its results can't be trusted."""
    shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
    for test in result.tests:
        test.score = 0.0
    result.errors.append(f"the submission changed the grader's files while it was graded ({shown});"
                         " its score is set to 0: review it by hand.")


def grade_submissions(folders: list[Path], kit_root: Path = KIT_ROOT,
                      options: GradeOptions | None = None, jobs: int = DEFAULT_JOBS,
                      on_done: Callable[[str, list[LabResult], float], None] | None = None,
                      ) -> list[LabResult]:
    """Grade ``folders`` ``jobs`` at a time; ``on_done(label, results, seconds)`` after each."""
    options = options or GradeOptions()
    names = [f.name for f in folders]
    labels = [f.name if names.count(f.name) == 1 else str(f) for f in folders]
    lock = threading.Lock()
    every: dict[str, list[LabResult]] = {}

    def one(folder: Path, label: str) -> None:
        started = time.monotonic()
        try:
            results = grade_submission(folder, label, kit_root, options)
        except OSError as exc:  # e.g. an unreadable submission: its row says so, the rest go on
            results = [LabResult("-", label, errors=[f"could not grade {folder}: {exc}"])]
        with lock:
            every[label] = results
            if on_done:
                on_done(label, results, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(one, f, lbl) for f, lbl in zip(folders, labels, strict=True)]:
            future.result()
    return [r for label in labels for r in every[label]]


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(worker_main())
