"""What happens to an attachment between the screen or the paper and the support inbox.

Scans come out slightly rotated, phone photos are taken at an angle, out of focus, with glare
and sensor noise, and moiré when the subject is a monitor; everything gets rescaled and often
JPEG-compressed by a chat app or a mail client. Each function takes a PIL image and the item's
random generator and returns a new image; ``encode`` turns the result into file bytes.
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageFilter


def crop_to_fields(drawing, rng: random.Random, min_side: int = 160):
    """The sender cut the screenshot (or photographed part of the page) down to what matters:
    a random window that still holds every key field's line. Lines cut by the window's edge
    are no longer listed; returns (image, lines, fields), or None when no such window exists."""
    w, h = drawing.image.size
    keep = [box for line, box in zip(drawing.lines, drawing.boxes, strict=True)
            if any(value in line for value in drawing.fields.values())]
    if not keep:
        return None
    need = (min(b[0] for b in keep) - 8, min(b[1] for b in keep) - 8, max(b[2] for b in keep) + 8,
            max(b[3] for b in keep) + 8)
    cw = rng.randint(min(w, max(min_side, need[2] - need[0], int(w * 0.45))), w)
    ch = rng.randint(min(h, max(min_side, need[3] - need[1], int(h * 0.45))), h)
    x0 = _start(rng, need[0], need[2], cw, w)
    y0 = _start(rng, need[1], need[3], ch, h)
    inside = [(line, box) for line, box in zip(drawing.lines, drawing.boxes, strict=True)
              if box[0] >= x0 and box[1] >= y0 and box[2] <= x0 + cw and box[3] <= y0 + ch]
    lines = [line for line, _ in inside]
    fields = {k: v for k, v in drawing.fields.items() if any(v in line for line in lines)}
    if fields != drawing.fields:
        return None
    return drawing.image.crop((x0, y0, x0 + cw, y0 + ch)), lines, fields


def _start(rng: random.Random, lo: int, hi: int, size: int, total: int) -> int:
    """Where a window of SIZE starts so that it covers [LO, HI] and stays within [0, TOTAL]."""
    first, last = max(0, hi - size), min(lo, total - size)
    return rng.randint(first, last) if first <= last else max(0, min(lo, total - size))


def rotate_scan(image: Image.Image, rng: random.Random, fill, max_angle: float = 3.0) -> tuple[Image.Image, float]:
    """A sheet laid a little crooked on the scanner glass (or a label stuck on crooked)."""
    angle = round(rng.uniform(-max_angle, max_angle), 2)
    return image.rotate(angle, resample=Image.BILINEAR, fillcolor=fill), angle


def phone_photo(image: Image.Image, rng: random.Random, screen: bool) -> Image.Image:
    """A photo of the attachment taken with a phone: on a desk (or inside a monitor's bezel when
    SCREEN), seen at an angle, with glare, moiré on screens, softness and sensor noise."""
    w, h = image.size
    out_w, out_h = (512, 384) if w >= h else (384, 512)
    gen = np.random.default_rng(rng.getrandbits(32))
    frame = Image.new("RGB", (out_w, out_h), _surroundings(rng, screen))
    k = rng.uniform(0.78, 0.9) * min(out_w / w, out_h / h)  # people aim at what matters: it fills the frame
    inner = image.resize((int(w * k), int(h * k)), Image.BILINEAR)
    x0, y0 = (out_w - inner.width) // 2, (out_h - inner.height) // 2
    if screen:  # the monitor's black bezel, and moiré on the screen only
        frame.paste((12, 12, 14), (x0 - 12, y0 - 12, x0 + inner.width + 12, y0 + inner.height + 12))
        inner = _moire(inner, rng)
    frame.paste(inner, (x0, y0))
    pixels = np.asarray(perspective(frame, rng, strength=0.07), np.float32)
    glare = _glare(gen, out_w, out_h, strength=rng.uniform(0.1, 0.3))
    pixels = pixels * (1 - glare) + 255 * glare
    pixels *= np.array([1.0 + rng.uniform(0, 0.06), 1.0, 1.0 - rng.uniform(0, 0.08)], np.float32)  # warm cast
    pixels += _noise(gen, out_h, out_w, rng.uniform(2, 6))
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return photo.filter(ImageFilter.BoxBlur(rng.uniform(0.4, 1.0)))  # box: a third of a Gaussian's cost


def _moire(image: Image.Image, rng: random.Random) -> Image.Image:
    """Interference of the screen's pixel grid with the camera's sensor: faint slanted bands."""
    w, h = image.size
    f, a, amp = rng.uniform(0.35, 0.9), rng.uniform(-0.6, 0.6), rng.uniform(3, 8)
    # sin(u + v) = sin u cos v + cos u sin v: two outer products instead of a full grid
    u = f * np.cos(a) * np.arange(w, dtype=np.float32)
    v = f * np.sin(a) * np.arange(h, dtype=np.float32)
    bands = amp * (np.outer(np.cos(v), np.sin(u)) + np.outer(np.sin(v), np.cos(u)))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + bands[:, :, None], 0, 255).astype(np.uint8))


def _surroundings(rng, screen) -> tuple[int, int, int]:
    if screen:  # a dim office around the monitor
        v = rng.randint(30, 80)
        return (v, v - 4, v - 8)
    return rng.choice([(140, 100, 62), (90, 94, 102), (205, 200, 190)])  # wood, fabric, desk


def _glare(gen: np.random.Generator, w: int, h: int, strength: float) -> np.ndarray:
    """A soft bright spot (share of white per pixel, shape h x w x 1); a Gaussian is separable."""
    cx, cy, r = gen.uniform(0, w), gen.uniform(0, h), gen.uniform(0.2, 0.5) * w
    gx = np.exp(-((np.arange(w, dtype=np.float32) - cx) ** 2) / (2 * r * r))
    gy = np.exp(-((np.arange(h, dtype=np.float32) - cy) ** 2) / (2 * r * r))
    return (strength * np.outer(gy, gx))[:, :, None]


def _noise(gen: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    """Sensor noise, the same on the three channels (float32: drawing it is the slow part)."""
    return gen.standard_normal((h, w, 1), dtype=np.float32) * sigma


def perspective(image: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """Pull each corner of the picture inwards by up to STRENGTH of the size (the camera was not
    square on). Only inwards: nothing of the subject leaves the frame, so `lines` stay true."""
    w, h = image.size
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    outward = [(-1, -1), (1, -1), (1, 1), (-1, 1)]  # where each corner of the source lies
    src = [(x + sx * rng.uniform(0, strength) * w, y + sy * rng.uniform(0, strength) * h)
           for (x, y), (sx, sy) in zip(dst, outward, strict=True)]
    return image.transform((w, h), Image.PERSPECTIVE, _coefficients(dst, src), Image.BILINEAR,
                           fillcolor=image.getpixel((0, 0)))


def _coefficients(dst, src) -> list[float]:
    """The 8 numbers Pillow's PERSPECTIVE transform takes, mapping output (dst) to input (src)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def camera(image: Image.Image, rng: random.Random) -> tuple[Image.Image, float]:
    """The softness and noise of a phone camera (for photos of devices)."""
    gen = np.random.default_rng(rng.getrandbits(32))
    radius = round(rng.uniform(0.4, 1.6), 2)
    pixels = np.asarray(image.filter(ImageFilter.BoxBlur(radius)), np.float32)
    pixels += _noise(gen, image.height, image.width, rng.uniform(2, 7))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), radius


def rescale(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.BILINEAR)


def encode(image: Image.Image, quality: int | None) -> bytes:
    """JPEG at QUALITY, or lossless PNG when QUALITY is None."""
    buf = io.BytesIO()
    if quality is None:
        image.save(buf, format="PNG", compress_level=1)
    else:
        image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
