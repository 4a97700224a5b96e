"""What one stack's run produced, and the figures the comparison computes from it.

Every number in the report is computed here from the runs' own records (per-item predictions,
timings, token or transaction counts, alerts): change a record and the report changes. The
words and classes of a task pair (ticket or image, category or type) come from its ``Terms``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace

from shared.datasets.tickets import CATEGORIES, DRIFT_START


@dataclass(frozen=True)
class Terms:
    """What one task pair classifies and how its report words it, so one report serves every pair."""
    item: str  # "ticket"
    items: str  # "tickets"
    label: str  # the class scored: "category", "type"
    classes: tuple[str, ...]  # in the dataset's order
    second_label: str | None = None  # a second class also scored ("priority"), when the task has one
    usage_unit: str = "tokens"  # what the Azure side is billed in
    usage_move: str = "Azure token cost per ticket (prices or prompt length)"  # the sensitivity line's name
    latency_definition: str = "the duration of the request that carried it"
    drift_start: int = DRIFT_START  # the first window of the stream in which drift starts
    measure_hint: str = ("Replay a cassette recorded from a real deployment (--azure-cassette FILE) to measure "
                         "its quality.")  # how to measure an emulated side's quality


TICKETS = Terms("ticket", "tickets", "category", CATEGORIES, second_label="priority")


@dataclass
class Prediction:
    id: str
    split: str  # "test" or "stream"
    category: str  # the class label: a ticket's category, an image's type
    priority: str | None
    predicted_category: str | None  # None when the item was filtered or failed
    predicted_priority: str | None
    status: str = "classified"  # classified | filtered | failed (refused images count as filtered)
    scenario: str | None = None
    window: int | None = None
    fields: dict[str, str] | None = None  # key fields drawn (images); None when the task has none
    predicted_fields: dict[str, str] | None = None  # what the stack extracted; None when it cannot read text


@dataclass
class StackRun:
    stack: str  # "azure" | "gcp"
    title: str
    emulated: bool
    stand_in: str  # one sentence: what answered in place of the real service
    predictions: list[Prediction]
    throughput_per_s: float  # items classified per second of classifying
    time_to_first_result_s: float  # set-up before the first prediction (training, tuning, ...)
    cost_fixed_usd: float = 0.0  # paid once per model (training, tuning)
    cost_per_item_usd: float = 0.0  # paid per item (tokens, transactions)
    serving_node_hour_usd: float = 0.0  # paid per hour an endpoint is up
    items_per_node_hour: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)  # billed units: {"prompt tokens": n, ...}, {"transactions": n}
    usage_source: str = "none: billed by node-hour (see Cost assumptions)"  # how the usage was counted
    alerts: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # scenario -> window -> features
    test_latencies_s: list[float] = field(default_factory=list)  # what each test item waited
    test_latency_by_id: dict[str, float | None] = field(default_factory=dict)  # when known per item
    notes: list[str] = field(default_factory=list)
    code: str = "unknown"  # whose code ran: "your copy in ./workspace", "the kit's reference solution"
    # Where each kind of figure comes from. quality_source None means "not measured": the
    # answers came from an emulator's stand-in model, so its accuracy says nothing about the service.
    quality_source: str | None = None
    speed_source: str = ""  # what the latency and throughput figures measure
    throughput_basis: str = ""  # "30 tickets in 3 requests of up to 10, 4 in flight"
    quota: dict[str, int] = field(default_factory=dict)  # requests, 429s, retries, failed, filtered
    cost_assumptions: list[str] = field(default_factory=list)  # the prices and volumes used
    terms: Terms = TICKETS  # the task pair's words and classes
    fields_source: str = ""  # where extracted fields come from, when the stack extracts any

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
    """Accuracy of the class label per stream window of one scenario, in window order."""
    return [(w, k / n) for w, k, n in window_counts(run, scenario)]


def window_counts(run: StackRun, scenario: str) -> list[tuple[int, int, int]]:
    """(window, right, items) per stream window of one scenario, in window order."""
    by_window: dict[int, list[Prediction]] = {}
    for p in run.split("stream"):
        if p.scenario == scenario and p.window is not None:
            by_window.setdefault(p.window, []).append(p)
    return [(w, sum(p.predicted_category == p.category for p in ps), len(ps)) for w, ps in sorted(by_window.items())]


def wilson(right: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion: sound for small n and for 0 or n right."""
    if n == 0:
        return float("nan"), float("nan")
    p = right / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES = 0, 1000


def bootstrap_f1(preds: list[Prediction], labels=CATEGORIES, field_name: str = "category",
                 seed: int = BOOTSTRAP_SEED, resamples: int = BOOTSTRAP_RESAMPLES) -> dict[str, tuple[float, float]]:
    """95% percentile-bootstrap intervals of macro-F1 (key "macro") and of each class's F1.

    Fixed seed: the same predictions always give the same interval, so a report is reproducible.
    A class absent from a resample's labels is left out of that resample's macro-F1, as macro_f1 does.
    """
    import numpy as np

    if not preds:
        return {}
    truth = np.array([getattr(p, field_name) for p in preds], dtype=object)
    guess = np.array([getattr(p, f"predicted_{field_name}") for p in preds], dtype=object)
    draws = np.random.default_rng(seed).integers(0, len(preds), size=(resamples, len(preds)))
    per_class, present = {}, []
    for label in labels:
        t, g = (truth == label)[draws], (guess == label)[draws]
        tp, support = (t & g).sum(axis=1), t.sum(axis=1)
        per_class[label] = np.where(tp > 0, 2 * tp / np.maximum(support + g.sum(axis=1), 1), 0.0)
        present.append(support > 0)
    f1 = np.array(list(per_class.values()))
    mask = np.array(present)
    macro = (f1 * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1)
    out = {"macro": (float(np.percentile(macro, 2.5)), float(np.percentile(macro, 97.5)))}
    for label, values in per_class.items():
        if (truth == label).any():
            out[label] = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
    return out


def monthly_cost(run: StackRun, items_per_month: float) -> float:
    """What the stack costs for a month at this volume: fixed + per item + serving hours."""
    cost = run.cost_fixed_usd + run.cost_per_item_usd * items_per_month
    if run.serving_node_hour_usd:
        hours = 730.0
        nodes = 1
        if run.items_per_node_hour:
            nodes = max(1, -(-items_per_month // (run.items_per_node_hour * hours)))
        cost += nodes * hours * run.serving_node_hour_usd
    return cost


def sensitivity(a: StackRun, b: StackRun) -> list[tuple[str, float | None, float | None]]:
    """The crossover when one assumption is halved and when it is doubled, one at a time:
    (what, crossover at x0.5, crossover at x2). Which line moves it most is the report's
    sensitivity line; the spread of all of them is its range."""
    moves = [(a.terms.usage_move, "cost_per_item_usd"),
             ("GCP serving price per node-hour", "serving_node_hour_usd"),
             ("GCP training charges per month (price or retrains)", "cost_fixed_usd"),
             ("GCP serving capacity per node", "items_per_node_hour")]
    out = []
    for what, name in moves:
        owner = a if getattr(a, name) else b
        if not getattr(owner, name):
            continue
        crossings = []
        for factor in (0.5, 2.0):
            changed = replace(owner, **{name: getattr(owner, name) * factor})
            crossings.append(crossover_volume(changed, b) if owner is a else crossover_volume(a, changed))
        out.append((what, *crossings))
    return out


def round_volume(v: float) -> str:
    """A volume to two significant figures in words: 1,148,732 -> '1.1 million'."""
    if v >= 1e6:
        return f"{float(f'{v / 1e6:.2g}'):g} million"
    return f"{float(f'{v:.2g}'):,.0f}"


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


REFERENCE_VOLUME = 100_000  # items per month at which "cost per 1,000 items" is quoted


def labels_of(run: StackRun) -> list[str]:
    """The classes the test labels hold, in the dataset's order."""
    present = {p.category for p in run.split("test")}
    return [c for c in run.terms.classes if c in present] + sorted(present - set(run.terms.classes))


def scenarios_of(run: StackRun) -> list[str]:
    """The stream's drift scenarios, in the order the stream holds them."""
    return list(dict.fromkeys(p.scenario for p in run.split("stream") if p.scenario))


def kind_of(run: StackRun) -> str:
    """The word a stack's column and chart labels carry: emulated, recorded (a replayed cassette), real cloud."""
    if run.emulated:
        return "emulated"
    return "recorded" if (run.quality_source or "").startswith("recorded from") else "real cloud"


def speed_measured(run: StackRun) -> bool:
    """Latency and throughput measured (on this machine or against the real service), not simulated."""
    return run.speed_source.startswith("measured")


def field_scores(preds: list[Prediction]) -> dict[str, dict]:
    """Exact match of each key field on the items answered whose label holds it, with n and a 95%
    Wilson interval, and "all fields" (items with at least one field, every one of them right).
    Items not answered (predicted_fields None: failed, refused) are left out: the quota group
    counts them. Empty when the stack extracts no fields or no label holds any."""
    read = [p for p in preds if p.predicted_fields is not None and p.fields]
    out: dict[str, dict] = {}
    for name in dict.fromkeys(k for p in read for k in p.fields):
        held = [p for p in read if name in p.fields]
        right = sum(_same(p.predicted_fields.get(name), p.fields[name]) for p in held)
        out[name] = {"right": right, "n": len(held), "exact_match": right / len(held), "ci": wilson(right, len(held))}
    if read:
        right = sum(all(_same(p.predicted_fields.get(k), v) for k, v in p.fields.items()) for p in read)
        out["all fields"] = {"right": right, "n": len(read), "exact_match": right / len(read),
                             "ci": wilson(right, len(read))}
    return out


def _same(found: str | None, drawn: str) -> bool:
    """Exact match, ignoring only surrounding white space."""
    return found is not None and str(found).strip() == drawn.strip()


def summary_row(run: StackRun, volume: float = REFERENCE_VOLUME) -> dict:
    """The per-stack figures of the report's table, with sample sizes and 95% intervals.

    Quality figures are None when the answers came from a stand-in model (quality_source None);
    they are kept apart under "stand_in_check" so a reader can check the pipeline, never as a result.
    """
    test = run.split("test")
    labels = labels_of(run)
    lat = run.test_latencies_s
    done = [p for p in test if p.status == "classified"]
    intervals = bootstrap_f1(test, labels)
    second = run.terms.second_label
    quality = {
        "accuracy": accuracy(test),
        "accuracy_ci": wilson(sum(p.predicted_category == p.category for p in test), len(test)),
        "macro_f1": macro_f1(test, labels),
        "macro_f1_ci": intervals.get("macro", (float("nan"), float("nan"))),
        "f1_per_class": f1_per_class(test, labels),
        "f1_ci_per_class": {c: v for c, v in intervals.items() if c != "macro"},
    }
    if second:  # e.g. "priority_accuracy"
        right = sum(getattr(p, f"predicted_{second}") == getattr(p, second) for p in test)
        quality |= {f"{second}_accuracy": accuracy(test, second), f"{second}_accuracy_ci": wilson(right, len(test))}
    measured = run.quality_source is not None
    row = {
        "stack": run.stack,
        "title": run.title,
        "emulated": run.emulated,
        "quality_source": run.quality_source,
        "speed_source": run.speed_source,
        "items": len(test),
        "classified": len(done),
        "support_per_class": dict(Counter(p.category for p in test)),
        **(quality if measured else dict.fromkeys(quality)),
        "fields": field_scores(test),
        "fields_source": run.fields_source,
        "latency_n": len(lat),
        "latency_p50_ms": 1000 * percentile(lat, 50),
        "latency_p95_ms": 1000 * percentile(lat, 95),
        "throughput_per_s": run.throughput_per_s,
        "throughput_basis": run.throughput_basis,
        "usage": run.usage,
        "cost_per_1000_usd": 1000 * monthly_cost(run, volume) / volume,
        "time_to_first_result_s": run.time_to_first_result_s,
        "quota": run.quota,
    }
    if not measured:
        row["stand_in_check"] = {"accuracy": quality["accuracy"], "macro_f1": quality["macro_f1"], "n": len(test),
                                 "note": "answers of an emulated stand-in model: a check that the pipeline "
                                         "runs, not a measure of the service's quality"}
    return row
