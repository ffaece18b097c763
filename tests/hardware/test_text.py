"""Code page choice, fonts and raster text (hardware/text.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware import text
from hardware.exceptions import FontNotFound
from hardware.text import find_font, load_font, pick_codepage, render_lines, sanitize, wrap_pixels

PAGES = ("CP437", "CP857", "CP866")


def test_text_picks_first_codepage_holding_the_line() -> None:
    """ASCII stays in CP437, Turkish letters go to CP857, Cyrillic to CP866."""
    assert pick_codepage("Ministry of Internal Affairs", PAGES) == "CP437"
    assert pick_codepage("Sığorta stajı haqqında arayış", PAGES) == "CP857"
    assert pick_codepage("ASAN İmza sertifikatı", PAGES) == "CP857"
    assert pick_codepage("Министерство внутренних дел № 1", PAGES) == "CP866"


def test_text_refuses_every_codepage_for_schwa() -> None:
    """No code page holds ə/Ə: the line must become an image."""
    assert pick_codepage("Şəxsiyyət vəsiqəsi", PAGES) is None
    assert pick_codepage("Ədliyyə Nazirliyi", PAGES) is None
    assert pick_codepage("Центр ASAN xidmət", PAGES) is None


def test_text_keeps_the_current_codepage_when_it_fits() -> None:
    """An ASCII line after a Russian one doesn't switch pages."""
    assert pick_codepage("A015", PAGES, current="CP866") == "CP866"
    assert pick_codepage("Doğum", PAGES, current="CP866") == "CP857"


def test_text_skips_codepages_python_cannot_encode() -> None:
    assert pick_codepage("abc", ("NOT-A-PAGE", "CP437")) == "CP437"


def test_text_sanitizes_printer_commands_out_of_names() -> None:
    assert sanitize("A\x1b@B\x1dV\x00C\nD") == "A @B V C D"


def test_text_finds_dejavu() -> None:
    path = find_font("DejaVuSans.ttf")
    assert path.is_file()
    assert path.name == "DejaVuSans.ttf"


def test_text_reports_a_missing_font(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound) as info:
        find_font("NoSuchFont-Regular.ttf")
    assert info.value.code == "font_missing"
    with pytest.raises(FontNotFound):
        find_font(str(tmp_path / "absent.ttf"))


def test_text_falls_back_to_matplotlib_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no system font directory, the DejaVu copy matplotlib ships is used."""
    monkeypatch.setattr(text, "FONT_DIRS", ())
    monkeypatch.delenv("NOVBE_FONT_DIR", raising=False)
    text._find_font_cached.cache_clear()
    try:
        path = find_font("DejaVuSans-Bold.ttf")
    finally:
        text._find_font_cached.cache_clear()
    assert "mpl-data" in str(path)


def test_text_honours_novbe_font_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "Center.ttf").write_bytes(find_font("DejaVuSans.ttf").read_bytes())
    monkeypatch.setenv("NOVBE_FONT_DIR", str(tmp_path))
    text._find_font_cached.cache_clear()
    try:
        assert find_font("Center.ttf") == tmp_path / "Center.ttf"
    finally:
        text._find_font_cached.cache_clear()


def test_text_wraps_and_renders_schwa_with_ink() -> None:
    font = load_font(find_font("DejaVuSans.ttf"), 24)
    line = "Əmək və Əhalinin Sosial Müdafiəsi Nazirliyi"
    lines = wrap_pixels(line, font, 384)
    assert len(lines) == 2
    assert all(font.getlength(part) <= 384 for part in lines)
    image = render_lines(lines, font, 384, line_px=31)
    assert image.mode == "1"
    assert image.width <= 384
    assert image.width % 8 == 0
    assert image.height == 62
    ink = sum(bin(byte).count("1") for byte in image.tobytes())
    assert 500 < ink < image.width * image.height // 3


def test_text_wraps_a_word_wider_than_the_paper() -> None:
    font = load_font(find_font("DejaVuSans.ttf"), 24)
    lines = wrap_pixels("Ə" * 60, font, 200)
    assert "".join(lines) == "Ə" * 60
    assert all(font.getlength(part) <= 200 for part in lines)
