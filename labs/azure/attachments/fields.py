"""From OCR lines to fields: regular expressions for what a value looks like, positions for
which of several values is the one that matters.

What each field looks like on the kit's attachments (shared/datasets/README.md):

    error_code       E1042, ERR_502, 0x80070005, E-UNKNOWN, TIMEOUT_17, NULL_REF
    invoice_number   INV-12345
    amount           $1234.56, or 1234,56 € in German and Spanish; the invoice's *total*
    tracking_number  1Z + 16 letters and digits, or RP123456789US
    product          CloudDesk, PayFlow, DataVault, TeamSync, InsightBI, NimbusEdge

OCR is not a keyboard. It drops underscores (``ERR502``), reads them as spaces (``NULL REF``),
splits codes (``E 1042``, ``INV- 14193``), reads O as 0 (``TIME0UT_17``),
and confuses letters with digits (``Team5ync``, ``InsightB1``). The patterns below tolerate that
and write the value back in its canonical form.

Text alone cannot say which amount is the total: an invoice has line items, a subtotal, tax
and a total. The *position* can: the total is on the row of the label "Total" (or "Amount
due", "Gesamtbetrag", ...), to its right, or just below it in a boxed layout. Only when no
label is found does the largest amount on the page stand in for the total.
"""

from __future__ import annotations

import re

from labs.azure.attachments.analysis import Line
from shared.datasets.vocab import NEW_PRODUCT, PRODUCTS

CODE = re.compile(r"(?<![\w-])(?:0x[0-9a-f]{8}|E ?\d{4}|E ?-[a-z]{4,}|(?:ERR|TIME[O0]UT|NULL)[ _]?(?:\d+|REF))"
                  r"(?![\w-])", re.I)
INVOICE = re.compile(r"\b[I1l]NV[ _.·-]{0,2}(\d ?\d ?\d ?\d ?\d)\b", re.I)
AMOUNT = re.compile(r"\$\s?\d[\d,]*\.\d{2}\b|\b\d[\d.]*,\d{2}\s?€")
TRACKING = re.compile(r"\b(?:1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2})\b")
# "Total" but not "Subtotal"; the words for the total in the dataset's three languages.
TOTAL_LABEL = re.compile(r"(?<!sub)\btotal\b|amount due|gesamtbetrag|fälliger betrag|importe a pagar", re.I)
PRODUCT_NAMES = (*PRODUCTS, NEW_PRODUCT[0])
# Characters OCR mixes up, mapped to one form before names are compared.
CONFUSABLE = str.maketrans({"5": "s", "1": "i", "l": "i", "|": "i", "!": "i", "0": "o", " ": ""})


def normalise_code(raw: str) -> str:
    """An error code in its canonical form: 'ERR502' and 'err 502' -> 'ERR_502'; '0X8007...' -> '0x8007...'."""
    raw = raw.strip()
    if raw[:2].lower() == "0x":
        return "0x" + raw[2:].upper()
    raw = re.sub(r"^E (?=[\d-])", "E", raw.upper())  # 'E 1042' -> 'E1042'
    raw = re.sub(r"^TIME0UT", "TIMEOUT", raw)
    return re.sub(r"^(ERR|TIMEOUT|NULL)[ _]?", r"\1_", raw).replace("E -", "E-")


def amount_of(text: str) -> str | None:
    """The first amount in the text, canonical: '$ 12.50' -> '$12.50', '12,50€' -> '12,50 €'."""
    found = AMOUNT.search(text)
    if not found:
        return None
    value = found.group(0).replace(" ", "")
    return value.replace("€", " €") if value.endswith("€") else value


def amount_value(amount: str) -> float:
    """12.50 for '$12.50' and for '12,50 €' (for comparing amounts, not for output)."""
    digits = amount.strip("$ €")
    if amount.endswith("€"):
        digits = digits.replace(".", "").replace(",", ".")
    return float(digits.replace(",", ""))


def _canonical(text: str) -> str:
    return text.lower().translate(CONFUSABLE)


def find_product(lines: list[Line]) -> str | None:
    """The product named highest on the page (a title), tolerating OCR's letter/digit mix-ups."""
    hits = [(line.box[1], line.box[0], name) for line in lines for name in PRODUCT_NAMES
            if _canonical(name) in _canonical(line.text)]
    return min(hits)[2] if hits else None


def total_amount(lines: list[Line]) -> str | None:
    """The invoice's total: the amount on a total-label line; else the nearest amount on the same
    row to the label's right (vertical middle within the label's top and bottom); else the nearest amount
    below the label (overlapping it horizontally, within 3 label heights); else the largest amount
    on the page. None when the page has no amount."""
    # BEGIN SOLUTION
    # HINT: TOTAL_LABEL lines first: same line, then same row to the right, then just below; else max by amount_value.
    with_amount = [(line, amount_of(line.text)) for line in lines]
    with_amount = [(line, a) for line, a in with_amount if a]
    for label in (line for line in lines if TOTAL_LABEL.search(line.text)):
        if (own := amount_of(label.text)) is not None:
            return own
        row = [(line.box[0], a) for line, a in with_amount
               if label.box[1] <= line.middle <= label.box[3] and line.box[0] >= label.box[0]]
        if row:
            return min(row)[1]
        below = [(line.box[1], a) for line, a in with_amount
                 if label.box[3] <= line.middle <= label.box[3] + 3 * label.height
                 and line.box[0] < label.box[2] and line.box[2] > label.box[0]]
        if below:
            return min(below)[1]
    if not with_amount:
        return None
    return max(with_amount, key=lambda pair: amount_value(pair[1]))[1]
    # END SOLUTION


def extract_fields(lines: list[Line]) -> dict[str, str]:
    """The fields found in the lines (only those found): error_code (``CODE``, normalised),
    invoice_number (``INVOICE`` as 'INV-12345', spaces dropped), amount (``total_amount``), tracking_number
    (``TRACKING``), product (``find_product``). Lines are searched in reading order; the first
    match of a pattern wins."""
    # BEGIN SOLUTION
    # HINT: search each pattern over the lines in order; normalise_code, 'INV-' + digits, total_amount, find_product.
    found: dict[str, str] = {}
    for line in lines:
        if "error_code" not in found and (m := CODE.search(line.text)):
            found["error_code"] = normalise_code(m.group(0))
        if "invoice_number" not in found and (m := INVOICE.search(line.text)):
            found["invoice_number"] = "INV-" + m.group(1).replace(" ", "")
        if "tracking_number" not in found and (m := TRACKING.search(line.text)):
            found["tracking_number"] = m.group(0)
    if (amount := total_amount(lines)) is not None:
        found["amount"] = amount
    if (product := find_product(lines)) is not None:
        found["product"] = product
    return found
    # END SOLUTION
