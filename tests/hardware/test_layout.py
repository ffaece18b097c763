"""Ticket layout files (hardware/layout.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.exceptions import LayoutError
from hardware.layout import LAYOUT_DIR, load_layout


def test_layout_ships_80_and_58_mm() -> None:
    wide = load_layout()
    narrow = load_layout(paper_mm=58)
    assert (wide.paper_mm, wide.dots, wide.columns) == (80, 576, 48)
    assert (narrow.paper_mm, narrow.dots, narrow.columns) == (58, 384, 32)
    assert narrow.labels == wide.labels  # 58 mm extends 80 mm
    assert [b.type for b in wide.blocks].count("number") == 1
    assert wide.blocks[-1].type == "cut"
    for lang in ("az", "ru", "en"):
        assert set(wide.labels[lang]) == set(wide.labels["az"])


def test_layout_of_a_center_overrides_one_label(tmp_path: Path) -> None:
    """A center's own file starts from a shipped one and changes only what it names."""
    own = tmp_path / "center.toml"
    own.write_text(
        'extends = "ticket-80mm.toml"\n[labels.en]\nqr = "Scan to follow your turn"\n'
        "[text]\nraster_px = 28\n",
        encoding="utf-8",
    )
    layout = load_layout(own)
    assert layout.labels["en"]["qr"] == "Scan to follow your turn"
    assert layout.labels["en"]["wait"] == load_layout().labels["en"]["wait"]
    assert layout.raster_px == 28
    assert layout.source == own


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[blocks]]\ntype = "text"\ntext = "{nope}"\n', "unknown placeholder"),
        ('[[blocks]]\ntype = "text"\ntext = "x"\ncolour = "red"\n', "unknown key"),
        ('[[blocks]]\ntype = "number"\nsize = [9, 9]\n', "size"),
        ('[[blocks]]\ntype = "text"\nlabel = "missing"\n', "isn't defined"),
        ('[[blocks]]\ntype = "barcode"\n', "type must be one of"),
        ('[[blocks]]\ntype = "text"\n', "exactly one of"),
        ('[paper]\ndots = "wide"\n[[blocks]]\ntype = "cut"\n', "paper.dots must be int"),
        ("[paper]\n", r"no \[\[blocks\]\]"),
        ("this is = = not toml", "valid TOML"),
        ('extends = "loop.toml"\n', "loop"),
    ],
)
def test_layout_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "loop.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LayoutError, match=message) as info:
        load_layout(path)
    assert info.value.code == "layout_invalid"
    assert str(path) in str(info.value)


def test_layout_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="can't read"):
        load_layout(tmp_path / "absent.toml")
    with pytest.raises(LayoutError, match="no shipped layout"):
        load_layout(paper_mm=110)


def test_layout_files_are_in_the_package() -> None:
    assert sorted(p.name for p in LAYOUT_DIR.glob("*.toml")) == ["ticket-58mm.toml", "ticket-80mm.toml"]
