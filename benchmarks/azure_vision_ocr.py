"""Azure AI Vision emulator OCR: word accuracy of the read feature on generated attachments.

    python benchmarks/azure_vision_ocr.py [--images 60] [--seed 0]

The images are the kit's support-ticket attachments (``shared/datasets/attachments.py``, test
split: screenshots, invoices and receipts, device photos, shipping labels, config screens, with
their nuisances: JPEG, rescaling, rotation, phone photos, dark mode); the truth is every text
line drawn. When that module is missing, pages of text are drawn here with Pillow and the
DejaVu font instead. Each image goes through the real ImageAnalysisClient to the emulator.

Word accuracy: the share of true words read exactly (case-sensitive, as a bag per image);
line accuracy: the share of true lines that appear exactly as a read line. Mock-mode figures:
they measure RapidOCR (PP-OCRv4) behind the emulator, not Azure's Read model.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocks.azure_vision.server import AzureVisionServer  # noqa: E402


def attachment_images(n: int, seed: int) -> tuple[str, list[tuple[str, bytes, list[str]]]]:
    """(source, [(kind, image bytes, true lines)])."""
    try:
        from shared.datasets.attachments import generate
    except ImportError:
        return "drawn pages (shared/datasets/attachments.py not found)", drawn_pages(n, seed)
    items = generate(n, seed=seed, split="test")
    return "shared/datasets/attachments.py, test split", [(a.type, a.data, list(a.lines)) for a in items]


def drawn_pages(n: int, seed: int) -> list[tuple[str, bytes, list[str]]]:
    import io

    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    font_path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
    words = ("invoice error code total device label network access denied printer shipped order "
             "refund account server timeout update battery screen").split()
    rng = random.Random(seed)
    pages = []
    for _ in range(n):
        size = rng.choice([16, 20, 24])
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 5))) + f" {rng.randint(10, 9999)}"
                 for _ in range(rng.randint(2, 5))]
        image = Image.new("RGB", (560, 40 + len(lines) * size * 2), "white")
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((16, 16 + i * size * 2), line, fill="black", font=ImageFont.truetype(font_path, size))
        buf = io.BytesIO()
        image.save(buf, "PNG")
        pages.append(("drawn page", buf.getvalue(), lines))
    return pages


def word_hits(truth: list[str], read: list[str]) -> tuple[int, int]:
    expected = Counter(w for line in truth for w in line.split())
    found = Counter(w for line in read for w in line.split())
    return sum((expected & found).values()), sum(expected.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    source, images = attachment_images(args.images, args.seed)
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # words ok, words, lines ok, lines, n
    seconds = []
    with AzureVisionServer(config={"rate_limits": False}) as server:
        client = server.client(retry_total=0)
        client.analyze(images[0][1], ["read"])  # warm-up: loads the OCR models
        for kind, data, truth in images:
            start = time.perf_counter()
            result = client.analyze(data, ["read"])
            seconds.append(time.perf_counter() - start)
            read = [line.text for block in result.read.blocks for line in block.lines]
            hits, words = word_hits(truth, read)
            row = by_kind[kind]
            row[0] += hits
            row[1] += words
            row[2] += sum(line in read for line in truth)
            row[3] += len(truth)
            row[4] += 1
        server.check_errors()
    print(f"# mock mode: RapidOCR behind the labkit emulator, not Azure's Read model. Images: {source}, "
          f"seed {args.seed}")
    print(f"{'kind':<18} {'images':>6} {'words':>6} {'word acc':>8} {'lines':>6} {'line acc':>8}")
    total = [0, 0, 0, 0, 0]
    for kind in sorted(by_kind):
        row = by_kind[kind]
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"{kind:<18} {row[4]:>6} {row[1]:>6} {row[0] / max(1, row[1]):>8.3f} {row[3]:>6} "
              f"{row[2] / max(1, row[3]):>8.3f}")
    print(f"{'all':<18} {total[4]:>6} {total[1]:>6} {total[0] / max(1, total[1]):>8.3f} {total[3]:>6} "
          f"{total[2] / max(1, total[3]):>8.3f}")
    seconds.sort()
    print(f"# seconds per image: median {seconds[len(seconds) // 2]:.2f}, max {seconds[-1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
