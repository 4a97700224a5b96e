"""The image pair's report, from small hand-made result files in the format the two attachment labs
write (their READMEs' "What a run writes"): every figure follows the records, and an emulated Azure
side's type accuracy is never a comparison result."""

import html
import json
import random
import sqlite3
from dataclasses import replace

import pytest

from shared.compare import PAIRS, CompareError, Pair, check_ready
from shared.compare.attachments import (
    IMAGES,
    NO_TEXT,
    azure_folders,
    azure_images_from,
    azure_quality_measurable,
    azure_test_limit,
    compared,
    gcp_images_from,
    monitor_alerts,
    prepare_data,
    read_truth,
)
from shared.compare.collect import CompareOptions, same_items
from shared.compare.records import summary_row
from shared.compare.report import NOT_MEASURED, findings, table, write_report
from shared.datasets.attachments import SCENARIOS, TYPES, read_labels

PRICES = {"read": 1.5, "caption": 1.5, "tags": 1.0}  # USD per 1,000 transactions
TEST_N, PER_WINDOW, WINDOWS = 40, 3, 8
FAILED = f"te-{TYPES.index('error_screenshot')}"  # an error screenshot the Azure lab could not analyse


def make_truth() -> dict[str, dict]:
    """Label rows as compare keeps them: 40 test images, 3 per window of each scenario."""
    truth = {}
    for i in range(TEST_N):
        kind = TYPES[i % len(TYPES)]
        fields = {"error_screenshot": {"error_code": f"E{1000 + i}"}, "invoice": {"invoice_number": f"INV-{i:05d}",
                  "amount": f"${i}.50"}, "shipping_label": {"tracking_number": f"1Z{i:016d}"}}.get(kind, {})
        truth[f"te-{i}"] = {"id": f"te-{i}", "type": kind, "fields": fields, "split": "test"}
    for s, scenario in enumerate(SCENARIOS):
        for w in range(WINDOWS):
            for i in range(PER_WINDOW):
                rid = f"st-{s}{w}{i}"
                truth[rid] = {"id": rid, "type": TYPES[i], "fields": {}, "split": "stream", "scenario": scenario,
                              "window": w}
    return truth


def write_azure(base, truth, hit_rate=0.5, field_misses=(), seed=0, target="mock"):
    """BASE/test/results.db and BASE/stream/<scenario>/results.db as the Azure lab writes them."""
    rng = random.Random(seed)
    stores = {"test": [r for r in truth.values() if r["split"] == "test"]}
    for scenario in SCENARIOS:
        stores[f"stream/{scenario}"] = [r for r in truth.values() if r.get("scenario") == scenario]
    for store, rows in stores.items():
        (base / store).mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(base / store / "results.db") as db:
            db.executescript(
                "CREATE TABLE results (image_id TEXT PRIMARY KEY, status TEXT, reason TEXT, type TEXT, fields TEXT,"
                " attempts INT, latency_s REAL, transactions INT);"
                "CREATE TABLE calls (id INTEGER PRIMARY KEY, image_id TEXT, started_at REAL, latency_s REAL,"
                " outcome TEXT, status_code INT, features TEXT);"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);")
            db.execute("INSERT INTO meta VALUES ('run', ?)", (json.dumps(
                {"code": "the kit's reference solution", "target": target, "features": list(PRICES), "tier": "S1"}),))
            t = 1000.0
            for row in rows:
                kind = row["type"] if rng.random() < hit_rate else "config_screen"
                fields = {k: ("?" if k in field_misses else v) for k, v in row["fields"].items()}
                latency = 0.05 + 0.1 * rng.random()
                attempts = 1
                if row["id"] == FAILED:  # one image times out on every try: failed
                    db.execute("INSERT INTO calls (image_id, started_at, latency_s, outcome, status_code, features)"
                               " VALUES (?, ?, 30.0, 'timeout', NULL, 'read,caption,tags')", (row["id"], t))
                    db.execute("INSERT INTO results VALUES (?, 'failed', 'timed out', NULL, '{}', 4, NULL, 0)",
                               (row["id"],))
                    continue
                if row["id"] == "te-3":  # one image rate limited once, then answered
                    db.execute("INSERT INTO calls (image_id, started_at, latency_s, outcome, status_code, features)"
                               " VALUES (?, ?, 0.01, '429', 429, 'read,caption,tags')", (row["id"], t))
                    attempts = 2
                db.execute("INSERT INTO calls (image_id, started_at, latency_s, outcome, status_code, features)"
                           " VALUES (?, ?, ?, 'ok', 200, 'read,caption,tags')", (row["id"], t, latency))
                db.execute("INSERT INTO results VALUES (?, 'done', NULL, ?, ?, ?, ?, 3)",
                           (row["id"], kind, json.dumps(fields), attempts, latency))
                t += 0.05


def write_gcp(base, truth, hit_rate=0.9, drop_after=2, seed=1, batch_latency=0.08, batch=8):
    """BASE/results.json and BASE/predictions/<split>.jsonl as the GCP lab writes them."""
    rng = random.Random(seed)
    (base / "predictions").mkdir(parents=True, exist_ok=True)
    monitor = {}
    for split in ("test", "stream"):
        lines = []
        for row in (r for r in truth.values() if r["split"] == split):
            rate = hit_rate / 2 if row.get("scenario", "none") != "none" and row.get("window", 0) >= drop_after \
                else hit_rate
            kind = row["type"] if rng.random() < rate else "invoice"
            lines.append(json.dumps({"id": row["id"], "predicted_type": kind, "probabilities": {kind: 0.9},
                                     "latency_s": batch_latency / batch}))
        (base / "predictions" / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    for scenario in SCENARIOS:
        monitor[scenario] = {"first_alert": 2 if scenario == "dark_mode" else None, "windows": [
            {"window": w, "n": PER_WINDOW, "accuracy": 0.5,
             "alerts": ["brightness"] if scenario == "dark_mode" and w >= 2 else [], "statistics": {}}
            for w in range(WINDOWS)]}
    monitor["thresholds"] = {"brightness": 0.3}
    stages = {"train": {"seconds": 45.0, "train_seconds": 40.0, "accuracy": 0.9, "macro_f1": 0.88, "n": TEST_N},
              "deploy": {"seconds": 4.0, "predict_seconds": 1.0}, "monitor": monitor}
    (base / "results.json").write_text(json.dumps({"code": "the kit's reference solution", "stages": stages}))


def runs_from(tmp_path, azure_target="mock", **change):
    truth = make_truth()
    write_azure(tmp_path / "azure", truth, target=azure_target, **change.get("azure", {}))
    write_gcp(tmp_path / "gcp", truth, **change.get("gcp", {}))
    azure = azure_images_from(tmp_path / "azure", truth, emulated=azure_target == "mock",
                              prices=change.get("prices", PRICES),
                              price_source="prices.toml")
    gcp = gcp_images_from(tmp_path / "gcp", truth, emulated=True)
    return same_items([azure, gcp])


@pytest.fixture(scope="module")
def emulated_images(tmp_path_factory):
    base = tmp_path_factory.mktemp("images-emulated")
    runs = runs_from(base)
    return runs, write_report(runs, base / "report", title=PAIRS["attachments"].title)


@pytest.fixture(scope="module")
def cloud_images(tmp_path_factory):
    base = tmp_path_factory.mktemp("images-cloud")
    runs = runs_from(base, azure_target="cloud", azure={"hit_rate": 0.8})
    return runs, write_report(runs, base / "report", title=PAIRS["attachments"].title)


def test_figures_come_from_the_labs_records(emulated_images):
    (azure, gcp), paths = emulated_images
    figures = json.loads(paths["json"].read_text())["stacks"]
    assert figures["azure"]["items"] == figures["gcp"]["items"] == TEST_N, "both stacks on the same test images"
    truth = make_truth()
    rows = [json.loads(line) for line in (paths["json"].parent.parent / "gcp" / "predictions" / "test.jsonl")
            .read_text().splitlines()]
    expected = sum(r["predicted_type"] == truth[r["id"]]["type"] for r in rows) / len(rows)
    assert figures["gcp"]["accuracy"] == pytest.approx(expected)
    assert figures["azure"]["usage"] == {"transactions": 3 * (len(truth) - 1)}, "the failed image billed nothing"
    # 3 transactions an image, one per feature: one call's price is the sum of the three features'
    billed = (len(truth) - 1) / len(truth)
    assert figures["azure"]["cost_per_1000_usd"] == pytest.approx(sum(PRICES.values()) * billed)
    assert figures["azure"]["quota"]["timed out"] == 1 and figures["azure"]["quota"]["images failed"] == 1
    assert figures["gcp"]["latency_p50_ms"] == pytest.approx(10.0), "batch of 8 in 80 ms: 10 ms an image"
    assert figures["azure"]["quota"]["rate limited (429)"] == 1
    assert figures["azure"]["quota"]["images retried"] == 2, "te-3 after a 429, and the failed image"
    assert figures["gcp"]["alerts"]["dark_mode"]["2"] == ["brightness"] and "thresholds" not in figures["gcp"]["alerts"]
    assert figures["gcp"]["time_to_first_result_s"] == pytest.approx(40.0 + 3.0 + 0.01), "fit + deploy + first"


def test_an_emulated_azure_type_accuracy_is_never_a_comparison_result(emulated_images):
    (azure, _), paths = emulated_images
    report = json.loads(paths["json"].read_text())
    page, md = paths["html"].read_text(), paths["markdown"].read_text()
    check = report["stacks"]["azure"]["stand_in_check"]
    assert report["stacks"]["azure"]["accuracy"] is None and report["stacks"]["azure"]["macro_f1"] is None
    for value in (check["accuracy"], check["macro_f1"]):
        assert f"{value:.3f}" not in page and f"{value:.3f}" not in md, value
    for sentence in report["findings"]:
        if "macro-F1" in sentence or "accuracy" in sentence:
            assert azure.title not in sentence or "not measured" in sentence, sentence
    assert any(azure.title in s and "not measured" in s and "transactions" in s for s in report["findings"])
    assert NOT_MEASURED in page and "Azure AI Vision (AI-102 way) (emulated)" in page


def test_fields_are_azure_only_and_labelled(emulated_images):
    (azure, gcp), paths = emulated_images
    page = paths["html"].read_text()
    fields = json.loads(paths["json"].read_text())["stacks"]["azure"]["fields"]
    invoices = sum(r["type"] == "invoice" for r in make_truth().values() if r["split"] == "test")
    errors = sum(r["type"] == "error_screenshot" for r in make_truth().values() if r["split"] == "test")
    assert fields["error_code"]["n"] == errors - 1, "FAILED (an error screenshot) has no extraction to score"
    assert fields["invoice_number"] == {"right": invoices, "n": invoices, "exact_match": 1.0,
                                        "ci": list(fields["invoice_number"]["ci"])}
    assert "Field extraction" in page and html.escape(NO_TEXT) in page and "RapidOCR" in page
    assert any("Only Azure AI Vision" in s and "emulated" in s for s in json.loads(paths["json"].read_text())
               ["findings"])
    assert summary_row(gcp)["fields"] == {}, "the CNN extracts no fields"


def test_a_missed_field_shows_in_the_figures_and_the_sentence(tmp_path):
    base = runs_from(tmp_path / "a")
    missed = runs_from(tmp_path / "b", azure={"field_misses": ("amount",)})
    s0, s1 = ({r.stack: summary_row(r) for r in runs} for runs in (base, missed))
    assert s0["azure"]["fields"]["amount"]["exact_match"] == 1.0
    assert s1["azure"]["fields"]["amount"]["exact_match"] == 0.0
    f0, f1 = findings(base, s0), findings(missed, s1)
    assert [x for x in f0 if "key fields" in x] != [x for x in f1 if "key fields" in x]
    assert any("hardest was amount (0 of" in x for x in f1)


def test_what_this_shows_follows_the_inputs(tmp_path):
    """Change a record and the sentence that reads it changes: quality, drift, cost, speed."""
    def sentences(name, **change):
        runs = runs_from(tmp_path / name, **change)
        return findings(runs, {r.stack: summary_row(r) for r in runs})

    base = sentences("base")
    worse = sentences("worse", gcp={"hit_rate": 0.6})
    assert base[0] != worse[0] and "macro-F1" in base[0] and "Custom CNN" in base[0], "what is real comes first"
    later_drift = sentences("later", gcp={"drop_after": 5})
    assert [s for s in base if "suffered most" in s] != [s for s in later_drift if "suffered most" in s]
    dearer = sentences("dearer", prices={f: 4 * p for f, p in PRICES.items()})
    assert [s for s in base if "crossover" in s] != [s for s in dearer if "crossover" in s]
    slower = sentences("slower", gcp={"batch_latency": 8.0})
    assert [s for s in base if "median" in s] != [s for s in slower if "median" in s]


def test_a_cloud_azure_side_is_compared(cloud_images):
    (azure, _), paths = cloud_images
    report = json.loads(paths["json"].read_text())
    assert report["stacks"]["azure"]["accuracy"] is not None
    assert any("scored the higher type macro-F1" in s for s in report["findings"])
    assert "Azure AI Vision (S1), answered live" in paths["html"].read_text()
    assert "emulated" not in report["stacks"]["azure"]["fields_source"]


def test_alerts_per_scenario_and_window():
    monitor = {"none": [{"window": 0, "n": 3, "alerts": []}],
               "dark_mode": {"2": {"n": 3, "alerts": ["brightness"]}, "threshold": 0.3}}
    assert monitor_alerts(monitor) == {"none": {0: []}, "dark_mode": {2: ["brightness"]}}


def test_a_result_for_an_image_not_compared_is_an_error(tmp_path):
    truth = make_truth()
    write_azure(tmp_path / "azure", truth)
    del truth["te-0"]
    with pytest.raises(CompareError, match="te-0.*run the comparison again"):
        azure_images_from(tmp_path / "azure", truth, emulated=True, prices=PRICES, price_source="p")
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "results.json").write_text("{}")
    with pytest.raises(CompareError, match="No GCP predictions"):
        gcp_images_from(tmp_path / "nothing", truth, emulated=True)
    with pytest.raises(CompareError, match="No price for the Vision feature"):
        azure_images_from(tmp_path / "azure", make_truth(), emulated=True, prices={"read": 1.5}, price_source="p")


def test_offline_the_azure_side_analyses_fewer_images_and_nothing_is_intersected(tmp_path):
    """Offline the Azure lab analyses 10 test images and no stream; the CNN keeps its 40 test images
    and its windows. With both qualities measured, both sides keep only the images both answered."""
    truth = make_truth()
    few = {k: r for k, r in truth.items() if r["split"] == "test" and int(k.split("-")[1]) < 10}
    for target in ("mock", "cloud"):
        write_azure(tmp_path / target / "azure", few, target=target)
        write_gcp(tmp_path / target / "gcp", truth)
    opts = CompareOptions(out=tmp_path, limit=TEST_N, azure_limit=10)
    azure = azure_images_from(tmp_path / "mock" / "azure", truth, emulated=True, prices=PRICES, price_source="p")
    runs = compared([azure, gcp_images_from(tmp_path / "mock" / "gcp", truth, emulated=True)], opts)
    rows = {r.stack: summary_row(r) for r in runs}
    assert (rows["azure"]["stand_in_check"]["n"], rows["gcp"]["items"]) == (10, TEST_N)
    assert len(runs[1].split("stream")) == len(SCENARIOS) * WINDOWS * PER_WINDOW
    assert "the first 10 of the 40 test images" in runs[0].notes[-1] and "no stream image" in runs[0].notes[-1]
    cells = table(runs, rows)
    assert ["Quality on each stack's own test images (95% intervals: Wilson for accuracy, bootstrap for F1)"] in cells
    assert sum(int(r[0].split("n=")[1].rstrip(")")) for r in cells if r[0].startswith("F1 ")) == TEST_N, \
        "per-class n of the measured stack"
    assert not azure_quality_measurable(opts) and set(azure_folders({"test": 1, "stream/none": 2}, False)) == {"test"}
    defaults = CompareOptions(out=tmp_path, limit=100)
    assert azure_test_limit(defaults) == 10 and azure_test_limit(CompareOptions(out=tmp_path, limit=5)) == 5
    assert azure_test_limit(replace(defaults, target="cloud")) == 100 == azure_test_limit(
        replace(defaults, azure_cassette=tmp_path / "c.jsonl")) and azure_test_limit(opts) == 10
    azure = azure_images_from(tmp_path / "cloud" / "azure", truth, emulated=False, prices=PRICES, price_source="p")
    opts.target = "cloud"
    runs = compared([azure, gcp_images_from(tmp_path / "cloud" / "gcp", truth, emulated=True)], opts)
    assert summary_row(runs[1])["items"] == 10 and not runs[1].split("stream"), "only the images both were given"


def test_a_pair_whose_lab_is_missing_says_so():
    pair = Pair("attachments", "t", lambda opts: [], {"azure": "azure/attachments_not_here", "gcp": "gcp/x"})
    with pytest.raises(CompareError, match="needs the azure/attachments_not_here lab, which is not ready"):
        check_ready(pair)


def test_both_labs_get_the_same_images(tmp_path):
    opts = CompareOptions(out=tmp_path, limit=3, per_window=2, azure_per_window=1, train_images=30)
    folders = prepare_data(opts)
    truth = read_truth(folders)
    stream = [r for r in truth.values() if r["split"] == "stream"]
    assert sum(r["split"] == "test" for r in truth.values()) == 3
    assert len(stream) == 2 * len(SCENARIOS) * WINDOWS and {r["scenario"] for r in stream} == set(SCENARIOS)
    assert all(folders[f"stream/{r['scenario']}"].joinpath(r["file"]).is_file() for r in stream)
    azure = azure_folders(folders)
    assert set(azure) == {"test", *(f"stream/{sc}" for sc in SCENARIOS)}
    for scenario in SCENARIOS:  # the Azure lab gets the first image of each window: the same files
        subset = read_labels(azure[f"stream/{scenario}"])
        assert [r["window"] for r in subset] == list(range(WINDOWS))
        for row in subset:
            same = folders[f"stream/{scenario}"] / row["file"]
            assert same.read_bytes() == (azure[f"stream/{scenario}"] / row["file"]).read_bytes()
    train = {r["id"] for r in read_labels(folders["train"])}
    assert len(train) == 30 and not set(truth) & train, "the GCP lab trains on other images"
    before = (folders["test"] / "labels.jsonl").stat().st_mtime_ns
    assert prepare_data(opts) == folders and (folders["test"] / "labels.jsonl").stat().st_mtime_ns == before
    assert IMAGES.classes == TYPES
