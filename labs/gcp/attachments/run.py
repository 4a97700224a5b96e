"""``labkit run gcp/attachments``: data, baseline, CNN, tuning, deployment and drift monitoring.

    labkit run gcp/attachments                          # every stage, local Vertex emulator
    labkit run gcp/attachments --stage tune             # one stage (earlier results are reused)
    labkit run gcp/attachments --scale 0.2              # a fifth of the images: a quick run
    labkit run gcp/attachments --train mine/ --input new/ --stream later/   # your own images
    labkit run gcp/attachments --target cloud           # the same code on your Vertex project

Each finished stage is written to ``<out>/results.json`` at once (a crash never loses a finished
stage; ``--stage X`` reuses what earlier stages left there). The kit's images go to
``<out>/data/`` (drawn once, by the first stage that needs them, and reused; the stream only when
the monitor stage needs it; a run that would stop at exercise 2 stops before drawing), models
to ``<out>/models/``, per-image predictions to ``<out>/predictions/``, runs and the registered
model to MLflow.

Until exercise 6 (Tracking) is done, the stages before it in the guide still run and report their
figures, untracked; the run then ends by naming the exercise (exit 3), as at any unfinished one.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from shared.config import ConfigError, load_settings, redact
from shared.datasets.loading import InputError

STAGES = ("data", "baseline", "train", "tune", "deploy", "monitor")
DEFAULT_OUT = Path("out") / "gcp_attachments"
RECENT_WINDOWS = (2, 3)  # labelled drifted images used to retrain; later windows test it
WINDOW_SIZE = 50  # images per window of a --stream folder whose labels carry no 'window'


class StageError(Exception):
    """A stage cannot run; the message says what to do."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="labkit run gcp/attachments",
        description="Train, tune, track, deploy and monitor an attachment-type CNN (PMLE way).")
    p.add_argument("--target", choices=("mock", "cloud"), default=None,
                   help="mock: local Vertex emulator (default); cloud: your Vertex AI project")
    p.add_argument("--stage", choices=("all", *STAGES), default="all")
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder (default {DEFAULT_OUT}; out/kit/... when the kit's own code runs)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="share of the kit's images to generate (default 1: 2,000 train, 500 validation, "
                        "1,000 test, 5 x 8 x 50 stream); 0.2 for a quick run")
    p.add_argument("--vertex-trials", type=int, default=2,
                   help="trials of the Vertex tuning job, 2 in parallel (default 2)")
    p.add_argument("--train", type=Path, default=None,
                   help="train on your own labelled images: a folder with labels.jsonl (the dataset's "
                        "schema), split 80/10/10 into train/validation/test")
    p.add_argument("--input", type=Path, default=None,
                   help="images to predict in the deploy stage instead of the test split (labels optional)")
    p.add_argument("--stream", type=Path, default=None,
                   help="monitor your own stream: a folder of images, or of subfolders, one scenario each "
                        "(labels optional; windows from the labels' 'window' field, else "
                        f"{WINDOW_SIZE} images each in file-name order)")
    return p.parse_args(argv)


def say(message: str) -> None:
    print(message, flush=True)


class Results:
    """results.json ({"code", "stages": {stage: figures}}), rewritten atomically after every stage."""

    def __init__(self, out: Path, code: str):
        self.path = out / "results.json"
        self.data: dict = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.data["code"] = code
        self.data.setdefault("stages", {})

    @property
    def stages(self) -> dict:
        return self.data["stages"]

    def need(self, stage: str) -> dict:
        if stage not in self.stages:
            raise StageError(f"this stage needs the results of '{stage}', which has not run in "
                             f"{self.path.parent}. Run --stage {stage} first (or --stage all).")
        return self.stages[stage]

    def save(self, stage: str, value: dict) -> None:
        self.stages[stage] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=float))
        tmp.replace(self.path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.getLogger("google.cloud.aiplatform").setLevel(logging.WARNING)
    settings = None
    try:
        if not 0 < args.scale <= 1:
            raise ConfigError(f"--scale must be above 0 and at most 1, got {args.scale}.")
        settings = load_settings(args.target)
        return _run(args, settings)
    except (ConfigError, InputError) as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return 2


def _run(args, settings) -> int:
    from shared.labrun import code_origin, default_out

    args.out = args.out or default_out(__file__, DEFAULT_OUT.name)
    ctx = Context(args, settings)
    ctx.check_inputs()  # a bad folder stops here, before any stage runs or any file is written
    args.out.mkdir(parents=True, exist_ok=True)
    ctx.results = Results(args.out, code_origin(__file__))
    stages = STAGES if args.stage == "all" else (args.stage,)
    say(f"gcp/attachments: stages {', '.join(stages)}; target {settings.target}; out {args.out}")
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
            ctx.results.save(stage, value)
            say(f"   done in {value['seconds']} s")
    finally:
        ctx.close()
        ctx.say_untracked()
    print_summary(ctx.results.stages, emulated=settings.target == "mock")
    if ctx.untracked is not None and not failed:
        raise ctx.untracked  # the run is not done while an exercise is not: exit 3, naming it
    return 1 if failed else 0


class Context:
    """What stages share inside one run: the images, the Vertex connection, a deployed endpoint."""

    def __init__(self, args, settings):
        self.args, self.settings, self.out = args, settings, args.out
        self.results: Results | None = None
        self._splits = self._conn = self.endpoint = None
        self.user_input = self.user_stream = None
        self.untracked: NotImplementedError | None = None  # exercise 6, when it is not done yet

    def check_inputs(self) -> None:
        from labs.gcp.attachments import data

        if self.args.train:
            self._splits = data.user_splits(self.args.train)
        if self.args.input:
            self.user_input = data.load_folder(self.args.input)
        if self.args.stream:
            self.user_stream = read_stream(self.args.stream)

    def say_untracked(self) -> None:
        if self.untracked is not None:
            from shared.grading.exercises import unfinished

            say(f"   note: {unfinished(self.untracked).exercise.label} is not done yet: the MLflow runs above "
                "hold no parameters, metrics or confusion matrix.")

    def log_training(self, params: dict, history: dict, confusion, folder: Path) -> bool:
        """track.log_training, or, while exercise 6 (Tracking) is unfinished, a note and False:
        the guide puts the baseline, the CNN, its export and tuning before tracking, and a learner
        should see their figures as soon as those are done."""
        from labs.gcp.attachments import track
        from shared.grading.exercises import unfinished

        try:
            track.log_training(params, history, confusion, folder)
            return True
        except NotImplementedError as exc:
            found = unfinished(exc)
            if found is None or not found.where.endswith("track.py:log_training"):
                raise
            if self.untracked is None:
                say(f"   not logged to MLflow: {found.exercise.label} is not done yet (the run goes on "
                    "and names it at the end)")
            self.untracked = exc
            return False

    @property
    def data_dir(self) -> Path:
        return self.out / "data"

    @property
    def splits(self):
        if self._splits is None:
            from labs.gcp.attachments import data

            if not (self.data_dir / "test" / "labels.jsonl").is_file():
                say(f"   no images in {self.data_dir} yet: drawing them first (the data stage)")
                draw_kit_images(self)
            self._splits = data.kit_splits(self.data_dir)
        return self._splits

    @property
    def conn(self):
        if self._conn is None:
            from shared.gcp import init_vertex, vertex_connection

            self._conn = vertex_connection(self.settings)
            init_vertex(self._conn)
        return self._conn

    def close(self) -> None:
        if self.endpoint is not None:  # a deployed endpoint bills per hour: never leave one
            from labs.gcp.attachments.deploy import undeploy

            say("   undeploying the endpoint (it bills per node-hour while deployed)")
            undeploy(self.endpoint)
            self.endpoint = None


# Stages ---------------------------------------------------------------------------------------

def stage_data(ctx: Context) -> dict:
    """The kit's train/validation/test images, drawn once: a later run with the same --scale reuses
    them. The stream is drawn by the monitor stage, when it needs it."""
    if ctx.args.train:
        s = ctx.splits
        say(f"   your images {ctx.args.train}: {len(s.train)} train, {len(s.validation)} validation, "
            f"{len(s.test)} test")
        return {"source": str(ctx.args.train), "train": len(s.train), "validation": len(s.validation),
                "test": len(s.test)}
    sizes = split_sizes(ctx.args.scale)
    value = {"source": "kit dataset (shared/datasets/attachments.py, seed 0)", "folder": str(ctx.data_dir),
             **sizes, "scale": ctx.args.scale}
    if all(_drawn(ctx.data_dir / name, n) for name, n in sizes.items()):
        say(f"   the kit's images are already in {ctx.data_dir} ({sizes}): reused")
        return value
    draw_kit_images(ctx)
    return value


def split_sizes(scale: float) -> dict[str, int]:
    from shared.datasets.attachments import SPLIT_SIZES

    return {name: max(10, round(n * scale)) for name, n in SPLIT_SIZES.items()}


def draw_kit_images(ctx: Context) -> None:
    from shared.datasets.attachments import write_dataset

    if ctx.args.stage in ("all", "baseline"):
        _check_baseline_is_written()
    sizes = split_sizes(ctx.args.scale)
    say(f"   drawing the kit's images into {ctx.data_dir} ({sizes}; about 60 images/s per core)...")
    write_dataset(ctx.data_dir, sizes=sizes, scenarios=(), workers=2)


def _check_baseline_is_written() -> None:
    """Drawing the images takes a minute: when the next stage's exercise (2, the baseline's
    features) is still the starter code, stop now with its message rather than after the wait."""
    import io

    from PIL import Image

    from labs.gcp.attachments.baseline import image_features

    blank = io.BytesIO()
    Image.new("RGB", (64, 64)).save(blank, format="PNG")
    image_features(blank.getvalue())


def _drawn(folder: Path, count: int) -> bool:
    """FOLDER holds COUNT images written by the kit (its labels.jsonl is written last)."""
    from shared.datasets.attachments import read_labels

    try:
        return len(read_labels(folder)) == count
    except (OSError, ValueError):
        return False


def stage_baseline(ctx: Context) -> dict:
    from labs.gcp.attachments import track
    from labs.gcp.attachments.baseline import train_baseline

    started = time.perf_counter()
    model = train_baseline(ctx.splits.train)
    train_s = time.perf_counter() - started
    predicted = model.predict([i.data for i in ctx.splits.test])
    with track.start_run("baseline") as run:
        metrics = _log_test(ctx, {"model": "image features + logistic regression"}, {}, predicted, "baseline")
    say(f"   image features + logistic regression: test macro-F1 {metrics['macro_f1']:.3f}, accuracy "
        f"{metrics['accuracy']:.3f} (n={metrics['n']})")
    return {**metrics, "train_seconds": round(train_s, 1), "mlflow_run": run.info.run_id}


def stage_train(ctx: Context) -> dict:
    from labs.gcp.attachments import trainer

    say("   training the CNN with default parameters (early stopping on validation macro-F1)...")
    return _finish_model(ctx, trainer.train(ctx.splits), "default")


def stage_tune(ctx: Context) -> dict:
    from labs.gcp.attachments import track, tune
    from labs.gcp.attachments.trainer import METRIC, TrainResult

    tune.vertex_parameter_spec()  # checked first: a mistake in it would show only after the local search
    say(f"   keras-tuner (Bayesian, {tune.MAX_TRIALS} trials of up to {tune.EPOCHS} epochs)...")
    search = tune.local_search(ctx.splits, ctx.out / "keras_tuner")
    for k, trial in enumerate(search.trials):
        with track.start_run(f"keras-tuner trial {k}", {"tuner": "keras-tuner"}):
            import mlflow

            mlflow.log_params(trial["params"])
            mlflow.log_metric(METRIC, trial["value"])
    say(f"   best {METRIC} {search.best_value:.4f} with {_fmt(search.best_params)} ({search.seconds:.0f} s)")
    history = search.best_history
    best_epoch = 1 + max(range(len(history[METRIC])), key=lambda i: history[METRIC][i])
    tuned = _finish_model(ctx, TrainResult(search.best_model, search.best_params, history, best_epoch,
                                           search.seconds / max(1, len(search.trials))), "tuned")
    vertex = _vertex_tuning(ctx)
    candidates = {"default": ctx.results.need("train"), "tuned": tuned}
    chosen = max(candidates, key=lambda k: candidates[k]["val_macro_f1"])
    version = track.register(candidates[chosen]["mlflow_run"], track.REGISTERED_MODEL,
                             description=f"{chosen} CNN, {_fmt(candidates[chosen]['params'])}")
    say(f"   chosen: the {chosen} model (validation {candidates[chosen]['val_macro_f1']:.4f}); registered "
        f"in MLflow as {track.REGISTERED_MODEL} v{version}")
    return {"local": {"best_params": search.best_params, "best_value": search.best_value,
                      "trials": search.trials, "seconds": round(search.seconds, 1)},
            **{k: tuned[k] for k in ("macro_f1", "accuracy", "n")}, "tuned": tuned, "vertex": vertex,
            "chosen": chosen, "registered_version": version}


def _vertex_tuning(ctx: Context) -> dict:
    from labs.gcp.attachments import track, tune

    started = time.perf_counter()
    data_uri = _upload_train(ctx) if ctx.args.train else None
    say(f"   Vertex HyperparameterTuningJob: {ctx.args.vertex_trials} trials of trainer.py on at most 300 "
        f"{'of your' if data_uri else 'generated'} images, same search space...")
    job = tune.vertex_search(ctx.conn, ctx.out / "package", max_trials=ctx.args.vertex_trials, data_uri=data_uri)
    params, value, trial_id = tune.best_trial(job)
    for trial in job.trials:
        if trial.final_measurement and trial.final_measurement.metrics:
            with track.start_run(f"vertex trial {trial.id}", {"tuner": "vertex"}):
                import mlflow

                mlflow.log_params({p.parameter_id: p.value for p in trial.parameters})
                mlflow.log_metric(tune.OBJECTIVE[0], trial.final_measurement.metrics[0].value)
    seconds = time.perf_counter() - started
    say(f"   Vertex best trial {trial_id}: {tune.OBJECTIVE[0]} {value:.4f} with {_fmt(params)} ({seconds:.0f} s)")
    return {"best_params": params, "best_value": value, "trial": trial_id, "job": job.resource_name,
            "seconds": round(seconds, 1),
            "data": data_uri or "kit images drawn by each trial",
            "note": "trials train on at most 300 images for 4 epochs: a search, not a final model"}


def _upload_train(ctx: Context) -> str:
    """Your --train images (this run's train and validation splits) in the staging bucket, where
    the tuning job's trials read them (trainer.py --data-dir)."""
    from shared.gcp import upload_dir

    folder = ctx.out / "tuning_data"
    for name, items in (("train", ctx.splits.train), ("validation", ctx.splits.validation)):
        _write_labelled(items, folder / name)
    uri = f"{ctx.conn.staging_bucket}/tuning-data/{int(time.time() * 1000)}"
    say(f"   uploading your {len(ctx.splits.train)} train and {len(ctx.splits.validation)} validation images "
        f"to {uri} for the trials...")
    upload_dir(folder, uri)
    return uri


def _write_labelled(items, folder: Path) -> None:
    """ITEMS as image files and a labels.jsonl (file, id, type): a folder trainer.py can read."""
    import io
    import shutil

    from PIL import Image

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows = []
    for k, item in enumerate(items):
        with Image.open(io.BytesIO(item.data)) as image:
            suffix = {"JPEG": "jpg"}.get(image.format, image.format.lower())
        name = f"{k:05d}.{suffix}"
        (folder / name).write_bytes(item.data)
        rows.append(json.dumps({"file": name, "id": item.id, "type": item.type}))
    (folder / "labels.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def stage_deploy(ctx: Context) -> dict:
    from labs.gcp.attachments import classify, deploy
    from labs.gcp.attachments.evaluate import evaluate

    model_dir = _chosen_model_dir(ctx)
    say(f"   uploading {model_dir} to Vertex and deploying it to an endpoint...")
    endpoint = _ensure_endpoint(ctx, model_dir)
    items = ctx.user_input if ctx.user_input is not None else ctx.splits.test
    started = time.perf_counter()
    results = classify.classify(deploy.endpoint_predictor(endpoint), items, batches=deploy.request_batches)
    seconds = time.perf_counter() - started
    _write_predictions(ctx.out / "predictions" / "test.jsonl", items, results)
    value = {"model_dir": str(model_dir), "endpoint": endpoint.resource_name,
             "source": str(ctx.args.input or "test split"), "images": len(items),
             "images_per_s": round(len(items) / seconds, 1), "predict_seconds": round(seconds, 1),
             "latency_note": "latency_s per image = its request's time / images in the request"}
    if all(i.type for i in items):
        value.update(evaluate([i.type for i in items], [r["predicted_type"] for r in results]))
        say(f"   endpoint: macro-F1 {value['macro_f1']:.3f}, accuracy {value['accuracy']:.3f} on "
            f"{len(items)} images, {value['images_per_s']} images/s")
    else:
        say(f"   endpoint: {len(items)} images predicted (no labels: no accuracy), {value['images_per_s']} images/s")
    return value


def stage_monitor(ctx: Context) -> dict:
    from labs.gcp.attachments import classify, deploy, monitor

    endpoint = _ensure_endpoint(ctx, _chosen_model_dir(ctx))
    predictor = deploy.endpoint_predictor(endpoint)

    def predict(items):
        return classify.classify(predictor, items, batches=deploy.request_batches)

    baseline = monitor.build_baseline(ctx.splits.train, predict(ctx.splits.validation))
    scenarios = ctx.user_stream if ctx.user_stream is not None else read_stream(_kit_stream(ctx))
    report, written = {"thresholds": {**{k: 0.3 for k in monitor.KINDS}, **monitor.THRESHOLDS}}, []
    smallest = min(len(w) for ws in scenarios.values() for w in ws)
    if smallest < monitor.WINDOW_SIZE:
        raised = monitor.size_thresholds(baseline, smallest)
        report["note"] = (f"windows of {smallest} images: the thresholds are set for {monitor.WINDOW_SIZE}; each is "
                          "raised to the distance chance alone reaches at a window's size (" +
                          ", ".join(f"{k} {v:.2f}" for k, v in raised.items()) + f" at {smallest}), so a "
                          "small window alerts only on a large drift")
        say(f"   note: {report['note']}")
    for scenario, windows in scenarios.items():
        preds = [predict(w) for w in windows]
        written += [(i, p) for w, ps in zip(windows, preds, strict=True) for i, p in zip(w, ps, strict=True)]
        reports = monitor.monitor_windows(baseline, windows, preds)
        say(f"   scenario {scenario}:")
        for r in reports:
            say("     " + r.line())
        report[scenario] = {"first_alert": monitor.first_alert(reports), "windows": [r.as_dict() for r in reports]}
    _write_predictions(ctx.out / "predictions" / "stream.jsonl", *zip(*written, strict=True))
    if ctx.user_stream is None and len(next(iter(scenarios.values()))) > max(RECENT_WINDOWS) + 1:
        report["retraining"] = _retrain_on_recent(ctx, scenarios, report)
    return report


def _kit_stream(ctx: Context) -> Path:
    """<out>/data/stream: the kit's five scenarios, drawn now unless an earlier run drew them at
    this scale (the run that gives --stream DIR never draws them)."""
    from shared.datasets.attachments import SCENARIOS, WINDOWS, write_dataset
    from shared.datasets.attachments import WINDOW_SIZE as KIT_WINDOW

    scale = ctx.results.stages.get("data", {}).get("scale", ctx.args.scale)
    per_window = max(10, round(KIT_WINDOW * scale))
    folder = ctx.data_dir / "stream"
    if not all(_drawn(folder / name, WINDOWS * per_window) for name in SCENARIOS):
        say(f"   drawing the kit's stream into {folder} ({len(SCENARIOS)} scenarios x {WINDOWS} windows x "
            f"{per_window} images)...")
        write_dataset(ctx.data_dir, sizes={}, per_window=per_window, workers=2)
    return folder


def read_stream(folder: Path) -> dict[str, list[list]]:
    """A stream folder as {scenario: [window, ...]}. A folder whose images sit in subfolders (the
    dataset's stream/<scenario>/ layout) holds one scenario per subfolder, named after it; a
    folder of images is one scenario, "input". Windows come from the labels' 'window' field,
    else WINDOW_SIZE images each in file-name order."""
    from labs.gcp.attachments import data

    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subfolders and not any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir()):
        return {p.name: _windows(data.load_folder(p)) for p in subfolders}
    return {"input": _windows(data.load_folder(folder))}


def _windows(items: list) -> list[list]:
    if all("window" in i.extra for i in items):
        numbers = sorted({i.extra["window"] for i in items})
        return [[i for i in items if i.extra["window"] == n] for n in numbers]
    return [items[k:k + WINDOW_SIZE] for k in range(0, len(items), WINDOW_SIZE)]


def _retrain_on_recent(ctx: Context, scenarios: dict, report: dict) -> dict:
    """Retrain on train + the labelled windows RECENT_WINDOWS of the scenario that lost most
    accuracy; compare the old and the new model on the windows after them."""
    from labs.gcp.attachments import classify, trainer
    from labs.gcp.attachments.data import Splits
    from labs.gcp.attachments.evaluate import evaluate
    from labs.gcp.attachments.model import export_model

    def drifted_accuracy(name):
        return sum(w["accuracy"] for w in report[name]["windows"][RECENT_WINDOWS[0]:])

    worst = min((s for s in scenarios if s != "none"), key=drifted_accuracy)
    windows = scenarios[worst]
    recent = [i for k in RECENT_WINDOWS for i in windows[k]]
    later = [i for w in windows[max(RECENT_WINDOWS) + 1:] for i in w]
    say(f"   retraining on train + {len(recent)} labelled images of '{worst}' windows "
        f"{RECENT_WINDOWS[0]}-{RECENT_WINDOWS[-1]}...")
    params = ctx.results.stages.get("tune", {}).get("tuned", {}).get("params")
    result = trainer.train(Splits(ctx.splits.train + recent, ctx.splits.validation, []), params)
    export_model(result.model, ctx.out / "models" / "retrained")
    truth = [i.type for i in later]

    def score(model_dir):
        results = classify.classify(classify.local_predictor(model_dir), later)
        return evaluate(truth, [r["predicted_type"] for r in results])

    before, after = score(_chosen_model_dir(ctx)), score(ctx.out / "models" / "retrained")
    say(f"   '{worst}' windows {max(RECENT_WINDOWS) + 1}-{len(windows) - 1}: accuracy {before['accuracy']:.2f} "
        f"before, {after['accuracy']:.2f} after retraining (n={len(later)})")
    return {"scenario": worst, "added_images": len(recent), "before": before, "after": after}


# Helpers --------------------------------------------------------------------------------------

def _finish_model(ctx: Context, result, name: str) -> dict:
    """Export, evaluate on test (through the exported model, as served), and track one CNN."""
    from labs.gcp.attachments import classify, track
    from labs.gcp.attachments.model import export_model
    from labs.gcp.attachments.trainer import METRIC

    model_dir = export_model(result.model, ctx.out / "models" / name)
    results = classify.classify(classify.local_predictor(model_dir), ctx.splits.test)
    with track.start_run(name) as run:
        metrics = _log_test(ctx, result.params, result.history, [r["predicted_type"] for r in results], name)
        track.log_model_dir(model_dir)
    say(f"   {name} CNN: best epoch {result.best_epoch}, validation macro-F1 {result.best:.4f}, test macro-F1 "
        f"{metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f} (n={metrics['n']}), {result.seconds:.1f} s")
    return {**metrics, "params": result.params, "val_macro_f1": result.best, "best_epoch": result.best_epoch,
            "epochs": len(result.history[METRIC]), "train_seconds": round(result.seconds, 1),
            "model_dir": str(model_dir), "mlflow_run": run.info.run_id}


def _log_test(ctx: Context, params: dict, history: dict, predicted: list[str], name: str) -> dict:
    import mlflow

    from labs.gcp.attachments.evaluate import confusion, evaluate

    truth = [i.type for i in ctx.splits.test]
    metrics = evaluate(truth, predicted)
    plots = ctx.out / "plots" / name
    plots.mkdir(parents=True, exist_ok=True)
    tracked = ctx.log_training(params, history, confusion(truth, predicted), plots)
    mlflow.log_metrics({f"test_{k}": float(v) for k, v in metrics.items()})
    return {**metrics, "tracked": tracked}


def _chosen_model_dir(ctx: Context) -> Path:
    tune = ctx.results.stages.get("tune")
    chosen = tune["tuned"] if tune and tune["chosen"] == "tuned" else ctx.results.need("train")
    return Path(chosen["model_dir"])


def _ensure_endpoint(ctx: Context, model_dir: Path):
    from labs.gcp.attachments import deploy

    if ctx.endpoint is None:
        if not (model_dir / "saved_model.pb").is_file():
            raise StageError(f"no exported model in {model_dir}; run --stage train first.")
        ctx.endpoint = deploy.deploy_model(deploy.upload_model(model_dir, ctx.conn))
    return ctx.endpoint


def _write_predictions(path: Path, items, results) -> None:
    """One JSON line per image (the contract of the image pair), written whole then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for item, r in zip(items, results, strict=True):
            row = {"id": r["id"], "predicted_type": r["predicted_type"], "probabilities": r["probabilities"],
                   "latency_s": r["latency_s"], "true_type": item.type}
            row.update({k: item.extra[k] for k in ("scenario", "window") if k in item.extra})
            f.write(json.dumps(row) + "\n")
    tmp.replace(path)


def _fmt(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


STAGE_FUNCS = {"data": stage_data, "baseline": stage_baseline, "train": stage_train, "tune": stage_tune,
               "deploy": stage_deploy, "monitor": stage_monitor}


def print_summary(stages: dict, emulated: bool) -> None:
    """One table of what each finished stage produced (figures from results.json)."""
    say("\nSummary" + (" (mock mode: Vertex AI emulated locally; the models are real)" if emulated else ""))
    rows = [("stage", "what", "macro-F1", "accuracy", "n", "seconds")]
    for stage, what in (("baseline", "features + logistic regression"), ("train", "CNN, default parameters"),
                        ("tune", "CNN, tuned"), ("deploy", "chosen CNN through the endpoint")):
        s = stages.get(stage)
        if s and "macro_f1" in s:
            rows.append((stage, what, f"{s['macro_f1']:.3f}", f"{s['accuracy']:.3f}", str(s["n"]), str(s["seconds"])))
    mon = stages.get("monitor")
    if mon:
        first = ", ".join(f"{k}:{v['first_alert'] if v['first_alert'] is not None else '-'}"
                          for k, v in mon.items() if isinstance(v, dict) and "first_alert" in v)
        rows.append(("monitor", f"first alert window {first}", "", "", "", str(mon["seconds"])))
        r = mon.get("retraining")
        if r:
            rows.append(("", f"retrained on '{r['scenario']}': accuracy {r['before']['accuracy']:.2f} -> "
                             f"{r['after']['accuracy']:.2f}", "", "", str(r["before"]["n"]), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
