"""Token efficiency of batching: tokens per ticket, batched vs one ticket per request.

    python benchmarks/azure_triage_tokens.py [--tickets 400] [--batch-size 10]

Runs the Azure lab's reference triage twice on the same test tickets against a local emulator
(stand-in model, so accuracy figures are mock figures): once with --batch-size tickets per
request, once with one ticket per request. Tokens are the service's own usage counts (prompt +
completion), summed over every call. Goal: at least 40% fewer tokens per ticket at equal or
better accuracy.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_once(server, conn, tickets, train, batch_size: int, workdir: Path) -> dict:
    from labs.azure.ticket_triage import evaluate, prompt, store, triage

    results = store.ResultStore(workdir / f"batch{batch_size}.db")
    config = triage.TriageConfig(batch_size=batch_size, concurrency=4)
    examples = prompt.select_examples(train, config.examples_per_category)

    async def go():
        async with server.async_client(max_retries=0) as client:
            await triage.Triage(client, conn, results, config, prompt.default_labels(), examples).run(tickets)

    asyncio.run(go())
    return evaluate.metrics(results.results(), results.calls(), tickets, conn.model)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=10)
    args = parser.parse_args(argv)

    from mocks.azure_openai.server import AzureOpenAIServer
    from shared.azure import AzureOpenAIConnection
    from shared.config import Secret
    from shared.datasets.tickets import generate

    ds = generate(seed=0)
    tickets = ds.test[: args.tickets]
    with AzureOpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.control.configure(rate_limits=False)  # measure tokens, not throttling
        dep = server.backend.deployments["gpt-4o-mini"]
        conn = AzureOpenAIConnection(server.url, Secret(server.api_key), server.api_version, dep.name,
                                     dep.model, dep.context_window, dep.max_output_tokens, True)
        batched = run_once(server, conn, tickets, ds.train, args.batch_size, Path(tmp))
        single = run_once(server, conn, tickets, ds.train, 1, Path(tmp))
    print(f"Token efficiency on {len(tickets)} test tickets (emulator, stand-in model: mock figures)")
    print(f"{'':24}{'batch ' + str(args.batch_size):>14}{'one per request':>18}")
    for key, fmt in [("tokens_per_ticket", "{:.1f}"), ("prompt_tokens", "{:,}"),
                     ("completion_tokens", "{:,}"), ("calls", "{:,}"), ("category_accuracy", "{:.3f}"),
                     ("priority_accuracy", "{:.3f}"), ("category_macro_f1", "{:.3f}"), ("cost_usd", "${:.4f}")]:
        print(f"{key:<24}{fmt.format(batched[key]):>14}{fmt.format(single[key]):>18}")
    saving = 1 - batched["tokens_per_ticket"] / single["tokens_per_ticket"]
    same_or_better = (batched["category_accuracy"] >= single["category_accuracy"]
                      and batched["priority_accuracy"] >= single["priority_accuracy"])
    print(f"tokens saved per ticket by batching: {saving:.1%} (goal >= 40%); "
          f"accuracy equal or better: {'yes' if same_or_better else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
