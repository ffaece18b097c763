"""Events for store tests, built through the codec from plain dicts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from wire.events import EVENT_TYPES, Event, TicketIssued, event_from_dict

BAKU = timezone(timedelta(hours=4))
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=BAKU)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


EVENT_DICTS: list[dict[str, Any]] = [
    {"type": "DayOpened", "day": "2026-11-22", "at": at(0)},
    {"type": "CounterOpened", "counter": 12, "at": at(1), "operator": "Əli Şükürov"},
    {
        "type": "TicketIssued",
        "ticket": "20261122-A015",
        "number": "A015",
        "service": "passport",
        "agency": "DMX",
        "at": at(2),
        "lang": "ru",
        "priority": "elderly",
        "source": "appointment",
        "appointment": "APT-77",
        "ahead": 4,
        "wait_low_min": 5.5,
        "wait_high_min": 12.25,
        "wait_est_min": 8.0,
    },
    {
        "type": "TicketIssued",
        "ticket": "20261122-B001",
        "number": "B001",
        "service": "notary",
        "agency": "ƏN",
        "at": at(2.5),
    },
    {
        "type": "TicketMoved",
        "ticket": "20261122-B001",
        "number": "B001",
        "from_service": "notary",
        "to_service": "notary-2",
        "at": at(2.75),
        "by": "Rəna Quliyeva",
    },
    {
        "type": "TicketCancelled",
        "ticket": "20261122-B001",
        "number": "B001",
        "at": at(3),
        "by": "Rəna Quliyeva",
    },
    {
        "type": "CounterServicesSet",
        "counter": 12,
        "services": ["passport", "notary"],
        "at": at(3.5),
        "by": "boss",
    },
    {
        "type": "HallMessageSet",
        "text": {"az": "Şənbə günü açığıq", "ru": "В субботу открыто", "en": "Open on Saturday"},
        "at": at(3.75),
        "by": "boss",
    },
    {
        "type": "TicketCalled",
        "ticket": "20261122-A015",
        "number": "A015",
        "service": "passport",
        "counter": 12,
        "at": at(4),
    },
    {
        "type": "TicketRecalled",
        "ticket": "20261122-A015",
        "number": "A015",
        "counter": 12,
        "recalls": 1,
        "at": at(5),
    },
    {"type": "ServiceStarted", "ticket": "20261122-A015", "number": "A015", "counter": 12, "at": at(6)},
    {
        "type": "TicketTransferred",
        "ticket": "20261122-A015",
        "number": "A015",
        "from_counter": 12,
        "to_service": "tax",
        "at": at(7),
        "to_counter": 30,
        "return_to": 12,
    },
    {"type": "TicketParked", "ticket": "20261122-A015", "number": "A015", "counter": 30, "at": at(8)},
    {"type": "TicketFinished", "ticket": "20261122-A015", "number": "A015", "counter": 30, "at": at(9)},
    {
        "type": "VisitRated",
        "ticket": "20261122-A015",
        "number": "A015",
        "counter": 30,
        "service": "tax",
        "agency": "VN",
        "score": 2,
        "finished_at": at(9),
        "at": at(9.5),
        "operator": "Şəbnəm Əliyeva",
        "reasons": ["waited_too_long", "needed_documents"],
        "source": "phone",
    },
    {"type": "TicketNoShow", "ticket": "20261122-C002", "number": "C002", "counter": 12, "at": at(10)},
    {"type": "CounterPaused", "counter": 12, "at": at(11)},
    {"type": "CounterResumed", "counter": 12, "at": at(12)},
    {"type": "CounterClosed", "counter": 12, "at": at(13)},
    {"type": "DayClosed", "at": at(14), "unserved": ["20261122-C003", "20261122-C004"]},
    {
        "type": "BookingMade",
        "code": "48210937",
        "service": "tax",
        "slot_at": at(24 * 60 + 90),
        "at": at(15),
        "lang": "ru",
        "name": "Şəbnəm Əliyeva",
        "phone": "+994 50 123 45 67",
        "by": None,
    },
    {
        "type": "BookingMoved",
        "code": "48210937",
        "from_slot": at(24 * 60 + 90),
        "slot_at": at(24 * 60 + 60),
        "at": at(16),
        "by": "import",
    },
    {"type": "BookingCancelled", "code": "48210937", "at": at(17), "by": None},
    {"type": "BookingCheckedIn", "code": "11112222", "ticket": "20261123-A001", "at": at(24 * 60 + 50)},
    {
        "type": "BookingMissed",
        "code": "33334444",
        "service": "tax",
        "slot_at": at(24 * 60),
        "at": at(24 * 60 + 11),
    },
]

ALL_EVENTS: list[Event] = [event_from_dict(d) for d in EVENT_DICTS]
assert {type(e).__name__ for e in ALL_EVENTS} == set(EVENT_TYPES), "every event type is covered"


def issued(n: int) -> TicketIssued:
    """A distinct ticket-issued event, numbered ``n``."""
    return TicketIssued(
        ticket=f"20261122-A{n:04d}",
        number=f"A{n:03d}",
        service="passport",
        agency="DMX",
        at=T0 + timedelta(seconds=n),
    )
