"""The stand-in for Azure's vision models: classical computer vision on the pixels, deterministic.

It is **not** Azure's model and knows nothing but the pixels (no file names, no labels). Every
measure is computed on a copy scaled so its longer side is at most 512 px; boxes are scaled back
to the original image. README.md, "The stand-in", says what each feature does and its limits.

    scene = analyse(rgb)          # measures shared by every feature, computed when first used
    scene.objects, scene.people, scene.text_regions
    tags(scene, language), caption(scene), dense_captions(scene), smart_crops(scene, ratios)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

WORK_SIDE = 512

# Named colours (RGB) the captions and tags use; a colour takes the nearest name.
PALETTE = {
    "black": (20, 20, 20), "white": (245, 245, 245), "gray": (128, 128, 128),
    "red": (200, 30, 30), "orange": (240, 140, 20), "yellow": (240, 220, 40),
    "green": (40, 160, 60), "blue": (40, 90, 200), "purple": (130, 50, 160),
    "pink": (240, 150, 190), "brown": (120, 75, 40), "beige": (225, 205, 170),
}

# Tag names in the few languages the stand-in translates; other supported languages get English.
TRANSLATIONS = {
    "es": {"text": "texto", "screenshot": "captura de pantalla", "document": "documento",
           "receipt": "recibo", "person": "persona", "rectangle": "rectángulo", "circle": "círculo",
           "graphics": "gráficos", "photograph": "fotografía", "design": "diseño"},
    "fr": {"text": "texte", "screenshot": "capture d'écran", "document": "document",
           "receipt": "reçu", "person": "personne", "rectangle": "rectangle", "circle": "cercle",
           "graphics": "graphiques", "photograph": "photographie", "design": "conception"},
    "de": {"text": "Text", "screenshot": "Screenshot", "document": "Dokument", "receipt": "Beleg",
           "person": "Person", "rectangle": "Rechteck", "circle": "Kreis", "graphics": "Grafiken",
           "photograph": "Fotografie", "design": "Design"},
}


@dataclass
class Box:
    x: int
    y: int
    w: int
    h: int

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}

    @property
    def area(self) -> int:
        return self.w * self.h


@dataclass
class Region:
    """Something found in the image: a box in original pixels, a name, a confidence, a colour."""

    box: Box
    name: str
    confidence: float
    colour: str = ""


@dataclass
class Scene:
    rgb: np.ndarray  # the work copy
    scale: float  # original pixels per work pixel
    width: int  # the original's
    height: int

    @cached_property
    def gray(self) -> np.ndarray:
        import cv2

        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    @cached_property
    def background(self) -> np.ndarray:
        """The most common colour on the border (quantised to 32 levels per channel)."""
        h, w = self.gray.shape
        bw = max(1, min(h, w) // 20)
        border = np.concatenate([self.rgb[:bw].reshape(-1, 3), self.rgb[-bw:].reshape(-1, 3),
                                 self.rgb[:, :bw].reshape(-1, 3), self.rgb[:, -bw:].reshape(-1, 3)])
        q = (border // 32).astype(np.int32)
        keys = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
        best = np.bincount(keys).argmax()
        return border[keys == best].mean(axis=0)

    @cached_property
    def foreground(self) -> np.ndarray:
        """Pixels that differ clearly from the background colour."""
        distance = np.linalg.norm(self.rgb.astype(np.float32) - self.background, axis=2)
        return distance > 40

    @cached_property
    def background_fraction(self) -> float:
        return float(1 - self.foreground.mean())

    @cached_property
    def flat_fraction(self) -> float:
        """Share of pixels whose 3x3 neighbourhood is uniform: high for screenshots and drawings.

        "Uniform" allows 6 grey levels, so JPEG's ringing around flat areas still counts as flat
        (a screenshot saved as JPEG stays a screenshot); photos' texture is above that.
        """
        import cv2

        gradient = cv2.morphologyEx(self.gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        return float((gradient <= 6).mean())

    @cached_property
    def colourfulness(self) -> float:
        """Hasler and Süsstrunk's colourfulness (0 for grey images, ~100 for vivid photos)."""
        r, g, b = (self.rgb[:, :, i].astype(np.float32) for i in range(3))
        rg, yb = r - g, 0.5 * (r + g) - b
        return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))

    @cached_property
    def text_regions(self) -> list[Box]:
        return _text_regions(self)

    @cached_property
    def text_fraction(self) -> float:
        area = sum(b.area for b in self.text_regions)
        return min(1.0, area / float(self.width * self.height))

    @cached_property
    def people(self) -> list[Region]:
        return _people(self)

    @cached_property
    def objects(self) -> list[Region]:
        return _objects(self)

    def to_original(self, x: float, y: float, w: float, h: float) -> Box:
        s = self.scale
        x0, y0 = max(0, int(round(x * s))), max(0, int(round(y * s)))
        x1, y1 = min(self.width, int(round((x + w) * s))), min(self.height, int(round((y + h) * s)))
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def analyse(rgb: np.ndarray, pixel_scale: float = 1.0) -> Scene:
    """The scene of ``rgb``, whose pixels are ``pixel_scale`` pixels of the original each."""
    import cv2

    height, width = rgb.shape[:2]
    scale = max(height, width) / WORK_SIDE
    if scale > 1:
        work = cv2.resize(rgb, (max(1, round(width / scale)), max(1, round(height / scale))),
                          interpolation=cv2.INTER_AREA)
    else:
        work, scale = rgb, 1.0
    return Scene(np.ascontiguousarray(work), scale * pixel_scale, round(width * pixel_scale),
                 round(height * pixel_scale))


def colour_name(rgb) -> str:
    rgb = np.asarray(rgb, dtype=np.float32)
    names = list(PALETTE)
    distances = [np.linalg.norm(rgb - np.array(PALETTE[n], dtype=np.float32)) for n in names]
    return names[int(np.argmin(distances))]


# ---- regions ---------------------------------------------------------------------------------

def _text_regions(scene: Scene) -> list[Box]:
    """Text lines: strong local contrast, closed horizontally, in wide short components."""
    import cv2

    gradient = cv2.morphologyEx(scene.gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, mask = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if (mask > 0).mean() > 0.5:  # a busy photo: Otsu split noise from noise
        return []
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    boxes = []
    for x, y, w, h, area in stats[1:count]:
        fill = area / float(w * h)
        if 4 <= h <= 40 and w >= 2 * h and w >= 12 and 0.25 <= fill <= 0.95:
            boxes.append(scene.to_original(x, y, w, h))
    return boxes


def _objects(scene: Scene) -> list[Region]:
    """Solid shapes that stand out from the background, text lines removed."""
    import cv2

    mask = scene.foreground.astype(np.uint8) * 255
    for box in scene.text_regions:  # text is read, not detected as an object
        s = scene.scale
        x, y = int(box.x / s), int(box.y / s)
        mask[max(0, y - 2): y + int(box.h / s) + 2, max(0, x - 2): x + int(box.w / s) + 2] = 0
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    image_area = float(mask.shape[0] * mask.shape[1])
    found = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not 0.01 * image_area <= area <= 0.9 * image_area:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        perimeter = cv2.arcLength(contour, True) or 1.0
        circularity = 4 * np.pi * area / perimeter ** 2
        rectangularity = area / float(w * h)
        if rectangularity >= 0.85:
            name, confidence = "rectangle", rectangularity
        elif circularity >= 0.8:
            name, confidence = "circle", circularity
        else:
            name, confidence = "shape", max(circularity, rectangularity)
        inside = np.zeros(mask.shape, np.uint8)
        cv2.drawContours(inside, [contour], -1, 1, thickness=-1)
        colour = colour_name(scene.rgb[inside.astype(bool)].mean(axis=0))
        found.append((area, Region(scene.to_original(x, y, w, h), name,
                                   round(float(min(0.95, 0.5 + confidence / 2)), 3), colour)))
    found.sort(key=lambda item: (-item[0], item[1].box.y, item[1].box.x))
    return [region for _, region in found[:10]]


def _people(scene: Scene) -> list[Region]:
    """Skin-toned, face-shaped blobs, each extended to a body box below it.

    OpenCV's wheel here ships no cascade or HOG people model, so this is a colour rule
    (YCrCb skin range), not a detector: beige or wooden things can pass for a face.
    """
    import cv2

    ycrcb = cv2.cvtColor(scene.rgb, cv2.COLOR_RGB2YCrCb)
    skin = cv2.inRange(ycrcb, (60, 135, 85), (255, 170, 125))
    skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(skin, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    h_img, w_img = skin.shape
    found = []
    for contour in contours:
        area = cv2.contourArea(contour)
        x, y, w, h = cv2.boundingRect(contour)
        if area < 0.004 * h_img * w_img or area > 0.25 * h_img * w_img or not 0.6 <= w / h <= 1.4:
            continue
        solidity = area / float(cv2.contourArea(cv2.convexHull(contour)) or 1)
        if solidity < 0.8:
            continue
        bx, bw = x - w, 3 * w
        box = scene.to_original(max(0, bx), y, min(w_img, bx + bw) - max(0, bx), min(h_img - y, 6 * h))
        found.append(Region(box, "person", round(float(0.4 + 0.5 * solidity), 3)))
    found.sort(key=lambda r: (-r.box.area, r.box.y, r.box.x))
    return found[:10]


# ---- features ------------------------------------------------------------------------------

def tags(scene: Scene, language: str = "en") -> list[tuple[str, float]]:
    scores: dict[str, float] = {}
    text = scene.text_fraction
    if text > 0.005:
        scores["text"] = 0.6 + min(0.39, text * 4)
    kind, confidence = _kind(scene)
    if kind in ("screenshot", "document", "receipt"):
        scores[kind] = confidence
    if kind == "receipt":
        scores["document"] = confidence - 0.1
    if scene.people:
        scores["person"] = max(p.confidence for p in scene.people)
    for region in scene.objects[:3]:
        scores.setdefault(region.name, region.confidence - 0.05)
    if scene.flat_fraction > 0.6 and scene.colourfulness > 20:
        scores.setdefault("graphics", 0.5 + scene.flat_fraction / 3)
        scores.setdefault("design", 0.5 + scene.flat_fraction / 4)
    if scene.flat_fraction < 0.5:
        scores.setdefault("photograph", 0.55 + (0.5 - scene.flat_fraction) / 2)
    scores.pop("shape", None)
    names = TRANSLATIONS.get(language.split("-")[0], {})
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(names.get(name, name), round(min(0.99, score), 4)) for name, score in ranked if score >= 0.5]


def _kind(scene: Scene) -> tuple[str, float]:
    """What the whole image looks like: screenshot, document, receipt, or a picture."""
    light = scene.background.mean() > 170
    text = scene.text_fraction
    ui = any(o.name == "rectangle" for o in scene.objects)  # bars, buttons, panels
    if text > 0.01 and scene.flat_fraction > 0.6 and ui:
        return "screenshot", 0.55 + min(0.4, scene.flat_fraction / 3 + text)
    if text > 0.03 and light and scene.background_fraction > 0.6:
        tall = scene.height > 1.3 * scene.width
        return ("receipt" if tall else "document"), 0.6 + min(0.35, text)
    return "picture", 0.5


def caption(scene: Scene) -> tuple[str, float]:
    kind, confidence = _kind(scene)
    has_text = scene.text_fraction > 0.005
    background = colour_name(scene.background)
    if kind != "picture":
        subject = {"screenshot": "a screenshot of a computer screen", "document": "a document",
                   "receipt": "a receipt"}[kind]
        return (f"{subject} with text" if has_text else subject), round(confidence, 4)
    if scene.people:
        n = len(scene.people)
        subject = "a person" if n == 1 else f"{_count_word(n)} people"
        return f"{subject} in front of a {background} background", round(scene.people[0].confidence, 4)
    if scene.objects:
        main = scene.objects[0]
        noun = {"shape": "object"}.get(main.name, main.name)
        text = f"a {main.colour} {noun} on a {background} background"
        if has_text:
            text += " with text"
        return text, round(main.confidence, 4)
    if has_text:
        return f"text on a {background} background", 0.55
    return f"a {background} background", round(0.45 + scene.background_fraction / 3, 4)


def dense_captions(scene: Scene) -> list[tuple[str, float, Box]]:
    """The whole image first, then up to 9 regions: people, objects, then text blocks."""
    whole, confidence = caption(scene)
    values = [(whole, confidence, Box(0, 0, scene.width, scene.height))]
    for person in scene.people:
        values.append(("a person", person.confidence, person.box))
    for region in scene.objects:
        noun = {"shape": "object"}.get(region.name, region.name)
        values.append((f"a {region.colour} {noun}", region.confidence, region.box))
    block = _union(scene.text_regions)
    if block is not None:
        values.append(("a close up of text", round(0.6 + min(0.3, scene.text_fraction * 3), 4), block))
    return values[:10]


def smart_crops(scene: Scene, ratios: list[float] | None) -> list[tuple[float, Box]]:
    """Per ratio, the window of that shape holding the most saliency (people count double)."""
    saliency = _saliency(scene)
    if not ratios:
        return [(_natural_ratio(scene, saliency), _best_window(scene, saliency, None))]
    return [(round(r, 2), _best_window(scene, saliency, r)) for r in ratios]


def _saliency(scene: Scene) -> np.ndarray:
    import cv2

    gx = cv2.Sobel(scene.gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(scene.gray, cv2.CV_32F, 0, 1, ksize=3)
    edges = cv2.GaussianBlur(np.hypot(gx, gy), (0, 0), 3)
    contrast = np.linalg.norm(scene.rgb.astype(np.float32) - scene.background, axis=2)
    saliency = edges / (edges.max() or 1) + contrast / (contrast.max() or 1)
    for person in scene.people:
        s = scene.scale
        y0, x0 = int(person.box.y / s), int(person.box.x / s)
        saliency[y0: y0 + int(person.box.h / s), x0: x0 + int(person.box.w / s)] *= 2
    return saliency


def _natural_ratio(scene: Scene, saliency: np.ndarray) -> float:
    """The aspect ratio (0.5..2.0) of the box holding the central 90% of the saliency."""
    def span(profile):
        cumulative = np.cumsum(profile) / (profile.sum() or 1)
        return np.searchsorted(cumulative, 0.05), np.searchsorted(cumulative, 0.95) + 1

    x0, x1 = span(saliency.sum(axis=0))
    y0, y1 = span(saliency.sum(axis=1))
    return round(float(np.clip((x1 - x0) / max(1, y1 - y0), 0.5, 2.0)), 2)


def _best_window(scene: Scene, saliency: np.ndarray, ratio: float | None) -> Box:
    h, w = saliency.shape
    ratio = ratio or _natural_ratio(scene, saliency)
    cw, ch = (w, w / ratio) if w / ratio <= h else (h * ratio, h)
    cw, ch = max(1, int(cw)), max(1, int(ch))
    integral = np.pad(saliency.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[ch:, cw:] - integral[:-ch, cw:] - integral[ch:, :-cw] + integral[:-ch, :-cw]
    # ties go to the window nearest the centre, so uniform images crop centrally
    ys, xs = np.mgrid[0: sums.shape[0], 0: sums.shape[1]]
    centre = np.hypot(ys - (sums.shape[0] - 1) / 2, xs - (sums.shape[1] - 1) / 2)
    score = np.round(sums, 3) - 1e-6 * centre
    y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    s = scene.scale
    bw, bh = min(scene.width, int(round(cw * s))), min(scene.height, int(round(ch * s)))
    bx, by = min(int(round(x * s)), scene.width - bw), min(int(round(y * s)), scene.height - bh)
    return Box(bx, by, bw, bh)


def _union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _count_word(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, "a group of")
