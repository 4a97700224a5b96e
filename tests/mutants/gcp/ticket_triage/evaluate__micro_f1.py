# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Evaluation: the same metrics as the Azure lab (accuracy and macro-F1 per head).

Macro-F1 averages the F1 of every class with equal weight, so a model that ignores the rare
classes (outage, security: 8% of tickets each) cannot hide behind the common ones.
"""

from __future__ import annotations

from labs.gcp.ticket_triage.data import LABELS


def macro_f1(y_true: list[str], y_pred: list[str], labels: list[str] | tuple[str, ...]) -> float:
    """Mean over ``labels`` of per-class F1 = 2PR / (P + R); a class never predicted and never
    present counts as F1 = 0 only if it is in ``labels`` and appears on either side."""
    # BEGIN SOLUTION
    # HINT: for each label count true positives, false positives and false negatives; F1 = 2*tp /
    # HINT: (2*tp + fp + fn) (0 when the denominator is 0); average over labels that occur in y_true
    # HINT: or y_pred
    return accuracy(y_true, y_pred)  # BUG: micro-F1 (= accuracy for single-label) instead of macro
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred, strict=True))
        if tp + fp + fn == 0:
            continue  # the class is absent on both sides: it says nothing about the model
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0
    # END SOLUTION


def accuracy(y_true: list[str], y_pred: list[str]) -> float:
    if not y_true:
        return 0.0
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def evaluate(tickets: list[dict], predictions: dict[str, list[str]]) -> dict[str, float]:
    """{"category_accuracy", "category_macro_f1", "priority_accuracy", "priority_macro_f1"}."""
    out = {}
    for head, names in LABELS.items():
        truth = [t[head] for t in tickets]
        out[f"{head}_accuracy"] = accuracy(truth, predictions[head])
        out[f"{head}_macro_f1"] = macro_f1(truth, predictions[head], names)
    return out


def labels_from_probs(probs: dict) -> dict[str, list[str]]:
    """Arg-max label names from {"category": (n, 7) probs, "priority": (n, 3) probs}."""
    return {head: [LABELS[head][int(row.argmax())] for row in probs[head]] for head in LABELS}


def confusion(y_true: list[str], y_pred: list[str], labels) -> list[list[int]]:
    """Rows: true label, columns: predicted label, in ``labels`` order."""
    index = {name: i for i, name in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        matrix[index[t]][index[p]] += 1
    return matrix
