"""A learner's own tickets (``--input FILE``): JSONL or CSV in the dataset's schema, checked.

Each ticket needs ``id``, ``subject`` and ``body``; ``product``, ``language``, ``created_at``,
``scenario`` and ``window`` are optional, and so are the labels ``category`` and ``priority``:
label every ticket or none (without labels a lab classifies and skips its quality figures).
Anything wrong stops with :class:`InputError`, whose message names the file, the line and the
field and says what to do. A very long ticket is accepted: the labs cut it to their budget.

A learner's own attachments (``--input DIR``): :func:`load_images` checks a folder of PNG, JPEG,
GIF or BMP images, with an optional ``labels.jsonl`` in the attachment dataset's schema; a
corrupt file, an unsupported format or an empty folder is an :class:`InputError` naming the file.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from shared.datasets.attachments import LABELS_FILE, TYPES
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


def _jsonl_rows(path: Path, text: str, each: str = "one ticket") -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line; InputError naming the line otherwise."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not valid JSON ({exc.msg}, column {exc.colno}). "
                             f"Each line must be {each} as a JSON object.") from None
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


# ---- a learner's own attachments: a folder of images ----------------------------------------

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP")  # what both labs decode (TensorFlow and Image Analysis)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
OTHER_IMAGE_SUFFIXES = (".webp", ".heic", ".heif", ".tif", ".tiff", ".avif", ".svg", ".ico")
CONVERT = "Convert it to PNG or JPEG, or move it out of the folder."


@dataclass
class ImageItem:
    id: str
    path: Path
    format: str  # PNG, JPEG, GIF or BMP, from the file's content
    width: int
    height: int
    type: str | None = None  # the labels, when the folder has a labels.jsonl
    fields: dict[str, str] = field(default_factory=dict)
    lines: list[str] | None = None
    extra: dict = field(default_factory=dict)  # language, split, scenario, window, nuisances if given

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    @property
    def image(self) -> Image.Image:
        with Image.open(self.path) as im:
            return im.convert("RGB")


@dataclass
class ImageFolder:
    path: Path
    images: list[ImageItem]
    labelled: bool  # the folder has a labels.jsonl that labels every image
    unusable: list[tuple[Path, str]] = field(default_factory=list)  # keep_going: (file, why) left out


def load_images(folder: str | Path, *, require_labels: bool = False, keep_going: bool = False) -> ImageFolder:
    """Check and list a folder of images (and its labels.jsonl, if any), sorted by file name.
    Every image is decoded once, so a corrupt file stops here rather than halfway through a run.
    With ``keep_going``, a file that cannot be used goes to ``unusable`` with the reason instead
    (a label line naming it is skipped); a folder with no usable image still stops."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder. Give a folder of PNG or JPEG images "
                         "(labkit data attachments --out DIR writes an example).")
    if not folder.is_dir():
        raise InputError(f"{folder}: is a file, not a folder. Put your images in a folder and give its path.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.name not in (LABELS_FILE, LABELS_FILE + ".tmp"))
    images, unusable = [], []
    for path in files:
        try:
            images.append(_image_item(path))
        except InputError as exc:
            if not keep_going:
                raise
            unusable.append((path, str(exc)))
    if unusable and not images:
        raise InputError(f"{folder}: none of its {len(unusable)} files can be used; the first: {unusable[0][1]}")
    if not images:
        raise InputError(f"{folder}: the folder has no images. Put PNG or JPEG files in it "
                         f"({', '.join(IMAGE_SUFFIXES)}).")
    _check_unique_ids(images)
    labelled = (folder / LABELS_FILE).exists()
    if labelled:
        _apply_labels(folder / LABELS_FILE, images, skip={path.name for path, _ in unusable})
    elif require_labels:
        raise InputError(f"{folder}: this step needs labelled images: add a {LABELS_FILE} with one line per "
                         f'image, e.g. {{"file": "a.png", "type": "invoice"}} (see {SCHEMA}).')
    return ImageFolder(folder, images, labelled, unusable)


def _image_item(path: Path) -> ImageItem:
    suffix = path.suffix.lower()
    if suffix in OTHER_IMAGE_SUFFIXES:
        raise InputError(f"{path}: {suffix[1:].upper()} images are not supported (supported: "
                         f"{', '.join(IMAGE_FORMATS)}). {CONVERT}")
    if suffix not in IMAGE_SUFFIXES:
        raise InputError(f"{path}: not an image file (expected {', '.join(IMAGE_SUFFIXES)}). "
                         f"Move it out of the folder.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Copy the image again or remove it.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                fmt, (width, height) = im.format, im.size
                if fmt not in IMAGE_FORMATS:
                    raise InputError(f"{path}: the file holds a {fmt} image, which is not supported "
                                     f"(supported: {', '.join(IMAGE_FORMATS)}). {CONVERT}")
                im.load()  # decode it all: a truncated or damaged file fails here
    except UnidentifiedImageError:
        raise InputError(f"{path}: not a readable image (corrupt, or not really a {suffix} file). "
                         "Open it in an image viewer and save it again as PNG or JPEG.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: the image is too large to decode safely. Downscale it "
                         "(e.g. to at most 4000 px on its longer side).") from None
    except OSError as exc:
        raise InputError(f"{path}: the image is damaged ({exc}). Replace it or save it again.") from None
    return ImageItem(id=path.stem, path=path, format=fmt, width=width, height=height)


def _check_unique_ids(images: list[ImageItem]) -> None:
    seen: dict[str, Path] = {}
    for item in images:
        if item.id in seen:
            raise InputError(f"{item.path}: same name as {seen[item.id].name} apart from the extension; "
                             "each image needs its own name (it is the image's id).")
        seen[item.id] = item.path


def _apply_labels(path: Path, images: list[ImageItem], skip: set[str] = frozenset()) -> None:
    by_file = {item.path.name: item for item in images}
    labelled: dict[str, int] = {}
    for line, row in _label_rows(path):
        name = row.get("file")
        if not isinstance(name, str) or not name:
            raise InputError(f"{path}, line {line}: field 'file' is missing or not a string (the image's "
                             f"file name in this folder; see {SCHEMA}).")
        if name in skip:
            continue
        if name not in by_file:
            raise InputError(f"{path}, line {line}: field 'file': {name!r} is not an image in this folder.")
        if name in labelled:
            raise InputError(f"{path}, line {line}: {name!r} is already labelled on line {labelled[name]}.")
        labelled[name] = line
        _label(path, line, row, by_file[name])
    missing = [item.path.name for item in images if item.path.name not in labelled]
    if missing:
        raise InputError(f"{path}: no line for {missing[0]}" + (f" and {len(missing) - 1} more images"
                         if len(missing) > 1 else "") + ". Label every image or none (delete the file).")
    ids = {}
    for item in images:
        if item.id in ids:
            raise InputError(f"{path}, line {labelled[item.path.name]}: id {item.id!r} is already used on "
                             f"line {labelled[ids[item.id]]}; every image needs its own id.")
        ids[item.id] = item.path.name


def _label_rows(path: Path) -> list[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8. Save the file as UTF-8.") from None
    return _jsonl_rows(path, text, each="one image's labels")


def _label(path: Path, line: int, row: dict, item: ImageItem) -> None:
    kind = row.get("type")
    if kind not in TYPES:
        raise InputError(f"{path}, line {line}: field 'type': unknown type {kind!r} (known: {', '.join(TYPES)}).")
    fields = row.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise InputError(f"{path}, line {line}: field 'fields' must be an object of strings, "
                         f'e.g. {{"invoice_number": "INV-12345"}}.')
    lines = row.get("lines")
    if lines is not None and (not isinstance(lines, list) or not all(isinstance(s, str) for s in lines)):
        raise InputError(f"{path}, line {line}: field 'lines' must be a list of strings.")
    if row.get("id") is not None:
        if not isinstance(row["id"], str) or not row["id"].strip():
            raise InputError(f"{path}, line {line}: field 'id' must be a non-empty string, got {row['id']!r}.")
        item.id = row["id"].strip()
    item.type, item.fields, item.lines = kind, fields, lines
    item.extra = {k: row[k] for k in ("language", "split", "scenario", "window", "nuisances") if k in row}
