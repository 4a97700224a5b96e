"""The attachment image dataset: deterministic, labelled by what is drawn, drifting as each
scenario says, learnable from pixels, and a learner's folder of images checked with clear errors."""

import hashlib
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from shared.cli import app
from shared.datasets.attachments import (
    FIELD_NAMES,
    FOREIGN_WORDS,
    SCREENS,
    TYPES,
    generate,
    read_labels,
    stream,
    write_dataset,
    write_folder,
)
from shared.datasets.loading import InputError, load_images

# The field every attachment of a type carries (the drawn kind; 2% of type labels are noise).
KEY_FIELD = {"error_screenshot": "error_code", "invoice": "invoice_number", "shipping_label": "tracking_number",
             "config_screen": "product"}
WINDOWS, PER_WINDOW, DRIFT_AT = 3, 16, 2  # small streams: windows 0-1 clean, window 2 drifted


@pytest.fixture(scope="module")
def train():
    return generate(120, seed=0, split="train")


@pytest.fixture(scope="module")
def streams():
    return {s: stream(s, windows=WINDOWS, per_window=PER_WINDOW if s != "none" else 6, drift_start=DRIFT_AT)
            for s in ("none", "dark_mode", "phone_photos", "new_invoice_layout", "new_language")}


def _digest(a):
    return hashlib.sha256(a.data).hexdigest()


def _before_after(windows):
    return [a for w in windows[:DRIFT_AT] for a in w], [a for w in windows[DRIFT_AT:] for a in w]


def _gray(a, size=24):
    return np.asarray(a.image.convert("L").resize((size, size), Image.BILINEAR), np.float32) / 255


# ---- determinism and splits ----------------------------------------------------------------

def test_same_seed_same_bytes_and_items_do_not_depend_on_n(train):
    again = generate(25, seed=0, split="train")
    assert [(_digest(a), a.label()) for a in again] == [(_digest(a), a.label()) for a in train[:25]]


def test_worker_processes_draw_the_same_bytes(train):
    """Items are seeded by a string, not hash(): another process draws the very same image."""
    parallel = generate(64, seed=0, split="train", workers=2)
    assert [_digest(a) for a in parallel] == [_digest(a) for a in train[:64]]


def test_different_seeds_differ(train):
    other = generate(15, seed=1, split="train")
    assert sum(_digest(a) == _digest(b) for a, b in zip(other, train, strict=False)) == 0


def test_splits_are_disjoint(train):
    val, test = generate(20, seed=0, split="validation"), generate(20, seed=0, split="test")
    ids = [a.id for a in train + val + test]
    assert len(ids) == len(set(ids))
    digests = [_digest(a) for a in train + val + test]
    assert len(digests) == len(set(digests)), "no image appears in two splits"
    assert {a.split for a in val} == {"validation"} and {a.split for a in test} == {"test"}


def test_unknown_split_or_scenario_is_an_error():
    with pytest.raises(ValueError, match="split"):
        generate(2, split="training")
    with pytest.raises(ValueError, match="scenario"):
        stream("dark", windows=1, per_window=1)


# ---- images and labels ---------------------------------------------------------------------

def test_images_are_cpu_sized_and_files_match_their_format(train):
    assert {a.type for a in train} == set(TYPES)
    for a in train:
        im = Image.open(io.BytesIO(a.data))
        assert im.format == {"png": "PNG", "jpeg": "JPEG"}[a.format]
        assert a.file.endswith({"png": ".png", "jpeg": ".jpg"}[a.format])
        assert 128 <= min(im.size) and max(im.size) <= 512, (a.id, im.size)
        assert a.image.mode == "RGB" and a.image.size == im.size


def test_every_field_value_is_drawn_as_part_of_a_line(train):
    for a in train:
        assert set(a.fields) <= set(FIELD_NAMES), a.fields
        for name, value in a.fields.items():
            assert value and any(value in line for line in a.lines), (a.id, name, value, a.lines)


def test_types_carry_their_key_field_and_values_look_right(train):
    for kind, name in KEY_FIELD.items():
        items = [a for a in train if a.type == kind]
        assert sum(name in a.fields for a in items) >= 0.9 * len(items), kind
    for a in train:
        f = a.fields
        if "invoice_number" in f:
            assert re.fullmatch(r"INV-\d{5}", f["invoice_number"]) and re.fullmatch(r"\$\d+\.\d\d", f["amount"])
        if "tracking_number" in f:
            assert re.fullmatch(r"1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2}", f["tracking_number"])
        if "error_code" in f:
            assert f"{f['error_code']}" in " ".join(a.lines)
    devices = [a for a in train if a.type == "damaged_device"]
    assert any(not a.lines for a in devices) and any("product" in a.fields for a in devices), \
        "some device photos have a sticker with the product, some have no text at all"


def test_nuisances_vary_and_are_recorded(train):
    scales = [a.nuisances["scale"] for a in train]
    assert min(scales) < 0.7 and max(scales) > 0.9
    assert {a.format for a in train} == {"png", "jpeg"}
    assert all(a.format == "jpeg" for a in train if a.type == "damaged_device" or a.nuisances.get("phone_photo"))
    assert any(a.nuisances.get("rotation") for a in train if a.type in ("invoice", "shipping_label"))
    screens = [a for a in train if a.type in SCREENS]
    assert 0.03 < sum(bool(a.nuisances.get("dark_mode")) for a in screens) / len(screens) < 0.35
    assert all(a.language == "en" for a in train)


def test_crops_keep_every_key_field_and_only_visible_lines(train):
    cropped = [a for a in train if a.nuisances.get("crop")]
    assert cropped and all(a.type != "damaged_device" for a in cropped)
    for a in cropped:
        assert all(any(v in line for line in a.lines) for v in a.fields.values()), a.id
    screens = [a for a in train if a.type in SCREENS and "dark_mode" not in a.nuisances]
    lines = [len(a.lines) for a in screens if a.nuisances.get("crop")]
    whole = [len(a.lines) for a in screens if not a.nuisances.get("crop") and not a.nuisances.get("phone_photo")]
    assert np.mean(lines) < np.mean(whole), "a crop drops the lines outside it"


def test_types_are_learnable_from_pixels_but_not_trivially(train):
    """A nearest-centroid classifier on 24x24 grey pixels beats the majority class by far, yet
    stays well short of perfect: layouts differ, nuisances blur the picture."""
    test = generate(60, seed=0, split="test")
    x = np.stack([_gray(a).ravel() for a in train])
    centroids = {t: x[[a.type == t for a in train]].mean(axis=0) for t in TYPES}
    right = 0
    for a in test:
        v = _gray(a).ravel()
        right += min(centroids, key=lambda t: np.sum((centroids[t] - v) ** 2)) == a.type
    majority = max(sum(a.type == t for a in test) for t in TYPES) / len(test)
    assert majority + 0.12 < right / len(test) < 0.9


# ---- drift -----------------------------------------------------------------------------------

def _share(items, test):
    return sum(bool(test(a)) for a in items) / max(1, len(items))


def test_stream_shape_ids_and_windows(streams):
    windows = streams["none"]
    assert [len(w) for w in windows] == [6] * WINDOWS
    assert [{a.window for a in w} for w in windows] == [{0}, {1}, {2}]
    ids = [a.id for s in streams.values() for w in s for a in w]
    assert len(ids) == len(set(ids))
    assert all(a.scenario == "none" and a.split == "stream" for w in windows for a in w)


def test_no_drift_in_the_none_scenario(streams):
    items = [a for w in streams["none"] for a in w]
    assert all(a.language == "en" for a in items)
    assert not any("Amount due" in a.lines for a in items)


def test_dark_mode_darkens_screens_from_drift_start(streams):
    before, after = _before_after(streams["dark_mode"])
    before, after = [a for a in before if a.type in SCREENS], [a for a in after if a.type in SCREENS]
    assert _share(before, lambda a: a.nuisances.get("dark_mode")) < 0.35
    assert _share(after, lambda a: a.nuisances.get("dark_mode")) > 0.7
    brightness = [np.mean([_gray(a).mean() for a in part]) for part in (before, after)]
    assert brightness[1] < brightness[0] - 0.2, brightness  # measured on the pixels, not the flag


def test_phone_photos_of_screens_from_drift_start(streams):
    before, after = _before_after(streams["phone_photos"])
    screens = [[a for a in part if a.type in SCREENS] for part in (before, after)]
    shares = [_share(part, lambda a: a.nuisances.get("phone_photo")) for part in screens]
    assert shares[0] < 0.45 and shares[1] > 0.6 and shares[1] - shares[0] > 0.3, shares
    assert all(a.format == "jpeg" for a in screens[1] if a.nuisances.get("phone_photo"))


def test_new_invoice_layout_is_landscape_with_new_wording_from_drift_start(streams):
    before, after = _before_after(streams["new_invoice_layout"])
    invoices = [[a for a in part if "invoice_number" in a.fields] for part in (before, after)]
    assert invoices[1], "the drifted window has invoices"
    assert not any("Amount due" in a.lines for a in invoices[0])
    landscape = [_share(part, lambda a: a.image.width > a.image.height * 1.1) for part in invoices]
    assert landscape[0] < 0.3 and landscape[1] > 0.6, landscape  # measured on the pixels
    assert _share(invoices[1], lambda a: "Amount due" in a.lines) > 0.6


def test_new_language_brings_german_and_spanish_from_drift_start(streams):
    before, after = _before_after(streams["new_language"])
    foreign = re.compile("|".join(re.escape(w) for w in FOREIGN_WORDS))
    assert not any(foreign.search(line) for a in before for line in a.lines)
    assert {a.language for a in after} == {"en", "de", "es"}
    drifted = [a for a in after if a.language != "en"]
    assert 0.35 < len(drifted) / len(after) < 0.85
    assert _share([a for a in drifted if a.lines], lambda a: any(foreign.search(s) for s in a.lines)) > 0.9
    assert any(a.fields.get("amount", "").endswith(" €") for a in drifted)


def test_foreign_words_are_german_or_spanish_only():
    assert {"Fehlercode", "RECHNUNG", "Einstellungen", "FACTURA", "Configuración"} <= set(FOREIGN_WORDS)
    assert not {"Error code", "INVOICE", "Settings"} & set(FOREIGN_WORDS)


# ---- files -----------------------------------------------------------------------------------

def test_write_folder_and_load_images_round_trip(train, tmp_path):
    items = train[:12]
    write_folder(items, tmp_path)
    loaded = load_images(tmp_path, require_labels=True)
    assert loaded.labelled and [i.id for i in loaded.images] == sorted(a.id for a in items)
    by_id = {a.id: a for a in items}
    for item in loaded.images:
        a = by_id[item.id]
        assert (item.type, item.fields, item.lines) == (a.type, a.fields, a.lines)
        assert item.read_bytes() == a.data and (item.width, item.height) == a.image.size
    assert read_labels(tmp_path) == [a.label() for a in items]


def test_rewriting_a_folder_with_fewer_images_leaves_no_stale_ones(train, tmp_path):
    (tmp_path / "mine.png").write_bytes(b"not ours")
    write_folder(train[:6], tmp_path)
    write_folder(train[:2], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a.file for a in train[:2]] + ["labels.jsonl",
                                                                                             "mine.png"])


def test_write_dataset_writes_every_part(tmp_path):
    parts = write_dataset(tmp_path, sizes={"train": 3, "validation": 1, "test": 2}, scenarios=("new_language",),
                          windows=2, per_window=2, drift_start=1)
    assert {name: count for name, (_, count) in parts.items()} == {
        "train": 3, "validation": 1, "test": 2, "stream/new_language": 4}
    rows = read_labels(tmp_path / "stream" / "new_language")
    assert [(r["scenario"], r["window"]) for r in rows] == [("new_language", 0)] * 2 + [("new_language", 1)] * 2
    assert all((tmp_path / "train" / r["file"]).exists() for r in read_labels(tmp_path / "train"))


def test_cli_writes_the_dataset(tmp_path):
    result = CliRunner().invoke(app, ["data", "attachments", "--out", str(tmp_path), "--scale", "0.002",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "stream/dark_mode" in result.output
    assert len(read_labels(tmp_path / "train")) == 4


# ---- a learner's own folder: clear errors ------------------------------------------------------

@pytest.fixture
def folder(tmp_path, train):
    write_folder(train[:3], tmp_path)
    (tmp_path / "labels.jsonl").unlink()
    return tmp_path


def _error(folder, **kw):
    with pytest.raises(InputError) as exc:
        load_images(folder, **kw)
    return str(exc.value)


def test_unlabelled_folder_loads_and_hidden_files_are_ignored(folder):
    (folder / ".DS_Store").write_bytes(b"\0\1")
    loaded = load_images(folder)
    assert not loaded.labelled and len(loaded.images) == 3 and loaded.images[0].type is None
    assert "labelled" in _error(folder, require_labels=True)


@pytest.mark.parametrize("name, content, expected", [
    ("broken.png", b"not an image at all", "not a readable image"),
    ("empty.jpg", b"", "empty"),
    ("notes.txt", b"hello", "not an image file"),
    ("scan.webp", b"RIFF", "not supported"),
])
def test_bad_files_are_named_with_what_to_do(folder, name, content, expected):
    (folder / name).write_bytes(content)
    message = _error(folder)
    assert name in message and expected in message


def test_gif_and_bmp_are_accepted(folder):
    Image.new("RGB", (64, 48), "white").save(folder / "old.bmp")
    Image.new("RGB", (64, 48), "white").save(folder / "anim.gif")
    formats = {i.id: i.format for i in load_images(folder).images}
    assert formats["old"] == "BMP" and formats["anim"] == "GIF"


def test_truncated_image_is_reported(folder):
    png = next(folder.glob("*.png"), None) or next(folder.glob("*.jpg"))
    png.write_bytes(png.read_bytes()[: len(png.read_bytes()) // 2])
    message = _error(folder)
    assert png.name in message and ("damaged" in message or "not a readable image" in message)


def test_image_in_an_unsupported_format_behind_a_known_suffix(folder):
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, format="TIFF")
    (folder / "photo.png").write_bytes(buf.getvalue())
    message = _error(folder)
    assert "photo.png" in message and "TIFF" in message and "PNG or JPEG" in message


def test_empty_and_missing_folders(tmp_path):
    assert "no images" in _error(tmp_path)
    assert "no such folder" in _error(tmp_path / "nope")
    (tmp_path / "a.png").write_bytes(b"x")
    assert "not a folder" in _error(tmp_path / "a.png")


@pytest.mark.parametrize("row, expected", [
    ({"file": "{first}", "type": "selfie"}, "unknown type 'selfie'"),
    ({"file": "ghost.png", "type": "invoice"}, "'ghost.png' is not an image in this folder"),
    ({"type": "invoice"}, "field 'file'"),
    ({"file": "{first}", "type": "invoice", "fields": {"amount": 12}}, "field 'fields'"),
])
def test_bad_labels_name_line_and_field(folder, row, expected):
    first = sorted(p.name for p in folder.iterdir())[0]
    rows = [{"file": p.name, "type": "invoice"} for p in sorted(folder.iterdir())[1:]]
    row = {k: (v.format(first=first) if isinstance(v, str) else v) for k, v in row.items()}
    (folder / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows + [row]) + "\n")
    message = _error(folder)
    assert "labels.jsonl, line 3" in message and expected in message


def test_labels_must_cover_every_image_and_be_json(folder):
    names = sorted(p.name for p in folder.iterdir())
    (folder / "labels.jsonl").write_text(json.dumps({"file": names[0], "type": "invoice"}) + "\n")
    assert names[1] in _error(folder) and "Label every image or none" in _error(folder)
    (folder / "labels.jsonl").write_text("{not json\n")
    assert "line 1: not valid JSON" in _error(folder)
