"""Small builders for the engine tests: a hall, times, an engine with an open day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from server.queue import (
    Command,
    CounterDef,
    Event,
    Hall,
    IssueTicket,
    OpenCounter,
    OpenDay,
    Priority,
    QueueEngine,
    QueueError,
    RoutingPolicy,
    ServiceDef,
    TicketId,
    TicketIssued,
)

BAKU = timezone(timedelta(hours=4))
DAY = date(2026, 11, 23)
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=BAKU)


def at(minutes: float) -> datetime:
    """Return the moment ``minutes`` after 09:00 on the test day, Baku time."""
    return NINE + timedelta(minutes=minutes)


SERVICES = {
    "ID": ServiceDef("ID", "DIN", "A", 8.0),
    "PASS": ServiceDef("PASS", "DIN", "A", 10.0),
    "BANK": ServiceDef("BANK", "BANK", "B", 3.0),
    "TAX": ServiceDef("TAX", "TAX", "C", 6.0),
}


def make_hall(policy: RoutingPolicy | None = None, **kwargs: Any) -> Hall:
    """Counters 1 and 2 serve ID and PASS; 3 serves BANK; 4 serves TAX."""
    policy = policy or RoutingPolicy()
    counters = {
        1: CounterDef(1, "floor-1", {"ID": 1.0, "PASS": 1.0}, policy, "DIN"),
        2: CounterDef(2, "floor-1", {"ID": 1.0, "PASS": 1.0}, policy, "DIN"),
        3: CounterDef(3, "floor-1", {"BANK": 1.0}, policy, "BANK"),
        4: CounterDef(4, "floor-2", {"TAX": 1.0}, policy, "TAX"),
    }
    return Hall(services=dict(SERVICES), counters=counters, **kwargs)


def one_counter_hall(policy: RoutingPolicy, services: dict[str, float] | None = None) -> Hall:
    """One counter (1) with ``services`` (code -> weight), in that order, and the given policy."""
    services = services or {"ID": 1.0, "PASS": 1.0}
    return Hall(
        services={code: SERVICES[code] for code in services},
        counters={1: CounterDef(1, "floor-1", services, policy)},
    )


def open_engine(hall: Hall | None = None, counters: tuple[int, ...] = (1, 2, 3, 4)) -> QueueEngine:
    """Return an engine with the test day open and ``counters`` open (minute -60)."""
    engine = QueueEngine(hall or make_hall())
    engine.handle(OpenDay(day=DAY, at=at(-60)))
    for no in counters:
        engine.handle(OpenCounter(counter=no, at=at(-60), operator=f"op{no}"))
    return engine


def issue(engine: QueueEngine, service: str, minute: float, priority: Priority = Priority.NONE) -> TicketId:
    """Issue a ticket and return its id."""
    (event,) = engine.handle(IssueTicket(service=service, at=at(minute), priority=priority))
    assert isinstance(event, TicketIssued)
    return event.ticket


def fingerprint(engine: QueueEngine) -> tuple[Any, ...]:
    """Everything that makes up the engine's state, as comparable values."""
    records = engine._tickets
    return (
        engine.day,
        engine.is_open,
        {tid: (t, records[tid].return_service, records[tid].seq) for tid, t in engine.tickets.items()},
        dict(engine.counters),
        dict(engine._last_number),
        engine._seq,
        {
            code: ([t.id for t in q.prio], [t.id for t in q.normal], [t.id for t in q.booked])
            for code, q in engine._queues.items()
        },
        {no: [t.id for t in lane] for no, lane in engine._named.items()},
        {code: [t.id for t in engine.waiting(code)] for code in engine.hall.services},
        dict(engine._last_visit),
        dict(engine._booked_run),
    )


def refused(
    engine: QueueEngine, command: Command, error: type[QueueError], match: str | None = None
) -> QueueError:
    """Assert that ``command`` raises ``error`` and leaves the engine unchanged."""
    before = fingerprint(engine)
    with pytest.raises(error, match=match) as info:
        engine.handle(command)
    assert fingerprint(engine) == before, f"{type(command).__name__} changed the engine though it was refused"
    return info.value


def replay(hall: Hall, events: list[Event]) -> QueueEngine:
    """Return a fresh engine that has applied ``events``."""
    engine = QueueEngine(hall)
    for event in events:
        engine.apply(event)
    return engine
