"""Wall time of the whole test suite (what `make test` runs) and its slowest tests.

    .venv/bin/python benchmarks/suite_time.py [extra pytest args]

Runs the suite once in a subprocess exactly as `make test` does (the command is read from the
Makefile's test target), prints the wall time, the pytest summary line, the ten slowest tests
and the seconds of test time per area: each lab (its graded tests, and its grading checks in
tests/shared/grading whose ids name it) and each other top folder of tests/. Areas add up to
more than the wall time when workers run side by side. Measure on a quiet machine: other work
on the 2 cores inflates every figure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # shared.labs names the labs


def make_test_args() -> list[str]:
    """The pytest arguments of the Makefile's `test` target (after `-m pytest`)."""
    recipe = re.search(r"^test:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)[1]
    return recipe.split("-m pytest", 1)[1].split() if "-m pytest" in recipe else []


def main(extra: list[str]) -> int:
    cmd = [sys.executable, "-m", "pytest", *make_test_args(), "-q", "-p", "no:cacheprovider",
           "--durations=0", "--durations-min=0", *extra]
    print("running:", " ".join(cmd[1:]), flush=True)
    started = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = run.stdout.splitlines()
    slow = [line for line in lines if re.match(r"^\d+\.\d+s (call|setup|teardown) ", line)]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line), "?")
    print(f"\nsuite wall time: {wall:.0f} s  ({summary.strip('= ')})")
    for line in lines:
        if line.startswith(("FAILED", "ERROR")):
            print(line)
    print("ten slowest:")
    for line in slow[:10]:
        print("  " + line)
    print("test seconds per area:")
    for area, seconds in sorted(per_area(slow).items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.1f}  {area}")
    return run.returncode


def lab_of(nodeid: str) -> str | None:
    """The lab a test's time counts for: a lab id in its id, a task name in its file under
    tests/labs/<stack>/, or the stack's only lab; None for tests of no lab."""
    from shared.labs import LABS

    path = nodeid.split("::")[0]
    for lab in [lab.id for lab in LABS] + ["sample/echo", "sample/calc"]:
        if lab in nodeid or (path.startswith(f"tests/labs/{lab.split('/')[0]}/") and lab.split("/")[1] in path):
            return lab
    if path.startswith("tests/labs/"):
        stack = path.split("/")[2]
        labs = [lab.id for lab in LABS if lab.id.startswith(stack + "/")]
        return labs[0] if len(labs) == 1 else f"{stack}/?"
    return None


def per_area(lines: list[str]) -> dict[str, float]:
    """Seconds per lab (graded tests and grading checks naming it) or per top folder of tests/."""
    areas: dict[str, float] = {}
    for line in lines:
        seconds, _, nodeid = line.split(maxsplit=2)
        lab = lab_of(nodeid)
        area = f"lab {lab}" if lab else "/".join(nodeid.split("::")[0].split("/")[:3])
        areas[area] = areas.get(area, 0.0) + float(seconds.rstrip("s"))
    return areas


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
