"""What one stack's run produced, and the figures the comparison computes from it.

Every number in the report is computed here from the runs' own records (per-ticket predictions,
timings, token counts, alerts): change a record and the report changes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from shared.datasets.tickets import CATEGORIES


@dataclass
class Prediction:
    id: str
    split: str  # "test" or "stream"
    category: str  # the label
    priority: str
    predicted_category: str | None  # None when the ticket was filtered or failed
    predicted_priority: str | None
    status: str = "classified"  # classified | filtered | failed
    scenario: str | None = None
    window: int | None = None


@dataclass
class StackRun:
    stack: str  # "azure" | "gcp"
    title: str
    emulated: bool
    stand_in: str  # one sentence: what answered in place of the real service
    predictions: list[Prediction]
    throughput_per_s: float  # tickets classified per second of classifying
    time_to_first_result_s: float  # set-up before the first prediction (training, tuning, ...)
    cost_fixed_usd: float = 0.0  # paid once per model (training, tuning)
    cost_per_ticket_usd: float = 0.0  # paid per ticket (tokens)
    serving_node_hour_usd: float = 0.0  # paid per hour an endpoint is up
    tickets_per_node_hour: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    alerts: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # scenario -> window -> features
    test_latencies_s: list[float] = field(default_factory=list)  # what each test ticket waited
    test_latency_by_id: dict[str, float | None] = field(default_factory=dict)  # when known per ticket
    notes: list[str] = field(default_factory=list)
    code: str = "unknown"  # whose code ran: "your copy in ./workspace", "the kit's reference solution"

    def split(self, name: str) -> list[Prediction]:
        return [p for p in self.predictions if p.split == name]


def accuracy(preds: list[Prediction], field_name: str = "category") -> float:
    if not preds:
        return float("nan")
    right = sum(getattr(p, f"predicted_{field_name}") == getattr(p, field_name) for p in preds)
    return right / len(preds)


def f1_per_class(preds: list[Prediction], labels=CATEGORIES, field_name: str = "category") -> dict[str, float]:
    scores = {}
    for label in labels:
        tp = sum(getattr(p, f"predicted_{field_name}") == label == getattr(p, field_name) for p in preds)
        fp = sum(getattr(p, f"predicted_{field_name}") == label != getattr(p, field_name) for p in preds)
        fn = sum(getattr(p, field_name) == label != getattr(p, f"predicted_{field_name}") for p in preds)
        scores[label] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return scores


def macro_f1(preds: list[Prediction], labels=CATEGORIES, field_name: str = "category") -> float:
    present = [label for label in labels if any(getattr(p, field_name) == label for p in preds)]
    per_class = f1_per_class(preds, present, field_name)
    return statistics.fmean(per_class.values()) if per_class else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def window_accuracy(run: StackRun, scenario: str) -> list[tuple[int, float]]:
    """Category accuracy per stream window of one scenario, in window order."""
    by_window: dict[int, list[Prediction]] = {}
    for p in run.split("stream"):
        if p.scenario == scenario and p.window is not None:
            by_window.setdefault(p.window, []).append(p)
    return [(w, accuracy(ps)) for w, ps in sorted(by_window.items())]


def monthly_cost(run: StackRun, tickets_per_month: float) -> float:
    """What the stack costs for a month at this volume: fixed + per ticket + serving hours."""
    cost = run.cost_fixed_usd + run.cost_per_ticket_usd * tickets_per_month
    if run.serving_node_hour_usd:
        hours = 730.0
        nodes = 1
        if run.tickets_per_node_hour:
            nodes = max(1, -(-tickets_per_month // (run.tickets_per_node_hour * hours)))
        cost += nodes * hours * run.serving_node_hour_usd
    return cost


def crossover_volume(a: StackRun, b: StackRun, low: float = 1.0, high: float = 1e9) -> float | None:
    """Monthly volume where the two cost lines cross, if they do in [low, high]."""
    diff = lambda v: monthly_cost(a, v) - monthly_cost(b, v)  # noqa: E731
    if diff(low) * diff(high) > 0:
        return None
    for _ in range(100):  # bisection on a log scale
        mid = (low * high) ** 0.5
        if diff(low) * diff(mid) <= 0:
            high = mid
        else:
            low = mid
    return (low * high) ** 0.5


REFERENCE_VOLUME = 100_000  # tickets per month at which "cost per 1,000 tickets" is quoted


def summary_row(run: StackRun, volume: float = REFERENCE_VOLUME) -> dict:
    """The per-stack figures of the report's table."""
    test = run.split("test")
    lat = run.test_latencies_s
    done = [p for p in test if p.status == "classified"]
    return {
        "stack": run.stack,
        "title": run.title,
        "emulated": run.emulated,
        "tickets": len(test),
        "classified": len(done),
        "accuracy": accuracy(test),
        "macro_f1": macro_f1(test),
        "priority_accuracy": accuracy(test, "priority"),
        "f1_per_class": f1_per_class(test),
        "latency_p50_ms": 1000 * percentile(lat, 50),
        "latency_p95_ms": 1000 * percentile(lat, 95),
        "throughput_per_s": run.throughput_per_s,
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "cost_per_1000_usd": 1000 * monthly_cost(run, volume) / volume,
        "time_to_first_result_s": run.time_to_first_result_s,
    }
