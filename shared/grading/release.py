"""The student release of the kit, and the check of a submission's test files against it.

A release holds what a learner needs to work through every lab offline: the kit's code
(``shared/``, ``mocks/``, packaging), the lab guides, student copies of the lab code (solution
regions replaced), the visible graded tests, and ``tests/SHA256SUMS`` (checksums of those
test files). Hidden tests are dropped at the finest level that keeps the file valid: a module
with ``pytestmark = pytest.mark.hidden`` (or whose every test is hidden) is left out whole; a
test function or class decorated ``@pytest.mark.hidden`` is cut out of its file. Hidden cases
inside ``pytest.param(..., marks=pytest.mark.hidden)`` are deselected when grading but their
source stays visible, so put secret cases in a hidden test of their own.

Grading a submission always runs the instructor's tests; :func:`check_submission_tests` only
reports which of the submission's test files were edited, deleted or added, so the report says
so instead of trusting them.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.grading.regions import iter_files, make_student_copy

# What a release copies from the kit (missing entries are skipped); labs/ and tests/labs/ are
# transformed, everything else is copied as it is.
RELEASE_ITEMS = ("pyproject.toml", "Makefile", ".gitignore", "conftest.py",
                 "pytest.ini", "shared", "mocks")
CHECKSUMS = Path("tests") / "SHA256SUMS"
# The learner's README of a release: its commands work on the release as shipped (a test runs them).
RELEASE_README = Path(__file__).with_name("RELEASE_README.md")


class ReleaseError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Hidden tests


def _is_hidden_mark(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return text.removesuffix("()").endswith("mark.hidden")


def _assigns_hidden_pytestmark(body: list[ast.stmt]) -> bool:
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            marks = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            if any(_is_hidden_mark(m) for m in marks):
                return True
    return False


def _is_test_def(node: ast.AST) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name.startswith("test")
    return isinstance(node, ast.ClassDef) and node.name.startswith("Test")


def _hidden_spans(body: list[ast.stmt]) -> tuple[list[tuple[int, int]], int]:
    """Line spans (1-based, inclusive) of hidden tests in ``body``, and how many tests stay."""
    spans, kept = [], 0
    for node in body:
        if not _is_test_def(node):
            continue
        start = min([d.lineno for d in node.decorator_list] + [node.lineno])
        hidden = any(_is_hidden_mark(d) for d in node.decorator_list)
        if isinstance(node, ast.ClassDef) and not hidden:
            hidden = _assigns_hidden_pytestmark(node.body)
            inner, inner_kept = _hidden_spans(node.body)
            if not hidden and inner and not inner_kept:
                hidden = True  # every test of the class is hidden: drop the class
            elif not hidden:
                spans += inner
        if hidden:
            spans.append((start, node.end_lineno))
        else:
            kept += 1
    return spans, kept


def visible_test_source(source: str, filename: str = "<test>") -> str | None:
    """The test file as a learner sees it; None when the whole file is hidden."""
    tree = ast.parse(source, filename)
    if _assigns_hidden_pytestmark(tree.body):
        return None
    spans, kept = _hidden_spans(tree.body)
    if spans and not kept:
        return None
    lines = source.splitlines(keepends=True)
    for start, end in sorted(spans, reverse=True):
        del lines[start - 1 : end]
    text = "".join(lines)
    ast.parse(text, filename)  # cutting must leave valid Python
    return text


# --------------------------------------------------------------------------------------------
# Visible tests and their checksums


# Python 3.11.7 (this kit's machines) can fail ast.parse with "SystemError: AST constructor recursion depth
# mismatch" when two threads parse at once (CPython gh-106905, fixed in later releases); a batch
# checks its submissions in threads.
_PARSING = threading.Lock()


def visible_tests(kit_root: Path) -> dict[str, bytes]:
    """Every file under tests/labs/ as released: {posix path relative to the kit: bytes}."""
    with _PARSING:
        return _visible_tests(Path(kit_root))


def _visible_tests(kit_root: Path) -> dict[str, bytes]:
    folder = kit_root / "tests" / "labs"
    files: dict[str, bytes] = {}
    if not folder.is_dir():
        return files
    for path in iter_files(folder):
        rel = path.relative_to(kit_root).as_posix()
        if path.suffix == ".py":
            text = visible_test_source(path.read_text(encoding="utf-8"), rel)
            if text is not None:
                files[rel] = text.encode("utf-8")
        else:
            files[rel] = path.read_bytes()
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksums_text(files: dict[str, bytes]) -> str:
    """In ``sha256sum`` format, so a learner can check with ``sha256sum -c tests/SHA256SUMS``."""
    return "".join(f"{sha256(data)}  {rel}\n" for rel, data in sorted(files.items()))


# --------------------------------------------------------------------------------------------
# Writing a release


@dataclass
class ReleaseSummary:
    out: Path
    labs: list[str] = field(default_factory=list)
    test_files: int = 0
    hidden_files_left_out: int = 0


def write_release(out: Path, kit_root: Path) -> ReleaseSummary:
    out, kit_root = Path(out), Path(kit_root)
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty; choose a new folder for the release.")
    summary = ReleaseSummary(out)
    for name in RELEASE_ITEMS:
        _copy_item(kit_root / name, out / name)
    _copy_item(RELEASE_README, out / "README.md")
    make_student_copy(kit_root / "labs", out / "labs")
    summary.labs = sorted(
        f"{p.parent.name}/{p.name}" for p in (out / "labs").glob("*/*") if p.is_dir()
        and not p.name.startswith(("_", "."))
    )
    files = visible_tests(kit_root)
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    (out / CHECKSUMS).parent.mkdir(parents=True, exist_ok=True)
    (out / CHECKSUMS).write_text(checksums_text(files), encoding="utf-8")
    from shared.grading.classroom import add_to_release

    add_to_release(out)  # GitHub Classroom grades the visible tests on every push
    all_tests = [p for p in iter_files(kit_root / "tests" / "labs")] if (
        kit_root / "tests" / "labs").is_dir() else []
    summary.test_files = len(files)
    summary.hidden_files_left_out = len(all_tests) - len(files)
    return summary


def _copy_item(src: Path, dst: Path) -> None:
    if src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    elif src.is_dir():
        for path in iter_files(src):
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


# --------------------------------------------------------------------------------------------
# Checking a submission's tests


def check_submission_tests(submission: Path, kit_root: Path, lab_id: str) -> list[str]:
    """Notes on the submission's copies of ``lab_id``'s test files (empty when all match)."""
    from shared.grading.runner import lab_tests_dir

    submission, kit_root = Path(submission), Path(kit_root)
    lab_dir = lab_tests_dir(lab_id, kit_root).relative_to(kit_root)
    prefix = lab_dir.as_posix() + "/"
    expected = {rel: data for rel, data in visible_tests(kit_root).items()
                if rel.startswith(prefix)}
    if not (submission / "tests").is_dir():
        return ["the submission has no tests/ folder; graded with the instructor's tests."]
    notes = []
    for rel, data in sorted(expected.items()):
        path = submission / rel
        if not path.is_file():
            notes.append(f"deleted test file: {rel} (graded with the instructor's copy)")
        elif sha256(path.read_bytes()) != sha256(data):
            notes.append(f"edited test file: {rel} (graded with the instructor's copy)")
    lab_tests = submission / lab_dir
    if lab_tests.is_dir():
        for path in iter_files(lab_tests):
            rel = path.relative_to(submission).as_posix()
            if rel not in expected:
                notes.append(f"added test file: {rel} (not used)")
    return notes
