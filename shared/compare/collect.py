"""Run both ticket-triage labs on the same tickets and turn what they wrote into StackRuns.

Each lab runs through its own ``run.main`` (so the comparison exercises exactly what a learner
runs) into a folder under OUT, and the figures are read back from the files the labs wrote: the
Azure lab's ``results.db`` (one row per ticket, one row per call) and the GCP lab's
``results.json`` and ``predictions/*.jsonl``. Re-running resumes: nothing done is lost or redone.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shared.compare.records import Prediction, StackRun, round_volume

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
    limit: int = 200  # test items
    per_window: int = 10  # stream items per window per scenario
    azure_per_window: int | None = None  # images: the Azure lab classifies the first N of each window (OCR is slow)
    azure_limit: int | None = None  # images: the Azure lab analyses the first N test images
    train_images: int = 500  # images: what the GCP lab trains on (split 80/10/10 by the lab)
    tune: bool = False  # also run the GCP lab's tuning stage (slower)
    gcp_train_size: int | None = None  # tickets: the GCP lab trains on the first N (None: all 5,000)
    yours: set[str] = field(default_factory=set)  # stacks whose learner's copy runs
    azure_cassette: Path | None = None  # answer the Azure side from this recording (see cassette.py)
    azure_record: bool = False  # record the cassette from the real deployment first

    def base(self, stack: str) -> Path:
        """Each stack's runs, kept apart by whose code ran and by where the Azure answers came
        from, so a resume never mixes them."""
        name = f"{stack}-yours" if stack in self.yours else stack
        if stack == "azure" and self.azure_cassette is not None:
            name += f"-{'recorded' if self.azure_record else 'replayed'}-{self.azure_cassette.stem}"
        return self.out / name


def _lab_main(lab: str):
    import importlib

    return importlib.import_module(f"labs.{lab}.ticket_triage.run").main


def _check(code: int, what: str, out: Path) -> None:
    if code != 0:
        raise CompareError(f"{what} failed (exit {code}); its output so far is in {out}. "
                           "Fix the problem above and run the comparison again: finished work is kept.")


def run_azure(opts: CompareOptions) -> StackRun:
    if opts.azure_cassette is None:
        return _run_azure(opts, opts.target)
    from shared.compare.cassette import CassetteProblem, azure_through_cassette, read_info

    try:
        with azure_through_cassette(opts.azure_cassette, record=opts.azure_record):
            run = _run_azure(opts, "cloud")
        info = read_info(opts.azure_cassette)
    except CassetteProblem as exc:
        raise CompareError(str(exc)) from None
    except CompareError as exc:
        if opts.azure_record:
            raise
        raise CompareError(f"{exc} With a cassette, every request must have been recorded: replay with the "
                           "--limit and --per-window it was recorded with.") from None
    run.emulated = info.from_emulator
    run.quality_source = None if info.from_emulator else info.label
    run.stand_in = (f"The Azure answers were {info.label} ({info.exchanges} exchanges in "
                    f"{opts.azure_cassette.name}).")
    if not opts.azure_record:  # a replay answers at local speed: it is not the service's latency
        run.speed_source = "replayed from the cassette: latency and throughput not measured"
        run.test_latencies_s, run.throughput_per_s, run.throughput_basis = [], float("nan"), ""
    else:
        run.speed_source = f"measured against {info.deployment} through the recording proxy"
    return run


def _run_azure(opts: CompareOptions, target: str) -> StackRun:
    main = _lab_main("azure")
    base = opts.base("azure")
    for split, extra in (("test", ["--limit", str(opts.limit)]), ("stream", ["--per-window", str(opts.per_window)])):
        args = ["--target", target, "--split", split, "--out", str(base / split), "--resume", "--no-mlflow", *extra]
        _check(main(args), f"labkit run azure/ticket_triage {' '.join(args)}", base / split)
    return azure_run_from(base, emulated=target == "mock")


def read_store(path: Path, item_id: str = "ticket_id", lab: str = "Azure lab") -> tuple[list[dict], list[dict], dict]:
    """Rows of an Azure lab's results.db (both keep results, calls and meta): results ordered by
    ``item_id``, calls, and the run's identity."""
    if not path.is_file():
        raise CompareError(f"No Azure results at {path}: the {lab} has not run there.")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        results = [dict(r) for r in db.execute(f"SELECT * FROM results ORDER BY {item_id}")]
        calls = [dict(r) for r in db.execute("SELECT * FROM calls ORDER BY id")]
        meta = db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
    return results, calls, json.loads(meta[0]) if meta else {}


def azure_run_from(base: Path, emulated: bool) -> StackRun:
    """Per-ticket results and per-call latency and tokens, from the Azure lab's stores."""
    from shared.datasets.tickets import generate

    truth = {t["id"]: t for split in generate(seed=0).splits().values() for t in split}
    predictions, calls, test_calls, test_waits, retried = [], [], [], [], []
    model, code = "gpt-4o-mini", "unknown"
    for split in ("test", "stream"):
        results, split_calls, meta = read_store(base / split / "results.db")
        model, code = meta.get("model", model), meta.get("code", code)
        calls += split_calls
        retried += [row["attempts"] > 1 for row in results]
        if split == "test":
            test_calls = split_calls
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
    test_ok = [c for c in test_calls if c["outcome"] == "ok"]
    answered = sum(c["n_tickets"] for c in test_ok)
    # Throughput, the same definition on both sides: tickets answered / wall-clock time from the
    # first request sent to the last answer received (requests in flight together count once).
    span = (max(c["started_at"] + c["latency_s"] for c in test_calls) - min(c["started_at"] for c in test_calls)
            if test_calls else 0.0)
    outcomes = Counter(c["outcome"] for c in calls)
    statuses = Counter(p.status for p in predictions)
    prices = tomllib.loads(AZURE_PRICES.read_text()).get("models", {}).get(model, {})
    return StackRun(
        stack="azure", title="Azure OpenAI (AI-102 way)", emulated=emulated, stand_in=AZURE_STAND_IN,
        predictions=predictions, test_latencies_s=test_waits,
        throughput_per_s=answered / span if span > 0 else float("nan"),
        throughput_basis=(f"{answered} tickets in {len(test_ok)} requests of up to "
                          f"{max((c['n_tickets'] for c in test_ok), default=0)}, several in flight"),
        time_to_first_result_s=first["latency_s"] if first else float("nan"),
        cost_per_item_usd=_token_cost(prompt_tokens, completion_tokens, model) / max(1, len(predictions)),
        usage={"prompt tokens": prompt_tokens, "completion tokens": completion_tokens}, code=code,
        usage_source=("prompt tokens counted as Azure counts them (tiktoken, the real prompt); completion tokens "
                      "are the stand-in's answers, a model's may differ" if emulated
                      else "usage reported by the service"),
        quality_source=None if emulated else f"{model} deployment, answered live",
        speed_source=("emulated: the emulator's simulated service time, not Azure's" if emulated
                      else "measured against the deployment"),
        quota={"requests": len(calls), "answered": outcomes["ok"], "rate limited (429)": outcomes["rate_limited"],
               "server errors and dropped connections": outcomes["server_error"] + outcomes["connection"],
               "answers cut at max_tokens": outcomes["length"], "tickets retried": sum(retried),
               "tickets filtered": statuses["filtered"], "tickets failed": statuses["failed"]},
        cost_assumptions=[f"Azure OpenAI {model}: ${prices.get('input', float('nan')):.2f} per 1M input tokens, "
                          f"${prices.get('output', float('nan')):.2f} per 1M output tokens "
                          f"({AZURE_PRICES.relative_to(AZURE_PRICES.parents[3])}, pay-as-you-go, no fixed charge); "
                          f"{(prompt_tokens + completion_tokens) / max(1, len(predictions)):,.0f} tokens per ticket "
                          "as counted in this run."],
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
        if stage == "monitor":
            args.append("--no-retrain")  # the report has no use for the lab's retraining figure
        if opts.gcp_train_size:
            args += ["--train-size", str(opts.gcp_train_size)]
        _check(main(args), f"labkit run gcp/ticket_triage {' '.join(args)}", base)
    return gcp_run_from(base, tuned=opts.tune, emulated=opts.target == "mock")


def gcp_run_from(base: Path, tuned: bool, emulated: bool) -> StackRun:
    """Read the GCP lab's results.json and per-ticket predictions."""
    results = json.loads((base / "results.json").read_text())
    prices = tomllib.loads(GCP_PRICES.read_text())
    predictions, latency, batches = [], {}, []
    for split in ("test", "stream"):
        for line in (base / "predictions" / f"{split}.jsonl").read_text().splitlines():
            r = json.loads(line)
            predictions.append(Prediction(
                id=r["id"], split=split, category=r["true_category"], priority=r["true_priority"],
                predicted_category=r["category"], predicted_priority=r["priority"],
                scenario=r.get("scenario"), window=r.get("window")))
            if split == "test":
                latency[r["id"]] = r.get("latency_s")
                # tickets of one request share its latency and come one after another
                if batches and batches[-1][0] == r.get("latency_s"):
                    batches[-1][1] += 1
                else:
                    batches.append([r.get("latency_s"), 1])
    train_s = results["train"]["seconds"]
    tune_s = results["tune"]["seconds"] if tuned and "tune" in results else 0.0
    deploy = results["deploy"]
    first_prediction = min((v for v in latency.values() if v), default=0.0)
    deploy_setup = deploy["seconds"] - deploy["predict_seconds"]
    train_hours = _billed_hours(train_s, prices) + (_billed_hours(tune_s, prices) if tune_s else 0.0)
    # Same definition as the Azure side: tickets answered / wall-clock time from the first request
    # sent to the last answer; the lab sends its requests one after another, so that is their sum.
    answered = sum(n for _, n in batches)
    span = sum(s for s, _ in batches if s)
    throughput = answered / span if span > 0 else float("nan")
    capacity = throughput * 3600 if span > 0 else prices["serving"]["tickets_per_node_hour"]
    monitored = {sc: r for sc, r in results.get("monitor", {}).items() if isinstance(r, dict) and "alerts" in r}
    alerts = {sc: {int(w): feats for w, feats in r["alerts"].items()} for sc, r in monitored.items()}
    tr, sv = prices["training"], prices["serving"]
    return StackRun(
        stack="gcp", title="Custom TensorFlow on Vertex AI (PMLE way)", emulated=emulated,
        stand_in=GCP_STAND_IN, predictions=predictions, throughput_per_s=throughput,
        throughput_basis=f"{answered} tickets in {len(batches)} requests of up to "
                         f"{max((n for _, n in batches), default=0)}, one at a time",
        test_latencies_s=[v for v in latency.values() if v is not None], test_latency_by_id=latency,
        time_to_first_result_s=train_s + tune_s + deploy_setup + first_prediction,
        cost_fixed_usd=train_hours * tr["node_hour_usd"] * tr["retrains_per_month"],
        serving_node_hour_usd=sv["node_hour_usd"], items_per_node_hour=capacity,
        alerts=alerts, code=results["deploy"].get("code", "unknown"),
        quality_source="own TensorFlow model, trained on this machine",
        speed_source=("measured on this machine: the trained model behind the local Vertex emulator"
                      if emulated else "measured against the Vertex AI endpoint"),
        cost_assumptions=[
            f"Vertex AI training: ${tr['node_hour_usd']:.2f} per node-hour, at least "
            f"{tr['min_billed_minutes']:.0f} min billed per job, retrained {tr['retrains_per_month']}x "
            f"per month ({train_hours * 60:.0f} billed min each{' with tuning' if tune_s else ''}).",
            f"Vertex AI online prediction: ${sv['node_hour_usd']:.2f} per node-hour, one node up "
            f"{sv['hours_per_month']} h a month whether used or not; more nodes when the volume exceeds "
            f"about {round_volume(capacity)} tickets per node-hour "
            f"({'measured on this machine' if span > 0 else 'assumed'}).",
            f"GCP prices from shared/compare/{GCP_PRICES.name} (us-central1 list prices, rounded)."],
        notes=[f"code: {results['deploy'].get('code', 'unknown')}.",
               f"time to first result = training {train_s:.0f} s"
               + (f" + tuning {tune_s:.0f} s" if tune_s else " (tuning not run: add --tune)")
               + f" + deployment {deploy_setup:.0f} s + first prediction.",
               f"serving capacity per node {'measured on this machine' if span > 0 else 'assumed'}: "
               f"about {round_volume(capacity)} tickets/hour.",
               f"GCP prices from {GCP_PRICES.name}; training billed at least "
               f"{tr['min_billed_minutes']:.0f} min per job."])


def _billed_hours(seconds: float, prices: dict) -> float:
    return max(seconds / 3600, prices["training"]["min_billed_minutes"] / 60)


def same_items(runs: list[StackRun], splits: tuple[str, ...] = ("test", "stream")) -> list[StackRun]:
    """Keep only the items of SPLITS every stack classified, so the figures compare like with like."""
    common = set.intersection(*({p.id for p in r.predictions if p.split in splits} for r in runs))
    for run in runs:
        run.predictions = [p for p in run.predictions if p.id in common or p.split not in splits]
        if run.test_latency_by_id:
            run.test_latencies_s = [v for k, v in run.test_latency_by_id.items() if k in common and v is not None]
    return runs
