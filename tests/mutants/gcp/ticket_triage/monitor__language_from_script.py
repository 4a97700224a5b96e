# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 8, drift monitoring: is production still the data the model was trained for?

Raw text has no fixed columns to compare, so we monitor features that describe it, the way
Vertex AI Model Monitoring compares tabular features:

=====================  ===========  ======================================================
feature                kind         catches
=====================  ===========  ======================================================
length_tokens          numerical    pasted logs, long e-mail threads (long_tickets)
oov_share              numerical    words the model never saw: new product, new language
language               categorical  tickets in languages the model was not trained on
product                categorical  a product launched after training (new_product)
predicted_category     categorical  a shift in what customers write about (category_mix)
predicted_priority     categorical  the same, seen through priority
confidence             numerical    the model hesitating: often the first sign of trouble
=====================  ===========  ======================================================

Numerical features are compared with Jensen-Shannon divergence, categorical ones with
L-infinity distance (`shared/drift.py`, the same statistics as Vertex). Each feature has its
own threshold (Vertex's default 0.3 unless THRESHOLDS says otherwise).

The reference each window is compared with must look like healthy production traffic. Length,
language and product do not depend on the model, so they come from the training split (the
largest sample). Two kinds of feature do depend on what the model learnt, and on its own
training data they read too well: the OOV share (the vocabulary was built from the training
split, so almost no training ticket has an unknown word, while any new ticket has a few) and
the predictions (a model is over-confident on what it was fitted to). Their reference is the
validation split, which neither the vocabulary nor the weights ever saw.
Accuracy per window is shown beside the alerts: labels arrive late in real life, but here we
have them, so the learner sees what drift costs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from labs.gcp.ticket_triage.data import texts, tokens
from shared.drift import CATEGORICAL, DEFAULT_THRESHOLD, NUMERICAL, FeatureDrift, feature_drift

KINDS = {
    "length_tokens": NUMERICAL, "oov_share": NUMERICAL, "confidence": NUMERICAL,
    "language": CATEGORICAL, "product": CATEGORICAL,
    "predicted_category": CATEGORICAL, "predicted_priority": CATEGORICAL,
}
INPUT_FEATURES = ("length_tokens", "oov_share", "language", "product")
PREDICTION_FEATURES = ("predicted_category", "predicted_priority", "confidence")
# Windows hold 50 tickets: a class share moves by +-0.06 from chance alone, and a shift in what
# customers write about moves it by less than 0.3, so the class-share features get their own
# thresholds, chosen in benchmarks/gcp_drift_detection.py on 10 seeds and checked on 20 others:
# predicted_category at 0.2 caught category_mix in its first drifted window in 19 of 20 streams
# with 1 false alert in 320 healthy windows; predicted_priority at 0.2 added 2 false alerts and
# caught nothing predicted_category missed, hence 0.25. The other features keep Vertex's 0.3:
# healthy windows stay below it (product came closest, 0.26) and their drifts far above.
THRESHOLDS = {"predicted_category": 0.2, "predicted_priority": 0.25}

# A handful of very common function words per language: enough to tell en/es/de apart in a
# support ticket, with no model to download.
STOPWORDS = {
    "en": {"the", "and", "is", "to", "of", "we", "our", "it", "in", "you", "not", "for", "my"},
    "es": {"el", "la", "de", "que", "y", "en", "los", "las", "no", "por", "una", "para", "mi"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "wir", "ich", "mit", "zu", "ein", "bitte"},
}


def guess_language(text: str) -> str:
    """The language whose stop words occur most often ("en", "es", "de"), or "unknown"."""
    # BEGIN SOLUTION
    # HINT: count how many of tokens(text) are in each STOPWORDS set; the largest count wins; no hit
    # HINT: at all -> "unknown"
    # BUG: script, not language: es/de tickets are in Latin script too
    if not tokens(text):
        return "unknown"
    return "en" if all(ord(c) < 0x250 for c in text) else "other"
    # END SOLUTION


def input_features(tickets: list[dict], vocabulary: set[str]) -> dict[str, list]:
    """Per-ticket input features: length in tokens, share of OOV tokens, language, product."""
    # BEGIN SOLUTION
    # HINT: for each text: words = tokens(text); length = len(words); oov = share of words not in
    # HINT: vocabulary (0.0 for an empty text); language = guess_language(text); product =
    # HINT: ticket["product"]
    columns: dict[str, list] = {name: [] for name in INPUT_FEATURES}
    for ticket, text in zip(tickets, texts(tickets), strict=True):
        words = tokens(text)
        columns["length_tokens"].append(len(words))
        columns["oov_share"].append(
            sum(w not in vocabulary for w in words) / len(words) if words else 0.0
        )
        columns["language"].append(guess_language(text))
        columns["product"].append(ticket["product"])
    return columns
    # END SOLUTION


def prediction_features(predictions: list[dict]) -> dict[str, list]:
    """Per-ticket output features from `classify` results."""
    return {
        "predicted_category": [p["category"] for p in predictions],
        "predicted_priority": [p["priority"] for p in predictions],
        "confidence": [float(p["category_confidence"]) for p in predictions],
    }


def window_drift(baseline: dict[str, list], current: dict[str, list],
                 thresholds: dict[str, float] | None = None) -> list[FeatureDrift]:
    """Drift of every monitored feature of one window against the baseline."""
    # BEGIN SOLUTION
    # HINT: shared.drift.feature_drift(baseline, current, thresholds={**THRESHOLDS, **(thresholds or
    # HINT: {})}, kinds=KINDS)
    return feature_drift(baseline, current, thresholds={**THRESHOLDS, **(thresholds or {})},
                         kinds=KINDS)
    # END SOLUTION


@dataclass
class WindowReport:
    window: int
    n: int
    drifts: list[FeatureDrift]
    accuracy: float  # category accuracy of the deployed model on this window
    alert_features: list[str] = field(default_factory=list)

    @property
    def alert(self) -> bool:
        return bool(self.alert_features)

    def line(self) -> str:
        flagged = ", ".join(
            f"{d.name} {d.distance:.2f}>{d.threshold:.2f}" for d in self.drifts if d.drifted
        )
        status = f"ALERT: {flagged}" if flagged else "ok"
        accuracy = "n/a " if math.isnan(self.accuracy) else f"{self.accuracy:.2f}"
        return f"window {self.window}: {self.n:>3} tickets  accuracy {accuracy}  {status}"


def monitor_windows(baseline: dict[str, list], windows: list[list[dict]],
                    predictions: list[list[dict]], vocabulary: set[str],
                    thresholds: dict[str, float] | None = None) -> list[WindowReport]:
    """One report per window: drift per feature, the features that alert, and accuracy."""
    reports = []
    for index, (tickets, preds) in enumerate(zip(windows, predictions, strict=True)):
        current = {**input_features(tickets, vocabulary), **prediction_features(preds)}
        drifts = window_drift(baseline, current, thresholds)
        labelled = tickets and all("category" in t for t in tickets)  # a learner's stream may have none
        correct = sum(p["category"] == t.get("category") for p, t in zip(preds, tickets, strict=True))
        reports.append(WindowReport(
            window=index, n=len(tickets), drifts=drifts,
            accuracy=correct / len(tickets) if labelled else math.nan,
            alert_features=[d.name for d in drifts if d.drifted],
        ))
    return reports


def build_baseline(train: list[dict], validation: list[dict], validation_predictions: list[dict],
                   vocabulary: set[str]) -> dict[str, list]:
    """The reference of every feature: length, language and product on the training split; OOV
    share and the prediction features on the validation split (see the module docstring)."""
    # BEGIN SOLUTION
    # HINT: {**input_features(train, vocabulary), "oov_share": input_features(validation,
    # HINT: vocabulary)["oov_share"], **prediction_features(validation_predictions)}: the vocabulary
    # HINT: was built from train, so train has almost no unknown words and reads as drift-free only there
    return {**input_features(train, vocabulary),
            "oov_share": input_features(validation, vocabulary)["oov_share"],
            **prediction_features(validation_predictions)}
    # END SOLUTION


def first_alert(reports: list[WindowReport]) -> int | None:
    return next((r.window for r in reports if r.alert), None)


def feature_counts(reports: list[WindowReport]) -> Counter:
    """How often each feature alerted across these windows."""
    return Counter(name for r in reports for name in r.alert_features)


__all__ = ["DEFAULT_THRESHOLD", "KINDS", "THRESHOLDS", "WindowReport", "build_baseline",
           "first_alert", "guess_language", "input_features", "monitor_windows",
           "prediction_features", "window_drift"]
