"""Which lab code runs (``labkit run``, ``compare``, ``demo``), and what a learner sees when it
reaches an exercise they have not done yet.

The learner's copy runs when a workspace holds the lab (the folder ``labkit start`` made, or
``--workspace DIR``); the kit's reference runs otherwise, or with ``--reference``. Every run
says which on its first line, and the labs record it with their results (:func:`code_origin`).
Standard library only: imported before any lab code.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.grading.labroot import KIT_ROOT, install_lab_root

UNFINISHED_EXIT = 3  # a run stopped at an exercise that still raises the starter's NotImplementedError


class CodeChoiceError(ValueError):
    """--workspace names a folder without the lab; the message says what to do."""


@dataclass(frozen=True)
class Code:
    kind: str  # "workspace" or "kit"
    root: Path  # the folder holding labs/

    def describe(self, lab_id: str) -> str:
        return describe_lab_folder(self.root / "labs" / lab_id)


def _shown(path: Path) -> str:
    try:
        return "./" + path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def describe_lab_folder(folder: Path) -> str:
    """"your copy in ./workspace", "the kit's reference solution" or the starter code's place."""
    from shared.grading.exercises import has_reference

    folder = Path(folder).resolve()
    lab_id = "/".join(folder.parts[-2:])
    kit_labs = (KIT_ROOT / "labs").resolve()
    if not folder.is_relative_to(kit_labs):
        return f"your copy in {_shown(folder.parents[2])}"
    if has_reference(lab_id, KIT_ROOT):
        return "the kit's reference solution"
    return f"the code in {_shown(folder)} (this kit has no reference solution)"


def code_origin(lab_file: str | Path) -> str:
    """What a lab module's own file says about whose code is running (for results files)."""
    return describe_lab_folder(Path(lab_file).resolve().parent)


def default_out(lab_file: str | Path, name: str) -> Path:
    """``out/<name>`` for the learner's copy, ``out/kit/<name>`` for the kit's code, so a resumed
    run never mixes the results of two codes."""
    folder = Path(lab_file).resolve().parent
    mine = not folder.is_relative_to((KIT_ROOT / "labs").resolve())
    return Path("out") / name if mine else Path("out") / "kit" / name


def choose_code(lab_id: str, workspace: Path | None = None, reference: bool = False) -> Code:
    from shared.grading.scores import default_workspace

    if reference and workspace is not None:
        raise CodeChoiceError("--reference and --workspace exclude each other.")
    if reference:
        return Code("kit", KIT_ROOT)
    folder = Path(workspace) if workspace is not None else default_workspace()
    if (folder / "labs" / lab_id).is_dir():
        return Code("workspace", folder.resolve())
    if workspace is not None:
        raise CodeChoiceError(f"{folder} holds no copy of {lab_id} (no {folder / 'labs' / lab_id}). "
                              f"Run 'labkit start {lab_id} --workspace {folder}' first.")
    return Code("kit", KIT_ROOT)


def default_code(lab_id: str) -> Code:
    """The learner's copy in the default workspace if it holds the lab, else the kit's code."""
    return choose_code(lab_id)


def use_code(*codes: Code) -> None:
    """Make ``labs.*`` imports in this process come from the chosen code (one workspace at most);
    labs the workspace does not hold come from the kit."""
    roots = {code.root for code in codes if code.kind == "workspace"}
    if len(roots) > 1:
        raise CodeChoiceError("labs from two different workspaces cannot run in one process.")
    if roots:
        install_lab_root(roots.pop(), fallback=KIT_ROOT)


def unfinished_exit(exc: BaseException) -> int | None:
    """Print the message for an unfinished exercise behind ``exc``; the exit code, or None."""
    from shared.grading.exercises import unfinished

    found = unfinished(exc)
    if found is None:
        return None
    print(found.message() + "\nResults produced before it stopped are kept.", file=sys.stderr)
    return UNFINISHED_EXIT


def run_lab(lab_id: str, package: str, argv: list[str], code: Code) -> int:
    """Run ``<package>.run.main(argv)`` from the chosen code; an unfinished exercise is a message."""
    use_code(code)
    print(f"{lab_id}: running {code.describe(lab_id)}", flush=True)
    try:
        module = importlib.import_module(package + ".run")
    except Exception as exc:  # noqa: BLE001 - a learner's copy may not even import
        print(f"error: could not import {package}.run from {code.describe(lab_id)}: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    try:
        return module.main(argv)
    except NotImplementedError as exc:
        code = unfinished_exit(exc)
        if code is None:
            raise
        return code
