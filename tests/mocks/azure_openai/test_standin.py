"""The stand-in model: reads labels, descriptions and examples from the prompt; nothing else."""

from __future__ import annotations

import json

from mocks.azure_openai import standin

CATEGORIES = ["billing", "bug", "account_access", "outage"]
SCHEMA = {"type": "object", "properties": {
    "category": {"type": "string", "enum": CATEGORIES},
    "priority": {"type": "string", "enum": ["low", "high"]}},
    "required": ["category", "priority"], "additionalProperties": False}
FORMAT = {"type": "json_schema", "json_schema": {"name": "triage", "schema": SCHEMA, "strict": True}}

# Hand-written tickets (not the dataset) with the answer a person would give.
TICKETS = [
    ("I was charged twice this month, please refund the duplicate payment.", "billing"),
    ("My invoice shows the wrong amount for the annual plan.", "billing"),
    ("Can I change the credit card used for my subscription?", "billing"),
    ("The export button throws an error and the app crashes.", "bug"),
    ("Saving a report fails with error code 500 since the update.", "bug"),
    ("The chart shows wrong numbers after I filter by date, looks broken.", "bug"),
    ("I cannot log in, the password reset email never arrives.", "account_access"),
    ("My account is locked after too many sign-in attempts.", "account_access"),
    ("Two-factor code is rejected and I am locked out of my account.", "account_access"),
    ("Nothing loads, the whole site is down for our entire team.", "outage"),
    ("Your API has been unreachable for everyone for an hour.", "outage"),
    ("Service down in all regions, every customer is affected.", "outage"),
]

NAMES_ONLY = "Classify the support ticket."
DESCRIBED = """Classify the support ticket.
- billing: charges, payments, refunds, invoices, credit card, subscription plan price
- bug: an error, a crash, something broken or wrong in the product after an update
- account_access: log in, sign-in, password reset, locked account, two-factor code
- outage: the service or site is down or unreachable for everyone, all customers affected
- low: a question or minor annoyance
- high: money lost, service down, people blocked
"""
EXAMPLES = [
    {"role": "user", "content": "Refund the duplicate charge on my card please."},
    {"role": "assistant", "content": '{"category": "billing", "priority": "high"}'},
    {"role": "user", "content": "Locked out: my password reset link does not work."},
    {"role": "assistant", "content": '{"category": "account_access", "priority": "high"}'},
]


def accuracy(system: str, examples: list[dict] | None = None) -> float:
    right = 0
    for text, label in TICKETS:
        messages = [{"role": "system", "content": system}, *(examples or []),
                    {"role": "user", "content": text}]
        right += json.loads(standin.reply(messages, FORMAT))["category"] == label
    return right / len(TICKETS)


def test_a_better_prompt_gives_better_answers():
    bare, described, with_examples = accuracy(NAMES_ONLY), accuracy(DESCRIBED), accuracy(DESCRIBED, EXAMPLES)
    assert bare < 0.5 < described <= with_examples
    assert with_examples >= 0.9


def test_examples_alone_teach_a_label():
    system = "Classify.\n- billing: money\n- bug: broken"
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": "The export button crashes."}]
    # no shared word with any description: a tie, so the first label
    assert json.loads(standin.reply(messages, FORMAT))["category"] == "billing"
    example = [{"role": "user", "content": "export button crashes"},
               {"role": "assistant", "content": '{"category": "bug"}'}]
    messages = [messages[0], *example, {"role": "user", "content": "Export button crashes again"}]
    assert json.loads(standin.reply(messages, FORMAT))["category"] == "bug"


def test_inline_examples_in_the_system_prompt():
    system = "Classify.\nExample (category=outage, priority=high): pager storm, nobody can reach anything"
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": "pager storm again, nobody can reach anything"}]
    assert json.loads(standin.reply(messages, FORMAT)) == {"category": "outage", "priority": "high"}


def test_several_tickets_give_answers_in_order_with_ids():
    schema = {"type": "object", "properties": {"results": {"type": "array", "items": {
        "type": "object", "properties": {"id": {"type": "string"}, **SCHEMA["properties"],
                                         "summary": {"type": "string", "maxLength": 20}},
        "required": ["id", "category", "priority", "summary"]}}}, "required": ["results"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "batch", "schema": schema}}
    picked = [TICKETS[9], TICKETS[0], TICKETS[6]]
    user = "\n".join(f'<ticket id="T{i}">\n{text}\n</ticket>' for i, (text, _) in enumerate(picked))
    answer = json.loads(standin.reply([{"role": "system", "content": DESCRIBED},
                                       {"role": "user", "content": user}], fmt))
    assert [r["id"] for r in answer["results"]] == ["T0", "T1", "T2"]
    assert [r["category"] for r in answer["results"]] == ["outage", "billing", "account_access"]
    assert all(len(r["summary"]) <= 20 for r in answer["results"])


def test_json_object_and_text_read_label_sets_under_a_header():
    system = """Triage the ticket.
Category (one of):
- billing: refunds, charges, invoices
- outage: the service is down for everyone
Priority:
- low: questions
- high: down, everyone blocked
"""
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": "Service is down for everyone!"}]
    assert json.loads(standin.reply(messages, {"type": "json_object"})) == {"category": "outage",
                                                                            "priority": "high"}
    assert standin.reply(messages) == "category: outage, priority: high"
    several = [messages[0], {"role": "user", "content": '<ticket id="a">refund my invoice</ticket>'
                                                        '<ticket id="b">down for everyone</ticket>'}]
    assert json.loads(standin.reply(several, {"type": "json_object"}))["results"] == [
        {"id": "a", "category": "billing", "priority": "low"},
        {"id": "b", "category": "outage", "priority": "high"}]


def test_schema_with_refs_and_numbers_is_filled():
    schema = {"$defs": {"Cat": {"enum": ["billing", "outage"], "type": "string"}},
              "type": "object", "properties": {
                  "category": {"$ref": "#/$defs/Cat"},
                  "score": {"type": "integer", "minimum": 1, "maximum": 5},
                  "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
              "required": ["category", "score", "note"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    answer = json.loads(standin.reply([{"role": "user", "content": "Refund my billing charge."}], fmt))
    assert answer["category"] == "billing" and 1 <= answer["score"] <= 5
    assert answer["note"] == "Refund my billing charge."


def test_answers_are_deterministic_and_plain_chat_is_labelled_a_stand_in():
    messages = [{"role": "user", "content": "What is the weather? Tell me."}]
    assert standin.reply(messages) == standin.reply(messages)
    assert standin.reply(messages).startswith("Stand-in reply")


def test_embeddings_put_texts_with_shared_words_closer():
    a, b, c = (standin.embedding(t, 256) for t in ("refund my invoice", "invoice refund please",
                                                   "the site is down"))
    dot = lambda x, y: sum(p * q for p, q in zip(x, y, strict=True))  # noqa: E731
    assert dot(a, b) > dot(a, c)
    assert standin.embedding("", 8) == standin.embedding("", 8)
