"""Graded tests of the GCP ticket-triage lab: model behaviour, drift monitoring, deployment.

Model-behaviour tests follow the checklist idea (Ribeiro et al.): minimum functionality (easy
cases must be right), invariance (changes that should not matter do not), directional
expectations (a change that should move the answer moves it the right way).
"""

from __future__ import annotations

import httpx
import pytest

from tests.labs.gcp.ticket_triage.conftest import LAB

EASY = {
    "billing": "Refund for a double charge\n\nWe were charged twice on invoice INV-12345, "
               "please refund the duplicate payment.",
    "account_access": "Cannot log in\n\nI cannot log in, the password reset link does not "
                      "work and my account is locked.",
    "outage": "Service down\n\nThe whole service is down, nobody in our company can connect since this morning.",
    "security": "Suspicious login\n\nWe saw a suspicious login from an unknown country and "
                "think our account was compromised.",
    "feature_request": "Feature request\n\nIt would be great if you could add dark mode and an export to Excel.",
}


def _local(lab_module, trained):
    classify = lab_module(LAB, "classify")
    t = trained(lab_module)
    return classify, classify.local_predictor(str(t.export)), t.splits, t


def _ticket(text, tid="t"):
    subject, _, body = text.partition("\n\n")
    return {"id": tid, "subject": subject, "body": body, "product": "TeamSync",
            "category": "bug", "priority": "low", "language": "en"}


@pytest.mark.exercise(4)
@pytest.mark.points(2)
def test_minimum_functionality_on_easy_tickets(lab_module, trained):
    """Catches data__labels_sorted (labels encoded in one order, decoded in another)."""
    classify, predictor, _, _ = _local(lab_module, trained)
    results = classify.classify(predictor, [_ticket(t, c) for c, t in EASY.items()])
    wrong = {c: r["category"] for c, r in zip(EASY, results, strict=True) if r["category"] != c}
    assert len(wrong) <= 1, (
        f"Easy, unambiguous tickets were misclassified: {wrong} (expected -> got). A model this "
        "good on the test split must get these right; check the label order and the text input.")


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_invariance_to_names_numbers_and_product(lab_module, trained):
    classify, predictor, splits, _ = _local(lab_module, trained)
    tickets = splits.test[:100]
    swaps = {"PayFlow": "TeamSync", "TeamSync": "DataVault", "DataVault": "InsightBI",
             "InsightBI": "CloudDesk", "CloudDesk": "PayFlow"}
    changed = []
    for t in tickets:
        body = t["body"]
        for a, b in swaps.items():
            body = body.replace(a, b)
        changed.append(dict(t, body=body.replace("0", "7").replace("1", "3")))
    before = classify.classify(predictor, tickets)
    after = classify.classify(predictor, changed)
    same = sum(a["category"] == b["category"] for a, b in zip(before, after, strict=True))
    assert same >= 95, (
        f"Only {same}/100 tickets kept their category when the product name and digits changed; "
        "the category should not depend on which product or which invoice number is named.")


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_directional_urgency_raises_high_priority(lab_module, trained):
    data, model = lab_module(LAB, "data"), lab_module(LAB, "model")
    t = trained(lab_module)
    serving = model.load_exported(t.export)
    base = data.texts(t.splits.test[:100])
    urgent = [t + "\n\nThis is urgent: production is down for all our users, please help ASAP!"
              for t in base]
    high = data.LABELS["priority"].index("high")
    p0 = model.predict_exported(serving, base)["priority"][:, high]
    p1 = model.predict_exported(serving, urgent)["priority"][:, high]
    assert (p1 > p0).mean() >= 0.9, (
        f"Adding an urgent sentence raised P(high priority) for only {(p1 > p0).mean():.0%} of "
        "tickets; expected at least 90%.")


# Drift ---------------------------------------------------------------------------------------

@pytest.mark.exercise(9)
@pytest.mark.points(1)
def test_guess_language(lab_module):
    monitor = lab_module(LAB, "monitor")
    cases = {"The invoice is wrong and we want a refund": "en",
             "No puedo entrar en mi cuenta, por favor ayuda con la factura": "es",
             "Ich kann mich nicht anmelden, bitte helfen Sie mit der Rechnung": "de",
             "12345 !!!": "unknown"}
    got = {text: monitor.guess_language(text) for text in cases}
    assert got == cases, f"guess_language: expected {cases}, got {got}"


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_input_features_against_hand_computed_values(lab_module):
    """Catches monitor__oov_share_inverted and monitor__length_in_characters."""
    monitor = lab_module(LAB, "monitor")
    tickets = [_ticket("Printer\n\nThe printer is on fire!"), _ticket("x\n\n")]
    tickets[1]["product"] = "PayFlow"
    vocab = {"the", "printer", "is", "on"}
    f = monitor.input_features(tickets, vocab)
    # ticket 1 tokens: printer the printer is on fire -> 6 tokens, 1 unknown ("fire")
    assert f["length_tokens"] == [6, 1], f"length_tokens: expected [6, 1] tokens, got {f['length_tokens']}"
    assert f["oov_share"] == pytest.approx([1 / 6, 1.0]), (
        f"oov_share: expected [1/6, 1.0] (share of tokens NOT in the vocabulary), got {f['oov_share']}")
    assert f["language"] == ["en", "unknown"] and f["product"] == ["TeamSync", "PayFlow"]


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_window_drift_statistics_and_thresholds(lab_module):
    """Catches monitor__one_threshold_for_all."""
    monitor = lab_module(LAB, "monitor")
    baseline = {"length_tokens": list(range(10)), "product": ["a", "a", "b", "b"],
                "predicted_category": ["x"] * 4 + ["y"] * 4}
    current = {"length_tokens": [0] * 10, "product": ["a", "a", "a", "b"],
               "predicted_category": ["x"] * 6 + ["y"] * 2}
    drifts = {d.name: d for d in monitor.window_drift(baseline, current)}
    # length: P uniform over 10 bins, Q all in bin 0 -> M = (0.55, 0.05 x 9)
    # KL(P||M) = 0.1 log2(0.1/0.55) + 0.9 log2(2); KL(Q||M) = log2(1/0.55); JS = mean of the two
    import math

    js = (0.1 * math.log2(0.1 / 0.55) + 0.9 + math.log2(1 / 0.55)) / 2
    assert drifts["length_tokens"].distance == pytest.approx(js, abs=1e-9), (
        f"length_tokens is numerical: Jensen-Shannon divergence {js:.4f} expected, got "
        f"{drifts['length_tokens'].distance:.4f}")
    assert drifts["product"].distance == pytest.approx(0.25) and not drifts["product"].drifted, (
        "product is categorical: L-infinity 0.25, below the default threshold 0.3")
    assert drifts["predicted_category"].distance == pytest.approx(0.25)
    assert drifts["predicted_category"].drifted, (
        "predicted_category has its own lower threshold (THRESHOLDS): 0.25 must alert")


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_oov_reference_comes_from_data_the_vocabulary_never_saw(lab_module):
    """Catches monitor__oov_reference_on_train (OOV share measured on the vocabulary's own split)."""
    monitor = lab_module(LAB, "monitor")
    train = [_ticket("Printer jam\n\nThe printer is jammed"), _ticket("Printer\n\nThe printer is on")]
    validation = [_ticket("Printer fire\n\nThe printer is on fire"), _ticket("Fire\n\nfire fire")]
    vocabulary = {"printer", "jam", "the", "is", "jammed", "on"}  # built from train: train has no OOV
    predictions = [{"category": "bug", "priority": "low", "category_confidence": 0.9}] * 2
    base = monitor.build_baseline(train, validation, predictions, vocabulary)
    # validation tokens: "printer fire the printer is on fire" -> 2 of 7 unknown; "fire fire fire" -> 3 of 3
    assert base["oov_share"] == pytest.approx([2 / 7, 1.0]), (
        "oov_share's reference must be the validation split, which the vocabulary never saw: "
        f"expected [2/7, 1.0], got {base['oov_share']} (all 0.0 means it was measured on train, "
        "where every word is known by construction, so any new ticket looks like drift)")
    assert set(base) == set(monitor.KINDS), f"the baseline needs every monitored feature, got {sorted(base)}"
    assert base["predicted_category"] == ["bug", "bug"], "prediction features come from validation predictions"


EXPECTED_FEATURE = {"new_product": "product", "category_mix": "predicted_category",
                    "long_tickets": "length_tokens", "language": "language"}


@pytest.fixture(scope="module")
def stream_reports():
    return {}


def _reports(lab_module, trained, cache):
    if not cache:
        from shared.datasets.tickets import SCENARIOS, generate

        classify, predictor, splits, t = _local(lab_module, trained)
        monitor = lab_module(LAB, "monitor")
        vocab = t.vocabulary
        base = monitor.build_baseline(splits.train, splits.validation,
                                      classify.classify(predictor, splits.validation), vocab)
        ds = generate(seed=0)
        for scenario in SCENARIOS:
            windows = ds.stream_windows(scenario)
            preds = [classify.classify(predictor, w) for w in windows]
            cache[scenario] = monitor.monitor_windows(base, windows, preds, vocab)
    return cache


@pytest.mark.exercise(9)
@pytest.mark.points(2)
def test_no_alarm_on_the_stable_stream(lab_module, trained, stream_reports):
    """Catches monitor__one_threshold_for_all (0.1 everywhere: chance alone crosses it)."""
    reports = _reports(lab_module, trained, stream_reports)["none"]
    noisy = {r.window: r.alert_features for r in reports if r.alert}
    assert not noisy, f"False alarms on the 'none' scenario (no drift): {noisy}"


@pytest.mark.exercise(9)
@pytest.mark.points(4)
@pytest.mark.parametrize("scenario", list(EXPECTED_FEATURE))
def test_each_drift_scenario_is_detected(lab_module, trained, stream_reports, scenario):
    """Catches monitor__no_product_feature and monitor__language_from_script."""
    reports = _reports(lab_module, trained, stream_reports)[scenario]
    early = {r.window: r.alert_features for r in reports[:2] if r.alert}
    assert not early, f"{scenario}: alerts before the drift starts (window 2): {early}"
    flagged = [r for r in reports[2:5] if EXPECTED_FEATURE[scenario] in r.alert_features]
    assert flagged, (
        f"{scenario}: no alert naming {EXPECTED_FEATURE[scenario]!r} in windows 2-4; got "
        f"{[(r.window, r.alert_features) for r in reports]}")


# Deployment ----------------------------------------------------------------------------------

def _fault(vertex, status, count):
    httpx.post(vertex.url + "/_mock/faults",
               json={"method": "predict", "status": status, "count": count}).raise_for_status()


@pytest.fixture(scope="module")
def deployed():
    return {}


def _endpoint(lab_module, trained, vertex, cache):
    from shared.config import load_settings
    from shared.gcp import vertex_connection

    deploy = lab_module(LAB, "deploy")
    export = trained(lab_module).export
    conn = vertex_connection(load_settings("mock", environ={}, dotenv_path="/nonexistent"))
    return deploy, deploy.deploy_model(deploy.upload_model(export, conn))


@pytest.mark.exercise(8)
@pytest.mark.points(3)
def test_deploy_and_predict_through_the_emulator(lab_module, trained, vertex, deployed):
    classify = lab_module(LAB, "classify")
    deploy, endpoint = _endpoint(lab_module, trained, vertex, deployed)
    splits = trained(lab_module).splits
    tickets = splits.test[:120]
    remote = classify.classify(deploy.endpoint_predictor(endpoint), tickets, batch_size=50)
    local = classify.classify(classify.local_predictor(str(trained(lab_module).export)), tickets)
    assert [r["category"] for r in remote] == [r["category"] for r in local], (
        "The endpoint's answers differ from the exported model's: the deployed artefact must be "
        "the same SavedModel, sent raw text")
    assert all(abs(a["category_confidence"] - b["category_confidence"]) < 1e-5
               for a, b in zip(remote, local, strict=True))


@pytest.mark.exercise(8)
@pytest.mark.points(2)
@pytest.mark.parametrize("status", [429, 503])
def test_predict_retries_on_429_and_503(lab_module, trained, vertex, deployed, status):
    """Catches deploy__retry_429_only."""
    deploy, endpoint = _endpoint(lab_module, trained, vertex, deployed)
    _fault(vertex, status, 2)
    waits = []
    rows = deploy.predict_with_retries(endpoint, ["I cannot log in"], sleep=waits.append)
    assert len(rows) == 1, "after two refused calls the third must succeed"
    assert len(waits) == 2 and waits[1] > waits[0] * 1.0, (
        f"expected two growing back-off waits before the third try, got {waits}")


@pytest.mark.exercise(8)
@pytest.mark.points(2)
def test_predict_gives_up(lab_module, trained, vertex, deployed):
    """Catches deploy__retries_everything."""
    from google.api_core import exceptions as gexc

    deploy, endpoint = _endpoint(lab_module, trained, vertex, deployed)
    waits = []
    _fault(vertex, "INVALID_ARGUMENT", 1)
    with pytest.raises(gexc.BadRequest):
        deploy.predict_with_retries(endpoint, ["hello"], sleep=waits.append)
    assert waits == [], "a 400 cannot be fixed by retrying: raise it at once"
    _fault(vertex, 503, 10)
    with pytest.raises(gexc.ServiceUnavailable):
        deploy.predict_with_retries(endpoint, ["hello"], attempts=3, sleep=waits.append)
    assert len(waits) == 2, f"3 attempts means 2 waits, then the error; got {len(waits)} waits"
