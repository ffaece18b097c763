"""
A paper simulator: draw ESC/POS bytes the way a thermal printer would.

The virtual printer (``virtual:///dir``) lays a ticket out with the same code as
a real printer, then hands the bytes to :func:`render_job`, which interprets the
commands the ticket layout uses and returns a picture of the paper: printer
glyphs (font A, 12 x 24 dots, drawn with DejaVu Sans Mono), character sizes,
emphasis, alignment, code pages, raster images, QR codes and the cut.

It is for looking at tickets (the demo, the docs, layout work), not a complete
ESC/POS implementation: commands it doesn't know are skipped with their usual
parameter count.

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import qrcode
from PIL import Image, ImageDraw, ImageOps

from .text import find_font, load_font

__all__ = ["PaperStyle", "render_job"]

_CELL_W, _CELL_H = 12, 24  # font A
_MONO_SIZE = 22  # drawn tall, then narrowed to the 12-dot cell like font A's tall glyphs
_BASELINE = 18  # of font A's 24 rows: room below for descenders


@dataclass(frozen=True)
class PaperStyle:
    """How the picture of the paper is framed."""

    dots: int = 576
    """Printable width."""
    margin: int = 32
    """Unprintable edge on each side (80 mm paper is 640 dots wide, 576 printable)."""
    top: int = 24
    font_dirs: tuple[str, ...] = ()


@dataclass
class _State:
    align: int = 0
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    codec: str = "cp437"
    spacing: int = 30
    qr_module: int = 3
    qr_ec: int = 0
    qr_data: bytes = b""
    runs: list[tuple[str, bool, bool, int, int]] = field(default_factory=list)


class _Paper:
    def __init__(self, style: PaperStyle, codecs_by_slot: Mapping[int, str]) -> None:
        self.style = style
        self.codecs_by_slot = codecs_by_slot
        self.strips: list[Image.Image] = []
        self.state = _State()
        self.cuts: list[int] = []
        regular = find_font("DejaVuSansMono.ttf", style.font_dirs)
        bold = find_font("DejaVuSansMono-Bold.ttf", style.font_dirs)
        self.fonts = {False: regular, True: bold}

    # -- output -------------------------------------------------------------

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.strips.append(Image.new("L", (self.style.dots, dots), 255))

    def place(self, image: Image.Image) -> None:
        """Add an "L" image as a strip, aligned like the printer aligns it."""
        strip = Image.new("L", (self.style.dots, image.height), 255)
        width = min(image.width, self.style.dots)
        x = {0: 0, 1: (self.style.dots - width) // 2, 2: self.style.dots - width}[self.state.align]
        strip.paste(image.crop((0, 0, width, image.height)), (x, 0))
        self.strips.append(strip)

    def print_line(self, empty_feed: bool = True) -> None:
        runs = self.state.runs
        if not runs:
            if empty_feed:
                self.feed(self.state.spacing)
            return
        tall = max(h for _, _, _, _, h in runs)
        height = _CELL_H * tall
        pieces: list[Image.Image] = []
        for text, bold, underline, w, h in runs:
            font = load_font(self.fonts[bold], _MONO_SIZE * h)
            natural = Image.new("L", (max(1, round(font.getlength(text))), _CELL_H * h), 255)
            draw = ImageDraw.Draw(natural)
            draw.text((0, _BASELINE * h), text, font=font, fill=0, anchor="ls")
            piece = natural.resize((_CELL_W * w * len(text), _CELL_H * h), Image.Resampling.LANCZOS)
            if underline:
                ImageDraw.Draw(piece).rectangle((0, piece.height - 2, piece.width, piece.height - 1), fill=0)
            pieces.append(piece)
        line = Image.new("L", (sum(p.width for p in pieces), height), 255)
        x = 0
        for piece in pieces:
            line.paste(piece, (x, height - piece.height))  # runs share a baseline at the bottom
            x += piece.width
        self.place(line)
        self.feed(max(0, self.state.spacing - _CELL_H) * tall)
        self.state.runs = []

    def text(self, data: bytes) -> None:
        s = self.state
        text = data.decode(s.codec, errors="replace")
        room = self.style.dots // _CELL_W
        for char in text:
            used = sum(len(t) * w for t, _, _, w, _ in s.runs)
            if used + s.width > room:  # the printer wraps at the paper edge
                self.print_line()
            if s.runs and s.runs[-1][1:] == (s.bold, s.underline, s.width, s.height):
                last = s.runs[-1]
                s.runs[-1] = (last[0] + char, *last[1:])
            else:
                s.runs.append((char, s.bold, s.underline, s.width, s.height))

    def raster(self, width_bytes: int, height: int, data: bytes) -> None:
        self.print_line(empty_feed=False)
        bits = Image.frombytes("1", (width_bytes * 8, height), data)
        self.place(ImageOps.invert(bits.convert("L")))

    def qr(self) -> None:
        self.print_line(empty_feed=False)
        levels = [
            qrcode.constants.ERROR_CORRECT_L,
            qrcode.constants.ERROR_CORRECT_M,
            qrcode.constants.ERROR_CORRECT_Q,
            qrcode.constants.ERROR_CORRECT_H,
        ]
        code = qrcode.QRCode(border=0, box_size=1, error_correction=levels[self.state.qr_ec % 4])
        code.add_data(self.state.qr_data.decode("utf-8", errors="replace"))
        code.make(fit=True)
        matrix = code.get_matrix()
        module = self.state.qr_module
        image = Image.new("L", (len(matrix) * module, len(matrix) * module), 255)
        draw = ImageDraw.Draw(image)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    draw.rectangle(
                        (x * module, y * module, (x + 1) * module - 1, (y + 1) * module - 1), fill=0
                    )
        self.place(image)

    def cut(self) -> None:
        self.print_line(empty_feed=False)
        self.cuts.append(sum(strip.height for strip in self.strips))

    # -- command interpreter -------------------------------------------------

    def run(self, data: bytes) -> None:
        i = 0
        n = len(data)
        text_start = -1

        def flush_text(end: int) -> None:
            nonlocal text_start
            if text_start >= 0:
                self.text(data[text_start:end])
                text_start = -1

        while i < n:
            byte = data[i]
            if byte >= 0x20:
                if text_start < 0:
                    text_start = i
                i += 1
                continue
            flush_text(i)
            s = self.state
            if byte == 0x0A:
                self.print_line()
                i += 1
            elif byte == 0x1B and i + 1 < n:
                cmd = data[i + 1]
                arg = data[i + 2] if i + 2 < n else 0
                i += 2
                if cmd == ord("@"):
                    self.state = _State()
                    continue
                if cmd == ord("2"):
                    s.spacing = 30
                    continue
                i += 1
                if cmd == ord("t"):
                    s.codec = self.codecs_by_slot.get(arg, "cp437")
                elif cmd == ord("!"):
                    s.bold, s.underline = bool(arg & 0x08), bool(arg & 0x80)
                    s.height, s.width = (2 if arg & 0x10 else 1), (2 if arg & 0x20 else 1)
                elif cmd in (ord("E"), ord("G")):
                    s.bold = bool(arg & 1)
                elif cmd == ord("-"):
                    s.underline = arg in (1, 2, 49, 50)
                elif cmd == ord("a"):
                    s.align = {48: 0, 49: 1, 50: 2}.get(arg, arg if arg in (0, 1, 2) else 0)
                elif cmd == ord("3"):
                    s.spacing = arg
                elif cmd == ord("d"):
                    self.print_line(empty_feed=False)
                    self.feed(s.spacing * arg)
                elif cmd == ord("J"):
                    self.print_line(empty_feed=False)
                    self.feed(arg)
                elif cmd == ord("p"):
                    i += 2
                elif cmd == ord("*"):  # ESC * m nL nH: column image, not drawn
                    columns = int.from_bytes(data[i : i + 2], "little")
                    i += 2 + columns * (3 if arg in (32, 33) else 1)
            elif byte == 0x1D and i + 1 < n:
                cmd = data[i + 1]
                i += 2
                if cmd == ord("!"):
                    arg = data[i]
                    s.width, s.height = (arg >> 4) + 1, (arg & 0x0F) + 1
                    i += 1
                elif cmd == ord("v") and data[i : i + 1] == b"0":
                    width_bytes = int.from_bytes(data[i + 2 : i + 4], "little")
                    height = int.from_bytes(data[i + 4 : i + 6], "little")
                    start = i + 6
                    self.raster(width_bytes, height, data[start : start + width_bytes * height])
                    i = start + width_bytes * height
                elif cmd == ord("(") and i + 3 <= n:
                    kind = data[i]
                    length = int.from_bytes(data[i + 1 : i + 3], "little")
                    body = data[i + 3 : i + 3 + length]
                    i += 3 + length
                    if kind == ord("k") and len(body) >= 2 and body[0] == 49:
                        self.qr_function(body[1], body[2:])
                elif cmd == ord("V"):
                    mode = data[i]
                    i += 2 if mode in (65, 66) else 1
                    self.cut()
                else:
                    i += 1  # GS B, GS H, GS h, GS w ...: one parameter byte
            elif byte == 0x10 and i + 1 < n and data[i + 1] == 0x04:
                i += 3  # DLE EOT n: a status query prints nothing
            else:
                i += 1
        flush_text(n)
        self.print_line(empty_feed=False)

    def qr_function(self, fn: int, params: bytes) -> None:
        s = self.state
        if fn == 67 and params:
            s.qr_module = max(1, min(16, params[0]))
        elif fn == 69 and params:
            s.qr_ec = params[0] - 48
        elif fn == 80:
            s.qr_data = params[1:]  # first byte is m = '0'
        elif fn == 81:
            self.qr()

    def picture(self) -> Image.Image:
        style = self.style
        body_height = sum(strip.height for strip in self.strips)
        bottom = 28
        image = Image.new("L", (style.dots + 2 * style.margin, style.top + body_height + bottom), 255)
        y = style.top
        for strip in self.strips:
            image.paste(strip, (style.margin, y))
            y += strip.height
        draw = ImageDraw.Draw(image)
        for cut in self.cuts:
            y = style.top + cut
            for x in range(0, image.width, 12):  # scissors line where the cutter cuts
                draw.line((x, y + 6, x + 5, y + 6), fill=150)
        draw.rectangle((0, 0, image.width - 1, image.height - 1), outline=200)
        return image


def render_job(
    data: bytes, codecs_by_slot: Mapping[int, str], style: PaperStyle | None = None
) -> Image.Image:
    """
    Draw what a printer would print for ``data``.

    Args:
        data: ESC/POS bytes of one or more tickets.
        codecs_by_slot: Python codec for each ``ESC t`` slot of the printer's profile.
        style: Paper width and framing.

    Returns:
        A grayscale image of the paper.

    """
    paper = _Paper(style or PaperStyle(), codecs_by_slot)
    paper.run(data)
    return paper.picture()
