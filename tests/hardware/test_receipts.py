"""Ticket layout to ESC/POS on python-escpos's Dummy printer, decoded back (hardware/receipts.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from escpos.printer import Dummy

from hardware.layout import load_layout
from hardware.receipts import print_ticket
from hardware.ticket import TicketView
from wire.i18n import wait_words
from wire.types import WaitRange

from .conftest import agency_view
from .escpos_decode import Cut, QRCode, Raster, TextLine, decode


def printed(view: TicketView, paper_mm: int = 80, profile: str | None = None) -> Any:
    printer = Dummy(profile=profile)
    stats = print_ticket(printer, view, load_layout(paper_mm=paper_mm))
    return decode(printer.output), stats


def assert_not_blank(raster: Raster) -> None:
    """A raster of text has ink, but is mostly paper."""
    assert raster.ink > 100, "raster is blank"
    assert raster.ink < raster.width * raster.height * 0.5, "raster is mostly black"


def test_receipt_prints_russian_in_cp866_and_azerbaijani_as_images(
    din_view: Callable[..., TicketView],
) -> None:
    """A Russian ticket: Cyrillic lines as CP866 text, each with its Azerbaijani line drawn underneath."""
    out, stats = printed(din_view("ru"))
    russian = {line.text: line for line in out.lines}
    ministry = russian["Министерство внутренних дел"]
    assert ministry.codepages == ("cp866",)
    assert ministry.bold
    assert russian["Выдача удостоверения личности"].codepages == ("cp866",)
    assert "Перед вами: 7 чел." in russian
    assert "Ожидание: примерно 10-20 мин" in russian
    # The Azerbaijani names hold ə: no code page has it, so they are images.
    item = out.items.index(ministry)
    assert isinstance(out.items[item + 1], Raster)
    for raster in out.rasters:
        if raster.height > 3:  # rules are 2-3 dots tall
            assert_not_blank(raster)
    assert stats.raster_lines >= 8
    assert "CP866" in stats.codepages


def test_receipt_prints_a_cp857_line_as_text(center: dict[str, Any]) -> None:
    """Azerbaijani without ə fits CP857 and goes out as printer text."""
    dsmf = next(a for a in center["agencies"] if a["code"] == "DSMF")
    service = next(s for s in dsmf["services"] if s["code"].endswith("STAJ") or "Sığorta" in s["name"]["az"])
    view = agency_view(center, dsmf, "az", service_name=service["name"])
    out, _ = printed(view)
    line = next(line for line in out.lines if line.text == "Sığorta stajı haqqında arayış")
    assert line.codepages == ("cp857",)


def test_receipt_prints_the_big_number_bold_and_large(din_view: Callable[..., TicketView]) -> None:
    out, _ = printed(din_view("az"))
    number = next(line for line in out.lines if line.text == "A015")
    assert (number.width, number.height, number.bold) == (6, 6, True)
    out58, _ = printed(din_view("az"), paper_mm=58)
    number58 = next(line for line in out58.lines if line.text == "A015")
    assert (number58.width, number58.height) == (5, 5)


@pytest.mark.parametrize(
    ("paper_mm", "number", "size"),
    [
        (80, "A1000", (6, 6)),
        (80, "ABC10000", (6, 6)),
        (58, "A1000", (5, 5)),
        (58, "DN1000", (5, 5)),
        (58, "ABC1000", (4, 4)),  # 7 x 5 columns would not fit 32: a size smaller, on one line
        (58, "ABC10000", (4, 4)),
    ],
)
def test_receipt_prints_a_number_past_999_whole_on_one_line(
    din_view: Callable[..., TicketView], paper_mm: int, number: str, size: tuple[int, int]
) -> None:
    out, _ = printed(din_view("az", number=number, ticket_id=f"20261130-{number}"), paper_mm=paper_mm)
    (line,) = [line for line in out.lines if line.text == number]
    assert ((line.width, line.height), line.bold) == (size, True)
    assert len(number) * line.width <= load_layout(paper_mm=paper_mm).columns
    assert not [
        line for line in out.lines if line.text and line.text != number and number.startswith(line.text)
    ]
    assert any(f"20261130-{number}" in line.text for line in out.lines)


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_receipt_draws_a_long_number_image_within_the_paper(
    din_view: Callable[..., TicketView], paper_mm: int
) -> None:
    """With ``image = true`` the number is drawn with the font; a long one is drawn smaller."""
    layout = load_layout(paper_mm=paper_mm)
    blocks = tuple(
        dataclasses.replace(b, image=True, image_px=200) if b.type == "number" else b for b in layout.blocks
    )
    printer = Dummy()
    print_ticket(printer, din_view("az", number="ABC10000"), dataclasses.replace(layout, blocks=blocks))
    out = decode(printer.output)
    tallest = max(out.rasters, key=lambda r: r.height)
    assert tallest.width <= layout.dots
    assert_not_blank(tallest)
    assert tallest.height < 200  # made smaller than asked, to fit
    assert "ABC10000" not in [line.text for line in out.lines]


def test_receipt_carries_the_qr_and_cuts(din_view: Callable[..., TicketView]) -> None:
    out, _ = printed(din_view("en"))
    assert out.qrcodes == [QRCode("https://novbe.example/t/20261123-A015", 6, "M")]
    assert out.cuts == [Cut(partial=True)]
    assert isinstance(out.items[-1], Cut) or isinstance(out.items[-2], Cut)
    assert out.resets == 1


def test_receipt_in_azerbaijani_has_no_second_language(din_view: Callable[..., TicketView]) -> None:
    az, _ = printed(din_view("az"))
    en, _ = printed(din_view("en"))
    assert len(en.items) >= len(az.items) + 6  # English lines, each with its Azerbaijani line under it
    assert "Ministry of Internal Affairs" in en.texts
    assert not any("Ministry" in text for text in az.texts)


def test_receipt_prints_priority_and_footer_only_when_set(din_view: Callable[..., TicketView]) -> None:
    plain, _ = printed(din_view("en"))
    marked, _ = printed(din_view("en", priority="elderly", footer={"en": "Thank you", "az": "Sağ olun"}))
    assert "Priority: senior citizen" not in plain.texts
    assert "Priority: senior citizen" in marked.texts
    assert "Thank you" in marked.texts


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_receipt_prints_a_booked_citizens_slot_only_on_their_ticket(
    din_view: Callable[..., TicketView], paper_mm: int
) -> None:
    """The slot as the kiosk's screen says it, under the number; a walk-in's ticket has none."""
    plain, _ = printed(din_view("en"), paper_mm)
    booked_view = dataclasses.replace(din_view("en"), slot_at=datetime(2026, 11, 23, 10, 45))
    booked, _ = printed(booked_view, paper_mm)
    assert not any(text.startswith("Booked for") for text in plain.texts)
    assert "Booked for 10:45" in booked.texts
    slot = next(line for line in booked.lines if line.text == "Booked for 10:45")
    assert slot.bold
    assert booked.texts.index("Booked for 10:45") < booked.texts.index("Go to: Floor 1")
    # The Azerbaijani line under it is drawn (ə is in no code page): one more picture.
    assert len(booked.rasters) == len(plain.rasters) + 1
    russian, _ = printed(dataclasses.replace(booked_view, lang="ru"), paper_mm)
    assert "Запись на 10:45" in russian.texts


def test_receipt_says_no_one_is_ahead(din_view: Callable[..., TicketView]) -> None:
    out, _ = printed(din_view("en", ahead=0))
    assert "Nobody is ahead of you" in out.texts
    assert not any(text.startswith("People ahead") for text in out.texts)


@pytest.mark.parametrize(
    ("wait", "words"),
    [
        (WaitRange(10, 20), "Estimated wait: 10-20 min"),
        (WaitRange(0, 1), "Estimated wait: under a minute"),
        (WaitRange(0, 0), "No wait"),
    ],
)
def test_receipt_says_the_wait_as_the_screens_do(
    din_view: Callable[..., TicketView], wait: WaitRange, words: str
) -> None:
    """The promised wait, in the words of wire.i18n.wait_words: never "0-0 min" or "0-1 min"."""
    out, _ = printed(din_view("en", wait=wait))
    assert words == wait_words(wait, "en")
    assert out.lines[[line.text for line in out.lines].index(words)].codepages == ("cp437",)
    assert not any(" 0-" in text for text in out.texts)


def test_receipt_never_prints_question_marks(center: dict[str, Any]) -> None:
    """Every agency, every language: no character is lost to '?'."""
    for agency in center["agencies"]:
        for lang in ("az", "ru", "en"):
            out, _ = printed(agency_view(center, agency, lang))
            for line in out.lines:
                assert "?" not in line.text, (agency["code"], lang, line.text)


def test_receipt_keeps_control_characters_out(din_view: Callable[..., TicketView]) -> None:
    """A name with printer commands in it can't reset the printer or cut the paper."""
    view = din_view("en", service_name={"en": "ID\x1b@card\x1dV\x00", "az": "x"})
    out, _ = printed(view)
    assert out.resets == 1
    assert len(out.cuts) == 1
    assert "ID @card V" in out.texts


def test_receipt_uses_the_profile_code_page_slots(din_view: Callable[..., TicketView]) -> None:
    """Printers number code pages differently; the profile's numbers are sent."""
    printer = Dummy(profile="POS-5890")
    print_ticket(printer, din_view("ru"), load_layout(paper_mm=58))
    assert b"\x1bt\x3b" in printer.output  # CP866 is slot 59 on this printer
    assert b"\x1bt\x11" not in printer.output


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_receipt_fits_58mm_paper(din_view: Callable[..., TicketView], lang: str) -> None:
    out, _ = printed(din_view(lang), paper_mm=58)
    assert all(r.width <= 384 for r in out.rasters)
    for line in out.lines:
        assert len(line.text) * line.width <= 32, line


def test_receipt_lines_are_text_lines(din_view: Callable[..., TicketView]) -> None:
    out, _ = printed(din_view("ru"))
    assert all(isinstance(line, TextLine) for line in out.lines)
