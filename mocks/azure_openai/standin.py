"""The stand-in model: deterministic answers derived only from the request. Not a real model.

What it reads (the contract with the labs' prompts; a real model of course reads anything):

* **Label fields.** Every property with an ``enum`` in ``response_format.json_schema.schema``
  (searched recursively, ``$ref``/``anyOf``/array ``items`` included) is a label field. With
  ``json_object`` or no schema, label sets come from the system/developer prompt: a line naming
  the field (``Category:``, ``Priority (one of):``, ``the `category` is one of:``) followed by
  lines ``- <label>: <description>``.
* **Descriptions.** Any system/developer line ``- <label>: <description>`` (also ``* label:``,
  ``1. label:``, ``label — description``) describes that label.
* **Examples.** A user message followed by an assistant message whose content is JSON: the user
  text is an example of each label the JSON assigns. Also lines
  ``Example (category=billing, priority=high): <text>`` in the system prompt.
* **Tickets.** The last user message; several tickets are ``<ticket id="ID">...</ticket>``
  blocks, answered one item per ticket, in order, each carrying its ``id``.

Method: for each label field, each label gets a document (its name, description and examples);
the ticket is compared with every document by TF-IDF-weighted bag-of-words cosine similarity
(IDF over that field's label documents) and the best label wins, ties to the earlier label.
A clearer prompt (better descriptions, more examples) therefore gives better answers; a prompt
with label names only gives poor ones. Strings without ``enum`` get the ticket's first sentence
(cut to ``maxLength`` or 15 words); numbers get the best similarity score (scaled into
``minimum``..``maximum`` for integers); booleans say whether that score is above 0.1.

Embeddings are hashed bag-of-words vectors (the same word stems always land in the same
dimensions), L2-normalised, of the requested size: similar texts get similar vectors, but
there is no semantics beyond shared words.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from shared.tokens import content_text

WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have he her his "
    "how i if in into is it its me my no not of on or our out so than that the their them then "
    "there these they this to too up us was we were what when where which while who why will "
    "with would you your yours am any all also about after again just more most only other own "
    "same some such very should each few both here over under once because until off".split()
)
BULLET_LINE = re.compile(
    r"""^\s*(?:[-*\u2022]|\d+[.)])\s+[`'"]?(?P<label>[^:\u2014\u2013`'"\n]+?)[`'"]?\s*"""
    r"""(?::|\u2014|\u2013|\s-\s)\s*(?P<desc>.*)$"""
)
DASH_LINE = re.compile(r"""^\s*[`'"]?(?P<label>\w[\w \-/]*?)[`'"]?\s*(?:\u2014|\u2013)\s*(?P<desc>.+)$""")
INLINE_EXAMPLE = re.compile(r"^\s*(?:[-*]\s*)?example\s*\((?P<pairs>[^)]*)\)\s*:\s*(?P<text>.+)$", re.I)
TICKET_BLOCK = re.compile(r"""<ticket\s+id\s*=\s*["']?(?P<id>[^"'>\s]+)["']?\s*>(?P<text>.*?)</ticket>""",
                          re.S | re.I)
QUOTED_NAME = re.compile(r"""[`"']([A-Za-z_][\w]*)[`"']""")
SUMMARY_WORDS = 15


# ---- text --------------------------------------------------------------------------------

def stem(word: str) -> str:
    """A light suffix stripper so that charge/charges/charged/charging meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def words(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def norm_label(label: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(label).strip().lower())


def first_sentence(text: str, max_words: int = SUMMARY_WORDS, max_length: int | None = None) -> str:
    text = " ".join(text.split())
    match = re.search(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    sentence = " ".join(sentence.split()[:max_words])
    return sentence[:max_length] if max_length is not None else sentence


# ---- what the prompt says ----------------------------------------------------------------

@dataclass
class Prompt:
    instructions: str  # system + developer messages
    tickets: list[tuple[str | None, str]]
    label_fields: dict[str, list[str]]  # field -> labels, in order
    descriptions: dict[str, list[str]] = field(default_factory=dict)  # norm label -> texts
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (field, label)

    def document(self, field_name: str, label: str) -> str:
        key = norm_label(label)
        parts = [str(label).replace("_", " ").replace("-", " ")]
        parts += self.descriptions.get(key, [])
        parts += self.examples.get((field_name, key), [])
        return "\n".join(parts)


def split_tickets(text: str) -> list[tuple[str | None, str]]:
    blocks = [(m.group("id"), m.group("text").strip()) for m in TICKET_BLOCK.finditer(text)]
    return blocks or [(None, text)]


def read_descriptions(instructions: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in instructions.splitlines():
        match = BULLET_LINE.match(line) or DASH_LINE.match(line)
        if match and match.group("desc").strip():
            found.setdefault(norm_label(match.group("label")), []).append(match.group("desc").strip())
    return found


def header_field(line: str) -> str | None:
    """The field a header line like 'Priority (one of):' or 'the `category`:' names."""
    quoted = QUOTED_NAME.findall(line)
    if quoted:
        return quoted[0].lower()
    head = re.split(r"[:(]", line)[0]
    names = re.findall(r"[A-Za-z_]+", head)
    if not names:
        return None
    name = names[-1].lower()
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def label_sets_from_text(instructions: str) -> dict[str, list[str]]:
    """Label sets written as a header line followed by '- label: description' lines."""
    sets: dict[str, list[str]] = {}
    current = None
    for line in instructions.splitlines():
        if not line.strip():
            continue
        bullet = BULLET_LINE.match(line)
        if bullet and current:
            label = bullet.group("label").strip()
            if label not in sets.setdefault(current, []):
                sets[current].append(label)
        elif not bullet:
            current = header_field(line) if line.rstrip().endswith(":") or "one of" in line.lower() else None
    return {name: labels for name, labels in sets.items() if len(labels) >= 2}


def resolve(schema: dict, root: dict) -> dict:
    """Follow $ref and pick the first non-null branch of anyOf/oneOf."""
    for _ in range(20):
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            target: object = root
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
            continue
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
                rest = {k: v for k, v in schema.items() if k != key}
                schema = {**rest, **(options[0] if options else {})}
                break
        else:
            return schema
    return schema


def enum_fields(schema: dict, root: dict, name: str = "", out=None, depth: int = 0) -> dict:
    """Every property with an enum, searched recursively: field name -> labels."""
    out = {} if out is None else out
    schema = resolve(schema, root)
    if depth > 12:
        return out
    if "enum" in schema and name:
        out.setdefault(name, [str(v) for v in schema["enum"] if v is not None])
    for prop, sub in (schema.get("properties") or {}).items():
        enum_fields(sub, root, prop, out, depth + 1)
    if "items" in schema:
        enum_fields(schema["items"], root, name, out, depth + 1)
    return out


def parse_json(text: str):
    text = text.strip()
    if text.startswith("```"):
        text = re.sub(r"^```\w*\s*|\s*```$", "", text)
    try:
        return json.loads(text)
    except ValueError:
        return None


def read_examples(messages: list[dict], fields: dict[str, list[str]]) -> dict:
    examples: dict[tuple[str, str], list[str]] = {}

    def add(assigned: dict, text: str) -> None:
        for name, value in assigned.items():
            if name in fields and isinstance(value, str):
                examples.setdefault((name, norm_label(value)), []).append(text)

    for user, reply in zip(messages, messages[1:], strict=False):
        if user.get("role") != "user" or reply.get("role") != "assistant":
            continue
        data = parse_json(content_text(reply.get("content")))
        if not isinstance(data, dict):
            continue
        tickets = dict(split_tickets(content_text(user.get("content"))))
        items = [v for v in data.values() if isinstance(v, list)]
        per_ticket = [i for lst in items for i in lst if isinstance(i, dict) and "id" in i]
        for item in per_ticket:
            if str(item["id"]) in tickets:
                add(item, tickets[str(item["id"])])
        add(data, content_text(user.get("content")))
    return examples


def read_inline_examples(instructions: str, examples: dict) -> None:
    for line in instructions.splitlines():
        match = INLINE_EXAMPLE.match(line)
        if not match:
            continue
        for pair in match.group("pairs").split(","):
            if "=" in pair:
                name, label = (s.strip().strip("'\"`") for s in pair.split("=", 1))
                examples.setdefault((name, norm_label(label)), []).append(match.group("text"))


def read_prompt(messages: list[dict], schema: dict | None) -> Prompt:
    instructions = "\n".join(content_text(m.get("content")) for m in messages
                             if m.get("role") in ("system", "developer"))
    users = [m for m in messages if m.get("role") == "user"]
    last_user = content_text(users[-1].get("content")) if users else ""
    if schema is not None:
        fields = enum_fields(schema, schema)
    else:
        fields = label_sets_from_text(instructions)
    prompt = Prompt(instructions, split_tickets(last_user), fields,
                    descriptions=read_descriptions(instructions))
    prompt.examples = read_examples(messages[:-1] if messages else [], fields)
    read_inline_examples(instructions, prompt.examples)
    return prompt


# ---- the method --------------------------------------------------------------------------

def tfidf_scores(text: str, documents: list[str]) -> list[float]:
    """Cosine similarity of ``text`` with each document, TF-IDF weighted (IDF over documents)."""
    docs = [Counter(words(d)) for d in documents]
    n = len(docs)
    df = Counter(term for d in docs for term in d)

    def idf(term: str) -> float:
        return math.log((1 + n) / (1 + df[term])) + 1

    def vector(counts: Counter) -> dict[str, float]:
        return {t: (1 + math.log(c)) * idf(t) for t, c in counts.items()}

    query = vector(Counter(words(text)))
    query_norm = math.sqrt(sum(v * v for v in query.values())) or 1.0
    scores = []
    for d in docs:
        vec = vector(d)
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        scores.append(sum(w * vec.get(t, 0.0) for t, w in query.items()) / (norm * query_norm))
    return scores


def classify(prompt: Prompt, field_name: str, labels: list[str], text: str) -> tuple[str, float]:
    if not labels:
        return "", 0.0
    scores = tfidf_scores(text, [prompt.document(field_name, label) for label in labels])
    best = max(range(len(labels)), key=lambda i: (scores[i], -i))
    return labels[best], scores[best]


# ---- filling a schema --------------------------------------------------------------------

@dataclass
class Item:
    text: str
    ticket_id: str | None
    scores: list[float] = field(default_factory=list)


def has_id_items(schema: dict, root: dict) -> bool:
    schema = resolve(schema, root)
    items = resolve(schema.get("items") or {}, root) if schema.get("type") == "array" else {}
    return "id" in (items.get("properties") or {})


class SchemaFiller:
    def __init__(self, prompt: Prompt, root: dict):
        self.prompt = prompt
        self.root = root

    def value(self, schema: dict, name: str, item: Item):
        schema = resolve(schema, self.root)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            labels = [str(v) for v in schema["enum"] if v is not None]
            label, score = classify(self.prompt, name, labels, item.text)
            item.scores.append(score)
            original = [v for v in schema["enum"] if str(v) == label]
            return original[0] if original else label
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"_{kind}", self._string)(schema, name, item)

    def _object(self, schema, name, item):
        props = schema.get("properties") or {}
        # label fields first, so numbers and booleans can use their scores
        order = sorted(props, key=lambda p: "enum" not in resolve(props[p], self.root))
        values = {}
        for prop in order:
            sub = props[prop]
            if len(self.prompt.tickets) > 1 and item.ticket_id is None and has_id_items(sub, self.root):
                values[prop] = self._per_ticket(sub, prop)
            else:
                values[prop] = self.value(sub, prop, item)
        return {prop: values[prop] for prop in props}

    def _per_ticket(self, schema, name):
        items_schema = resolve(schema, self.root).get("items") or {}
        return [self.value(items_schema, name, Item(text, ticket_id))
                for ticket_id, text in self.prompt.tickets]

    def _array(self, schema, name, item):
        if has_id_items(schema, self.root) and item.ticket_id is None:
            return self._per_ticket(schema, name)
        count = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        return [self.value(schema.get("items") or {}, name, item) for _ in range(count)]

    def _string(self, schema, name, item):
        if name == "id" and item.ticket_id is not None:
            return item.ticket_id
        return first_sentence(item.text, max_length=schema.get("maxLength"))

    def _confidence(self, item) -> float:
        return sum(item.scores) / len(item.scores) if item.scores else 0.0

    def _number(self, schema, name, item):
        value = round(self._confidence(item), 3)
        return min(max(value, schema.get("minimum", value)), schema.get("maximum", value))

    def _integer(self, schema, name, item):
        if name == "id" and item.ticket_id is not None and item.ticket_id.isdigit():
            return int(item.ticket_id)
        low, high = schema.get("minimum", 0), schema.get("maximum", 100)
        return int(round(low + self._confidence(item) * (high - low)))

    def _boolean(self, schema, name, item):
        return self._confidence(item) > 0.1

    def _null(self, schema, name, item):
        return None


# ---- entry points ------------------------------------------------------------------------

def schema_of(response_format: dict | None) -> dict | None:
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema") or {}
    return None


def labels_for(prompt: Prompt, text: str) -> dict[str, str]:
    return {name: classify(prompt, name, labels, text)[0]
            for name, labels in prompt.label_fields.items()}


def reply(messages: list[dict], response_format: dict | None = None) -> str:
    """The stand-in model's answer text for a chat request."""
    schema = schema_of(response_format)
    prompt = read_prompt(messages, schema)
    if schema is not None:
        item = Item(content_text(messages[-1].get("content")) if messages else "", None)
        if len(prompt.tickets) == 1:
            item = Item(prompt.tickets[0][1], prompt.tickets[0][0])
        return json.dumps(SchemaFiller(prompt, schema).value(schema, "", item), ensure_ascii=False)
    kind = (response_format or {}).get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return json.dumps(json_object_answer(prompt), ensure_ascii=False)
    return text_answer(prompt)


def json_object_answer(prompt: Prompt) -> dict:
    if len(prompt.tickets) > 1:
        return {"results": [{"id": tid, **labels_for(prompt, text)}
                            for tid, text in prompt.tickets]}
    text = prompt.tickets[0][1]
    return labels_for(prompt, text) or {"summary": first_sentence(text)}


def text_answer(prompt: Prompt) -> str:
    if not prompt.label_fields:
        text = prompt.tickets[-1][1] if prompt.tickets else ""
        return f"Stand-in reply (labkit emulator, not a real model): {first_sentence(text)}"
    lines = []
    for tid, text in prompt.tickets:
        labels = labels_for(prompt, text)
        if len(labels) == 1 and len(prompt.tickets) == 1:
            return next(iter(labels.values()))
        found = ", ".join(f"{k}: {v}" for k, v in labels.items())
        lines.append(f"{tid}: {found}" if tid else found)
    return "\n".join(lines)


def embedding(text: str, dimensions: int) -> list[float]:
    """A hashed bag-of-words vector: each word stem adds +-1 to one dimension; L2-normalised."""
    vec = [0.0] * dimensions
    for term in words(text) or [text]:
        digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vec[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]
