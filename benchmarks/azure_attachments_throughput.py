"""Images per second under a transactions-per-second quota: the Azure attachments lab's limiter
against the same pipeline without one.

    python benchmarks/azure_attachments_throughput.py [--images 200] [--tps 20] [--ocr-images 40] [--ocr-tps 2]
        [--concurrency 8] [--ocr-concurrency 2]

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
for the lab), 429 answers, images lost (no result row; must be 0). Emulated: the service's
latency and its gateway's real throttling windows are not Azure's. On a busy machine lower
``--tps`` until the emulator's answers (not the quota) stop being the limit: with ``--concurrency``
calls in flight and latency L, the client cannot exceed concurrency / L calls per second.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_once(server, sources, features, tps: int, paced: bool, concurrency: int, guard_s: float) -> dict:
    from labs.azure.attachments import analyze, client, ratelimit, store
    from shared.azure import VisionConnection
    from shared.config import Secret

    server.control.reset()
    server.control.limits(calls=tps, window_s=1.0)
    conn = VisionConnection(server.url, Secret(server.api_key), True)
    results = store.ResultStore(Path(tempfile.mkdtemp()) / "r.db")
    limiter = ratelimit.CallLimiter(tps, 1.0, guard_s=guard_s) if paced else ratelimit.NoLimit()
    config = analyze.AnalyzeConfig(features=features, max_attempts=8, concurrency=concurrency)
    started = time.monotonic()
    with client.make_client(conn) as vision:
        analyze.Analyzer(vision, results, config, limiter).run(sources)
    elapsed = time.monotonic() - started
    calls = results.calls()
    ok = sorted(c["started_at"] for c in calls if c["outcome"] != "429")
    span = ok[-1] - ok[0] if ok else 0.0
    most = tps * (math.floor(span / 1.0) + 1)
    return {"images": len(sources), "images_per_s": len(sources) / elapsed, "share": len(ok) / most,
            "calls_429": sum(c["outcome"] == "429" for c in calls), "lost": len(sources) - results.count(),
            "elapsed_s": elapsed}


def table(title: str, rows: list[tuple[str, dict]]) -> None:
    print(f"\n{title}")
    print(f"{'client':34}{'images':>8}{'images/s':>10}{'quota used':>12}{'429s':>7}{'lost':>6}{'wall s':>8}")
    for name, r in rows:
        print(f"{name:34}{r['images']:>8}{r['images_per_s']:>10.2f}{r['share']:>11.1%}{r['calls_429']:>7}"
              f"{r['lost']:>6}{r['elapsed_s']:>8.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--tps", type=int, default=20)
    p.add_argument("--ocr-images", type=int, default=40)
    p.add_argument("--ocr-tps", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--guard", type=float, default=0.02, help="the limiter's guard_s (default: the lab's, 0.02)")
    p.add_argument("--skip-ocr", action="store_true", help="only the tags set-up")
    p.add_argument("--ocr-concurrency", type=int, default=2,
                   help="calls in flight with OCR (the emulator reads one image at a time; more only queue)")
    args = p.parse_args()
    from azure.ai.vision.imageanalysis.models import VisualFeatures as F

    from labs.azure.attachments.analyze import Source
    from mocks.azure_vision.server import local_emulator
    from shared.datasets.attachments import generate

    server = local_emulator()
    images = [Source.of(a) for a in generate(max(args.images, args.ocr_images), split="test")]
    rows = [(f"lab limiter ({args.tps}/s)", run_once(server, images[: args.images], [F.TAGS], args.tps, True,
                                                    args.concurrency, args.guard)),
            ("no limiter (retries only)", run_once(server, images[: args.images], [F.TAGS], args.tps, False,
                                                   args.concurrency, args.guard))]
    table(f"S1 quota: {args.tps} calls per 1 s sliding window, feature tags (EMULATED service)", rows)
    if args.skip_ocr:
        return
    rows = [(f"lab limiter ({args.ocr_tps}/s)", run_once(server, images[: args.ocr_images], [F.TAGS, F.READ],
                                                        args.ocr_tps, True, args.ocr_concurrency, args.guard)),
            ("no limiter (retries only)", run_once(server, images[: args.ocr_images], [F.TAGS, F.READ],
                                                   args.ocr_tps, False, args.ocr_concurrency, args.guard))]
    table(f"scaled quota: {args.ocr_tps} calls per 1 s, features tags + read (real OCR; EMULATED service)", rows)


if __name__ == "__main__":
    main()
