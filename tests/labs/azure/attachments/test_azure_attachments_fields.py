"""Graded: OCR lines into fields (fields.py) and the attachment type (classify.py).

Mutants that these tests catch:
  fields__subtotal_is_total.py    takes the first amount after "Total" in the text, "Subtotal" too
  fields__no_position.py          takes the largest amount, never the labelled total
  fields__raw_codes.py            keeps OCR's 'ERR502' instead of 'ERR_502'
  classify__settings_first.py     lets the settings window behind an error dialog win
  classify__never_unknown.py      guesses a type when nothing points to one
"""

from __future__ import annotations

import pytest


def line(lab, text, left=0, top=0, width=120, height=12):
    return lab("analysis").Line(text, (left, top, left + width, top + height))


def lines(lab, *texts):
    return [line(lab, t, top=20 * i) for i, t in enumerate(texts)]


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_codes_as_ocr_reads_them_come_out_canonical(lab):
    extract = lab("fields").extract_fields
    for text, code in [("Error code: ERR502", "ERR_502"), ("Error code: NULL REF", "NULL_REF"),
                       ("Error E 1042", "E1042"), ("Error code: TIMEOUT_17", "TIMEOUT_17"),
                       ("Error 0x80070005", "0x80070005")]:
        got = extract(lines(lab, "PayFlow - Error", text)).get("error_code")
        assert got == code, f"{text!r} gave error_code {got!r}, expected {code!r}"


@pytest.mark.exercise(4)
@pytest.mark.points(1)
def test_invoice_and_tracking_numbers_and_the_product(lab):
    extract = lab("fields").extract_fields
    got = extract(lines(lab, "Team5ync", "INVOICE", "Invoice No.: INV- 51297", "Date: 1 May 2026"))
    assert got.get("invoice_number") == "INV-51297" and got.get("product") == "TeamSync", got
    got = extract(lines(lab, "ParcelNet", "SHIP TO:", "TRACKING # 1ZLCL10K26DR7SM4YV"))
    assert got == {"tracking_number": "1ZLCL10K26DR7SM4YV"}, f"only the fields found: {got}"
    got = extract(lines(lab, "InsightB1 Settings", "DataVault plan"))
    assert got.get("product") == "InsightBI", "the product named highest on the page, read through OCR's 1/I"


@pytest.mark.exercise(4)
@pytest.mark.points(2)
def test_the_total_is_found_by_its_label_and_position(lab, graded_parts):
    total = lab("fields").total_amount
    table = [line(lab, "Extra seats", 0, 100), line(lab, "$1500.00", 300, 100, 80),
             line(lab, "Subtotal", 0, 140), line(lab, "$1600.00", 300, 141, 80),
             line(lab, "VAT", 0, 160), line(lab, "$112.00", 300, 160, 80),
             line(lab, "Total", 0, 180), line(lab, "$1712.00", 300, 182, 80)]
    with graded_parts("the amount on the total's row, not the subtotal's"):
        assert total(table) == "$1712.00", f"got {total(table)}"
    with graded_parts("a refund: the total is not the largest amount"):
        refund = table[:6] + [line(lab, "Total", 0, 180), line(lab, "$-1.00 $12.00", 300, 181, 80)]
        assert total(refund) == "$12.00", f"got {total(refund)}: the amount right of 'Total', on its row"
    with graded_parts("a boxed field: the amount just below 'Amount due'"):
        boxed = [line(lab, "Amount due", 400, 50, 100), line(lab, "1.234,56 €", 400, 66, 100),
                 line(lab, "Seats 4.000,00 €", 0, 66, 150)]
        assert total(boxed) == "1.234,56 €", f"got {total(boxed)}"
    with graded_parts("same line, and the fallback"):
        assert total([line(lab, "Total: $976.06")]) == "$976.06"
        assert total([line(lab, "$5.00"), line(lab, "$25.00", top=30)]) == "$25.00", "no label: the largest"
        assert total([line(lab, "Settings")]) is None


@pytest.mark.exercise(4)
@pytest.mark.points(1, timeout=240)  # the first use computes real OCR answers (then cached on disk)
def test_fields_from_what_the_service_really_read(lab, real_answers):
    seen_from_result, extract = lab("analysis").seen_from_result, lab("fields").extract_fields
    right = total = 0
    misses = []
    for label, result in real_answers:
        got = extract(seen_from_result(result).lines)
        for name, value in label["fields"].items():
            total += 1
            right += got.get(name) == value
            if got.get(name) != value:
                misses.append(f"{label['id']} {name}: {got.get(name)!r} for {value!r}")
    assert right >= total - 1, f"{right}/{total} fields exact on 10 real OCR answers: {misses}"


def seen(lab, *texts, tags=None):
    return lab("analysis").Seen(640, 480, lines(lab, *texts), dict(tags or {}))


@pytest.mark.exercise(5)
@pytest.mark.points(2)
def test_each_type_from_its_evidence(lab, graded_parts):
    classify = lab("classify").classify_type
    cases = [
        ("shipping_label", seen(lab, "RapidPost", "FROM: Globex", "SHIP TO:", "TRACKING # RP123456789US")),
        ("invoice", seen(lab, "RECHNUNG", "Rechnungsnr.: INV-12345", "Gesamtbetrag 1.234,56 €")),
        ("invoice", seen(lab, "RECE IPT", "TOTAL", "$600.14")),
        ("error_screenshot", seen(lab, "CloudDesk", "Something went wrong", "Try again")),
        ("config_screen", seen(lab, "DataVault Settings", "Time zone", "Dark theme", "Weekly report")),
        ("damaged_device", seen(lab, "PayFlow", "Model X817", "S/N 47415312", tags={"photograph": 0.6})),
        ("damaged_device", seen(lab, tags={"photograph": 0.7})),
    ]
    for kind, case in cases:
        with graded_parts(kind):
            assert classify(case) == kind, f"{[ln.text for ln in case.lines]} is a {kind}, got {classify(case)}"
    with graded_parts("an error dialog over a settings window is an error", weight=2):
        over = seen(lab, "TeamSync Settings", "Notifications", "Security", "Time zone", "Language",
                    "Error code: ERR502", "Weekly report", "Save")
        assert classify(over) == "error_screenshot", "the error code must win over the settings around it"


@pytest.mark.exercise(5)
@pytest.mark.points(1)
def test_unknown_when_nothing_points_to_a_type(lab):
    classify = lab("classify").classify_type
    for case in (seen(lab), seen(lab, "Hello world", "see you"), seen(lab, "Notifications", tags={"text": 0.9})):
        assert classify(case) == "unknown", (
            f"{[ln.text for ln in case.lines]} with tags {case.tags}: nothing decides it, say 'unknown'")


@pytest.mark.exercise(5)
@pytest.mark.points(1, timeout=240)  # the first use computes real OCR answers (then cached on disk)
def test_types_from_what_the_service_really_saw(lab, real_answers):
    seen_from_result, classify = lab("analysis").seen_from_result, lab("classify").classify_type
    wrong = [(label["id"], label["type"], classify(seen_from_result(result))) for label, result in real_answers
             if classify(seen_from_result(result)) != label["type"]]
    assert len(wrong) <= 1, f"on 10 real answers (2 per type) these were wrong: {wrong}"
