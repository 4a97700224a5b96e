"""Evaluation: the same figures as the Azure image lab (type accuracy and macro-F1, with n).

Macro-F1 averages the F1 of the five types with equal weight, so a model that neglects the rare
shipping labels (12% of attachments) cannot hide behind the common error screenshots. You wrote
macro-F1 by hand in the ticket lab; here scikit-learn computes it.

The dataset files 2% of attachments under a wrong type on purpose, so no model can exceed about
0.98 accuracy on the test split: a score near that is as good as it gets.
"""

from __future__ import annotations

from shared.datasets.attachments import TYPES


def evaluate(y_true: list[str], y_pred: list[str]) -> dict:
    """{"accuracy", "macro_f1", "n"} over the five TYPES."""
    from sklearn.metrics import accuracy_score, f1_score

    if not y_true:
        return {"accuracy": float("nan"), "macro_f1": float("nan"), "n": 0}
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=list(TYPES), average="macro", zero_division=0)),
            "n": len(y_true)}


def confusion(y_true: list[str], y_pred: list[str]) -> list[list[int]]:
    """Rows: true type, columns: predicted type, in TYPES order."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=list(TYPES)).tolist()
