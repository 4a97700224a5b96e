# MUTANT evaluate__bills_every_call: a plausible wrong evaluate.py; the graded tests must fail on it.
# ruff: noqa
"""What the run achieved and what it cost: type accuracy, field exact match, money, speed, 429s.

**Accuracy** is measured against the labels over *every* image of the run: an image refused,
failed or classified "unknown" counts as wrong (nobody was told what it is). **Field exact
match** is per field, over the images whose label has that field: the extracted value must be
exactly the drawn string ('ERR_502', not 'ERR502'). Each figure carries its ``n``.

**Cost** comes from the calls, not from the images: every requested feature of every billed
call is one transaction, priced per 1,000 in ``prices.toml``. A call the service refused (a bad
image) was billed; a 429, a 401 and a server error were not (the store records what the
service's ``CSP-Billing-Usage`` header said). Cost per 1,000 images = the run's cost / images x
1,000: retries and refusals make it dearer than the price list suggests.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from shared.datasets.attachments import FIELD_NAMES

PRICES_FILE = Path(__file__).with_name("prices.toml")
EXPERIMENT = "azure_attachments"


def load_prices(path: Path | str = PRICES_FILE) -> dict[str, float]:
    with open(path, "rb") as f:
        return tomllib.load(f).get("features", {})


def price_of(feature: str, prices: dict[str, float]) -> float:
    if feature not in prices:
        raise KeyError(f"No price for feature {feature!r} in {PRICES_FILE.name}: add '{feature} = ...' "
                       "(USD per 1,000 transactions) under [features].")
    return prices[feature]


def cost_per_1000_images(calls: list[dict], n_images: int, prices: dict[str, float]) -> float:
    """Dollars per 1,000 images for these calls.

    A call with ``transactions`` > 0 was billed: each of its ``features`` (comma-separated wire
    names) costs ``price_of(feature) / 1000``. Calls with 0 transactions cost nothing. The total
    is divided by ``n_images`` and multiplied by 1,000; NaN when ``n_images`` is 0.
    """
    # BEGIN SOLUTION
    # HINT: sum price_of(f)/1000 over the features of each billed call; / n_images * 1000.
    if n_images <= 0:
        return math.nan
    total = sum(price_of(f, prices) / 1000 for call in calls
                for f in call["features"].split(",") if f)
    return total / n_images * 1000
    # END SOLUTION


def field_exact_match(labels: list[dict], predicted: dict[str, dict]) -> dict[str, dict]:
    """Per field of FIELD_NAMES: {"exact_match": share, "n": images labelled with it}.

    ``labels`` are {"id", "fields"} rows; ``predicted`` maps image id to the extracted fields
    (an image missing from it extracted nothing). A field no image is labelled with is left out.
    """
    # BEGIN SOLUTION
    # HINT: for each field, over labels having it: predicted.get(id, {}).get(field) == gold; share and n.
    out = {}
    for name in FIELD_NAMES:
        gold = [(row["id"], row["fields"][name]) for row in labels if name in (row.get("fields") or {})]
        if gold:
            hits = sum(predicted.get(i, {}).get(name) == value for i, value in gold)
            out[name] = {"exact_match": hits / len(gold), "n": len(gold)}
    return out
    # END SOLUTION


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def summary(results: list[dict], calls: list[dict], labels: list[dict] | None, prices: dict[str, float],
            elapsed_s: float | None, emulated: bool) -> dict:
    """Every figure of the run (results.json): counts, accuracy with n, cost, speed, 429s."""
    statuses = [r["status"] for r in results]
    out = {"emulated": emulated, "images": len(results),
           "counts": {s: statuses.count(s) for s in ("done", "refused", "failed")},
           "unknown": sum(1 for r in results if r["status"] == "done" and r["type"] == "unknown"),
           "calls": len(calls), "calls_429": sum(1 for c in calls if c["outcome"] == "429"),
           "transactions": sum(c["transactions"] for c in calls),
           "cost_per_1000_images_usd": cost_per_1000_images(calls, len(results), prices),
           "latency_p50_s": percentile([r["latency_s"] for r in results if r["latency_s"] is not None], 50),
           "images_per_s": len(results) / elapsed_s if elapsed_s else None}
    out["cost_usd"] = out["cost_per_1000_images_usd"] * len(results) / 1000 if results else 0.0
    if labels is not None:
        by_id = {r["image_id"]: r for r in results}
        run = [row for row in labels if row["id"] in by_id]
        right = sum(by_id[row["id"]]["type"] == row["type"] for row in run)
        out["type_accuracy"] = {"accuracy": right / len(run) if run else math.nan, "n": len(run)}
        out["fields"] = field_exact_match(run, {i: r["fields"] for i, r in by_id.items()})
    return out


def flat_metrics(figures: dict) -> dict[str, float]:
    """The numeric figures as MLflow metrics (type_accuracy, field_amount, counts_done, ...)."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            flat[key] = float(value)
        elif isinstance(value, dict):
            for sub, v in value.items():
                v = v.get("exact_match") if isinstance(v, dict) else v
                if isinstance(v, int | float) and not isinstance(v, bool):
                    flat[f"{key}_{sub}"] = float(v)
    return {k: v for k, v in flat.items() if not math.isnan(v)}


def log_run(figures: dict, params: dict, emulated: bool) -> str:
    """Log one MLflow run (params without secrets, figures as metrics); its run id."""
    import mlflow

    from shared.tracking import experiment, safe_params

    experiment(EXPERIMENT)
    with mlflow.start_run(run_name="emulated" if emulated else "cloud") as run:
        mlflow.set_tag("emulated", str(emulated).lower())
        mlflow.log_params(safe_params(params))
        mlflow.log_metrics(flat_metrics(figures))
        return run.info.run_id
