"""Support-ticket attachments: a deterministic image dataset, its splits and a drifting stream.

Both image labs stand on it: the Azure lab reads the text (OCR) and says what each attachment
is; the GCP lab trains a small CNN to say what it is from the pixels. The same seed gives
byte-identical images. Every item has its own random generator (seeded by seed, split and
index), so ``generate(50)`` is the first 50 items of ``generate(500)``, and splits never share
an item.

Types (``TYPES``) and the key fields each draws (``fields``; a field is present only when its
value is drawn in the image, always as part of one of ``lines``):
    error_screenshot  error_code, product   a dialog over an app or its settings, a red toast,
                                            a browser error page, or a phone alert
    invoice           invoice_number, amount, product   a portrait invoice, a till receipt, or
                                            a screenshot of the invoice PDF in a viewer
    damaged_device    product (with a sticker)  a cracked phone, laptop or router on a table
    shipping_label    tracking_number       a label with a barcode on a box or a mailer bag
    config_screen     product               a settings window (sidebar), web page (tabs) or phone

API:
    generate(n, seed=0, split="train") -> list[Attachment]
    stream(scenario, windows=8, per_window=50, drift_start=2, seed=0) -> list[list[Attachment]]
    write_folder(attachments, folder) -> Path           images + labels.jsonl
    write_dataset(out_dir, seed=0, ...) -> {name: (folder, count)}
    read_labels(folder) -> list[dict]
    ``labkit data attachments --out DIR`` writes the whole dataset (see shared/datasets/README.md).

An :class:`Attachment` has ``id``, ``type``, ``fields``, ``lines`` (every text line drawn and
visible, for OCR accuracy), ``language``, ``nuisances`` (what was done to it: ``crop``,
``scale``, ``jpeg_quality``, ``rotation``, ``blur``, ``phone_photo``, ``dark_mode``), ``data``
(the file's bytes), ``format`` (``png`` or ``jpeg``), ``image`` (decoded PIL image), ``split``
and, in the stream, ``scenario`` and ``window``. ``nuisances`` is for analysis: a model must not
read it.

Nuisances of the training data: 15% of screens in dark mode; 35% of screens (15% of invoices
and labels) cropped to the part that holds the key fields; phone photos of 15% of screens, 20%
of invoices and 25% of labels; scans rotated up to 3 degrees (labels up to 6); devices always
photographed (blur, noise); everything rescaled to 60-100% (phone photos 80-100%, never below
128 px); photos always JPEG, the rest half the time. 2% of type labels are wrong
(``LABEL_NOISE``), as in a real queue: type accuracy cannot exceed about 98%. Fields always
describe what is drawn.

Drift scenarios of the stream (from window ``drift_start`` on; earlier windows look like the
training data): ``none``; ``dark_mode`` (85% of screens dark); ``phone_photos`` (75% of screens
photographed off a monitor); ``new_invoice_layout`` (85% of invoices in a landscape layout with
other wording, never seen in training); ``new_language`` (60% of attachments in German or Spanish,
amounts as ``1234,56 €``).
"""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import random
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from shared.datasets import attachments_nuisances as nuisance
from shared.datasets.attachments_draw import DRAWERS, WORDS, Style

TYPES = tuple(DRAWERS)
FIELD_NAMES = ("error_code", "invoice_number", "amount", "tracking_number", "product")
SCREENS = ("error_screenshot", "config_screen")
SCENARIOS = ("none", "dark_mode", "phone_photos", "new_invoice_layout", "new_language")
SPLITS = ("train", "validation", "test")
SPLIT_SIZES = {"train": 2000, "validation": 500, "test": 1000}
WINDOWS, WINDOW_SIZE, DRIFT_START = 8, 50, 2
LABEL_NOISE = 0.02
LABELS_FILE = "labels.jsonl"

TYPE_PRIOR = {"error_screenshot": 0.3, "invoice": 0.24, "config_screen": 0.18, "damaged_device": 0.16,
              "shipping_label": 0.12}
PHONE_PHOTO = {"error_screenshot": 0.15, "config_screen": 0.15, "invoice": 0.2, "shipping_label": 0.25,
               "damaged_device": 0.0}  # devices are always photos: see _finish
CROP = {"error_screenshot": 0.35, "config_screen": 0.35, "invoice": 0.15, "shipping_label": 0.15,
        "damaged_device": 0.0}  # cut down to the part that matters, key fields always kept
DARK_MODE, SCAN_ROTATION = 0.15, 0.6
INVOICE_LAYOUTS = {"standard": 0.55, "receipt": 0.25, "viewer": 0.2}  # viewer: a screenshot of the PDF
# What each drift scenario changes, from its first drifted window on.
DRIFT_DARK, DRIFT_PHONE, DRIFT_LAYOUT, DRIFT_LANGUAGE = 0.85, 0.75, 0.85, 0.6


@dataclass
class Attachment:
    id: str
    type: str
    fields: dict[str, str]
    lines: list[str]
    language: str
    nuisances: dict[str, float | int | bool]
    data: bytes = field(repr=False)
    format: str  # png or jpeg
    split: str = ""
    scenario: str | None = None
    window: int | None = None

    @property
    def image(self) -> Image.Image:
        """The pixels exactly as stored in the file (JPEG artefacts included)."""
        return Image.open(io.BytesIO(self.data)).convert("RGB")

    @property
    def file(self) -> str:
        return f"{self.id}.{'jpg' if self.format == 'jpeg' else 'png'}"

    def label(self) -> dict:
        """The row of labels.jsonl."""
        row = {"id": self.id, "file": self.file, "type": self.type, "fields": self.fields, "lines": self.lines,
               "language": self.language, "split": self.split, "nuisances": self.nuisances}
        if self.scenario is not None:
            row["scenario"], row["window"] = self.scenario, self.window
        return row


def generate(n: int, seed: int = 0, split: str = "train", workers: int = 1) -> list[Attachment]:
    """N attachments of SPLIT (train, validation or test), drawn like the training data.
    WORKERS > 1 draws in that many spawned processes (same bytes as one process); a script that
    uses it needs the usual ``if __name__ == "__main__":`` guard."""
    with _pool(workers) as pool:
        return _build_all(_split_jobs(n, seed, split), pool)


def stream(scenario: str, windows: int = WINDOWS, per_window: int = WINDOW_SIZE,
           drift_start: int = DRIFT_START, seed: int = 0, workers: int = 1) -> list[list[Attachment]]:
    """Production traffic of one scenario: WINDOWS lists of PER_WINDOW attachments in time order;
    windows before DRIFT_START look like the training data, later ones drift."""
    with _pool(workers) as pool:
        items = _build_all(_stream_jobs(scenario, windows, per_window, drift_start, seed), pool)
    return [items[w * per_window:(w + 1) * per_window] for w in range(windows)]


# A job is everything one item needs: (random key, id, drift, split, scenario, window).
Job = tuple[str, str, str, str, "str | None", "int | None"]


def _split_jobs(n: int, seed: int, split: str) -> list[Job]:
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; choose one of {', '.join(SPLITS)}.")
    return [(f"{seed}-{split}-{i}", f"{split[:2]}-{i:05d}", "none", split, None, None) for i in range(n)]


def _stream_jobs(scenario: str, windows: int, per_window: int, drift_start: int, seed: int) -> list[Job]:
    if scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}.")
    s = SCENARIOS.index(scenario)
    return [(f"{seed}-stream-{scenario}-{w}-{i}", f"st-{s}{w:02d}{i:04d}", scenario if w >= drift_start else "none",
             "stream", scenario, w) for w in range(windows) for i in range(per_window)]


@contextmanager
def _pool(workers: int):
    if workers <= 1:
        yield None
        return
    # spawn, not fork: the parent may have threads (emulators, TensorFlow)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _build_all(jobs: list[Job], pool: ProcessPoolExecutor | None) -> list[Attachment]:
    if pool is None or len(jobs) < 64:
        return [_build(job) for job in jobs]
    return list(pool.map(_build, jobs, chunksize=32))


def _build(job: Job) -> Attachment:
    key, item_id, drift, split, scenario, window = job
    rng = random.Random(key)
    kind = rng.choices(TYPES, weights=[TYPE_PRIOR[t] for t in TYPES])[0]
    style = _style(rng, kind, drift)
    drawing = DRAWERS[kind](rng, style)
    data, fmt, nuisances = _finish(rng, kind, style, drawing, drift)
    label = kind
    if rng.random() < LABEL_NOISE:  # a wrongly filed attachment, as in a real queue
        label = rng.choice([t for t in TYPES if t != kind])
    return Attachment(id=item_id, type=label, fields=drawing.fields, lines=drawing.lines,
                      language=style.language, nuisances=nuisances, data=data, format=fmt,
                      split=split, scenario=scenario, window=window)


def _style(rng: random.Random, kind: str, drift: str) -> Style:
    dark_p = DRIFT_DARK if drift == "dark_mode" else DARK_MODE
    language = "en"
    if drift == "new_language" and rng.random() < DRIFT_LANGUAGE:
        language = rng.choice(["de", "es"])
    layout = rng.choices(list(INVOICE_LAYOUTS), weights=list(INVOICE_LAYOUTS.values()))[0]
    if drift == "new_invoice_layout" and rng.random() < DRIFT_LAYOUT:
        layout = "modern"
    return Style(language=language, dark=kind in SCREENS and rng.random() < dark_p, layout=layout)


def _finish(rng: random.Random, kind: str, style: Style, drawing, drift: str):
    """Apply the nuisances of this kind of attachment; returns (bytes, format, what was done)."""
    image, done = drawing.image, {}
    if style.dark:
        done["dark_mode"] = True
    if drawing.boxes is not None and rng.random() < CROP[kind]:
        cropped = nuisance.crop_to_fields(drawing, rng)
        if cropped:
            image, drawing.lines, drawing.fields = cropped
            done["crop"] = True
    phone_p = DRIFT_PHONE if drift == "phone_photos" and kind in SCREENS else PHONE_PHOTO[kind]
    if rng.random() < phone_p:
        image = nuisance.phone_photo(image, rng, screen=kind in SCREENS)
        done["phone_photo"] = True
    elif kind == "damaged_device":  # already a photo at an angle: add the camera's softness and noise
        image, done["blur"] = nuisance.camera(image, rng)
    elif kind == "invoice" and style.layout != "viewer" and rng.random() < SCAN_ROTATION:
        image, done["rotation"] = nuisance.rotate_scan(image, rng, drawing.background)
    elif kind == "shipping_label" and rng.random() < SCAN_ROTATION:
        image, done["rotation"] = nuisance.rotate_scan(image, rng, drawing.background, max_angle=6.0)
    # never below 128 px on the short side: the smallest image both labs accept comfortably
    low = 0.8 if done.get("phone_photo") else 0.6  # a photo's text is already small in its frame
    done["scale"] = min(1.0, max(round(rng.uniform(low, 1.0), 2), math.ceil(12800 / min(image.size)) / 100))
    image = nuisance.rescale(image, done["scale"])
    photo = kind == "damaged_device" or done.get("phone_photo", False)
    quality = rng.randint(50, 90) if photo else (rng.randint(35, 90) if rng.random() < 0.5 else None)
    if quality is not None:
        done["jpeg_quality"] = quality
    return nuisance.encode(image, quality), "png" if quality is None else "jpeg", done


# ---- files ----------------------------------------------------------------------------------

def write_folder(attachments: Iterable[Attachment], folder: Path | str) -> Path:
    """Write each image file and a labels.jsonl describing them into FOLDER (a valid --input DIR).
    labels.jsonl is written last and atomically, so a crash never leaves it naming missing files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows, files = [], set()
    for item in attachments:
        (folder / item.file).write_bytes(item.data)
        rows.append(json.dumps(item.label(), ensure_ascii=False))
        files.add(item.file)
    _remove_stale(folder, files)
    tmp = folder / (LABELS_FILE + ".tmp")
    tmp.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    tmp.replace(folder / LABELS_FILE)
    return folder


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete the images an earlier write_folder listed in FOLDER and this one did not write
    (a rerun with fewer images); files the kit did not write are never touched."""
    try:
        old = {row["file"] for row in read_labels(folder)}
    except (OSError, ValueError, KeyError, TypeError):
        return
    for name in old - keep:
        if Path(name).name == name:  # a plain file name inside the folder, nothing else
            (folder / name).unlink(missing_ok=True)


def write_dataset(out_dir: Path | str, seed: int = 0, sizes: dict[str, int] | None = None,
                  scenarios: Iterable[str] = SCENARIOS, windows: int = WINDOWS, per_window: int = WINDOW_SIZE,
                  drift_start: int = DRIFT_START, workers: int = 1) -> dict[str, tuple[Path, int]]:
    """OUT_DIR/train, validation, test and stream/<scenario>, each a folder of images with its
    labels.jsonl. Returns {name: (folder, count)}. ``sizes={}`` draws no split, ``scenarios=()``
    no stream (a run that needs only one of them draws only that one)."""
    out_dir = Path(out_dir)
    parts = {split: _split_jobs(n, seed, split)
             for split, n in (SPLIT_SIZES if sizes is None else sizes).items()}
    for scenario in scenarios:
        parts[f"stream/{scenario}"] = _stream_jobs(scenario, windows, per_window, drift_start, seed)
    written = {}
    with _pool(workers) as pool:  # one pool for all parts: starting one costs about a second
        for name, jobs in parts.items():
            written[name] = (write_folder(_build_all(jobs, pool), out_dir / name), len(jobs))
    return written


def read_labels(folder: Path | str) -> list[dict]:
    """The rows of FOLDER/labels.jsonl as written by write_folder (for checked loading of a
    learner's folder, use shared.datasets.loading.load_images)."""
    path = Path(folder) / LABELS_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Words that appear only in the German and Spanish attachments of the new_language drift.
_MARKERS = ("code", "invoice", "invoice_no", "receipt", "oops", "settings", "ship_to", "tracking", "model")
FOREIGN_WORDS = tuple(sorted({WORDS[lang][k] for lang in ("de", "es") for k in _MARKERS}
                             - {WORDS["en"][k] for k in WORDS["en"] if isinstance(WORDS["en"][k], str)}))

__all__ = ["TYPES", "FIELD_NAMES", "SCENARIOS", "SPLITS", "SPLIT_SIZES", "WINDOWS", "WINDOW_SIZE",
           "DRIFT_START", "LABEL_NOISE", "LABELS_FILE", "FOREIGN_WORDS", "Attachment", "generate", "stream",
           "write_folder", "write_dataset", "read_labels"]
