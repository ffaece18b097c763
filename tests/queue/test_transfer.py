"""Transfers: to another service, to a named counter, and back to the sender."""

from __future__ import annotations

import dataclasses

import pytest

from server.queue import (
    CallNext,
    CallTicket,
    CloseCounter,
    CounterDef,
    FinishService,
    InvalidTransition,
    NoOpenCounter,
    NothingToCall,
    OpenCounter,
    PauseCounter,
    ResumeCounter,
    ServiceDef,
    StartService,
    TicketFinished,
    TicketState,
    TicketTransferred,
    Transfer,
    UnknownCounter,
    UnknownService,
)

from .builders import SERVICES, at, issue, make_hall, open_engine, refused

W = TicketState.WAITING


def at_counter_1(service: str = "ID"):  # type: ignore[no-untyped-def]
    """Return an engine where counter 1 serves ticket A001 (issued at 0, started at 2)."""
    engine = open_engine()
    tid = issue(engine, service, 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(2)))
    return engine, tid


def test_transfer_keeps_the_ticket_and_its_arrival() -> None:
    engine, tid = at_counter_1()
    assert engine.handle(Transfer(counter=1, at=at(5), to_service="BANK")) == [
        TicketTransferred(ticket=tid, number="A001", from_counter=1, to_service="BANK", at=at(5))
    ]
    ticket = engine.tickets[tid]
    assert (ticket.id, ticket.number, ticket.service, ticket.agency, ticket.state) == (
        tid,
        "A001",
        "BANK",
        "BANK",
        W,
    )
    assert (ticket.issued_at, ticket.queued_at, ticket.counter, ticket.target_counter) == (
        at(0),
        at(5),
        None,
        None,
    )
    assert ticket.history[-2:] == ((at(5), TicketState.TRANSFERRED, 1), (at(5), W, None))
    assert engine.counters[1].current is None
    assert engine.counters[1].transferred == 1
    assert [t.id for t in engine.waiting("BANK")] == [tid]


def test_transfer_to_a_counter_keeps_the_service_it_serves() -> None:
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_counter=2))
    assert (engine.tickets[tid].service, engine.tickets[tid].target_counter) == ("ID", 2)
    refused(engine, CallNext(counter=1, at=at(6)), NothingToCall)
    engine.handle(CallNext(counter=2, at=at(6)))
    assert engine.tickets[tid].counter == 2


def test_transfer_to_a_counter_takes_its_first_service_otherwise() -> None:
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_counter=3))
    assert (engine.tickets[tid].service, engine.tickets[tid].target_counter) == ("BANK", 3)


def test_transfer_to_the_same_service_goes_to_the_back() -> None:
    engine, _ = at_counter_1()
    issue(engine, "ID", 3)
    engine.handle(Transfer(counter=1, at=at(5), to_service="ID"))
    assert [t.number for t in engine.waiting("ID")] == ["A002", "A001"]


def test_return_to_me_brings_the_citizen_back_ahead_of_new_arrivals() -> None:
    """Pay the fee at the bank, then come back to the same operator."""
    engine, tid = at_counter_1()
    issue(engine, "ID", 3)
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK", return_to_me=True))
    assert engine.tickets[tid].return_to == 1
    engine.handle(CallNext(counter=1, at=at(6)))  # A002 meanwhile
    engine.handle(CallNext(counter=3, at=at(6)))
    engine.handle(StartService(counter=3, at=at(7)))
    issue(engine, "ID", 8)
    assert engine.handle(FinishService(counter=3, at=at(10))) == [
        TicketFinished(ticket=tid, number="A001", counter=3, at=at(10)),
        TicketTransferred(
            ticket=tid, number="A001", from_counter=3, to_service="ID", to_counter=1, at=at(10)
        ),
    ]
    ticket = engine.tickets[tid]
    assert (ticket.state, ticket.service, ticket.target_counter, ticket.return_to) == (W, "ID", 1, None)
    assert engine.counters[3].served == 1
    engine.handle(StartService(counter=1, at=at(11)))
    engine.handle(FinishService(counter=1, at=at(12)))
    (called,) = engine.handle(CallNext(counter=1, at=at(13)))
    assert called.ticket == tid  # type: ignore[union-attr]
    engine.handle(StartService(counter=1, at=at(13)))
    engine.handle(FinishService(counter=1, at=at(14)))
    assert engine.tickets[tid].state is TicketState.DONE


def test_pending_return_survives_a_further_transfer() -> None:
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK", return_to_me=True))
    engine.handle(CallNext(counter=3, at=at(6)))
    engine.handle(Transfer(counter=3, at=at(7), to_service="TAX"))
    assert engine.tickets[tid].return_to == 1
    engine.handle(CallNext(counter=4, at=at(8)))
    engine.handle(StartService(counter=4, at=at(8)))
    events = engine.handle(FinishService(counter=4, at=at(9)))
    assert events[-1] == TicketTransferred(
        ticket=tid, number="A001", from_counter=4, to_service="ID", to_counter=1, at=at(9)
    )


def test_latest_return_to_me_wins() -> None:
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK", return_to_me=True))
    engine.handle(CallNext(counter=3, at=at(6)))
    engine.handle(Transfer(counter=3, at=at(7), to_service="TAX", return_to_me=True))
    engine.handle(CallNext(counter=4, at=at(8)))
    engine.handle(StartService(counter=4, at=at(8)))
    events = engine.handle(FinishService(counter=4, at=at(9)))
    assert events[-1] == TicketTransferred(
        ticket=tid, number="A001", from_counter=4, to_service="BANK", to_counter=3, at=at(9)
    )


def test_transfer_needs_a_target() -> None:
    engine, _ = at_counter_1()
    refused(engine, Transfer(counter=1, at=at(5)), InvalidTransition, "name a service or a counter")


def test_transfer_to_unknown_service_or_counter_is_refused() -> None:
    engine, _ = at_counter_1()
    refused(engine, Transfer(counter=1, at=at(5), to_service="NOPE"), UnknownService, "no service NOPE")
    refused(engine, Transfer(counter=1, at=at(5), to_counter=99), UnknownCounter, "no counter 99")


def test_transfer_to_a_counter_that_does_not_serve_the_service_is_refused() -> None:
    engine, _ = at_counter_1()
    refused(
        engine,
        Transfer(counter=1, at=at(5), to_service="TAX", to_counter=3),
        UnknownService,
        "doesn't serve TAX",
    )


def test_transfer_to_a_counter_without_services_is_refused() -> None:
    hall = make_hall()
    hall = dataclasses.replace(hall, counters={**hall.counters, 5: CounterDef(5, "z", {})})
    engine = open_engine(hall)
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    refused(engine, Transfer(counter=1, at=at(5), to_counter=5), UnknownService, "any service")


def test_transfer_to_a_service_nobody_serves_is_refused() -> None:
    hall = make_hall()
    hall = dataclasses.replace(hall, services={**SERVICES, "GUN": ServiceDef("GUN", "DIN", "A", 5.0)})
    engine = open_engine(hall)
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    error = refused(
        engine,
        Transfer(counter=1, at=at(5), to_service="GUN"),
        NoOpenCounter,
        "no counter serving GUN exists in this hall",
    )
    assert error.details == {"service": "GUN"}


def test_transfer_to_a_service_whose_counters_are_all_closed_is_refused() -> None:
    """The bank's only counter is closed: a fee payer sent there would never be called."""
    engine = open_engine(counters=(1, 2, 4))
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(2)))
    for back in (False, True):
        error = refused(
            engine,
            Transfer(counter=1, at=at(5), to_service="BANK", return_to_me=back),
            NoOpenCounter,
            "can't transfer ticket A001 from counter 1: no counter serving BANK is open",
        )
        assert (error.code, error.details) == ("no_open_counter", {"service": "BANK"})
    assert engine.counters[1].current is not None
    assert engine.tickets[engine.counters[1].current].state is TicketState.SERVING


def test_transfer_to_a_service_with_a_paused_counter_is_accepted() -> None:
    """A counter on a break comes back: its service still takes transfers."""
    engine, tid = at_counter_1()
    engine.handle(PauseCounter(counter=3, at=at(3)))
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK"))
    engine.handle(ResumeCounter(counter=3, at=at(20)))
    (called,) = engine.handle(CallNext(counter=3, at=at(21)))
    assert called.ticket == tid  # type: ignore[union-attr]


def test_transfer_to_a_closed_counter_is_refused() -> None:
    engine, _ = at_counter_1()
    engine.handle(CloseCounter(counter=2, at=at(3)))
    error = refused(
        engine,
        Transfer(counter=1, at=at(5), to_counter=2),
        NoOpenCounter,
        "can't transfer ticket A001 from counter 1 to counter 2: it is closed",
    )
    assert error.details == {"service": "ID", "counter": 2}
    engine.handle(OpenCounter(counter=2, at=at(6)))
    engine.handle(Transfer(counter=1, at=at(7), to_counter=2))


def test_a_service_closing_its_last_counter_stops_taking_transfers() -> None:
    engine, _ = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK"))
    engine.handle(CallNext(counter=3, at=at(6)))
    engine.handle(StartService(counter=3, at=at(6)))
    engine.handle(FinishService(counter=3, at=at(7)))
    engine.handle(CloseCounter(counter=3, at=at(8)))
    tid = issue(engine, "ID", 9)
    engine.handle(CallNext(counter=1, at=at(10)))
    refused(engine, Transfer(counter=1, at=at(11), to_service="BANK"), NoOpenCounter)
    assert engine.tickets[tid].state is TicketState.CALLED


@pytest.mark.parametrize(("leaves", "back_to"), [(CloseCounter, None), (PauseCounter, 1)])
def test_return_trip_goes_to_the_counter_unless_it_closed_meanwhile(
    leaves: type[CloseCounter | PauseCounter], back_to: int | None
) -> None:
    """Rule R-7: counter 1 sent the citizen to pay, then took a break (it still waits for them)
    or closed (they go to the queue of ID, where counter 2 calls them)."""
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_service="BANK", return_to_me=True))
    engine.handle(leaves(counter=1, at=at(6)))
    engine.handle(CallNext(counter=3, at=at(7)))
    engine.handle(StartService(counter=3, at=at(7)))
    assert engine.handle(FinishService(counter=3, at=at(9))) == [
        TicketFinished(ticket=tid, number="A001", counter=3, at=at(9)),
        TicketTransferred(
            ticket=tid, number="A001", from_counter=3, to_service="ID", to_counter=back_to, at=at(9)
        ),
    ]
    ticket = engine.tickets[tid]
    assert (ticket.state, ticket.service, ticket.target_counter, ticket.return_to) == (W, "ID", back_to, None)
    if back_to is None:
        (called,) = engine.handle(CallNext(counter=2, at=at(10)))
        assert called.ticket == tid  # type: ignore[union-attr]
    else:
        refused(engine, CallNext(counter=2, at=at(10)), NothingToCall)


def test_ticket_waiting_for_a_named_counter_cannot_be_called_elsewhere_by_id() -> None:
    engine, tid = at_counter_1()
    engine.handle(Transfer(counter=1, at=at(5), to_counter=2))
    refused(engine, CallTicket(counter=1, ticket=tid, at=at(6)), InvalidTransition, "it waits for counter 2")
    engine.handle(CallTicket(counter=2, ticket=tid, at=at(6)))
    assert engine.tickets[tid].target_counter is None
