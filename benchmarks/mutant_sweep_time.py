"""What the hand-written mutant sweep costs, mutant by mutant: where `make test`'s slowest check goes.

    .venv/bin/python benchmarks/mutant_sweep_time.py [LAB ...]

For each lab (default: every lab of shared.labs.LABS with mutants), grades all its mutants in one
sweep, exactly as tests/shared/grading/test_labs.py plans them (each mutant runs its exercise's
tests until one loses points), and prints the sweep's wall and CPU time (this process and its
children) and the seconds each mutant took, slowest first, with the test that caught it. Wall
seconds count waiting for the CPU: run it on a quiet machine.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "shared" / "grading")]

from test_labs import KIT_MUTANTS, mutants_of, mutated_exercise  # noqa: E402

from shared.grading.mutants import sweep  # noqa: E402
from shared.labs import LABS  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_lab(lab_id: str, work: Path) -> None:
    mutants = mutants_of(lab_id, KIT_MUTANTS)
    plan = [(m, mutated_exercise(ROOT, lab_id, m)) for m in mutants]
    wall, cpu = time.perf_counter(), children_cpu()
    result = sweep(lab_id, ROOT, plan, work / lab_id.replace("/", "_"))
    wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
    print(f"\n{lab_id}: {len(plan)} mutants, {wall:.1f} s wall, {cpu:.1f} s CPU (sweep process and children)")
    for name, seconds in sorted(result.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.1f} s  {name:45}  caught by {result.caught_by.get(name) or 'NOTHING'}")
    missing = [m.name for m, _ in plan if m.name not in result.seconds]
    if missing:
        print(f"  the sweep stopped before grading {missing}; its log ends:\n{result.log[-2000:]}")


def main(argv: list[str]) -> int:
    with_mutants = [lab.id for lab in LABS if mutants_of(lab.id, KIT_MUTANTS)]
    if any(a.startswith("-") for a in argv) or set(argv) - set(with_mutants):
        print(__doc__.split("\n\n")[1] + f"\nLabs with mutants: {', '.join(with_mutants)}")
        return 0 if argv in (["-h"], ["--help"]) else 2
    labs = argv or with_mutants
    with tempfile.TemporaryDirectory(prefix="labkit-sweep-") as tmp:
        for lab_id in labs:
            time_lab(lab_id, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
