"""Graded tests of the GCP ticket-triage lab: data, baseline, model, export, training, tuning.

Each test names the broken variant it catches; the variants live in
tests/mutants/gcp/ticket_triage/ (check them with tests/mutants/gcp/ticket_triage/check.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.labs.gcp.ticket_triage.conftest import LAB


def _ticket(subject, body, category="bug", priority="low", product="TeamSync", tid="x"):
    return {"id": tid, "subject": subject, "body": body, "category": category,
            "priority": priority, "product": product, "language": "en"}


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_normalise_matches_its_python_twin(lab_module):
    """Catches data__normalise_keeps_digits."""
    data = lab_module(LAB, "data")
    tf = data.tf()
    samples = ["Invoice INV-66104 failed!!", "Ça ne marche pas — ÜBER 3 Tage", "  a_b  c.d  "]
    got = [s.decode() for s in data.normalise(tf.constant(samples)).numpy()]
    assert got[0] == "invoice inv 0 failed", (
        f"normalise('Invoice INV-66104 failed!!') gave {got[0]!r}; expected 'invoice inv 0 failed' "
        "(lower-case, digit runs -> '0', punctuation -> one space, stripped)")
    assert got == [data.normalise_text(s) for s in samples], (
        f"normalise (TensorFlow) and normalise_text (Python) disagree: {got} vs "
        f"{[data.normalise_text(s) for s in samples]}; the drift features rely on them agreeing")


@pytest.mark.exercise(1)
@pytest.mark.points(3)
def test_vocabulary_is_learnt_from_the_training_split_only(lab_module):
    """Catches trainer__vectorizer_on_all_splits and data__adapt_on_everything."""
    data, trainer = lab_module(LAB, "data"), lab_module(LAB, "trainer")
    full = data.load_splits(train_size=60)
    marker_val, marker_test = "zorblaxvalidation", "quuxtestonly"
    validation = [dict(t, body=t["body"] + f" {marker_val}") for t in full.validation[:40]]
    test = [dict(t, body=t["body"] + f" {marker_test}") for t in full.test[:40]]
    splits = data.Splits(train=full.train, validation=validation, test=test, stream=[])
    result = trainer.train(splits, epochs=1)
    vocab = set(result.vectorizer.get_vocabulary())
    assert marker_val not in vocab and marker_test not in vocab, (
        "A word that occurs only in the validation/test split is in the model's vocabulary: the "
        "TextVectorization layer was adapted on more than the training split. Adapt it on "
        "splits.train only, or evaluation scores leak information.")
    train_words = {w for t in full.train for w in data.tokens(data.ticket_text(t))}
    unigrams = {w for w in vocab if w and " " not in w and w != "[UNK]"}
    assert unigrams <= train_words, (
        f"The vocabulary holds words not in the training text: {sorted(unigrams - train_words)[:5]}")


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_make_dataset_yields_raw_text_and_one_hot_labels(lab_module):
    data = lab_module(LAB, "data")
    tickets = [_ticket("Refund", "charged twice", "billing", "high", tid="a"),
               _ticket("Login", "cannot log in", "account_access", "low", tid="b")]
    text, labels = next(iter(data.make_dataset(tickets, batch_size=2)))
    assert text.dtype.name == "string" and [t.decode() for t in text.numpy()] == data.texts(tickets), (
        "make_dataset must yield the raw ticket texts (preprocessing happens inside the model)")
    cats = labels["category"].numpy()
    assert cats.shape == (2, 7) and cats[0].argmax() == data.LABELS["category"].index("billing"), (
        "labels['category'] must be one-hot over LABELS['category'] in that order")
    assert labels["priority"].numpy()[0].argmax() == data.LABELS["priority"].index("high")


@pytest.mark.exercise(2)
@pytest.mark.points(2)
def test_baseline_reaches_a_useful_score(lab_module):
    """Catches baseline__no_bigrams_tiny_vocab (max_features=50)."""
    data, baseline = lab_module(LAB, "data"), lab_module(LAB, "baseline")
    evaluate = lab_module(LAB, "evaluate")
    splits = data.load_splits(train_size=1500)
    b = baseline.train_baseline(splits.train)
    m = evaluate.evaluate(splits.test[:600], b.predict(splits.test[:600]))
    assert m["category_macro_f1"] >= 0.9, (
        f"TF-IDF + logistic regression reached category macro-F1 {m['category_macro_f1']:.3f} "
        "on 600 test tickets; it should reach 0.9. Use uni- and bigrams and a large vocabulary.")
    probs = b.predict_probs(splits.test[:50])["category"]
    by_probs = [data.LABELS["category"][i] for i in probs.argmax(1)]
    assert by_probs == b.predict(splits.test[:50])["category"], (
        "predict_probs columns must follow LABELS order (sklearn's classes_ are alphabetical)")


@pytest.mark.exercise(3)
@pytest.mark.points(2)
def test_macro_f1_against_hand_computed_values(lab_module):
    """Catches evaluate__micro_f1."""
    ev = lab_module(LAB, "evaluate")
    y_true = ["a", "a", "a", "b", "c", "c"]
    y_pred = ["a", "a", "b", "b", "c", "a"]
    # a: tp 2 fp 1 fn 1 -> 4/6; b: tp 1 fp 1 fn 0 -> 2/3; c: tp 1 fp 0 fn 1 -> 2/3
    assert ev.macro_f1(y_true, y_pred, ["a", "b", "c"]) == pytest.approx(2 / 3), (
        "macro-F1 = mean over classes of 2*tp/(2*tp+fp+fn); here every class has F1 2/3")
    y_true, y_pred = ["a"] * 8 + ["b", "b"], ["a"] * 10
    # a: tp 8 fp 2 -> 16/18; b: tp 0 fn 2 -> 0  => 4/9 (accuracy would be 0.8)
    assert ev.macro_f1(y_true, y_pred, ["a", "b"]) == pytest.approx(4 / 9), (
        "a model that never predicts the rare class must be punished: expected 4/9, not accuracy")


@pytest.mark.exercise(4)
@pytest.mark.points(2)
def test_model_matches_the_baseline(lab_module, trained):
    """Baseline vs model on the same test tickets. Catches data__labels_sorted."""
    baseline, evaluate = lab_module(LAB, "baseline"), lab_module(LAB, "evaluate")
    model = lab_module(LAB, "model")
    t = trained(lab_module)
    splits, test = t.splits, t.splits.test[:600]
    probs = model.predict_exported(model.load_exported(t.export), lab_module(LAB, "data").texts(test))
    keras_f1 = evaluate.evaluate(test, evaluate.labels_from_probs(probs))["category_macro_f1"]
    base_f1 = evaluate.evaluate(test, baseline.train_baseline(splits.train).predict(test))[
        "category_macro_f1"]
    assert keras_f1 >= base_f1 - 0.03, (
        f"The Keras model's category macro-F1 ({keras_f1:.3f}) is more than 0.03 below the "
        f"baseline's ({base_f1:.3f}) with the same 2,000 training tickets. Check that labels are "
        "encoded in LABELS order and the text reaches the model.")


@pytest.mark.exercise(4)
@pytest.mark.points(3)
def test_export_keeps_the_preprocessing(lab_module, tmp_path):
    """Identical outputs for raw text before and after export. Catches
    model__export_without_preprocessing."""
    data, model, trainer = lab_module(LAB, "data"), lab_module(LAB, "model"), lab_module(LAB, "trainer")
    splits = data.load_splits(train_size=300)  # the model's quality does not matter here
    result = trainer.train(splits, {"hidden_units": 8}, epochs=1)
    export = model.export_model(result.model, tmp_path / "export")
    raw = data.texts(splits.test[:64]) + ["", "NO LOGIN!!! 12345", "¿Dónde está mi factura?"]
    before = model.predict_probs(result.model, raw)
    serving = model.load_exported(export)
    inputs = serving.structured_input_signature[1]
    assert [spec.dtype.name for spec in inputs.values()] == ["string"], (
        f"The exported serving signature takes {inputs}; it must take raw strings so serving needs "
        "no Python preprocessing (put the TextVectorization layer inside the exported model).")
    after = model.predict_exported(serving, raw)
    for head in ("category", "priority"):
        assert np.allclose(before[head], after[head], atol=1e-5), (
            f"{head}: the exported model's probabilities differ from the Keras model's on the same "
            "raw text: training/serving skew.")


@pytest.mark.exercise(5)
@pytest.mark.points(1)
def test_early_stopping_watches_validation_and_keeps_the_best_epoch(lab_module):
    """Catches trainer__early_stopping_wrong_mode."""
    trainer = lab_module(LAB, "trainer")
    cb = trainer.early_stopping(patience=3)
    assert cb.monitor == trainer.METRIC and cb.patience == 3, (
        f"EarlyStopping should monitor {trainer.METRIC!r} with the given patience")
    assert cb.restore_best_weights, "restore_best_weights=True keeps the best epoch, not the last"
    assert cb.mode == "max", "the metric is an F1 score: higher is better (mode='max')"


@pytest.mark.exercise(5)
@pytest.mark.points(2)
def test_report_metric_writes_hypertune_lines(lab_module, tmp_path, monkeypatch):
    """Catches trainer__metric_file_overwritten."""
    trainer = lab_module(LAB, "trainer")
    path = tmp_path / "hp" / "metric.jsonl"
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(path))
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "7")
    trainer.report_metric("val_macro_f1", 0.5, 1)
    trainer.report_metric("val_macro_f1", 0.75, 3)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 2, "each report appends one JSON line; do not overwrite the file"
    last = lines[-1]
    assert last["trial"] == "7" and last["val_macro_f1"] == "0.75" and last["global_step"] == "3", (
        f"got {last}; expected trial from CLOUD_ML_TRIAL_ID and string values as cloudml-hypertune "
        "writes them")
    assert isinstance(last["timestamp"], float)


@pytest.mark.exercise(5)
@pytest.mark.points(2)
def test_trainer_entry_point_uses_aip_model_dir(lab_module, tmp_path, monkeypatch):
    trainer = lab_module(LAB, "trainer")
    monkeypatch.setenv("AIP_MODEL_DIR", str(tmp_path / "model"))
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(tmp_path / "metric.jsonl"))
    assert trainer.main(["--learning_rate=0.01", "--epochs", "1", "--train-size", "300"]) == 0
    assert (tmp_path / "model" / "saved_model.pb").is_file(), (
        "with no --model-dir the trainer must export to $AIP_MODEL_DIR (Vertex sets it)")
    record = json.loads((tmp_path / "metric.jsonl").read_text().splitlines()[-1])
    assert trainer.METRIC in record, "the trainer must report its tuning metric"


@pytest.mark.exercise(6)
@pytest.mark.points(3)
def test_one_search_space_drives_both_tuners(lab_module, monkeypatch):
    """Catches tune__vertex_space_hardcoded."""
    import keras_tuner as kt

    tune = lab_module(LAB, "tune")
    space = {
        "learning_rate": {"type": "double", "min": 2e-3, "max": 5e-2, "scale": "log"},
        "hidden_units": {"type": "discrete", "values": [8, 24]},
        "dropout": {"type": "double", "min": 0.1, "max": 0.3, "scale": "linear"},
        "l2": {"type": "double", "min": 1e-6, "max": 1e-3, "scale": "log"},
    }
    monkeypatch.setattr(tune, "SEARCH_SPACE", space)
    hp = kt.HyperParameters()
    values = tune.keras_tuner_hp(hp)
    assert set(values) == set(space), "keras_tuner_hp must ask for every SEARCH_SPACE entry"
    lr = hp._hps["learning_rate"][0]
    assert (lr.min_value, lr.max_value, lr.sampling) == (2e-3, 5e-2, "log")
    assert list(hp._hps["hidden_units"][0].values) == [8, 24]
    specs = tune.vertex_parameter_spec()
    assert set(specs) == set(space), (
        f"vertex_parameter_spec gave {sorted(specs)} for a space of {sorted(space)}: build it from "
        "SEARCH_SPACE, not from a second copy")
    assert (specs["learning_rate"].min, specs["learning_rate"].max) == (2e-3, 5e-2)
    assert specs["learning_rate"].scale == "log" and specs["dropout"].scale == "linear"
    assert list(specs["hidden_units"].values) == [8, 24]
    assert tune.vertex_metric_spec() == {tune.OBJECTIVE[0]: "maximize"}
