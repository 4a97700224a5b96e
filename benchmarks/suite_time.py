"""Wall time of the whole test suite (what `make test` runs) and its slowest tests.

    .venv/bin/python benchmarks/suite_time.py [extra pytest args]

Runs the suite once in a subprocess exactly as `make test` does (the command is read from the
Makefile's test target), prints the wall time, the pytest summary line, the ten slowest tests
and, per area, the seconds of test time and the CPU seconds its tests used (their processes and
the subprocesses they waited for, from the plugin cpu_per_test.py): an area is each lab (its
graded tests, and its grading checks in tests/shared/grading whose ids name it) or another top
folder of tests/. Test seconds add up to more than the wall time when workers run side by side
and grow while a test waits for the CPU; CPU seconds are the steadier measure of a lab's share.
It also prints the CPU of the whole run (every process). Measure on a quiet machine: other work
on the 2 cores inflates every figure. `suite_time.py -n 1` runs one worker: the suite's work
with no contention, whose half is the least wall time 2 cores could take.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
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
           "-p", "cpu_per_test", "--durations=0", "--durations-min=0", *extra]
    print("running:", " ".join(cmd[1:]), flush=True)
    with tempfile.TemporaryDirectory() as cpu_folder:
        env = {**os.environ, "LABKIT_CPU_PER_TEST": cpu_folder,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")]))}
        started = time.perf_counter()
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
        cpu = {}
        for path in Path(cpu_folder).glob("*.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                cpu[record["nodeid"]] = record["cpu"]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = run.stdout.splitlines()
    slow = [line for line in lines if re.match(r"^\d+\.\d+s (call|setup|teardown) ", line)]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line), "?")
    print(f"\nsuite wall time: {wall:.0f} s  ({summary.strip('= ')})")
    print(f"CPU of the run: {used.ru_utime + used.ru_stime:.0f} s (user {used.ru_utime:.0f}, "
          f"system {used.ru_stime:.0f}); of its tests: {sum(cpu.values()):.0f} s")
    for line in lines:
        if line.startswith(("FAILED", "ERROR")):
            print(line)
    print("ten slowest:")
    for line in slow[:10]:
        print("  " + line)
    durations = [line.split(maxsplit=2) for line in slow]
    seconds = per_area((nodeid, float(took.rstrip("s"))) for took, _, nodeid in durations)
    cpu_seconds = per_area(cpu.items())
    print("per area:   test-s    CPU-s")
    for area in sorted(seconds, key=lambda a: -cpu_seconds.get(a, 0.0)):
        print(f"  {seconds[area]:12.1f} {cpu_seconds.get(area, 0.0):8.1f}  {area}")
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


def per_area(seconds_by_test) -> dict[str, float]:
    """Seconds per lab (graded tests and grading checks naming it) or per top folder of tests/,
    from (nodeid, seconds) pairs."""
    areas: dict[str, float] = {}
    for nodeid, seconds in seconds_by_test:
        lab = lab_of(nodeid)
        area = f"lab {lab}" if lab else "/".join(nodeid.split("::")[0].split("/")[:3])
        areas[area] = areas.get(area, 0.0) + seconds
    return areas


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
