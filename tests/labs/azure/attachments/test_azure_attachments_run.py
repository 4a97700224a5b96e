"""Graded: cost and accuracy (evaluate.py), and the whole lab end to end (run.py).

Mutants that these tests catch:
  evaluate__bills_every_call.py   charges 429s and failed calls that the service did not bill
  evaluate__per_image_not_per_feature.py   one price per image, whatever the features
  evaluate__ignores_missing.py    counts only images that were analysed (a refused image is no miss)
  run__prints_key.py              prints the key while connecting
"""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from azure_attachments_images import png

PRICES = {"read": 1.5, "tags": 1.0, "caption": 2.5}


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_cost_per_1000_images_counts_billed_features(lab, graded_parts):
    cost = lab("evaluate").cost_per_1000_images
    calls = [{"features": "read,tags", "transactions": 2}] * 3 + [{"features": "read,tags", "transactions": 0}]
    with graded_parts("each feature of each billed call; per 1,000 images"):
        assert cost(calls, 2, PRICES) == pytest.approx(3.75), "3 billed calls x $2.50/1k over 2 images = $3.75/1k"
        assert cost([{"features": "caption", "transactions": 1}], 1, PRICES) == pytest.approx(2.5)
        assert cost([{"features": "read,tags", "transactions": 1}], 4, PRICES) == pytest.approx(0.625), (
            "a billed call costs all its features whatever the header's count")
    with graded_parts("no images, unknown prices"):
        assert math.isnan(cost([], 0, PRICES))
        with pytest.raises(KeyError, match="people"):
            cost([{"features": "people", "transactions": 1}], 1, PRICES)


@pytest.mark.exercise(9)
@pytest.mark.points(1)
def test_field_exact_match_per_field_with_n(lab):
    match = lab("evaluate").field_exact_match
    labels = [{"id": "a", "fields": {"error_code": "ERR_502", "product": "PayFlow"}},
              {"id": "b", "fields": {"error_code": "E1042"}},
              {"id": "c", "fields": {"product": "TeamSync"}}]
    predicted = {"a": {"error_code": "ERR502", "product": "PayFlow"}, "b": {"error_code": "E1042"}}
    got = match(labels, predicted)
    assert got == {"error_code": {"exact_match": 0.5, "n": 2}, "product": {"exact_match": 0.5, "n": 2}}, (
        f"got {got}: exact strings only; an image without a prediction is a miss; fields nobody has are left out")


def folder_of_images(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    images = [("a.png", png(80, 60)), ("b.png", png(90, 90, (20, 20, 20))), ("c.jpg", png(40, 200, fmt="JPEG"))]
    for name, data in images:
        (folder / name).write_bytes(data)
    rows = [{"file": "a.png", "type": "config_screen"}, {"file": "b.png", "type": "damaged_device"},
            {"file": "c.jpg", "type": "invoice", "fields": {"amount": "$1.00"}}]
    (folder / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.mark.exercise(9)
@pytest.mark.points(1)
def test_run_on_a_folder_reports_saves_and_resumes(lab, azure_vision, tmp_path, monkeypatch, capsys):
    run = lab("run")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    args = ["--input", str(folder_of_images(tmp_path)), "--out", str(out)]
    assert run.main(args) == 0
    printed = capsys.readouterr().out
    assert "type accuracy" in printed and "cost per 1,000" in printed, "print the summary table"
    summary = json.loads((out / "results.json").read_text())
    assert summary["emulated"] is True and summary["counts"] == {"done": 2, "refused": 1, "failed": 0}, summary
    assert summary["type_accuracy"]["n"] == 3 and "cost_per_1000_images_usd" in summary
    db = sqlite3.connect(out / "results.db")
    reason = db.execute("SELECT reason FROM results WHERE image_id = 'c'").fetchone()[0]
    calls = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    db.close()
    assert "50" in reason and calls == 2, "c (40 px wide) refused before sending, with the reason"
    assert run.main(args + ["--no-mlflow"]) == 2, "a second run into the same folder needs --resume"
    assert run.main(args + ["--resume", "--no-mlflow"]) == 0
    assert len(azure_vision.control.requests()) == 2, "--resume sends nothing that is finished"
    import mlflow  # here, not at the top: grading one exercise collects every test module

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert runs and any(k.startswith("type_accuracy") for k in runs[0].data.metrics), "log the figures to MLflow"


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_the_key_never_appears_in_output_or_mlflow(lab, azure_vision, monkeypatch, tmp_path, capsys):
    run = lab("run")
    monkeypatch.chdir(tmp_path)
    folder = folder_of_images(tmp_path)
    for name, value in azure_vision.env().items():
        monkeypatch.setenv(name, value)
    key = azure_vision.api_key
    ok = ["--target", "cloud", "--input", str(folder), "--uses", "objects", "--out", str(tmp_path / "ok")]
    assert run.main(ok) == 0
    monkeypatch.setenv("VISION_KEY", "wrong-" + key[::-1])
    code = run.main(["--target", "cloud", "--input", str(folder), "--out", str(tmp_path / "bad"), "--no-mlflow"])
    printed = capsys.readouterr()
    assert code != 0 and "error" in printed.err.lower(), "a refused key must end the run with a clear error."
    for secret in (key, "wrong-" + key[::-1]):
        assert secret not in printed.out + printed.err, "a key appeared in the output: never print or log keys."
    import mlflow  # here, not at the top: grading one exercise collects every test module

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    logged = " ".join(str(r.data.params) + str(r.data.tags) for r in runs)
    assert runs and key not in logged, "the key appeared in MLflow params or tags."
