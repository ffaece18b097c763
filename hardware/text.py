"""
Text for thermal printers: code pages where they suffice, images where they don't.

A thermal printer prints text with its own glyphs in one 8-bit code page at a
time. Azerbaijani needs ə/Ə, which no ESC/POS code page holds; the other
Azerbaijani letters are in CP857 (Turkish) and Russian is in CP866. So each line
is checked against the layout's code pages in order: the first page that holds
every character wins, and a line no page holds is drawn with a TrueType font
into a 1-bit image. Nothing is ever replaced with "?".

Everything here is pure (no device I/O) so it can be tested and timed alone.

"""

from __future__ import annotations

import codecs
import functools
import importlib.util
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from .exceptions import FontNotFound

__all__ = [
    "FONT_DIRS",
    "find_font",
    "load_font",
    "pick_codepage",
    "python_codec",
    "render_lines",
    "sanitize",
    "wrap_columns",
    "wrap_pixels",
]

Align = Literal["left", "center", "right"]

FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora, Alpine
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts/Supplemental",
    "C:/Windows/Fonts",
)
"""Where fonts are looked for, after ``NOVBE_FONT_DIR`` and the layout's own ``font_dirs``."""

# Bytes below 0x20 and DEL are printer commands: a service name must never be
# able to switch the printer into another mode.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sanitize(text: str) -> str:
    """Replace control characters (including newlines) with spaces."""
    return _CONTROL.sub(" ", text)


def _matplotlib_font_dir() -> str | None:
    # matplotlib, a dependency of the project, ships DejaVu; finding its data
    # directory doesn't need importing matplotlib itself.
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")


def _search_dirs(extra: Iterable[str]) -> list[Path]:
    dirs: list[str] = []
    if os.environ.get("NOVBE_FONT_DIR"):
        dirs.append(os.environ["NOVBE_FONT_DIR"])
    dirs.extend(extra)
    dirs.extend(FONT_DIRS)
    bundled = _matplotlib_font_dir()
    if bundled:
        dirs.append(bundled)
    return [Path(d).expanduser() for d in dirs]


@functools.lru_cache(maxsize=64)
def _find_font_cached(name: str, extra: tuple[str, ...]) -> Path:
    candidate = Path(name).expanduser()
    if candidate.is_absolute():
        if candidate.is_file():
            return candidate
        raise FontNotFound(f"font file {name} doesn't exist")
    searched = _search_dirs(extra)
    for directory in searched:
        path = directory / name
        if path.is_file():
            return path
    hint = "install the Debian package fonts-dejavu-core" if sys.platform.startswith("linux") else ""
    raise FontNotFound(
        f"font {name} not found in {', '.join(str(d) for d in searched)}" + (f"; {hint}" if hint else "")
    )


def find_font(name: str, extra_dirs: Sequence[str] = ()) -> Path:
    """
    Find a TrueType font file by file name.

    Looks in ``$NOVBE_FONT_DIR``, then ``extra_dirs``, then the usual system
    font directories (:data:`FONT_DIRS`), then the DejaVu copy that matplotlib
    ships. An absolute path is used as it is.

    Raises:
        FontNotFound: If no directory holds the font.

    """
    return _find_font_cached(name, tuple(extra_dirs))


@functools.lru_cache(maxsize=128)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """Load a TrueType font at a pixel size; cached, since loading costs a few ms."""
    return ImageFont.truetype(str(path), size)


@functools.lru_cache(maxsize=64)
def python_codec(codepage: str) -> str | None:
    """
    Return the Python codec for an ESC/POS code page name, or ``None``.

    Names are those of python-escpos printer profiles (``CP857``, ``CP866``,
    ``ISO_8859-5``). A page Python can't encode to is never chosen.

    """
    try:
        return codecs.lookup(codepage.lower()).name
    except LookupError:
        pass
    # Some profile names are python-escpos aliases; its table knows the codec.
    from escpos.codepages import CodePages

    try:
        encoding = CodePages.get_encoding(CodePages.get_encoding_name(codepage))
    except (KeyError, ValueError):
        return None
    codec = encoding.get("python_encode")
    return codec if isinstance(codec, str) else None


def pick_codepage(text: str, codepages: Sequence[str], current: str | None = None) -> str | None:
    """
    Choose the code page to print ``text`` in, or ``None`` if it needs an image.

    Args:
        text: One line, already sanitized.
        codepages: Candidate pages in order of preference.
        current: The page the printer is in now; kept when it holds the line,
            which saves a page switch.

    Returns:
        The first page (``current`` first) that holds every character.

    """
    order = [current, *codepages] if current in codepages else list(codepages)
    for page in order:
        assert page is not None
        codec = python_codec(page)
        if codec is None:
            continue
        try:
            text.encode(codec)
        except UnicodeEncodeError:
            continue
        return page
    return None


def wrap_columns(text: str, columns: int) -> list[str]:
    """Word-wrap ``text`` for printer glyphs, ``columns`` characters per line."""
    if not text.strip():
        return []
    return textwrap.wrap(text, max(columns, 1), break_long_words=True, break_on_hyphens=False) or [text]


def wrap_pixels(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Word-wrap ``text`` so that each line drawn with ``font`` fits in ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        # A single word wider than the paper is cut by characters.
        while font.getlength(word) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def render_lines(
    lines: Sequence[str],
    font: ImageFont.FreeTypeFont,
    width: int,
    *,
    align: Align = "center",
    line_px: int,
    stretch: float = 1.0,
) -> Image.Image:
    """
    Draw lines of text into a 1-bit image, ink as 1 (the printer's convention).

    Args:
        lines: Lines that already fit (see :func:`wrap_pixels`).
        font: The font at its pixel size.
        width: Width of the paper in dots.
        align: Where each line sits.
        line_px: Distance between baselines, in dots.
        stretch: Horizontal scale, for double-width text.

    Returns:
        A mode ``"1"`` image ``width`` dots wide (or narrower: blank space right of
        the ink is trimmed to whole bytes, since it costs bytes on the wire).

    """
    ascent, descent = font.getmetrics()
    top = max(0, (line_px - (ascent + descent)) // 2)
    height = max(line_px * len(lines), 1)
    drawn_width = width if stretch == 1.0 else max(1, round(width / stretch))
    image = Image.new("1", (drawn_width, height), 0)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # FreeType's mono hinting: crisp at 1 bit per dot
    for row, line in enumerate(lines):
        length = font.getlength(line)
        if align == "left":
            x = 0.0
        elif align == "right":
            x = drawn_width - length
        else:
            x = (drawn_width - length) / 2
        draw.text((max(x, 0), row * line_px + top), line, font=font, fill=1)
    if stretch != 1.0:
        image = image.resize((min(width, round(drawn_width * stretch)), height), Image.Resampling.NEAREST)
    bbox = image.getbbox()
    if bbox is not None:
        right = min(image.width, -(-bbox[2] // 8) * 8)
        image = image.crop((0, 0, max(right, 8), image.height))
    return image
