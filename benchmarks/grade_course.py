"""Grading a course on one machine: submissions per minute, and Gradescope's run_autograder time.

    .venv/bin/python benchmarks/grade_course.py [--submissions N] [--jobs J] [--lab LAB ...]

For each lab, in a fresh temporary folder:
- ``labkit grade LAB --submissions DIR --jobs J --with-hidden`` on N submissions, half of them
  finished (the reference code) and half untouched starter code, as a class mid-course might
  hand in; the figure is N over the command's wall time, in submissions per minute;
- the Gradescope bundle of that lab (``labkit release --gradescope``) run the way Gradescope runs
  it, ``run_autograder`` in a fake /autograder tree, on the reference: wall seconds.
Everything runs with the kit's own Python; the load average is printed, since the machine may be
shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.grading.workspace import start_lab  # noqa: E402
from shared.labs import LABS  # noqa: E402

LABKIT = str(Path(sys.executable).with_name("labkit"))


def reference_copy(lab_id: str, root: Path) -> None:
    stack = lab_id.split("/")[0]
    for init in (Path("labs/__init__.py"), Path("labs") / stack / "__init__.py"):
        (root / init).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / init, root / init)
    shutil.copytree(ROOT / "labs" / lab_id, root / "labs" / lab_id,
                    ignore=shutil.ignore_patterns("__pycache__"))


def submissions_per_minute(lab_id: str, count: int, jobs: int, tmp: Path) -> tuple[float, float]:
    subs = tmp / "subs"
    for i in range(count):
        folder = subs / f"student{i:02d}"
        if i % 2 == 0:
            reference_copy(lab_id, folder)
        else:
            start_lab(lab_id, folder, ROOT)
    started = time.perf_counter()
    run = subprocess.run([LABKIT, "grade", lab_id, "--submissions", str(subs), "--jobs", str(jobs),
                          "--with-hidden", "--report", str(tmp / "book.csv")],
                         cwd=tmp, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"grading failed:\n{run.stdout}\n{run.stderr}")
    return count / seconds * 60, seconds


def run_autograder_seconds(lab_id: str, tmp: Path) -> tuple[float, str]:
    bundle = tmp / "autograder.zip"
    subprocess.run([LABKIT, "release", "--gradescope", str(bundle), "--lab", lab_id], check=True,
                   capture_output=True)
    tree = tmp / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tree / "source")
    shutil.copyfile(tree / "source" / "run_autograder", tree / "run_autograder")
    reference_copy(lab_id, tree / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(tree), "LABKIT_PYTHON": sys.executable}
    started = time.perf_counter()
    subprocess.run(["bash", str(tree / "run_autograder")], env=env, capture_output=True, check=True)
    seconds = time.perf_counter() - started
    score = (tree / "results" / "results.json").read_text()[:200].split('"score": ')[1].split(",")[0]
    return seconds, f"{score} points, bundle {bundle.stat().st_size / 1024:.0f} KB"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--lab", action="append", help="default: every ready lab")
    args = parser.parse_args()
    labs = args.lab or [lab.id for lab in LABS if lab.status() == "ready"]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"{args.submissions} submissions per lab (half reference, half starter), --jobs {args.jobs}")
    print(f"{'lab':<22} {'subs/min':>9} {'batch s':>8} {'run_autograder s':>17}")
    for lab_id in labs:
        with tempfile.TemporaryDirectory() as tmp:
            rate, seconds = submissions_per_minute(lab_id, args.submissions, args.jobs, Path(tmp))
        with tempfile.TemporaryDirectory() as tmp:
            autograder, what = run_autograder_seconds(lab_id, Path(tmp))
        print(f"{lab_id:<22} {rate:>9.1f} {seconds:>8.1f} {autograder:>17.1f}  ({what}; "
              f"load {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
