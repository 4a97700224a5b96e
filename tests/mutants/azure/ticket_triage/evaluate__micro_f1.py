# MUTANT evaluate__micro_f1: a plausible wrong evaluate.py; the graded tests must fail on it.
# ruff: noqa
"""What the run achieved and what it cost: quality, tokens, money, latency, throttling.

Quality is measured against the dataset's labels over *every* ticket of the run: a filtered
or failed ticket counts as wrong (it was not triaged). Macro-F1 averages the F1 of each label,
so a rare category (security) weighs as much as a common one (how_to).

Cost = prompt tokens x input price + completion tokens x output price, with prices per 1M
tokens from ``prices.toml`` (edit it for your region and deployment type). Token counts are
the service's own ``usage`` figures, summed over every call, failed ones included (you pay
for a call whose answer you threw away; a 429 costs nothing).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

PRICES_FILE = Path(__file__).with_name("prices.toml")
EXPERIMENT = "azure_ticket_triage"


def load_prices(path: Path | str = PRICES_FILE) -> dict[str, dict[str, float]]:
    with open(path, "rb") as f:
        return tomllib.load(f).get("models", {})


def price_of(model: str, prices: dict[str, dict[str, float]]) -> dict[str, float]:
    if model not in prices:
        raise KeyError(
            f"No price for model {model!r} in {PRICES_FILE.name}. Add a table "
            f'[models."{model}"] with input = ... and output = ... (USD per 1M tokens).'
        )
    return prices[model]


def cost_usd(prompt_tokens: int, completion_tokens: int, model: str,
             prices: dict[str, dict[str, float]]) -> float:
    """Dollars for these tokens: prices are per 1M tokens, input and output apart."""
    # BEGIN SOLUTION
    # HINT: (prompt_tokens * input + completion_tokens * output) / 1_000_000, via price_of().
    price = price_of(model, prices)
    return (prompt_tokens * price["input"] + completion_tokens * price["output"]) / 1_000_000
    # END SOLUTION


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def macro_f1(gold: list[str], predicted: list[str | None], labels: list[str]) -> float:
    """The mean over ``labels`` of each label's F1 (a label never seen or predicted scores 0).

    ``predicted`` may hold None (a ticket that was not classified): it matches no label.
    """
    # BEGIN SOLUTION
    # HINT: per label: tp, fp, fn -> F1 = 2tp / (2tp + fp + fn) (0 when that is 0/0); then the mean.
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)  # BUG: micro
    # END SOLUTION


def accuracy(gold: list[str], predicted: list[str | None]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else math.nan


def metrics(results: list[dict], calls: list[dict], tickets: list[dict], model: str,
            prices: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
    """Every figure of the summary, from the store's rows and the tickets' labels."""
    from shared.datasets.tickets import CATEGORIES, PRIORITIES

    prices = load_prices() if prices is None else prices
    by_id = {r["ticket_id"]: r for r in results}
    run = [t for t in tickets if t["id"] in by_id]
    pred_cat = [by_id[t["id"]]["category"] for t in run]
    pred_pri = [by_id[t["id"]]["priority"] for t in run]
    gold_cat = [t["category"] for t in run]
    gold_pri = [t["priority"] for t in run]
    prompt_tokens = sum(c["prompt_tokens"] for c in calls)
    completion_tokens = sum(c["completion_tokens"] for c in calls)
    latencies = [c["latency_s"] for c in calls if c["outcome"] == "ok"]
    statuses = [r["status"] for r in results]
    return {
        "tickets": len(results),
        "classified": statuses.count("classified"),
        "filtered": statuses.count("filtered"),
        "failed": statuses.count("failed"),
        "truncated": sum(1 for r in results if r["truncated"]),
        "category_accuracy": accuracy(gold_cat, pred_cat),
        "category_macro_f1": macro_f1(gold_cat, pred_cat, list(CATEGORIES)),
        "priority_accuracy": accuracy(gold_pri, pred_pri),
        "priority_macro_f1": macro_f1(gold_pri, pred_pri, list(PRIORITIES)),
        "calls": len(calls),
        "calls_429": sum(1 for c in calls if c["outcome"] == "rate_limited"),
        "retries": sum(1 for c in calls if c["outcome"] != "ok"),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "tokens_per_ticket": (prompt_tokens + completion_tokens) / len(results) if results else math.nan,
        "cost_usd": cost_usd(prompt_tokens, completion_tokens, model, prices),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
    }


def log_run(figures: dict[str, float], params: dict, emulated: bool) -> str:
    """Log one MLflow run (params without secrets, every figure as a metric); its run id."""
    import mlflow

    from shared.tracking import experiment, safe_params

    experiment(EXPERIMENT)
    with mlflow.start_run(run_name="emulated" if emulated else "cloud") as run:
        mlflow.set_tag("emulated", str(emulated).lower())
        mlflow.log_params(safe_params(params))
        mlflow.log_metrics({k: float(v) for k, v in figures.items() if not math.isnan(float(v))})
        return run.info.run_id


SUMMARY_ROWS = [
    ("tickets", "tickets", "{:.0f}"), ("classified", "classified", "{:.0f}"),
    ("filtered", "filtered (content filter)", "{:.0f}"), ("failed", "failed", "{:.0f}"),
    ("truncated", "cut to the token budget", "{:.0f}"),
    ("category_accuracy", "category accuracy", "{:.3f}"),
    ("category_macro_f1", "category macro-F1", "{:.3f}"),
    ("priority_accuracy", "priority accuracy", "{:.3f}"),
    ("priority_macro_f1", "priority macro-F1", "{:.3f}"),
    ("calls", "API calls", "{:.0f}"), ("calls_429", "429 answers", "{:.0f}"),
    ("retries", "calls repeated (429s included)", "{:.0f}"),
    ("prompt_tokens", "prompt tokens", "{:,.0f}"), ("completion_tokens", "completion tokens", "{:,.0f}"),
    ("tokens_per_ticket", "tokens per ticket", "{:.1f}"),
    ("cost_usd", "estimated cost (USD)", "${:.4f}"),
    ("latency_p50_s", "latency p50 (s)", "{:.3f}"), ("latency_p95_s", "latency p95 (s)", "{:.3f}"),
]


def summary_rows(figures: dict[str, float]) -> list[tuple[str, str]]:
    return [(label, fmt.format(figures[key])) for key, label, fmt in SUMMARY_ROWS if key in figures]
