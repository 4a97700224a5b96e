"""Mutation score of the graded tests: generated mutants of the solution regions, killed or not.

    .venv/bin/python benchmarks/generated_mutants.py [LAB ...] [--jobs 2] [--module budget ...]
        [--kind compare ...] [--json out.json] [--min-score 90]

For each lab (default: every ready lab with graded tests), ``shared.grading.mutate`` makes one
mutant per mechanical slip inside a solution region (comparisons, branches, dropped calls,
returned constants, off-by-one integers, and/or, ``not``, ignored parameters). They are graded
like the hand-written mutants, in batches of one pytest process each
(``shared.grading.mutants.sweep``: the reference copied, the mutant in place of its module, the
graded tests of its exercise, hidden ones included, until one loses points). A mutant is killed
when a test loses points, survives when its exercise's tests all pass. The last mutant of each
batch is followed by the unchanged module as a control: it must survive, or state leaks between
mutants and the figures are void.

Prints per lab the score (killed / graded), per exercise and per kind, the wall time, and every
survivor with its file, line, function and change. ``--min-score`` makes the exit status 1 when
a lab scores below it. Trained models of mutated training code go to a temporary folder that is
removed afterwards (``TMPDIR`` of the grading processes), so each batch trains the reference once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.grading.mutants import sweep  # noqa: E402
from shared.grading.mutate import Mutant, generate, write_mutants  # noqa: E402

# Per graded test, as in the hand-written sweep: a loaded machine must not pass for a kill. A
# mutant that loops forever is killed at the limit; the report lists those apart.
TEST_TIMEOUT_S = 120.0
KIT = ROOT  # the kit whose labs and graded tests are measured (--kit)


def default_labs() -> list[str]:
    from shared.grading.runner import lab_tests_dir
    from shared.labs import LABS

    return [lab.id for lab in LABS if lab.status() == "ready" and lab_tests_dir(lab.id, KIT).is_dir()]


STALL_S = 2 * TEST_TIMEOUT_S + 300  # no mutant finished for this long: the sweep is stuck
STALLED = "stalled: the sweep stopped on it (killed by the watchdog)"


def sweep_pids(plan: Path) -> list[int]:
    """The pytest process grading ``plan`` (found by its own plan's path, never by a name)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"--mutant-sweep={plan}".encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def watched_sweep(lab_id: str, plan: list[tuple[Path, int | None]], work: Path):
    """``sweep``, with the process killed when no mutant has finished for STALL_S seconds.

    A sweep grades many mutants in one process; one mutant can leave it stuck where the per-test
    limit does not reach (seen once: a recovery mutant whose async run hangs the fixtures'
    teardown after earlier mutants). Graded alone, such a mutant fails its test at the limit.
    """
    done = threading.Event()
    progress = work / "caught.json"

    def watchdog() -> None:
        last, since = None, time.monotonic()
        while not done.wait(10):
            stamp = progress.stat().st_mtime if progress.exists() else None
            if stamp != last:
                last, since = stamp, time.monotonic()
            elif time.monotonic() - since > STALL_S:
                for pid in sweep_pids(work / "plan.json"):
                    os.kill(pid, signal.SIGKILL)
                return

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        return sweep(lab_id, KIT, plan, work, timeout=TEST_TIMEOUT_S)
    finally:
        done.set()


def grade_batch(lab_id: str, files: list[Path], mutants: list[Mutant], work: Path) -> dict[str, tuple]:
    """Sweep one batch, with the unchanged module as a control at its end; after a stuck mutant,
    the rest of the batch in a fresh process."""
    plan = [(f, m.exercise) for f, m in zip(files, mutants, strict=True)]
    control = work / "control" / f"{mutants[-1].module}__control.py"
    control.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(KIT / "labs" / lab_id / f"{mutants[-1].module}.py", control)
    plan.append((control, mutants[-1].exercise))
    graded: dict[str, tuple] = {}
    for attempt in range(len(plan)):
        result = watched_sweep(lab_id, plan, work / f"sweep{attempt}")
        graded.update({name: (test, result.seconds.get(name)) for name, test in result.caught_by.items()})
        rest = [(f, n) for f, n in plan if f.name not in result.caught_by]
        if not rest:
            break
        print(f"  {work.name}: the sweep stopped on {rest[0][0].name}; the rest in a new process")
        graded[rest[0][0].name] = (STALLED, None)
        plan = rest[1:]
        if not plan:
            break
    if graded.get(control.name, (None,))[0] is not None:
        raise SystemExit(f"{lab_id}: the unchanged module lost points on {graded[control.name][0]} "
                         f"after the mutants of batch {work.name}: the sweep leaks state; figures void.")
    return {f.name: graded.get(f.name, ("not graded", None)) for f in files}


def score_lab(lab_id: str, modules: set[str] | None, kinds: set[str] | None, jobs: int, work: Path) -> dict:
    mutants = [m for m in generate(lab_id, KIT, modules) if kinds is None or m.kind in kinds]
    if not mutants:
        return {"lab": lab_id, "mutants": 0}
    files = write_mutants(mutants, work / "mutants")
    started = time.perf_counter()
    batches = [(files[i::jobs], mutants[i::jobs], work / f"batch{i}") for i in range(jobs) if files[i::jobs]]
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each batch is its own pytest process
        caught: dict[str, tuple] = {}
        for part in pool.map(lambda b: grade_batch(lab_id, *b), batches):
            caught.update(part)
    wall = time.perf_counter() - started
    rows = [{**mutant_row(m), "file": f.name, "caught_by": caught[f.name][0], "seconds": caught[f.name][1]}
            for f, m in zip(files, mutants, strict=True)]
    return {"lab": lab_id, "mutants": len(rows), "wall_s": round(wall, 1), "jobs": jobs, "rows": rows}


def mutant_row(m: Mutant) -> dict:
    return {"module": m.module, "function": m.function, "exercise": m.exercise, "line": m.line,
            "kind": m.kind, "change": f"{m.before} -> {m.after}", "describe": m.describe()}


def report(result: dict) -> float:
    lab, rows = result["lab"], result.get("rows", [])
    if not rows:
        print(f"{lab}: no mutants")
        return 100.0
    graded = [r for r in rows if r["caught_by"] != "not graded"]
    killed = [r for r in graded if r["caught_by"] is not None]
    score = 100 * len(killed) / len(graded) if graded else 0.0
    print(f"\n{lab}: {len(killed)}/{len(graded)} generated mutants killed = {score:.1f}% "
          f"(wall {result['wall_s']:.0f} s, {result['jobs']} batches in parallel"
          + (f"; {len(rows) - len(graded)} not graded: the sweep stopped" if len(graded) < len(rows) else "") + ")")
    for key in ("exercise", "kind"):
        total, dead = Counter(r[key] for r in graded), Counter(r[key] for r in killed)
        print(f"  per {key}: " + ", ".join(f"{k}: {dead[k]}/{n}" for k, n in sorted(total.items(), key=str)))
    slow = [r for r in killed if (r["seconds"] or 0) >= TEST_TIMEOUT_S or r["caught_by"] == STALLED]
    if slow:
        print(f"  killed after {TEST_TIMEOUT_S:.0f} s or more of grading, or stalled the sweep (a test may have hit "
              "the time limit: a hang, or a loaded machine; grade such a mutant alone to tell): "
              + ", ".join(r["file"] for r in slow))
    survivors = [r for r in graded if r["caught_by"] is None]
    if survivors:
        print(f"  survivors ({len(survivors)}):")
        for r in survivors:
            print(f"    {r['file']}: exercise {r['exercise']}: {r['describe']}")
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="lab ids (default: every ready lab with graded tests)")
    parser.add_argument("--jobs", type=int, default=2, help="batches graded at once (one process each)")
    parser.add_argument("--module", action="append", help="only mutants of this module (repeat)")
    parser.add_argument("--kind", action="append", help="only mutants of this kind (repeat)")
    parser.add_argument("--json", type=Path, help="write every mutant's result here")
    parser.add_argument("--kit", type=Path, default=ROOT,
                        help="another copy of the kit (e.g. `git archive` of an older commit): its labs and tests")
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 when a lab scores below it (%%)")
    args = parser.parse_args(argv)
    global KIT
    KIT = args.kit.resolve()
    labs = args.labs or default_labs()
    results, failed = [], []
    with tempfile.TemporaryDirectory(prefix="labkit-mutants-") as tmp:
        os.environ["TMPDIR"] = tmp  # models trained from mutated code stay in here
        for lab_id in labs:
            result = score_lab(lab_id, set(args.module) if args.module else None,
                               set(args.kind) if args.kind else None, max(1, args.jobs),
                               Path(tmp) / lab_id.replace("/", "_"))
            results.append(result)
            if report(result) < args.min_score:
                failed.append(lab_id)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    if failed:
        print(f"\nbelow {args.min_score:.0f}%: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
