"""How fast the GCP lab's drift monitor alerts, and how often it alerts for nothing, over seeds.

    .venv/bin/python benchmarks/gcp_drift_detection.py                      # 30 seeds, ~15 min
    .venv/bin/python benchmarks/gcp_drift_detection.py --save out/drift.json
    .venv/bin/python benchmarks/gcp_drift_detection.py --load out/drift.json  # re-analyse only

One seed is one whole world: the ticket dataset generated with that seed, the lab's Keras model
trained on its training split with default parameters, and every scenario's stream (8 windows,
drift from window 2) at several window sizes. For every window the benchmark stores each
monitored feature's distance to the reference (`labs/gcp/ticket_triage/monitor.py`'s features,
`shared/drift.py`'s statistics) and the window's category accuracy; thresholds are applied
afterwards, so one set of trained models answers every question below.

* **False alerts**: share of drift-free windows that alert (every window of `none`, windows 0-1
  of the others), with a Wilson 95% interval; and share of `none` streams with any alert.
* **Detection**: per scenario, share of streams alerting in the first drifted window, with its
  Wilson interval; mean delay (windows from the drift's start to the first alert; a stream that
  never alerts counts as missed, not as a delay).
* **before / after**: the monitor as it was (OOV reference on the training split, the split the
  vocabulary was built from; hand-set thresholds) against the lab's current one.
* **Thresholds** are chosen on the first `--calibrate` seeds only (the largest drift-free
  distance seen there, plus a margin, rounded up), and every rate is measured on the other
  seeds, so the false-alert rate is not fitted to the data that reports it.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

DRIFT_START = 2
SIZES = (25, 50, 100)
MARGIN = 1.2  # chosen threshold >= MARGIN x the largest calibration drift-free distance
STEP = 0.05  # thresholds are rounded up to a multiple of this
FLOOR = 0.1  # language is always "en" before drift: its threshold would be 0, one foreign ticket an alert
BEFORE_THRESHOLDS = {"predicted_category": 0.2, "predicted_priority": 0.2}  # before issue 20


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (good near 0 and 1, unlike the normal one)."""
    if n == 0:
        return (math.nan, math.nan)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(hits: int, n: int) -> str:
    low, high = wilson(hits, n)
    return f"{hits}/{n} = {hits / n:.3f} [{low:.3f}, {high:.3f}]"


# Measuring -----------------------------------------------------------------------------------

def measure_seed(seed: int, sizes: tuple[int, ...]) -> list[dict]:
    """Distances per feature and accuracy for every window of every scenario and size."""
    from labs.gcp.ticket_triage import classify, data, model, monitor
    from labs.gcp.ticket_triage.trainer import train
    from shared.datasets.tickets import SCENARIOS, stream_windows
    from shared.drift import feature_drift

    splits = data.load_splits(seed=seed)
    result = train(splits)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model.export_model(result.model, tmp)
        predictor = classify.local_predictor(tmp)
        vocab = data.vocabulary(result.vectorizer)
        predicted = monitor.prediction_features(classify.classify(predictor, splits.validation))
        on_train = monitor.input_features(splits.train, vocab)
        on_validation = monitor.input_features(splits.validation, vocab)
        references = {
            # as before issue 20: every input feature on the split the vocabulary came from
            "before": {**on_train, **predicted},
            # the lab now: OOV share measured on validation, which the vocabulary never saw
            "after": {**on_train, "oov_share": on_validation["oov_share"], **predicted},
        }
        for size in sizes:
            for scenario in SCENARIOS:
                for w, tickets in enumerate(stream_windows(seed, scenario, window_size=size)):
                    preds = classify.classify(predictor, tickets)
                    current = {**monitor.input_features(tickets, vocab),
                               **monitor.prediction_features(preds)}
                    row = {"seed": seed, "size": size, "scenario": scenario, "window": w,
                           "accuracy": sum(p["category"] == t["category"]
                                           for p, t in zip(preds, tickets, strict=True)) / size}
                    for name, reference in references.items():
                        row[name] = {d.name: round(d.distance, 6)
                                     for d in feature_drift(reference, current, kinds=monitor.KINDS)}
                    rows.append(row)
    return rows


# Analysing -----------------------------------------------------------------------------------

def drift_free(row: dict) -> bool:
    return row["scenario"] == "none" or row["window"] < DRIFT_START


def alerts(row: dict, reference: str, thresholds: dict[str, float], default: float) -> bool:
    return any(d > thresholds.get(name, default) for name, d in row[reference].items())


def choose_thresholds(rows: list[dict], size: int, reference: str) -> dict[str, float]:
    """Per feature: MARGIN x the largest drift-free distance in these rows, rounded up to STEP."""
    quiet = [r for r in rows if r["size"] == size and drift_free(r)]
    names = quiet[0][reference]
    return {name: max(FLOOR, math.ceil(MARGIN * max(r[reference][name] for r in quiet) / STEP - 1e-9) * STEP)
            for name in names}


def evaluate(rows: list[dict], size: int, reference: str, thresholds: dict, default: float) -> dict:
    """False-alert and detection figures of one monitor setting on these rows."""
    from shared.datasets.tickets import SCENARIOS

    rows = [r for r in rows if r["size"] == size]
    quiet = [r for r in rows if drift_free(r)]
    streams: dict[tuple, list[dict]] = {}
    for r in rows:
        streams.setdefault((r["seed"], r["scenario"]), []).append(r)
    out = {"false": (sum(alerts(r, reference, thresholds, default) for r in quiet), len(quiet)),
           "none_streams": _count(streams, "none", lambda s: any(
               alerts(r, reference, thresholds, default) for r in s)), "scenarios": {}}
    for scenario in SCENARIOS[1:]:
        delays = []
        for (_, name), stream in streams.items():
            if name == scenario:
                stream = sorted(stream, key=lambda r: r["window"])
                hit = next((r["window"] for r in stream[DRIFT_START:]
                            if alerts(r, reference, thresholds, default)), None)
                delays.append(None if hit is None else hit - DRIFT_START)
        found = [d for d in delays if d is not None]
        out["scenarios"][scenario] = {
            "at_once": (sum(d == 0 for d in found), len(delays)),
            "missed": len(delays) - len(found),
            "mean_delay": statistics.fmean(found) if found else math.nan,
            "max_delay": max(found) if found else None}
    return out


def _count(streams: dict, scenario: str, test) -> tuple[int, int]:
    chosen = [s for (_, name), s in streams.items() if name == scenario]
    return sum(bool(test(s)) for s in chosen), len(chosen)


def print_setting(title: str, figures: dict, size: int) -> None:
    print(f"\n{title}")
    print(f"  false alerts: {rate(*figures['false'])} drift-free windows of {size} tickets; "
          f"'none' streams with any alert: {rate(*figures['none_streams'])}")
    for scenario, f in figures["scenarios"].items():
        late = "" if f["max_delay"] in (None, 0) else f", at most {f['max_delay']} late"
        print(f"  {scenario:<13} alert in the first drifted window: {rate(*f['at_once'])} streams; "
              f"mean delay {f['mean_delay']:.2f} windows, so the alert comes after "
              f"{(f['mean_delay'] + 1) * size:.0f} drifted tickets on average"
              f"{late}; missed {f['missed']}")


def print_distances(rows: list[dict], size: int, reference: str, thresholds: dict, default: float) -> None:
    """Per feature: largest drift-free distance against the smallest drifted one it should catch."""
    from labs.gcp.ticket_triage.monitor import KINDS

    catches = {"new_product": "product", "category_mix": "predicted_category",
               "long_tickets": "length_tokens", "language": "language"}
    rows = [r for r in rows if r["size"] == size]
    quiet = [r for r in rows if drift_free(r)]
    print(f"\n  {'feature':<19} {'threshold':>9} {'drift-free: p99':>16} {'max':>6}   "
          f"smallest distance in a drifted window of the scenario it catches")
    for name in KINDS:
        values = sorted(r[reference][name] for r in quiet)
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        caught = [s for s, feature in catches.items() if feature == name]
        drifted = [r[reference][name] for r in rows
                   if r["scenario"] in caught and r["window"] >= DRIFT_START]
        low = f"{min(drifted):.3f} ({caught[0]}, n={len(drifted)} windows)" if drifted else ""
        print(f"  {name:<19} {thresholds.get(name, default):9.2f} {p99:16.3f} {values[-1]:6.3f}   {low}")


def print_accuracy(rows: list[dict], size: int) -> None:
    """Category accuracy per scenario: windows before the drift against windows after it."""
    from shared.datasets.tickets import SCENARIOS

    seeds = len({r["seed"] for r in rows})
    print(f"\nCategory accuracy, windows of {size} tickets ({seeds} seeds; per seed the mean of "
          "its windows; range over seeds):")
    for scenario in SCENARIOS:
        before, after = [], []
        for seed in sorted({r["seed"] for r in rows}):
            mine = [r for r in rows if r["size"] == size and r["seed"] == seed and r["scenario"] == scenario]
            before.append(statistics.fmean(r["accuracy"] for r in mine if r["window"] < DRIFT_START))
            after.append(statistics.fmean(r["accuracy"] for r in mine if r["window"] >= DRIFT_START))
        print(f"  {scenario:<13} windows 0-1: {statistics.fmean(before):.2f} ({min(before):.2f}-"
              f"{max(before):.2f})   windows 2-7: {statistics.fmean(after):.2f} "
              f"({min(after):.2f}-{max(after):.2f})")


def print_sweep(rows: list[dict], size: int, name: str, scenario: str) -> None:
    """One feature's threshold against its own false alerts and its scenario's detection."""
    rows = [r for r in rows if r["size"] == size]
    quiet = [r for r in rows if drift_free(r)]
    first = [r for r in rows if r["scenario"] == scenario and r["window"] == DRIFT_START]
    print(f"\n  {name}, windows of {size}: threshold -> drift-free windows over it, "
          f"{scenario}'s first drifted window over it")
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.35):
        over = sum(r["after"][name] > threshold for r in quiet)
        caught = sum(r["after"][name] > threshold for r in first)
        print(f"    {threshold:.2f}: false {rate(over, len(quiet))}   detected {rate(caught, len(first))}")


def analyse(rows: list[dict], calibrate: int) -> None:
    from labs.gcp.ticket_triage.monitor import THRESHOLDS
    from shared.drift import DEFAULT_THRESHOLD

    seeds = sorted({r["seed"] for r in rows})
    sizes = sorted({r["size"] for r in rows})
    calibration = [r for r in rows if r["seed"] in seeds[:calibrate]]
    held_out = [r for r in rows if r["seed"] in seeds[calibrate:]]
    print(f"{len(seeds)} seeds: thresholds chosen on seeds {seeds[0]}-{seeds[calibrate - 1]}, "
          f"rates measured on the other {len(seeds) - calibrate} "
          f"(seeds {seeds[calibrate]}-{seeds[-1]}); 8 windows per stream, drift from window 2")
    if 50 in sizes:
        print_setting("BEFORE: OOV reference = training split, thresholds "
                      f"{BEFORE_THRESHOLDS} (others {DEFAULT_THRESHOLD}), windows of 50",
                      evaluate(held_out, 50, "before", BEFORE_THRESHOLDS, DEFAULT_THRESHOLD), 50)
        print_distances(held_out, 50, "before", BEFORE_THRESHOLDS, DEFAULT_THRESHOLD)
        print_setting(f"NOW (monitor.py): OOV reference = validation split, thresholds {THRESHOLDS} "
                      f"(others {DEFAULT_THRESHOLD}), windows of 50",
                      evaluate(held_out, 50, "after", THRESHOLDS, DEFAULT_THRESHOLD), 50)
        print_distances(held_out, 50, "after", THRESHOLDS, DEFAULT_THRESHOLD)
    print("\nWindow size against delay and false alerts (OOV on validation; thresholds chosen "
          f"per size on the calibration seeds: {MARGIN} x the largest drift-free distance, "
          f"rounded up to {STEP})")
    for size in sizes:
        chosen = choose_thresholds(calibration, size, "after")
        print_setting(f"windows of {size}: thresholds { {k: round(v, 2) for k, v in chosen.items()} }",
                      evaluate(held_out, size, "after", chosen, DEFAULT_THRESHOLD), size)
    print("\nThe class-share features' threshold against window size (held-out seeds):")
    for size in sizes:
        print_sweep(held_out, size, "predicted_category", "category_mix")
        print_sweep(held_out, size, "predicted_priority", "category_mix")
    if 50 in sizes:
        print_accuracy(rows, 50)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=30, help="worlds to measure (default 30)")
    p.add_argument("--first-seed", type=int, default=0,
                   help="measure seeds from this one on (to split a run over processes)")
    p.add_argument("--calibrate", type=int, default=10,
                   help="the first N seeds choose thresholds; the others measure (default 10)")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="window sizes, comma-separated")
    p.add_argument("--save", type=Path, help="write every window's distances here (JSON)")
    p.add_argument("--load", type=Path, nargs="+",
                   help="analyse distances saved by --save (one file or several); measure nothing")
    args = p.parse_args(argv)
    if args.load:
        rows, seen = [], set()
        for path in args.load:  # a seed measured twice (runs split over processes) counts once
            mine = json.loads(path.read_text())
            rows += [r for r in mine if r["seed"] not in seen]
            seen |= {r["seed"] for r in mine}
    else:
        sizes = tuple(int(s) for s in args.sizes.split(","))
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            started = time.perf_counter()
            rows += measure_seed(seed, sizes)
            print(f"seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
            if args.save:  # after every seed, so a long run interrupted keeps what it measured
                args.save.parent.mkdir(parents=True, exist_ok=True)
                args.save.write_text(json.dumps(rows))
    if len({r["seed"] for r in rows}) <= args.calibrate:
        raise SystemExit(f"need more than --calibrate {args.calibrate} seeds to measure anything")
    analyse(rows, args.calibrate)


if __name__ == "__main__":
    main()
