"""``labkit run azure/attachments``: analyse a split of the attachment dataset (or your own
folder of images), durably, and report.

    labkit run azure/attachments --limit 50                 # against the local emulator
    labkit run azure/attachments --limit 50 --resume        # continue a run that was stopped
    labkit run azure/attachments --input my_images/         # your own images (labels optional)
    labkit run azure/attachments --target cloud --limit 20 --dry-run   # what it would cost

Results go to ``<out>/results.db`` (one row per image, one per HTTP call) and
``<out>/results.json`` (the summary, also printed and logged to MLflow). The same code runs
against the emulator and a real Azure AI Vision resource.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from shared.config import ConfigError, RedactingFilter, load_settings, redact
from shared.datasets.loading import InputError

DEFAULT_OUT = Path("out") / "azure_attachments"
TIERS = {"S1": (20, 1.0), "F0": (20, 60.0)}  # calls per window_s, as Azure publishes them
log = logging.getLogger("labkit.azure.attachments")


def parse_args(argv: list[str]) -> argparse.Namespace:
    from labs.azure.attachments.features import DEFAULT_USES, NEEDS

    p = argparse.ArgumentParser(prog="labkit run azure/attachments",
                                description="Say what each ticket attachment is and read its key fields "
                                            "with Azure AI Vision Image Analysis 4.0.")
    p.add_argument("--target", choices=("mock", "cloud"), default=None,
                   help="mock: local emulator (default); cloud: your AI Vision resource (VISION_ENDPOINT)")
    p.add_argument("--split", choices=("test", "stream"), default="test")
    p.add_argument("--input", type=Path, default=None,
                   help="analyse your own folder of images instead (PNG, JPEG, GIF, BMP, WEBP, TIFF; a file "
                        "that cannot be used is refused with the reason; an optional labels.jsonl as in "
                        "shared/datasets/README.md)")
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--per-window", type=int, default=None,
                   help="with --split stream: the first N images of every window of every drift scenario")
    p.add_argument("--uses", default=",".join(DEFAULT_USES),
                   help=f"what the analysis is for, comma-separated, from {', '.join(NEEDS)}: decides "
                        "the visual features requested (each is billed; default %(default)s)")
    p.add_argument("--tier", choices=tuple(TIERS), default="S1",
                   help="your resource's pricing tier: paces calls to its quota (default S1: 20 per second)")
    p.add_argument("--tps", type=int, default=None, help="calls per second instead of the tier's (a raised quota)")
    p.add_argument("--concurrency", type=int, default=4, help="calls in flight (default 4)")
    p.add_argument("--max-attempts", type=int, default=4, help="tries per image (default 4)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"folder for results.db and results.json (default {DEFAULT_OUT}/<split or input name>)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument("--dry-run", action="store_true", help="check the images and print the cost; send nothing")
    p.add_argument("--no-mlflow", action="store_true", help="do not log an MLflow run")
    args = p.parse_args(argv)
    if args.input is not None and args.per_window:
        p.error("--per-window applies to --split stream, not to --input")
    for name in ("limit", "per_window", "tps", "concurrency", "max_attempts"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    return args


def load_sources(args) -> tuple[list, bool, str]:
    """(sources, labelled, what): the split of the kit's dataset, or the --input folder."""
    from labs.azure.attachments.analyze import Source
    from shared.datasets import attachments

    if args.input is not None:
        sources, labelled = folder_sources(args.input)
        return sources[: args.limit], labelled, f"input {args.input.resolve()}"
    if args.split == "stream":
        per = args.per_window or attachments.WINDOW_SIZE
        items = [a for s in attachments.SCENARIOS for w in attachments.stream(s, per_window=per) for a in w]
        items = items[: args.limit]
    else:
        items = attachments.generate(args.limit or attachments.SPLIT_SIZES["test"], split="test")
    return [Source.of(a) for a in items], True, args.split


def folder_sources(folder: Path) -> tuple[list, bool]:
    """The images of a learner's folder in file-name order, and whether labels.jsonl labels them.

    ``load_images`` lists the files both labs can use (PNG, JPEG, GIF, BMP, decoded once) and,
    with ``keep_going``, the others instead of stopping at the first. Those go through the same
    checks as every image (``prepare.prepare_image``, step 3): a corrupt, truncated or empty
    file, or one that is not an image, is saved as refused with the reason while the rest are
    analysed, and a format Image Analysis takes but the kit's folder reader does not (WEBP, TIFF,
    ICO) is analysed too. A folder with no usable image, or a wrong labels file, stops before
    anything is sent (InputError: exit 2, naming the file).
    """
    from labs.azure.attachments.analyze import Source
    from shared.datasets.loading import load_images

    loaded = load_images(folder, keep_going=True)
    named = [(item.path.name, Source.of(item)) for item in loaded.images]
    taken = {source.id for _, source in named}
    for path, _ in loaded.unusable:
        image_id = path.stem if path.stem not in taken else path.name  # a.png and a.webp: two images
        taken.add(image_id)
        named.append((path.name, Source(image_id, path.read_bytes)))
    return [source for _, source in sorted(named, key=lambda pair: pair[0])], loaded.labelled


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = None
    try:
        settings = load_settings(args.target)
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter(settings))
        return _run(args, settings)
    except (ConfigError, InputError, ValueError) as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return 2


def _run(args, settings) -> int:
    from labs.azure.attachments import analyze, evaluate, features, store
    from shared.azure import vision_connection
    from shared.labrun import code_origin, default_out

    conn = vision_connection(settings)  # settings first: a missing endpoint is said before anything runs
    chosen = features.choose_features([u.strip() for u in args.uses.split(",") if u.strip()])
    names = features.feature_names(chosen)
    sources, labelled, what = load_sources(args)
    out = args.out or default_out(__file__, DEFAULT_OUT.name) / (
        f"input-{args.input.name}" if args.input else args.split)
    results = store.ResultStore(out / "results.db")
    try:
        results.bind_run({"images": what, "limit": args.limit, "per_window": args.per_window, "features": names,
                          "tier": args.tier, "target": "mock" if conn.emulated else "cloud",
                          "code": code_origin(__file__)})
    except store.StoreConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = results.count()
    if done and not args.resume and not args.dry_run:
        print(f"error: {out / 'results.db'} already holds {done} results of an earlier run. Add --resume to "
              "continue it, or choose a new folder with --out.", file=sys.stderr)
        return 2
    pending = results.pending(sources)
    where = "the local emulator (stand-in models)" if conn.emulated else conn.endpoint
    print(f"{len(sources)} images ({what}), {len(sources) - len(pending)} already done, {len(pending)} to "
          f"analyse with {', '.join(names)} on {where}")
    if args.dry_run:
        _print_plan(pending, names, args)
        return 0
    config = analyze.AnalyzeConfig(features=chosen, max_attempts=args.max_attempts, concurrency=args.concurrency)
    started = time.monotonic()
    try:
        stats = _analyze(conn, results, config, _limiter(args), pending)
    except analyze.ServiceError as exc:
        print(f"error: {redact(str(exc), settings)}\nResults so far are saved in {out}; fix the problem and "
              "rerun with --resume.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nInterrupted. {results.count()} results are saved in {out}; rerun with --resume to finish.",
              file=sys.stderr)
        return 130
    labels = [{"id": s.id, "type": s.type, "fields": s.fields} for s in sources
              if s.type is not None] if labelled else None  # labels.jsonl skips the files load_images cannot use
    figures = evaluate.summary(results.results(), results.calls(), labels, evaluate.load_prices(),
                               time.monotonic() - started if pending else None, conn.emulated)
    (out / "results.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _print_summary(figures, conn.emulated, stats, out)
    _print_refused(results.results())
    if not args.no_mlflow:
        params = {"images": what, "limit": args.limit, "features": ",".join(names), "tier": args.tier,
                  "tps": args.tps, "concurrency": args.concurrency, "max_attempts": args.max_attempts}
        _log_to_mlflow(figures, params, conn.emulated, out)
    results.close()
    return 0


def _limiter(args):
    from labs.azure.attachments.ratelimit import CallLimiter

    calls, window_s = TIERS[args.tier]
    return CallLimiter(args.tps, 1.0) if args.tps else CallLimiter(calls, window_s)


def _analyze(conn, results, config, limiter, pending):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from labs.azure.attachments import analyze, client

    columns = [TextColumn("analyse"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:>5.1f} images/s"), TextColumn("retries {task.fields[retries]}"),
               TextColumn("429s {task.fields[r429]}"), TimeElapsedColumn()]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("analyse", total=len(pending), rate=0.0, retries=0, r429=0)

        def show(stats) -> None:
            bar.update(task, completed=stats.finished, rate=stats.images_per_s(), retries=stats.retries,
                       r429=stats.rate_limited)

        with client.make_client(conn) as vision:
            stats = analyze.Analyzer(vision, results, config, limiter, on_progress=show).run(pending)
        show(stats)
        return stats


def _print_plan(pending, names, args) -> None:
    """Check every pending image (no call) and price the calls a run would make."""
    from labs.azure.attachments import evaluate, prepare

    refused = 0
    for source in pending:
        try:
            prepare.prepare_image(source.read())
        except prepare.Refused as exc:
            refused += 1
            print(f"  {source.id}: would be refused: {exc.reason}")
    sendable = len(pending) - refused
    calls = [{"features": ",".join(names), "transactions": len(names)}] * sendable
    per_1000 = evaluate.cost_per_1000_images(calls, max(sendable, 1), evaluate.load_prices())
    cost = per_1000 * sendable / 1000
    print(f"{sendable} calls with {', '.join(names)} ({len(names)} transactions each), {refused} images refused "
          f"before sending: ${cost:.4f} (${per_1000:.2f} per 1,000 images) if every call succeeds first time; "
          f"at most ${cost * args.max_attempts:.4f} if every image used all {args.max_attempts} tries")


def _log_to_mlflow(figures: dict, params: dict, emulated: bool, out: Path) -> None:
    """The results are already saved: an MLflow problem is reported, not fatal."""
    from labs.azure.attachments import evaluate

    try:
        run_id = evaluate.log_run(figures, params, emulated)
    except Exception as exc:  # noqa: BLE001 - any backend error (sqlite, permissions, server down)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        print(f"warning: results saved in {out}; MLflow logging failed: {type(exc).__name__}: {first} "
              "(check MLFLOW_TRACKING_URI, or add --no-mlflow)", file=sys.stderr)
        return
    print(f"MLflow run {run_id} (experiment {evaluate.EXPERIMENT})")


def _print_refused(rows: list[dict], most: int = 10) -> None:
    """Say which images were refused and why (all of them are in results.db)."""
    refused = [row for row in rows if row["status"] == "refused"]
    for row in refused[:most]:
        print(f"refused {row['image_id']}: {row['reason']}")
    if len(refused) > most:
        print(f"... and {len(refused) - most} more refused (the reasons are in results.db)")


def summary_rows(figures: dict) -> list[tuple[str, str]]:
    rows = [("images", f"{figures['images']}")]
    rows += [(status, f"{n}") for status, n in figures["counts"].items()]
    rows.append(("classified unknown", f"{figures['unknown']}"))
    if "type_accuracy" in figures:
        acc = figures["type_accuracy"]
        rows.append(("type accuracy", f"{acc['accuracy']:.3f} (n={acc['n']})"))
        rows += [(f"{name} exact match", f"{f['exact_match']:.3f} (n={f['n']})")
                 for name, f in figures["fields"].items()]
    rows += [("API calls", f"{figures['calls']}"), ("429 answers", f"{figures['calls_429']}"),
             ("billed transactions", f"{figures['transactions']}"),
             ("estimated cost (USD)", f"${figures['cost_usd']:.4f}"),
             ("cost per 1,000 images", f"${figures['cost_per_1000_images_usd']:.2f}"),
             ("latency p50 (s)", f"{figures['latency_p50_s']:.3f}")]
    if figures.get("images_per_s"):
        rows.append(("images/s (this session)", f"{figures['images_per_s']:.2f}"))
    return rows


def _print_summary(figures, emulated, stats, out) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Azure attachments" + (" (emulated: stand-in models, mock figures)" if emulated else ""))
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in summary_rows(figures):
        table.add_row(label, value)
    Console().print(table)
    print(f"this session: {stats.calls} calls, {stats.retries} retries; results in {out / 'results.db'} "
          f"and {out / 'results.json'}")


if __name__ == "__main__":
    sys.exit(main())
