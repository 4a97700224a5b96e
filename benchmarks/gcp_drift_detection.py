"""Drift detection of the GCP lab's monitor vs per-feature statistical tests, same windows.

    .venv/bin/python benchmarks/gcp_drift_detection.py

For each scenario of the ticket stream (8 windows of 50 tickets, drift from window 2): the
window of the first alert and the number of alerting windows before the drift (false alerts;
on `none` every alert is false). The lab's monitor (Jensen-Shannon / L-infinity against
per-feature thresholds) is compared with a two-sample Kolmogorov-Smirnov test (numerical
features) and a chi-squared test (categorical features) at p < 0.05 per feature, a window
alerting when any feature's test rejects. The model is trained once with default parameters.
"""

from __future__ import annotations

import tempfile

DRIFT_START = 2


def stat_test_alerts(baseline: dict, current: dict, kinds: dict, alpha: float = 0.05) -> list[str]:
    from scipy.stats import chi2_contingency, ks_2samp

    flagged = []
    for name, kind in kinds.items():
        base, cur = baseline[name], current[name]
        if kind == "numerical":
            p = ks_2samp(base, cur).pvalue
        else:
            cats = sorted(set(base) | set(cur))
            table = [[base.count(c) for c in cats], [cur.count(c) for c in cats]]
            if len(cats) < 2:
                continue
            p = chi2_contingency(table).pvalue
        if p < alpha:
            flagged.append(name)
    return flagged


def main() -> None:
    from labs.gcp.ticket_triage import classify, data, model, monitor
    from labs.gcp.ticket_triage.trainer import train
    from shared.datasets.tickets import SCENARIOS, generate

    splits = data.load_splits()
    result = train(splits)
    with tempfile.TemporaryDirectory() as tmp:
        model.export_model(result.model, tmp)
        predictor = classify.local_predictor(tmp)
        vocab = data.vocabulary(result.vectorizer)
        baseline = monitor.build_baseline(splits.train, classify.classify(predictor, splits.validation), vocab)
        ds = generate(seed=0)
        print(f"{'scenario':<14} {'monitor: first alert':>21} {'false alerts':>13} "
              f"{'KS/chi2: first alert':>21} {'false alerts':>13}")
        for scenario in SCENARIOS:
            windows = ds.stream_windows(scenario)
            preds = [classify.classify(predictor, w) for w in windows]
            reports = monitor.monitor_windows(baseline, windows, preds, vocab)
            tests = []
            for w, p in zip(windows, preds, strict=True):
                current = {**monitor.input_features(w, vocab), **monitor.prediction_features(p)}
                tests.append(stat_test_alerts(baseline, current, monitor.KINDS))
            ours = [r.alert for r in reports]
            theirs = [bool(t) for t in tests]
            print(f"{scenario:<14} {_first(ours, scenario):>21} {_false(ours, scenario):>13} "
                  f"{_first(theirs, scenario):>21} {_false(theirs, scenario):>13}")


def _first(alerts: list[bool], scenario: str) -> str:
    start = 0 if scenario == "none" else DRIFT_START
    hit = next((i for i in range(start, len(alerts)) if alerts[i]), None)
    if scenario == "none":
        return "-" if hit is None else f"window {hit}"
    return "never" if hit is None else f"{hit - DRIFT_START} windows late" if hit > DRIFT_START else "at once"


def _false(alerts: list[bool], scenario: str) -> str:
    end = len(alerts) if scenario == "none" else DRIFT_START
    return f"{sum(alerts[:end])}/{end}"


if __name__ == "__main__":
    main()
