"""The side-by-side report is computed from the runs' records and labels emulated figures."""

import json
import random

import pytest

from shared.compare.records import Prediction, StackRun, crossover_volume, macro_f1, monthly_cost
from shared.compare.report import write_report
from shared.datasets.tickets import CATEGORIES, SCENARIOS, WINDOWS


def fake_run(stack: str, hit_rate: float, emulated: bool = True, seed: int = 0) -> StackRun:
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
                    test_latencies_s=[0.01 + rng.random() / 100 for _ in range(200)],
                    time_to_first_result_s=0.0 if azure else 30.0,
                    cost_per_ticket_usd=0.0002 if azure else 0.0, cost_fixed_usd=0.0 if azure else 0.5,
                    serving_node_hour_usd=0.0 if azure else 0.11, tickets_per_node_hour=100000,
                    alerts={} if azure else {"long_tickets": {3: ["length"]}})


def test_report_files_and_emulated_labels(tmp_path):
    paths = write_report([fake_run("azure", 0.8), fake_run("gcp", 0.9)], tmp_path)
    for key in ("markdown", "html", "json"):
        assert paths[key].exists()
    md, page = paths["markdown"].read_text(), paths["html"].read_text()
    assert md.count("(emulated)") >= 2 and page.count("(emulated)") >= 2
    assert "data:image/png;base64," in page  # self-contained
    assert (tmp_path / "accuracy_per_window.png").stat().st_size > 1000


def test_real_cloud_runs_are_not_labelled_emulated(tmp_path):
    paths = write_report([fake_run("azure", 0.8, emulated=False), fake_run("gcp", 0.9, emulated=False)], tmp_path)
    assert "emulated" not in paths["markdown"].read_text()


def test_numbers_follow_the_records(tmp_path):
    """Change an input and the number in the report changes: nothing is typed in."""
    low = json.loads(write_report([fake_run("azure", 0.5), fake_run("gcp", 0.9)], tmp_path / "a")["json"].read_text())
    high = json.loads(write_report([fake_run("azure", 0.95), fake_run("gcp", 0.9)], tmp_path / "b")["json"].read_text())
    assert high["stacks"]["azure"]["macro_f1"] > low["stacks"]["azure"]["macro_f1"]
    assert low["findings"] != high["findings"]
    assert high["stacks"]["gcp"]["macro_f1"] == low["stacks"]["gcp"]["macro_f1"]


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
