"""Accuracy of the emulator's 429s: tokens admitted per minute against the configured TPM.

    python benchmarks/azure_openai_quota.py [--seconds 60] [--tpm 20000] [--workers 8]

Greedy clients (real AsyncAzureOpenAI, retries honouring retry-after-ms) hammer a deployment
with the configured TPM for the run; the admitted tokens are counted the way Azure charges
them (prompt tokens + max_tokens, from each successful response's usage) and scaled to a
minute. Within 5% of the TPM is the target.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocks.azure_openai.server import AzureOpenAIServer  # noqa: E402

MAX_TOKENS = 100
MESSAGES = [{"role": "user", "content": "Please summarise this ticket about a duplicate charge on "
                                        "my invoice and tell me what to do next. " * 3}]


async def greedy(server: AzureOpenAIServer, seconds: float, workers: int) -> tuple[int, int, float]:
    admitted = successes = 0
    async with server.async_client(max_retries=1000) as client:
        deadline = time.monotonic() + seconds

        async def worker():
            nonlocal admitted, successes
            while time.monotonic() < deadline:
                r = await client.chat.completions.create(model="quota", messages=MESSAGES,
                                                         max_tokens=MAX_TOKENS)
                if time.monotonic() <= deadline:  # count only what was admitted inside the run
                    admitted += r.usage.prompt_tokens + MAX_TOKENS
                    successes += 1

        start = time.monotonic()
        await asyncio.gather(*[worker() for _ in range(workers)])
        return admitted, successes, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tpm", type=int, default=20000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    with AzureOpenAIServer() as server:
        server.control.configure(window_s=args.window)
        server.control.add_deployment("quota", "gpt-4o-mini", tpm=args.tpm, max_output_tokens=MAX_TOKENS)
        admitted, successes, _ = asyncio.run(greedy(server, args.seconds, args.workers))
        usage = server.control.usage("quota")
        server.check_errors()
    per_minute = admitted * 60 / args.seconds
    error = (per_minute - args.tpm) / args.tpm
    print(f"configured TPM            {args.tpm}")
    print(f"window                    {args.window:g} s; run {args.seconds:g} s; {args.workers} greedy workers")
    print(f"requests admitted         {successes}  (429s returned: {usage['throttled']})")
    print(f"tokens admitted           {admitted}  ({admitted / successes:.0f} per request)")
    print(f"tokens admitted / minute  {per_minute:.0f}")
    cost = admitted // successes if successes else 0
    windows = args.seconds / args.window
    fits = min(int(args.tpm * args.window / 60) // cost, max(1, args.tpm * 6 // 1000 * args.window // 60))
    print(f"ceiling for this request  {fits * cost * windows * 60 / args.seconds:.0f} / minute "
          f"({fits:.0f} requests of {cost} tokens fit in each {args.window:g} s window)")
    print(f"difference from TPM       {error:+.1%}  ({'within' if abs(error) <= 0.05 else 'OUTSIDE'} 5%)")
    return 0 if abs(error) <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
