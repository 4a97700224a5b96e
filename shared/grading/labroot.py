"""Where ``labs.*`` is imported from: the kit's reference, a learner's workspace or a submission.

``install_lab_root(DIR)`` makes ``import labs...`` in this process resolve to ``DIR/labs``; the
grader, ``labkit run``, ``compare`` and ``demo`` use it to run a learner's own copy. Standard
library only: ``labkit run`` imports it before any lab code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

LAB_ROOT_ENV = "LABKIT_LAB_ROOT"
KIT_ROOT = Path(__file__).resolve().parents[2]


class LabRootFinder(importlib.abc.MetaPathFinder):
    """Resolve the top-level ``labs`` package in ``root/labs``; submodules follow its __path__.

    With a ``fallback`` root (running, never grading), a stack or a lab the workspace lacks comes
    from there: ``labs`` and ``labs.<stack>`` search both roots, the workspace first, while a lab
    package found in the workspace never mixes in modules from the fallback.
    """

    def __init__(self, root: Path, fallback: Path | None = None):
        self.root = Path(root).resolve()
        self.fallback = Path(fallback).resolve() if fallback else None

    def find_spec(self, fullname, path=None, target=None):
        if self.fallback is not None and fullname.startswith("labs") and fullname.count(".") <= 1:
            return self._merged_spec(fullname)
        if fullname != "labs":
            return None
        folder = self.root / "labs"
        if not folder.is_dir():
            raise ModuleNotFoundError(
                f"No labs/ folder in {self.root}: grading looks for the lab code there. "
                "Run 'labkit start LAB' to create it, or point --workspace/--submission at the "
                "folder that contains labs/.",
                name="labs",
            )
        init = folder / "__init__.py"
        if init.is_file():
            return importlib.util.spec_from_file_location(
                "labs", init, submodule_search_locations=[str(folder)]
            )
        # A plain list (not a namespace path) so no other labs/ folder on sys.path can merge in.
        spec = importlib.machinery.ModuleSpec("labs", None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        return spec

    def _merged_spec(self, fullname: str):
        rel = Path(*fullname.split("."))
        folders = [str(r / rel) for r in (self.root, self.fallback) if (r / rel).is_dir()]
        if not folders:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = folders
        return spec


def install_lab_root(root: str | os.PathLike, fallback: str | os.PathLike | None = None) -> LabRootFinder:
    """Make ``labs.*`` imports in this process come from ``root/labs`` (else ``fallback/labs``)."""
    remove_lab_root()
    finder = LabRootFinder(Path(root), fallback)
    sys.meta_path.insert(0, finder)
    for name in [n for n in sys.modules if n == "labs" or n.startswith("labs.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    return finder


def remove_lab_root() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, LabRootFinder)]


def active_lab_root() -> Path | None:
    for finder in sys.meta_path:
        if isinstance(finder, LabRootFinder):
            return finder.root
    return None
