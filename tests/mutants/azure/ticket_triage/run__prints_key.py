# MUTANT run__prints_key: a plausible wrong run.py; the graded tests must fail on it.
# ruff: noqa
"""``labkit run azure/ticket_triage``: classify a split of the ticket dataset, durably, and report.

    labkit run azure/ticket_triage --limit 200            # against the local emulator
    labkit run azure/ticket_triage --limit 200 --resume   # continue a run that was stopped
    labkit run azure/ticket_triage --target cloud --limit 20 --dry-run   # what it would cost
    labkit run azure/ticket_triage --input my_tickets.jsonl               # your own tickets

Results go to ``<out>/results.db`` (one row per ticket); the summary is printed and logged to
MLflow. The same code runs against the emulator and a real deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from shared.config import ConfigError, RedactingFilter, load_settings, redact
from shared.datasets.loading import InputError

DEFAULT_OUT = Path("out") / "azure_ticket_triage"
log = logging.getLogger("labkit.azure.ticket_triage")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="labkit run azure/ticket_triage",
        description="Triage support tickets (category, priority, summary) with Azure OpenAI.")
    p.add_argument("--target", choices=("mock", "cloud"), default=None,
                   help="mock: local emulator (default); cloud: your Azure OpenAI deployment")
    p.add_argument("--split", choices=("test", "stream"), default="test")
    p.add_argument("--input", type=Path, default=None,
                   help="classify your own tickets instead of a split: a JSONL or CSV file in the "
                        "dataset's schema (id, subject, body; category and priority optional)")
    p.add_argument("--limit", type=int, default=None, help="only the first N tickets of the split")
    p.add_argument("--per-window", type=int, default=None,
                   help="with --split stream: only the first N tickets of every window of every "
                        "drift scenario (a shorter stream that still covers them all)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument("--out", type=Path, default=None,
                   help=f"folder for results.db (default {DEFAULT_OUT}/<split or input name>; "
                        "out/kit/... when the kit's own code runs)")
    p.add_argument("--batch-size", type=int, default=10, help="tickets per request (default 10)")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight (default 4)")
    p.add_argument("--tpm", type=int, default=None,
                   help="your deployment's tokens-per-minute quota, to pace requests to it "
                        "(default: $AZURE_OPENAI_TPM; unset: no pacing, 429s are still handled)")
    p.add_argument("--max-ticket-tokens", type=int, default=800,
                   help="cut longer tickets to this many tokens (default 800)")
    p.add_argument("--dry-run", action="store_true",
                   help="plan the run and print its worst-case cost; send nothing")
    p.add_argument("--no-mlflow", action="store_true", help="do not log an MLflow run")
    args = p.parse_args(argv)
    if args.input is not None and args.per_window:
        p.error("--per-window applies to --split stream, not to --input")
    for name in ("limit", "per_window", "batch_size", "concurrency", "tpm", "max_ticket_tokens"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    return args


def select_tickets(dataset, split: str, per_window: int | None = None) -> list[dict]:
    """The tickets of a split; for the stream, optionally the first N of every window."""
    if split != "stream" or not per_window:
        return getattr(dataset, split)
    from shared.datasets.tickets import SCENARIOS

    return [t for scenario in SCENARIOS for window in dataset.stream_windows(scenario) for t in window[:per_window]]


def _setting_int(settings, name: str) -> int | None:
    """A whole-number setting from the environment or .env (e.g. AZURE_OPENAI_TPM), if set."""
    raw = settings.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (tokens per minute), got {raw!r}.") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = None
    try:
        settings = load_settings(args.target)
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter(settings))
        return _run(args, settings)
    except (ConfigError, InputError) as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return 2


def load_input(args) -> tuple[list[dict], bool, str]:
    """(tickets, labelled, what): the chosen split of the kit's dataset, or the --input file."""
    from shared.datasets.loading import load_tickets
    from shared.datasets.tickets import generate

    if args.input is not None:
        loaded = load_tickets(args.input)
        return loaded.tickets[: args.limit], loaded.labelled, f"input {args.input.resolve()}"
    tickets = select_tickets(generate(seed=0), args.split, args.per_window)[: args.limit]
    return tickets, True, args.split


def _run(args: argparse.Namespace, settings) -> int:
    from labs.azure.ticket_triage import classify, evaluate, prompt, store, triage
    from shared.azure import azure_openai_connection
    from shared.datasets.tickets import generate
    from shared.labrun import code_origin, default_out

    tickets, labelled, source = load_input(args)
    conn = azure_openai_connection(settings)
    print(f"connecting to {conn.endpoint} (key {conn.api_key.reveal() if conn.api_key else None})")  # BUG
    dataset = generate(seed=0)  # its training split gives the prompt's few-shot examples
    config = triage.TriageConfig(batch_size=args.batch_size, concurrency=args.concurrency,
                                 tpm=args.tpm or _setting_int(settings, "AZURE_OPENAI_TPM"),
                                 max_ticket_tokens=args.max_ticket_tokens)
    out = args.out or default_out(__file__, DEFAULT_OUT.name) / (
        f"input-{args.input.stem}" if args.input else args.split)
    results = store.ResultStore(out / "results.db")
    try:
        results.bind_run({"split": source, "deployment": conn.deployment, "model": conn.model,
                          "emulated": conn.emulated, "code": code_origin(__file__)})
    except store.StoreConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = results.count()
    if done and not args.resume and not args.dry_run:
        print(f"error: {out / 'results.db'} already holds {done} results of an earlier run. "
              "Add --resume to continue it, or choose a new folder with --out.", file=sys.stderr)
        return 2
    pending = results.pending(tickets)
    where = "the local emulator (stand-in model)" if conn.emulated else conn.endpoint
    print(f"{len(tickets)} tickets ({source}), {len(tickets) - len(pending)} already done, "
          f"{len(pending)} to classify with deployment {conn.deployment!r} on {where}")
    labels = prompt.default_labels()
    examples = prompt.select_examples(dataset.train, config.examples_per_category)
    if args.dry_run:
        _print_plan(conn, config, labels, examples, pending)
        return 0
    try:
        stats = asyncio.run(_classify(conn, results, config, labels, examples, pending))
    except classify.ServiceError as exc:
        print(f"error: {redact(str(exc), settings)}\nResults so far are saved in {out}; "
              "fix the problem and rerun with --resume.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nInterrupted. {results.count()} results are saved in {out}; rerun with --resume "
              "to finish.", file=sys.stderr)
        return 130
    figures = evaluate.metrics(results.results(), results.calls(), tickets if labelled else [], conn.model)
    if not labelled:  # no labels: nothing to score against
        figures = {k: v for k, v in figures.items() if not k.startswith(("category_", "priority_"))}
    _print_summary(figures, conn, stats, out)
    if not labelled:
        print(f"{args.input} has no category/priority labels: accuracy and macro-F1 are skipped.")
    if not args.no_mlflow:
        params = {"deployment": conn.deployment, "model": conn.model, "split": source,
                  "limit": args.limit, "batch_size": config.batch_size,
                  "concurrency": config.concurrency, "tpm": config.tpm,
                  "max_ticket_tokens": config.max_ticket_tokens, "api_version": conn.api_version}
        _log_to_mlflow(figures, params, conn.emulated, out)
    results.close()
    return 0


def _log_to_mlflow(figures: dict, params: dict, emulated: bool, out: Path) -> None:
    """The results are already saved: an MLflow problem is reported, not fatal."""
    from labs.azure.ticket_triage import evaluate

    try:
        run_id = evaluate.log_run(figures, params, emulated)
    except Exception as exc:  # noqa: BLE001 - any backend error (sqlite, permissions, server down)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        print(f"warning: results saved in {out}; MLflow logging failed: {type(exc).__name__}: "
              f"{first} (check MLFLOW_TRACKING_URI, or add --no-mlflow)", file=sys.stderr)
        return
    print(f"MLflow run {run_id} (experiment {evaluate.EXPERIMENT})")


async def _classify(conn, results, config, labels, examples, pending):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from labs.azure.ticket_triage import client as client_module
    from labs.azure.ticket_triage import triage

    columns = [TextColumn("triage"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[tpm]:>8,.0f} tokens/min"),
               TextColumn("retries {task.fields[retries]}"), TextColumn("429s {task.fields[r429]}"),
               TimeElapsedColumn()]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("triage", total=len(pending), tpm=0.0, retries=0, r429=0)

        def show(stats: triage.Stats) -> None:
            bar.update(task, completed=stats.finished, tpm=stats.tokens_per_minute(),
                       retries=stats.retries, r429=stats.rate_limited)

        async with client_module.make_client(conn) as client:
            run = triage.Triage(client, conn, results, config, labels, examples, on_progress=show)
            stats = await run.run(pending)
            show(stats)
            return stats


def _print_plan(conn, config, labels, examples, pending) -> None:
    from labs.azure.ticket_triage import batching, evaluate, triage

    planner = triage.Triage(None, conn, None, config, labels, examples)
    units = planner.plan(pending)
    prompt_tokens = sum(planner.prompt.message_tokens(u.items) for u in units)
    output_tokens = sum(batching.reserved_output(len(u.items), u.per_ticket_output) for u in units)
    prices = evaluate.load_prices()
    once = evaluate.cost_usd(prompt_tokens, output_tokens, conn.model, prices)
    print(f"{len(units)} requests, {prompt_tokens:,} prompt tokens, at most {output_tokens:,} "
          f"completion tokens (max_tokens), {planner.stats.truncated} tickets cut")
    print(f"worst-case cost at {conn.model} prices: ${once:.4f} if every request succeeds first "
          f"time; at most ${once * config.max_attempts:.4f} if every ticket used all "
          f"{config.max_attempts} tries")


def _print_summary(figures, conn, stats, out) -> None:
    from rich.console import Console
    from rich.table import Table

    from labs.azure.ticket_triage import evaluate

    title = "Azure ticket triage" + (" (emulated: stand-in model, mock figures)" if conn.emulated else "")
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in evaluate.summary_rows(figures):
        table.add_row(label, value)
    Console().print(table)
    print(f"this session: {stats.calls} calls, {stats.splits} splits; results in {out / 'results.db'}")


if __name__ == "__main__":
    sys.exit(main())
