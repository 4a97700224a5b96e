"""The lab's CLI (run.py) on bad input: a clear error, exit 2, nothing already produced lost.
Not graded (run.py has no exercise); cheap: the folders are checked before TensorFlow loads."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests.labs.gcp.attachments.conftest import LAB


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_bad_train_folder_stops_before_any_stage_and_keeps_results(lab_module, tmp_path, capsys):
    run = lab_module(LAB, "run")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png((1, 2, 3)))
    (folder / "b.png").write_bytes(b"not a png at all")
    out = tmp_path / "out"
    out.mkdir()
    earlier = {"code": "x", "stages": {"baseline": {"macro_f1": 0.5}}}
    (out / "results.json").write_text(json.dumps(earlier))
    assert run.main(["--train", str(folder), "--out", str(out), "--stage", "train"]) == 2
    err = capsys.readouterr().err
    assert "b.png" in err and "error:" in err, f"the message must name the bad file: {err}"
    assert json.loads((out / "results.json").read_text()) == earlier, "earlier results must stay as they were"


def test_too_few_labelled_images_and_unlabelled_train_are_refused(lab_module, tmp_path, capsys):
    run = lab_module(LAB, "run")
    folder = tmp_path / "few"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png((9, 9, 9)))
    assert run.main(["--train", str(folder), "--out", str(tmp_path / "o")]) == 2
    assert "labels.jsonl" in capsys.readouterr().err
    (folder / "labels.jsonl").write_text(json.dumps({"file": "a.png", "type": "invoice"}) + "\n")
    assert run.main(["--train", str(folder), "--out", str(tmp_path / "o")]) == 2
    assert "too few" in capsys.readouterr().err


def test_a_stream_folder_without_windows_is_cut_into_windows_of_50(lab_module, tmp_path):
    run = lab_module(LAB, "run")
    folder = tmp_path / "stream"
    folder.mkdir()
    for k in range(120):
        (folder / f"s{k:03d}.png").write_bytes(_png((k, 0, 0)))
    ctx = run.Context(run.parse_args(["--stream", str(folder), "--out", str(tmp_path / "o")]), None)
    ctx.check_inputs()
    assert [len(w) for w in ctx.user_stream] == [50, 50, 20]
    assert not (tmp_path / "o").exists(), "checking the inputs writes nothing"
