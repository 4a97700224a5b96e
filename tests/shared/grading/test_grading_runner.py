"""Robustness: a lab that hangs, crashes, exits or floods output loses only its own points."""

from __future__ import annotations

from grading_helpers import FAST, KIT, VARIANTS, grade_sample, root_with

from shared.grading.runner import CappedOutput, grade, kit_lab_ids, labs_present

LABS = ["sample/echo", "sample/calc"]


def grade_variant(tmp_path, variant: str, **kwargs):
    """Grade both sample labs where echo's text.py is the given variant: {lab: result}."""
    root = root_with(tmp_path, {"sample/echo/text.py": VARIANTS / "sample/echo" / variant})
    options = {**FAST, **kwargs}
    return {r.lab_id: r for r in grade(LABS, root, kit_root=KIT, **options)}


def statuses(result):
    return {t.name.split("::")[-1]: (t.status, t.score) for t in result.tests}


def test_a_hanging_test_times_out_alone(tmp_path):
    results = grade_variant(tmp_path, "text__hangs.py", timeout=1.0)
    echo = results["sample/echo"]
    assert statuses(echo) == {"test_shout": ("timeout", 0), "test_count_words": ("passed", 3)}
    assert "timed out after 1 s" in echo.tests[0].feedback
    assert not echo.errors
    assert results["sample/calc"].score == 2


def test_a_crash_at_import_fails_that_labs_tests_only(tmp_path):
    results = grade_variant(tmp_path, "text__crash_at_import.py")
    echo = results["sample/echo"]
    assert (echo.score, echo.max_score) == (0, 5)
    assert all("could not import labs/sample/echo/text.py" in t.feedback for t in echo.tests)
    assert "RuntimeError: this lab module is broken at import" in echo.tests[0].feedback
    assert results["sample/calc"].score == 2


def test_sys_exit_fails_only_the_test_that_called_it(tmp_path):
    echo = grade_variant(tmp_path, "text__sys_exit.py")["sample/echo"]
    assert statuses(echo) == {"test_shout": ("failed", 0), "test_count_words": ("passed", 3)}
    assert "called sys.exit(3)" in echo.tests[0].feedback


def test_megabytes_of_output_are_capped(tmp_path):
    # -s lets the noise reach the runner's pipe (by default pytest captures it per test).
    results = grade_variant(tmp_path, "text__noisy.py", max_log=20_000, extra_args=("-s",))
    echo = results["sample/echo"]
    assert statuses(echo) == {"test_shout": ("failed", 0), "test_count_words": ("passed", 3)}
    assert len(echo.log) < 20_500
    assert "bytes of output left out" in echo.log and "TOTAL 3/5" in echo.log
    assert results["sample/calc"].score == 2


def test_a_killed_process_keeps_the_scores_already_earned(tmp_path):
    results = grade_variant(tmp_path, "text__os_exit.py")
    echo = results["sample/echo"]
    assert statuses(echo) == {"test_shout": ("error", 0), "test_count_words": ("not_run", 0)}
    assert echo.max_score == 5  # what was lost is still counted as possible
    assert any("exited with code 7" in e for e in echo.errors)
    assert "stopped during this test" in echo.tests[0].feedback
    assert results["sample/calc"].score == 2


def test_code_that_swallows_the_timeout_is_stopped_by_the_wall_clock(tmp_path):
    results = grade_variant(tmp_path, "text__stubborn_hang.py", timeout=1.0, wall_clock=4.0)
    echo = results["sample/echo"]
    assert statuses(echo)["test_shout"] == ("timeout", 0)
    assert any("4 s wall-clock limit" in e for e in echo.errors)
    assert echo.duration < 30
    assert results["sample/calc"].score == 2


def test_capped_output_keeps_head_and_tail():
    out = CappedOutput(limit=100)
    for i in range(1000):
        out.feed(f"{i:04d}\n".encode())
    text = out.text()
    assert text.startswith("0000\n") and text.endswith("0999\n")
    assert "bytes of output left out" in text and len(text) < 200


def test_small_output_is_kept_whole():
    out = CappedOutput(limit=100)
    out.feed(b"hello\n")
    assert out.text() == "hello\n"


def test_lab_discovery(student_root):
    assert kit_lab_ids(KIT) == ["sample/calc", "sample/echo"]
    assert labs_present(student_root, KIT) == ["sample/calc", "sample/echo"]


def test_a_lab_without_graded_tests_says_so(tmp_path):
    result = grade_sample("sample/nothing", tmp_path)
    assert result.tests == [] and "no graded tests" in result.notes[0]
