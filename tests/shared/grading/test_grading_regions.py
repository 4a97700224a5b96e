"""Solution regions: student copies keep hints and indentation; bad markers say where."""

from __future__ import annotations

import ast

import pytest
from grading_helpers import KIT

from shared.grading.regions import (
    DEFAULT_HINT,
    SolutionMarkerError,
    has_solution_regions,
    make_student_copy,
    strip_solutions,
)

SOURCE = '''\
def outer(x):
    """Doc."""
    if x:
        # BEGIN SOLUTION
        # HINT: return the double
        return 2 * x
        # END SOLUTION
    return 0


class Thing:
    def method(self):
        # BEGIN SOLUTION
        return 42
        # END SOLUTION
'''


def test_region_becomes_raise_with_hint_at_its_indentation():
    student = strip_solutions(SOURCE, "thing.py")
    assert "return 2 * x" not in student and "return 42" not in student
    assert "        # HINT: return the double\n" in student
    assert "        raise NotImplementedError('return the double')\n" in student
    assert f"        raise NotImplementedError({DEFAULT_HINT!r})\n" in student
    assert "    return 0\n" in student  # code outside regions is untouched
    ast.parse(student)


def test_student_function_raises_the_hint():
    namespace: dict = {}
    exec(compile(strip_solutions(SOURCE), "thing.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="return the double"):
        namespace["outer"](3)
    assert namespace["outer"](0) == 0


def test_several_hint_lines_join_into_one_message():
    source = "def f():\n    # BEGIN SOLUTION\n    # HINT: one\n    # HINT: two\n    pass\n    # END SOLUTION\n"
    assert "raise NotImplementedError('one two')" in strip_solutions(source)


@pytest.mark.parametrize(
    ("source", "where", "what"),
    [
        ("x = 1\n# END SOLUTION\n", "f.py:2", "without a BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "f.py:2", "never closed"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "f.py:2", "inside the region"),
    ],
)
def test_unbalanced_markers_name_file_and_line(source, where, what):
    with pytest.raises(SolutionMarkerError, match=what) as err:
        strip_solutions(source, "f.py")
    assert str(err.value).startswith(where)


def test_student_copy_of_a_lab_folder(tmp_path):
    written = make_student_copy(KIT / "labs" / "sample" / "echo", tmp_path / "echo")
    names = sorted(p.name for p in written)
    assert names == ["README.md", "__init__.py", "exercises.toml", "text.py"]
    text = (tmp_path / "echo" / "text.py").read_text()
    assert not has_solution_regions(text) and "NotImplementedError" in text
    assert (tmp_path / "echo" / "README.md").read_bytes() == (
        KIT / "labs" / "sample" / "echo" / "README.md").read_bytes()


def test_marker_error_leaves_destination_untouched(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("def f():\n    return 1\n")
    (src / "b.py").write_text("# BEGIN SOLUTION\n")
    with pytest.raises(SolutionMarkerError, match="b.py:1"):
        make_student_copy(src, tmp_path / "dst")
    assert not (tmp_path / "dst").exists()
