"""Run both ticket-triage labs on the same tickets and turn what they wrote into StackRuns.

Each lab runs through its own ``run.main`` (so the comparison exercises exactly what a learner
runs) into a folder under OUT, and the figures are read back from the files the labs wrote: the
Azure lab's ``results.db`` (one row per ticket, one row per call) and the GCP lab's
``results.json`` and ``predictions/*.jsonl``. Re-running resumes: nothing done is lost or redone.
"""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shared.compare.records import Prediction, StackRun

GCP_PRICES = Path(__file__).with_name("prices_gcp.toml")
AZURE_PRICES = Path(__file__).resolve().parents[2] / "labs" / "azure" / "ticket_triage" / "prices.toml"
AZURE_STAND_IN = ("The Azure OpenAI emulator's stand-in model picks labels by TF-IDF similarity between "
                  "the ticket and the label descriptions and examples in the prompt; it is not an LLM.")
GCP_STAND_IN = ("The Vertex emulator serves the lab's own trained TensorFlow model on this machine; "
                "only the serving infrastructure and its latency are emulated.")


class CompareError(RuntimeError):
    """A lab run failed; the message says which and where its output is."""


@dataclass
class CompareOptions:
    out: Path
    target: str = "mock"
    limit: int = 200  # test tickets
    per_window: int = 10  # stream tickets per window per scenario
    tune: bool = False  # also run the GCP lab's tuning stage (slower)
    yours: set[str] = field(default_factory=set)  # stacks whose learner's copy runs

    def base(self, stack: str) -> Path:
        """Each stack's runs, kept apart by whose code ran, so a resume never mixes them."""
        return self.out / (f"{stack}-yours" if stack in self.yours else stack)


def _lab_main(lab: str):
    import importlib

    return importlib.import_module(f"labs.{lab}.ticket_triage.run").main


def _check(code: int, what: str, out: Path) -> None:
    if code != 0:
        raise CompareError(f"{what} failed (exit {code}); its output so far is in {out}. "
                           "Fix the problem above and run the comparison again: finished work is kept.")


def run_azure(opts: CompareOptions) -> StackRun:
    main = _lab_main("azure")
    base = opts.base("azure")
    seconds = {}
    for split, extra in (("test", ["--limit", str(opts.limit)]), ("stream", ["--per-window", str(opts.per_window)])):
        args = ["--target", opts.target, "--split", split, "--out", str(base / split), "--resume", *extra]
        started = time.perf_counter()
        _check(main(args), f"labkit run azure/ticket_triage {' '.join(args)}", base / split)
        seconds[split] = time.perf_counter() - started
    return azure_run_from(base, test_seconds=seconds["test"], emulated=opts.target == "mock")


def _read_store(path: Path) -> tuple[list[dict], list[dict], dict]:
    """Rows of the Azure lab's results.db: results, calls and the run's identity."""
    if not path.is_file():
        raise CompareError(f"No Azure results at {path}: the Azure lab has not run there.")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        results = [dict(r) for r in db.execute("SELECT * FROM results ORDER BY ticket_id")]
        calls = [dict(r) for r in db.execute("SELECT * FROM calls ORDER BY id")]
        meta = db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
    return results, calls, json.loads(meta[0]) if meta else {}


def azure_run_from(base: Path, test_seconds: float, emulated: bool) -> StackRun:
    """Per-ticket results and per-call latency and tokens, from the Azure lab's stores."""
    from shared.datasets.tickets import generate

    truth = {t["id"]: t for split in generate(seed=0).splits().values() for t in split}
    predictions, calls, test_waits, model, code = [], [], [], "gpt-4o-mini", "unknown"
    for split in ("test", "stream"):
        results, split_calls, meta = _read_store(base / split / "results.db")
        model, code = meta.get("model", model), meta.get("code", code)
        calls += split_calls
        if split == "test":
            # Each answered ticket waited for its whole request (the results table does not say
            # which request, so the distribution is exact and the pairing with tickets is not kept).
            test_waits = [c["latency_s"] for c in split_calls if c["outcome"] == "ok" for _ in range(c["n_tickets"])]
        for row in results:
            t = truth[row["ticket_id"]]
            predictions.append(Prediction(
                id=t["id"], split=split, category=t["category"], priority=t["priority"],
                predicted_category=row["category"], predicted_priority=row["priority"], status=row["status"],
                scenario=t.get("scenario"), window=t.get("window")))
    prompt_tokens = sum(c["prompt_tokens"] for c in calls)
    completion_tokens = sum(c["completion_tokens"] for c in calls)
    ok_calls = [c for c in calls if c["outcome"] == "ok"]
    first = min(ok_calls, key=lambda c: c["started_at"]) if ok_calls else None
    return StackRun(
        stack="azure", title="Azure OpenAI (AI-102 way)", emulated=emulated, stand_in=AZURE_STAND_IN,
        predictions=predictions, test_latencies_s=test_waits,
        throughput_per_s=len([p for p in predictions if p.split == "test"]) / max(test_seconds, 1e-6),
        time_to_first_result_s=first["latency_s"] if first else float("nan"),
        cost_per_ticket_usd=_token_cost(prompt_tokens, completion_tokens, model) / max(1, len(predictions)),
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, code=code,
        notes=[f"code: {code}.",
               f"{len(calls)} requests ({len(ok_calls)} answered), several tickets per request; "
               "latency per ticket is the latency of the request that answered it.",
               f"cost from the token counts and {AZURE_PRICES.relative_to(AZURE_PRICES.parents[3])} ({model}).",
               "Drift monitoring is not part of the Azure lab: a pre-trained model has no training "
               "distribution of yours to compare with."])


def _token_cost(prompt_tokens: int, completion_tokens: int, model: str) -> float:
    prices = tomllib.loads(AZURE_PRICES.read_text()).get("models", {})
    if model not in prices:
        raise CompareError(f"No price for model {model!r} in {AZURE_PRICES}; add it there.")
    return (prompt_tokens * prices[model]["input"] + completion_tokens * prices[model]["output"]) / 1e6


def run_gcp(opts: CompareOptions) -> StackRun:
    main = _lab_main("gcp")
    base = opts.base("gcp")
    stages = ["train", *(["tune"] if opts.tune else []), "deploy", "monitor"]
    results = base / "results.json"
    finished = json.loads(results.read_text()) if results.is_file() else {}
    for stage in stages:
        if stage in finished:  # a rerun resumes: stages already done are kept, not redone
            print(f"gcp/ticket_triage: stage {stage} already done in {base}, kept")
            continue
        args = ["--target", opts.target, "--stage", stage, "--out", str(base)]
        _check(main(args), f"labkit run gcp/ticket_triage {' '.join(args)}", base)
    return gcp_run_from(base, tuned=opts.tune, emulated=opts.target == "mock")


def gcp_run_from(base: Path, tuned: bool, emulated: bool) -> StackRun:
    """Read the GCP lab's results.json and per-ticket predictions."""
    results = json.loads((base / "results.json").read_text())
    prices = tomllib.loads(GCP_PRICES.read_text())
    predictions, latency = [], {}
    for split in ("test", "stream"):
        for line in (base / "predictions" / f"{split}.jsonl").read_text().splitlines():
            r = json.loads(line)
            predictions.append(Prediction(
                id=r["id"], split=split, category=r["true_category"], priority=r["true_priority"],
                predicted_category=r["category"], predicted_priority=r["priority"],
                scenario=r.get("scenario"), window=r.get("window")))
            if split == "test":
                latency[r["id"]] = r.get("latency_s")
    train_s = results["train"]["seconds"]
    tune_s = results["tune"]["seconds"] if tuned and "tune" in results else 0.0
    deploy = results["deploy"]
    first_prediction = min((v for v in latency.values() if v), default=0.0)
    deploy_setup = deploy["seconds"] - deploy["predict_seconds"]
    train_hours = _billed_hours(train_s, prices) + (_billed_hours(tune_s, prices) if tune_s else 0.0)
    throughput = len([p for p in predictions if p.split == "test"]) / max(deploy["predict_seconds"], 1e-6)
    monitored = {sc: r for sc, r in results.get("monitor", {}).items() if isinstance(r, dict) and "alerts" in r}
    alerts = {sc: {int(w): feats for w, feats in r["alerts"].items()} for sc, r in monitored.items()}
    return StackRun(
        stack="gcp", title="Custom TensorFlow on Vertex AI (PMLE way)", emulated=emulated,
        stand_in=GCP_STAND_IN, predictions=predictions, throughput_per_s=throughput,
        test_latencies_s=[v for v in latency.values() if v is not None], test_latency_by_id=latency,
        time_to_first_result_s=train_s + tune_s + deploy_setup + first_prediction,
        cost_fixed_usd=train_hours * prices["training"]["node_hour_usd"] * prices["training"]["retrains_per_month"],
        serving_node_hour_usd=prices["serving"]["node_hour_usd"],
        tickets_per_node_hour=throughput * 3600,
        alerts=alerts, code=results["deploy"].get("code", "unknown"),
        notes=[f"code: {results['deploy'].get('code', 'unknown')}.",
               f"time to first result = training {train_s:.0f} s"
               + (f" + tuning {tune_s:.0f} s" if tune_s else " (tuning not run: add --tune)")
               + f" + deployment {deploy_setup:.0f} s + first prediction.",
               f"serving capacity per node measured on this machine: {throughput * 3600:,.0f} tickets/hour.",
               f"GCP prices from {GCP_PRICES.name}; training billed at least "
               f"{prices['training']['min_billed_minutes']:.0f} min per job."])


def _billed_hours(seconds: float, prices: dict) -> float:
    return max(seconds / 3600, prices["training"]["min_billed_minutes"] / 60)


def same_tickets(runs: list[StackRun]) -> list[StackRun]:
    """Keep only the tickets every stack classified, so the figures compare like with like."""
    common = set.intersection(*({p.id for p in r.predictions} for r in runs))
    for run in runs:
        run.predictions = [p for p in run.predictions if p.id in common]
        if run.test_latency_by_id:
            run.test_latencies_s = [v for k, v in run.test_latency_by_id.items() if k in common and v is not None]
    return runs
