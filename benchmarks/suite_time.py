"""Wall time of the whole test suite (what `make test` runs) and its slowest tests.

    .venv/bin/python benchmarks/suite_time.py [extra pytest args]

Runs the suite once in a subprocess exactly as `make test` does (the command is read from the
Makefile's test target), prints the wall time, the pytest summary line and the ten slowest
tests. Measure on a quiet machine: other work on the 2 cores inflates every figure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_test_args() -> list[str]:
    """The pytest arguments of the Makefile's `test` target (after `-m pytest`)."""
    recipe = re.search(r"^test:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)[1]
    return recipe.split("-m pytest", 1)[1].split() if "-m pytest" in recipe else []


def main(extra: list[str]) -> int:
    cmd = [sys.executable, "-m", "pytest", *make_test_args(), "-q", "-p", "no:cacheprovider",
           "--durations=10", *extra]
    print("running:", " ".join(cmd[1:]), flush=True)
    started = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = run.stdout.splitlines()
    slow = [line for line in lines if re.match(r"^\d+\.\d+s (call|setup|teardown) ", line)]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line), "?")
    print(f"\nsuite wall time: {wall:.0f} s  ({summary.strip('= ')})")
    print("ten slowest:")
    for line in slow[:10]:
        print("  " + line)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
