"""A learner's own tickets (``--input FILE``): JSONL or CSV in the dataset's schema, checked.

Each ticket needs ``id``, ``subject`` and ``body``; ``product``, ``language``, ``created_at``,
``scenario`` and ``window`` are optional, and so are the labels ``category`` and ``priority``:
label every ticket or none (without labels a lab classifies and skips its quality figures).
Anything wrong stops with :class:`InputError`, whose message names the file, the line and the
field and says what to do. A very long ticket is accepted: the labs cut it to their budget.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from shared.datasets.tickets import CATEGORIES, PRIORITIES

REQUIRED = ("id", "subject", "body")
OPTIONAL = ("product", "language", "created_at", "scenario", "window")
LABELS = {"category": CATEGORIES, "priority": PRIORITIES}
SCHEMA = "shared/datasets/README.md"


class InputError(ValueError):
    """The input file cannot be used; the message names file, line and field."""


@dataclass
class TicketFile:
    path: Path
    tickets: list[dict]
    labelled: bool  # every ticket has a category and a priority


def load_tickets(path: str | Path, *, require_labels: bool = False) -> TicketFile:
    path = Path(path)
    rows = _rows(path, _text(path))
    tickets = [_ticket(path, line, row) for line, row in rows]
    _check_unique(path, rows, tickets)
    labelled = _check_labels(path, rows, tickets)
    if require_labels and not labelled:
        raise InputError(f"{path}: this step needs labelled tickets: give every ticket a 'category' "
                         f"and a 'priority' (see {SCHEMA}).")
    return TicketFile(path, tickets, labelled)


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file. Give the path of a JSONL or CSV file of tickets.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}). "
                         "Save the file as UTF-8.") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty. It needs one JSON ticket per line (JSONL) or a "
                         f"CSV header and one row per ticket ({SCHEMA}).")
    return text


def _rows(path: Path, text: str) -> list[tuple[int, dict]]:
    is_jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson") or (
        path.suffix.lower() != ".csv" and text.lstrip().startswith("{"))
    return _jsonl_rows(path, text) if is_jsonl else _csv_rows(path, text)


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not valid JSON ({exc.msg}, column {exc.colno}). "
                             "Each line must be one ticket as a JSON object.") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object per line, found "
                             f"{type(row).__name__}.")
        rows.append((number, row))
    return rows


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(f"{path}, line 1: the CSV header lacks {', '.join(missing)} (it has "
                         f"{', '.join(header) or 'nothing'}). Neither valid JSONL nor CSV with the "
                         f"columns {', '.join(REQUIRED)} ({SCHEMA}).")
    rows = []
    try:
        for row in reader:
            if None in row:
                raise InputError(f"{path}, line {reader.line_num}: more values than header columns "
                                 "(quote fields that contain commas).")
            rows.append((reader.line_num, {k: v for k, v in row.items() if v not in (None, "")}))
    except csv.Error as exc:
        raise InputError(f"{path}, line {reader.line_num}: not valid CSV ({exc}).") from None
    if not rows:
        raise InputError(f"{path}: the CSV file has a header but no tickets.")
    return rows


def _ticket(path: Path, line: int, row: dict) -> dict:
    for name in REQUIRED:
        value = row.get(name)
        if value is None:
            raise InputError(f"{path}, line {line}: field '{name}' is missing (required: "
                             f"{', '.join(REQUIRED)}; see {SCHEMA}).")
        if not isinstance(value, str) or (name == "id" and not value.strip()):
            raise InputError(f"{path}, line {line}: field '{name}' must be a non-empty string, got {value!r}.")
    ticket = {"id": row["id"].strip(), "subject": row["subject"], "body": row["body"],
              "product": str(row.get("product", "")), "language": str(row.get("language", "en"))}
    for name in ("created_at", "scenario", "category", "priority"):
        if row.get(name) is not None:
            ticket[name] = str(row[name]).strip()
    if row.get("window") is not None:
        try:
            ticket["window"] = int(row["window"])
        except (TypeError, ValueError):
            raise InputError(f"{path}, line {line}: field 'window' must be a whole number, got "
                             f"{row['window']!r}.") from None
    return ticket


def _check_unique(path: Path, rows: list[tuple[int, dict]], tickets: list[dict]) -> None:
    first_line: dict[str, int] = {}
    for (line, _), ticket in zip(rows, tickets, strict=True):
        if ticket["id"] in first_line:
            raise InputError(f"{path}, line {line}: id {ticket['id']!r} is already used on line "
                             f"{first_line[ticket['id']]}; every ticket needs its own id.")
        first_line[ticket["id"]] = line


def _check_labels(path: Path, rows: list[tuple[int, dict]], tickets: list[dict]) -> bool:
    with_labels = without = None
    for (line, _), ticket in zip(rows, tickets, strict=True):
        for name, known in LABELS.items():
            if name in ticket and ticket[name] not in known:
                raise InputError(f"{path}, line {line}: field '{name}': unknown label {ticket[name]!r} "
                                 f"(known: {', '.join(known)}).")
        if all(name in ticket for name in LABELS):
            with_labels = with_labels or line
        else:
            without = without or line
    if with_labels and without:
        raise InputError(f"{path}, line {without}: no category/priority, but line {with_labels} has "
                         "them. Label every ticket or none.")
    return without is None
