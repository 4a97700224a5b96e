"""A Gradescope autograder bundle of the kit, and the program its ``run_autograder`` runs.

``labkit release --gradescope OUT.zip`` writes the zip Gradescope's autograder specification
asks for (https://gradescope-autograders.readthedocs.io/en/latest/specs/): ``setup.sh`` and
``run_autograder`` at the root, next to the instructor's kit (code, reference solutions, every
lab test, hidden ones included) and ``labkit-autograder.json`` (which labs, which exercise, time
limits). Gradescope unpacks it into ``/autograder/source`` and runs ``setup.sh`` once while it
builds the image; then, for every submission, in a fresh container, ``/autograder/run_autograder``,
which grades ``/autograder/submission`` and writes ``/autograder/results/results.json``.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``LABKIT_PYTHON`` (default the venv that
``setup.sh`` made) move that tree, so a test or an instructor can run the bundle in any folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from shared.grading.batch import GradeOptions, find_lab_root, grade_labs, kit_files
from shared.grading.runner import KIT_ROOT, kit_lab_ids, lab_tests_dir

CONFIG = "labkit-autograder.json"
DEFAULT_WALL_CLOCK = 1200.0  # seconds for a whole submission; set Gradescope's own limit above it

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu).
# It makes a virtual environment with Python 3.11+ and installs the kit and its dependencies.
# Offline: when the bundle carries wheels/ (labkit release --gradescope OUT.zip --wheels DIR),
# pip installs from there only and never reaches the package index.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${LABKIT_VENV:-$ROOT/venv}"

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PYTHON="$candidate"; break
  fi
done
if [ -z "$PYTHON" ]; then  # Ubuntu 22.04 images ship Python 3.10
  apt-get install -y python3.11 python3.11-venv
  PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
if [ -d "$SOURCE/wheels" ]; then
  export PIP_NO_INDEX=1 PIP_FIND_LINKS="$SOURCE/wheels"
fi
"$VENV/bin/python" -m pip install --quiet -e "$SOURCE"
"$VENV/bin/python" -m shared.tokens seed  # tokenizer files, so grading needs no network
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, in a fresh container: it grades
# $ROOT/submission with the kit's tests (hidden ones included) and writes
# $ROOT/results/results.json. AUTOGRADER_ROOT and LABKIT_PYTHON move the tree (for tests).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${LABKIT_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source" && exec "$PYTHON" -m shared.grading.gradescope --autograder "$ROOT"
"""


class BundleError(ValueError):
    pass


@dataclass
class BundleSummary:
    out: Path
    labs: list[str] = field(default_factory=list)
    files: int = 0
    size: int = 0  # bytes of the zip


def graded_labs(kit_root: Path) -> list[str]:
    return [lab for lab in kit_lab_ids(kit_root) if lab_tests_dir(lab, kit_root).is_dir()]


def _check_out(out: Path) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise BundleError(f"{out}: the Gradescope bundle is a .zip file; name it e.g. autograder.zip.")
    if out.is_dir():
        raise BundleError(f"{out} is a folder; give the path of the .zip file to write.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BundleError(f"cannot create the folder of {out}: {exc.strerror}.") from None
    return out


def write_bundle(out: Path, kit_root: Path = KIT_ROOT, labs: list[str] | None = None,
                 exercise: int | None = None, wheels: Path | None = None) -> BundleSummary:
    """Write the autograder zip; ``labs``/``exercise`` narrow what each submission is graded on."""
    out, kit_root = _check_out(out), Path(kit_root)
    known = graded_labs(kit_root)
    unknown = [lab for lab in labs or [] if lab not in known]
    if unknown:
        raise BundleError(f"no graded lab {', '.join(unknown)}; labs with tests: {', '.join(known)}.")
    if wheels is not None and not Path(wheels).is_dir():
        raise BundleError(f"--wheels {wheels} is not a folder of wheels (make one with pip wheel -w).")
    config = {"labs": labs or known, "exercise": exercise, "with_hidden": True,
              "timeout": 60.0, "wall_clock": DEFAULT_WALL_CLOCK}
    summary = BundleSummary(out, config["labs"])
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as bundle:
        _add_text(bundle, "setup.sh", SETUP_SH, executable=True)
        _add_text(bundle, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(bundle, CONFIG, json.dumps(config, indent=1))
        for path in kit_files(kit_root):
            bundle.write(path, path.relative_to(kit_root).as_posix())
        for path in sorted(Path(wheels).glob("*")) if wheels else []:
            bundle.write(path, f"wheels/{path.name}")
        summary.files = len(bundle.namelist())
    os.replace(tmp, out)
    summary.size = out.stat().st_size
    return summary


def _add_text(bundle: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (0o100755 if executable else 0o100644) << 16  # Gradescope runs the scripts
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


# --------------------------------------------------------------------------------------------
# Inside Gradescope's container


def grade_submission(autograder: Path, kit_root: Path = KIT_ROOT) -> dict:
    """Grade ``autograder/submission`` as the bundle's config says: Gradescope's results.json."""
    from shared.grading.release import check_submission_tests
    from shared.grading.report import gradescope_results

    config = json.loads((kit_root / CONFIG).read_text(encoding="utf-8"))
    options = GradeOptions(labs=config["labs"], exercise=config.get("exercise"),
                           with_hidden=config.get("with_hidden", True),
                           timeout=config.get("timeout", 60.0),
                           wall_clock=config.get("wall_clock", DEFAULT_WALL_CLOCK))
    submission = autograder / "submission"
    lab_root = find_lab_root(submission)
    header = []
    if lab_root is None:  # every test still runs, and fails saying where the code should be
        header.append("No labs/ folder found in your submission: upload the folder that holds "
                      "labs/ (your workspace), or labs/ itself.")
        lab_root = submission
    deadline = time.monotonic() + options.wall_clock
    results = grade_labs(lab_root, kit_root, options.labs, options, "submission", deadline=deadline)
    for result in results:
        if (lab_root / "tests").is_dir():
            result.notes += check_submission_tests(lab_root, kit_root, result.lab_id)
    data = gradescope_results(results)
    data["output"] = "\n".join(header + [data["output"]])
    return data


def error_results(message: str) -> dict:
    return {"score": 0.0, "output": message, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.grading.gradescope")
    parser.add_argument("--autograder", type=Path, default=Path("/autograder"))
    root = parser.parse_args(argv).autograder
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        data = grade_submission(root)
    except Exception as exc:  # Gradescope shows nothing useful without a results.json
        data = error_results(f"The autograder itself failed ({type(exc).__name__}: {exc}); "
                             "please tell your instructor.")
        code = 1
    results_file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    print(data["output"])  # goes to results/stdout, which only the instructor sees
    return code


if __name__ == "__main__":
    sys.exit(main())

