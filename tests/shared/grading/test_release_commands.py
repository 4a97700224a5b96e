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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.grading.release import write_release
from shared.grading.runner import KIT_ROOT

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


def labkit(release: Path, command: str, timeout: float = 240):
    """Run a documented command with the release's own code (its folder first on sys.path)."""
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


@pytest.mark.slow
def test_every_documented_command_works_on_the_release(tmp_path):
    release = tmp_path / "release"
    write_release(release, KIT_ROOT)
    commands, seen = [], set()
    for doc, command in documented_commands(release):  # each command once, where it first appears
        if command not in seen:
            seen.add(command)
            commands.append((command, doc))
    assert any(c == "labkit start azure/ticket_triage" for c, _ in commands), commands
    starts = [(d, c) for c, d in commands if c.startswith("labkit start")]
    lanes = {"gcp": [], "azure": []}  # the two labs' commands touch different folders: run side by side
    for c, d in commands:
        if not c.startswith("labkit start"):
            lanes["gcp" if "gcp/" in c else "azure"].append((d, c))
    problems = [p for d, c in starts if (p := check(release, d, c))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for lane in pool.map(lambda items: [check(release, d, c) for d, c in items], lanes.values()):
            problems += [p for p in lane if p]
    assert not problems, "\n\n".join(problems)
