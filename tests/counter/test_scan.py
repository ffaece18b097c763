"""Reading what an operator typed or a scanner sent: QR codes, numbers, keyboard layouts."""

from __future__ import annotations

import pytest

from counter.scan import TicketId, TicketNumber, TicketToken, readings


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("NOVBE:BAKU1:20261122-A007", TicketId("20261122-A007", "BAKU1")),
        ("novbe:baku1:20261122-a007", TicketId("20261122-A007", "BAKU1")),
        ("ТЩМИУЖИФЛГ1Ж20261122-Ф007", TicketId("20261122-A007", "BAKU1")),  # Russian layout
        ("тщмиужифлг1ж20261122-ф007", TicketId("20261122-A007", "BAKU1")),
        ("A7", TicketNumber("A", 7)),
        (" a 007 ", TicketNumber("A", 7)),
        ("ф7", TicketNumber("A", 7)),  # the A key on the Russian layout
        ("DN1000", TicketNumber("DN", 1000)),
        ("15", TicketNumber("", 15)),
    ],
)
def test_readings_of_what_was_typed_or_scanned(text: str, first: TicketId | TicketNumber) -> None:
    assert readings(text)[0] == first


TOKEN = "k7qmd2xw4n5tpa3hzr6ycebvfu"

_LATIN_TO_RUSSIAN_KEYS = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,./:",
    "йцукенгшщзхъфывапролджэячсмитьбю.Ж",
)


@pytest.mark.parametrize(
    "text",
    [
        f"https://novbe.example.az/t/{TOKEN}",
        f"http://127.0.0.1:8080/t/{TOKEN}",
        f"https://asan.example.az/novbe/baku1/t/{TOKEN}/",
        f"novbe.example.az/t/{TOKEN}",
        "novbe.example.az/t/k7qm-d2xw-4n5t-pa3h-zr6y-cebv-fu",  # the paper's short form
        f"HTTPS://NOVBE.EXAMPLE.AZ/T/{TOKEN.upper()}",
    ],
)
def test_a_ticket_pages_address_reads_as_its_token(text: str) -> None:
    assert readings(text) == [TicketToken(TOKEN)]


@pytest.mark.parametrize(
    "url", [f"https://novbe.example.az/t/{TOKEN}", f"http://127.0.0.1:8080/novbe/t/{TOKEN}"]
)
def test_an_address_typed_on_the_russian_layout_reads_as_its_token(url: str) -> None:
    """A wedge scanner presses the address's keys; on ЙЦУКЕН "/" is ".", "." is "ю", ":" is Ж."""
    typed = url.translate(_LATIN_TO_RUSSIAN_KEYS)
    assert typed.startswith(("реезыЖ..", "реезЖ.."))
    assert readings(typed)[0] == TicketToken(TOKEN)
    assert readings(typed.upper())[0] == TicketToken(TOKEN)  # Caps Lock on


@pytest.mark.parametrize(
    "text",
    [
        "https://novbe.example.az/t/k7qm",  # cut short
        f"https://novbe.example.az/x/{TOKEN}",  # not a ticket's page
        f"https://novbe.example.az/t/{TOKEN}0",  # 0 is no base32 letter
        f"/t/{TOKEN}",  # no site
    ],
)
def test_an_address_that_is_no_ticket_page_gives_no_token(text: str) -> None:
    assert not any(isinstance(r, TicketToken) for r in readings(text))


def test_a_cyrillic_look_alike_reads_as_the_latin_letter_first() -> None:
    """ "А7" typed with the Cyrillic А means A7; the same key on the Latin layout is F."""
    assert readings("А7") == [TicketNumber("A", 7), TicketNumber("F", 7)]


@pytest.mark.parametrize("text", ["", "hello", "A", "NOVBE:", "A7B", "12345678"])
def test_what_is_no_ticket_has_no_reading(text: str) -> None:
    assert readings(text) == []


def test_a_number_matches_the_servers_spelling() -> None:
    assert TicketNumber("A", 7).matches("A007")
    assert not TicketNumber("A", 7).matches("A070")
    assert not TicketNumber("A", 7).matches("DA007")
