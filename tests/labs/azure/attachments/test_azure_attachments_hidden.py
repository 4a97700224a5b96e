"""Hidden graded tests of the Azure attachments lab: instructor-only, left out of releases.

The same rules as the visible tests, on inputs the learner has not seen, so a solution fitted to
the visible cases loses points.
"""

from __future__ import annotations

import io

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as F
from azure_attachments_images import png
from PIL import Image

pytestmark = pytest.mark.hidden


@pytest.mark.exercise(3)
@pytest.mark.points(1)
def test_an_image_over_the_byte_limit_is_reencoded_or_refused(lab):
    import numpy as np

    prepare = lab("prepare")
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "PNG")
    data = out.getvalue()
    prepared = prepare.prepare_image(data, max_bytes=len(data) // 2)
    assert prepared.format == "JPEG" and len(prepared.data) <= len(data) // 2, "re-encode as JPEG to fit"
    with pytest.raises(prepare.Refused):
        prepare.prepare_image(data, max_bytes=500)


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_fields_in_german_and_spanish_layouts(lab):
    line = lab("analysis").Line
    fields = lab("fields")
    page = [line("RECHNUNG", (0, 0, 100, 12)), line("Rechnungsnr.: INV-40412", (0, 20, 200, 32)),
            line("Zwischensumme", (0, 100, 100, 112)), line("90,00 €", (300, 101, 360, 113)),
            line("Gesamtbetrag", (0, 120, 100, 132)), line("107,10 €", (300, 121, 360, 133)),
            line("Código de error: ERR_404", (0, 150, 200, 162))]
    got = fields.extract_fields(page)
    assert got.get("amount") == "107,10 €" and got.get("invoice_number") == "INV-40412", got
    assert got.get("error_code") == "ERR_404", got


@pytest.mark.exercise(6)
@pytest.mark.points(1)
def test_limiter_with_a_minute_window(lab):
    limiter = lab("ratelimit").CallLimiter(2, 60.0, guard_s=0.0, clock=lambda: 0.0)
    assert limiter.reserve(now=0.0) == 0.0 and limiter.reserve(now=30.0) == 0.0
    assert limiter.reserve(now=45.0) == pytest.approx(15.0), "F0: 2 per 60 s; wait until t=60"
    assert limiter.reserve(now=60.0) == 0.0


@pytest.mark.exercise(7)
@pytest.mark.points(1)
def test_a_dropped_connection_is_retried(lab, connection, azure_vision, tmp_path):
    analyze, store = lab("analyze"), lab("store")
    cfg = analyze.AnalyzeConfig(features=[F.TAGS], max_attempts=2)
    client = lab("client").make_client(connection, read_timeout_s=1.0)
    run = analyze.Analyzer(client, store.ResultStore(tmp_path / "r.db"), cfg, sleep=lambda s: None)
    azure_vision.control.script({"delay_s": 3.0})
    got = run.call_with_retries("a", png())
    assert got.status == "done" and got.attempts == 2, f"a timed-out call is retried: {got}"


@pytest.mark.exercise(9)
@pytest.mark.points(1)
def test_cost_of_a_run_with_refusals_and_429s(lab):
    cost = lab("evaluate").cost_per_1000_images
    calls = [{"features": "tags,objects,read", "transactions": 3}, {"features": "tags,objects,read", "transactions": 0},
             {"features": "tags,objects,read", "transactions": 1}]
    prices = {"tags": 1.0, "objects": 1.0, "read": 1.5}
    assert cost(calls, 5, prices) == pytest.approx(2 * 3.5 / 5), "2 billed calls of $3.50/1k over 5 images"
