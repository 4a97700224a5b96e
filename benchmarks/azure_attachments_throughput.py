"""Images per second under a transactions-per-second quota: the Azure attachments lab's limiter
against the same pipeline without one.

    python benchmarks/azure_attachments_throughput.py [--images 200] [--tps 20] [--ocr-images 40] [--ocr-tps 2]
        [--concurrency 8] [--ocr-concurrency 2] [--repeat 1] [--guard 0.03] [--skip-ocr] [--limiter-only]

Two set-ups, each run twice (the lab's ``CallLimiter`` paced to the quota; then no client-side
limiter, only the lab's retries after 429s), through the lab's own ``Analyzer`` (prepare, call,
retries, durable store, classify, extract) against the local vision emulator:

* **S1 quota, tags only**: the emulator's S1 limit (``--tps`` calls per 1 s sliding window,
  20 by default as Azure publishes it), the feature ``tags`` (classical computer vision, a few
  ms per image), so the emulator's CPU is not the bottleneck and the quota is;
* **scaled quota, read + tags**: the lab's default features with real OCR, which costs the
  emulator 0.3-1.5 s of CPU per image on this machine, one image at a time; so the quota is
  set to ``--ocr-tps`` calls per second (an S1-like limit scaled down until OCR keeps up).

Printed per run: images, images/s, admitted calls as a share of the most the service could admit
in the run's span (quota x (whole windows spanned + 1), so no client can exceed 100%; goal >= 95%
for the lab), 429 answers, images lost (no result row; must be 0), wall seconds, and the CPU
seconds of this process (the client and the emulator both run in it) with the machine's load
average, since the machine may be shared. ``--repeat N`` runs each client N times and prints the
spread of the share. Emulated: the service's
latency and its gateway's real throttling windows are not Azure's. On a busy machine lower
``--tps`` until the emulator's answers (not the quota) stop being the limit: with ``--concurrency``
calls in flight and latency L, the client cannot exceed concurrency / L calls per second.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class EmulatorProcess:
    """The emulator in a process of its own (``labkit mock serve azure-vision``), set up through
    its HTTP control API. As with the real service, its work then does not compete with the
    client for one interpreter lock (the in-process emulator shares the client's)."""

    def __init__(self):
        import requests

        self.http = requests.Session()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.api_key = "bench-" + secrets.token_hex(8)
        self.url = f"http://127.0.0.1:{port}"
        labkit = Path(sys.executable).parent / "labkit"
        self.proc = subprocess.Popen([str(labkit), "mock", "serve", "azure-vision", "--port", str(port),
                                      "--api-key", self.api_key], stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if self.http.get(f"{self.url}/_mock/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise SystemExit("the emulator process did not start in 30 s")

    def reset(self, tps: int) -> None:
        self.http.post(f"{self.url}/_mock/reset").raise_for_status()
        self.http.post(f"{self.url}/_mock/limits", json={"calls": tps, "window_s": 1.0}).raise_for_status()

    def cpu_s(self) -> float:
        """CPU seconds the emulator's process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class EmulatorThread:
    """The kit's process-wide emulator, in this process (what the lab's mock mode uses)."""

    def __init__(self):
        from mocks.azure_vision.server import local_emulator

        self.server = local_emulator()
        self.url, self.api_key = self.server.url, self.server.api_key

    def reset(self, tps: int) -> None:
        self.server.control.reset()
        self.server.control.limits(calls=tps, window_s=1.0)

    def cpu_s(self) -> float:
        return 0.0  # counted in this process's own CPU time

    def stop(self) -> None:
        pass


def run_once(server, sources, features, tps: int, paced: bool, concurrency: int, guard_s: float) -> dict:
    from labs.azure.attachments import analyze, client, ratelimit, store
    from shared.azure import VisionConnection
    from shared.config import Secret

    server.reset(tps)
    conn = VisionConnection(server.url, Secret(server.api_key), True)
    results = store.ResultStore(Path(tempfile.mkdtemp()) / "r.db")
    guard_s = ratelimit.GUARD_S if guard_s is None else guard_s
    limiter = ratelimit.CallLimiter(tps, 1.0, guard_s=guard_s) if paced else ratelimit.NoLimit()
    config = analyze.AnalyzeConfig(features=features, max_attempts=8, concurrency=concurrency)
    started, cpu = time.monotonic(), time.process_time() + server.cpu_s()
    with client.make_client(conn) as vision:
        analyze.Analyzer(vision, results, config, limiter).run(sources)
    elapsed, cpu = time.monotonic() - started, time.process_time() + server.cpu_s() - cpu
    calls = results.calls()
    ok = sorted(c["started_at"] for c in calls if c["outcome"] != "429")
    span = ok[-1] - ok[0] if ok else 0.0
    most = tps * (math.floor(span / 1.0) + 1)
    return {"images": len(sources), "images_per_s": len(sources) / elapsed, "share": len(ok) / most,
            "calls_429": sum(c["outcome"] == "429" for c in calls), "lost": len(sources) - results.count(),
            "elapsed_s": elapsed, "cpu_s": cpu, "load": os.getloadavg()[0]}


def table(title: str, rows: list[tuple[str, dict]]) -> None:
    print(f"\n{title}")
    print(f"{'client':34}{'images':>8}{'images/s':>10}{'quota used':>12}{'429s':>7}{'lost':>6}{'wall s':>8}"
          f"{'CPU s':>7}{'load':>6}")
    for name, r in rows:
        print(f"{name:34}{r['images']:>8}{r['images_per_s']:>10.2f}{r['share']:>11.1%}{r['calls_429']:>7}"
              f"{r['lost']:>6}{r['elapsed_s']:>8.1f}{r['cpu_s']:>7.1f}{r['load']:>6.1f}")
    for name in dict.fromkeys(name for name, _ in rows):
        shares = [r["share"] for n, r in rows if n == name]
        if len(shares) > 1:
            print(f"{name}: quota used median {statistics.median(shares):.1%}, min {min(shares):.1%}, "
                  f"max {max(shares):.1%} (n={len(shares)} runs)")


def runs(args, server, sources, features, tps: int, concurrency: int) -> list[tuple[str, dict]]:
    """Each client ``--repeat`` times, alternating, so a change in the machine's load hits both."""
    rows = []
    for _ in range(args.repeat):
        rows.append((f"lab limiter ({tps}/s)", run_once(server, sources, features, tps, True, concurrency,
                                                        args.guard)))
        if not args.limiter_only:
            rows.append(("no limiter (retries only)", run_once(server, sources, features, tps, False,
                                                               concurrency, args.guard)))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--tps", type=int, default=20)
    p.add_argument("--ocr-images", type=int, default=40)
    p.add_argument("--ocr-tps", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--guard", type=float, default=None, help="the limiter's guard_s (default: the lab's GUARD_S)")
    p.add_argument("--skip-ocr", action="store_true", help="only the tags set-up")
    p.add_argument("--repeat", type=int, default=1, help="runs of each client (default 1)")
    p.add_argument("--limiter-only", action="store_true", help="skip the client without a limiter")
    p.add_argument("--emulator", choices=("process", "thread"), default="process",
                   help="the emulator in a process of its own (default, like a remote service) or in this one")
    p.add_argument("--ocr-concurrency", type=int, default=2,
                   help="calls in flight with OCR (the emulator reads one image at a time; more only queue)")
    args = p.parse_args()
    from azure.ai.vision.imageanalysis.models import VisualFeatures as F

    from shared.datasets.attachments import generate

    server = EmulatorProcess() if args.emulator == "process" else EmulatorThread()
    try:
        measure(args, server, F, generate)
    finally:
        server.stop()


def measure(args, server, F, generate) -> None:
    from labs.azure.attachments.analyze import Source

    images = [Source.of(a) for a in generate(max(args.images, args.ocr_images), split="test")]
    rows = runs(args, server, images[: args.images], [F.TAGS], args.tps, args.concurrency)
    table(f"S1 quota: {args.tps} calls per 1 s sliding window, feature tags (EMULATED service)", rows)
    if args.skip_ocr:
        return
    rows = runs(args, server, images[: args.ocr_images], [F.TAGS, F.READ], args.ocr_tps, args.ocr_concurrency)
    table(f"scaled quota: {args.ocr_tps} calls per 1 s, features tags + read (real OCR; EMULATED service)", rows)


if __name__ == "__main__":
    main()
