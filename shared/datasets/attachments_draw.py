"""Drawing the five kinds of ticket attachment on a clean canvas, before any nuisance.

Each ``draw_<type>(rng, style)`` returns a :class:`Drawing`: the image, the key fields whose
values it drew, and every text line it drew (in reading order), so OCR can be scored exactly.
The types differ in layout, not only in text: a dialog over an app window, a sheet of paper with
a table, a device on a table, a label with a barcode on cardboard, a window with a sidebar and
switches. Fonts are the DejaVu files that ship inside matplotlib, so nothing is downloaded and
no system font is assumed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from shared.datasets import vocab

FONT_FILES = {"sans": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf",
              "mono-bold": "DejaVuSansMono-Bold.ttf", "serif": "DejaVuSerif.ttf",
              "serif-bold": "DejaVuSerif-Bold.ttf"}

# Interface words per language. The `new_language` drift draws German and Spanish; the
# training data is English only. DejaVu has every accented letter used here.
WORDS = {
    "en": {"error": "Error", "code": "Error code", "ok": "OK", "details": "Details", "retry": "Try again",
           "oops": "Something went wrong", "messages": ["The {feature} could not be loaded.",
                                                       "Unable to save the {feature}.",
                                                       "Connection to the server was lost.",
                                                       "An unexpected error occurred."],
           "invoice": "INVOICE", "invoice_no": "Invoice No.", "date": "Date", "bill_to": "Bill to",
           "description": "Description", "qty": "Qty", "amount": "Amount", "subtotal": "Subtotal",
           "tax": "VAT", "total": "Total", "thanks": "Thank you for your business.", "receipt": "RECEIPT",
           "paid": "Paid by card", "doc_no": "Document no.", "issued": "Issued", "due": "Amount due",
           "plan": "plan", "seats": "Extra seats", "support": "Premium support",
           "ship_to": "SHIP TO", "from": "FROM", "tracking": "TRACKING #", "weight": "Weight",
           "settings": "Settings", "save": "Save", "model": "Model", "serial": "S/N",
           "nav": ["General", "Notifications", "Security", "Billing", "Integrations", "Users"],
           "options": ["Email notifications", "Two-factor login", "Auto backup", "Dark theme",
                       "Time zone", "Language", "Session timeout", "Weekly report"],
           "values": ["UTC+01:00", "English", "30 min", "Daily", "Enabled"]},
    "de": {"error": "Fehler", "code": "Fehlercode", "ok": "OK", "details": "Details", "retry": "Erneut versuchen",
           "oops": "Etwas ist schiefgelaufen", "messages": ["Das {feature} konnte nicht geladen werden.",
                                                           "Speichern fehlgeschlagen.",
                                                           "Verbindung zum Server getrennt.",
                                                           "Ein unerwarteter Fehler ist aufgetreten."],
           "invoice": "RECHNUNG", "invoice_no": "Rechnungsnr.", "date": "Datum", "bill_to": "Rechnung an",
           "description": "Beschreibung", "qty": "Menge", "amount": "Betrag", "subtotal": "Zwischensumme",
           "tax": "MwSt.", "total": "Gesamtbetrag", "thanks": "Vielen Dank für Ihren Auftrag.",
           "receipt": "QUITTUNG", "paid": "Bezahlt mit Karte", "doc_no": "Belegnummer", "issued": "Ausgestellt",
           "due": "Fälliger Betrag", "plan": "Tarif", "seats": "Zusätzliche Plätze", "support": "Premium-Support",
           "ship_to": "EMPFÄNGER", "from": "ABSENDER", "tracking": "SENDUNGSNUMMER", "weight": "Gewicht",
           "settings": "Einstellungen", "save": "Speichern", "model": "Modell", "serial": "Seriennr.",
           "nav": ["Allgemein", "Benachrichtigungen", "Sicherheit", "Abrechnung", "Integrationen", "Benutzer"],
           "options": ["E-Mail-Benachrichtigungen", "Zwei-Faktor-Anmeldung", "Automatische Sicherung",
                       "Dunkles Design", "Zeitzone", "Sprache", "Sitzungsdauer", "Wochenbericht"],
           "values": ["UTC+01:00", "Deutsch", "30 Min.", "Täglich", "Aktiviert"]},
    "es": {"error": "Error", "code": "Código de error", "ok": "Aceptar", "details": "Detalles",
           "retry": "Reintentar", "oops": "Algo salió mal", "messages": ["No se pudo cargar el {feature}.",
                                                                         "No se pudieron guardar los cambios.",
                                                                         "Se perdió la conexión.",
                                                                         "Se produjo un error inesperado."],
           "invoice": "FACTURA", "invoice_no": "Factura n.º", "date": "Fecha", "bill_to": "Facturar a",
           "description": "Descripción", "qty": "Cant.", "amount": "Importe", "subtotal": "Subtotal",
           "tax": "IVA", "total": "Total", "thanks": "Gracias por su confianza.", "receipt": "RECIBO",
           "paid": "Pagado con tarjeta", "doc_no": "N.º de documento", "issued": "Emitida",
           "due": "Importe a pagar", "plan": "plan", "seats": "Puestos adicionales", "support": "Soporte premium",
           "ship_to": "DESTINATARIO", "from": "REMITENTE", "tracking": "N.º DE SEGUIMIENTO", "weight": "Peso",
           "settings": "Configuración", "save": "Guardar", "model": "Modelo", "serial": "N.º de serie",
           "nav": ["General", "Notificaciones", "Seguridad", "Facturación", "Integraciones", "Usuarios"],
           "options": ["Notificaciones por correo", "Inicio en dos pasos", "Copia automática",
                       "Tema oscuro", "Zona horaria", "Idioma", "Tiempo de sesión", "Informe semanal"],
           "values": ["UTC+01:00", "Español", "30 min", "Diario", "Activado"]},
}
CARRIERS = ["RapidPost", "ParcelNet", "ShipFast", "EuroCargo", "BlueCourier"]
STREETS = ["Main Street", "Oak Avenue", "Harbor Road", "Mill Lane", "Station Road", "Park Way"]
CITIES = ["Springfield 62704", "Rivertown 10115", "Lakeside 28013", "Hillview 75008", "Portsmouth 02110"]
ACCENTS = [(0, 120, 212), (16, 124, 16), (135, 100, 184), (202, 80, 16), (0, 153, 188), (196, 43, 28)]
# Letters OCR does not confuse with digits (no O, I, Q): tracking numbers stay readable.
TRACKING_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@cache
def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    import matplotlib  # only for the path of its fonts; imported on first use to keep start-up fast

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILES[kind]
    return ImageFont.truetype(str(path), size)


@dataclass
class Style:
    language: str = "en"
    dark: bool = False  # screens only: dark theme
    layout: str = "standard"  # invoices: standard, receipt, viewer, or modern (only in new_invoice_layout)


@dataclass
class Drawing:
    image: Image.Image
    fields: dict[str, str]
    lines: list[str]
    background: tuple[int, int, int]  # colour that fills the corners after a rotation
    boxes: list[tuple[int, int, int, int]] | None = None  # each line's box; None when rotated with its object


@dataclass
class Palette:
    back: tuple
    panel: tuple
    text: tuple
    muted: tuple
    line: tuple
    accent: tuple


def palette(rng: random.Random, dark: bool) -> Palette:
    accent = rng.choice(ACCENTS)
    if dark:
        base = rng.randint(22, 36)
        return Palette(back=(base, base + 1, base + 4), panel=(base + 16, base + 17, base + 21),
                       text=(232, 232, 235), muted=(165, 165, 175), line=(70, 72, 78),
                       accent=tuple(min(255, c + 60) for c in accent))
    base = rng.randint(236, 250)
    return Palette(back=(base, base, base + 3 if base < 253 else base), panel=(255, 255, 255),
                   text=(28, 28, 34), muted=(105, 105, 115), line=(210, 210, 216), accent=accent)


class Canvas:
    """A Pillow image plus the list of text lines drawn on it, in drawing order."""

    def __init__(self, size: tuple[int, int], fill):
        self.image = Image.new("RGB", size, fill)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[str] = []
        self.boxes: list[tuple[int, int, int, int]] = []

    def text(self, xy, s: str, kind: str, size: int, fill, anchor: str = "la") -> float:
        f = font(kind, size)
        self.draw.text(xy, s, font=f, fill=fill, anchor=anchor)
        self.lines.append(s)
        self.boxes.append(self.draw.textbbox(xy, s, font=f, anchor=anchor))
        return f.getlength(s)

    def fitted(self, xy, s: str, kind: str, size: int, fill, max_width: float, anchor: str = "la") -> float:
        """Draw at the largest size up to SIZE that fits MAX_WIDTH (never below 11 px: OCR needs it)."""
        while size > 11 and font(kind, size).getlength(s) > max_width:
            size -= 1
        return self.text(xy, s, kind, size, fill, anchor)

    def paragraph(self, xy, s: str, kind: str, size: int, fill, max_width: float, center: bool = False) -> int:
        """Draw S word-wrapped to MAX_WIDTH, one entry in `lines` per drawn line; returns the y below."""
        rows, current = [], ""
        for word in s.split():
            trial = f"{current} {word}".strip()
            if current and font(kind, size).getlength(trial) > max_width:
                rows.append(current)
                current = word
            else:
                current = trial
        rows.append(current)
        x, y = xy
        for row in rows:
            self.fitted((x, y), row, kind, size, fill, max_width, anchor="ma" if center else "la")
            y += size + 5
        return y

    def box(self, xy, fill=None, outline=None, width=1, radius=0):
        if radius:
            self.draw.rounded_rectangle(xy, radius=radius, fill=fill, outline=outline, width=width)
        else:
            self.draw.rectangle(xy, fill=fill, outline=outline, width=width)

    def placeholder_text(self, rng, x, y, width, rows, color, gap=12):
        """Grey bars where an app shows text we do not need to read (not part of `lines`)."""
        for r in range(rows):
            w = int(width * rng.uniform(0.35, 1.0))
            self.draw.rectangle((x, y + r * gap, x + w, y + r * gap + 5), fill=color)


def _product(rng):
    name, features = rng.choice(list(vocab.PRODUCTS.items()))
    return name, rng.choice(features)


def money(cents: int, language: str) -> str:
    """$1234.56 in English (as in the ticket texts), 1234,56 € in German and Spanish."""
    if language == "en":
        return f"${cents // 100}.{cents % 100:02d}"
    return f"{cents // 100},{cents % 100:02d} €"


def a_date(rng, language) -> str:
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    if language == "en":
        return f"{day} {vocab.MONTHS[month - 1]} 2026"
    return f"{day:02d}.{month:02d}.2026" if language == "de" else f"{day:02d}/{month:02d}/2026"


def tracking_number(rng) -> str:
    if rng.random() < 0.5:  # UPS-like
        return "1Z" + "".join(rng.choice(TRACKING_CHARS) for _ in range(16))
    return (rng.choice(["RP", "CX", "LB"]) + "".join(rng.choice("0123456789") for _ in range(9))
            + rng.choice(["US", "DE", "ES", "GB"]))


# ---- screens --------------------------------------------------------------------------------

DESKTOP_SIZES = [(512, 384), (512, 320), (512, 288), (480, 360)]
MOBILE_SIZES = [(240, 512), (256, 512), (288, 512)]
RED = (214, 48, 49)


def _window_chrome(c: Canvas, pal: Palette, title: str | None) -> int:
    """A title bar with three window buttons; returns its height."""
    w, h = c.image.width, 26
    c.box((0, 0, w, h), fill=pal.panel)
    c.draw.line((0, h, w, h), fill=pal.line)
    for i, color in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        c.draw.ellipse((10 + 18 * i, 8, 20 + 18 * i, 18), fill=color)
    if title:
        c.fitted((w // 2, 13), title, "sans", 13, pal.text, max_width=w - 140, anchor="mm")
    return h


def _browser_top(c: Canvas, pal: Palette, product: str, path: str) -> int:
    """Address bar and the web app's header with its name; returns the height used."""
    w = c.image.width
    c.box((0, 0, w, 40), fill=pal.panel)
    c.box((12, 8, w - 12, 32), fill=pal.back, radius=12)
    c.fitted((26, 20), f"app.{product.lower()}.com/{path}", "sans", 13, pal.muted, max_width=w - 60, anchor="lm")
    c.box((0, 41, w, 72), fill=pal.panel)
    c.box((14, 48, 32, 66), fill=pal.accent, radius=4)
    c.text((40, 57), product, "bold", 15, pal.text, anchor="lm")
    return 72


def _status_bar(c: Canvas, pal: Palette, rng) -> int:
    """A phone's status bar (clock, battery); returns its height."""
    w = c.image.width
    c.text((14, 6), f"{rng.randint(7, 22)}:{rng.randint(0, 59):02d}", "bold", 12, pal.text)
    c.box((w - 34, 8, w - 12, 18), outline=pal.text, radius=2)
    c.box((w - 32, 10, w - 32 + rng.randint(4, 18), 16), fill=pal.text)
    return 26


def _app_behind(c: Canvas, pal: Palette, rng, top: int) -> None:
    """An application window: toolbar, cards and text we do not need to read."""
    w = c.image.width
    c.box((0, top, w, top + 34), fill=pal.accent)
    for i in range(rng.randint(2, 4)):
        x0 = 16 + i * (w - 32) // 3
        y0 = top + 50 + rng.randint(0, 20)
        c.box((x0, y0, x0 + (w - 64) // 3, y0 + rng.randint(70, 140)), fill=pal.panel, outline=pal.line, radius=6)
        c.placeholder_text(rng, x0 + 10, y0 + 14, (w - 64) // 3 - 24, rng.randint(3, 6), pal.line)


def _desktop_background(c: Canvas, pal: Palette, words, rng, product: str) -> None:
    """What the error appears over: the product's settings window half the time (so a dialog,
    not the window behind it, is what makes an error screenshot), else a generic app."""
    if rng.random() < 0.5:
        _settings_window(c, pal, words, rng, product)
    else:
        _app_behind(c, pal, rng, _window_chrome(c, pal, product))


def _dim(c: Canvas, amount: float) -> None:
    """Modal dimming: the app behind fades, the dialog stands out."""
    c.image.paste(Image.blend(c.image, Image.new("RGB", c.image.size, (0, 0, 0)), amount), (0, 0))


def _error_icon(c: Canvas, cx: int, cy: int, r: int = 16) -> None:
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=RED)
    c.box((cx - 2, cy - r + 6, cx + 2, cy + 4), fill=(255, 255, 255))
    c.box((cx - 2, cy + 7, cx + 2, cy + 11), fill=(255, 255, 255))


def draw_error_screenshot(rng: random.Random, style: Style) -> Drawing:
    pal, words = palette(rng, style.dark), WORDS[style.language]
    product, feature = _product(rng)
    code = rng.choice(vocab.CODES)
    message = rng.choice(words["messages"]).format(feature=feature)
    layout = rng.choices(["dialog", "page", "toast", "mobile"], weights=[0.45, 0.2, 0.15, 0.2])[0]
    c = Canvas(rng.choice(MOBILE_SIZES if layout == "mobile" else DESKTOP_SIZES), pal.back)
    draw = {"dialog": _error_dialog, "page": _error_page, "toast": _error_toast, "mobile": _error_mobile}[layout]
    draw(c, pal, words, rng, product, code, message, feature)
    return Drawing(c.image, {"error_code": code, "product": product}, c.lines, pal.back, c.boxes)


def _error_dialog(c, pal, words, rng, product, code, message, feature):
    w, h = c.image.size
    _desktop_background(c, pal, words, rng, product)
    _dim(c, rng.uniform(0.2, 0.45))
    dw, dh = int(w * rng.uniform(0.6, 0.84)), rng.randint(138, 168)
    x0 = (w - dw) // 2 + rng.randint(-w // 16, w // 16)
    y0 = (h - dh) // 2 + rng.randint(-h // 12, h // 12)
    c.box((x0 + 4, y0 + 5, x0 + dw + 4, y0 + dh + 5), fill=(0, 0, 0), radius=8)  # shadow
    c.box((x0, y0, x0 + dw, y0 + dh), fill=pal.panel, outline=pal.line, radius=8)
    c.box((x0, y0, x0 + dw, y0 + 30), fill=pal.back, radius=8)
    c.fitted((x0 + 12, y0 + 8), f"{product} - {words['error']}", "bold", 14, pal.text, max_width=dw - 24)
    _error_icon(c, x0 + 32, y0 + 62)
    c.fitted((x0 + 58, y0 + 46), message, "sans", 14, pal.text, max_width=dw - 70)
    c.fitted((x0 + 58, y0 + 70), f"{words['code']}: {code}", "bold", 15, pal.text, max_width=dw - 70)
    bx = x0 + dw - 92
    c.box((bx, y0 + dh - 40, bx + 78, y0 + dh - 12), fill=pal.accent, radius=5)
    c.text((bx + 39, y0 + dh - 26), words["ok"], "bold", 13, (255, 255, 255), anchor="mm")
    if rng.random() < 0.5:
        c.box((bx - 96, y0 + dh - 40, bx - 12, y0 + dh - 12), outline=pal.muted, radius=5)
        c.text((bx - 54, y0 + dh - 26), words["details"], "sans", 13, pal.text, anchor="mm")


def _error_toast(c, pal, words, rng, product, code, message, feature):
    """No dialog: a red notification in a corner of the app, the rest of the screen untouched."""
    w, h = c.image.size
    _desktop_background(c, pal, words, rng, product)
    tw, th = int(w * rng.uniform(0.5, 0.7)), 64
    x0 = rng.choice([12, w - tw - 12])
    y0 = rng.choice([34, h - th - 12])
    c.box((x0 + 3, y0 + 4, x0 + tw + 3, y0 + th + 4), fill=(0, 0, 0), radius=6)
    c.box((x0, y0, x0 + tw, y0 + th), fill=(90, 28, 30) if pal.back[0] < 100 else (253, 232, 230), radius=6)
    c.box((x0, y0, x0 + 6, y0 + th), fill=RED)
    c.fitted((x0 + 16, y0 + 10), f"{words['code']}: {code}", "bold", 14, pal.text, max_width=tw - 26)
    c.fitted((x0 + 16, y0 + 34), message, "sans", 13, pal.text, max_width=tw - 26)


def _error_page(c, pal, words, rng, product, code, message, feature):
    """A browser page that failed: big sad face, heading, code, retry button."""
    w, h = c.image.size
    top = _browser_top(c, pal, product, feature.replace(" ", "-"))
    cx, cy, r = w // 2 + rng.randint(-20, 20), top + int(h * 0.16), rng.randint(24, 30)
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=pal.muted, width=4)
    c.draw.ellipse((cx - r // 3 - 3, cy - r // 3 - 3, cx - r // 3 + 3, cy - r // 3 + 3), fill=pal.muted)
    c.draw.ellipse((cx + r // 3 - 3, cy - r // 3 - 3, cx + r // 3 + 3, cy - r // 3 + 3), fill=pal.muted)
    c.draw.arc((cx - r // 2, cy + r // 4, cx + r // 2, cy + r), 200, 340, fill=pal.muted, width=3)
    y = cy + r + 16
    c.fitted((w // 2, y), words["oops"], "bold", 22, pal.text, max_width=w - 40, anchor="mt")
    c.fitted((w // 2, y + 34), message, "sans", 14, pal.muted, max_width=w - 40, anchor="mt")
    c.text((w // 2, y + 58), f"{words['error']} {code}", "mono-bold", 16, pal.text, anchor="mt")
    if y + 120 < h:
        c.box((w // 2 - 64, y + 86, w // 2 + 64, y + 114), fill=pal.accent, radius=14)
        c.fitted((w // 2, y + 100), words["retry"], "bold", 13, (255, 255, 255), max_width=120, anchor="mm")


def _error_mobile(c, pal, words, rng, product, code, message, feature):
    """A phone screenshot: the app's list under an alert box."""
    w, h = c.image.size
    top = _status_bar(c, pal, rng)
    c.box((0, top, w, top + 44), fill=pal.panel)
    c.text((16, top + 22), product, "bold", 16, pal.text, anchor="lm")
    _mobile_rows(c, pal, rng, top + 52)
    _dim(c, rng.uniform(0.3, 0.5))
    aw = w - 36
    x0, y0 = 18, h // 2 - 90 + rng.randint(-40, 40)
    c.box((x0, y0, x0 + aw, y0 + 170), fill=pal.panel, radius=12)
    c.text((w // 2, y0 + 14), words["error"], "bold", 16, pal.text, anchor="mt")
    y = c.paragraph((w // 2, y0 + 40), message, "sans", 13, pal.text, max_width=aw - 24, center=True)
    c.fitted((w // 2, y + 6), f"{words['code']}: {code}", "bold", 13, pal.text, max_width=aw - 16, anchor="mt")
    c.draw.line((x0, y0 + 128, x0 + aw, y0 + 128), fill=pal.line)
    c.text((w // 2, y0 + 149), words["ok"], "bold", 15, pal.accent, anchor="mm")


def _mobile_rows(c: Canvas, pal: Palette, rng, y: int) -> None:
    """List rows of a phone app: an avatar and two grey lines each."""
    w, h = c.image.size
    while y + 50 < h:
        c.draw.ellipse((14, y + 8, 46, y + 40), fill=pal.line)
        c.placeholder_text(rng, 58, y + 14, w - 80, 2, pal.line, gap=14)
        y += 56


def draw_config_screen(rng: random.Random, style: Style) -> Drawing:
    pal, words = palette(rng, style.dark), WORDS[style.language]
    product, _ = _product(rng)
    layout = rng.choices(["desktop", "mobile", "web"], weights=[0.55, 0.25, 0.2])[0]
    c = Canvas(rng.choice(MOBILE_SIZES if layout == "mobile" else DESKTOP_SIZES), pal.back)
    {"desktop": _settings_window, "mobile": _settings_mobile, "web": _settings_web}[layout](c, pal, words, rng, product)
    return Drawing(c.image, {"product": product}, c.lines, pal.back, c.boxes)


def _settings_window(c, pal, words, rng, product):
    """A desktop settings window: title, sidebar of sections, options with controls, Save."""
    w, h = c.image.size
    top = _window_chrome(c, pal, f"{product} {words['settings']}")
    side = int(w * rng.uniform(0.24, 0.3))
    c.box((0, top + 1, side, h), fill=pal.panel)
    c.draw.line((side, top, side, h), fill=pal.line)
    chosen = rng.randrange(4)
    for i, item in enumerate(words["nav"][: (h - top - 20) // 30]):
        y = top + 16 + i * 30
        if i == chosen:
            c.box((6, y - 5, side - 6, y + 21), fill=pal.accent, radius=4)
        c.fitted((16, y), item, "sans", 13, (255, 255, 255) if i == chosen else pal.text, max_width=side - 26)
    x0 = side + 20
    c.fitted((x0, top + 16), words["nav"][chosen], "bold", 19, pal.text, max_width=w - x0 - 16)
    _option_rows(c, pal, words, rng, x0, top + 56, w - 20)
    c.box((w - 100, h - 40, w - 20, h - 12), fill=pal.accent, radius=5)
    c.fitted((w - 60, h - 26), words["save"], "bold", 13, (255, 255, 255), max_width=72, anchor="mm")


def _settings_web(c, pal, words, rng, product):
    """The web app's settings page: same browser top as an error page, tabs instead of a sidebar."""
    w, h = c.image.size
    top = _browser_top(c, pal, product, "settings")
    x, chosen = 16, rng.randrange(3)
    for i, item in enumerate(words["nav"][:4]):
        width = c.fitted((x, top + 14), item, "sans", 13, pal.accent if i == chosen else pal.muted, max_width=110)
        if i == chosen:
            c.box((x, top + 34, x + width, top + 37), fill=pal.accent)
        x += int(width) + 22
        if x > w - 60:
            break
    c.draw.line((0, top + 38, w, top + 38), fill=pal.line)
    _option_rows(c, pal, words, rng, 24, top + 56, w - 24)


def _settings_mobile(c, pal, words, rng, product):
    """A phone's settings screen: big title, grouped rows with switches."""
    w, h = c.image.size
    top = _status_bar(c, pal, rng)
    c.fitted((16, top + 8), product, "sans", 14, pal.accent, max_width=w - 32)
    c.fitted((16, top + 30), words["settings"], "bold", 24, pal.text, max_width=w - 32)
    y = top + 76
    options = rng.sample(words["options"], k=len(words["options"]))
    while y + 60 < h and options:
        c.fitted((20, y), rng.choice(words["nav"]).upper(), "sans", 11, pal.muted, max_width=w - 40)
        rows = min(len(options), rng.randint(2, 3), (h - y - 30) // 40)
        c.box((10, y + 18, w - 10, y + 18 + rows * 40), fill=pal.panel, radius=10)
        for r in range(rows):
            ry = y + 18 + r * 40
            c.fitted((22, ry + 12), options.pop(), "sans", 13, pal.text, max_width=w - 100)
            _switch(c, pal, rng, w - 22, ry + 20)
            if r < rows - 1:
                c.draw.line((22, ry + 40, w - 10, ry + 40), fill=pal.line)
        y += 18 + rows * 40 + 16


def _option_rows(c, pal, words, rng, x0, y, right):
    h = c.image.height
    options = rng.sample(words["options"], k=min(len(words["options"]), max(1, (h - y - 50) // 38)))
    for option in options:
        c.fitted((x0, y), option, "sans", 14, pal.text, max_width=right - x0 - 130)
        _control(c, pal, words, rng, right, y + 8)
        c.draw.line((x0, y + 28, right + 4, y + 28), fill=pal.line)
        y += 38


def _switch(c, pal, rng, right, cy):
    on = rng.random() < 0.5
    c.box((right - 40, cy - 10, right, cy + 10), fill=pal.accent if on else pal.line, radius=10)
    knob = right - 10 if on else right - 30
    c.draw.ellipse((knob - 8, cy - 8, knob + 8, cy + 8), fill=(255, 255, 255))


def _control(c, pal, words, rng, right, cy):
    """A switch, a drop-down with its value, or a checkbox, right-aligned at RIGHT."""
    kind = rng.random()
    if kind < 0.55:
        _switch(c, pal, rng, right, cy)
    elif kind < 0.85:
        c.box((right - 118, cy - 12, right, cy + 12), fill=pal.panel, outline=pal.muted, radius=4)
        c.fitted((right - 110, cy), rng.choice(words["values"]), "sans", 13, pal.text, max_width=88, anchor="lm")
        c.draw.polygon([(right - 16, cy - 3), (right - 8, cy - 3), (right - 12, cy + 3)], fill=pal.muted)
    else:
        c.box((right - 18, cy - 9, right, cy + 9), fill=pal.accent, radius=3)
        c.draw.line([(right - 14, cy), (right - 10, cy + 5), (right - 3, cy - 5)], fill=(255, 255, 255), width=2)


# ---- paper ----------------------------------------------------------------------------------

def _items(rng, language, product, words) -> tuple[list[tuple[str, int, int]], int]:
    """Line items (description, quantity, cents) and their subtotal."""
    items = [(f"{product} {rng.choice(['Basic', 'Team', 'Business', 'Pro'])} {words['plan']}", 1,
              rng.randint(900, 120000))]
    if rng.random() < 0.6:
        items.append((words["seats"], rng.randint(2, 20), rng.randint(500, 60000)))
    if rng.random() < 0.4:
        items.append((words["support"], 1, rng.randint(1500, 40000)))
    return items, sum(cents for _, _, cents in items)


def draw_invoice(rng: random.Random, style: Style) -> Drawing:
    draw = {"modern": _modern_invoice, "receipt": _receipt, "viewer": _invoice_viewer}.get(style.layout)
    return draw(rng, style) if draw else _standard_invoice(rng, style)


def _invoice_viewer(rng, style) -> Drawing:
    """A screenshot of the invoice PDF open in a viewer: toolbar, grey surround, the page."""
    dark = rng.random() < 0.4
    page = _standard_invoice(rng, style, size=(384, 464))
    c = Canvas((512, 512), (52, 54, 58) if dark else (212, 214, 218))
    ink = (225, 225, 228) if dark else (30, 30, 35)
    c.box((0, 0, 512, 36), fill=(38, 39, 42) if dark else (246, 246, 248))
    c.text((14, 18), f"{page.fields['invoice_number']}.pdf", "sans", 13, ink, anchor="lm")
    c.text((256, 18), "1 / 1", "sans", 12, ink, anchor="mm")
    c.text((498, 18), "100%", "sans", 12, ink, anchor="rm")
    c.image.paste(page.image, (64, 44))
    page_boxes = [(x0 + 64, y0 + 44, x1 + 64, y1 + 44) for x0, y0, x1, y1 in page.boxes]
    return Drawing(c.image, page.fields, c.lines[:1] + page.lines + c.lines[1:], c.image.getpixel((0, 100)),
                   c.boxes[:1] + page_boxes + c.boxes[1:])


def _standard_invoice(rng, style, size=None) -> Drawing:
    """A portrait invoice: vendor, title, number, date, bill-to, a table of items, the total."""
    lang, words = style.language, WORDS[style.language]
    w, h = size or rng.choice([(384, 512), (362, 512), (400, 512)])
    paper = (rng.randint(246, 255),) * 2 + (rng.randint(240, 250),)
    accent, ink, muted = rng.choice(ACCENTS), (25, 25, 30), (100, 100, 108)
    product, _ = _product(rng)
    number = f"INV-{rng.randint(10000, 99999)}"
    c, m = Canvas((w, h), paper), 24
    c.box((m, m, m + 30, m + 30), fill=accent)
    c.text((m + 40, m + 6), product, "bold", 16, ink)
    c.text((w - m, m + 44), words["invoice"], "bold", 24, accent, anchor="ra")
    y = m + 84
    c.text((m, y), f"{words['invoice_no']}: {number}", "sans", 14, ink)
    c.text((m, y + 22), f"{words['date']}: {a_date(rng, lang)}", "sans", 13, muted)
    c.text((m, y + 50), f"{words['bill_to']}:", "bold", 13, ink)
    c.text((m, y + 68), rng.choice(vocab.COMPANIES), "sans", 13, ink)
    y += 104
    c.box((m, y, w - m, y + 24), fill=(232, 234, 238))
    c.text((m + 6, y + 5), words["description"], "bold", 12, ink)
    c.text((w - m - 80, y + 5), words["qty"], "bold", 12, ink, anchor="ra")
    c.text((w - m - 6, y + 5), words["amount"], "bold", 12, ink, anchor="ra")
    items, subtotal = _items(rng, lang, product, words)
    y += 32
    for desc, qty, cents in items:
        c.fitted((m + 6, y), desc, "sans", 13, ink, max_width=w - 2 * m - 150)
        c.text((w - m - 80, y), str(qty), "sans", 13, ink, anchor="ra")
        c.text((w - m - 6, y), money(cents, lang), "sans", 13, ink, anchor="ra")
        y += 26
        c.draw.line((m, y - 6, w - m, y - 6), fill=(220, 220, 224))
    total = subtotal
    if rng.random() < 0.5:
        tax = round(subtotal * rng.choice([0.07, 0.19, 0.21]))
        total += tax
        c.text((w - m - 110, y + 4), words["subtotal"], "sans", 13, muted, anchor="ra")
        c.text((w - m - 6, y + 4), money(subtotal, lang), "sans", 13, muted, anchor="ra")
        c.text((w - m - 110, y + 24), words["tax"], "sans", 13, muted, anchor="ra")
        c.text((w - m - 6, y + 24), money(tax, lang), "sans", 13, muted, anchor="ra")
        y += 44
    c.draw.line((w // 2, y + 4, w - m, y + 4), fill=ink, width=2)
    amount = money(total, lang)
    c.text((w - m - 6, y + 12), f"{words['total']}: {amount}", "bold", 17, ink, anchor="ra")
    c.text((m, h - m - 14), words["thanks"], "sans", 12, muted)
    return Drawing(c.image, {"invoice_number": number, "amount": amount, "product": product}, c.lines, paper, c.boxes)


def _receipt(rng, style) -> Drawing:
    """A till receipt: a narrow strip of paper on the scanner's grey, monospaced, dashed rules."""
    lang, words = style.language, WORDS[style.language]
    w, h = 384, 512
    back = (rng.randint(60, 120),) * 3
    c = Canvas((w, h), back)
    pw = rng.randint(250, 290)
    x0, ink = (w - pw) // 2 + rng.randint(-30, 30), (35, 35, 40)
    c.box((x0, 0, x0 + pw, h), fill=(250, 250, 246))
    product, _ = _product(rng)
    number = f"INV-{rng.randint(10000, 99999)}"
    cx, y = x0 + pw // 2, 20
    c.text((cx, y), product, "mono-bold", 18, ink, anchor="mt")
    c.text((cx, y + 26), words["receipt"], "mono", 14, ink, anchor="mt")
    y += 56
    c.fitted((x0 + 14, y), f"{words['invoice_no']} {number}", "mono", 13, ink, max_width=pw - 28)
    c.text((x0 + 14, y + 20), a_date(rng, lang), "mono", 13, ink)
    y += 44
    c.draw.line((x0 + 10, y, x0 + pw - 10, y), fill=ink, width=1)
    items, subtotal = _items(rng, lang, product, words)
    y += 10
    for desc, _, cents in items:
        c.fitted((x0 + 14, y), desc[:22], "mono", 12, ink, max_width=pw - 110)
        c.text((x0 + pw - 14, y), money(cents, lang), "mono", 12, ink, anchor="ra")
        y += 20
    c.draw.line((x0 + 10, y + 2, x0 + pw - 10, y + 2), fill=ink, width=1)
    amount = money(subtotal, lang)
    c.text((x0 + 14, y + 12), words["total"].upper(), "mono-bold", 16, ink)
    c.text((x0 + pw - 14, y + 12), amount, "mono-bold", 16, ink, anchor="ra")
    c.fitted((x0 + 14, y + 44), f"{words['paid']} **** {rng.randint(1000, 9999)}", "mono", 12, ink,
             max_width=pw - 28)
    _barcode(c, rng, x0 + 30, y + 80, pw - 60, 36)
    return Drawing(c.image, {"invoice_number": number, "amount": amount, "product": product}, c.lines, back, c.boxes)


def _modern_invoice(rng, style) -> Drawing:
    """The layout a billing provider switched to (drift only): landscape, a coloured band,
    boxed fields with other wording, and a QR code."""
    lang, words = style.language, WORDS[style.language]
    w, h = 512, rng.choice([352, 368, 384])
    accent, ink, paper = rng.choice(ACCENTS), (25, 25, 30), (255, 255, 255)
    product, _ = _product(rng)
    number = f"INV-{rng.randint(10000, 99999)}"
    c = Canvas((w, h), paper)
    band = 132
    c.box((0, 0, band, h), fill=accent)
    c.fitted((16, 22), product, "bold", 18, (255, 255, 255), max_width=band - 24)
    c.fitted((16, 50), words["invoice"].title(), "sans", 14, (255, 255, 255), max_width=band - 24)
    x0 = band + 20
    items, subtotal = _items(rng, lang, product, words)
    amount = money(subtotal, lang)
    for i, (label, value) in enumerate([(words["doc_no"], number), (words["issued"], a_date(rng, lang))]):
        bx = x0 + i * 170
        c.box((bx, 20, bx + 158, 72), outline=(200, 200, 206), radius=6)
        c.fitted((bx + 10, 28), label, "sans", 12, (110, 110, 118), max_width=140)
        c.fitted((bx + 10, 46), value, "bold", 15, ink, max_width=140)
    c.box((x0, 88, w - 20, 150), fill=tuple(int(255 - (255 - v) * 0.15) for v in accent), radius=8)
    c.fitted((x0 + 14, 98), words["due"], "sans", 13, ink, max_width=w - x0 - 40)
    c.text((x0 + 14, 116), amount, "bold", 24, ink)
    y = 170
    for desc, _, cents in items:
        c.fitted((x0, y), desc, "sans", 13, ink, max_width=w - x0 - 120)
        c.text((w - 20, y), money(cents, lang), "sans", 13, ink, anchor="ra")
        y += 24
    _qr(c, rng, w - 84, h - 84, 64)
    return Drawing(c.image, {"invoice_number": number, "amount": amount, "product": product}, c.lines, paper, c.boxes)


def _barcode(c: Canvas, rng, x, y, width, height):
    end = x + width
    while x < end - 4:
        bar = rng.choice([1, 1, 2, 2, 3, 4])
        c.box((x, y, min(end, x + bar) - 1, y + height), fill=(0, 0, 0))
        x += bar + rng.choice([1, 2, 2, 3])


def _qr(c: Canvas, rng, x, y, size):
    cells = 21
    cell = size // cells
    bits = np.array([rng.random() < 0.5 for _ in range(cells * cells)]).reshape(cells, cells)
    for r, q in np.argwhere(bits):
        c.box((x + q * cell, y + r * cell, x + (q + 1) * cell - 1, y + (r + 1) * cell - 1), fill=(0, 0, 0))
    for fx, fy in [(0, 0), (cells - 7, 0), (0, cells - 7)]:  # the three finder squares
        px, py = x + fx * cell, y + fy * cell
        c.box((px, py, px + 7 * cell - 1, py + 7 * cell - 1), fill=(255, 255, 255))
        c.box((px, py, px + 7 * cell - 1, py + 7 * cell - 1), outline=(0, 0, 0), width=cell)
        c.box((px + 2 * cell, py + 2 * cell, px + 5 * cell - 1, py + 5 * cell - 1), fill=(0, 0, 0))


def draw_shipping_label(rng: random.Random, style: Style) -> Drawing:
    words = WORDS[style.language]
    w, h = rng.choice([(512, 384), (480, 360), (384, 512)])
    # on a cardboard box, or on a white or grey plastic mailer
    cardboard = rng.choices([(rng.randint(170, 200), rng.randint(130, 150), rng.randint(85, 105)),
                             (rng.randint(222, 240),) * 3, (rng.randint(140, 165),) * 3], weights=[0.65, 0.2, 0.15])[0]
    c = Canvas((w, h), cardboard)
    _cardboard_texture(c, rng)
    lw, lh = int(w * rng.uniform(0.76, 0.88)), int(h * rng.uniform(0.8, 0.9))
    x0, y0 = rng.randint(6, w - lw - 6), rng.randint(6, h - lh - 6)
    ink, m = (10, 10, 10), 12
    c.box((x0, y0, x0 + lw, y0 + lh), fill=(252, 252, 250), outline=ink, width=3)
    carrier = rng.choice(CARRIERS)
    c.fitted((x0 + m, y0 + m), carrier, "bold", 22, ink, max_width=lw - 90)
    c.box((x0 + lw - 60, y0 + 8, x0 + lw - 10, y0 + 50), fill=ink)
    c.text((x0 + lw - 35, y0 + 29), rng.choice(["P", "X", "2D"]), "bold", 24, (255, 255, 255), anchor="mm")
    y = y0 + 58
    c.draw.line((x0, y, x0 + lw, y), fill=ink, width=3)
    sender = f"{rng.choice(vocab.COMPANIES)}, {rng.randint(1, 99)} {rng.choice(STREETS)}"
    c.fitted((x0 + m, y + 8), f"{words['from']}: {sender}", "sans", 12, ink, max_width=lw - 2 * m)
    y += 30
    c.draw.line((x0, y, x0 + lw, y), fill=ink, width=1)
    c.text((x0 + m, y + 8), f"{words['ship_to']}:", "bold", 13, ink)
    address = [f"{rng.choice(vocab.FIRST)} {rng.choice(vocab.LAST)}", rng.choice(vocab.COMPANIES),
               f"{rng.randint(1, 250)} {rng.choice(STREETS)}", rng.choice(CITIES)]
    for i, row in enumerate(address):
        c.fitted((x0 + m + 14, y + 28 + i * 20), row, "bold" if i == 0 else "sans", 15, ink, max_width=lw - 40)
    y += 28 + 20 * len(address) + 6
    c.draw.line((x0, y, x0 + lw, y), fill=ink, width=3)
    number = tracking_number(rng)
    space = y0 + lh - y - 40
    _barcode(c, rng, x0 + m + 6, y + 10, lw - 2 * m - 12, max(24, min(70, space - 10)))
    c.fitted((x0 + lw // 2, y0 + lh - 12), f"{words['tracking']} {number}", "mono-bold", 16, ink,
             max_width=lw - 2 * m, anchor="md")
    return Drawing(c.image, {"tracking_number": number}, c.lines, cardboard, c.boxes)


def _cardboard_texture(c: Canvas, rng) -> None:
    """Fibres and faint corrugation stripes, drawn at low resolution and scaled up (cheap)."""
    w, h = c.image.size
    gen = np.random.default_rng(rng.getrandbits(32))
    small = gen.normal(0, 7, (h // 8, w // 8, 1)) + np.sin(np.arange(w // 8) / 1.3)[None, :, None] * 3
    layer = Image.fromarray(np.clip(small + 128, 0, 255).astype(np.uint8)[:, :, 0]).resize((w, h), Image.BILINEAR)
    offset = np.asarray(layer, dtype=np.int16)[:, :, None] - 128
    c.image.paste(Image.fromarray(np.clip(np.asarray(c.image, np.int16) + offset, 0, 255).astype(np.uint8)))


# ---- photos ---------------------------------------------------------------------------------

def draw_damaged_device(rng: random.Random, style: Style) -> Drawing:
    """A phone, laptop or router photographed on a table: cracks, dents, sometimes a sticker."""
    w, h = rng.choice([(512, 384), (480, 360), (384, 512)])
    table = _table(rng, w, h)
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    c = Canvas((w, h), (0, 0, 0))
    c.image, c.draw = layer, ImageDraw.Draw(layer)
    kind = rng.choice(["phone", "laptop", "router"])
    bbox = {"phone": _phone, "laptop": _laptop, "router": _router}[kind](c, rng, w, h)
    fields = {}
    if rng.random() < 0.6:
        product = _sticker(c, rng, style, bbox)
        fields["product"] = product
    angle = rng.uniform(-10, 10) if fields else rng.uniform(-30, 30)
    # rotate only the device's own patch (a fraction of the frame), then lay it and its shadow down
    box = (max(0, bbox[0]), max(0, bbox[1]), min(w, bbox[2]), min(h, bbox[3]))
    patch = layer.crop(box).rotate(angle, resample=Image.BILINEAR, expand=True)
    x = (box[0] + box[2]) // 2 - patch.width // 2
    y = (box[1] + box[3]) // 2 - patch.height // 2
    shadow = Image.new("L", (patch.width + 32, patch.height + 32), 0)
    shadow.paste(patch.getchannel("A").point(lambda a: 150 if a else 0), (16, 16))
    table.paste((0, 0, 0), (x - 8, y - 6), shadow.filter(ImageFilter.BoxBlur(8)))
    table.paste(patch, (x, y), patch)
    return Drawing(table, fields, c.lines, table.getpixel((0, 0)))


def _table(rng, w, h) -> Image.Image:
    """Wood, fabric or a white desk, with uneven light (a phone photo, not a scan). Drawn at a
    quarter of the size and scaled up: texture and light are smooth, and it is 16x cheaper."""
    gen = np.random.default_rng(rng.getrandbits(32))
    kind = rng.choice(["wood", "fabric", "desk"])
    base = {"wood": (150, 105, 65), "fabric": (95, 100, 110), "desk": (225, 222, 215)}[kind]
    sw, sh = w // 4, h // 4
    grain = gen.normal(0, 10 if kind != "desk" else 3, (sh, sw)).astype(np.float32)
    if kind == "wood":  # grain: stretched noise along x
        grain = np.repeat(gen.normal(0, 14, (sh, 1)), sw, axis=1).astype(np.float32) + grain * 0.5
    lx, ly = gen.uniform(0, sw), gen.uniform(0, sh)
    light = 1.1 - 0.35 * np.hypot(np.arange(sw)[None, :] - lx, np.arange(sh)[:, None] - ly) / np.hypot(sw, sh)
    rgb = (np.array(base, np.float32)[None, None, :] + grain[:, :, None]) * light[:, :, None]
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)


def _cracks(c: Canvas, rng, box, color):
    """Spider-web cracks from an impact point: random walks that branch."""
    x0, y0, x1, y1 = box
    px, py = rng.uniform(x0 + 10, x1 - 10), rng.uniform(y0 + 10, y1 - 10)
    for _ in range(rng.randint(5, 10)):
        x, y, angle = px, py, rng.uniform(0, 6.283)
        points = [(x, y)]
        for _ in range(rng.randint(4, 12)):
            angle += rng.uniform(-0.5, 0.5)
            x, y = x + 14 * np.cos(angle), y + 14 * np.sin(angle)
            if not (x0 < x < x1 and y0 < y < y1):
                break
            points.append((x, y))
        c.draw.line(points, fill=color, width=rng.choice([1, 2]))


def _phone(c, rng, w, h):
    pw, ph = rng.randint(120, 150), rng.randint(230, 270)
    ph = min(ph, h - 40)
    x0, y0 = rng.randint(30, w - pw - 30), (h - ph) // 2 + rng.randint(-10, 10)
    body = rng.choice([(20, 20, 24), (200, 200, 205), (60, 70, 90)])
    c.box((x0, y0, x0 + pw, y0 + ph), fill=body + (255,), radius=18)
    screen = (x0 + 8, y0 + 24, x0 + pw - 8, y0 + ph - 24)
    c.draw.ellipse((x0 + pw // 2 - 4, y0 + 9, x0 + pw // 2 + 4, y0 + 17), fill=(40, 40, 45, 255))
    _cracked_screen(c, rng, screen)
    return (x0, y0, x0 + pw, y0 + ph)


def _cracked_screen(c: Canvas, rng, screen) -> None:
    """A dark screen with light cracks, or (a third of the time) a lit screen showing an app
    under dark cracks: then the photo shares a screen with the screenshots, and only the device
    around it tells them apart."""
    if rng.random() < 0.35:
        x0, y0, x1, y1 = screen
        c.box(screen, fill=(245, 245, 248, 255))
        c.box((x0, y0, x1, y0 + 22), fill=rng.choice(ACCENTS) + (255,))
        for y in range(y0 + 32, y1 - 16, 26):
            c.box((x0 + 8, y, x0 + 8 + int((x1 - x0 - 16) * rng.uniform(0.4, 0.95)), y + 6), fill=(200, 200, 206, 255))
        _cracks(c, rng, screen, (70, 70, 80, 255))
    else:
        c.box(screen, fill=(15, 18, 28, 255), radius=4)
        _cracks(c, rng, screen, (210, 215, 225, 255))


def _laptop(c, rng, w, h):
    lw = rng.randint(250, min(320, w - 60))
    sh = int(lw * 0.58)
    x0, y0 = (w - lw) // 2 + rng.randint(-20, 20), max(10, (h - sh - 60) // 2)
    shell = rng.choice([(180, 182, 188), (45, 47, 52)])
    c.box((x0, y0, x0 + lw, y0 + sh), fill=shell + (255,), radius=8)
    screen = (x0 + 12, y0 + 12, x0 + lw - 12, y0 + sh - 10)
    c.draw.polygon([(x0 - 20, y0 + sh + 50), (x0 + lw + 20, y0 + sh + 50), (x0 + lw, y0 + sh), (x0, y0 + sh)],
                   fill=tuple(int(v * 0.85) for v in shell) + (255,))
    for r in range(3):  # keyboard rows
        y = y0 + sh + 8 + r * 13
        c.box((x0 + 10 - 5 * r, y, x0 + lw - 10 + 5 * r, y + 8), fill=(30, 30, 34, 255))
    _cracked_screen(c, rng, screen)
    return (x0 - 20, y0, x0 + lw + 20, y0 + sh + 50)


def _router(c, rng, w, h):
    rw, rh = rng.randint(230, 300), rng.randint(90, 120)
    x0, y0 = (w - rw) // 2 + rng.randint(-30, 30), (h - rh) // 2 + rng.randint(0, 30)
    body = rng.choice([(235, 235, 238), (35, 35, 40)])
    for ax in (x0 + 30, x0 + rw - 42):  # antennas
        c.box((ax, y0 - 70, ax + 12, y0 + 4), fill=body + (255,), radius=5)
    c.box((x0, y0, x0 + rw, y0 + rh), fill=body + (255,), radius=12)
    for i in range(5):
        led = (60, 210, 90) if rng.random() < 0.6 else (230, 70, 60)
        c.draw.ellipse((x0 + 20 + i * 16, y0 + rh - 20, x0 + 28 + i * 16, y0 + rh - 12), fill=led + (255,))
    dent = rng.uniform(x0 + 20, x0 + rw - 40)  # a broken corner and a crack through the case
    c.draw.polygon([(dent, y0), (dent + 30, y0), (dent + 18, y0 + 22), (dent + 6, y0 + 12)], fill=(0, 0, 0, 0))
    _cracks(c, rng, (x0, y0, x0 + rw, y0 + rh), (90, 90, 95, 255) if body[0] > 100 else (160, 160, 165, 255))
    return (x0, y0 - 70, x0 + rw, y0 + rh)


def _sticker(c: Canvas, rng, style, bbox) -> str:
    """A product sticker on the device: name, model and serial number."""
    words = WORDS[style.language]
    product, _ = _product(rng)
    x0, y0, x1, y1 = bbox
    sw, sh = 150, 62
    sx = int((x0 + x1) / 2 - sw / 2 + rng.randint(-10, 10))
    sy = int(y1 - sh - 16 - rng.randint(0, max(0, int((y1 - y0) / 3) - sh)))
    c.box((sx, sy, sx + sw, sy + sh), fill=(248, 248, 244, 255), outline=(120, 120, 120, 255), radius=4)
    c.fitted((sx + 8, sy + 6), product, "bold", 17, (20, 20, 20, 255), max_width=sw - 16)
    c.fitted((sx + 8, sy + 28), f"{words['model']} X{rng.randint(100, 990)}", "sans", 12, (40, 40, 40, 255),
             max_width=sw - 16)
    c.fitted((sx + 8, sy + 44), f"{words['serial']} {rng.randint(10**7, 10**8 - 1)}", "mono", 11,
             (40, 40, 40, 255), max_width=sw - 16)
    return product


DRAWERS = {
    "error_screenshot": draw_error_screenshot,
    "invoice": draw_invoice,
    "damaged_device": draw_damaged_device,
    "shipping_label": draw_shipping_label,
    "config_screen": draw_config_screen,
}
