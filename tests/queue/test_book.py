"""The bookings' rules (server/queue/book.py): slots of the configured hours, never more than
``per_slot``, never in the past, unique codes; check-in, moves, cancellations, missed ones."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from server.queue import QueueEngine
from server.queue.book import Book, BookingRefused, BookingState, normal_code
from server.queue.commands import CancelBooking, CheckIn, CloseDay, KeepDay, MakeBooking, MoveBooking
from server.queue.exceptions import CheckInRefused
from server.queue.hall import Bookings, SlotHours
from wire.events import (
    BookingCancelled,
    BookingCheckedIn,
    BookingMade,
    BookingMissed,
    BookingMoved,
    DayOpened,
    Event,
    TicketIssued,
    event_from_dict,
    event_to_dict,
)
from wire.types import Source

from .builders import at, make_hall, open_engine, replay

RULES = Bookings(
    slots=(
        SlotHours("ID", start_min=10 * 60, end_min=12 * 60, slot_min=15, per_slot=2),
        SlotHours("ID", start_min=14 * 60, end_min=15 * 60, slot_min=30, per_slot=1),
    ),
    walk_in_if_refused=False,
)
HALL = make_hall(bookings=RULES, days=frozenset(range(5)))
"""Monday to Friday; ID books 10:00-12:00 every 15 minutes (2 a slot) and 14:00-15:00 every 30."""


def engine() -> QueueEngine:
    return open_engine(HALL)


def book(e: QueueEngine, code: str, slot: float, minute: float = 0, service: str = "ID") -> BookingMade:
    """Book ``code`` into the slot ``slot`` minutes after 09:00, at ``minute``."""
    (made,) = e.handle(MakeBooking(code=code, service=service, slot_at=at(slot), at=at(minute)))
    assert isinstance(made, BookingMade)
    return made


def refusal(e: QueueEngine, command: object) -> BookingRefused:
    before = e.book.bookings()
    with pytest.raises(BookingRefused) as info:
        e.handle(command)  # type: ignore[arg-type]
    assert e.book.bookings() == before
    return info.value


def test_a_slot_takes_per_slot_bookings_and_no_more() -> None:
    e = engine()
    book(e, "10000001", 60)
    book(e, "10000002", 60)
    full = refusal(e, MakeBooking(code="10000003", service="ID", slot_at=at(60), at=at(0)))
    assert full.code == "slot_full"
    book(e, "10000003", 75)  # the next slot has room
    # A cancelled booking gives its place back.
    e.handle(CancelBooking(code="10000001", at=at(1)))
    book(e, "10000004", 60)
    assert e.book.booked("ID", at(60)) == 2


def test_only_the_slots_of_the_configured_hours_on_working_days() -> None:
    e = engine()
    for slot, reason in [
        (60 + 5, "hours"),  # 10:05 is inside the hours, not a slot start
        (3 * 60, "hours"),  # 12:00: the hours end
        (5 * 60 + 15, "hours"),  # 14:15: the afternoon's slots are 30 minutes
        (-30, "past"),
        (0, "past"),  # begun
        (5 * 24 * 60 + 60, "day"),  # Saturday
    ]:
        refused = refusal(e, MakeBooking(code="10000001", service="ID", slot_at=at(slot), at=at(0)))
        assert (refused.code, refused.details.get("reason")) == ("not_a_slot", reason), slot
    assert refusal(e, MakeBooking(code="10000001", service="TAX", slot_at=at(60), at=at(0))).code == (
        "unknown_service"
    )
    assert refusal(e, MakeBooking(code="10000001", service="NOPE", slot_at=at(60), at=at(0))).code == (
        "unknown_service"
    )
    book(e, "10000001", 5 * 60 + 30)  # 14:30
    book(e, "10000002", 7 * 24 * 60 + 60)  # next Monday


def test_codes_are_eight_digits_and_never_given_twice() -> None:
    e = engine()
    book(e, "10000001", 60)
    assert (
        refusal(e, MakeBooking(code="10000001", service="ID", slot_at=at(75), at=at(0))).code == "code_taken"
    )
    e.handle(CancelBooking(code="10000001", at=at(1)))
    # Not even once the booking has ended: the kiosk can still say "cancelled".
    assert (
        refusal(e, MakeBooking(code="10000001", service="ID", slot_at=at(75), at=at(2))).code == "code_taken"
    )
    for bad in ("1234567", "123456789", "1234567a", "١٢٣٤٥٦٧٨"):
        assert refusal(e, MakeBooking(code=bad, service="ID", slot_at=at(75), at=at(0))).code == "bad_code"
    assert normal_code(" 4821-0937 ") == "48210937"


def test_a_move_keeps_the_rules_and_frees_the_old_slot() -> None:
    e = engine()
    book(e, "10000001", 60)
    book(e, "10000002", 75)
    book(e, "10000003", 75)
    assert refusal(e, MoveBooking(code="10000001", slot_at=at(75), at=at(1))).code == "slot_full"
    assert refusal(e, MoveBooking(code="10000001", slot_at=at(61), at=at(1))).code == "not_a_slot"
    assert refusal(e, MoveBooking(code="99999999", slot_at=at(90), at=at(1))).code == "unknown_booking"
    (moved,) = e.handle(MoveBooking(code="10000001", slot_at=at(90), at=at(1)))
    assert moved == BookingMoved(code="10000001", from_slot=at(60), slot_at=at(90), at=at(1))
    assert (e.book.booked("ID", at(60)), e.book.booked("ID", at(90))) == (0, 1)
    assert e.handle(MoveBooking(code="10000001", slot_at=at(90), at=at(2))) == []  # already there
    e.handle(CancelBooking(code="10000001", at=at(3)))
    for command in (
        MoveBooking(code="10000001", slot_at=at(60), at=at(4)),
        CancelBooking(code="10000001", at=at(4)),
    ):
        closed = refusal(e, command)
        assert (closed.code, closed.details["state"]) == ("booking_closed", "cancelled")


def test_check_in_issues_the_ticket_in_the_lane_and_uses_the_code() -> None:
    e = engine()
    book(e, "10000001", 60)
    events = e.handle(CheckIn(code="10000001", at=at(40), lang="en"))
    issued, checked = events
    assert isinstance(issued, TicketIssued)
    assert (issued.service, issued.source, issued.appointment, issued.slot_at, issued.lang) == (
        "ID",
        Source.APPOINTMENT,
        "10000001",
        at(60),
        "en",
    )
    assert checked == BookingCheckedIn(code="10000001", ticket=issued.ticket, at=at(40))
    assert e.tickets[issued.ticket].slot_at == at(60)
    assert e.book.get("10000001").state is BookingState.CHECKED_IN  # type: ignore[union-attr]
    used = refused_check_in(e, "10000001", 41)
    assert (used["reason"], used["service"], used["walk_in"]) == ("used", "ID", False)
    # The checked-in citizen keeps their place in the slot.
    assert e.book.booked("ID", at(60)) == 1


def refused_check_in(e: QueueEngine, code: str, minute: float) -> dict[str, object]:
    tickets = dict(e.tickets)
    with pytest.raises(CheckInRefused) as info:
        e.handle(CheckIn(code=code, at=at(minute)))
    assert dict(e.tickets) == tickets
    return info.value.details


def test_check_in_refusals_name_the_reason_and_the_service() -> None:
    e = engine()
    book(e, "10000001", 60)
    book(e, "10000002", 75)
    e.handle(CancelBooking(code="10000002", at=at(1)))
    early = refused_check_in(e, "10000001", 29)
    assert (early["reason"], early["opens_at"], early["service"]) == ("early", at(30).isoformat(), "ID")
    late = refused_check_in(e, "10000001", 71)
    assert (late["reason"], late["closed_at"]) == ("late", at(70).isoformat())
    assert refused_check_in(e, "10000002", 60)["reason"] == "cancelled"
    unknown = refused_check_in(e, "77777777", 60)
    assert (unknown["reason"], unknown["service"], unknown["walk_in"]) == ("unknown", None, False)
    # The window's edges are inside it.
    assert len(e.handle(CheckIn(code="10000001", at=at(30)))) == 2


def test_the_clock_records_a_missed_booking_once_and_the_day_closing_the_rest() -> None:
    e = engine()
    book(e, "10000001", 60)
    book(e, "10000002", 5 * 60)
    book(e, "10000003", 24 * 60 + 60)  # tomorrow
    assert e.handle(KeepDay(at=at(70))) == []  # the window is still open at its last minute
    assert e.handle(KeepDay(at=at(71))) == [
        BookingMissed(code="10000001", service="ID", slot_at=at(60), at=at(71))
    ]
    assert e.handle(KeepDay(at=at(72))) == []
    assert refused_check_in(e, "10000001", 72)["reason"] == "late"
    closed = e.handle(CloseDay(at=at(4 * 60)))
    assert [type(x).__name__ for x in closed] == ["DayClosed", "BookingMissed"]
    assert closed[1] == BookingMissed(code="10000002", service="ID", slot_at=at(5 * 60), at=at(4 * 60))
    assert e.book.get("10000003").state is BookingState.BOOKED  # type: ignore[union-attr]


def test_replay_rebuilds_the_book_and_a_replica_of_one_day_skips_what_it_never_saw() -> None:
    e = engine()
    log = [book(e, "10000001", 60), book(e, "10000002", 60)]
    log += e.handle(MoveBooking(code="10000002", slot_at=at(75), at=at(1)))
    log += e.handle(CheckIn(code="10000001", at=at(45)))
    log += e.handle(CancelBooking(code="10000002", at=at(46)))
    log = [event_from_dict(event_to_dict(x)) for x in log]  # through the log's codec
    again = replay(HALL, [*_opened(), *log])
    assert again.book.bookings() == e.book.bookings()
    assert again.book.booked("ID", at(60)) == 1
    # A replica that starts at today's opening meets events of bookings it never saw made.
    replica = QueueEngine(HALL)
    for x in [*_opened(), *log[2:]]:
        if not isinstance(x, BookingMade):
            replica.apply(x)
    assert replica.book.bookings() == []
    assert isinstance(log[-1], BookingCancelled)


def _opened() -> list[Event]:
    return [DayOpened(day=at(0).date(), at=at(-60))]


def test_the_book_is_not_cleared_by_a_new_day() -> None:
    e = engine()
    book(e, "10000001", 24 * 60 + 60)
    e.handle(CloseDay(at=at(10 * 60)))
    e.handle(KeepDay(at=at(24 * 60 - 30)))  # the next day opens
    assert e.day == (at(0) + timedelta(days=1)).date()
    assert len(e.handle(CheckIn(code="10000001", at=at(24 * 60 + 45)))) == 2


def test_a_hall_without_booking_hours_refuses_every_booking() -> None:
    e = open_engine(dataclasses.replace(HALL, bookings=Bookings()))
    assert refusal(e, MakeBooking(code="10000001", service="ID", slot_at=at(60), at=at(0))).code == (
        "unknown_service"
    )
    assert isinstance(Book(HALL), Book)
