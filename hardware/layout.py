"""
Ticket layouts: TOML files that say what a ticket prints and how.

A layout is data so that a center can change its tickets without touching code.
The two shipped layouts live beside this module in ``layouts/``; a center points
to its own file, which may start from a shipped one with ``extends``. The format
is described in ``docs/hardware.md``; :func:`load_layout` checks a file fully
when it is loaded, so a mistake shows when the kiosk starts, not on the first
citizen's ticket.

"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from .exceptions import LayoutError

__all__ = [
    "FIELDS",
    "LAYOUT_DIR",
    "Block",
    "Layout",
    "Style",
    "default_layout_path",
    "fit_layout",
    "load_layout",
]

LAYOUT_DIR = Path(__file__).with_name("layouts")

FIELDS = frozenset(
    {
        "center",
        "agency",
        "service",
        "zone",
        "number",
        "date",
        "time",
        "ahead",
        "wait",
        "wait_low",
        "wait_high",
        "ticket_id",
        "priority",
        "slot",
        "footer",
        "link",
        "link_site",
        "link_token",
    }
)
"""Placeholders a template may use, and fields ``when``/``unless`` may test."""

Align = Literal["left", "center", "right"]
BlockType = Literal["text", "number", "rule", "feed", "qr", "cut"]
_BLOCK_TYPES: tuple[str, ...] = ("text", "number", "rule", "feed", "qr", "cut")
_ALIGNS: tuple[str, ...] = ("left", "center", "right")
_QR_LEVELS: tuple[str, ...] = ("L", "M", "Q", "H")


@dataclass(frozen=True)
class Style:
    """How a text block looks."""

    align: Align = "center"
    bold: bool = False
    width: int = 1
    """Character width multiplier, 1-8 (ESC/POS ``GS !``)."""
    height: int = 1
    """Character height multiplier, 1-8."""


@dataclass(frozen=True)
class Block:
    """One element of the ticket, printed top to bottom."""

    type: BlockType
    text: str = ""
    """Template with ``{placeholders}`` (see :data:`FIELDS`)."""
    label: str = ""
    """Name of a template in ``[labels.<lang>]``; used instead of ``text``."""
    when: str = ""
    """Print only if this field is set (non-zero, non-empty)."""
    unless: str = ""
    """Print only if this field is not set."""
    style: Style = field(default_factory=Style)
    second: bool = False
    """Repeat the block in the layout's second language, underneath, when the ticket isn't in it."""
    second_style: Style = field(default_factory=Style)
    lines: int = 1
    """``feed``: blank lines."""
    thickness: int = 2
    """``rule``: line thickness in dots."""
    dashed: bool = False
    """``rule``: dashed instead of solid."""
    module: int = 6
    """``qr``: module size in dots (1-16)."""
    ec: str = "M"
    """``qr``: error correction level."""
    native: bool = True
    """``qr``: let the printer draw the code (``GS ( k``); false sends it as an image."""
    image: bool = False
    """``number``: draw the number with the TrueType font as an image instead of printer glyphs."""
    image_px: int = 150
    """``number`` with ``image``: glyph height in dots."""
    mode: Literal["full", "partial"] = "partial"
    """``cut``: full or partial cut."""


@dataclass(frozen=True)
class Layout:
    """A ticket layout, as loaded from TOML."""

    name: str
    paper_mm: int
    dots: int
    """Printable width in dots."""
    columns: int
    """Characters per line in the printer's font A at normal size."""
    codepages: tuple[str, ...]
    """Code pages tried, in order, for each line (names as python-escpos profiles spell them)."""
    font: str
    bold_font: str
    font_dirs: tuple[str, ...]
    raster_px: int
    """Height in dots of one line of raster text at normal size."""
    second_language: str | None
    date_format: str
    time_format: str
    blocks: tuple[Block, ...]
    labels: Mapping[str, Mapping[str, str]]
    priorities: Mapping[str, Mapping[str, str]]
    source: Path | None = None


def default_layout_path(paper_mm: int = 80) -> Path:
    """Return the shipped layout file for a paper width (80 or 58 mm)."""
    if paper_mm not in (58, 80):
        raise LayoutError(f"no shipped layout for {paper_mm} mm paper: use 80 or 58")
    return LAYOUT_DIR / f"ticket-{paper_mm}mm.toml"


def load_layout(path: str | Path | None = None, *, paper_mm: int = 80) -> Layout:
    """
    Load and check a ticket layout.

    Args:
        path: A TOML layout file. ``None`` loads the shipped layout for ``paper_mm``.
        paper_mm: Paper width used when ``path`` is ``None``.

    Raises:
        LayoutError: If the file is missing, isn't TOML, or doesn't describe a valid layout.

    """
    file = Path(path) if path is not None else default_layout_path(paper_mm)
    data = _read_with_extends(file, seen=())
    try:
        return _build(data, file)
    except LayoutError as exc:
        raise LayoutError(exc.detail, device=str(file)) from None


def fit_layout(layout: Layout, *, dots: int, columns: int) -> Layout:
    """
    Return ``layout`` narrowed to a printer that prints at most ``dots`` and ``columns``.

    Images, rules and QR codes are drawn ``layout.dots`` wide and text wraps at
    ``layout.columns``: on a printer whose printable width is smaller (an 80 mm layout of
    576 dots on a 512-dot TM-T88V) both would run over the edge. A layout that already fits
    is returned as it is.

    """
    if layout.dots <= dots and layout.columns <= columns:
        return layout
    return replace(layout, dots=min(layout.dots, dots), columns=min(layout.columns, columns))


def _read_with_extends(file: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutError(f"can't read layout: {exc.strerror}", device=str(file)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"layout isn't valid TOML: {exc}", device=str(file)) from exc
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise LayoutError("'extends' must be a file name", device=str(file))
    base_file = (file.parent / base) if (file.parent / base).exists() else LAYOUT_DIR / base
    if base_file.resolve() in seen:
        raise LayoutError(f"layouts extend each other in a loop at {base}", device=str(file))
    parent = _read_with_extends(base_file, (*seen, file.resolve()))
    return _merge(parent, data)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    # Tables merge key by key so a center can change one label; arrays (blocks,
    # code pages) are replaced whole because merging positions makes no sense.
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Table:
    """Typed, strict access to one TOML table: unknown keys are an error."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise LayoutError(f"{where} must be a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.used: set[str] = set()

    def get(self, key: str, kind: type, default: Any) -> Any:
        self.used.add(key)
        value = self.data.get(key, default)
        # bool is an int in Python; TOML keeps them apart, so do we.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise LayoutError(f"{self.where}.{key} must be {kind.__name__}, not {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: str = self.get(key, str, default)
        if value not in choices:
            raise LayoutError(f"{self.where}.{key} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def int_range(self, key: str, low: int, high: int, default: int) -> int:
        value: int = self.get(key, int, default)
        if not low <= value <= high:
            raise LayoutError(f"{self.where}.{key} must be between {low} and {high}, not {value}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise LayoutError(f"{self.where}: unknown key(s) {', '.join(unknown)}")


def _check_template(template: str, where: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise LayoutError(f"{where}: bad template {template!r}: {exc}") from None
    for name in names:
        if name not in FIELDS:
            raise LayoutError(f"{where}: unknown placeholder {{{name}}} in {template!r}")


def _style(table: _Table, prefix: str, default_bold: bool) -> Style:
    size = table.get(f"{prefix}size", list, [1, 1])
    if len(size) != 2 or not all(isinstance(n, int) and 1 <= n <= 8 for n in size):
        raise LayoutError(f"{table.where}.{prefix}size must be [width, height], each 1-8")
    return Style(
        align=cast(Align, table.choice(f"{prefix}align", _ALIGNS, "center")),
        bold=table.get(f"{prefix}bold", bool, default_bold),
        width=size[0],
        height=size[1],
    )


def _block(raw: Any, index: int, labels: Mapping[str, Mapping[str, str]]) -> Block:
    table = _Table(raw, f"blocks[{index}]")
    kind = cast(BlockType, table.choice("type", _BLOCK_TYPES, "text"))
    text = table.get("text", str, "")
    label = table.get("label", str, "")
    when = table.get("when", str, "")
    unless = table.get("unless", str, "")
    for name in (when, unless):
        if name and name not in FIELDS:
            raise LayoutError(f"{table.where}: unknown field {name!r} in when/unless")
    if kind == "text":
        if bool(text) == bool(label):
            raise LayoutError(f"{table.where}: a text block needs exactly one of 'text' or 'label'")
        if text:
            _check_template(text, table.where)
        if label and not any(label in lang_labels for lang_labels in labels.values()):
            raise LayoutError(f"{table.where}: label {label!r} isn't defined in [labels]")
    style = _style(table, "", default_bold=False)
    second_style = _style(table, "second_", default_bold=False)
    block = Block(
        type=kind,
        text=text,
        label=label,
        when=when,
        unless=unless,
        style=style,
        second=table.get("second", bool, False),
        second_style=second_style,
        lines=table.int_range("lines", 0, 255, 1),
        thickness=table.int_range("thickness", 1, 16, 2),
        dashed=table.get("dashed", bool, False),
        module=table.int_range("module", 1, 16, 6),
        ec=table.choice("ec", _QR_LEVELS, "M"),
        native=table.get("native", bool, True),
        image=table.get("image", bool, False),
        image_px=table.int_range("image_px", 24, 400, 150),
        mode=cast(Literal["full", "partial"], table.choice("mode", ("full", "partial"), "partial")),
    )
    table.done()
    return block


def _string_tables(raw: Any, where: str) -> dict[str, dict[str, str]]:
    table = _Table(raw, where)
    out: dict[str, dict[str, str]] = {}
    for lang, values in table.data.items():
        inner = _Table(values, f"{where}.{lang}")
        out[lang] = {}
        for key in inner.data:
            out[lang][key] = inner.get(key, str, "")
            if where == "labels":
                _check_template(out[lang][key], f"{where}.{lang}.{key}")
        inner.done()
        table.used.add(lang)
    return out


def _build(data: dict[str, Any], file: Path) -> Layout:
    top = _Table(data, "layout")
    paper = _Table(top.get("paper", dict, {}), "paper")
    text = _Table(top.get("text", dict, {}), "text")
    labels = _string_tables(top.get("labels", dict, {}), "labels")
    priorities = _string_tables(top.get("priorities", dict, {}), "priorities")
    raw_blocks = top.get("blocks", list, [])
    if not raw_blocks:
        raise LayoutError("layout has no [[blocks]]")
    codepages = text.get("codepages", list, ["CP437", "CP857", "CP866"])
    if not all(isinstance(name, str) for name in codepages):
        raise LayoutError("text.codepages must be a list of code page names")
    font_dirs = text.get("font_dirs", list, [])
    if not all(isinstance(name, str) for name in font_dirs):
        raise LayoutError("text.font_dirs must be a list of directories")
    second = text.get("second_language", str, "az")
    layout = Layout(
        name=top.get("name", str, file.stem),
        paper_mm=paper.int_range("width_mm", 40, 120, 80),
        dots=paper.int_range("dots", 128, 1024, 576),
        columns=paper.int_range("columns", 16, 96, 48),
        codepages=tuple(name.upper() for name in codepages),
        font=text.get("font", str, "DejaVuSans.ttf"),
        bold_font=text.get("bold_font", str, "DejaVuSans-Bold.ttf"),
        font_dirs=tuple(font_dirs),
        raster_px=text.int_range("raster_px", 12, 96, 24),
        second_language=second or None,
        date_format=text.get("date_format", str, "%d.%m.%Y"),
        time_format=text.get("time_format", str, "%H:%M"),
        blocks=tuple(_block(raw, i, labels) for i, raw in enumerate(raw_blocks)),
        labels=labels,
        priorities=priorities,
        source=file,
    )
    for table in (top, paper, text):
        table.done()
    return layout
