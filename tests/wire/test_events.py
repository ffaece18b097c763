"""The events' codec and the fields added after logs were first written."""

from __future__ import annotations

from datetime import UTC, datetime

from wire.events import TicketCalled, TicketRecalled, event_from_dict, event_to_dict

AT = datetime(2026, 11, 22, 5, 39, 35, tzinfo=UTC)


def test_a_call_logged_before_calls_carried_the_language_reads_as_unknown() -> None:
    """Logs written before ``lang`` was on the calls still replay: their calls have none."""
    old = {
        "type": "TicketCalled",
        "ticket": "20261122-A001",
        "number": "A001",
        "service": "DIN-ID",
        "counter": 1,
        "at": AT.isoformat(),
    }
    called = event_from_dict(old)
    assert isinstance(called, TicketCalled)
    assert called.lang is None
    old_recall = {k: v for k, v in old.items() if k != "service"} | {"type": "TicketRecalled", "recalls": 1}
    recalled = event_from_dict(old_recall)
    assert isinstance(recalled, TicketRecalled)
    assert recalled.lang is None


def test_a_call_carries_its_language_through_the_codec() -> None:
    called = TicketCalled(ticket="t", number="A001", service="DIN-ID", counter=1, at=AT, lang="ru")
    data = event_to_dict(called)
    assert data["lang"] == "ru"
    assert event_from_dict(data) == called
    recalled = TicketRecalled(ticket="t", number="A001", counter=1, recalls=2, at=AT, lang="en")
    assert event_from_dict(event_to_dict(recalled)) == recalled
