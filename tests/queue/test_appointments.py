"""The appointment lane: booked citizens called at their slot, walk-ins held back a bounded time."""

from __future__ import annotations

import dataclasses

import pytest

from server.queue import (
    Bookings,
    CallNext,
    CheckInRefused,
    CounterDef,
    FinishService,
    IssueTicket,
    QueueEngine,
    StartService,
    TicketCalled,
    TicketId,
    TicketIssued,
    TicketState,
    Transfer,
    event_from_dict,
    event_to_dict,
)
from wire.types import Source

from .builders import at, fingerprint, make_hall, open_engine, refused, replay


def check_in(
    engine: QueueEngine, service: str, minute: float, slot: float, code: str = "BK1"
) -> TicketIssued:
    """A booked citizen for the slot at ``slot`` (minutes after 09:00) checks in at ``minute``."""
    (event,) = engine.handle(
        IssueTicket(
            service=service,
            at=at(minute),
            source=Source.APPOINTMENT,
            appointment=code,
            slot_at=at(slot),
        )
    )
    assert isinstance(event, TicketIssued)
    return event


def walk_in(engine: QueueEngine, service: str, minute: float) -> TicketId:
    (event,) = engine.handle(IssueTicket(service=service, at=at(minute)))
    assert isinstance(event, TicketIssued)
    return event.ticket


def call(engine: QueueEngine, counter: int, minute: float) -> TicketId:
    (event,) = engine.handle(CallNext(counter=counter, at=at(minute)))
    assert isinstance(event, TicketCalled)
    return event.ticket


def serve(engine: QueueEngine, counter: int, minute: float) -> None:
    engine.handle(StartService(counter=counter, at=at(minute)))
    engine.handle(FinishService(counter=counter, at=at(minute)))


def test_a_booked_citizen_is_called_at_the_slot_ahead_of_walk_ins() -> None:
    engine = open_engine(counters=(1,))
    early = walk_in(engine, "ID", 0)
    booked = check_in(engine, "ID", 5, slot=30).ticket
    later = walk_in(engine, "ID", 18)  # will have waited 12 minutes at the slot: under the bound
    # Before the slot the walk-ins keep their turn ...
    first = call(engine, 1, 20)
    assert first == early
    serve(engine, 1, 21)
    # ... from the slot on, the booked citizen goes first.
    assert call(engine, 1, 30) == booked
    serve(engine, 1, 31)
    assert call(engine, 1, 31) == later


def test_a_counter_with_nobody_else_calls_an_early_booked_citizen() -> None:
    engine = open_engine(counters=(1,))
    booked = check_in(engine, "ID", 0, slot=25).ticket
    assert call(engine, 1, 1) == booked


def test_a_walk_in_past_hold_max_min_gets_every_in_a_row_plus_first_call() -> None:
    engine = open_engine(make_hall(bookings=Bookings(hold_max_min=15.0, in_a_row=2)), counters=(1,))
    old = walk_in(engine, "ID", 0)
    booked = [check_in(engine, "ID", 10, slot=20, code=f"BK{i}").ticket for i in range(3)]
    # The walk-in has waited 20 minutes at the slot: two booked citizens, then the walk-in.
    called = []
    for minute in (20, 21, 22, 23):
        called.append(call(engine, 1, minute))
        serve(engine, 1, minute)
    assert called == [booked[0], booked[1], old, booked[2]]


def test_the_run_of_booked_calls_survives_a_replay() -> None:
    engine = open_engine(make_hall(bookings=Bookings(hold_max_min=15.0, in_a_row=1)), counters=(1,))
    log = list(engine.handle(IssueTicket(service="ID", at=at(0))))
    for i in range(2):
        log.append(check_in(engine, "ID", 10, slot=20, code=f"BK{i}"))
    log += engine.handle(CallNext(counter=1, at=at(20)))
    log += engine.handle(StartService(counter=1, at=at(20)))
    log += engine.handle(FinishService(counter=1, at=at(21)))
    fresh = open_engine(engine.hall, counters=(1,))
    for event in log:
        fresh.apply(event)
    # Both engines owe the walk-in the next call.
    assert fresh.decide(CallNext(counter=1, at=at(21))) == engine.decide(CallNext(counter=1, at=at(21)))
    (called,) = fresh.decide(CallNext(counter=1, at=at(21)))
    assert isinstance(called, TicketCalled)
    assert called.ticket == log[0].ticket


def test_below_the_bound_the_booked_citizen_goes_first() -> None:
    engine = open_engine(make_hall(bookings=Bookings(hold_max_min=15.0)), counters=(1,))
    recent = walk_in(engine, "ID", 10)
    booked = check_in(engine, "ID", 10, slot=20).ticket
    assert call(engine, 1, 24) == booked  # the walk-in has waited 14 minutes
    serve(engine, 1, 25)
    assert call(engine, 1, 25) == recent


def test_the_appointment_lane_follows_the_slots_not_the_check_ins() -> None:
    engine = open_engine(counters=(1,))
    late_slot = check_in(engine, "ID", 0, slot=25, code="BK2").ticket
    early_slot = check_in(engine, "ID", 1, slot=20, code="BK1").ticket
    assert [t.id for t in engine.waiting("ID")] == [early_slot, late_slot]
    assert call(engine, 1, 26) == early_slot


def test_a_reserved_counter_takes_booked_citizens_first_even_early() -> None:
    hall = make_hall()
    reserved = dataclasses.replace(hall.counters[1], reserved=((9 * 60.0, 12 * 60.0),))
    hall = dataclasses.replace(hall, counters={**hall.counters, 1: reserved})
    engine = open_engine(hall, counters=(1, 2))
    walker = walk_in(engine, "ID", 0)
    booked = check_in(engine, "ID", 1, slot=30).ticket
    assert call(engine, 1, 2) == booked  # reserved: early booked citizens first
    assert call(engine, 2, 2) == walker  # an ordinary counter keeps the walk-in's turn
    # Outside the reserved hours counter 1 is an ordinary counter again.
    engine2 = open_engine(hall, counters=(1,))
    walker2 = walk_in(engine2, "ID", 4 * 60)
    check_in(engine2, "ID", 4 * 60 + 1, slot=4 * 60 + 30)
    assert call(engine2, 1, 4 * 60 + 2) == walker2


def test_a_reserved_counter_takes_walk_ins_when_no_booked_citizen_waits() -> None:
    hall = make_hall()
    reserved = dataclasses.replace(hall.counters[1], reserved=((0.0, 24 * 60.0),))
    engine = open_engine(dataclasses.replace(hall, counters={**hall.counters, 1: reserved}), counters=(1,))
    walker = walk_in(engine, "ID", 0)
    assert call(engine, 1, 1) == walker


def test_returning_citizens_still_come_first() -> None:
    engine = open_engine(counters=(1, 3))
    first = walk_in(engine, "ID", 0)
    assert call(engine, 1, 1) == first
    engine.handle(StartService(counter=1, at=at(1)))
    engine.handle(Transfer(counter=1, at=at(2), to_service="BANK", return_to_me=True))
    booked = check_in(engine, "ID", 3, slot=5).ticket
    assert call(engine, 3, 3) == first
    serve(engine, 3, 4)  # back to counter 1, by name
    assert call(engine, 1, 6) == first
    serve(engine, 1, 7)
    assert call(engine, 1, 7) == booked


@pytest.mark.parametrize(
    ("minute", "says", "field", "when"),
    [(0, "opens at 09:30", "opens_at", 30), (71, "closed at 10:10", "closed_at", 70)],
)
def test_check_in_outside_the_window_is_refused(minute: float, says: str, field: str, when: float) -> None:
    engine = open_engine(counters=(1,))
    command = IssueTicket(
        service="ID", at=at(minute), source=Source.APPOINTMENT, appointment="BK1", slot_at=at(60)
    )
    error = refused(engine, command, CheckInRefused, match=says)
    assert error.details["reason"] == ("early" if field == "opens_at" else "late")
    assert error.details[field] == at(when).isoformat()


def test_the_window_is_the_centers() -> None:
    engine = open_engine(make_hall(bookings=Bookings(before_min=60.0, after_min=0.0)), counters=(1,))
    check_in(engine, "ID", 0, slot=60)
    command = IssueTicket(
        service="ID", at=at(61), source=Source.APPOINTMENT, appointment="BK2", slot_at=at(60)
    )
    refused(engine, command, CheckInRefused)


def test_the_promise_is_the_slot_and_counts_the_earlier_slots() -> None:
    engine = open_engine(counters=(1,))
    walk_in(engine, "ID", 0)
    check_in(engine, "ID", 0, slot=20, code="BK1")
    issued = check_in(engine, "ID", 5, slot=30, code="BK2")
    assert issued.slot_at == at(30)
    assert issued.ahead == 1
    assert (issued.wait_low_min, issued.wait_high_min) == (25.0, 30.0)
    # Checked in after the slot: promised from now.
    late = check_in(engine, "ID", 38, slot=30, code="BK3")
    assert (late.wait_low_min, late.wait_high_min) == (0.0, 5.0)


def test_a_walk_in_is_told_the_booked_citizens_ahead() -> None:
    engine = open_engine(counters=(1,))
    check_in(engine, "ID", 0, slot=20)
    assert engine.ahead_of("ID", engine.tickets[walk_in(engine, "ID", 1)].priority) == 2


def test_a_transferred_booked_citizen_queues_as_anyone_there() -> None:
    engine = open_engine(counters=(1, 2, 3))
    booked = check_in(engine, "ID", 0, slot=5).ticket
    assert call(engine, 1, 5) == booked
    engine.handle(StartService(counter=1, at=at(5)))
    engine.handle(Transfer(counter=1, at=at(6), to_service="PASS"))
    ticket = engine.tickets[booked]
    assert ticket.slot_at is None
    assert ticket.state is TicketState.WAITING
    assert ticket.appointment == "BK1"  # still known as booked in the reports


def test_the_lane_survives_a_replay_through_the_log_codec() -> None:
    engine = open_engine(counters=(1, 2))
    log = []
    log += [e for e in engine.handle(IssueTicket(service="ID", at=at(0)))]
    for code, slot in (("BK2", 25), ("BK1", 20)):
        log.append(check_in(engine, "ID", 1, slot=slot, code=code))
    hall = engine.hall
    fresh = open_engine(hall, counters=(1, 2))
    for event in log:
        fresh.apply(event_from_dict(event_to_dict(event)))
    assert fingerprint(fresh) == fingerprint(engine)
    assert fresh.tickets[log[2].ticket].slot_at == at(20)
    assert replay(hall, []).hall.bookings == Bookings()


def test_counter_def_reserved_at() -> None:
    counter = CounterDef(1, "z", {"ID": 1.0}, reserved=((540.0, 600.0),))
    assert counter.reserved_at(540.0)
    assert counter.reserved_at(599.9)
    assert not counter.reserved_at(600.0)
    assert not counter.reserved_at(0.0)
