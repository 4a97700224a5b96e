"""Azure OpenAI emulator speed: requests/s and p50/p99 latency on loopback, real AsyncAzureOpenAI.

    python benchmarks/azure_openai_throughput.py [--requests 400]

Runs at concurrency 1 and 32 against a deployment with no quota, so nothing is throttled.
Figures are for this machine; the emulator and the client share its CPU cores.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocks.azure_openai.server import AzureOpenAIServer  # noqa: E402

MESSAGES = [{"role": "system", "content": "Classify.\n- billing: refunds, invoices\n- bug: crashes"},
            {"role": "user", "content": "I was charged twice, please refund the duplicate invoice."}]


async def run(server: AzureOpenAIServer, concurrency: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(total))
    async with server.async_client(max_retries=0) as client:
        async def worker():
            for _ in queue:
                start = time.perf_counter()
                await client.chat.completions.create(model="bench", messages=MESSAGES, max_tokens=50)
                latencies.append(time.perf_counter() - start)

        await client.chat.completions.create(model="bench", messages=MESSAGES)  # warm-up
        start = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return time.perf_counter() - start, latencies


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with AzureOpenAIServer() as server:
        server.control.add_deployment("bench", "gpt-4o-mini", tpm=None)
        print(f"{'concurrency':>11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for concurrency in (1, 32):
            elapsed, latencies = asyncio.run(run(server, concurrency, args.requests))
            print(f"{concurrency:>11} {len(latencies):>8} {len(latencies) / elapsed:>8.1f} "
                  f"{percentile(latencies, 50) * 1000:>8.1f} {percentile(latencies, 99) * 1000:>8.1f}")
        server.check_errors()
    return 0


if __name__ == "__main__":
    sys.exit(main())
