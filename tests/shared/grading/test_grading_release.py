"""Student releases: starter code, visible tests only, checksums; edited tests are detected."""

from __future__ import annotations

import shutil
import subprocess
import textwrap

import pytest
from grading_helpers import KIT, grade_sample

from shared.grading.regions import has_solution_regions
from shared.grading.release import (
    ReleaseError,
    check_submission_tests,
    visible_test_source,
    write_release,
)

TESTS = textwrap.dedent('''\
    import pytest


    @pytest.mark.points(1)
    def test_visible():
        assert True


    @pytest.mark.hidden
    @pytest.mark.points(1)
    def test_secret():
        assert "secret"


    class TestGroup:
        def test_kept(self):
            pass

        @pytest.mark.hidden
        def test_cut(self):
            assert "also secret"


    @pytest.mark.hidden
    class TestAllHidden:
        def test_a(self):
            pass
''')


def test_hidden_tests_are_cut_from_a_file():
    visible = visible_test_source(TESTS)
    assert "test_visible" in visible and "test_kept" in visible
    for gone in ("test_secret", "secret", "test_cut", "TestAllHidden"):
        assert gone not in visible


@pytest.mark.parametrize("source", [
    "import pytest\npytestmark = pytest.mark.hidden\ndef test_a():\n    pass\n",
    "import pytest\npytestmark = [pytest.mark.points(1), pytest.mark.hidden]\ndef test_a():\n    pass\n",
    "import pytest\n@pytest.mark.hidden\ndef test_a():\n    pass\n",
])
def test_a_wholly_hidden_file_is_left_out(source):
    assert visible_test_source(source) is None


def test_files_without_hidden_tests_are_unchanged():
    source = "def helper():\n    return 1\n\n\ndef test_a():\n    assert helper()\n"
    assert visible_test_source(source) == source


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "kit"
    summary = write_release(out, KIT)
    return out, summary


def test_release_holds_starter_code_guides_and_visible_tests(release):
    out, summary = release
    assert summary.labs == ["sample/calc", "sample/echo"]
    text = (out / "labs/sample/echo/text.py").read_text()
    assert "NotImplementedError" in text and "text.upper()" not in text
    assert not has_solution_regions(text)
    assert (out / "labs/sample/echo/README.md").is_file()
    tests = (out / "tests/labs/sample/echo/test_echo_text.py").read_text()
    assert "test_shout_empty" not in tests and "test_count_words" in tests
    assert not (out / "tests/labs/sample/echo/test_echo_hidden.py").exists()
    assert summary.hidden_files_left_out == 1
    assert (out / "pytest.ini").is_file()


def test_release_checksums_verify_with_sha256sum(release):
    out, summary = release
    lines = (out / "tests/SHA256SUMS").read_text().splitlines()
    assert len(lines) == summary.test_files == 2
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "tests/SHA256SUMS"], cwd=out,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_release_refuses_a_non_empty_folder(release):
    out, _ = release
    with pytest.raises(ReleaseError, match="not empty"):
        write_release(out, KIT)


def test_an_untouched_release_submission_has_no_notes(release):
    out, _ = release
    assert check_submission_tests(out, KIT, "sample/echo") == []


def test_edited_and_deleted_test_files_are_reported_and_not_trusted(release, tmp_path):
    out, _ = release
    submission = tmp_path / "alice"
    shutil.copytree(out, submission)
    test_file = submission / "tests/labs/sample/echo/test_echo_text.py"
    # A learner "fixes" the tests so the starter code passes, and deletes another file.
    test_file.write_text("import pytest\n\n@pytest.mark.points(5)\ndef test_shout():\n    pass\n")
    (submission / "tests/labs/sample/calc/test_calc.py").unlink()
    (submission / "tests/labs/sample/echo/test_extra.py").write_text("def test_x():\n    pass\n")

    echo_notes = check_submission_tests(submission, KIT, "sample/echo")
    assert echo_notes == [
        "edited test file: tests/labs/sample/echo/test_echo_text.py "
        "(graded with the instructor's copy)",
        "added test file: tests/labs/sample/echo/test_extra.py (not used)",
    ]
    assert check_submission_tests(submission, KIT, "sample/calc") == [
        "deleted test file: tests/labs/sample/calc/test_calc.py "
        "(graded with the instructor's copy)"]
    result = grade_sample("sample/echo", submission)
    assert (result.score, result.max_score) == (0, 5)  # the instructor's tests were used


def test_a_submission_without_tests_is_noted(student_root):
    notes = check_submission_tests(student_root, KIT, "sample/echo")
    assert notes == ["the submission has no tests/ folder; graded with the instructor's tests."]
