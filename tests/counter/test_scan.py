"""Reading what an operator typed or a scanner sent: QR codes, numbers, keyboard layouts."""

from __future__ import annotations

import pytest

from counter.scan import TicketId, TicketNumber, readings


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
