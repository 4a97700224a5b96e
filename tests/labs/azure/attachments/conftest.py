"""Shared set-up for the Azure attachments graded tests: the vision emulator, small images,
and real OCR answers computed once.

Lab code is reached only through the root ``lab_module`` fixture, so grading can point these
tests at a learner's copy. OCR (RapidOCR inside the emulator) costs real CPU per image, so:
most tests use tiny images and scripted answers (the emulator's ``/_mock/script``), and the
few that need what the service really reads share ``real_answers``: the emulator's JSON for
ten dataset images, computed once per emulator and dataset code and kept on disk.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pytest

from mocks.azure_vision import testing as vision_fixtures

# The emulator's fixtures (pytest_plugins may only be set in the root conftest).
azure_vision, azure_vision_server = vision_fixtures.azure_vision, vision_fixtures.azure_vision_server

LAB = "azure/attachments"
KIT = Path(__file__).resolve().parents[4]
CACHE = Path(tempfile.gettempdir()) / "labkit-test-vision"
REAL_PER_TYPE, REAL_POOL = 2, 25  # the first 2 of each type among the first 25 test images


@pytest.fixture
def lab(lab_module):
    """lab("prepare") -> the lab's prepare module (through lab_module)."""
    return lambda name: lab_module(LAB, name)


@pytest.fixture
def connection(azure_vision):
    """The lab's connection to the (reset) emulator."""
    from shared.azure import vision_connection
    from shared.config import load_settings

    return vision_connection(load_settings("mock", environ={}))


def _real_key(ids: list[str]) -> str:
    digest = hashlib.sha256(repr(ids).encode())
    for pattern in ("mocks/azure_vision/*.py", "shared/datasets/attachments*.py"):
        for path in sorted(KIT.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@pytest.fixture(scope="session")
def real_answers(azure_vision_server):
    """[(label row, ImageAnalysisResult)] for 2 test images of each type, read + tags, as the
    emulator answers them (real OCR); computed once per emulator/dataset code, kept on disk."""
    from azure.ai.vision.imageanalysis.models import ImageAnalysisResult, VisualFeatures

    from shared.datasets.attachments import TYPES, generate

    pool = generate(REAL_POOL, split="test")
    chosen = [a for kind in TYPES for a in [a for a in pool if a.type == kind][:REAL_PER_TYPE]]
    path = CACHE / f"{_real_key([a.id for a in chosen])}.json"
    if not path.is_file():
        client = azure_vision_server.client(retry_total=5)
        data = [{"label": a.label(), "result": client.analyze(a.data, [VisualFeatures.READ, VisualFeatures.TAGS])
                 .as_dict()} for a in chosen]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{id(data)}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)  # atomic: another process sees all of it or nothing
    return [(row["label"], ImageAnalysisResult(row["result"])) for row in json.loads(path.read_text())]
