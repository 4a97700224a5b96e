"""The plugin, seen through real grading runs of the sample kit (one pytest subprocess each)."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap

import pytest
from grading_helpers import KIT, MUTANTS, grade_sample, root_with

from shared.grading.plugin import seed_everything
from shared.grading.runner import grade_lab


def by_name(result):
    return {t.name.split("::")[-1]: t for t in result.tests}


def test_reference_scores_full_marks_with_hidden_tests(reference_hidden):
    echo, calc = reference_hidden["sample/echo"], reference_hidden["sample/calc"]
    assert (echo.score, echo.max_score) == (8, 8)
    assert (calc.score, calc.max_score) == (2, 2)
    assert {t.status for t in echo.tests} == {"passed"}
    assert not echo.errors and not echo.notes
    hidden = sorted(name for name, t in by_name(echo).items() if t.hidden)
    assert hidden == ["test_shout_empty", "test_shout_twice"]


def test_hidden_tests_are_left_out_unless_asked(reference_hidden):
    visible = grade_sample("sample/echo", KIT)
    assert sorted(by_name(visible)) == ["test_count_words", "test_shout"]
    assert (visible.score, visible.max_score) == (5, 5)


def test_ungraded_tests_are_not_scored(reference_hidden):
    assert "test_module_documented" not in by_name(reference_hidden["sample/echo"])


def test_student_copy_imports_and_scores_zero_with_hints(student_results):
    echo, calc = student_results["sample/echo"], student_results["sample/calc"]
    assert (echo.score, echo.max_score) == (0, 5)
    assert (calc.score, calc.max_score) == (0, 2)
    assert not echo.errors and not calc.errors
    shout = by_name(echo)["test_shout"]
    assert shout.status == "failed"
    assert "not done yet: labs/sample/echo/text.py:shout (Exercise 1: Shout). Hint: str.upper() and an " \
        "f-string" == shout.feedback


def test_an_unstarted_exercise_fails_without_running_its_tests(student_root, tmp_path):
    """Its tests would reach the starter's NotImplementedError after their fixtures (seconds of
    training in the GCP labs); the grader says the same at once. --run-unstarted runs them (CI's
    starter check), and an exercise begun in any way runs as usual."""
    ran = grade_sample("sample/echo", student_root, extra_args=("--run-unstarted",))
    assert "shout('hi') must return 'HI!'" in by_name(ran)["test_shout"].feedback  # the test's own feedback(...)
    assert by_name(ran)["test_shout"].status == "failed"
    begun = tmp_path / "begun"
    shutil.copytree(student_root, begun)
    text = begun / "labs" / "sample" / "echo" / "text.py"
    starter = text.read_text()
    first_try = "    return text  # a first try\n    raise NotImplementedError"
    text.write_text(starter.replace("    raise NotImplementedError", first_try, 1))
    shout = by_name(grade_sample("sample/echo", begun))["test_shout"]
    assert shout.status == "failed" and "expected 'HI!'" in shout.feedback, shout.feedback
    text.write_text(starter.replace("# HINT: str.upper() and an f-string", "# my notes: upper() then '!'"))
    shout = by_name(grade_sample("sample/echo", begun))["test_shout"]
    assert shout.feedback.startswith("not done yet:"), "a comment is no start on the exercise"


def test_partial_credit_counts_passed_parts(tmp_path):
    root = root_with(tmp_path, {"sample/echo/text.py":
                                MUTANTS / "sample/echo/text__case_sensitive.py"})
    result = grade_sample("sample/echo", root)
    counts = by_name(result)["test_count_words"]
    assert (counts.score, counts.max_score, counts.status) == (2, 3, "failed")
    assert "2 of 3 parts passed" in counts.feedback
    assert "- ignores case: 'Tea' and 'tea' are the same word" in counts.feedback
    assert by_name(result)["test_shout"].score == 2


def test_score_table_is_printed_at_the_end(reference_hidden):
    log = reference_hidden["sample/echo"].log
    assert "grades: points earned / possible" in log
    assert "test_echo_text.py::test_count_words" in log and "TOTAL 8/8" in log


def test_a_bad_points_marker_stops_the_run_with_a_clear_message(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p shared.grading.plugin\n")
    (tmp_path / "test_bad.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.points(0)
        def test_x():
            pass
    """))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "points needs a positive number" in run.stdout + run.stderr


def test_lab_root_redirects_imports_of_labs_in_that_process(student_root):
    code = textwrap.dedent(f"""
        from shared.grading.plugin import install_lab_root
        install_lab_root({str(student_root)!r})
        import labs.sample.echo.text as text
        print(text.__file__)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=KIT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(student_root / "labs" / "sample" / "echo" / "text.py")


def test_lab_root_without_labs_folder_says_what_to_do(tmp_path):
    code = textwrap.dedent(f"""
        from shared.grading.plugin import install_lab_root
        install_lab_root({str(tmp_path)!r})
        import labs
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "No labs/ folder in" in run.stderr and "labkit start" in run.stderr


def test_seed_everything_repeats_random_draws():
    seed_everything(3)
    first = (random.random(), __import__("numpy").random.rand())
    seed_everything(3)
    assert (random.random(), __import__("numpy").random.rand()) == first


@pytest.mark.parametrize("name", ["lab_module", "graded_parts", "feedback"])
def test_plugin_fixtures_are_available_in_every_run(request, name):
    assert callable(request.getfixturevalue(name))


def test_tests_in_a_shared_stack_folder_are_sorted_by_lab(tmp_path):
    """tests/labs/<stack>/test_x.py belongs to the lab its LAB constant names."""
    kit = tmp_path / "kit"
    shutil.copytree(KIT, kit, ignore=shutil.ignore_patterns("__pycache__"))
    echo_tests = kit / "tests/labs/sample/echo"
    shutil.move(echo_tests / "test_echo_text.py", kit / "tests/labs/sample/test_echo_text.py")
    shutil.rmtree(echo_tests)  # its hidden file (no LAB constant) goes with it
    result = grade_lab("sample/echo", kit, kit_root=kit, with_hidden=True, timeout=5)
    assert sorted(by_name(result)) == ["test_count_words", "test_shout", "test_shout_empty"]
    assert {t.lab for t in result.tests} == {"sample/echo"}
    assert result.score == result.max_score == 6
