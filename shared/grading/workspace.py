"""The learner's workspace: ``labkit start LAB`` puts a student copy of a lab there.

Layout: ``<workspace>/labs/<stack>/<task>/`` (plus the ``labs/`` package files), so grading can
import the learner's code as ``labs.<stack>.<task>.<module>`` (see ``--lab-root`` in the plugin).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from shared.grading.regions import iter_files, make_student_copy


class WorkInProgress(Exception):
    """The workspace already holds a changed copy of the lab; nothing was overwritten."""


def _package_files(kit_root: Path, lab_id: str) -> list[Path]:
    """labs/__init__.py and labs/<stack>/__init__.py: what makes the copy importable."""
    stack = lab_id.split("/")[0]
    return [p for p in (kit_root / "labs" / "__init__.py",
                        kit_root / "labs" / stack / "__init__.py") if p.is_file()]


def changed_files(src: Path, dst: Path) -> list[str]:
    """Files of ``dst`` that differ from a fresh student copy of ``src`` (or exist only there)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        make_student_copy(src, fresh)
        fresh_files = {p.relative_to(fresh).as_posix(): p.read_bytes() for p in iter_files(fresh)}
    changed = []
    for path in iter_files(dst):
        rel = path.relative_to(dst).as_posix()
        if fresh_files.get(rel) != path.read_bytes():
            changed.append(rel)
    return sorted(changed + [rel for rel in fresh_files if not (dst / rel).exists()])


def start_lab(lab_id: str, workspace: Path, kit_root: Path) -> tuple[Path, bool]:
    """Copy the student version of a lab into the workspace; returns (folder, created).

    An existing copy is left alone: unchanged -> (folder, False); changed -> WorkInProgress.
    """
    src = Path(kit_root) / "labs" / lab_id
    dst = Path(workspace) / "labs" / lab_id
    if dst.exists():
        changed = changed_files(src, dst)
        if changed:
            shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
            raise WorkInProgress(
                f"{dst} already holds your work ({len(changed)} changed file(s): {shown}). "
                "Nothing was overwritten. To start again, rename or move that folder first."
            )
        return dst, False
    for init in _package_files(Path(kit_root), lab_id):
        target = Path(workspace) / init.relative_to(kit_root)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(init.read_bytes())
    make_student_copy(src, dst)
    return dst, True
