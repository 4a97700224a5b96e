"""CI checks of every lab's grading: reference 100%, starter code 0, each mutant loses points.

For every lab of ``shared.labs.LABS`` that is ready and has graded tests:
- the reference solution scores full marks (hidden tests included);
- a fresh student copy imports and scores 0, and the run finishes (no crash, no hang);
- each broken variant in ``tests/mutants/<stack>/<task>/<module>__<what>.py`` (a whole
  replacement of ``labs/<stack>/<task>/<module>.py`` with one plausible bug) loses points;
- every module with solution regions has at least one mutant;
- each exercise grades on its own: a copy with only exercise N done scores exactly N's points,
  and every other test fails on its own unfinished exercise, not because of N;
- every graded test names its exercise, every solution region belongs to exactly one exercise,
  and the guide's steps carry the exercises' numbers and titles.
Mutants are graded in batches, one pytest process per batch (``shared.grading.mutants``). The
same checks run on the sample kit under data/, so the machinery is tested even before a lab has graded tests.
"""

from __future__ import annotations

import ast
import difflib
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import pytest
from grading_helpers import KIT, MUTANTS

from shared.grading.exercises import copy_with_exercises_done, load_exercises, region_owners
from shared.grading.mutants import copy_reference, sweep
from shared.grading.plugin import GradeRecord, fmt_points
from shared.grading.regions import has_solution_regions, iter_files
from shared.grading.release import write_release
from shared.grading.runner import KIT_ROOT, GradedTest, LabResult, grade_lab, lab_tests_dir
from shared.grading.workspace import start_lab
from shared.labs import LABS
from tests.once import computed_once

KIT_MUTANTS = KIT_ROOT / "tests" / "mutants"


def has_graded_tests(lab_id: str, kit_root: Path) -> bool:
    folder = lab_tests_dir(lab_id, kit_root)
    return folder.is_dir() and any(
        "mark.points" in p.read_text(encoding="utf-8") for p in folder.rglob("test_*.py"))


def mutants_of(lab_id: str, mutants_root: Path) -> list[Path]:
    return sorted((mutants_root / lab_id).glob("*__*.py"))


def skip_reason(lab) -> str | None:
    if lab.status() != "ready":
        return f"lab {lab.id} is not ready yet (status: {lab.status()})"
    if not has_graded_tests(lab.id, KIT_ROOT):
        where = lab_tests_dir(lab.id, KIT_ROOT).relative_to(KIT_ROOT).as_posix()
        return f"lab {lab.id} has no graded tests yet (no @pytest.mark.points test in {where}/)"
    return None


# (kit, lab id, mutants root, skip reason) for the kit's labs and the sample kit's labs.
CASES = [(KIT_ROOT, lab.id, KIT_MUTANTS, skip_reason(lab)) for lab in LABS] + [
    (KIT, lab_id, MUTANTS, None) for lab_id in ("sample/echo", "sample/calc")]


def case_id(case) -> str:
    return ("sample:" if case[0] == KIT else "") + case[1]


def params():
    out = []
    for case in CASES:
        kit, lab_id, mutants_root, reason = case
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        out.append(pytest.param(kit, lab_id, mutants_root, marks=marks, id=case_id(case)))
    return out


def failing(result) -> str:
    lines = [f"{t.name}: {t.status} {fmt_points(t.score)}/{fmt_points(t.max_score)}: "
             f"{t.feedback.splitlines()[0] if t.feedback else ''}"
             for t in result.tests if not t.passed]
    return "\n".join(lines + result.errors)


def graded_once(tmp_path_factory, name: str, grade) -> LabResult:
    """``grade(folder)`` once per test run, even when pytest-xdist spreads the tests that need it
    over several workers (each would otherwise grade the same copy again)."""
    data = computed_once(tmp_path_factory, name.replace("/", "_").replace(":", "_"),
                         lambda folder: asdict(grade(folder)))
    return LabResult(**{**data, "tests": [GradedTest(**t) for t in data["tests"]]})


@pytest.fixture(scope="session")
def reference_result(tmp_path_factory):
    """grade(kit, lab_id) -> the reference's LabResult with hidden tests, graded once per run.

    Graded from a copy, as a learner's workspace is, so each test runs with the reference patch
    for the other exercises; the kit's own folder is what the direct run of tests/labs covers.
    """

    def grade(kit, lab_id):
        return graded_once(tmp_path_factory, "reference-" + case_id((kit, lab_id)), lambda folder:
                           grade_lab(lab_id, copy_reference(kit, lab_id, folder), kit_root=kit,
                                     with_hidden=True))

    return grade


@pytest.mark.slow
@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), [p for p in params() if p.values[0] == KIT])
def test_reference_solution_scores_full_marks(kit, lab_id, mutants_root, reference_result):
    """The sample labs' reference, graded as a submission is. The kit's labs are graded the same
    way by their first mutant batch's control (test_each_mutant_loses_points), in a process that
    has already paid for its imports and models."""
    result = reference_result(kit, lab_id)
    assert result.max_score > 0, f"no graded tests ran for {lab_id}: {result.notes}"
    assert result.score == result.max_score, (
        f"the reference of {lab_id} scores {result.summary}; it must score full marks:\n"
        + failing(result))


@pytest.fixture(scope="session")
def student_result(tmp_path_factory):
    """grade(kit, lab_id) -> a fresh student copy's LabResult with hidden tests, graded once."""

    def grade(kit, lab_id):
        def start_and_grade(folder):
            start_lab(lab_id, folder, kit)  # every test runs: this is what proves each one fails
            return grade_lab(lab_id, folder, kit_root=kit, with_hidden=True, extra_args=("--run-unstarted",))

        return graded_once(tmp_path_factory, "student-" + case_id((kit, lab_id)), start_and_grade)

    return grade


@pytest.mark.slow
@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), [p for p in params() if p.values[0] == KIT])
def test_student_copy_imports_and_scores_zero(kit, lab_id, mutants_root, student_result):
    """The sample labs' starter copy. The kit's labs get the same check in their first mutant
    batch (test_each_mutant_loses_points), in a process that has already paid for its imports."""
    result = student_result(kit, lab_id)
    problems = starter_problems(lab_id, result.tests, result.errors)
    assert not problems, "\n\n".join(problems)


def starter_problems(lab_id: str, tests: list, errors: list[str]) -> list[str]:
    """What is wrong with the grades of a fresh student copy, every test run (``tests``: graded
    test records with name, exercise, score, status and feedback)."""
    problems = []
    if errors:
        problems.append(f"grading the starter code of {lab_id} crashed the run:\n" + "\n".join(errors))
    if not_importable := [t.name for t in tests if "could not import" in t.feedback]:
        problems.append(f"the starter code of {lab_id} does not import: {not_importable}")
    if earning := [f"{t.name} ({fmt_points(t.score)})" for t in tests if t.score > 0]:
        problems.append(f"these graded tests give points to the untouched starter code of "
                        f"{lab_id}, so they grade nothing: {earning}")
    # The first part of test_each_exercise_grades_on_its_own's proof, and what lets a grader fail
    # an untouched exercise's tests without running them (plugin.Grader.fail_if_unstarted).
    if wrong := [f"{t.name} (exercise {t.exercise}): {t.status}: {t.feedback.splitlines()[0] if t.feedback else ''}"
                 for t in tests
                 if t.status != "failed" or f"Exercise {t.exercise}:" not in t.feedback or "also needs" in t.feedback]:
        problems.append("on the starter copy these tests do not fail on their own exercise:\n" + "\n".join(wrong))
    return problems


def mutated_exercise(kit: Path, lab_id: str, mutant: Path) -> int | None:
    """The one exercise whose functions alone the mutant changes, or None (it changes other code)."""
    module = mutant.stem.split("__")[0]
    reference = (kit / "labs" / lab_id / f"{module}.py").read_text(encoding="utf-8")
    body = [line for line in mutant.read_text(encoding="utf-8").splitlines()
            if not line.startswith(("# MUTANT", "# ruff: noqa"))]
    changed = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, reference.splitlines(), body).get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    functions = {f.name: (f.lineno, f.end_lineno) for f in ast.walk(ast.parse(reference))
                 if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
    touched = {name for name, (a, b) in functions.items() if any(a <= n <= b for n in changed)}
    exercises = {e.number for e in load_exercises(lab_id, kit) for spec in e.functions
                 if spec.split(":")[0] == module and spec.split(".")[-1].split(":")[-1] in touched}
    owned = {spec.split(".")[-1].split(":")[-1] for e in load_exercises(lab_id, kit)
             for spec in e.functions if spec.split(":")[0] == module}
    return exercises.pop() if len(exercises) == 1 and touched <= owned and touched else None


# Mutant batches per lab (default 1). More let both cores share a slow lab, but each batch pays the
# lab's start-up (imports, servers) again; since each mutant runs the test that names it first,
# one batch per lab is the cheapest.
SHARDS: dict[str, int] = {}


def shard_params():
    out = []
    for case in CASES:
        kit, lab_id, mutants_root, reason = case
        shards = SHARDS.get(lab_id, 1)
        for shard in range(shards):
            out.append(pytest.param(kit, lab_id, mutants_root, shard, shards,
                                    marks=[pytest.mark.skip(reason=reason)] if reason else [],
                                    id=f"{case_id(case)}:{shard + 1}of{shards}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("kit", "lab_id", "mutants_root", "shard", "shards"), shard_params())
def test_each_mutant_loses_points(kit, lab_id, mutants_root, shard, shards, tmp_path):
    """Every mutant of the shard, graded in one process (shared.grading.mutants), loses points.

    The first batch of a kit lab first grades a fresh student copy with every test (the check of
    test_student_copy_imports_and_scores_zero), in the same process, so the lab's imports are paid once.

    A bug inside one exercise's functions must be caught by that exercise's own tests (the others
    run the reference for it); any other bug by any test. The last entry is a control: the
    reference module itself, graded after the real mutants, must lose nothing, so no result of
    an earlier mutant can leak into a later one's tests. In the first batch the control runs
    every graded test, hidden ones included: it is the check that the reference scores full marks.
    """
    mutants = mutants_of(lab_id, mutants_root)[shard::shards]
    assert mutants, f"no mutants for {lab_id} shard {shard + 1} of {shards}"
    plan = [(m, mutated_exercise(kit, lab_id, m)) for m in mutants]
    last = mutants[-1]
    control = tmp_path / f"{last.stem.split('__')[0]}__control.py"
    shutil.copyfile(kit / "labs" / lab_id / control.name.replace("__control", ""), control)
    plan.append((control, None if shard == 0 else plan[-1][1]))
    only, starter = None, ()
    if shard == 0 and kit == KIT_ROOT:
        # test_each_exercise_grades_on_its_own's end-to-end part
        number = load_exercises(lab_id, kit)[-1].number
        only = (tmp_path / f"only-exercise-{number}", number)
        copy_with_exercises_done(lab_id, {number}, only[0], kit)
        plan.append(only)
        # test_student_copy_imports_and_scores_zero's check
        start_lab(lab_id, tmp_path / "starter", kit)
        starter = (tmp_path / "starter",)
    result = sweep(lab_id, kit, plan, tmp_path / "sweep", recorded=starter)
    missing = [m.name for m, _ in plan if m.name not in result.caught_by]
    missing += [f.name for f in starter if f.name not in result.records]
    assert not missing, f"the sweep stopped before grading {missing}:\n{result.log[-4000:]}"
    if starter:
        tests = [GradeRecord(**record) for record in result.records["starter"]]
        problems = starter_problems(lab_id, tests, [] if tests else ["no graded test ran"])
        assert not problems, "\n\n".join(problems)
    survivors = [f"{m.name} ({(m.read_text().splitlines() or [''])[0]})"
                 for m in mutants if result.caught_by[m.name] is None]
    assert not survivors, (f"these mutants still score full marks on {lab_id}: a graded test "
                           f"should catch each bug: {survivors}")
    assert result.caught_by[control.name] is None, (
        f"the unchanged reference of {lab_id} lost points on {result.caught_by[control.name]} after "
        "the mutants: the reference must score full marks, and the sweep must not leak state "
        f"between mutants (run that test alone to tell which)\n{result.log[-3000:]}")
    if only is not None:
        assert result.caught_by[only[0].name] is None, (
            f"a copy of {lab_id} with only exercise {only[1]} done loses points on "
            f"{result.caught_by[only[0].name]}: each exercise must grade on its own")


@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), params())
def test_every_solution_module_has_a_mutant(kit, lab_id, mutants_root):
    lab_folder = kit / "labs" / lab_id
    with_regions = sorted(p.stem for p in lab_folder.glob("*.py")
                          if has_solution_regions(p.read_text(encoding="utf-8")))
    mutated = {m.stem.split("__")[0] for m in mutants_of(lab_id, mutants_root)}
    missing = [m for m in with_regions if m not in mutated]
    assert not missing, (
        f"{lab_id}: no broken variant for {missing}; add tests/mutants/{lab_id}/"
        f"<module>__<bug>.py (a copy of the solution with one plausible bug) for each")


def test_the_kit_release_has_starter_code_and_no_hidden_tests(tmp_path):
    out = tmp_path / "release"
    write_release(out, KIT_ROOT)
    for path in iter_files(out / "labs"):
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            assert not has_solution_regions(text), path
            ast.parse(text, str(path))
    if (out / "tests" / "labs").is_dir():
        for path in (out / "tests" / "labs").rglob("*.py"):
            assert "mark.hidden" not in path.read_text(encoding="utf-8"), path
    assert (out / "tests" / "SHA256SUMS").is_file()
    assert not (out / "tests" / "mutants").exists()


MAX_MUTANT_LINES = 16  # changed lines a single plausible bug may take


@pytest.mark.parametrize("mutant", sorted(KIT_MUTANTS.glob("*/*/*__*.py")), ids=lambda p: p.stem)
def test_each_mutant_is_one_bug_away_from_the_current_reference(mutant):
    """A mutant is a full copy of a module: when the module changes, the copy must follow, or it
    would keep testing old code. Header comments aside, it may differ only by its bug."""
    stack, task = mutant.parts[-3], mutant.parts[-2]
    reference = KIT_ROOT / "labs" / stack / task / f"{mutant.stem.split('__')[0]}.py"
    body = [line for line in mutant.read_text().splitlines() if not line.startswith(("# MUTANT", "# ruff: noqa"))]
    diff = difflib.unified_diff(reference.read_text().splitlines(), body, lineterm="", n=0)
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) <= MAX_MUTANT_LINES, (
        f"{mutant.relative_to(KIT_ROOT)} differs from {reference.relative_to(KIT_ROOT)} in {len(changed)} lines: "
        "the module changed since the mutant was made. Copy the module again and re-apply the one bug.")


# Exercises ----------------------------------------------------------------------------------

def graded_test_marks(folder: Path) -> list[tuple[str, int | None]]:
    """(test id, exercise number or None) for each @pytest.mark.points test under ``folder``."""
    found = []
    for path in sorted(folder.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            marks = {ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".")[-1]: d
                     for d in node.decorator_list}
            if "points" in marks:
                ex = marks.get("exercise")
                number = ex.args[0].value if isinstance(ex, ast.Call) and ex.args else None
                found.append((f"{path.name}::{node.name}", number))
    return found


@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), params())
def test_every_graded_test_names_an_exercise_of_its_lab(kit, lab_id, mutants_root):
    numbers = {e.number for e in load_exercises(lab_id, kit)}
    assert numbers, f"{lab_id} has no labs/{lab_id}/exercises.toml"
    marks = graded_test_marks(lab_tests_dir(lab_id, kit))
    wrong = [f"{test} (exercise {n})" for test, n in marks if n not in numbers]
    assert not wrong, f"graded tests without @pytest.mark.exercise(N) of {sorted(numbers)}: {wrong}"
    untested = sorted(numbers - {n for _, n in marks})
    assert not untested, f"{lab_id}: exercises with no graded test: {untested}"


@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), params())
def test_each_solution_region_belongs_to_exactly_one_exercise(kit, lab_id, mutants_root):
    listed = [spec for e in load_exercises(lab_id, kit) for spec in e.functions]
    regions = []
    for path in sorted((kit / "labs" / lab_id).glob("*.py")):
        regions += [f"{path.stem}:{owner}" for owner in region_owners(path.read_text(encoding="utf-8")).values()]
    assert sorted(set(regions)) == sorted(listed) and len(listed) == len(set(listed)), (
        f"{lab_id}: exercises.toml lists {sorted(listed)}; the solution regions are in {sorted(set(regions))}")


STEP = re.compile(r"^(\d+)\. \*\*(.+?)\*\*")


@pytest.mark.parametrize("lab", [lab for lab in LABS if lab.status() == "ready"], ids=lambda lab: lab.id)
def test_guide_steps_are_the_exercises(lab):
    steps = [(int(m[1]), m[2].strip().rstrip(".")) for line in lab.guide.read_text(encoding="utf-8").splitlines()
             if (m := STEP.match(line.strip()))]
    expected = [(e.number, e.title) for e in load_exercises(lab.id, KIT_ROOT)]
    assert [(n, title.split(" (")[0]) for n, title in steps] == expected, (
        f"{lab.guide}: the numbered steps '1. **Title**' must be the exercises of exercises.toml, "
        f"in order: {expected}; found {steps}")


def _grade_only(kit, lab_id, number, tmp_path):
    root = tmp_path / f"only-{number}"
    copy_with_exercises_done(lab_id, {number}, root, kit)
    return number, grade_lab(lab_id, root, kit_root=kit, with_hidden=True, exercise=number)


@pytest.mark.slow
@pytest.mark.parametrize(("kit", "lab_id", "mutants_root"), [p for p in params() if p.values[0] == KIT])
def test_each_exercise_grades_on_its_own(kit, lab_id, mutants_root, tmp_path, student_result):
    """A copy with only exercise N done scores exactly N's points, for every N.

    While a test of exercise M runs on a copy, every exercise but M runs the reference's code,
    whatever the copy holds. So a test's outcome depends only on its own exercise's code: on a
    copy with only N done, the tests of M != N run exactly what they run on the starter copy, and
    the tests of N exactly what they run on the reference copy. Three checks prove it for every N
    without grading every such copy: on the starter copy each test fails on its *own* exercise
    (never "also needs" another, never an error: starter_problems); the reference copy scores
    full marks (its own check); and, end to end, copies with only one exercise done earn exactly
    that exercise's points: every exercise of the sample labs here, and the last of each kit lab
    in its first mutant batch (test_each_mutant_loses_points), whose process has already paid for
    the lab's imports and models. For the kit's labs, that batch holds the other two checks too.
    """
    starter = student_result(kit, lab_id)
    points = {}
    for test in starter.tests:
        points[test.exercise] = points.get(test.exercise, 0) + test.max_score
    numbers = [e.number for e in load_exercises(lab_id, kit)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # each grading is its own subprocess
        results = list(pool.map(lambda n: _grade_only(kit, lab_id, n, tmp_path), numbers))
    problems = [f"only exercise {n} done: exercise {n} scores {r.summary}, expected "
                f"{fmt_points(points[n])}:\n" + failing(r)
                for n, r in results if r.score != points[n] or r.max_score != points[n] or r.errors]
    assert not problems, "\n".join(problems)


def test_graded_tests_run_directly_unless_their_labs_sweep_runs():
    """The root conftest leaves a lab's graded tests to its mutant sweep (which grades the
    reference with all of them) only when that sweep is among the tests that will run: never
    when -k or -m leaves it out, or the sweep's file is not collected at all."""
    import subprocess
    import sys

    def collected(*args):
        run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                              "tests/labs/azure/attachments/test_azure_attachments_client.py", *args],
                             cwd=KIT_ROOT, capture_output=True, text=True, timeout=120)
        return [line for line in run.stdout.splitlines() if "::" in line]

    graded = "test_the_sdk_does_not_retry_on_its_own"
    assert any(graded in t for t in collected()), "a lab's tests folder alone runs its graded tests"
    sweep = "tests/shared/grading/test_labs.py::test_each_mutant_loses_points"
    with_sweep = collected(sweep)
    assert any("azure/attachments" in t for t in with_sweep) and not any(graded in t for t in with_sweep)
    without = collected(sweep, "-k", "client")
    assert any(graded in t for t in without), "-k left the sweep out: the graded tests must run here"
