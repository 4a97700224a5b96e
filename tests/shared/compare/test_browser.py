"""The report page, opened as a person would: headless Chromium, no errors, charts drawn."""

import pytest

from shared.compare.report import write_report

from .conftest import CHROMIUM_ARGS
from .test_report import fake_run


@pytest.mark.browser
def test_report_page_opens_without_errors(tmp_path, chromium_path):
    from playwright.sync_api import sync_playwright

    page_path = write_report([fake_run("azure", 0.8), fake_run("gcp", 0.9)], tmp_path)["html"]
    errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(page_path.as_uri())
        headers = page.locator("#figures th").all_inner_texts()
        drawn = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        findings = page.locator("#findings li").count()
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        browser.close()
    assert errors == []
    assert any("AZURE" in h and "emulated" in h for h in headers), headers
    assert any("GCP" in h and "emulated" in h for h in headers), headers
    assert drawn == [True, True, True], "all three charts render"
    assert findings >= 4
