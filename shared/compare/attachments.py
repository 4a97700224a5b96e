"""The image pair: both attachment labs on the same images, read back into StackRuns.

Compare writes one small dataset folder under OUT (``data/test`` and ``data/stream``, the
attachment dataset's own ``--input`` format) and gives the same folders to both labs, so both
see exactly the same images. The labels stay with compare: each prediction is joined to its
label by image id here, never taken from what a lab says the label was.

What the labs write is their README's "What a run writes" (/work/notes/image-contract.md was
the draft): the Azure lab's ``results.db`` (one row per image, one per HTTP call) and the GCP
lab's ``results.json`` and ``predictions/<split>.jsonl``.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from shared.compare.collect import GCP_PRICES, CompareError, CompareOptions, read_store
from shared.compare.records import Prediction, StackRun, Terms, round_volume
from shared.datasets import attachments as dataset

IMAGES = Terms(
    "image", "images", "type", dataset.TYPES,
    usage_unit="transactions",
    usage_move="Azure price per image (billed transactions per image, or their price)",
    latency_definition="the duration of the request that carried it ÷ the images in it",
    drift_start=dataset.DRIFT_START,
    measure_hint="Run with --target cloud and an Azure AI Vision resource (VISION_ENDPOINT, VISION_KEY) to "
                 "measure its quality.")
LABS = {"azure": "azure/attachments", "gcp": "gcp/attachments"}
AZURE_STAND_IN = ("The Azure AI Vision emulator answers with stand-ins, not Azure's models: 'read' runs a real "
                  "OCR engine (RapidOCR, PP-OCRv4), the other features are classical computer vision on the pixels.")
GCP_STAND_IN = ("The Vertex emulator serves the lab's own trained CNN on this machine; only the serving "
                "infrastructure and its latency are emulated.")
NO_TEXT = "not applicable: the lab's CNN classifies pixels and cannot read text"


# ---- the same images for both labs ------------------------------------------------------------

def prepare_data(opts: CompareOptions) -> dict[str, Path]:
    """The compared images in the dataset's own layout under OUT/data, written once (a rerun with
    the same sizes keeps them; the dataset is deterministic, so they would be the same):
    "test" (the first LIMIT test images), "stream/<scenario>" (PER_WINDOW images per window of each
    drift scenario), "train" (TRAIN_IMAGES, for the GCP lab) and, when the Azure lab classifies
    fewer, "azure/stream/<scenario>" (the first AZURE_PER_WINDOW of each window: the same files)."""
    data = opts.out / "data"
    few = opts.azure_per_window if opts.azure_per_window and opts.azure_per_window < opts.per_window else None
    sizes = {"seed": 0, "limit": opts.limit, "per_window": opts.per_window, "azure": few, "train": opts.train_images}
    folders = {"test": data / "test", "train": data / "train",
               **{f"stream/{sc}": data / "stream" / sc for sc in dataset.SCENARIOS},
               **({f"azure/stream/{sc}": data / "azure" / "stream" / sc for sc in dataset.SCENARIOS} if few else {})}
    stamp = data / "sizes.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == sizes:
        return folders
    stream_n = opts.per_window * dataset.WINDOWS * len(dataset.SCENARIOS)
    print(f"compare attachments: drawing {opts.limit} test, {stream_n} stream and {opts.train_images} train images "
          f"into {data} (once)", flush=True)
    stamp.unlink(missing_ok=True)
    dataset.write_folder(dataset.generate(opts.train_images, seed=0, split="train"), folders["train"])
    dataset.write_folder(dataset.generate(opts.limit, seed=0, split="test"), folders["test"])
    for scenario in dataset.SCENARIOS:
        windows = dataset.stream(scenario, per_window=opts.per_window, seed=0)
        dataset.write_folder([item for window in windows for item in window], folders[f"stream/{scenario}"])
        if few:
            dataset.write_folder([item for window in windows for item in window[:few]],
                                 folders[f"azure/stream/{scenario}"])
    stamp.write_text(json.dumps(sizes))
    return folders


def read_truth(folders: dict[str, Path]) -> dict[str, dict]:
    """Label rows of the compared images (test and stream) by id, with the split they were given as."""
    return {row["id"]: {**row, "split": name.split("/")[0]} for name, folder in folders.items()
            if name == "test" or name.startswith("stream/") for row in dataset.read_labels(folder)}


def azure_folders(folders: dict[str, Path], with_stream: bool = True) -> dict[str, Path]:
    """What the Azure lab analyses: the test folder, and (WITH_STREAM) each scenario's stream (its
    subset when the Azure lab classifies fewer images a window), by the name of its store under BASE."""
    if not with_stream:
        return {"test": folders["test"]}
    stream = {n.removeprefix("azure/"): f for n, f in folders.items() if n.startswith("azure/stream/")}
    return {"test": folders["test"], **(stream or {n: f for n, f in folders.items() if n.startswith("stream/")})}


OFFLINE_AZURE_LIMIT = 10  # test images the Azure lab analyses offline unless --azure-limit says otherwise


def azure_test_limit(opts: CompareOptions) -> int:
    """--azure-limit, else all --limit test images when the Azure quality is measured, else 10."""
    return opts.azure_limit or (opts.limit if azure_quality_measurable(opts) else min(opts.limit, OFFLINE_AZURE_LIMIT))


def azure_quality_measurable(opts: CompareOptions) -> bool:
    """Offline (mock, no cassette) the Azure side's types are the emulator's stand-ins: never shown
    per window, so its stream is not analysed (the OCR stand-in takes seconds an image)."""
    return opts.target == "cloud" or opts.azure_cassette is not None


def _prediction(row: dict, predicted_type: str | None, status: str = "classified",
                predicted_fields: dict | None = None) -> Prediction:
    return Prediction(id=row["id"], split=row["split"], category=row["type"], priority=None,
                      predicted_category=predicted_type, predicted_priority=None, status=status,
                      scenario=row.get("scenario"), window=row.get("window"),
                      fields=row.get("fields") or {}, predicted_fields=predicted_fields)


# ---- Azure: results.db ------------------------------------------------------------------------

def azure_images_from(base: Path, truth: dict[str, dict], emulated: bool, prices: dict[str, float],
                      price_source: str) -> StackRun:
    """Per-image type, fields, latency and billed transactions from the Azure lab's stores:
    BASE/test/results.db and BASE/stream/<scenario>/results.db. PRICES: USD per 1,000
    transactions of each feature."""
    predictions, calls, test_rows, test_calls, meta, transactions = [], [], [], [], {}, 0
    stream = sorted(p for p in (base / "stream").glob("*") if p.is_dir())
    for folder in [base / "test", *stream]:
        results, split_calls, meta = read_store(folder / "results.db", "image_id", "Azure attachments lab")
        calls += split_calls
        transactions += sum(r["transactions"] or 0 for r in results)
        if folder.name == "test":
            test_rows, test_calls = results, split_calls
        for row in results:
            if row["image_id"] not in truth:
                raise CompareError(f"{folder / 'results.db'} holds image {row['image_id']!r}, which is not in "
                                   f"the compared images: remove {base} and run the comparison again.")
            done = row["status"] == "done"
            predictions.append(_prediction(
                truth[row["image_id"]], row["type"] if done else None,
                {"done": "classified", "refused": "filtered"}.get(row["status"], "failed"),
                json.loads(row["fields"] or "{}") if done else None))  # unanswered: no extraction to score
    features = list(meta.get("features") or [])
    missing = [f for f in features if f not in prices]
    if missing:
        raise CompareError(f"No price for the Vision feature(s) {', '.join(missing)} in {price_source}; add them.")
    # Every call of a run asks for the same features and bills one transaction each, so billed
    # calls = transactions / features, and each billed call costs the sum of its features' prices.
    per_call = sum(prices[f] for f in features) / 1000
    cost = transactions / max(1, len(features)) * per_call
    latencies = [r["latency_s"] for r in test_rows if r["status"] == "done" and r["latency_s"] is not None]
    span = (max(c["started_at"] + c["latency_s"] for c in test_calls) - min(c["started_at"] for c in test_calls)
            if test_calls else 0.0)
    outcomes = [c["outcome"] for c in calls]
    ok = [c for c in calls if c["outcome"] == "ok"]
    code, tier = meta.get("code", "unknown"), meta.get("tier", "?")
    priced = ", ".join(f"{f} ${prices[f]:.2f}" for f in features)
    return StackRun(
        stack="azure", title="Azure AI Vision (AI-102 way)", emulated=emulated, stand_in=AZURE_STAND_IN,
        predictions=predictions, test_latencies_s=latencies,
        test_latency_by_id={r["image_id"]: r["latency_s"] for r in test_rows if r["status"] == "done"},
        throughput_per_s=len(latencies) / span if span > 0 else float("nan"),
        throughput_basis=f"{len(latencies)} images, one per request, several in flight",
        time_to_first_result_s=min((c["latency_s"] for c in ok), default=float("nan")),
        cost_per_item_usd=cost / max(1, len(predictions)),
        usage={"transactions": transactions}, code=code,
        usage_source=(f"transactions billed as the emulator counts them: one per feature per call "
                      f"({', '.join(features)}); calls answered 429 or 5xx are not billed"),
        quality_source=None if emulated else f"Azure AI Vision ({tier}), answered live",
        fields_source=("emulated: the lab's field extraction on the emulator's OCR (RapidOCR, PP-OCRv4), a real "
                       "OCR engine but not Azure's Read model; not a measure of Azure's quality" if emulated
                       else "the lab's field extraction on Azure AI Vision Read, answered live"),
        speed_source=("emulated: the emulator's own time (stand-in models on this machine), not Azure's" if emulated
                      else "measured against the Azure AI Vision resource"),
        quota={"requests": len(calls), "answered": outcomes.count("ok"),
               "rate limited (429)": outcomes.count("429"),
               "server errors and dropped connections": sum(o not in ("ok", "429", "timeout") for o in outcomes),
               "timed out": outcomes.count("timeout"),
               "images retried": sum((r["attempts"] or 0) > 1 for r in test_rows),
               "images refused": sum(p.status == "filtered" for p in predictions),
               "images failed": sum(p.status == "failed" for p in predictions)},
        cost_assumptions=[f"Azure AI Vision Image Analysis, {tier} tier: USD per 1,000 transactions {priced} "
                          f"({price_source}); one transaction per feature per call, {len(features)} features a call "
                          "in this run, pay-as-you-go, no fixed charge."],
        notes=[f"code: {code}.", f"{len(calls)} requests ({len(ok)} answered), one image per request; latency per "
               "image is the latency of the call that answered it.",
               "Drift monitoring is not part of the Azure lab: a pre-trained model has no training distribution "
               "of yours to compare with."],
        terms=IMAGES)


# ---- GCP: results.json and predictions/*.jsonl ------------------------------------------------

def _gcp_predictions(path: Path, truth: dict[str, dict]) -> list[dict]:
    if not path.is_file():
        raise CompareError(f"No GCP predictions at {path}: the GCP attachments lab has not predicted there.")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    unknown = [r["id"] for r in rows if r["id"] not in truth]
    if unknown:
        raise CompareError(f"{path} holds image {unknown[0]!r}, which is not in the compared images: remove "
                           f"{path.parent} and run the comparison again.")
    return rows


def monitored(base: Path, truth: dict[str, dict]) -> tuple[dict, list[dict]]:
    """The monitor stage's per-scenario entries (stages.monitor.<scenario>: the lab monitors each
    subfolder of OUT/data/stream as one scenario) and the stream's predictions."""
    monitor = json.loads((base / "results.json").read_text()).get("stages", {}).get("monitor", {})
    order = {sc: k for k, sc in enumerate(dataset.SCENARIOS)}  # the dataset's order: "none" first
    monitor = dict(sorted(monitor.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return monitor, _gcp_predictions(base / "predictions" / "stream.jsonl", truth)


def gcp_images_from(base: Path, truth: dict[str, dict], emulated: bool) -> StackRun:
    """The GCP lab's per-image predictions and latencies, its training time and its drift alerts."""
    results = json.loads((base / "results.json").read_text())
    stages = results.get("stages", {})
    prices = tomllib.loads(GCP_PRICES.read_text())
    tr, sv = prices["training"], prices["serving"]
    monitor, stream = monitored(base, truth)
    predictions, latency = [], {}
    for r in _gcp_predictions(base / "predictions" / "test.jsonl", truth):
        predictions.append(_prediction(truth[r["id"]], r["predicted_type"]))
        latency[r["id"]] = r.get("latency_s")
    predictions += [_prediction(truth[r["id"]], r["predicted_type"]) for r in stream]
    measured = [v for v in latency.values() if v is not None]
    # Same definition as the Azure side: images answered / wall-clock time from the first request
    # to the last answer; the lab sends its batches one after another, so that is the sum of each
    # image's share of its batch.
    span = sum(measured)
    throughput = len(measured) / span if span > 0 else float("nan")
    capacity = throughput * 3600 if span > 0 else sv["images_per_node_hour"]
    # training as a Vertex job would bill it: the fit itself (the stage also exports and evaluates)
    train_s = sum(stages[s].get("train_seconds", stages[s].get("seconds", 0.0)) for s in ("train", "tune")
                  if s in stages)
    deploy = stages.get("deploy", {})
    deploy_s = deploy.get("seconds", 0.0) - deploy.get("predict_seconds", 0.0)
    billed_h = max(train_s / 3600, tr["min_billed_minutes"] / 60)
    code = results.get("code", "unknown")
    return StackRun(
        stack="gcp", title="Custom CNN on Vertex AI (PMLE way)", emulated=emulated, stand_in=GCP_STAND_IN,
        predictions=predictions, test_latencies_s=measured, test_latency_by_id=latency,
        throughput_per_s=throughput,
        throughput_basis=f"{len(measured)} images in batches, one batch at a time",
        time_to_first_result_s=train_s + deploy_s + min(measured, default=0.0),
        cost_fixed_usd=billed_h * tr["node_hour_usd"] * tr["retrains_per_month"],
        serving_node_hour_usd=sv["node_hour_usd"], items_per_node_hour=capacity,
        alerts=monitor_alerts(monitor), code=code,
        quality_source="own CNN, trained on this machine",
        fields_source=NO_TEXT,
        speed_source=("measured on this machine: the trained CNN behind the local Vertex emulator" if emulated
                      else "measured against the Vertex AI endpoint"),
        cost_assumptions=[
            f"Vertex AI training: ${tr['node_hour_usd']:.2f} per node-hour, at least {tr['min_billed_minutes']:.0f} "
            f"min billed per job, retrained {tr['retrains_per_month']}x per month ({billed_h * 60:.0f} billed min "
            "each, from this run's training time).",
            f"Vertex AI online prediction: ${sv['node_hour_usd']:.2f} per node-hour, one node up "
            f"{sv['hours_per_month']} h a month whether used or not; more nodes above about {round_volume(capacity)} "
            f"images per node-hour ({'measured on this machine' if span > 0 else 'assumed'}).",
            f"GCP prices from shared/compare/{GCP_PRICES.name} (us-central1 list prices, rounded)."],
        notes=[f"code: {code}.", f"time to first result = training {train_s:.0f} s + deployment {deploy_s:.0f} s + "
               "first prediction.", _trained_on(stages.get("data", {})),
               "latency per image: the lab's batch latency ÷ the images in the batch (its predictions file).",
               f"serving capacity per node {'measured on this machine' if span > 0 else 'assumed'}: about "
               f"{round_volume(capacity)} images/hour.",
               *([f"drift monitor: {monitor['note']}."] if isinstance(monitor.get("note"), str) else [])],
        terms=IMAGES)


def _trained_on(data: dict) -> str:
    sizes = ", ".join(f"{data[k]} {k}" for k in ("train", "validation", "test") if isinstance(data.get(k), int))
    return f"the CNN learned from {sizes} images ({data.get('source', 'source not recorded')})." if sizes else \
        "training set size not recorded by the lab."


def monitor_alerts(monitor: dict) -> dict[str, dict[int, list[str]]]:
    """scenario -> window -> features alerted, from the monitor stage's per-scenario windows
    (a list of {"window", "alerts", ...} per scenario; entries that are not windows are skipped)."""
    out = {}
    for scenario, windows in monitor.items():
        if isinstance(windows, dict):  # {"windows": [...]} or {window: {...}}
            windows = windows.get("windows", [dict(w, window=int(k)) for k, w in windows.items()
                                              if isinstance(w, dict) and str(k).isdigit()])
        if windows and isinstance(windows, list) and all(isinstance(w, dict) and "alerts" in w for w in windows):
            out[scenario] = {int(w["window"]): list(w["alerts"]) for w in windows}
    return out


# ---- running the labs -------------------------------------------------------------------------

def _lab_main(stack: str):
    import importlib

    return importlib.import_module(f"labs.{stack}.attachments.run").main


def _check(code: int, args: list[str], out: Path) -> None:
    if code != 0:
        raise CompareError(f"labkit run {args[0]} {' '.join(args[1:])} failed (exit {code}); its output so far is "
                           f"in {out}. Fix the problem above and run the comparison again: finished work is kept.")


def run_azure(opts: CompareOptions, folders: dict[str, Path], truth: dict[str, dict]) -> StackRun:
    """The Azure lab on the test folder and on each scenario's stream folder (azure_folders), each
    into its own store (BASE/test, BASE/stream/<scenario>); --resume keeps images already answered.
    With a cassette, the lab runs against a local proxy that replays (or records) Azure's answers."""
    if opts.azure_cassette is None:
        _run_azure_lab(opts, folders, opts.target)
        return azure_images_from(opts.base("azure"), truth, emulated=opts.target == "mock", **azure_prices())
    from shared.compare.cassette import CassetteProblem, read_vision_info, vision_through_cassette

    try:
        with vision_through_cassette(opts.azure_cassette, record=opts.azure_record):
            _run_azure_lab(opts, folders, "cloud")
        info = read_vision_info(opts.azure_cassette)
    except CassetteProblem as exc:
        raise CompareError(str(exc)) from None
    except CompareError as exc:
        if opts.azure_record:
            raise
        raise CompareError(f"{exc} With a cassette, every request must have been recorded: replay with the --limit, "
                           "--azure-limit, --per-window and --azure-per-window it was recorded with.") from None
    return recorded(azure_images_from(opts.base("azure"), truth, emulated=info.from_emulator, **azure_prices()),
                    info, replayed=not opts.azure_record)


def _run_azure_lab(opts: CompareOptions, folders: dict[str, Path], target: str) -> None:
    main, base = _lab_main("azure"), opts.base("azure")
    for name, folder in azure_folders(folders, azure_quality_measurable(opts)).items():
        limit = ["--limit", str(azure_test_limit(opts))] if name == "test" else []
        args = ["--target", target, "--split", name.split("/")[0], "--input", str(folder), *limit,
                "--out", str(base / name), "--resume", "--no-mlflow"]
        _check(main(args), [LABS["azure"], *args], base / name)


def recorded(run: StackRun, info, replayed: bool) -> StackRun:
    """The Azure side as a cassette answered it: labelled by what it was recorded from (only an Azure
    AI Vision endpoint makes its quality a measured result), and a replay's speed not measured."""
    run.quality_source = None if info.from_emulator else info.label
    run.fields_source = (f"the lab's field extraction on Azure AI Vision Read, {info.label}" if not info.from_emulator
                         else f"{run.fields_source} ({info.label})")
    run.stand_in = f"The Azure answers were {info.label} ({info.exchanges} exchanges in {info.path.name})."
    if replayed:  # a replay answers at local speed: it is not the service's latency
        run.speed_source = "replayed from the cassette: latency and throughput not measured"
        run.test_latencies_s, run.test_latency_by_id = [], {}
        run.throughput_per_s, run.throughput_basis = float("nan"), ""
    else:
        run.speed_source = f"measured against {info.upstream} through the recording proxy"
    return run


def run_gcp(opts: CompareOptions, folders: dict[str, Path], truth: dict[str, dict]) -> StackRun:
    """The GCP lab's stages, each once (a rerun keeps the stages its results.json holds): trained on
    OUT/data/train, deployed and scored on the test folder, then monitored on OUT/data/stream, whose
    subfolders the lab monitors as one scenario each (stages.monitor.<scenario>)."""
    main, base = _lab_main("gcp"), opts.base("gcp")
    results = base / "results.json"
    for stage in GCP_STAGES:
        done = json.loads(results.read_text()).get("stages", {}) if results.is_file() else {}
        if stage in done:
            print(f"{LABS['gcp']}: stage {stage} already done in {base}, kept", flush=True)
            continue
        data = ["--stream", str(folders["test"].parent / "stream")] if stage == "monitor" else \
            ["--input", str(folders["test"])]
        args = ["--target", opts.target, "--stage", stage, "--out", str(base), "--train", str(folders["train"]), *data]
        _check(main(args), [LABS["gcp"], *args], base)
    return gcp_images_from(base, truth, emulated=opts.target == "mock")


GCP_STAGES = ("data", "train", "deploy", "monitor")
AZURE_PRICES = Path(__file__).resolve().parents[2] / "labs" / "azure" / "attachments" / "prices.toml"


def azure_prices() -> dict:
    """USD per 1,000 transactions per feature, from the Azure lab's own price file."""
    if not AZURE_PRICES.is_file():
        raise CompareError(f"No Azure AI Vision prices at {AZURE_PRICES}: the Azure attachments lab is not ready.")
    prices = tomllib.loads(AZURE_PRICES.read_text())
    return {"prices": prices.get("features", prices), "price_source": str(AZURE_PRICES.relative_to(
        AZURE_PRICES.parents[3]))}


def collect(opts: CompareOptions) -> list[StackRun]:
    """Both labs on the same images: [azure, gcp] (see compared)."""
    folders = prepare_data(opts)
    truth = read_truth(folders)
    return compared([run_azure(opts, folders, truth), run_gcp(opts, folders, truth)], opts)


def compared(runs: list[StackRun], opts: CompareOptions) -> list[StackRun]:
    """[azure, gcp] on the images both answered when both qualities are measured; otherwise each
    keeps what it answered (the CNN more test images than the slow offline OCR), and the page says so."""
    from shared.compare.collect import same_items

    if all(r.quality_source for r in runs):
        return same_items(runs, ("test", "stream"))
    # Nothing of the stand-in's quality is compared: each side keeps what it answered.
    azure_test = sum(p.split == "test" for p in runs[0].predictions)
    stream = "" if azure_quality_measurable(opts) else (", and no stream image: offline its types are the emulator's "
                                                         "stand-ins, whose accuracy per window is not measured")
    runs[0].notes.append(f"analysed the first {azure_test} of the {opts.limit} test images the CNN classified{stream}.")
    return runs
