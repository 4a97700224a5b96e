"""Type accuracy and field exact match of the Azure attachments lab on the test split, mock mode.

    python benchmarks/azure_attachments_accuracy.py [--limit 300] [--out DIR] [--saved-only]

Runs the lab (``labs.azure.attachments.run``, the kit's reference solution) on the first
``--limit`` images of the attachment test split against the local vision emulator (resuming
the run saved in ``--out`` if there is one: OCR is slow on a busy machine), and prints
type accuracy (an "unknown", refused or failed image counts as wrong), the confusion table, and
exact match per field, each with its n. **Emulated figures**: the emulator reads text with a
real OCR engine (RapidOCR, PP-OCRv4) but its tags come from classical computer vision, not from
Azure's models; real Azure would read and tag differently. The dataset's type labels carry 2%
noise, so type accuracy cannot exceed about 0.98. ``--saved-only`` sends nothing and reports the
images the saved run has finished so far (n says how many).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=300, help="first N images of the test split (default 300)")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "labkit-bench-azure-attachments")
    p.add_argument("--saved-only", action="store_true", help="report the finished images of the saved run")
    args = p.parse_args()
    from labs.azure.attachments import evaluate, run, store
    from shared.datasets.attachments import TYPES, generate

    out = args.out / f"test-{args.limit}"
    started = time.monotonic()
    if not args.saved_only:
        resume = ["--resume"] if (out / "results.db").exists() else []
        code = run.main(["--limit", str(args.limit), "--out", str(out), "--no-mlflow", "--concurrency", "2", *resume])
        assert code == 0, f"the run failed ({code})"
    elapsed = time.monotonic() - started
    saved = store.ResultStore(out / "results.db")
    predicted = {r["image_id"]: r["type"] or r["status"] for r in saved.results()}
    items = [a for a in generate(args.limit, split="test") if a.id in predicted]
    labels = {a.id: a.type for a in items}
    summary = evaluate.summary(saved.results(), saved.calls(), [{"id": a.id, "type": a.type, "fields": a.fields}
                                                                for a in items], evaluate.load_prices(), None, True)
    db = sqlite3.connect(out / "results.db")
    confusion = Counter((labels[i], predicted[i]) for i in labels)
    print(f"\nAzure attachments on the test split, {len(items)} of the first {args.limit} images, mock mode "
          f"(EMULATED: RapidOCR text + classical-CV tags, not Azure's models); {elapsed:.0f} s wall this session")
    acc = summary["type_accuracy"]
    print(f"type accuracy {acc['accuracy']:.3f} (n={acc['n']}); unknown {summary['unknown']}, "
          f"refused {summary['counts']['refused']}, failed {summary['counts']['failed']}")
    columns = [*TYPES, "unknown"]
    print("\nconfusion (rows: label, columns: predicted)")
    print(f"{'':18}" + "".join(f"{c[:12]:>13}" for c in columns))
    for kind in TYPES:
        print(f"{kind:18}" + "".join(f"{confusion[(kind, c)]:>13}" for c in columns))
    print("\nfield exact match")
    for name, f in summary["fields"].items():
        print(f"  {name:16} {f['exact_match']:.3f} (n={f['n']})")
    print(f"\ncost per 1,000 images at prices.toml's prices: ${summary['cost_per_1000_images_usd']:.2f} "
          f"({', '.join(json.loads(db.execute('SELECT value FROM meta').fetchone()[0])['features'])})")


if __name__ == "__main__":
    main()
