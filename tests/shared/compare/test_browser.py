"""The report pages of both task pairs, opened as a person would: headless Chromium, no errors,
every chart drawn with both stacks' series (or, for a quality chart of an emulated Azure side,
with the note that says why its series is left out)."""

import pytest

from shared.compare.charts import COLORS

from .conftest import CHROMIUM_ARGS
from .test_compare_attachments import cloud_images, emulated_images  # noqa: F401 - module fixtures shared
from .test_report import emulated_report, recorded_report  # noqa: F401 - module fixtures shared

# Pixels of each stack's colour per chart: the PNG is drawn into a canvas and counted, so a
# series that has a legend entry but no visible line or bar fails.
COUNT_COLOURS = """colours => Array.from(document.images).map(img => {
  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  return colours.map(([r, gr, b]) => { let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - gr) < 12 && Math.abs(d[i + 2] - b) < 12) n++;
    return n; });
})"""


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def _open(browser, path):
    errors = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(path.as_uri())
    seen = {
        "errors": errors,
        "headers": page.locator("#figures thead th").all_inner_texts(),
        "charts": [a for a in page.evaluate("Array.from(document.images).map(i => i.alt)")],
        "pixels": page.evaluate(COUNT_COLOURS, [_rgb(COLORS["azure"]), _rgb(COLORS["gcp"])]),
        "findings": page.locator("#findings li").count(),
    }
    page.screenshot(path=str(path.with_name("page.png")), full_page=True)
    page.close()
    return seen


def _check(emulated: dict, measured: dict, azure: str, gcp: str) -> None:
    """EMULATED: a page whose Azure side is the emulator; MEASURED: one whose Azure quality is real."""
    for seen in (emulated, measured):
        assert seen["errors"] == []
        assert any(azure in h for h in seen["headers"]) and any(gcp in h for h in seen["headers"])
        assert seen["findings"] >= 4
        assert len(seen["charts"]) == 3, seen["charts"]
    assert any(azure in h and "emulated" in h for h in emulated["headers"]), emulated["headers"]
    charts = dict(zip(measured["charts"], measured["pixels"], strict=True))
    for title, (a, g) in charts.items():  # measured on both sides: every chart draws both
        assert a > 200 and g > 200, (title, a, g)
    charts = dict(zip(emulated["charts"], emulated["pixels"], strict=True))
    for title, (a, g) in charts.items():
        if title.startswith("Accuracy"):  # the stand-in's accuracy is not drawn as a result
            assert a < 50 < 200 < g, (title, a, g)
        else:
            assert a > 200 and g > 200, (title, a, g)


@pytest.mark.browser
def test_report_pages_open_without_errors_and_draw_both_series(emulated_report, recorded_report,  # noqa: F811
                                                               emulated_images, cloud_images,  # noqa: F811
                                                               chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        pages = {name: _open(browser, fixture[1]["html"]) for name, fixture in (
            ("tickets emulated", emulated_report), ("tickets recorded", recorded_report),
            ("images emulated", emulated_images), ("images cloud", cloud_images))}
        browser.close()
    _check(pages["tickets emulated"], pages["tickets recorded"], "AZURE", "GCP")
    _check(pages["images emulated"], pages["images cloud"], "Azure AI Vision", "Custom CNN")
