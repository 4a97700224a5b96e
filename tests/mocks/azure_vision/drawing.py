"""Test images drawn with Pillow and matplotlib's bundled DejaVu font: known content, no files."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

FONT = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def text_image(lines: list[str], size=(560, 220), size_pt: int = 22, dark: bool = False) -> Image.Image:
    ground, ink = ((30, 30, 36), (235, 235, 235)) if dark else ("white", "black")
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((20, 16 + i * int(size_pt * 1.9)), line, fill=ink, font=font(size_pt))
    return image


def shapes_image() -> Image.Image:
    """A blue square and a red disc on light grey: two objects with known boxes."""
    image = Image.new("RGB", (400, 300), (230, 230, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 179, 219), fill=(40, 90, 200))  # x 40..179, y 60..219
    draw.ellipse((230, 80, 349, 199), fill=(200, 30, 30))
    return image


def person_image() -> Image.Image:
    """A skin-toned oval head over a dark body, on green, at the right of the picture."""
    image = Image.new("RGB", (600, 400), (60, 120, 60))
    draw = ImageDraw.Draw(image)
    draw.ellipse((420, 60, 500, 160), fill=(224, 172, 140))
    draw.rectangle((390, 160, 530, 390), fill=(40, 40, 120))
    return image


def screenshot_image() -> Image.Image:
    image = Image.new("RGB", (640, 400), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 639, 40), fill=(30, 60, 140))
    draw.text((10, 8), "Settings - Network", fill="white", font=font(22))
    draw.rectangle((100, 120, 540, 300), fill="white", outline="black")
    draw.text((120, 140), "Error 0x80070005", fill="black", font=font(22))
    draw.text((120, 180), "Access is denied.", fill="black", font=font(22))
    draw.rectangle((420, 250, 520, 285), fill=(40, 90, 200))
    return image


def iou(a: dict, b: tuple[int, int, int, int]) -> float:
    """Intersection over union of a service box {x, y, w, h} and (x0, y0, x1, y1) inclusive."""
    ax0, ay0, ax1, ay1 = a["x"], a["y"], a["x"] + a["w"], a["y"] + a["h"]
    bx0, by0, bx1, by1 = b[0], b[1], b[2] + 1, b[3] + 1
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union
