# MUTANT classify__never_unknown: a plausible wrong classify.py; the graded tests must fail on it.
# ruff: noqa
"""What the attachment is, from what the service saw: text first, then tags; "unknown" when
nothing decides it.

Image Analysis has no "support attachment" classifier: its tags and captions describe the
picture ("screenshot", "document", "text", "photograph"), not what it is *for*. The text says
much more: a tracking number means a shipping label, "Invoice No." an invoice, an error code an
error. So the lab decides with rules, most specific evidence first:

    shipping_label    a tracking number, or two label words (SHIP TO, TRACKING, FROM, ...)
    invoice           an invoice number, two invoice words (INVOICE, Total, Subtotal, VAT, ...),
                      or a total label and an amount
    error_screenshot  an error code, or an error phrase (Error, Something went wrong, ...)
    config_screen     two settings words (Settings, Notifications, Time zone, Dark theme, ...)
    damaged_device    a device sticker (Model, S/N), or the tag "photograph" with little text
    unknown           none of these: better to say "unknown" and let a person look than to guess

The order matters: an error dialog is drawn over a settings window, so the error must win over
the settings words around it; a receipt and a label both carry a barcode, but only one carries
"Total". Words come in English, German and Spanish (the dataset's new_language drift).
Rules like these are what a pre-trained service leaves you to write; the GCP lab learns the
same decision from pixels instead.
"""

from __future__ import annotations

import re

from labs.azure.attachments.analysis import Seen
from labs.azure.attachments.fields import AMOUNT, CODE, INVOICE, TOTAL_LABEL, TRACKING

UNKNOWN = "unknown"
WORDS = {
    "shipping_label": ("ship to", "tracking", "from:", "weight", "empfänger", "absender", "sendungsnummer",
                       "gewicht", "destinatario", "remitente", "seguimiento", "peso"),
    "invoice": ("invoice", "total", "subtotal", "vat", "bill to", "receipt", "amount due", "paid by card",
                "document no", "rechnung", "gesamtbetrag", "zwischensumme", "mwst", "quittung", "beleg",
                "factura", "importe", "iva", "recibo"),
    "error_screenshot": ("error", "went wrong", "unexpected", "could not", "unable to", "try again",
                         "connection to the server", "fehler", "schiefgelaufen", "fehlgeschlagen",
                         "algo salió mal", "no se pudo", "se perdió"),
    "config_screen": ("settings", "notifications", "time zone", "dark theme", "auto backup", "session timeout",
                      "two-factor", "weekly report", "language", "integrations", "einstellungen",
                      "benachrichtigungen", "zeitzone", "sprache", "configuración", "notificaciones",
                      "zona horaria", "idioma"),
    "damaged_device": ("model", "s/n", "modell", "seriennr", "modelo", "n.º de serie"),
}
FEW_LINES = 3  # a photo of a device carries at most a sticker's few lines


def word_hits(text: str, kind: str) -> int:
    """How many of ``kind``'s words occur in ``text`` (each word counted once, case ignored)."""
    text = text.lower()
    return sum(1 for word in WORDS[kind] if re.search(r"(?<!\w)" + re.escape(word), text))


def classify_type(seen: Seen) -> str:
    """One of the five types, or UNKNOWN, by the rules above in that order.

    Text evidence: TRACKING / INVOICE / CODE (from fields.py) on the text, and ``word_hits``.
    Tag evidence: ``seen.tags`` holds "photograph" (with at most FEW_LINES lines of text).
    """
    # BEGIN SOLUTION
    # HINT: tracking no.|2 label words; invoice no.|2 invoice words|total+amount; code|error word; settings; device.
    text = seen.text
    if TRACKING.search(text) or word_hits(text, "shipping_label") >= 2:
        return "shipping_label"
    if INVOICE.search(text) or word_hits(text, "invoice") >= 2 or (TOTAL_LABEL.search(text) and AMOUNT.search(text)):
        return "invoice"
    if CODE.search(text) or word_hits(text, "error_screenshot") >= 1:
        return "error_screenshot"
    if word_hits(text, "config_screen") >= 2:
        return "config_screen"
    if word_hits(text, "damaged_device") >= 1 or ("photograph" in seen.tags and len(seen.lines) <= FEW_LINES):
        return "damaged_device"
    return "damaged_device"  # BUG
    # END SOLUTION
