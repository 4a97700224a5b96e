"""Checking and preparing an image before it is sent: what the service would refuse, refuse here.

Image Analysis 4.0 accepts JPEG, PNG, GIF, BMP, WEBP, ICO, TIFF and MPO files of at most
20 MB (20,971,520 bytes), between 50 x 50 and 16,000 x 16,000 pixels. A call with anything
else comes back as a 400 *and is billed* (the service admitted it before looking at the image).
So the lab looks first:

* an image it cannot decode (corrupt, truncated, not an image) is **refused** with the reason;
* an image smaller than 50 px on a side is **refused**: there is nothing to read at that size,
  and enlarging it invents nothing;
* a big photo is **downscaled** so its longer side is at most ``max_side`` (2,048 px by
  default): a 12-megapixel phone photo takes seconds to upload and OCR reads the same text at
  a sixth of the pixels. A long, thin image that would fall under 50 px is refused instead;
* a format the service does not take (PPM, TGA, PCX, ... anything Pillow reads) is
  **converted** to PNG;
* a file still over the byte limit is re-encoded as JPEG, and refused if that does not help.

An image that needs none of this is sent byte for byte as it came: re-encoding a JPEG loses
quality for nothing. Every refusal says what is wrong and what the limit is, so the person who
sent it can fix it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

MIN_SIDE, MAX_SIDE = 50, 16000  # pixels, each side
MAX_BYTES = 20 * 1024 * 1024  # 20,971,520 bytes
ACCEPTED = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF", "MPO")  # Pillow's format names
DEFAULT_MAX_SIDE = 2048
JPEG_QUALITY = 90


class Refused(ValueError):
    """The image cannot be analysed; ``reason`` says why (it is saved with the result)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Prepared:
    data: bytes  # what to send
    format: str  # Pillow's name of the format sent
    width: int
    height: int
    changes: list[str] = field(default_factory=list)  # e.g. ["downscaled 6000x4000 -> 2048x1365"]


def check_image(width: int, height: int, n_bytes: int, fmt: str) -> str | None:
    """Why the service would refuse an image of this size, byte count and format, or None.

    The reason names the limit: e.g. "the image is 40x300 px; Image Analysis needs at least
    50 px on each side".
    """
    # BEGIN SOLUTION
    # HINT: bytes in 1..MAX_BYTES, fmt in ACCEPTED, each side in MIN_SIDE..MAX_SIDE; a reason naming the limit.
    if n_bytes <= 0:
        return "the file is empty (0 bytes)"
    if n_bytes > MAX_BYTES:
        return f"the file is {n_bytes:,} bytes; Image Analysis takes at most {MAX_BYTES:,} (20 MB)"
    if fmt not in ACCEPTED:
        return f"{fmt} images are not accepted (accepted: {', '.join(ACCEPTED)})"
    if min(width, height) < MIN_SIDE:
        return f"the image is {width}x{height} px; Image Analysis needs at least {MIN_SIDE} px on each side"
    if max(width, height) > MAX_SIDE:
        return f"the image is {width}x{height} px; Image Analysis takes at most {MAX_SIDE} px on each side"
    return None
    # END SOLUTION


def decode(data: bytes) -> Image.Image:
    """The decoded image, or Refused saying why it cannot be read."""
    if not data:
        raise Refused("the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()  # decode it all: a truncated file fails here, not halfway through a run
    except UnidentifiedImageError:
        raise Refused("not an image (or a format Pillow cannot read); save it as PNG or JPEG") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too many pixels to decode safely; downscale it before sending") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise Refused(f"the image is damaged or truncated ({exc}); save it again") from None
    return image


def encode(image: Image.Image, fmt: str) -> bytes:
    """PNG or JPEG bytes of ``image`` (JPEG has no alpha and no 16-bit modes: made RGB)."""
    if fmt == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    elif fmt == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": JPEG_QUALITY} if fmt == "JPEG" else {}))
    return out.getvalue()


def prepare_image(data: bytes, *, max_side: int = DEFAULT_MAX_SIDE, max_bytes: int = MAX_BYTES) -> Prepared:
    """The bytes to send for this image, or Refused with the reason.

    Decode (``decode``); refuse a side under MIN_SIDE; downscale (Lanczos, aspect and transparency
    kept) when the longer side exceeds ``max_side``, refusing when the shorter side would drop
    under MIN_SIDE; convert a format outside ACCEPTED to PNG; when anything changed, re-encode (JPEG stays JPEG,
    the rest become PNG); over ``max_bytes``, re-encode as JPEG; then ``check_image`` must pass
    (with ``max_bytes`` as the byte limit). Unchanged images keep their original bytes. Each
    change is noted in ``changes`` (a downscale with the new size: "downscaled 3000x600 -> 1000x200").
    """
    # BEGIN SOLUTION
    # HINT: decode(); too small: Refused; resize if longer side > max_side; convert odd formats; re-encode if changed.
    image = decode(data)
    fmt, (width, height) = image.format, image.size
    if min(width, height) < MIN_SIDE:
        raise Refused(check_image(width, height, len(data), "PNG"))
    changes = []
    if max(width, height) > max_side:
        scale = max_side / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if min(size) < MIN_SIDE:
            raise Refused(f"the image is {width}x{height} px: downscaled to at most {max_side} px it would be "
                          f"{size[0]}x{size[1]}, under {MIN_SIDE} px on a side; crop it first")
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB").resize(size, Image.Resampling.LANCZOS)
        changes.append(f"downscaled {width}x{height} -> {size[0]}x{size[1]}")
    if fmt not in ACCEPTED:
        changes.append(f"converted {fmt} -> PNG")
    if changes:
        fmt = "JPEG" if fmt in ("JPEG", "MPO") else "PNG"
        data = encode(image, fmt)
    if len(data) > max_bytes:
        fmt, data = "JPEG", encode(image, "JPEG")
        changes.append(f"re-encoded as JPEG to fit {max_bytes:,} bytes")
    if len(data) > max_bytes:
        raise Refused(f"the image is {len(data):,} bytes even as JPEG; the limit is {max_bytes:,}: downscale it")
    reason = check_image(*image.size, len(data), fmt)
    if reason:
        raise Refused(reason)
    return Prepared(data, fmt, *image.size, changes)
    # END SOLUTION
