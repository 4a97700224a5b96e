"""What the graded tests execute of the reference solution: lines and branches of solution regions.

    .venv/bin/python benchmarks/grader_coverage.py [LAB ...] [--json out.json] [--min-branches 95]

For each lab (default: every ready lab with graded tests), runs its graded tests, hidden ones
included (``-m points --with-hidden``), on the kit's reference under coverage.py with branch
coverage, then counts what ran inside ``# BEGIN SOLUTION`` / ``# END SOLUTION`` regions: lines
(statements) and branches (each way out of an ``if``, ``while``, ``for``, ``match``: coverage.py
measures line-to-line arcs, so the two sides of an ``and``/``or`` are not branches). A branch belongs to a region when
the line it leaves from does. Subprocesses a test starts (``labkit run`` in a child Python) are
measured too (coverage's ``patch = subprocess``). Prints per lab and per exercise the share of
lines and branches executed, and every missed line and branch (``file:from->to``; a negative
``to`` is an exit from the function). ``--min-branches`` makes the exit status 1 when a lab's
branch share is below it.

A branch executed is not a branch graded: ``generated_mutants.py`` checks that a change to it
fails a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.grading.mutate import Region, solution_regions  # noqa: E402
from shared.grading.runner import lab_tests_dir  # noqa: E402

KIT = ROOT  # the kit whose labs and graded tests are measured (--kit)
TEST_TIMEOUT_S = 300  # per graded test: tracing slows training down several times

RCFILE = """\
[run]
branch = True
parallel = True
patch = subprocess
data_file = {data}
include = {include}
"""


def default_labs() -> list[str]:
    from shared.labs import LABS

    return [lab.id for lab in LABS if lab.status() == "ready" and lab_tests_dir(lab.id, KIT).is_dir()]


def measure(lab_id: str, work: Path) -> tuple[dict, float, int]:
    """Run the lab's graded tests under coverage; (coverage JSON report, wall s, pytest exit code)."""
    import coverage

    work.mkdir(parents=True, exist_ok=True)
    rc = work / "coveragerc"
    rc.write_text(RCFILE.format(data=work / ".coverage", include=KIT / "labs" / lab_id / "*.py"), encoding="utf-8")
    cmd = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest",
           str(lab_tests_dir(lab_id, KIT)), "-m", "points", "--with-hidden", "-p", "no:cacheprovider",
           "-q", f"--grade-lab={lab_id}", f"--grade-timeout={TEST_TIMEOUT_S}"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    run = subprocess.run(cmd, cwd=KIT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        print(f"{lab_id}: the graded tests did not all pass on the reference (exit {run.returncode}):\n"
              + run.stdout[-3000:] + run.stderr[-2000:])
    cov = coverage.Coverage(config_file=str(rc))
    cov.combine(data_paths=[str(work)])
    cov.save()
    out = work / "coverage.json"
    cov.json_report(outfile=str(out))
    return json.loads(out.read_text(encoding="utf-8")), wall, run.returncode


def region_figures(region: Region, file_report: dict | None) -> dict:
    """Lines and branches of one region: executed and missed."""
    inside = lambda line: region.first <= line <= region.last  # noqa: E731
    report = file_report or {}
    return {
        "lines_run": [n for n in report.get("executed_lines", []) if inside(n)],
        "lines_missed": [n for n in report.get("missing_lines", []) if inside(n)],
        "branches_run": [b for b in report.get("executed_branches", []) if inside(b[0])],
        "branches_missed": [b for b in report.get("missing_branches", []) if inside(b[0])],
    }


def share(run: int, missed: int) -> str:
    total = run + missed
    return f"{run}/{total} = {100 * run / total:5.1f}%" if total else "-"


def summarise(lab_id: str, data: dict) -> dict:
    files = {Path(name).resolve(): report for name, report in data["files"].items()}
    by_exercise: dict = {}
    for region in solution_regions(lab_id, KIT):
        figures = region_figures(region, files.get(region.path.resolve()))
        entry = by_exercise.setdefault(region.exercise, {"lines_run": 0, "lines_missed": 0, "branches_run": 0,
                                                         "branches_missed": 0, "missed": []})
        for key in ("lines_run", "lines_missed", "branches_run", "branches_missed"):
            entry[key] += len(figures[key])
        entry["missed"] += [f"{region.module}.py:{n} (line, {region.function})" for n in figures["lines_missed"]]
        entry["missed"] += [f"{region.module}.py:{a}->{b} (branch, {region.function})"
                            for a, b in figures["branches_missed"]]
    return by_exercise


def report(lab_id: str, by_exercise: dict, wall: float) -> float:
    totals = {k: sum(e[k] for e in by_exercise.values())
              for k in ("lines_run", "lines_missed", "branches_run", "branches_missed")}
    branches = totals["branches_run"] + totals["branches_missed"]
    pct = 100 * totals["branches_run"] / branches if branches else 100.0
    print(f"\n{lab_id}: solution regions, graded tests (visible + hidden) on the reference "
          f"({wall:.0f} s under coverage)")
    print(f"  {'':<12} {'lines':>18} {'branches':>18}")
    print(f"  {'lab':<12} {share(totals['lines_run'], totals['lines_missed']):>18} "
          f"{share(totals['branches_run'], totals['branches_missed']):>18}")
    for number in sorted(by_exercise, key=lambda n: (n is None, n)):
        e = by_exercise[number]
        print(f"  {'exercise ' + str(number):<12} {share(e['lines_run'], e['lines_missed']):>18} "
              f"{share(e['branches_run'], e['branches_missed']):>18}")
    missed = [m for number in sorted(by_exercise, key=lambda n: (n is None, n)) for m in by_exercise[number]["missed"]]
    if missed:
        print("  missed:")
        for m in missed:
            print(f"    {m}")
    return pct


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="lab ids (default: every ready lab with graded tests)")
    parser.add_argument("--json", type=Path, help="write the figures per lab and exercise here")
    parser.add_argument("--kit", type=Path, default=ROOT,
                        help="another copy of the kit (e.g. `git archive` of an older commit): its labs and tests")
    parser.add_argument("--min-branches", type=float, default=0.0,
                        help="exit 1 when a lab's solution-region branch share is below it (%%)")
    args = parser.parse_args(argv)
    global KIT
    KIT = args.kit.resolve()
    results, low = {}, []
    with tempfile.TemporaryDirectory(prefix="labkit-coverage-") as tmp:
        for lab_id in args.labs or default_labs():
            data, wall, code = measure(lab_id, Path(tmp) / lab_id.replace("/", "_"))
            by_exercise = summarise(lab_id, data)
            pct = report(lab_id, by_exercise, wall)
            results[lab_id] = {"branch_pct": round(pct, 1), "wall_s": round(wall, 1), "pytest_exit": code,
                               "exercises": {str(k): v for k, v in by_exercise.items()}}
            if pct < args.min_branches or code != 0:
                low.append(lab_id)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 1 if low else 0


if __name__ == "__main__":
    raise SystemExit(main())
