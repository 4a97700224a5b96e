"""Generated mutants (shared.grading.mutate): one slip per mutant, only inside solution regions;
and the order in which a sweep (shared.grading.mutants) tries the tests on a mutant."""

from __future__ import annotations

import ast
import difflib
import textwrap
from pathlib import Path

import pytest
from grading_helpers import KIT

from shared.grading.mutants import sweep
from shared.grading.mutants import tests_for as sweep_order  # a bare tests_for would be collected
from shared.grading.mutate import generate, solution_regions, splice, write_mutants

SOURCE = textwrap.dedent('''\
    """A lab module."""

    LIMIT = 3


    def helper(x):
        return x < 2 and not x


    def pick(values, limit=LIMIT, *, strict=False):
        """Docstring: 'not' and 1 < 2 here are text."""
        kept = []  # outside the region
        # BEGIN SOLUTION
        # HINT: keep values under the limit
        for v in values:
            if v < limit and (strict or v != 0):
                kept.append(v)
        if not kept:
            return "none"
        # END SOLUTION
        return kept


    class Box:
        def size(self, n=1):
            # BEGIN SOLUTION
            return n + 1 if n >= 0 else True
            # END SOLUTION
    ''')


@pytest.fixture
def kit(tmp_path) -> Path:
    lab = tmp_path / "labs" / "demo" / "lab"
    lab.mkdir(parents=True)
    (lab / "mod.py").write_text(SOURCE)
    (lab / "exercises.toml").write_text(
        '[[exercise]]\ntitle = "Pick"\nfunctions = ["mod:pick"]\n\n'
        '[[exercise]]\ntitle = "Box"\nfunctions = ["mod:Box.size"]\n')
    return tmp_path


def changes(mutant_source: str) -> list[str]:
    diff = difflib.unified_diff(SOURCE.splitlines(), mutant_source.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_regions_carry_their_function_and_exercise(kit):
    regions = solution_regions("demo/lab", kit)
    assert [(r.function, r.exercise, r.first, r.last) for r in regions] == [
        ("pick", 1, 14, 19), ("Box.size", 2, 27, 27)]


def test_every_mutant_changes_one_spot_inside_a_region_and_still_parses(kit):
    mutants = generate("demo/lab", kit)
    assert mutants
    region_lines = set(range(14, 20)) | {27}
    for m in mutants:
        ast.parse(m.source)
        changed = changes(m.source)
        assert changed, m.describe()
        removed = [i + 1 for i, line in enumerate(SOURCE.splitlines())
                   if line not in m.source.splitlines()]
        assert set(removed) <= region_lines, f"{m.describe()} changed lines {removed} outside the regions"
        assert "# outside the region" in m.source and "# HINT: keep values under the limit" in m.source, (
            "comments survive: the mutant is spliced, not re-printed")
    kinds = {m.kind for m in mutants}
    assert kinds == {"compare", "branch", "statement", "return", "number", "boolop", "not", "parameter"}
    assert not [m for m in mutants if m.function == "helper"], "helper has no region: never mutated"


def test_each_operator_makes_the_expected_slips(kit):
    got = {(m.kind, m.before, m.after) for m in generate("demo/lab", kit)}
    for expected in [
        ("compare", "v < limit", "v <= limit"),
        ("compare", "v != 0", "v == 0"),
        ("compare", "n >= 0", "n > 0"),
        ("branch", "if v < limit and (strict or v != 0)", "if False"),
        ("branch", "if not kept", "if True"),
        ("statement", "kept.append(v)", "pass"),
        ("return", 'return "none"', "return ''"),
        ("number", "1", "2"),
        ("number", "0", "-1"),
        ("boolop", "v < limit and (strict or v != 0)", "v < limit or (strict or v != 0)"),
        ("boolop", "strict or v != 0", "strict and v != 0"),
        ("not", "not kept", "kept"),
        ("parameter", "parameter limit", "always LIMIT"),
        ("parameter", "parameter strict", "always False"),
        ("parameter", "parameter n", "always 1"),
    ]:
        assert expected in got, f"{expected} not among {sorted(got)}"


def test_ignoring_a_parameter_replaces_every_read_with_its_default(kit):
    [mutant] = [m for m in generate("demo/lab", kit) if m.kind == "parameter" and "limit" in m.before]
    assert changes(mutant.source) == ["-        if v < limit and (strict or v != 0):",
                                      "+        if v < (LIMIT) and (strict or v != 0):"]


def test_splice_keeps_multibyte_text_around_the_change():
    source = 'x = "é" if a < b else "ü"\n'
    node = ast.parse(source).body[0].value.test
    assert splice(source, [(node, "(a <= b)")]) == 'x = "é" if (a <= b) else "ü"\n'


def test_mutants_are_written_as_sweepable_module_copies(kit, tmp_path):
    mutants = generate("demo/lab", kit)
    paths = write_mutants(mutants, tmp_path / "out")
    assert [p.name.split("__")[0] for p in paths] == ["mod"] * len(mutants)
    assert paths[0].name == f"mod__g000_{mutants[0].kind}.py" and paths[0].read_text() == mutants[0].source


@pytest.mark.slow
def test_generated_mutants_of_the_sample_lab_are_graded_by_the_sweep(tmp_path):
    """End to end on the sample kit: every generated slip in count_words loses points."""
    mutants = generate("sample/echo", KIT)
    assert {m.function for m in mutants} == {"count_words"}
    paths = write_mutants(mutants, tmp_path / "mutants")
    result = sweep("sample/echo", KIT, [(p, m.exercise) for p, m in zip(paths, mutants, strict=True)],
                   tmp_path / "sweep", timeout=20)
    assert set(result.caught_by) == {p.name for p in paths}, result.log[-2000:]
    survivors = [m.describe() for p, m in zip(paths, mutants, strict=True) if result.caught_by[p.name] is None]
    assert not survivors, f"the sample lab's tests should kill every generated mutant: {survivors}"


@pytest.mark.slow
def test_a_recorded_folder_is_graded_with_every_test_and_its_records_kept(tmp_path):
    """What the kit labs' starter check reads (test_labs.py): a fresh copy's every test runs, none
    failed early as unstarted, and each one's record comes back; the mutants follow in the same process."""
    from shared.grading.mutants import copy_reference
    from shared.grading.workspace import start_lab

    start_lab("sample/echo", tmp_path / "starter", KIT)
    reference = copy_reference(KIT, "sample/echo", tmp_path / "reference")
    result = sweep("sample/echo", KIT, [], tmp_path / "sweep", recorded=(tmp_path / "starter", reference),
                   timeout=20)
    starter, done = result.records["starter"], result.records["reference"]
    assert starter and len(starter) == len(done), result.log[-2000:]
    assert all(r["status"] == "failed" and r["score"] == 0 and "not done yet" in r["feedback"]
               and "Hint:" in r["feedback"] for r in starter), starter
    shout = next(r for r in starter if r["name"].endswith("test_shout"))
    assert "shout('hi') must return 'HI!'" in shout["feedback"], "the test ran: its own feedback(...) is there"
    assert all(r["status"] == "passed" and r["score"] == r["max_score"] > 0 for r in done), done


# The mutant sweep's order ---------------------------------------------------------------------

class _Item:
    """What shared.grading.mutants.tests_for reads of a collected test."""

    def __init__(self, path: str, name: str, exercise: int, function):
        self.path, self.name, self.function, self._exercise = Path(path), name, function, exercise

    def get_closest_marker(self, name):
        return pytest.mark.exercise(self._exercise).mark if name == "exercise" else None


def test_a_test_that_names_the_mutant_runs_first_then_the_modules_own():
    def plain():
        pass

    def catches():
        """Catches data__labels_sorted."""

    items = [_Item("test_other.py", "test_a", 3, plain), _Item("test_data.py", "test_b", 3, plain),
             _Item("test_other.py", "test_c", 3, catches), _Item("test_other.py", "test_d", 4, catches)]
    order = [i.name for i in sweep_order(items, "data", 3, {3}, "data__labels_sorted")]
    assert order == ["test_c", "test_b", "test_a"], "the naming test, the module's own, then the rest of exercise 3"
    assert [i.name for i in sweep_order(items, "data", 3, {3})] == ["test_b", "test_a", "test_c"]
