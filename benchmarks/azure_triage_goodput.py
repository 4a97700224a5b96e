"""Goodput under a TPM quota: the Azure lab's triage vs a naive loop, on one emulator deployment.

    python benchmarks/azure_triage_goodput.py [--tpm 200000] [--tickets 2000] [--naive-tickets 300]

A deployment with a small quota (--tpm, enforced by the emulator over 10 s sliding windows,
charging prompt + max_tokens at admission, like Azure) serves:

* the lab: batches packed to the budget, the client-side limiter paced to the quota, 429s
  handled (retry-after-ms), durable results; all ``--tickets`` stream tickets;
* a naive loop: one ticket per request, one request at a time, the SDK's defaults (2 retries
  honouring retry-after, 10-minute timeout); a ticket whose call still fails is lost. It runs
  on the first ``--naive-tickets`` tickets only: unbatched it needs ~5x the tokens, so the full
  stream would take a quarter of an hour.

Printed: admitted tokens per minute as a share of the quota (goal >= 95% for the lab), share
of requests answered 429 (goal <= 2%), tickets lost (must be 0), plus used tokens per minute.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEPLOYMENT = "gpt-4o-mini-quota"


def connection(server):
    from shared.azure import AzureOpenAIConnection
    from shared.config import Secret

    dep = server.backend.deployments[DEPLOYMENT]
    return AzureOpenAIConnection(server.url, Secret(server.api_key), server.api_version, dep.name,
                                 dep.model, dep.context_window, dep.max_output_tokens, True)


def figures(server, started: float, ended: float, tpm: int, tickets: int, lost: int) -> dict:
    usage = server.control.usage(DEPLOYMENT)
    minutes = (ended - started) / 60
    calls = usage.get("requests", 0) + usage.get("throttled", 0) + usage.get("errors", 0)
    return {
        "tickets": tickets, "lost": lost, "minutes": minutes, "calls": calls,
        "admitted_tpm": usage.get("admitted_estimate_tokens", 0) / minutes,
        "used_tpm": usage.get("total_tokens", 0) / minutes,
        "share_429": usage.get("throttled", 0) / calls if calls else 0.0,
        "quota_share": usage.get("admitted_estimate_tokens", 0) / minutes / tpm,
    }


def run_lab(server, tickets, train, tpm: int, workdir: Path, batch_size: int) -> dict:
    from labs.azure.ticket_triage import client, prompt, store, triage

    conn = connection(server)
    results = store.ResultStore(workdir / "lab.db")
    config = triage.TriageConfig(batch_size=batch_size, concurrency=6, tpm=tpm)
    examples = prompt.select_examples(train, config.examples_per_category)

    async def go():
        async with client.make_client(conn) as c:
            await triage.Triage(c, conn, results, config, prompt.default_labels(), examples).run(tickets)

    asyncio.run(go())
    calls = results.calls()  # measure from the first request to the last answer (not set-up)
    started = min(c["started_at"] for c in calls)
    ended = max(c["started_at"] + c["latency_s"] for c in calls)
    lost = len(tickets) - results.count()
    out = figures(server, started, ended, tpm, len(tickets), lost)
    out["failed"] = results.counts()["failed"]
    return out


def run_naive(server, tickets, tpm: int) -> dict:
    import openai

    from labs.azure.ticket_triage import prompt
    from shared.datasets.tickets import ticket_text

    labels = prompt.default_labels()
    system = prompt.build_system_prompt(labels, [])
    sdk = server.client()  # SDK defaults: max_retries=2, long timeout
    lost = 0
    started = time.time()
    for t in tickets:
        try:
            sdk.chat.completions.create(
                model=DEPLOYMENT, response_format=prompt.response_format(labels), max_tokens=200,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": f'<ticket id="{t["id"]}">\n{ticket_text(t)}\n</ticket>'}])
        except openai.APIError:
            lost += 1
    ended = time.time()
    return figures(server, started, ended, tpm, len(tickets), lost)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tpm", type=int, default=200_000)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--naive-tickets", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=10,
                        help="tickets per request for the lab; smaller requests fill the quota window more evenly")
    args = parser.parse_args(argv)

    from mocks.azure_openai.server import AzureOpenAIServer
    from shared.datasets.tickets import generate

    ds = generate(seed=0)
    rows = {}
    with AzureOpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
        for name in ("lab", "naive"):
            server.control.reset()
            server.control.configure(log_limit=10)
            server.control.add_deployment(DEPLOYMENT, "gpt-4o-mini", tpm=args.tpm,
                                          context_window=128000, max_output_tokens=16384)
            if name == "lab":
                rows[name] = run_lab(server, ds.stream[: args.tickets], ds.train, args.tpm, Path(tmp),
                                     args.batch_size)
            else:
                rows[name] = run_naive(server, ds.stream[: args.naive_tickets], args.tpm)
    print(f"Goodput on deployment quota {args.tpm:,} TPM, lab batches of {args.batch_size} "
          "(emulator: 10 s sliding windows; mock figures)")
    print(f"{'':34}{'lab (batched, paced)':>22}{'naive loop':>14}")
    for key, label, fmt in [("tickets", "stream tickets", "{:,}"), ("minutes", "wall time (min)", "{:.2f}"),
                            ("calls", "requests", "{:,}"),
                            ("quota_share", "admitted tokens/min / quota", "{:.1%}"),
                            ("admitted_tpm", "admitted tokens/min", "{:,.0f}"),
                            ("used_tpm", "used tokens/min (usage)", "{:,.0f}"),
                            ("share_429", "requests answered 429", "{:.2%}"),
                            ("lost", "tickets lost", "{:,}")]:
        print(f"{label:<34}{fmt.format(rows['lab'][key]):>22}{fmt.format(rows['naive'][key]):>14}")
    print(f"lab tickets failed-with-reason: {rows['lab']['failed']} (stored, not lost)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
