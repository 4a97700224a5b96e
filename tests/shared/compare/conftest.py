"""Headless Chromium for browser tests: Debian's package, installed here when missing."""

import os
import shutil
import subprocess

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _install_chromium() -> str | None:
    """apt-get install chromium, when we may (root, Debian/Ubuntu). Returns why not, or None."""
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine: install Chromium yourself to run browser tests"
    if os.geteuid() != 0:
        return "not root: run 'sudo apt-get install chromium' to run browser tests"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            return f"'{' '.join(cmd)}' failed: {done.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = _install_chromium()
        path = shutil.which("chromium")
        if path is None:
            pytest.skip(f"browser test skipped: Chromium is not installed and could not be ({reason})")
    return path
