"""A fake tuning trainer whose metric is a known function of its parameters (no TensorFlow).

``score = 1 - (x - 0.3)^2 - (log10(lr) + 2)^2 / 10 + bonus[optimizer] - 0.01 * |layers - 3|``,
best at x=0.3, lr=0.01, optimizer=adam, layers=3. It reports the score the cloudml-hypertune
way: a JSON line appended to the file named by ``CLOUD_ML_HP_METRIC_FILE``. ``--fail_above``
makes trials with x above it crash, to exercise failed trials.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

BONUS = {"adam": 0.1, "sgd": 0.0, "rmsprop": 0.05}


def score(x: float, lr: float, optimizer: str, layers: int) -> float:
    return 1 - (x - 0.3) ** 2 - (math.log10(lr) + 2) ** 2 / 10 + BONUS[optimizer] - 0.01 * abs(layers - 3)


def report(metric_tag: str, value: float, step: int) -> None:
    path = os.environ.get("CLOUD_ML_HP_METRIC_FILE", "/tmp/hypertune/output.metrics")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    line = {"timestamp": time.time(), "trial": os.environ.get("CLOUD_ML_TRIAL_ID", ""),
            metric_tag: str(value), "global_step": str(step)}
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--metric", default="score")
    parser.add_argument("--fail_above", type=float, default=None)
    args = parser.parse_args(argv)
    if args.fail_above is not None and args.x > args.fail_above:
        raise SystemExit(f"x={args.x} is above {args.fail_above}: failing on purpose")
    report(args.metric, score(args.x, args.lr, args.optimizer, args.layers) - 0.5, step=1)
    report(args.metric, score(args.x, args.lr, args.optimizer, args.layers), step=2)  # last wins
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
