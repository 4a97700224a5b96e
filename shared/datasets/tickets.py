"""A deterministic generator of realistic customer-support tickets, and a drifting stream.

Both labs classify the same tickets, so the comparison is fair. ``generate(seed)`` returns the
splits and the production stream; the same seed gives byte-identical files.

Schema of one ticket (a dict; see shared/datasets/README.md for the full description):
    id, subject, body, product, category, priority, language, created_at
Stream tickets add ``scenario`` and ``window`` (0-based). In every scenario drift starts at
window ``DRIFT_START``; earlier windows look like the training data.

What makes it realistic: five products, four writing styles, typos, greetings and signatures,
quoted e-mail threads, pasted logs and stack traces (some tickets run to thousands of tokens),
3% label noise and 5% ambiguous tickets (two topics, labelled by the first), so that no method
scores 100%.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import pickle
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from shared.datasets import vocab
from shared.datasets.vocab import CATEGORY_DESCRIPTIONS, PRIORITY_DESCRIPTIONS

CATEGORIES = tuple(CATEGORY_DESCRIPTIONS)
PRIORITIES = ("low", "medium", "high")
SCENARIOS = ("none", "new_product", "category_mix", "long_tickets", "language")
FIELDS = ("id", "subject", "body", "product", "category", "priority", "language", "created_at")
STREAM_FIELDS = FIELDS + ("scenario", "window")

SPLIT_SIZES = {"train": 5000, "validation": 1000, "test": 2000}
WINDOWS, WINDOW_SIZE, DRIFT_START = 8, 50, 2
LABEL_NOISE, AMBIGUOUS = 0.03, 0.05

CATEGORY_PRIOR = {"billing": 0.17, "bug": 0.2, "account_access": 0.16, "feature_request": 0.1,
                  "outage": 0.08, "security": 0.08, "how_to": 0.21}
# Shifted class priors of the `category_mix` scenario: incidents dominate.
INCIDENT_PRIOR = {"billing": 0.06, "bug": 0.1, "account_access": 0.06, "feature_request": 0.03,
                  "outage": 0.37, "security": 0.3, "how_to": 0.08}
PRIORITY_GIVEN_CATEGORY = {
    "billing": (0.3, 0.5, 0.2), "bug": (0.25, 0.5, 0.25), "account_access": (0.2, 0.5, 0.3),
    "feature_request": (0.75, 0.2, 0.05), "outage": (0.05, 0.25, 0.7),
    "security": (0.1, 0.3, 0.6), "how_to": (0.6, 0.35, 0.05),
}
STYLES = ("formal", "terse", "angry", "non_native")


@dataclass(frozen=True)
class Difficulty:
    """How hard the tickets are to classify. Every figure of the labs uses "standard"."""

    label_noise: float  # share of tickets labelled with a random wrong category
    ambiguous: float  # share of tickets with a second topic (the label is the first)
    overlap: float = 0.0  # share of tickets told through a symptom their category shares with another
    generic_subject: float = 0.0  # share of subjects that say nothing about the category
    tail_products: bool = False  # a long tail of rare products besides the five main ones


DIFFICULTIES = {
    "standard": Difficulty(label_noise=LABEL_NOISE, ambiguous=AMBIGUOUS),
    "hard": Difficulty(label_noise=0.005, ambiguous=0.2, overlap=0.6, generic_subject=0.5,
                       tail_products=True),
}


@dataclass
class TicketDataset:
    seed: int
    train: list[dict]
    validation: list[dict]
    test: list[dict]
    stream: list[dict]
    difficulty: str = "standard"
    # id -> the category before label noise, for the tickets whose label noise changed: what a
    # perfect reader of the text would answer (benchmarks/tickets_difficulty.py's ceiling)
    clean_labels: dict[str, str] = field(default_factory=dict, repr=False)

    def splits(self) -> dict[str, list[dict]]:
        return {"train": self.train, "validation": self.validation, "test": self.test,
                "stream": self.stream}

    def stream_windows(self, scenario: str) -> list[list[dict]]:
        """The stream of one scenario, as a list of windows in time order."""
        if scenario not in SCENARIOS:
            raise ValueError(f"Unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}.")
        windows: list[list[dict]] = [[] for _ in range(WINDOWS)]
        for t in self.stream:
            if t["scenario"] == scenario:
                windows[t["window"]].append(t)
        return windows


def ticket_text(ticket: dict) -> str:
    """The text a model sees: subject, a blank line, the body."""
    return f"{ticket['subject']}\n\n{ticket['body']}"


def generate(seed: int = 0, difficulty: str = "standard") -> TicketDataset:
    """All splits and the stream for this seed. Each part has its own generator, so changing
    one part's size never changes another part. ``difficulty="hard"``: see the README.

    Drawing takes 0.5-1 s, more than the rest of a `labkit run` that stops at an unfinished
    exercise, and graded tests ask for it again and again. So it is drawn once per version of
    the generator's code and kept as JSON in the kit's cache folder (see :func:`cache_file`),
    then read once per process; each call returns its own copy, so a caller that changes a
    ticket changes nobody else's."""
    return pickle.loads(_drawn(seed, difficulty))


@functools.lru_cache(maxsize=4)
def _drawn(seed: int, difficulty: str) -> bytes:
    _level(difficulty)  # an unknown setting is refused before any file is looked for
    path = cache_file(seed, difficulty)
    try:
        dataset = TicketDataset(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # none yet, or unreadable: draw it (again)
        dataset = _draw(seed, difficulty)
        _save(path, json.dumps(asdict(dataset)))
    return pickle.dumps(dataset)


def cache_file(seed: int, difficulty: str) -> Path:
    """``$XDG_CACHE_HOME/labkit/tickets/<seed>-<difficulty>-<hash>.json`` (``~/.cache`` by
    default). The hash covers the generator's source, so changed code never reads old tickets."""
    digest = hashlib.sha256()
    for module in (__file__, vocab.__file__):
        digest.update(Path(module).read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "labkit" / "tickets" / f"{seed}-{difficulty}-{digest.hexdigest()[:16]}.json"


def _save(path: Path, text: str) -> None:
    """Write atomically (a process reading at the same time sees all of it or nothing); a cache
    that cannot be written (read-only home) only costs the next process a new draw."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        work = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        work.write_text(text, encoding="utf-8")
        os.replace(work, path)
    except OSError:
        pass


def _draw(seed: int, difficulty: str) -> TicketDataset:
    level = _level(difficulty)
    parts, clean = {}, {}
    for k, (name, size) in enumerate(SPLIT_SIZES.items()):
        rng = random.Random(f"{seed}-{name}" if difficulty == "standard" else f"{seed}-{difficulty}-{name}")
        start = datetime(2025, 1, 1) + timedelta(days=120 * k)
        parts[name] = [_ticket(rng, f"{name[:2]}-{i:05d}", start, CATEGORY_PRIOR, level=level, clean=clean)
                       for i in range(size)]
    stream = [t for scenario in SCENARIOS
              for w in stream_windows(seed, scenario, difficulty=difficulty, clean=clean) for t in w]
    return TicketDataset(seed=seed, stream=stream, difficulty=difficulty, clean_labels=clean, **parts)


def _level(difficulty: str) -> Difficulty:
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"Unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTIES)}.")
    return DIFFICULTIES[difficulty]


def stream_windows(seed: int, scenario: str, window_size: int = WINDOW_SIZE, windows: int = WINDOWS,
                   difficulty: str = "standard", clean: dict | None = None) -> list[list[dict]]:
    """One scenario's stream with windows of any size (drift from window DRIFT_START): what
    benchmarks/gcp_drift_detection.py varies. The default size is the dataset's own stream."""
    if scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}.")
    if not 0 < window_size <= 1000:
        raise ValueError(f"window_size must be between 1 and 1000, got {window_size}.")
    level, s = _level(difficulty), SCENARIOS.index(scenario)
    rng = random.Random(f"{seed}-stream-{scenario}" if difficulty == "standard"
                        else f"{seed}-{difficulty}-stream-{scenario}")
    out = []
    for window in range(windows):
        start = datetime(2026, 1, 5) + timedelta(days=window)
        drift = scenario if window >= DRIFT_START else "none"
        tickets = []
        for i in range(window_size):
            t = _stream_ticket(rng, f"st-{s}{window}{i:03d}", start, drift, level, clean)
            t["scenario"], t["window"] = scenario, window
            tickets.append(t)
        out.append(tickets)
    return out


def _stream_ticket(rng: random.Random, tid: str, start: datetime, drift: str, level: Difficulty,
                   clean: dict | None) -> dict:
    common = {"ordered": True, "level": level, "clean": clean}
    if drift == "category_mix":
        return _ticket(rng, tid, start, INCIDENT_PRIOR, **common)
    if drift == "new_product" and rng.random() < 0.7:
        return _ticket(rng, tid, start, CATEGORY_PRIOR, product=vocab.NEW_PRODUCT, **common)
    if drift == "long_tickets":
        return _ticket(rng, tid, start, CATEGORY_PRIOR, long=True, **common)
    if drift == "language" and rng.random() < 0.6:
        return _ticket(rng, tid, start, CATEGORY_PRIOR, language=rng.choice(["es", "de"]), **common)
    return _ticket(rng, tid, start, CATEGORY_PRIOR, **common)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ticket(rng, tid, start, prior, product=None, long=False, language="en", ordered=False,
            level: Difficulty = DIFFICULTIES["standard"], clean: dict | None = None) -> dict:
    category = _pick(rng, prior)
    priority = rng.choices(PRIORITIES, weights=PRIORITY_GIVEN_CATEGORY[category])[0]
    name, features = product or _product(rng, level)
    slots = _slots(rng, name, features)
    if language == "en":
        subject, body = _english(rng, category, priority, slots, long, level)
    else:
        subject, body = _foreign(rng, language, category, slots)
    if rng.random() < level.label_noise:  # a mislabelled ticket, as real queues have
        if clean is not None:
            clean[tid] = category
        category = rng.choice([c for c in CATEGORIES if c != category])
    offset = timedelta(seconds=rng.randrange(86_400 if ordered else 100 * 86_400))
    return {"id": tid, "subject": subject, "body": body, "product": name, "category": category,
            "priority": priority, "language": language,
            "created_at": (start + offset).isoformat(timespec="seconds") + "Z"}


def _product(rng: random.Random, level: Difficulty) -> tuple[str, list[str]]:
    if not level.tail_products:
        return rng.choice(list(vocab.PRODUCTS.items()))
    # Zipf-like: the five main products take about half the tickets, the 36 others share the rest
    products = list(vocab.PRODUCTS.items()) + list(vocab.TAIL_PRODUCTS.items())
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(products))]
    return rng.choices(products, weights=weights)[0]


def _slots(rng: random.Random, product: str, features: list[str]) -> dict[str, str]:
    return {
        "product": product, "feature": rng.choice(features),
        "amount": f"${rng.randint(9, 2400)}.{rng.randint(0, 99):02d}",
        "invoice": f"INV-{rng.randint(10000, 99999)}", "code": rng.choice(vocab.CODES),
        "country": rng.choice(vocab.COUNTRIES), "month": rng.choice(vocab.MONTHS),
        "time": f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])} UTC",
    }


def _english(rng, category, priority, slots, long, level: Difficulty) -> tuple[str, str]:
    style = rng.choice(STYLES)
    if level.overlap:
        sentences, shared = _hard_sentences(rng, category, level)
        # a ticket told through a shared symptom gets a subject that does not tell either
        generic = shared or rng.random() < level.generic_subject
        subject = rng.choice(vocab.GENERIC_SUBJECTS if generic else vocab.SUBJECTS[category]).format(**slots)
    else:
        subject = rng.choice(vocab.SUBJECTS[category]).format(**slots)
        sentences = rng.sample(vocab.SENTENCES[category], k=min(len(vocab.SENTENCES[category]), rng.randint(1, 3)))
    if rng.random() < level.ambiguous:  # a second topic in the same ticket; the label is the first
        other = rng.choice([c for c in CATEGORIES if c != category])
        marker = rng.choice(vocab.SECOND_TOPIC) if level.overlap else "Also, "
        sentences.append(marker + _lower_first(rng.choice(vocab.SENTENCES[other])))
    text = " ".join(s.format(**slots) for s in sentences)
    if rng.random() < 0.75:
        urgency = rng.choice(vocab.URGENCY[priority])
    else:
        urgency = rng.choice(vocab.URGENCY[rng.choice(PRIORITIES)])
    paragraphs = [text + (" " + urgency if urgency else "")]
    paragraphs += _attachments(rng, category, slots, long)
    body = _styled(rng, style, paragraphs, slots)
    if style == "angry":
        subject = subject.upper() + "!!!"
    elif style == "terse":
        subject = subject.lower()
    return subject, body


def _hard_sentences(rng, category: str, level: Difficulty) -> tuple[list[str], bool]:
    """Often a symptom two categories share plus the sentence that decides between them (see
    vocab.DECIDERS); otherwise one or two of the category's own sentences. True when shared."""
    pairs = [pair for pair in vocab.SHARED_SYMPTOMS if category in pair]
    if pairs and rng.random() < level.overlap:
        pair = rng.choice(pairs)
        return [rng.choice(vocab.SHARED_SYMPTOMS[pair]), _decider(rng, pair, category)], True
    return rng.sample(vocab.SENTENCES[category], k=rng.randint(1, 2)), False


def _decider(rng, pair: tuple[str, str], category: str) -> str:
    """A sentence naming `category` within its pair: a phrase of one side, negated or not."""
    template, first, second = vocab.DECIDERS[pair]
    negated = rng.random() < 0.5
    names_first = (category == pair[0]) != negated  # negation flips the phrase's meaning
    sentence = template.format(not_=" hardly" if negated else "", filler=rng.choice(vocab.FILLERS),
                               phrase=first if names_first else second)
    return sentence[0].upper() + sentence[1:]


def _attachments(rng, category, slots, long) -> list[str]:
    """Pasted logs, stack traces and quoted threads: what makes real tickets long."""
    out = []
    log_p = 0.9 if long else (0.12 if category in ("bug", "outage") else 0.02)
    if rng.random() < log_p:
        out.append("Here is the log:\n" + _log(rng, slots, rng.randint(20, 90) if long else rng.randint(5, 70)))
    if rng.random() < (0.5 if long else (0.08 if category == "bug" else 0.01)):
        out.append(_stack_trace(rng, slots))
    if rng.random() < (0.8 if long else 0.1):
        out.append(_quoted_thread(rng, slots, depth=rng.randint(2, 5) if long else 1))
    return out


def _styled(rng, style, paragraphs, slots) -> str:
    first = rng.choice(vocab.FIRST)
    person = f"{first} {rng.choice(vocab.LAST)}"
    body = "\n\n".join(paragraphs)
    if style == "terse":
        return body[0].lower() + body[1:] + f"\nthx\n{first.lower()}"
    if style == "angry":
        body = body.replace(".", "!", 2) + "\n\nThis is the third time I am writing about this."
    if style == "non_native":
        body = body.replace("I cannot", "I am not able").replace("the ", "", 1)
    if rng.random() < 0.3:
        body = _typos(rng, body)
    greeting = rng.choice(vocab.GREETINGS)
    sign_off = rng.choice(vocab.SIGN_OFFS)
    parts = [f"{greeting},\n" if greeting else "", body, f"\n\n{sign_off},\n{person}" if sign_off else f"\n\n{person}"]
    if style == "formal" or rng.random() < 0.2:
        parts.append(_signature(rng))
    return "".join(parts)


def _signature(rng) -> str:
    sig = f"\n{rng.choice(vocab.TITLES)} | {rng.choice(vocab.COMPANIES)}\nTel. +1 555 {rng.randint(1000, 9999)}"
    if rng.random() < 0.4:
        sig += ("\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and "
                "intended solely for the addressee. If you received it in error, delete it.")
    return sig


def _typos(rng, text: str) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k=max(1, len(words) // 25)):
        w = words[i]
        if len(w) > 3 and w.isalpha():
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _log(rng, slots, lines: int) -> str:
    level = ["INFO", "INFO", "WARN", "ERROR", "DEBUG"]
    services = ["api-gateway", "auth", "worker", "scheduler", "db-proxy"]
    t = datetime(2026, 1, 1, rng.randint(0, 23), rng.randint(0, 59))
    rows = []
    for _ in range(lines):
        t += timedelta(milliseconds=rng.randint(5, 4000))
        rows.append(f"{t.isoformat(timespec='milliseconds')} {rng.choice(level):5} "
                    f"[{rng.choice(services)}] req={rng.getrandbits(32):08x} "
                    f"{rng.choice(['request done', 'retrying upstream', 'slow query', slots['code'], 'cache miss'])} "
                    f"latency_ms={rng.randint(1, 30000)}")
    return "\n".join(rows)


def _stack_trace(rng, slots) -> str:
    frames = "\n".join(
        f'  File "/srv/app/{rng.choice(["views", "models", "billing", "sync"])}.py", line {rng.randint(10, 900)}, '
        f"in {rng.choice(['handle', 'save', 'render', 'load_rows', 'commit'])}"
        for _ in range(rng.randint(3, 12))
    )
    return f"Traceback (most recent call last):\n{frames}\nRuntimeError: {slots['code']} in {slots['feature']}"


def _quoted_thread(rng, slots, depth: int) -> str:
    quoted = []
    for level in range(1, depth + 1):
        who = f"{rng.choice(vocab.FIRST)} from {slots['product']} Support"
        text = rng.choice([
            "Thanks for reaching out. Could you send us a screenshot and the time it happened?",
            "We have forwarded this to our engineering team and will get back to you.",
            "Can you confirm which browser and version you are using?",
            "Our records show the issue was resolved; please reply if it happens again.",
        ])
        prefix = ">" * level + " "
        quoted.append(f"{prefix}On {rng.choice(vocab.MONTHS)} {rng.randint(1, 28)}, {who} wrote:\n{prefix}{text}")
    return "\n".join(quoted)


def _foreign(rng, language, category, slots) -> tuple[str, str]:
    words = vocab.FOREIGN[language]
    text = " ".join(s.format(**slots) for s in rng.sample(words[category], k=rng.randint(1, 2)))
    person = f"{rng.choice(vocab.FIRST)} {rng.choice(vocab.LAST)}"
    return words["_subject"].format(**slots), f"{words['_hello']},\n{text}\n\n{words['_bye']},\n{person}"


def _lower_first(s: str) -> str:
    return s[0].lower() + s[1:] if s and not s.startswith("{") else s


def write_dataset(ds: TicketDataset, out: Path | str, fmt: str = "jsonl") -> dict[str, tuple[Path, int]]:
    """Write each split and the stream to OUT/<name>.<fmt>; returns {name: (path, count)}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, rows in ds.splits().items():
        path = out / f"{name}.{fmt}"
        fields = STREAM_FIELDS if name == "stream" else FIELDS
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as f:
            if fmt == "jsonl":
                for row in rows:
                    f.write(json.dumps({k: row[k] for k in fields}, ensure_ascii=False) + "\n")
            else:
                writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
                writer.writeheader()
                writer.writerows({k: row[k] for k in fields} for row in rows)
        tmp.replace(path)  # a crash never leaves a half-written split behind
        written[name] = (path, len(rows))
    return written


def read_jsonl(path: Path | str) -> list[dict]:
    """Read a split written by write_dataset; a malformed line is an error naming the line."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg}).") from exc
    return rows


__all__ = ["CATEGORIES", "DIFFICULTIES", "PRIORITIES", "SCENARIOS", "CATEGORY_DESCRIPTIONS", "PRIORITY_DESCRIPTIONS",
           "Difficulty", "TicketDataset", "generate", "stream_windows", "ticket_text", "write_dataset",
           "read_jsonl",
           "WINDOWS", "WINDOW_SIZE", "DRIFT_START"]
