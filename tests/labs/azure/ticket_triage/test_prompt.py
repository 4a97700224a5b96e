"""Graded: the system prompt, the structured-output schema and answer validation (prompt.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  prompt__accepts_unknown_labels.py  believes any label the model writes
  prompt__fuzzy_repair.py            "repairs" a label by guessing the closest one
  prompt__no_enum_in_schema.py       json_schema without enums, so labels are unconstrained
  prompt__no_descriptions.py         lists label names without their descriptions
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def labels(lab):
    return lab("prompt").default_labels()


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_system_prompt_lists_labels_with_descriptions_and_examples(lab, labels, tickets_dataset):
    prompt = lab("prompt")
    examples = prompt.select_examples(tickets_dataset.train, 1)
    text = prompt.build_system_prompt(labels, examples)
    for label, description in {**labels.categories, **labels.priorities}.items():
        assert f"- {label}: {description}" in text, (
            f"the system prompt needs the line '- {label}: {description}': every label with its "
            "description, so the model (and the emulator's stand-in) knows what each one means.")
    assert sum(line.startswith("Example (") for line in text.splitlines()) == len(examples), (
        "add one 'Example (category=..., priority=...): text' line per example ticket.")


@pytest.mark.exercise(4)
@pytest.mark.points(2)
def test_response_format_is_a_strict_schema_with_the_label_sets(lab, labels):
    prompt = lab("prompt")
    fmt = prompt.response_format(labels)
    assert fmt.get("type") == "json_schema" and fmt["json_schema"].get("strict") is True, (
        "use response_format {'type': 'json_schema', 'json_schema': {..., 'strict': True}}.")
    item = fmt["json_schema"]["schema"]["properties"]["results"]["items"]
    assert item["properties"]["category"].get("enum") == list(labels.categories), (
        "the category property needs an enum of exactly the category labels.")
    assert item["properties"]["priority"].get("enum") == list(labels.priorities), (
        "the priority property needs an enum of exactly the priority labels.")
    assert sorted(item["required"]) == sorted(prompt.FIELDS) and item.get("additionalProperties") is False, (
        "strict mode needs every property in 'required' and additionalProperties False.")
    json.dumps(fmt)  # must be plain JSON


@pytest.mark.exercise(5)
@pytest.mark.points(3)
def test_answers_are_validated_and_only_certain_repairs_made(lab, labels):
    prompt = lab("prompt")
    with pytest.raises(prompt.AnswerError):
        prompt.parse_answer('{"results": [{"id": "a", "categ')
    fenced = '```json\n{"results": [{"id": "a"}]}\n```'
    assert prompt.parse_answer(fenced) == [{"id": "a"}], "strip a ```json code fence before parsing."
    good = {"id": "a", "category": "Account Access", "priority": " HIGH", "summary": "Locked\n out  of SSO"}
    clean, problem = prompt.validate_item(good, labels)
    assert clean == {"id": "a", "category": "account_access", "priority": "high", "summary": "Locked out of SSO"}, (
        f"got {clean, problem}: repair case, spaces and hyphens of labels, and make the summary one line.")
    for bad, why in [({**good, "category": "accounting"}, "an unknown category"),
                     ({**good, "category": "acc"}, "a label that only resembles one"),
                     ({**good, "priority": "urgent"}, "an unknown priority"),
                     ({k: v for k, v in good.items() if k != "summary"}, "a missing summary")]:
        clean, problem = prompt.validate_item(bad, labels)
        assert clean is None and problem, (
            f"validate_item accepted {why} ({bad}): never guess; return (None, reason) so the "
            "ticket is asked again.")
    long = {**good, "summary": " ".join(["word"] * 40)}
    clean, _ = prompt.validate_item(long, labels)
    assert clean and len(clean["summary"].split()) == prompt.SUMMARY_MAX_WORDS, (
        "cut a summary over SUMMARY_MAX_WORDS words to that many words.")
