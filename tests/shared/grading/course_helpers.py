"""Submissions for the course-grading tests (batch, Gradescope, GitHub Classroom).

A hostile submission is the reference copy of a lab with one function redefined at the end of
its module, so only that function misbehaves and everything else is a correct answer.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from shared.grading.mutants import copy_reference
from shared.grading.runner import KIT_ROOT
from shared.grading.workspace import start_lab

AZURE = "azure/ticket_triage"


def reference_copy(lab_id: str, root: Path, kit: Path = KIT_ROOT) -> Path:
    """``root/labs/...`` holding the reference code of ``lab_id`` (as a finished workspace would)."""
    return copy_reference(kit, lab_id, root)


def student_copy(lab_id: str, root: Path, kit: Path = KIT_ROOT) -> Path:
    start_lab(lab_id, root, kit)
    return root


def with_function(root: Path, lab_id: str, module: str, source: str) -> Path:
    """Redefine one function of ``module`` in the copy at ``root`` (appended, so it wins)."""
    path = root / "labs" / lab_id / f"{module}.py"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + textwrap.dedent(source),
                    encoding="utf-8")
    return root


def tree_digest(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to show nothing changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
