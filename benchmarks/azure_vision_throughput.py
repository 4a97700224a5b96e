"""Azure AI Vision emulator speed: requests/s and p50/p99 latency per feature set, real aio SDK.

    python benchmarks/azure_vision_throughput.py [--requests 40] [--read-requests 16]

Each feature set is analysed on the same 640x400 screenshot-like PNG at concurrency 1 and 8,
with the tier's rate limit off so nothing is throttled. The emulator, its OCR and the client
share this machine's CPU cores; the analysis runs in the server's worker threads and OCR runs
one image at a time, so concurrency adds little where the work is CPU-bound. Mock-mode figures:
they measure the stand-in on this machine, not Azure.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocks.azure_vision.server import AzureVisionServer  # noqa: E402

FEATURE_SETS = {
    "tags": ["tags"],
    "objects": ["objects"],
    "caption+denseCaptions": ["caption", "denseCaptions"],
    "smartCrops+people": ["smartCrops", "people"],
    "read": ["read"],
    "all seven": ["tags", "caption", "denseCaptions", "objects", "read", "smartCrops", "people"],
}


def screenshot_png() -> bytes:
    """An error dialog over a settings window, drawn with Pillow and matplotlib's DejaVu font."""
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(os.path.join(os.path.dirname(matplotlib.__file__),
                                           "mpl-data", "fonts", "ttf", "DejaVuSans.ttf"), 20)
    image = Image.new("RGB", (640, 400), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 639, 40), fill=(30, 60, 140))
    draw.text((10, 9), "PayFlow Settings - Network", fill="white", font=font)
    draw.rectangle((100, 110, 540, 310), fill="white", outline="black")
    for i, line in enumerate(["Something went wrong", "Error code: 0x80070005", "Access is denied."]):
        draw.text((120, 130 + 36 * i), line, fill="black", font=font)
    draw.rectangle((420, 262, 520, 296), fill=(40, 90, 200))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


async def run(server: AzureVisionServer, image: bytes, features: list[str], concurrency: int,
              total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(total))
    async with server.async_client(retry_total=0) as client:
        async def worker():
            for _ in queue:
                start = time.perf_counter()
                await client.analyze(image, features)
                latencies.append(time.perf_counter() - start)

        await client.analyze(image, features)  # warm-up (loads the OCR engine once)
        start = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return time.perf_counter() - start, latencies


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per row (feature sets without read)")
    parser.add_argument("--read-requests", type=int, default=16, help="requests per row with read (OCR)")
    args = parser.parse_args()
    image = screenshot_png()
    print(f"# mock mode: the labkit stand-in on {os.cpu_count()} CPU cores, not Azure")
    print(f"{'features':<22} {'concurrency':>11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    with AzureVisionServer(config={"rate_limits": False}) as server:
        for name, features in FEATURE_SETS.items():
            total = args.read_requests if "read" in features else args.requests
            for concurrency in (1, 8):
                elapsed, latencies = asyncio.run(run(server, image, features, concurrency, total))
                print(f"{name:<22} {concurrency:>11} {len(latencies):>8} {len(latencies) / elapsed:>8.1f} "
                      f"{percentile(latencies, 50) * 1000:>8.1f} {percentile(latencies, 99) * 1000:>8.1f}",
                      flush=True)
        server.check_errors()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
