"""Solution regions: turn a reference lab into the learner's starter copy.

A region is the code between ``# BEGIN SOLUTION`` and ``# END SOLUTION``. In a student copy the
region becomes ``raise NotImplementedError("<hint>")`` at the indentation of the BEGIN line;
``# HINT: ...`` lines inside the region are kept as comments above the ``raise`` and joined
into its message, so the learner sees the hint both in the file and in the grade feedback::

    def shout(text):                      def shout(text):
        # BEGIN SOLUTION                      # HINT: use str.upper()
        # HINT: use str.upper()     ->        raise NotImplementedError("use str.upper()")
        return text.upper()
        # END SOLUTION

Make each region a whole function body or a whole block inside one: a region at module level
would make the student copy raise at import.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\b")
END = re.compile(r"^[ \t]*#\s*END SOLUTION\b")
HINT = re.compile(r"^[ \t]*#\s*HINT:\s?(?P<text>.*)$")
DEFAULT_HINT = "write this part of the lab (see the lab guide)"

# Never copied into a learner's workspace or a release.
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".DS_Store"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


class SolutionMarkerError(ValueError):
    """The BEGIN/END SOLUTION markers of a file do not pair up. The message names file and line."""


def has_solution_regions(source: str) -> bool:
    return any(BEGIN.match(line) for line in source.splitlines())


def strip_solutions(source: str, filename: str = "<source>", keep=None) -> str:
    """The student version of one file's text: each region replaced by a raise with its hint.

    ``keep(line)`` (optional) is asked with the line number of each BEGIN marker: True keeps
    that region's solution (without its markers), e.g. to build a copy with one exercise done.
    """
    out: list[str] = []
    kept: list[str] = []
    region_start = 0  # line number of the open BEGIN, 0 when outside a region
    indent = ""
    hints: list[str] = []
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if region_start:
                raise SolutionMarkerError(
                    f"{filename}:{number}: BEGIN SOLUTION inside the region opened at line "
                    f"{region_start}; close that one with '# END SOLUTION' first."
                )
            region_start, indent, hints, kept = number, begin.group("indent"), [], []
        elif end:
            if not region_start:
                raise SolutionMarkerError(
                    f"{filename}:{number}: END SOLUTION without a BEGIN SOLUTION above it."
                )
            out.extend(kept if keep and keep(region_start) else _student_lines(indent, hints))
            region_start = 0
        elif region_start:
            kept.append(line)
            hint = HINT.match(line)
            if hint:
                hints.append(hint.group("text").strip())
        else:
            out.append(line)
    if region_start:
        raise SolutionMarkerError(
            f"{filename}:{region_start}: BEGIN SOLUTION is never closed; add '# END SOLUTION'."
        )
    return "".join(out)


def _student_lines(indent: str, hints: list[str]) -> list[str]:
    lines = [f"{indent}# HINT: {hint}\n" for hint in hints]
    message = " ".join(hints) or DEFAULT_HINT
    lines.append(f"{indent}raise NotImplementedError({message!r})\n")
    return lines


def student_file(src: Path, dst: Path) -> None:
    """Copy one file, stripping solution regions from Python files."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".py":
        text = src.read_text(encoding="utf-8")
        dst.write_text(strip_solutions(text, str(src)), encoding="utf-8")
    else:
        shutil.copy2(src, dst)


def iter_files(folder: Path):
    """Files of a folder worth copying, in a stable order (caches and bytecode left out)."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in SKIP_NAMES for part in rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        if path.is_file():
            yield path


def make_student_copy(src: Path, dst: Path) -> list[Path]:
    """Write the student version of folder ``src`` to ``dst``; returns the files written.

    Every file is checked before anything is written, so a marker error leaves ``dst`` untouched.
    """
    src, dst = Path(src), Path(dst)
    files = list(iter_files(src))
    for path in files:
        if path.suffix == ".py":
            strip_solutions(path.read_text(encoding="utf-8"), str(path))
    written = []
    for path in files:
        target = dst / path.relative_to(src)
        student_file(path, target)
        written.append(target)
    return written
