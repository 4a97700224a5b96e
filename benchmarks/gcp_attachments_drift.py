"""Drift monitoring of the GCP attachments lab: windows to the first alert per scenario, and
false alerts on the drift-free stream.

    .venv/bin/python benchmarks/gcp_attachments_drift.py --model DIR [--data DIR] [--seeds 1] [--per-window 50 10]
                                                         [--fixed-thresholds]

Uses the lab's reference monitor (`labs/gcp/attachments/monitor.py`, its thresholds) and an
exported CNN (``--model``, e.g. a run's ``<out>/models/default``; predictions come from the
SavedModel in this process: the endpoint serves the same model and answers the same). The
baseline is the input statistics of the train split and the predictions on the validation split,
as in the lab. For each window size and stream seed, each scenario has 8 windows of that many
images (50 by default); the drift starts at window 2. The thresholds are the lab's for the
window's size (`monitor.size_thresholds`: raised to the chance level below 50 images), or with
``--fixed-thresholds`` the 50-image ones at every size (the monitor before they followed it). Reported
per scenario: the first window with an alert and the features that alerted, and the accuracy
before and after the drift; on ``none``, every alert is a false alert.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an exported SavedModel folder (image bytes in)")
    parser.add_argument("--data", default=None, help="folder with train/, validation/, stream/<scenario>/ "
                                                     "(seed 0 only; default: generate)")
    parser.add_argument("--seeds", type=int, default=1, help="stream seeds to generate (0, 1, ...)")
    parser.add_argument("--per-window", type=int, nargs="+", default=[50], help="window sizes to measure")
    parser.add_argument("--fixed-thresholds", action="store_true",
                        help="the 50-image thresholds at every window size (for comparison)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from labs.gcp.attachments import classify, data, monitor
    from shared.datasets.attachments import DRIFT_START, SPLIT_SIZES, generate

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.data:
        splits = data.kit_splits(args.data)
    else:
        splits = data.Splits(*(data.from_attachments(generate(SPLIT_SIZES[s], split=s, workers=args.workers))
                               for s in ("train", "validation")), [])
    predictor = classify.local_predictor(args.model)
    baseline = monitor.build_baseline(splits.train, classify.classify(predictor, splits.validation))
    print(f"baseline: {len(splits.train)} train images (input statistics), {len(splits.validation)} validation "
          f"predictions; thresholds {monitor.THRESHOLDS} (others 0.3); drift starts at window {DRIFT_START}")
    for n in args.per_window:
        thresholds = monitor.size_thresholds(baseline, monitor.WINDOW_SIZE if args.fixed_thresholds else n)
        print(f"\n{n} images a window: thresholds {', '.join(f'{k} {v:.3f}' for k, v in thresholds.items())}")
        measure(args, n, predictor, baseline, thresholds)


def measure(args, n, predictor, baseline, thresholds) -> None:
    from labs.gcp.attachments import classify, data, monitor
    from shared.datasets.attachments import DRIFT_START, SCENARIOS, WINDOW_SIZE, stream

    false_alerts, windows_none = Counter(), 0
    for seed in range(args.seeds):
        for scenario in SCENARIOS:
            if args.data and seed == 0 and n == WINDOW_SIZE:
                items = data.load_folder(os.path.join(args.data, "stream", scenario))
                numbers = sorted({i.extra["window"] for i in items})
                windows = [[i for i in items if i.extra["window"] == w] for w in numbers]
            else:
                windows = [data.from_attachments(w)
                           for w in stream(scenario, seed=seed, per_window=n, workers=args.workers)]
            preds = [classify.classify(predictor, w) for w in windows]
            reports = monitor.monitor_windows(baseline, windows, preds, thresholds)
            first = monitor.first_alert(reports)
            before = sum(r.accuracy * r.n for r in reports[:DRIFT_START]) / sum(r.n for r in reports[:DRIFT_START])
            after = sum(r.accuracy * r.n for r in reports[DRIFT_START:]) / sum(r.n for r in reports[DRIFT_START:])
            alerting = Counter(name for r in reports[DRIFT_START:] for name in r.alerts)
            if scenario == "none":
                windows_none += len(reports)
                false_alerts.update(name for r in reports for name in r.alerts)
            shown = "-" if first is None else f"window {first} ({first - DRIFT_START} after the start)"
            print(f"n={n} seed {seed} {scenario:<20} first alert {shown:<28} alerts from the start: "
                  f"{dict(alerting) or '{}'}  accuracy {before:.2f} -> {after:.2f} "
                  f"(n={sum(r.n for r in reports[:DRIFT_START])} / {sum(r.n for r in reports[DRIFT_START:])})")
    print(f"false alerts on the drift-free stream: {sum(false_alerts.values())} feature alerts in "
          f"{windows_none} windows of {n} images {dict(false_alerts)}")


if __name__ == "__main__":
    main()
