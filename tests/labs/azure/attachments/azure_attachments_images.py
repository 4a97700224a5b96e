"""Small images and scripted Image Analysis answers for the Azure attachments graded tests.

A module with a name of its own (not ``conftest``): every test folder has a conftest, and a
test importing ``conftest`` could get another folder's.
"""

from __future__ import annotations

import io


def png(width: int = 64, height: int = 64, colour=(240, 240, 240), fmt: str = "PNG") -> bytes:
    """A plain image's bytes (cheap: no text for OCR to read)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def answer(width: int = 64, height: int = 64, lines=(), tags=None) -> dict:
    """An Image Analysis 4.0 JSON answer (for scripting the emulator): text lines and tags."""
    read_lines = [{"text": text, "boundingPolygon": [{"x": 0, "y": 10 * i}, {"x": 50, "y": 10 * i},
                                                     {"x": 50, "y": 10 * i + 8}, {"x": 0, "y": 10 * i + 8}],
                   "words": []} for i, text in enumerate(lines)]
    return {"modelVersion": "2023-10-01", "metadata": {"width": width, "height": height},
            "readResult": {"blocks": [{"lines": read_lines}] if read_lines else []},
            "tagsResult": {"values": [{"name": n, "confidence": c} for n, c in (tags or {}).items()]}}
