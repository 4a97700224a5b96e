"""The read feature runs a real OCR engine: word accuracy on generated images, and the geometry.

Measured here: 3 pages, 8 lines, 26 words (DejaVu Sans 20-30 px, dark and light, PNG and JPEG);
all 26 read exactly when this was written, and the test asks for 0.9 or better.
benchmarks/azure_vision_ocr.py measures it on the kit's attachment images.
"""

from __future__ import annotations

from collections import Counter

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as VF

from mocks.azure_vision.ocr import is_word_gap
from tests.mocks.azure_vision import drawing

PAGES = [
    (["Invoice INV-2024-0173", "Total due: 249.99 EUR", "Payment within 30 days"], {}, "PNG"),
    (["Error 0x80070005: Access denied", "Contact support@example.com"], {"dark": True, "size_pt": 20}, "PNG"),
    (["Tracking 1Z999AA10123456784", "Ship to 42 Elm Street", "Springfield IL 62704"],
     {"size_pt": 30, "size": (720, 240)}, "JPEG"),
]


def word_accuracy(truth: list[str], read: list[str]) -> float:
    """Share of the true words read exactly (as a bag: order within the page ignored)."""
    expected = Counter(w for line in truth for w in line.split())
    found = Counter(w for line in read for w in line.split())
    return sum((expected & found).values()) / sum(expected.values())


@pytest.fixture(scope="module")
def pages(azure_vision_server):
    """Each page read once through the real SDK (OCR takes about a second a page here)."""
    azure_vision_server.control.reset()  # module-scoped: not reset by the azure_vision fixture
    client = azure_vision_server.client()
    results = []
    for lines, style, fmt in PAGES:
        image = drawing.text_image(lines, **style)
        data = drawing.encode(image, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        results.append((lines, image.size, client.analyze(data, [VF.READ]).read))
    return results


def test_word_accuracy_on_generated_pages(pages):
    truth = [line for lines, _, _ in pages for line in lines]
    read = [line.text for _, _, result in pages for line in result.blocks[0].lines]
    accuracy = word_accuracy(truth, read)
    assert accuracy >= 0.9, f"word accuracy {accuracy:.2f} on {len(truth)} lines: {read}"


def test_lines_come_top_to_bottom_and_are_their_words(pages):
    for lines, _, result in pages:
        (block,) = result.blocks
        tops = [min(p.y for p in line.bounding_polygon) for line in block.lines]
        assert tops == sorted(tops) and len(block.lines) == len(lines)
        for line in block.lines:
            assert line.text == " ".join(w.text for w in line.words)


def test_word_polygons_sit_inside_their_line_in_reading_order(pages):
    for _, (width, height), result in pages:
        for line in result.blocks[0].lines:
            xs = [p.x for p in line.bounding_polygon]
            ys = [p.y for p in line.bounding_polygon]
            assert len(line.bounding_polygon) == 4 and max(xs) <= width and max(ys) <= height
            lefts = []
            for word in line.words:
                wx = [p.x for p in word.bounding_polygon]
                assert min(xs) - 1 <= min(wx) < max(wx) <= max(xs) + 1
                assert 0.3 < word.confidence <= 1
                lefts.append(min(wx))
            assert lefts == sorted(lefts)


def test_a_page_without_text_has_no_blocks(azure_vision):
    png = drawing.encode(drawing.shapes_image())
    assert azure_vision.client().analyze(png, [VF.READ]).read.blocks == []


def test_word_gaps_are_wide_for_the_text_and_for_the_line():
    assert is_word_gap(16, ink_height=60, typical=4)
    assert not is_word_gap(12, ink_height=60, typical=4)  # letter spacing of a wide font
    assert not is_word_gap(20, ink_height=120, typical=4)  # small next to the text's size
