"""The side-by-side report is computed from the runs' records and labels emulated figures."""

import html
import json
import random
from dataclasses import replace

import pytest

from shared.compare.records import (
    Prediction,
    StackRun,
    bootstrap_f1,
    crossover_volume,
    macro_f1,
    monthly_cost,
    round_volume,
    sensitivity,
    summary_row,
    wilson,
)
from shared.compare.report import NOT_MEASURED, findings, markdown, sections, write_report
from shared.datasets.tickets import CATEGORIES, SCENARIOS, WINDOWS


def fake_run(stack: str, hit_rate: float, emulated: bool = True, seed: int = 0,
             measured: bool | None = None) -> StackRun:
    """A run of `stack`; its quality counts as measured for GCP (own model) and for Azure only when
    not emulated (its emulator answers with a stand-in model), unless `measured` says otherwise."""
    rng = random.Random(seed)
    preds = []
    for i in range(200):
        truth = CATEGORIES[i % len(CATEGORIES)]
        guess = truth if rng.random() < hit_rate else CATEGORIES[(i + 1) % len(CATEGORIES)]
        preds.append(Prediction(f"te-{i}", "test", truth, "low", guess, "low"))
    for scenario in SCENARIOS:
        for w in range(WINDOWS):
            for i in range(10):
                truth = CATEGORIES[i % len(CATEGORIES)]
                ok = rng.random() < (hit_rate if w < 2 or scenario == "none" else hit_rate / 2)
                preds.append(Prediction(f"st-{scenario}-{w}-{i}", "stream", truth, "low",
                                        truth if ok else "billing", "low", scenario=scenario, window=w))
    azure = stack == "azure"
    return StackRun(stack=stack, title=stack.upper(), emulated=emulated, stand_in=f"{stack} stand-in.",
                    predictions=preds, throughput_per_s=100.0,
                    test_latencies_s=[(0.2 if azure else 0.01) * (1 + rng.random()) for _ in range(200)],
                    time_to_first_result_s=0.0 if azure else 30.0,
                    cost_per_item_usd=0.0002 if azure else 0.0, cost_fixed_usd=0.0 if azure else 0.5,
                    serving_node_hour_usd=0.0 if azure else 0.11, items_per_node_hour=100000,
                    alerts={} if azure else {"long_tickets": {3: ["length"]}},
                    usage={"prompt tokens": 60000, "completion tokens": 9000} if azure else {},
                    quality_source=("measured" if (measured if measured is not None else not (azure and emulated))
                                    else None),
                    speed_source="emulated service time" if azure and emulated else "measured on this machine",
                    quota={"requests": 20, "rate limited (429)": 2} if azure else {})


@pytest.fixture(scope="module")
def emulated_report(tmp_path_factory):
    """The usual page: Azure answered by the emulator's stand-in, GCP's own model measured."""
    runs = [fake_run("azure", 0.55), fake_run("gcp", 0.9)]
    return runs, write_report(runs, tmp_path_factory.mktemp("emulated"))


@pytest.fixture(scope="module")
def recorded_report(tmp_path_factory):
    """Azure's answers recorded from a real deployment: both stacks' quality is measured."""
    azure = fake_run("azure", 0.8, emulated=False)
    azure.quality_source = "recorded from gpt-4o-mini, 2026-11-29"
    azure.speed_source = "measured against gpt-4o-mini through the recording proxy"
    runs = [azure, fake_run("gcp", 0.9)]
    return runs, write_report(runs, tmp_path_factory.mktemp("recorded"))


def test_report_files_and_emulated_labels(emulated_report):
    _, paths = emulated_report
    for key in ("markdown", "html", "json"):
        assert paths[key].exists()
    md, page = paths["markdown"].read_text(), paths["html"].read_text()
    assert md.count("(emulated)") >= 2 and page.count("(emulated)") >= 2
    assert "data:image/png;base64," in page  # self-contained
    assert paths["accuracy_per_window"].stat().st_size > 1000


def test_real_cloud_runs_are_not_labelled_emulated():
    runs = [fake_run("azure", 0.8, emulated=False), fake_run("gcp", 0.9, emulated=False)]
    s = {r.stack: summary_row(r) for r in runs}
    text = markdown("t", runs, sections(runs, s, findings(runs, s), {}))  # the text without drawing the charts
    assert "emulated" not in text and "## What this shows" in text


def test_numbers_follow_the_records():
    """Change an input and the number in the report changes: nothing is typed in."""
    def figures(azure_hit_rate):
        runs = [fake_run("azure", azure_hit_rate, emulated=False), fake_run("gcp", 0.9)]
        s = {r.stack: summary_row(r) for r in runs}
        return s, findings(runs, s)

    (low, low_notes), (high, high_notes) = figures(0.5), figures(0.95)
    assert high["azure"]["macro_f1"] > low["azure"]["macro_f1"]
    assert low_notes != high_notes
    assert high["gcp"]["macro_f1"] == low["gcp"]["macro_f1"]


def test_what_this_shows_changes_with_its_inputs():
    """The sentences are computed: a better model, a dearer token or a slower endpoint each show up."""
    def sentences(**change):
        azure, gcp = fake_run("azure", 0.8), fake_run("gcp", 0.9)
        for name, value in change.items():
            stack, attr = name.split("__")
            setattr(azure if stack == "azure" else gcp, attr, value)
        runs = [azure, gcp]
        return findings(runs, {r.stack: summary_row(r) for r in runs})

    base = sentences()
    better = sentences(gcp__predictions=fake_run("gcp", 0.6).predictions)
    first_real = next(s for s in base if "macro-F1" in s)
    assert first_real != next(s for s in better if "macro-F1" in s)
    assert base.index(first_real) == 0, "what is real comes first"
    dearer = sentences(azure__cost_per_item_usd=0.002)
    assert [s for s in base if "crossover" in s] != [s for s in dearer if "crossover" in s]
    slower = sentences(gcp__test_latencies_s=[0.5] * 200)
    assert [s for s in base if "median" in s] != [s for s in slower if "median" in s]


def test_an_emulated_stand_in_quality_is_never_a_comparison_result(emulated_report):
    """With the Azure side emulated, its accuracy and F1 appear nowhere as a result: the page says
    its quality is not measured and shows what is (tokens, cost, quota behaviour)."""
    (azure, _), paths = emulated_report
    stand_in = summary_row(replace(azure, quality_source="x"))
    report = json.loads(paths["json"].read_text())
    page, md = paths["html"].read_text(), paths["markdown"].read_text()
    assert report["stacks"]["azure"]["macro_f1"] is None and report["stacks"]["azure"]["accuracy"] is None
    assert report["stacks"]["azure"]["windows"] is None
    for value in (stand_in["macro_f1"], stand_in["accuracy"], *stand_in["f1_per_class"].values()):
        assert f"{value:.3f}" not in page and f"{value:.3f}" not in md, value
    for sentence in report["findings"]:
        if "macro-F1" in sentence or "accuracy" in sentence:
            assert azure.title not in sentence or "not measured" in sentence, sentence
    assert any(azure.title in s and "not measured" in s for s in report["findings"])
    assert NOT_MEASURED in page and "rate limited" in page and "tokens per ticket" in page


def test_a_recorded_azure_side_is_compared_and_labelled(recorded_report):
    _, paths = recorded_report
    report = json.loads(paths["json"].read_text())
    assert report["stacks"]["azure"]["macro_f1"] is not None
    assert any("recorded from gpt-4o-mini, 2026-11-29" in s for s in report["findings"])
    assert any("scored the higher category macro-F1" in s for s in report["findings"])
    assert "recorded from gpt-4o-mini, 2026-11-29" in paths["html"].read_text()


def test_html_carries_every_note_and_the_cost_assumptions(emulated_report):
    _, paths = emulated_report
    page, md = paths["html"].read_text(), paths["markdown"].read_text()
    items = [line[2:] for line in md.splitlines() if line.startswith("- ")]
    assert len(items) > 10
    for item in items:
        assert html.escape(item) in page, item
    for text in ("Cost assumptions", "Sensitivity:", "halved", "Stream windows here hold only 10 tickets"):
        assert text in page, text


def test_crossover_is_a_rounded_range():
    azure, gcp = fake_run("azure", 0.8), fake_run("gcp", 0.8)
    s = {r.stack: summary_row(r) for r in (azure, gcp)}
    sentence = next(x for x in findings([azure, gcp], s) if "crossover lies between" in x)
    exact = crossover_volume(azure, gcp)
    assert f"{exact:,.0f}" not in sentence and round_volume(exact) in sentence
    assert round_volume(1_148_732) == "1.1 million" and round_volume(45_678) == "46,000"
    moves = dict((what, (lo, hi)) for what, lo, hi in sensitivity(azure, gcp))
    lo, hi = moves["Azure token cost per ticket (prices or prompt length)"]
    assert lo > exact > hi, "dearer tokens bring the crossover down"


def test_wilson_and_bootstrap_intervals():
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.490, abs=1e-3) and hi == pytest.approx(0.943, abs=1e-3)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
    preds = fake_run("gcp", 0.8).split("test")
    ci = bootstrap_f1(preds)
    assert ci == bootstrap_f1(preds), "fixed seed: the same interval every time"
    assert ci["macro"][0] < macro_f1(preds) < ci["macro"][1]
    assert set(ci) == {"macro", *CATEGORIES}


def test_macro_f1_by_hand():
    preds = [Prediction("1", "test", "billing", "low", "billing", "low"),
             Prediction("2", "test", "bug", "low", "billing", "low")]
    # billing: tp=1 fp=1 fn=0 -> 2/3; bug: tp=0 -> 0; mean = 1/3
    assert macro_f1(preds) == pytest.approx(1 / 3)


def test_cost_lines_cross_where_they_are_equal():
    azure, gcp = fake_run("azure", 0.8), fake_run("gcp", 0.8)
    v = crossover_volume(azure, gcp)
    assert v is not None
    assert monthly_cost(azure, v) == pytest.approx(monthly_cost(gcp, v), rel=1e-3)


def test_the_alert_sentence_counts_caught_drifts_and_false_alarms():
    """A drift is caught by an alert from its start window on; an alert on the drift-free stream or
    before a drift starts is a false alarm, counted over every window without drift (4 x 2 + 8 here:
    a lab may list only the windows that alerted)."""
    from shared.compare.report import _alert_sentence

    gcp = fake_run("gcp", 0.9)
    gcp.alerts = {"long_tickets": {3: ["length"]}, "language": {0: ["oov"]}}
    said = _alert_sentence(gcp)
    assert "for: long_tickets (window 3);" in said and "in the 16 windows without drift" in said
    assert said.endswith("raised false alerts in 1.")
    gcp.alerts = {"long_tickets": {2: ["length"]}, "language": {5: ["oov"]}, "none": {w: [] for w in range(8)}}
    said = _alert_sentence(gcp)
    assert "for: long_tickets (window 2), language (window 5);" in said and said.endswith("raised no alert.")
