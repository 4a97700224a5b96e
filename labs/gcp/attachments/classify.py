"""Predictions for a list of attachments from any predictor: the exported model in this process
or a Vertex endpoint. Same name and shape as the other labs' `classify`, so they compare.

A predictor is a function: list of image files' bytes -> one row per image, each a dict with
"type", "confidence" and "probabilities": exactly what the exported model's serving signature
returns per instance.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from labs.gcp.attachments.data import Item, tf
from shared.datasets.attachments import TYPES

Predictor = Callable[[list[bytes]], list[dict]]
BATCH_SIZE = 16  # images per call when no batching rule is given


def local_predictor(export_dir) -> Predictor:
    """Serve the exported SavedModel in this process (what the endpoint runs, without HTTP)."""
    from labs.gcp.attachments.model import load_exported

    serving_fn = load_exported(export_dir)

    def predict(datas: list[bytes]) -> list[dict]:
        out = serving_fn(image_bytes=tf().constant(datas))
        types, confidence, probs = (out[k].numpy() for k in ("type", "confidence", "probabilities"))
        return [{"type": t.decode(), "confidence": float(c), "probabilities": p.tolist()}
                for t, c, p in zip(types, confidence, probs, strict=True)]

    return predict


def fixed_batches(datas: list[bytes], size: int = BATCH_SIZE) -> list[list[int]]:
    return [list(range(i, min(i + size, len(datas)))) for i in range(0, len(datas), size)]


def classify(predictor: Predictor, items: list[Item],
             batches: Callable[[list[bytes]], list[list[int]]] = fixed_batches,
             on_batch: Callable[[int, int], None] | None = None) -> list[dict]:
    """One result per item, in order: {"id", "predicted_type", "confidence", "probabilities":
    {type: p}, "latency_s"}. ``latency_s`` is the image's share of its request: the request's
    time divided by the images it carried. ``batches`` groups the images into requests."""
    datas = [item.data for item in items]
    results: list[dict | None] = [None] * len(items)
    done = 0
    for group in batches(datas):
        started = time.perf_counter()
        rows = predictor([datas[i] for i in group])
        share = (time.perf_counter() - started) / len(group)
        if len(rows) != len(group):
            raise RuntimeError(f"The predictor returned {len(rows)} rows for {len(group)} images.")
        for i, row in zip(group, rows, strict=True):
            results[i] = {"id": items[i].id, "predicted_type": row["type"],
                          "confidence": float(row["confidence"]),
                          "probabilities": dict(zip(TYPES, map(float, row["probabilities"]), strict=True)),
                          "latency_s": share}
        done += len(group)
        if on_batch:
            on_batch(done, len(items))
    return results
