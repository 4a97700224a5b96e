"""What a cassette says about itself: the label of a replayed Azure side comes from these fields."""

import json

import pytest

from shared.compare.cassette import CassetteProblem, base_model, read_info


def _exchange(deployment: str, created: int, fingerprint: str, status: int = 200) -> str:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": created, "model": "gpt-4o-mini-2024-07-18",
            "system_fingerprint": fingerprint, "choices": []}
    return json.dumps({"method": "POST", "path": f"/openai/deployments/{deployment}/chat/completions",
                       "api_version": "2024-10-21", "request": "{}", "status": status, "headers": {},
                       "body": json.dumps(body)})


def test_label_comes_from_the_recorded_paths_and_answers(tmp_path):
    cassette = tmp_path / "c.jsonl"
    # 2026-11-30 23:00 UTC and a day later; a 429 first, as a real recording may hold
    cassette.write_text("\n".join([_exchange("triage-prod", 0, "fp_x", status=429),
                                   _exchange("triage-prod", 1_796_079_600, "fp_x"),
                                   _exchange("triage-prod", 1_796_166_000, "fp_y")]) + "\n")
    info = read_info(cassette)
    assert info.label == "recorded from triage-prod, 2026-11-30"
    assert (info.api_version, info.exchanges, info.from_emulator) == ("2024-10-21", 3, False)
    assert base_model(info.model) == "gpt-4o-mini"


def test_a_recording_of_labkits_emulator_says_so(tmp_path):
    cassette = tmp_path / "c.jsonl"
    cassette.write_text(_exchange("gpt-4o-mini", 1_796_079_600, "fp_labkit") + "\n")
    info = read_info(cassette)
    assert info.from_emulator and "labkit's emulator (stand-in model)" in info.label


def test_an_empty_or_broken_cassette_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(CassetteProblem, match="no answered chat completion"):
        read_info(empty)
    with pytest.raises(CassetteProblem, match="Cannot read"):
        read_info(tmp_path / "missing.jsonl")
