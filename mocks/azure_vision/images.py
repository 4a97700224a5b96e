"""The service's image requirements: bytes, format, dimensions; decoding with Pillow.

Image Analysis 4.0 accepts JPEG, PNG, GIF, BMP, WEBP, ICO, TIFF and MPO; at most 20 MB
(20,971,520 bytes); width and height from 50 to 16,000 pixels. The checks run in the order the
service reports them: size in bytes, then format, then dimensions (read from the header before
any pixel is decoded, so a 16,001-pixel image is refused without decoding it).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mocks.azure_vision import exceptions as err

MAX_BYTES = 20 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 50, 16000
FORMATS = {"JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF", "MPO"}

# The limit above is the service's; Pillow's own bomb guard would warn first (and pytest runs
# with warnings as errors), so it is set just above the largest image the service accepts.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE + 1


# Larger images are analysed at a reduced size (coordinates are scaled back): a 16,000 x 16,000
# image would otherwise take 768 MB as RGB.
MAX_ANALYSED_PIXELS = 24_000_000


@dataclass(frozen=True)
class DecodedImage:
    width: int  # the original's
    height: int
    format: str
    rgb: np.ndarray  # height x width x 3, uint8; reduced when the original is very large
    scale: float = 1.0  # original pixels per pixel of ``rgb``


def decode(data: bytes) -> DecodedImage:
    """Check ``data`` against the service's requirements and decode it to RGB pixels."""
    if not data or len(data) > MAX_BYTES:
        raise err.ImageTooLargeInBytes(MAX_BYTES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. Pillow's notes on odd palettes: not our concern
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
    except Exception as exc:  # Pillow raises several types for unreadable bytes
        raise err.InvalidImageFormat() from exc
    if fmt not in FORMATS:
        raise err.InvalidImageFormat(f"The image format {fmt or 'unknown'} is not supported. "
                                     f"Supported formats: {', '.join(sorted(FORMATS))}.")
    width, height = image.size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise err.InvalidImageSize(MIN_SIDE, MAX_SIDE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.seek(0)  # the first frame of a GIF/MPO/TIFF, as the service analyses
            rgb = _reduced_rgb(image)
    except Exception as exc:  # truncated or corrupt pixel data behind a valid header
        raise err.InvalidImageFormat() from exc
    return DecodedImage(width, height, fmt, np.asarray(rgb), scale=width / rgb.width)


def _reduced_rgb(image: Image.Image) -> Image.Image:
    factor = math.sqrt(image.width * image.height / MAX_ANALYSED_PIXELS)
    if factor > 1 and image.format in ("JPEG", "MPO"):
        image.draft("RGB", (int(image.width / factor), int(image.height / factor)))  # decodes smaller
    rgb = image.convert("RGB")
    factor = math.ceil(math.sqrt(rgb.width * rgb.height / MAX_ANALYSED_PIXELS))
    return rgb.reduce(factor) if factor > 1 else rgb
