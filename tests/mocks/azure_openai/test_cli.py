"""`labkit mock serve azure-openai` as a newcomer uses it: start, paste the lines, call, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from openai import AzureOpenAI

LABKIT = [sys.executable, "-c", "import sys; from shared.cli import main; sys.argv[0] = 'labkit'; main()"]


def serve(args: list[str], env: dict, cwd) -> subprocess.Popen:
    """`labkit mock serve ...` in the background, taking Ctrl-C (SIGINT) as at a terminal.

    A shell starts background jobs with SIGINT ignored and children inherit that, so a suite run
    from a background job would never stop the server; the child resets it first.
    """
    return subprocess.Popen([*LABKIT, "mock", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def read_exports(proc: subprocess.Popen, timeout: float = 30) -> dict[str, str]:
    exports, deadline = {}, time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("export "):
            name, value = line[len("export "):].strip().split("=", 1)
            exports[name] = value
        if line.startswith("# control API"):
            return exports
    raise AssertionError(f"the server printed no ready line; stderr: {proc.stderr.read()}")


def test_serve_prints_pasteable_settings_and_serves_until_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OPENAI_"))}
    proc = serve(["azure-openai", "--port", "0"], env, tmp_path)
    try:
        exports = read_exports(proc)
        assert set(exports) >= {"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION"}
        assert exports["AZURE_OPENAI_ENDPOINT"].startswith("http://127.0.0.1:")
        client = AzureOpenAI(azure_endpoint=exports["AZURE_OPENAI_ENDPOINT"],
                             api_key=exports["AZURE_OPENAI_API_KEY"],
                             api_version=exports["OPENAI_API_VERSION"])
        r = client.chat.completions.create(model=exports["AZURE_OPENAI_DEPLOYMENT"],
                                           messages=[{"role": "user", "content": "hi"}])
        assert r.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_serve_refuses_record_without_a_cassette():
    done = subprocess.run([*LABKIT, "mock", "serve", "azure-openai", "--record", "https://x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--cassette" in done.stderr
