"""The ``read`` feature: a real OCR engine (RapidOCR with PP-OCRv4 ONNX models) on the pixels.

``rapidocr-onnxruntime`` ships its detection and recognition models inside its wheel, so
nothing is downloaded. The pipeline:

1. **Lines**: PP-OCRv4's text detector (DB) finds text-line quadrilaterals; the image is scaled
   so its longer side is at most 960 px for detection (the package's default scales the
   *shorter* side up to 736 px, which makes small images slow for no gain).
2. **Text**: each line is cut out (perspective-corrected) and read by the PP-OCRv4 recogniser
   (CTC), which also reports where in the line each character was read.
3. **Words**: that recogniser rarely outputs spaces in Latin text ("Accessdenied"), so words
   come from the pixels: runs of ink-free columns in the line crop (Otsu threshold) clearly
   wider than the letter spacing (``word_gap``) separate words; each recognised character
   goes to the word whose columns hold it. Word polygons are those column ranges mapped back onto the line's
   quadrilateral; a word's confidence is the mean of its characters' confidences.

Not emulated: the text-angle classifier is skipped (upside-down text is read as garbage, not
rotated), handwriting is weak, and Azure's block/paragraph layout is a single block as the
2023-10-01 API returns anyway.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

DETECTION_MAX_SIDE = 960
MIN_LINE_SCORE = 0.5

_engine = None
_lock = threading.Lock()  # one OCR at a time: ONNX sessions are shared, and the cores are few


def engine():
    """The RapidOCR engine, loaded on first use (about a second)."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR(det_limit_type="max", det_limit_side_len=DETECTION_MAX_SIDE,
                           intra_op_num_threads=2, inter_op_num_threads=1)
    return _engine


@dataclass
class Word:
    text: str
    polygon: list[tuple[int, int]]
    confidence: float


@dataclass
class Line:
    text: str
    polygon: list[tuple[int, int]]
    words: list[Word] = field(default_factory=list)


def read(rgb: np.ndarray) -> list[Line]:
    """Lines of text, top to bottom, with their words."""
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    with _lock:
        ocr = engine()
        boxes, _ = ocr.text_det(bgr)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = ocr.sorted_boxes(boxes)
        crops = ocr.get_crop_img_list(bgr, boxes)
        results, _ = ocr.text_rec(crops, True)
    lines = []
    for box, crop, result in zip(boxes, crops, results, strict=True):
        text, score = result[0], float(result[1])
        if score < MIN_LINE_SCORE or not text.strip():
            continue
        quad = [(float(x), float(y)) for x, y in box]
        words = split_words(crop, quad, result)
        if words:
            lines.append(Line(" ".join(w.text for w in words), _int_polygon(quad), words))
    return lines


def split_words(crop: np.ndarray, quad: list[tuple[float, float]], result) -> list[Word]:
    """Group the recogniser's characters into words separated by ink-free column gaps."""
    chars = _char_positions(crop.shape[1], result)
    segments = ink_segments(crop)
    if not chars or not segments:
        return []
    groups: list[list[tuple[str, float]]] = [[] for _ in segments]
    for x, ch, conf in chars:
        if ch.isspace():
            continue
        groups[_nearest_segment(segments, x)].append((ch, conf))
    width = crop.shape[1]
    words = []
    for (x0, x1), group in zip(segments, groups, strict=True):
        if group:
            polygon = _sub_quad(quad, x0 / width, x1 / width)
            words.append(Word("".join(c for c, _ in group), polygon,
                              round(float(np.mean([c for _, c in group])), 3)))
    return words


def _char_positions(width: int, result) -> list[tuple[float, str, float]]:
    """(x in crop pixels, character, confidence) from RapidOCR's word-box output."""
    text, score = result[0], float(result[1])
    info = result[2] if len(result) > 2 else None
    if not info or not info[1]:
        # no positions: spread the characters evenly (still one word per ink segment)
        n = max(1, len(text))
        return [((i + 0.5) * width / n, ch, score) for i, ch in enumerate(text)]
    total = float(info[0]) or 1.0
    letters = [c for word in info[1] for c in word]
    columns = [c for word in info[2] for c in word]
    confidences = list(info[4]) if len(info) > 4 else [score] * len(letters)
    return [((col + 0.5) / total * width, ch, float(conf))
            for ch, col, conf in zip(letters, columns, confidences, strict=False)]


def ink_segments(crop: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges [x0, x1) of ink in a line crop, one per word."""
    import cv2

    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = mask > 0
    if ink.mean() > 0.5:  # dark text on light ground: ink is the minority class
        ink = ~ink
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    runs = _ink_runs(ink.any(axis=0))
    gaps = [b[0] - a[1] for a, b in pairwise(runs)]
    threshold = word_gap(gaps, rows[-1] - rows[0] + 1)
    segments = [list(runs[0])]
    for (x0, x1), gap in zip(runs[1:], gaps, strict=True):
        if gap >= threshold:
            segments.append([x0, x1])
        else:
            segments[-1][1] = x1
    return [(a, b) for a, b in segments]


def _ink_runs(columns: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], columns.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def word_gap(gaps: list[int], ink_height: int) -> float:
    """The smallest gap that separates words: the first big jump (x1.5) among the sorted gap
    widths that is also at least 0.3 of the ink height; letters sit closer than that."""
    floor = 0.3 * ink_height
    widths = sorted(set(gaps))
    for low, high in pairwise(widths):
        if high >= floor and high >= 1.5 * low:
            return high
    return max(2 * floor, 2)


def _nearest_segment(segments: list[tuple[int, int]], x: float) -> int:
    distances = [0.0 if x0 <= x < x1 else min(abs(x - x0), abs(x - x1)) for x0, x1 in segments]
    return int(np.argmin(distances))


def _sub_quad(quad, t0: float, t1: float) -> list[tuple[int, int]]:
    """The part of a line quadrilateral (tl, tr, br, bl) between fractions t0 and t1 of its length."""
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = quad

    def lerp(a, b, t):
        return a + (b - a) * t

    points = [(lerp(tlx, trx, t0), lerp(tly, try_, t0)), (lerp(tlx, trx, t1), lerp(tly, try_, t1)),
              (lerp(blx, brx, t1), lerp(bly, bry, t1)), (lerp(blx, brx, t0), lerp(bly, bry, t0))]
    return _int_polygon(points)


def _int_polygon(points) -> list[tuple[int, int]]:
    return [(max(0, int(round(x))), max(0, int(round(y)))) for x, y in points]
