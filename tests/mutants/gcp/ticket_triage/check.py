"""Check that the graded GCP ticket-triage tests catch every broken variant in this folder.

    .venv/bin/python tests/mutants/gcp/ticket_triage/check.py [name ...]

Each ``<module>__<what>.py`` here is a full copy of ``labs/gcp/ticket_triage/<module>.py`` with
one plausible bug. For each, the lab is copied to a temporary folder with that module swapped
in, and the graded tests whose docstring names the variant run against it through
``--lab-root``: they must FAIL. A variant no docstring names is run against the whole lab test
folder. Exit status 1 when some variant survives.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TESTS = ROOT / "tests" / "labs" / "gcp"
LAB = Path("labs") / "gcp" / "ticket_triage"


def tests_naming(variant: str) -> list[str]:
    ids = []
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and variant in (ast.get_docstring(node) or ""):
                ids.append(f"{path.relative_to(ROOT)}::{node.name}")
    return ids


def survives(mutant: Path) -> bool:
    module = mutant.stem.split("__")[0]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "labs", Path(tmp) / "labs",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(mutant, Path(tmp) / LAB / f"{module}.py")
        targets = tests_naming(mutant.stem) or [str(TESTS.relative_to(ROOT))]
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "--no-header", "-p", "no:cacheprovider",
             "--lab-root", tmp, *targets], cwd=ROOT, capture_output=True, text=True)
    status = "caught" if run.returncode != 0 else "SURVIVED"
    print(f"{status:9} {mutant.stem}  ({len(targets)} test(s))", flush=True)
    return run.returncode == 0


def main(names: list[str]) -> int:
    mutants = [p for p in sorted(HERE.glob("*__*.py")) if not names or p.stem in names]
    survivors = [m.stem for m in mutants if survives(m)]
    print(f"{len(mutants) - len(survivors)}/{len(mutants)} variants caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
