"""Stage 1, data: the attachment images as `tf.data` pipelines, and the one decoding function.

An attachment reaches the model as the bytes of its file (PNG or JPEG, any size). One
TensorFlow function, `decode_and_resize`, turns those bytes into a square of pixels; the input
pipeline maps it over the training images and the exported model calls the very same function
on the bytes it is sent. Scaling the pixels to [0, 1] is a layer inside the model. So training
and serving cannot disagree about preprocessing (no training/serving skew), and a client sends
the file as it is.

Resizing keeps the aspect ratio and pads (`resize_with_pad`): a landscape screenshot, a portrait
invoice and a long till receipt keep their shapes, which says a lot about what they are.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from shared.datasets.attachments import TYPES

IMAGE_SIZE = 64  # pixels per side the CNN sees: layouts survive, text does not
SEED = 0


def tf():
    """Import TensorFlow quietly, only when a stage needs it."""
    if "tensorflow" in sys.modules:  # also keeps AutoGraph from tracing into os.environ
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


@dataclass
class Item:
    """One attachment: its id, the file's bytes and, when known, its type."""

    id: str
    data: bytes = field(repr=False)
    type: str | None = None
    extra: dict = field(default_factory=dict)  # scenario, window, language, nuisances when given


@dataclass
class Splits:
    train: list[Item]
    validation: list[Item]
    test: list[Item]


def from_attachments(attachments) -> list[Item]:
    """Items from the generator's Attachment objects."""
    items = []
    for a in attachments:
        extra = {"scenario": a.scenario, "window": a.window} if a.scenario is not None else {}
        items.append(Item(a.id, a.data, a.type, extra))
    return items


def load_folder(folder: str | Path, require_labels: bool = False) -> list[Item]:
    """A folder of images (+ labels.jsonl), checked by shared.datasets.loading (InputError if bad)."""
    from shared.datasets.loading import load_images

    loaded = load_images(folder, require_labels=require_labels)
    return [Item(i.id, i.read_bytes(), i.type if loaded.labelled else None, dict(i.extra))
            for i in loaded.images]


def kit_splits(data_dir: str | Path | None = None, sizes: dict[str, int] | None = None) -> Splits:
    """The kit's splits: read from DATA_DIR (what the run's data stage wrote) or generated."""
    if data_dir is not None:
        return Splits(*(load_folder(Path(data_dir) / s, require_labels=True)
                        for s in ("train", "validation", "test")))
    from shared.datasets.attachments import SPLIT_SIZES, generate

    sizes = {**SPLIT_SIZES, **(sizes or {})}
    return Splits(*(from_attachments(generate(sizes[s], split=s)) for s in ("train", "validation", "test")))


def user_splits(folder: str | Path, minimum: int = 30) -> Splits:
    """A learner's labelled folder, shuffled with a fixed seed and cut 80/10/10."""
    from shared.datasets.loading import InputError

    items = load_folder(folder, require_labels=True)
    if len(items) < minimum:
        raise InputError(f"{folder}: {len(items)} labelled images are too few to train, validate and "
                         f"test on; give at least {minimum} (a few hundred to learn anything).")
    random.Random(SEED).shuffle(items)
    a, b = int(len(items) * 0.8), int(len(items) * 0.9)
    return Splits(items[:a], items[a:b], items[b:])


def label_ids(items: list[Item]) -> list[int]:
    return [TYPES.index(item.type) for item in items]


def decode_and_resize(image_bytes, size: int = IMAGE_SIZE):
    """TensorFlow: encoded image bytes (one scalar string) -> float32 pixels [size, size, 3] in
    0-255, aspect ratio kept by padding. Used by the input pipeline AND the serving signature."""
    tf_ = tf()
    # BEGIN SOLUTION
    # HINT: tf.io.decode_image(image_bytes, channels=3, expand_animations=False) (GIF and PNG
    # HINT: alike, always 3 channels), cast to float32, then tf.image.resize_with_pad(image, size,
    # HINT: size, antialias=True): antialiasing keeps thin lines from turning into noise
    image = tf_.io.decode_image(image_bytes, channels=3, expand_animations=False)
    image = tf_.cast(image, tf_.float32)
    return tf_.image.resize_with_pad(image, size, size, antialias=True)
    # END SOLUTION


def make_dataset(items: list[Item], batch_size: int = 32, shuffle: bool = False, seed: int = SEED,
                 size: int = IMAGE_SIZE):
    """A tf.data.Dataset of (pixels [size, size, 3] in 0-255, one-hot type) batches.

    Decoding is done once and cached: every later epoch reads the pixels from memory.
    """
    tf_ = tf()
    # BEGIN SOLUTION
    # HINT: from_tensor_slices((list of bytes, tf.one_hot(label_ids(items), len(TYPES)))), .map
    # HINT: decode_and_resize over the bytes (num_parallel_calls=tf.data.AUTOTUNE), .cache(); then
    # HINT: shuffle with the seed (training only), batch, prefetch
    labels = tf_.one_hot(label_ids(items), depth=len(TYPES))
    ds = tf_.data.Dataset.from_tensor_slices((tf_.constant([item.data for item in items]), labels))
    ds = ds.map(lambda data, label: (decode_and_resize(data, size), label),
                num_parallel_calls=tf_.data.AUTOTUNE).cache()
    if shuffle:
        ds = ds.shuffle(len(items), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf_.data.AUTOTUNE)
    # END SOLUTION


def class_weights(items: list[Item]) -> dict[int, float]:
    """Keras class_weight {type index: weight}: rarer types weigh more, so that every type counts
    as much in the loss as if the classes were balanced. Types absent from ITEMS are left out."""
    # BEGIN SOLUTION
    # HINT: "balanced" weights: n_items / (n_types_present * count of that type); a type seen
    # HINT: half as often as average gets weight 2
    counts: dict[int, int] = {}
    for index in label_ids(items):
        counts[index] = counts.get(index, 0) + 1
    return {index: len(items) / (len(counts) * count) for index, count in sorted(counts.items())}
    # END SOLUTION
