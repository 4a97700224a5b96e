"""What the service answered, as plain data the later stages read (no SDK types beyond here).

``seen_from_result(result)`` turns the SDK's ``ImageAnalysisResult`` into a :class:`Seen`: the
text lines in the service's reading order, each with its box on the page (left, top, right,
bottom in pixels, from the line's bounding polygon) and its words; the tags by name; the
objects' names; the caption. Features that were not requested are simply empty: asking for
``read`` and ``tags`` only (features.py) leaves ``objects`` and ``caption`` empty.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom
    words: tuple[str, ...] = ()

    @property
    def middle(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass
class Seen:
    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    tags: dict[str, float] = field(default_factory=dict)
    objects: list[str] = field(default_factory=list)
    caption: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Seen:
        lines = [Line(d["text"], tuple(d["box"]), tuple(d.get("words", ()))) for d in data.get("lines", [])]
        return cls(data["width"], data["height"], lines, dict(data.get("tags", {})),
                   list(data.get("objects", [])), data.get("caption"))


def _box(polygon) -> tuple[float, float, float, float]:
    xs, ys = [p.x for p in polygon], [p.y for p in polygon]
    return (min(xs), min(ys), max(xs), max(ys))


def seen_from_result(result) -> Seen:
    """The parts of an ``ImageAnalysisResult`` the lab uses."""
    lines = []
    if result.read is not None:
        for block in result.read.blocks:
            lines += [Line(ln.text, _box(ln.bounding_polygon), tuple(w.text for w in ln.words))
                      for ln in block.lines]
    tags = {t.name: t.confidence for t in result.tags.list} if result.tags is not None else {}
    objects = [o.tags[0].name for o in result.objects.list if o.tags] if result.objects is not None else []
    caption = result.caption.text if result.caption is not None else None
    return Seen(result.metadata.width, result.metadata.height, lines, tags, objects, caption)
