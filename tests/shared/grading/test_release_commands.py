"""The student release is a working product: every `labkit` command its README and its lab guides
show runs on the release as shipped, in a fresh folder, with the release's own code.

A command passes when it succeeds, stops at an unfinished exercise with the exercise's message
(exit 3), or, for a command that needs cloud credentials, ends with a clear error (exit 2).
None may end in a traceback. Emulators served in the foreground are started, checked for the
settings they print, and stopped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.grading.release import write_release
from shared.grading.runner import KIT_ROOT
from shared.labs import LABS

FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
COMMAND = re.compile(r"^(?:\$ )?(labkit [^#\n]*?)\s*(?:#.*)?$")


def documented_commands(release: Path) -> list[tuple[str, str]]:
    """(document, command) for each `labkit ...` line in a code block, README first."""
    docs = [release / "README.md", *sorted((release / "labs").glob("*/*/README.md"))]
    found = []
    for doc in docs:
        for block in FENCE.findall(doc.read_text(encoding="utf-8")):
            for line in block.splitlines():
                match = COMMAND.match(line.strip())
                if match and "<" not in match[1]:  # lines with <placeholders> are templates
                    found.append((doc.relative_to(release).as_posix(), match[1]))
    return found


def labkit(release: Path, command: str, timeout: float = 600):
    """Run a documented command with the release's own code (its folder first on sys.path).
    The timeout only catches a hang: `labkit run gcp/attachments` draws 3,500 images first
    (about a minute on a free core, four under heavy load)."""
    args = command.split()[1:]
    code = "import sys; sys.argv[0] = 'labkit'; from shared.cli import main; main()"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=release, env=env,
                          capture_output=True, text=True, timeout=timeout)


def serve_prints_settings(release: Path, command: str) -> str:
    args = command.split()[1:]
    code = "import sys; sys.argv[0] = 'labkit'; from shared.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=release, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "export" in line or len(lines) > 40:
                break
        return "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def check(release: Path, doc: str, command: str) -> str | None:
    """None when the command behaves as documented, else what went wrong."""
    if command.startswith("labkit mock serve"):
        printed = serve_prints_settings(release, command)
        return None if "export" in printed else f"{doc}: `{command}` printed no settings:\n{printed[-600:]}"
    result = labkit(release, command)
    out = result.stdout + result.stderr
    if "--target cloud" in command:
        ok = result.returncode == 2 and "error:" in result.stderr
    else:
        ok = result.returncode == 0 or (result.returncode == 3 and "is not done yet" in result.stderr)
    return None if ok and "Traceback" not in out else f"{doc}: `{command}` exited {result.returncode}:\n{out[-1200:]}"


LAB_ID = re.compile(r"\b((?:azure|gcp)/\w+)")


def command_groups(release: Path) -> dict[str, list[tuple[str, str]]]:
    """(document, command) lists by the lab each command names ("kit" for none), each command
    once, where it first appears; a lab's list starts with `labkit start <lab>`, as its guide says
    to begin (a workspace holds only the labs started in it)."""
    groups: dict[str, list[tuple[str, str]]] = {"kit": []}
    seen = set()
    for doc, command in documented_commands(release):
        if command in seen:
            continue
        seen.add(command)
        lab = (m[1] if (m := LAB_ID.search(command)) else "kit")
        groups.setdefault(lab, [] if lab == "kit" else [(doc, f"labkit start {lab}")])
        if command != f"labkit start {lab}":
            groups[lab].append((doc, command))
    return groups


# "kit" (commands naming no lab) and each ready lab: the release's documents decide the commands.
GROUPS = ["kit"] + [lab.id for lab in LABS if lab.status() == "ready"]


@pytest.mark.slow
@pytest.mark.parametrize("group", GROUPS)
def test_every_documented_command_works_on_the_release(group, tmp_path):
    """Each lab's commands in their own release copy, so the labs are checked side by side."""
    release = tmp_path / "release"
    write_release(release, KIT_ROOT)
    groups = command_groups(release)
    assert not set(groups) - set(GROUPS), f"commands of labs that are not ready: {set(groups) - set(GROUPS)}"
    commands = groups.get(group)
    assert commands, f"the release's README and guides show no command of {group}"
    problems = [p for doc, command in commands if (p := check(release, doc, command))]
    assert not problems, "\n\n".join(problems)
