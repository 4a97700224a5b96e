"""Not graded: ``--input DIR`` with files that cannot be used (run.py's ``folder_sources``).

A corrupt, truncated or empty file, or one that is not an image, is refused with its reason
while the other images are analysed; a format Image Analysis takes but the kit's folder reader
does not (WEBP) is analysed; a folder with nothing usable stops before anything is sent.
"""

from __future__ import annotations

import json
import sqlite3

from azure_attachments_images import png


def mixed_folder(tmp_path, labels: bool = False):
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = png(80, 60)
    files = {"a.png": good, "b.png": b"%PDF-1.4 a pdf renamed .png", "c.png": good[: len(good) // 2],
             "d.jpg": b"", "e.txt": b"call me back", "f.webp": png(70, 70, fmt="WEBP")}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    if labels:
        rows = [{"file": "a.png", "type": "config_screen"}, {"file": "b.png", "type": "invoice"}]
        (folder / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def reasons(out) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(out / "results.db")
    rows = db.execute("SELECT image_id, status, reason FROM results").fetchall()
    db.close()
    return {image_id: (status, reason) for image_id, status, reason in rows}


def test_unusable_files_are_refused_one_by_one_and_the_rest_analysed(lab, azure_vision, tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert lab("run").main(["--input", str(mixed_folder(tmp_path)), "--out", str(out), "--no-mlflow"]) == 0
    got = reasons(out)
    assert {k: v[0] for k, v in got.items()} == {"a": "done", "b": "refused", "c": "refused", "d": "refused",
                                                 "e": "refused", "f": "done"}, got
    assert "not an image" in got["b"][1] and "not an image" in got["e"][1], got
    assert "truncated" in got["c"][1] and "empty" in got["d"][1], got
    assert len(azure_vision.control.requests()) == 2, "only the usable images are sent"
    summary = json.loads((out / "results.json").read_text())
    assert summary["counts"] == {"done": 2, "refused": 4, "failed": 0}, summary
    printed = capsys.readouterr().out
    assert "refused c:" in printed and "truncated" in printed, "say which images were refused and why"


def test_labels_of_unusable_files_are_skipped(lab, azure_vision, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert lab("run").main(["--input", str(mixed_folder(tmp_path, labels=True)), "--out", str(out),
                            "--no-mlflow"]) == 0
    summary = json.loads((out / "results.json").read_text())
    assert summary["type_accuracy"]["n"] == 1, "only a.png is both usable and labelled"
    assert summary["counts"]["refused"] == 4


def test_a_folder_with_nothing_usable_stops_before_sending(lab, azure_vision, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "x.png").write_bytes(b"garbage")
    out = tmp_path / "o"
    assert lab("run").main(["--input", str(folder), "--out", str(out), "--no-mlflow"]) == 2
    err = capsys.readouterr().err
    assert "x.png" in err and "none of its 1 files can be used" in err, err
    assert not azure_vision.control.requests() and not (out / "results.db").exists()


def test_dry_run_says_which_files_would_be_refused(lab, azure_vision, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["--input", str(mixed_folder(tmp_path)), "--out", str(tmp_path / "o"), "--dry-run"]
    assert lab("run").main(args) == 0
    printed = capsys.readouterr().out
    assert "c: would be refused" in printed and "2 calls" in printed, printed
    assert not azure_vision.control.requests()
