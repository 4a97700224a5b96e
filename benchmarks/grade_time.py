"""How long a learner waits for a grade: `labkit grade` per lab, whole and one exercise at a time.

    .venv/bin/python benchmarks/grade_time.py [--repeat N]

In a fresh temporary folder: `labkit start LAB`, then the time to the first graded feedback
(`labkit grade LAB --exercise 1`), `labkit grade LAB` on the starter copy and on the reference
(`--solution`), and `labkit grade LAB --exercise N` for every exercise of the reference copy.
Each figure is the median of --repeat runs (default 3), wall time of the whole command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.grading.exercises import copy_with_exercises_done, load_exercises  # noqa: E402
from shared.labs import LABS  # noqa: E402

LABKIT = str(Path(sys.executable).with_name("labkit"))


def timed(args: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([LABKIT, *args], cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    print(f"median wall seconds over {repeat} runs")
    print(f"{'lab':<22} {'start+ex1':>10} {'starter':>8} {'solution':>9}  per exercise (reference copy)")
    for lab in LABS:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            subprocess.run([LABKIT, "start", lab.id], cwd=folder, capture_output=True, check=True)
            subprocess.run([LABKIT, "grade", lab.id, "--exercise", "1"], cwd=folder, capture_output=True)
            first = time.perf_counter() - started
            starter = timed(["grade", lab.id], folder, repeat)
            solution = timed(["grade", lab.id, "--solution"], folder, repeat)
            done = folder / "done"
            numbers = [e.number for e in load_exercises(lab.id)]
            copy_with_exercises_done(lab.id, set(numbers), done)
            per = {n: timed(["grade", lab.id, "--workspace", str(done), "--exercise", str(n)], folder, repeat)
                   for n in numbers}
        cells = " ".join(f"{n}:{t:.1f}" for n, t in per.items())
        print(f"{lab.id:<22} {first:>10.1f} {starter:>8.1f} {solution:>9.1f}  {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
