"""Paths and helpers shared by the grading tests (the sample kit lives under data/)."""

from __future__ import annotations

import shutil
from pathlib import Path

from shared.grading.runner import grade_lab

DATA = Path(__file__).resolve().parent / "data"
KIT = DATA / "kit"
VARIANTS = DATA / "variants"
MUTANTS = DATA / "mutants"
FAST = {"timeout": 5.0, "wall_clock": 60.0}  # generous for a busy 2-core machine


def grade_sample(lab_id: str, root: Path, **kwargs):
    return grade_lab(lab_id, root, kit_root=KIT, **{**FAST, **kwargs})


def root_with(tmp: Path, replacements: dict[str, Path]) -> Path:
    """A copy of the sample kit's reference labs/ with some modules replaced."""
    shutil.copytree(KIT / "labs", tmp / "labs", ignore=shutil.ignore_patterns("__pycache__"))
    for rel, source in replacements.items():
        shutil.copyfile(source, tmp / "labs" / rel)
    return tmp
