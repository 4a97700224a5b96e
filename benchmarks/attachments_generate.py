"""How fast the attachment images are generated, and how learnable their types are.

    .venv/bin/python benchmarks/attachments_generate.py [--train 2000] [--test 1000] [--workers 2]

1. Speed: images per second in one process (wall clock and CPU time), and with --workers
   processes for the training split.
2. Sanity of the task: classical baselines trained on the train split and scored on the test
   split: logistic regression on 16x16 grey pixels, and on HOG-like gradient histograms plus
   colour statistics and aspect ratio. They must beat the majority class clearly (the types
   differ in layout) and stay below the 98% ceiling the 2% label noise leaves (nuisances
   matter), leaving room for a CNN. The same model is then scored on each stream scenario's
   drifted windows. Every figure is computed here; nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def speed(n: int) -> tuple[float, float]:
    from shared.datasets.attachments import generate

    generate(5, seed=99)  # fonts loaded once, as in any real run
    wall, cpu = time.perf_counter(), time.process_time()
    generate(n, seed=1, split="validation")
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def pixels(image, size: int = 16) -> np.ndarray:
    return np.asarray(image.convert("L").resize((size, size)), np.float32).ravel() / 255


def hog_like(image, size: int = 64, cells: int = 8, bins: int = 9) -> np.ndarray:
    """Histograms of gradient orientation per cell, weighted by magnitude (a plain HOG), plus
    mean and spread of each colour channel and the aspect ratio."""
    grey = np.asarray(image.convert("L").resize((size, size)), np.float32) / 255
    gy, gx = np.gradient(grey)
    magnitude, angle = np.hypot(gx, gy), np.mod(np.arctan2(gy, gx), np.pi)
    which = np.minimum((angle / np.pi * bins).astype(int), bins - 1)
    step = size // cells
    hist = np.zeros((cells, cells, bins), np.float32)
    for r in range(cells):
        for c in range(cells):
            block = (slice(r * step, (r + 1) * step), slice(c * step, (c + 1) * step))
            hist[r, c] = np.bincount(which[block].ravel(), magnitude[block].ravel(), bins)
    hist /= np.linalg.norm(hist, axis=2, keepdims=True) + 1e-6
    rgb = np.asarray(image.resize((32, 32)), np.float32) / 255
    colour = np.concatenate([rgb.mean(axis=(0, 1)), rgb.std(axis=(0, 1))])
    return np.concatenate([hist.ravel(), colour, [image.width / image.height]])


def baselines(train, test, streams) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from shared.datasets.attachments import TYPES

    y_train, y_test = [a.type for a in train], [a.type for a in test]
    majority = max(y_test.count(t) for t in TYPES) / len(y_test)
    print(f"\ntype baselines: trained on {len(train)} train images, scored on {len(test)} test images")
    print(f"majority class: accuracy {majority:.3f}; ceiling given 2% label noise: about 0.98")
    print(f"{'features + logistic regression':<40} {'accuracy':>8} {'macro-F1':>8} {'fit s':>6}")
    for name, features in (("16x16 grey pixels", pixels), ("HOG-like + colour + aspect", hog_like)):
        x_train = np.stack([features(a.image) for a in train])
        x_test = np.stack([features(a.image) for a in test])
        started = time.perf_counter()
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        model.fit(x_train, y_train)
        seconds = time.perf_counter() - started
        predicted = model.predict(x_test)
        print(f"{name:<40} {accuracy_score(y_test, predicted):8.3f} "
              f"{f1_score(y_test, predicted, average='macro'):8.3f} {seconds:6.1f}")
    if streams:
        before, after = streams["none"]
        print(f"\nHOG-like model on each stream: windows before drift ({len(before)} images) | from drift start "
              f"({len(after)} images)")
        for scenario, (before, after) in streams.items():
            scores = [accuracy_score([a.type for a in part], model.predict(np.stack([hog_like(a.image) for a in part])))
                      for part in (before, after)]
            print(f"  {scenario:<20} accuracy {scores[0]:.3f} | {scores[1]:.3f}")


def main() -> None:
    from shared.datasets.attachments import DRIFT_START, SCENARIOS, generate, stream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed-n", type=int, default=300, help="images for the one-process speed figure")
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-window", type=int, default=50, help="stream window size (0: skip the stream)")
    args = parser.parse_args()

    wall, cpu = speed(args.speed_n)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"one process, {args.speed_n} images: {wall:.0f} images/s wall clock, {cpu:.0f} images/s of CPU time")
    started = time.perf_counter()
    train = generate(args.train, seed=0, split="train", workers=args.workers)
    seconds = time.perf_counter() - started
    print(f"{args.workers} worker processes, {args.train} train images: {seconds:.1f} s "
          f"({args.train / seconds:.0f} images/s, pool start-up included)")
    test = generate(args.test, seed=0, split="test", workers=args.workers)
    streams = {}
    for scenario in SCENARIOS if args.per_window else ():
        windows = stream(scenario, windows=4, per_window=args.per_window, workers=args.workers)
        streams[scenario] = ([a for w in windows[:DRIFT_START] for a in w],
                             [a for w in windows[DRIFT_START:] for a in w])
    baselines(train, test, streams)


if __name__ == "__main__":
    main()
