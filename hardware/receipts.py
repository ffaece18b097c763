"""
Draw a queue ticket on any python-escpos printer.

:func:`print_ticket` turns a :class:`~hardware.ticket.TicketView` and a
:class:`~hardware.layout.Layout` into ESC/POS commands on an
``escpos.escpos.Escpos``. It works the same on ``Dummy`` (tests, benchmarks,
and the job buffer :mod:`hardware.printer` sends in one write) as on ``Serial``,
``Network``, ``Usb`` or ``File``.

Text goes out with the printer's own glyphs in the first of the layout's code
pages that holds the whole line, switched with ``ESC t`` using the slot numbers
of the printer's python-escpos profile (slots differ between makers). Lines no
code page holds are drawn with a TrueType font and sent as ``GS v 0`` raster
images. The text is encoded here rather than through python-escpos's
``MagicEncode``, which would print "?" for ə and switch pages mid-line.

"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import qrcode
from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.escpos import Escpos
from PIL import Image, ImageDraw

from wire.i18n import wait_words
from wire.links import short_link, split_link

from .escpos_device import EscposDevice
from .exceptions import LayoutError
from .layout import Block, Layout, Style, load_layout
from .text import (
    find_font,
    load_font,
    pick_codepage,
    python_codec,
    render_lines,
    sanitize,
    wrap_columns,
    wrap_pixels,
)
from .ticket import FALLBACK_LANG, TicketView, localized

__all__ = ["TicketStats", "print_ticket", "ticket_values"]

ESC = b"\x1b"
GS = b"\x1d"

SECOND_LANGUAGE_SCALE = 0.85
"""Raster text in the second language is a little smaller, so the citizen's own language leads."""
LINE_PITCH = 1.3
"""Baseline distance of raster text, relative to its font size (font A: 24-dot glyphs, 30-dot lines)."""
RASTER_BAND = 240
"""Rows per ``GS v 0`` command: small bands keep within the input buffer of cheap printers."""

_QR_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M}
_QR_EC |= {"Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
_ESCPOS_EC = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}


@dataclass
class TicketStats:
    """What :func:`print_ticket` sent, for logs, tests and benchmarks."""

    text_lines: int = 0
    """Lines printed with printer glyphs."""
    raster_lines: int = 0
    """Lines drawn as images because no code page holds them."""
    codepages: set[str] = field(default_factory=set)


def _has_priority(view: TicketView) -> bool:
    return bool(view.priority) and view.priority != "none"


def ticket_values(view: TicketView, layout: Layout, lang: str) -> dict[str, str]:
    """Return the placeholder values of ``view`` in ``lang`` (see :data:`hardware.layout.FIELDS`)."""
    priority = ""
    if _has_priority(view):
        assert view.priority is not None
        names = layout.priorities.get(lang) or layout.priorities.get(FALLBACK_LANG) or {}
        priority = names.get(view.priority, view.priority)
    return {
        "center": localized(view.center_name, lang),
        "agency": localized(view.agency_name, lang),
        "service": localized(view.service_name, lang),
        "zone": localized(view.zone_name, lang),
        "number": view.number,
        "date": view.issued_at.strftime(layout.date_format),
        "time": view.issued_at.strftime(layout.time_format),
        "ahead": str(view.ahead),
        "wait": wait_words(view.wait, lang),
        "wait_low": str(view.wait.low_min),
        "wait_high": str(view.wait.high_min),
        "ticket_id": view.ticket_id,
        "priority": priority,
        "slot": view.slot_at.strftime(layout.time_format) if view.slot_at is not None else "",
        "footer": localized(view.footer, lang) if view.footer else "",
        "link": short_link(view.qr_data),
        "link_site": split_link(view.qr_data)[0],
        "link_token": split_link(view.qr_data)[1],
    }


def _is_set(view: TicketView, name: str) -> bool:
    if name == "ahead":
        return view.ahead > 0
    if name == "priority":
        return _has_priority(view)
    if name == "slot":
        return view.slot_at is not None
    if name == "footer":
        return any(view.footer.values())
    if name == "link":
        return bool(short_link(view.qr_data))
    if name == "wait":
        return not view.wait.none
    if name in ("wait_low", "wait_high"):
        return (view.wait.low_min if name == "wait_low" else view.wait.high_min) > 0
    return True


def _template(block: Block, layout: Layout, lang: str) -> str:
    if not block.label:
        return block.text
    for source in (lang, FALLBACK_LANG, *layout.labels):
        labels: Mapping[str, str] = layout.labels.get(source, {})
        if block.label in labels:
            return labels[block.label]
    raise LayoutError(f"label {block.label!r} isn't defined")


@functools.lru_cache(maxsize=16)
def _rule_image(dots: int, thickness: int, dashed: bool) -> Image.Image:
    image = Image.new("1", (dots, thickness), 0)
    draw = ImageDraw.Draw(image)
    step = 14 if dashed else dots
    for x in range(0, dots, step):
        draw.rectangle((x, 0, x + (7 if dashed else step) - 1, thickness - 1), fill=1)
    return image


def _scrub_realtime(data: bytes) -> bytes:
    """
    Remove ``DLE EOT``, ``DLE ENQ`` and ``DLE DC4`` byte pairs from image data.

    Printers obey real-time commands even inside image data: a stray
    ``10 04 n`` in a picture of text would make the printer answer a status
    nobody asked for, which the next real query could read. Clearing the one
    dot that makes the second byte costs nothing visible.

    """
    if b"\x10" not in data:
        return data
    for pair, safe in ((b"\x10\x04", b"\x10\x00"), (b"\x10\x05", b"\x10\x01"), (b"\x10\x14", b"\x10\x10")):
        data = data.replace(pair, safe)
    return data


class _Painter:
    """Sends one ticket's commands; keeps the printer's code page to avoid needless switches."""

    def __init__(self, printer: Escpos, layout: Layout) -> None:
        self.printer = printer
        self.device = EscposDevice(printer)
        self.layout = layout
        slots = printer.profile.get_code_pages()
        self.slots: dict[str, int] = {}
        for name in layout.codepages:
            if name in slots and python_codec(name) is not None:
                self.slots[name] = int(slots[name])
        self.pages = tuple(self.slots)
        self.page: str | None = None
        self.stats = TicketStats()

    def raw(self, data: bytes) -> None:
        self.device.send(data)

    def style(self, style: Style, align: str | None = None) -> None:
        self.printer.set(
            align=align or style.align,
            bold=style.bold,
            custom_size=True,
            width=style.width,
            height=style.height,
        )

    def text(self, text: str, style: Style, *, secondary: bool = False) -> None:
        text = sanitize(text).strip()
        if not text:
            return
        page = pick_codepage(text, self.pages, self.page)
        if page is None:
            self.raster_text(text, style, secondary=secondary)
            return
        self.style(style)
        if page != self.page:
            self.raw(ESC + b"t" + bytes((self.slots[page],)))
            self.page = page
        codec = python_codec(page)
        assert codec is not None, f"code page {page} was chosen without a codec"
        lines = wrap_columns(text, self.layout.columns // style.width)
        self.raw(b"".join(line.encode(codec) + b"\n" for line in lines))
        self.stats.text_lines += len(lines)
        self.stats.codepages.add(page)

    def raster_text(self, text: str, style: Style, *, secondary: bool = False) -> None:
        layout = self.layout
        path = find_font(layout.bold_font if style.bold else layout.font, layout.font_dirs)
        size = layout.raster_px * style.height
        if secondary:
            size = round(size * SECOND_LANGUAGE_SCALE)
        font = load_font(path, size)
        stretch = style.width / style.height
        lines = wrap_pixels(text, font, int(layout.dots / stretch))
        image = render_lines(
            lines, font, layout.dots, align=style.align, line_px=round(size * LINE_PITCH), stretch=stretch
        )
        self.image(image)
        self.stats.raster_lines += len(lines)

    def image(self, image: Image.Image) -> None:
        """Send a mode "1" image with ink as 1, left-aligned (alignment is drawn into the image)."""
        self.printer.set(align="left")
        width_bytes = -(-image.width // 8)
        for top in range(0, image.height, RASTER_BAND):
            band = image.crop((0, top, width_bytes * 8, min(top + RASTER_BAND, image.height)))
            header = GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + band.height.to_bytes(2, "little")
            self.raw(header + _scrub_realtime(band.tobytes()))

    def number(self, number: str, block: Block) -> None:
        # The number is printed on one line whatever its length: past 999 it has four or more
        # digits (A1000), and a wrapped "ABC100 / 0" would be misread. It is made smaller,
        # keeping its proportions, only when it would not fit the paper's width.
        number = sanitize(number).strip()
        if not block.image:
            style = block.style
            fit = max(1, self.layout.columns // max(1, len(number)))
            if style.width > fit:
                height = max(1, style.height * fit // style.width)
                style = replace(style, width=fit, height=height)
            self.text(number, style)
            return
        path = find_font(self.layout.bold_font, self.layout.font_dirs)
        size = block.image_px
        font = load_font(path, size)
        wide = font.getlength(number)
        if wide > self.layout.dots:
            size = max(1, int(size * self.layout.dots / wide))
            font = load_font(path, size)
        image = render_lines(
            [number], font, self.layout.dots, align=block.style.align, line_px=round(size * 1.15)
        )
        self.image(image)
        self.stats.raster_lines += 1

    def rule(self, block: Block) -> None:
        self.raw(ESC + b"J" + bytes((10,)))  # ESC J n: feed n dots, a little air around the line
        self.image(_rule_image(self.layout.dots, block.thickness, block.dashed))
        self.raw(ESC + b"J" + bytes((14,)))

    def qr(self, data: str, block: Block) -> None:
        if block.native:
            self.printer.set(align=block.style.align)
            self.printer.qr(data, ec=_ESCPOS_EC[block.ec], size=block.module, native=True)
            self.raw(b"\n")
            return
        code = qrcode.QRCode(border=0, box_size=block.module, error_correction=_QR_EC[block.ec])
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        side = len(matrix) * block.module
        image = Image.new("1", (self.layout.dots, side), 0)
        left = {"left": 0, "right": self.layout.dots - side}.get(
            block.style.align, (self.layout.dots - side) // 2
        )
        draw = ImageDraw.Draw(image)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    x0, y0 = left + x * block.module, y * block.module
                    draw.rectangle((x0, y0, x0 + block.module - 1, y0 + block.module - 1), fill=1)
        self.image(image)
        self.raw(b"\n")


def print_ticket(printer: Escpos, view: TicketView, layout: Layout | None = None) -> TicketStats:
    """
    Print a queue ticket.

    The ticket is in ``view.lang``; blocks marked ``second`` are repeated
    underneath in the layout's second language (Azerbaijani) when the ticket
    is in another language and the text differs.

    Args:
        printer: Any python-escpos printer; its profile gives the code page slots.
        view: What to print.
        layout: The layout; the shipped 80 mm layout if ``None``.

    Returns:
        Counts of what was sent.

    Raises:
        LayoutError: If the layout refers to a missing label.
        FontNotFound: If a line needs an image and no font is found.

    """
    layout = layout or load_layout()
    painter = _Painter(printer, layout)
    printer.hw("INIT")
    second = layout.second_language if layout.second_language != view.lang else None
    values = ticket_values(view, layout, view.lang)
    second_values = ticket_values(view, layout, second) if second else {}
    for block in layout.blocks:
        if block.when and not _is_set(view, block.when):
            continue
        if block.unless and _is_set(view, block.unless):
            continue
        if block.type == "text":
            text = _template(block, layout, view.lang).format_map(values)
            painter.text(text, block.style)
            if second and block.second:
                other = _template(block, layout, second).format_map(second_values)
                if other.strip() != text.strip():
                    painter.text(other, block.second_style, secondary=True)
        elif block.type == "number":
            painter.number(view.number, block)
        elif block.type == "rule":
            painter.rule(block)
        elif block.type == "feed":
            painter.raw(b"\n" * block.lines)
        elif block.type == "qr":
            painter.qr(view.qr_data, block)
        elif block.type == "cut":
            printer.cut(mode="PART" if block.mode == "partial" else "FULL")
    printer.set(align="left", bold=False, normal_textsize=True)
    return painter.stats
