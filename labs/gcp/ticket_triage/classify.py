"""Predictions for a list of tickets from any predictor: the exported model on this machine or
a Vertex endpoint. Same name and shape as the Azure lab's `classify`, so the two compare.

A predictor is a function: list of raw texts -> list of rows, one per text, each a dict with
"category", "priority", "category_confidence", "priority_confidence" (and the probabilities):
exactly what the exported model's serving signature returns per instance.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from labs.gcp.ticket_triage.data import texts, tf

Predictor = Callable[[list[str]], list[dict]]
BATCH_SIZE = 100  # instances per predict request; Vertex caps a request at 1.5 MB


def local_predictor(export_dir: str) -> Predictor:
    """Serve the exported SavedModel in this process (what the endpoint runs, without HTTP)."""
    from labs.gcp.ticket_triage.model import load_exported

    serving_fn = load_exported(export_dir)
    tf_ = tf()

    def predict(batch: list[str]) -> list[dict]:
        out = {k: v.numpy() for k, v in serving_fn(text=tf_.constant(batch)).items()}
        rows = []
        for i in range(len(batch)):
            row = {}
            for name, array in out.items():
                value = array[i]
                row[name] = value.decode() if isinstance(value, bytes) else value.tolist()
            rows.append(row)
        return rows

    return predict


def classify(predictor: Predictor, tickets: list[dict], batch_size: int = BATCH_SIZE,
             on_batch: Callable[[int, int], None] | None = None) -> list[dict]:
    """One result per ticket, in order: {"id", "category", "priority", confidences, latency_s}.

    ``latency_s`` is how long the ticket waited for its answer: the time of its batch's request.
    """
    results = []
    for start in range(0, len(tickets), batch_size):
        batch = tickets[start:start + batch_size]
        started = time.perf_counter()
        rows = predictor(texts(batch))
        latency = time.perf_counter() - started
        if len(rows) != len(batch):
            raise RuntimeError(f"The predictor returned {len(rows)} rows for {len(batch)} texts.")
        for ticket, row in zip(batch, rows, strict=True):
            results.append({"id": ticket["id"], "category": row["category"],
                            "priority": row["priority"],
                            "category_confidence": float(row["category_confidence"]),
                            "priority_confidence": float(row["priority_confidence"]),
                            "latency_s": latency})
        if on_batch:
            on_batch(len(results), len(tickets))
    return results


def as_label_lists(results: list[dict]) -> dict[str, list[str]]:
    return {"category": [r["category"] for r in results], "priority": [r["priority"] for r in results]}
