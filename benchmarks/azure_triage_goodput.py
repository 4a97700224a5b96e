"""Goodput under a TPM quota: the Azure lab's triage vs a naive loop, at several quotas, one table.

    python benchmarks/azure_triage_goodput.py [--tpm 20000,60000,200000] [--minutes 2] [--no-naive]

For each quota (--tpm, comma-separated) a fresh emulator deployment (quota enforced over 10 s
sliding windows, charging prompt + max_tokens at admission, like Azure) serves:

* the lab: batches packed to the budget and to the quota window, the client-side limiter paced
  to the quota, 429s handled (retry-after-ms), durable results; enough stream tickets for about
  ``--minutes`` of quota;
* a naive loop: one ticket per request, one request at a time, the SDK's defaults (2 retries
  honouring retry-after, 10-minute timeout); a ticket whose call still fails is lost. Unbatched
  it needs ~5x the tokens per ticket, so it gets about half as many minutes of tickets.

Printed, one row per quota and client: admitted tokens per minute of run time as a share of the
quota (goal >= 95% for the lab); the same counting the window's worth a run may send at once when
it starts ("of physical max": no client can exceed 100%); share of requests answered 429 (goal
<= 1%); tickets lost (must be 0); admitted and used (usage) tokens per ticket.
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
WINDOW_S = 10.0  # the emulator's default rate-limit window


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
        # A sliding window admits a full window's share at once when a run starts, so over T
        # seconds at most tpm * (T + window) / 60 tokens fit: this share's physical limit is 100%.
        "physical_share": usage.get("admitted_estimate_tokens", 0) / (tpm * (minutes + WINDOW_S / 60)),
        "admitted_per_ticket": usage.get("admitted_estimate_tokens", 0) / max(1, tickets),
        "used_per_ticket": usage.get("total_tokens", 0) / max(1, tickets),
    }


def run_lab(server, tickets, train, tpm: int, workdir: Path, batch_size: int) -> dict:
    from labs.azure.ticket_triage import client, prompt, store, triage

    conn = connection(server)
    workdir.mkdir(parents=True, exist_ok=True)
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


# Tokens each client spends per ticket (measured), to size the ticket counts to --minutes.
LAB_TOKENS_PER_TICKET = 330
NAIVE_TOKENS_PER_TICKET = 1700


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tpm", default="20000,60000,200000", help="quotas to measure, comma-separated")
    parser.add_argument("--minutes", type=float, default=2.0, help="about how long the lab runs per quota")
    parser.add_argument("--no-naive", action="store_true", help="measure the lab only")
    parser.add_argument("--batch-size", type=int, default=10, help="most tickets per request for the lab")
    args = parser.parse_args(argv)
    quotas = [int(q) for q in args.tpm.split(",")]

    from mocks.azure_openai.server import AzureOpenAIServer
    from shared.datasets.tickets import generate

    ds = generate(seed=0)
    rows = []
    with AzureOpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
        for tpm in quotas:
            for name in ("lab",) if args.no_naive else ("lab", "naive"):
                server.control.reset()
                server.control.configure(log_limit=10)
                server.control.add_deployment(DEPLOYMENT, "gpt-4o-mini", tpm=tpm,
                                              context_window=128000, max_output_tokens=16384)
                if name == "lab":
                    n = int(args.minutes * tpm / LAB_TOKENS_PER_TICKET)
                    row = run_lab(server, ds.stream[:n], ds.train, tpm, Path(tmp) / str(tpm), args.batch_size)
                else:
                    n = max(5, int(args.minutes / 2 * tpm / NAIVE_TOKENS_PER_TICKET))
                    row = run_naive(server, ds.stream[:n], tpm)
                rows.append({"tpm": tpm, "client": name, **row})
    print(f"Goodput per quota; lab batches of at most {args.batch_size} "
          "(emulator: 10 s sliding windows; mock figures)")
    columns = [("tpm", "quota TPM", "{:,}"), ("client", "client", "{}"), ("tickets", "tickets", "{:,}"),
               ("calls", "requests", "{:,}"), ("minutes", "minutes", "{:.2f}"),
               ("quota_share", "admitted/quota", "{:.1%}"), ("physical_share", "of physical max", "{:.1%}"),
               ("share_429", "429s", "{:.2%}"),
               ("lost", "lost", "{:,}"), ("failed", "failed", "{}"),
               ("admitted_per_ticket", "admitted tok/ticket", "{:,.0f}"),
               ("used_per_ticket", "used tok/ticket", "{:,.0f}")]
    widths = [max(len(label), 9) for _, label, _ in columns]
    print("  ".join(f"{label:>{w}}" for (_, label, _), w in zip(columns, widths, strict=True)))
    for row in rows:
        cells = [fmt.format(row.get(key, "-")) if key in row else "-" for key, _, fmt in columns]
        print("  ".join(f"{cell:>{w}}" for cell, w in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
