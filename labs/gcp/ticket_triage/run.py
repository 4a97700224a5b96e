"""``labkit run gcp/ticket_triage``: baseline, train, tune, deploy and monitor, with a summary.

    labkit run gcp/ticket_triage                         # every stage, local Vertex emulator
    labkit run gcp/ticket_triage --stage tune            # one stage (earlier results are reused)
    labkit run gcp/ticket_triage --target cloud          # the same code on your Vertex project
    labkit run gcp/ticket_triage --train mine.jsonl --stream later.jsonl   # your own tickets
    labkit run gcp/ticket_triage --difficulty hard --out out/hard      # the harder tickets
    labkit run gcp/ticket_triage --train-size 1000 --out out/quick     # a quicker run on fewer tickets

Each finished stage writes its figures to ``<out>/results.json`` at once (a crash never loses a
finished stage; ``--stage X`` reuses what earlier stages left there). Models go to
``<out>/models/``, per-ticket predictions to ``<out>/predictions/``, runs to MLflow.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from shared.config import ConfigError, load_settings, redact
from shared.datasets.loading import InputError, load_tickets

STAGES = ("baseline", "train", "tune", "deploy", "monitor")
DEFAULT_OUT = Path("out") / "gcp_ticket_triage"
RECENT_WINDOWS = (2, 3)  # labelled tickets used to retrain after drift; later windows test it
WINDOW_SIZE = 50  # tickets per monitoring window of a --stream file without a 'window' field


class StageError(Exception):
    """A stage cannot run; the message says what to do."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="labkit run gcp/ticket_triage",
        description="Train, tune, track, deploy and monitor a ticket-triage model (PMLE way).")
    p.add_argument("--target", choices=("mock", "cloud"), default=None,
                   help="mock: local Vertex emulator (default); cloud: your Vertex AI project")
    p.add_argument("--stage", choices=("all", *STAGES), default="all")
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder (default {DEFAULT_OUT}; out/kit/... when the kit's own code runs)")
    p.add_argument("--vertex-trials", type=int, default=2,
                   help="trials of the Vertex tuning job, 2 in parallel (default 2: one round, to "
                        "keep the run short; try 6 when you have time)")
    p.add_argument("--train", type=Path, default=None,
                   help="train on your own labelled tickets (JSONL or CSV in the dataset's schema), "
                        "split 80/10/10 into train/validation/test")
    p.add_argument("--stream", type=Path, default=None,
                   help="monitor your own stream of tickets (labels optional; windows from the "
                        f"'window' field, else {WINDOW_SIZE} tickets each)")
    p.add_argument("--no-retrain", action="store_true",
                   help="monitor only: skip retraining on the drifted windows (the before/after "
                        "figure), which trains a model again")
    p.add_argument("--train-size", type=int, default=None, metavar="N",
                   help="train on the first N of the kit's 5,000 training tickets (a quicker run; "
                        "the results say N)")
    p.add_argument("--difficulty", choices=("standard", "hard"), default="standard",
                   help="the kit dataset's setting: standard (the guide's figures) or hard "
                        "(overlapping categories; see shared/datasets/README.md)")
    args = p.parse_args(argv)
    if args.train and (args.difficulty != "standard" or args.train_size):
        p.error("--difficulty and --train-size set the kit dataset; with --train your own tickets are used instead")
    if args.train_size is not None and args.train_size < 100:
        p.error(f"--train-size must be at least 100 (a model needs examples of every class); got {args.train_size}")
    return args


def say(message: str) -> None:
    print(message, flush=True)


class Results:
    """results.json, rewritten atomically after every stage."""

    def __init__(self, out: Path):
        self.path = out / "results.json"
        self.data: dict = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def need(self, stage: str) -> dict:
        if stage not in self.data:
            raise StageError(f"this stage needs the results of '{stage}', which has not run in "
                             f"{self.path.parent}. Run --stage {stage} first (or --stage all).")
        return self.data[stage]

    def save(self, stage: str, value: dict) -> None:
        self.data[stage] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=float))
        tmp.replace(self.path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.getLogger("google.cloud.aiplatform").setLevel(logging.WARNING)
    settings = None
    try:
        settings = load_settings(args.target)
        return _run(args, settings)
    except (ConfigError, InputError) as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return 2


def user_splits(path: Path):
    """A labelled --train file, shuffled with a fixed seed and cut 80/10/10."""
    import random

    from labs.gcp.ticket_triage.data import Splits

    tickets = list(load_tickets(path, require_labels=True).tickets)
    if len(tickets) < 30:
        raise InputError(f"{path}: {len(tickets)} tickets are too few to train, validate and test on; "
                         "give at least 30 (a few hundred to learn anything).")
    random.Random(0).shuffle(tickets)
    a, b = int(len(tickets) * 0.8), int(len(tickets) * 0.9)
    return Splits(train=tickets[:a], validation=tickets[a:b], test=tickets[b:], stream=[])


def user_stream(path: Path) -> tuple[list[list[dict]], bool]:
    """The windows of a --stream file (by its 'window' field, else in order) and whether it is labelled."""
    loaded = load_tickets(path)
    tickets = loaded.tickets
    if all("window" in t for t in tickets):
        numbers = sorted({t["window"] for t in tickets})
        return [[t for t in tickets if t["window"] == n] for n in numbers], loaded.labelled
    return [tickets[i:i + WINDOW_SIZE] for i in range(0, len(tickets), WINDOW_SIZE)], loaded.labelled


def _run(args, settings) -> int:
    from shared.labrun import code_origin, default_out

    args.out = args.out or default_out(__file__, DEFAULT_OUT.name)
    args.out.mkdir(parents=True, exist_ok=True)
    results = Results(args.out)
    stages = STAGES if args.stage == "all" else (args.stage,)
    ctx = Context(args, settings, results)
    if args.train:
        ctx._splits = user_splits(args.train)  # checked before any stage runs
    if args.stream:
        ctx.stream = user_stream(args.stream)
    kit = f"kit dataset ({args.difficulty})"
    trained_on = str(args.train or kit + (f", first {args.train_size} training tickets" if args.train_size else ""))
    say(f"gcp/ticket_triage: stages {', '.join(stages)}; target {settings.target}; out {args.out}; "
        f"data {trained_on}")
    failed = None
    try:
        for stage in stages:
            say(f"\n== {stage}")
            started = time.perf_counter()
            try:
                value = STAGE_FUNCS[stage](ctx)
            except StageError as exc:
                print(f"error in stage {stage}: {exc}", file=sys.stderr)
                failed = stage
                break
            value["seconds"] = round(time.perf_counter() - started, 1)
            value["code"] = code_origin(__file__)
            value["data"] = {"train": trained_on, "stream": str(args.stream or kit)}
            results.save(stage, value)
            say(f"   done in {value['seconds']} s")
    finally:
        ctx.close()
    print_summary(results.data, emulated=settings.target == "mock")
    return 1 if failed else 0


class Context:
    """What stages share inside one run: splits, the Vertex connection, a deployed endpoint."""

    def __init__(self, args, settings, results: Results):
        self.args, self.settings, self.results, self.out = args, settings, results, args.out
        self._splits = self._conn = self._dataset = None
        self.endpoint = None
        self.stream: tuple[list[list[dict]], bool] | None = None  # a --stream file's windows

    @property
    def splits(self):
        if self._splits is None:
            from labs.gcp.ticket_triage.data import Splits

            ds = self.dataset
            train = ds.train[:self.args.train_size] if self.args.train_size else ds.train
            self._splits = Splits(train=train, validation=ds.validation, test=ds.test, stream=ds.stream)
        return self._splits

    @property
    def dataset(self):
        """The kit's ticket dataset in the chosen setting (--difficulty)."""
        from shared.datasets.tickets import generate

        if self._dataset is None:
            self._dataset = generate(seed=0, difficulty=self.args.difficulty)
        return self._dataset

    @property
    def conn(self):
        if self._conn is None:
            from shared.gcp import init_vertex, vertex_connection

            self._conn = vertex_connection(self.settings)
            init_vertex(self._conn)
        return self._conn

    def close(self) -> None:
        if self.endpoint is not None:  # a deployed endpoint bills per hour: never leave one
            from labs.gcp.ticket_triage.deploy import undeploy

            say("   undeploying the endpoint (it bills per node-hour while deployed)")
            undeploy(self.endpoint)
            self.endpoint = None


# Stages ---------------------------------------------------------------------------------------

def stage_baseline(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import track
    from labs.gcp.ticket_triage.baseline import train_baseline

    started = time.perf_counter()
    baseline = train_baseline(ctx.splits.train)
    train_s = time.perf_counter() - started
    predictions = baseline.predict(ctx.splits.test)
    with track.tracked_run("baseline", {"model": "tfidf+logreg"}) as run:
        metrics = _log_test_metrics(ctx, predictions, "baseline")
    say(f"   TF-IDF + logistic regression: test category macro-F1 {metrics['category_macro_f1']:.3f}")
    return {"metrics": metrics, "train_seconds": round(train_s, 1), "mlflow_run": run.info.run_id}


def stage_train(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import trainer
    from labs.gcp.ticket_triage.data import vocabulary

    say("   training the default model (early stopping on validation)...")
    result = trainer.train(ctx.splits)
    value = _finish_model(ctx, result, "default")
    (ctx.out / "vocabulary.json").write_text(json.dumps(sorted(vocabulary(result.vectorizer))))
    return value


def stage_tune(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import track, tune

    say(f"   keras-tuner (Bayesian, {tune.MAX_TRIALS} trials) over {', '.join(tune.SEARCH_SPACE)}...")
    search = tune.local_search(ctx.splits, ctx.out / "keras_tuner")
    for i, trial in enumerate(search.trials):
        with track.tracked_run(f"keras-tuner trial {i}", trial["params"], {"tuner": "keras-tuner"}):
            import mlflow

            mlflow.log_metric(tune.OBJECTIVE[0], float(trial["value"]))
    say(f"   best {tune.OBJECTIVE[0]} {search.best_value:.4f} with {_fmt(search.best_params)} "
        f"({search.seconds:.0f} s)")
    from labs.gcp.ticket_triage.trainer import METRIC, TrainResult

    history = search.best_history
    best_epoch = 1 + max(range(len(history[METRIC])), key=lambda i: history[METRIC][i])
    result = TrainResult(search.best_model, None, search.best_params, history, best_epoch,
                         search.seconds / max(1, len(search.trials)))
    tuned = _finish_model(ctx, result, "tuned")
    if ctx.args.difficulty == "standard":
        vertex = _vertex_tuning(ctx)
    else:  # the job's trials run trainer.py's entry point, which reads the standard setting
        vertex = None
        say(f"   Vertex tuning job skipped: its trials train on the standard setting, not {ctx.args.difficulty}")
    default = ctx.results.need("train")
    candidates = {"default": default, "tuned": tuned}
    chosen = max(candidates, key=lambda k: candidates[k]["val_metric"])
    version = track.register(candidates[chosen]["mlflow_run"],
                             description=f"{chosen} model, {_fmt(candidates[chosen]['params'])}")
    say(f"   chosen: {chosen} model (validation {candidates[chosen]['val_metric']:.4f}); "
        f"registered in MLflow as {track.REGISTERED_MODEL} v{version}")
    return {"local": {"best_params": search.best_params, "best_value": search.best_value,
                      "trials": search.trials, "seconds": round(search.seconds, 1)},
            "tuned": tuned, "vertex": vertex, "chosen": chosen, "registered_version": version}


def _vertex_tuning(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import track, tune

    say(f"   Vertex HyperparameterTuningJob: {ctx.args.vertex_trials} trials of trainer.py, "
        "same search space...")
    started = time.perf_counter()
    package = tune.package_trainer(ctx.conn, ctx.out / "package")
    job = tune.vertex_search(ctx.conn, package, max_trials=ctx.args.vertex_trials)
    params, value, trial_id = tune.best_trial(job)
    for trial in job.trials:
        if trial.final_measurement and trial.final_measurement.metrics:
            with track.tracked_run(f"vertex trial {trial.id}",
                                   {p.parameter_id: p.value for p in trial.parameters},
                                   {"tuner": "vertex"}):
                import mlflow

                mlflow.log_metric(tune.OBJECTIVE[0], trial.final_measurement.metrics[0].value)
    seconds = time.perf_counter() - started
    say(f"   Vertex best trial {trial_id}: {tune.OBJECTIVE[0]} {value:.4f} with {_fmt(params)} "
        f"({seconds:.0f} s)")
    return {"best_params": params, "best_value": value, "trial": trial_id,
            "job": job.resource_name, "seconds": round(seconds, 1)}


def stage_deploy(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import classify, deploy
    from labs.gcp.ticket_triage.classify import as_label_lists
    from labs.gcp.ticket_triage.evaluate import evaluate

    model_dir = _chosen_model_dir(ctx)
    say(f"   uploading {model_dir} and deploying it to an endpoint...")
    endpoint = _ensure_endpoint(ctx, model_dir)
    started = time.perf_counter()
    tickets = ctx.splits.test
    results = classify.classify(deploy.endpoint_predictor(endpoint), tickets,
                                on_batch=_progress("   predicted"))
    seconds = time.perf_counter() - started
    _write_predictions(ctx.out / "predictions" / "test.jsonl", tickets, results)
    metrics = evaluate(tickets, as_label_lists(results))
    say(f"   endpoint: category macro-F1 {metrics['category_macro_f1']:.3f} on {len(tickets)} "
        f"test tickets, {len(tickets) / seconds:.0f} tickets/s")
    return {"model_dir": str(model_dir), "endpoint": endpoint.resource_name, "metrics": metrics,
            "predict_seconds": round(seconds, 1)}


def stage_monitor(ctx: Context) -> dict:
    from labs.gcp.ticket_triage import classify, deploy, monitor
    from shared.datasets.tickets import SCENARIOS

    endpoint = _ensure_endpoint(ctx, _chosen_model_dir(ctx))
    predictor = deploy.endpoint_predictor(endpoint)
    vocab = set(json.loads((ctx.out / "vocabulary.json").read_text()))
    baseline = monitor.build_baseline(ctx.splits.train, ctx.splits.validation,
                                      classify.classify(predictor, ctx.splits.validation), vocab)
    dataset = ctx.dataset
    scenarios = ({scenario: dataset.stream_windows(scenario) for scenario in SCENARIOS}
                 if ctx.stream is None else {"input": ctx.stream[0]})
    report, all_preds = {}, []
    for scenario, windows in scenarios.items():
        preds = [classify.classify(predictor, w) for w in windows]
        all_preds += [(t, p) for w, ps in zip(windows, preds, strict=True) for t, p in zip(w, ps, strict=True)]
        reports = monitor.monitor_windows(baseline, windows, preds, vocab)
        say(f"   scenario {scenario}:")
        for r in reports:
            say("     " + r.line())
        report[scenario] = {"first_alert": monitor.first_alert(reports),
                            "alerts": {r.window: r.alert_features for r in reports if r.alert},
                            "accuracy": [round(r.accuracy, 3) for r in reports]}
    _write_predictions(ctx.out / "predictions" / "stream.jsonl", *zip(*all_preds, strict=True))
    if ctx.stream is None and ctx.args.no_retrain:
        say("   no retraining (--no-retrain)")
    elif ctx.stream is None:
        report["retraining"] = _retrain_on_recent(ctx, dataset, report)
    elif not ctx.stream[1]:
        say(f"   {ctx.args.stream} has no labels: accuracy per window is not measured, no retraining.")
    return report


def _retrain_on_recent(ctx: Context, dataset, report: dict) -> dict:
    """Retrain on train + the labelled recent windows of the scenario that lost most accuracy;
    compare old and new model on the windows after them."""
    from labs.gcp.ticket_triage import classify, trainer
    from labs.gcp.ticket_triage.data import Splits
    from labs.gcp.ticket_triage.model import export_model

    worst = min((s for s in report if s != "none"), key=lambda s: sum(report[s]["accuracy"]))
    windows = dataset.stream_windows(worst)
    recent = [t for i in RECENT_WINDOWS for t in windows[i]]
    later = [t for w in windows[max(RECENT_WINDOWS) + 1:] for t in w]
    say(f"   retraining on train + {len(recent)} labelled tickets of '{worst}' windows "
        f"{RECENT_WINDOWS[0]}-{RECENT_WINDOWS[-1]}...")
    params = ctx.results.data.get("tune", {}).get("tuned", {}).get("params")
    splits = Splits(train=ctx.splits.train + recent, validation=ctx.splits.validation,
                    test=later, stream=[])
    result = trainer.train(splits, params)
    export_model(result.model, ctx.out / "models" / "retrained")
    before = _category_accuracy(classify.local_predictor(_chosen_model_dir(ctx)), later)
    after = _category_accuracy(classify.local_predictor(ctx.out / "models" / "retrained"), later)
    say(f"   '{worst}' windows {max(RECENT_WINDOWS) + 1}-7: accuracy {before:.2f} before, "
        f"{after:.2f} after retraining")
    return {"scenario": worst, "accuracy_before": before, "accuracy_after": after}


# Helpers --------------------------------------------------------------------------------------

def _finish_model(ctx: Context, result, name: str) -> dict:
    """Export, evaluate on test, and track one trained model."""
    from labs.gcp.ticket_triage import classify, track
    from labs.gcp.ticket_triage.classify import as_label_lists
    from labs.gcp.ticket_triage.model import export_model

    model_dir = export_model(result.model, ctx.out / "models" / name)
    predictions = as_label_lists(classify.classify(classify.local_predictor(model_dir), ctx.splits.test))
    with track.tracked_run(name, result.params) as run:
        track.log_history(result.history)
        metrics = _log_test_metrics(ctx, predictions, name)
        track.log_model_dir(model_dir)
    say(f"   {name} model: best epoch {result.best_epoch}, validation {result.best:.4f}, "
        f"test category macro-F1 {metrics['category_macro_f1']:.3f} ({result.seconds:.1f} s)")
    return {"params": result.params, "val_metric": result.best, "best_epoch": result.best_epoch,
            "metrics": metrics, "train_seconds": round(result.seconds, 1),
            "model_dir": str(model_dir), "mlflow_run": run.info.run_id}


def _log_test_metrics(ctx: Context, predictions: dict, name: str) -> dict:
    from labs.gcp.ticket_triage import track
    from labs.gcp.ticket_triage.data import LABELS
    from labs.gcp.ticket_triage.evaluate import confusion, evaluate

    tickets = ctx.splits.test
    metrics = evaluate(tickets, predictions)
    plots = ctx.out / "plots" / name
    plots.mkdir(parents=True, exist_ok=True)
    track.log_evaluation(metrics, {
        head: (confusion([t[head] for t in tickets], predictions[head], names), names)
        for head, names in LABELS.items()}, plots)
    return metrics


def _chosen_model_dir(ctx: Context) -> Path:
    tune = ctx.results.data.get("tune")
    if tune:
        chosen = tune["tuned"] if tune["chosen"] == "tuned" else ctx.results.need("train")
        return Path(chosen["model_dir"])
    return Path(ctx.results.need("train")["model_dir"])


def _ensure_endpoint(ctx: Context, model_dir: Path):
    from labs.gcp.ticket_triage import deploy

    if ctx.endpoint is None:
        if not (model_dir / "saved_model.pb").is_file():
            raise StageError(f"no exported model in {model_dir}; run --stage train first.")
        ctx.endpoint = deploy.deploy_model(deploy.upload_model(model_dir, ctx.conn))
    return ctx.endpoint


def _category_accuracy(predictor, tickets: list[dict]) -> float:
    from labs.gcp.ticket_triage import classify

    results = classify.classify(predictor, tickets)
    return sum(r["category"] == t["category"] for r, t in zip(results, tickets, strict=True)) / len(tickets)


def _write_predictions(path: Path, tickets, results) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for t, r in zip(tickets, results, strict=True):
            row = {**r, "true_category": t.get("category"), "true_priority": t.get("priority")}
            row.update({k: t[k] for k in ("scenario", "window") if k in t})
            f.write(json.dumps(row) + "\n")
    tmp.replace(path)


def _progress(prefix: str):
    def report(done: int, total: int) -> None:
        if done == total or done % 500 == 0:
            say(f"{prefix} {done}/{total}")

    return report


def _fmt(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


STAGE_FUNCS = {"baseline": stage_baseline, "train": stage_train, "tune": stage_tune,
               "deploy": stage_deploy, "monitor": stage_monitor}


def print_summary(data: dict, emulated: bool) -> None:
    """One table of what each finished stage produced (figures from results.json)."""
    say("\nSummary" + (" (mock mode: Vertex AI emulated locally)" if emulated else ""))
    rows = [("stage", "what", "category macro-F1", "priority macro-F1", "seconds")]
    for name, key in (("baseline", "baseline"), ("train", "train")):
        if key in data:
            m = data[key]["metrics"]
            what = "TF-IDF + logistic regression" if name == "baseline" else "Keras, default params"
            rows.append((name, what, f"{m['category_macro_f1']:.3f}", f"{m['priority_macro_f1']:.3f}",
                         str(data[key]["seconds"])))
    if "tune" in data:
        t = data["tune"]
        m = t["tuned"]["metrics"]
        rows.append(("tune", f"Keras, tuned ({t['chosen']} chosen)", f"{m['category_macro_f1']:.3f}",
                     f"{m['priority_macro_f1']:.3f}", str(t["seconds"])))
        if t["vertex"]:
            rows.append(("", f"Vertex tuning best val {t['vertex']['best_value']:.3f}", "", "",
                         str(t["vertex"]["seconds"])))
    if "deploy" in data:
        m = data["deploy"]["metrics"]
        rows.append(("deploy", "through the endpoint", f"{m['category_macro_f1']:.3f}",
                     f"{m['priority_macro_f1']:.3f}", str(data["deploy"]["seconds"])))
    if "monitor" in data:
        mon = data["monitor"]
        first = ", ".join(f"{s}:{v['first_alert'] if v['first_alert'] is not None else '-'}"
                          for s, v in mon.items() if isinstance(v, dict) and "first_alert" in v)
        rows.append(("monitor", f"first alert window {first}", "", "", str(mon["seconds"])))
        r = mon.get("retraining")
        if r:
            rows.append(("", f"retrained on '{r['scenario']}': accuracy {r['accuracy_before']:.2f} -> "
                             f"{r['accuracy_after']:.2f}", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
