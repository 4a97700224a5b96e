"""The lab's CLI (run.py) on bad input: a clear error, exit 2, nothing already produced lost.
Not graded (run.py has no exercise); cheap: the folders are checked before TensorFlow loads."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from shared.config import load_settings
from shared.datasets.loading import InputError
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
    assert {k: [len(w) for w in ws] for k, ws in ctx.user_stream.items()} == {"input": [50, 50, 20]}
    assert not (tmp_path / "o").exists(), "checking the inputs writes nothing"


def test_a_stream_folder_of_subfolders_is_one_scenario_each(lab_module, tmp_path):
    """The dataset's stream/<scenario>/ layout (what compare gives): each subfolder is monitored
    as its own scenario, named after it, windows from its labels."""
    run = lab_module(LAB, "run")
    folder = tmp_path / "stream"
    for scenario, windows in (("dark_mode", 3), ("none", 2)):
        (folder / scenario).mkdir(parents=True)
        rows = []
        for k in range(4 * windows):
            (folder / scenario / f"{k}.png").write_bytes(_png((k, 9, 9)))
            rows.append(json.dumps({"file": f"{k}.png", "type": "invoice", "window": k // 4}))
        (folder / scenario / "labels.jsonl").write_text("\n".join(rows) + "\n")
    streams = run.read_stream(folder)
    assert {k: [len(w) for w in ws] for k, ws in streams.items()} == {"dark_mode": [4, 4, 4], "none": [4, 4]}
    (folder / "none" / "3.png").write_bytes(b"broken")
    ctx = run.Context(run.parse_args(["--stream", str(folder), "--out", str(tmp_path / "o")]), None)
    with pytest.raises(InputError, match="3.png"):  # a broken image in any scenario stops the run at once
        ctx.check_inputs()


def test_the_tuning_trials_read_your_train_images_from_cloud_storage(lab_module, vertex, tmp_path):
    """--train DIR: the Vertex tuning job's trials must train on the learner's images, not the
    kit's. The run uploads its train/validation splits; trainer.py --data-dir reads them back."""
    run, trainer = lab_module(LAB, "run"), lab_module(LAB, "trainer")
    folder = tmp_path / "mine"
    folder.mkdir()
    rows = []
    for k in range(40):
        name = f"p{k}.png" if k % 2 else f"j{k}.jpg"
        image = Image.new("RGB", (20, 10), (k, 50, 90))
        image.save(folder / name, "PNG" if k % 2 else "JPEG")
        rows.append(json.dumps({"file": name, "type": "invoice" if k % 3 else "shipping_label"}))
    (folder / "labels.jsonl").write_text("\n".join(rows) + "\n")
    ctx = run.Context(run.parse_args(["--train", str(folder), "--out", str(tmp_path / "o")]), None)
    ctx.check_inputs()
    ctx.settings = load_settings("mock", environ={}, dotenv_path="/nonexistent")
    uri = run._upload_train(ctx)
    assert uri.startswith("gs://")
    read = trainer.load_data(uri, None, None)
    for mine, theirs in ((ctx.splits.train, read.train), (ctx.splits.validation, read.validation)):
        assert sorted((i.type, i.data) for i in theirs) == sorted((i.type, i.data) for i in mine)


def test_the_data_stage_draws_the_splits_once_and_no_stream(lab_module, tmp_path, capsys):
    """The stream is drawn by the monitor stage when it needs it; a second run reuses the splits."""
    run = lab_module(LAB, "run")
    out = tmp_path / "o"
    assert run.main(["--stage", "data", "--scale", "0.001", "--out", str(out)]) == 0  # 10 images a split
    assert "drawing" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "data").iterdir()) == ["test", "train", "validation"]
    assert json.loads((out / "results.json").read_text())["stages"]["data"]["train"] == 10
    assert run.main(["--stage", "data", "--scale", "0.001", "--out", str(out)]) == 0
    assert "reused" in capsys.readouterr().out


@pytest.mark.slow
def test_a_run_without_the_baseline_stops_before_drawing_the_images(tmp_path):
    """Drawing the kit's images takes a minute: a learner without exercise 2 hears so at once."""
    import subprocess
    import sys

    from shared.grading.exercises import copy_with_exercises_done

    copy_with_exercises_done(LAB, {1}, tmp_path / "ws")
    code = "import sys; sys.argv[0] = 'labkit'; from shared.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "run", LAB, "--workspace", str(tmp_path / "ws"),
                             "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=170)
    assert result.returncode == 3 and "Exercise 2: Baseline" in result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "o").rglob("*.png")), "images were drawn before the run stopped"


def test_a_learner_sees_the_baseline_before_doing_tracking(images, lab_module, tmp_path):
    """Exercises 1-2 done, tracking (6) not: the baseline stage reports its score and is saved
    (untracked); the run still ends naming exercise 6, exit 3, no traceback."""
    import subprocess
    import sys

    from shared.grading.exercises import copy_with_exercises_done

    train = images(lab_module).folder / "train"
    copy_with_exercises_done(LAB, {1, 2}, tmp_path / "ws")
    out = tmp_path / "o"
    code = "import sys; sys.argv[0] = 'labkit'; from shared.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "run", LAB, "--workspace", str(tmp_path / "ws"),
                             "--stage", "baseline", "--train", str(train), "--out", str(out)],
                            capture_output=True, text=True, timeout=170)
    assert result.returncode == 3 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "Exercise 6: Tracking" in result.stderr and "macro-F1" in result.stdout, result.stdout + result.stderr
    baseline = json.loads((out / "results.json").read_text())["stages"]["baseline"]
    assert baseline["tracked"] is False and 0 <= baseline["macro_f1"] <= 1
