"""The day, numbering, refusing tickets, the wait estimate and the read-only views."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from server.queue import (
    CallNext,
    CancelTicket,
    CloseDay,
    CounterDef,
    CounterState,
    DayClosed,
    DayOpened,
    Estimate,
    FinishService,
    Hall,
    InvalidTransition,
    IssueTicket,
    KeepDay,
    OpenCounter,
    OpenDay,
    PauseCounter,
    Priority,
    QueueEngine,
    QueueStat,
    QueueView,
    ServiceCode,
    ServiceDef,
    ServiceUnavailable,
    StartService,
    TicketIssued,
    TicketState,
    Transfer,
    UnknownService,
    display_number,
)

from .builders import BAKU, DAY, SERVICES, at, fingerprint, issue, make_hall, open_engine, refused, replay

ELDERLY = Priority.ELDERLY


def no_wait(view: QueueView, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
    return Estimate(ahead=0, low_min=0.0, est_min=0.0, high_min=0.0)


# --- the day --------------------------------------------------------------------------


def test_new_engine_has_no_day() -> None:
    engine = QueueEngine(make_hall())
    assert (engine.day, engine.is_open, len(engine.tickets)) == (None, False, 0)
    assert all(c.state is CounterState.CLOSED for c in engine.counters.values())


def test_open_day_while_one_is_open_is_refused() -> None:
    engine = open_engine()
    refused(
        engine,
        OpenDay(day=DAY + timedelta(days=1), at=at(1)),
        InvalidTransition,
        "still open; close it first",
    )


def test_a_day_cannot_be_opened_twice() -> None:
    """Numbers restart with a day, so opening it again would reuse ticket ids."""
    engine = open_engine()
    engine.handle(CloseDay(at=at(600)))
    refused(engine, OpenDay(day=DAY, at=at(601)), InvalidTransition, "days only go forward")
    refused(engine, OpenDay(day=date(2026, 1, 1), at=at(601)), InvalidTransition)


def test_next_day_starts_afresh() -> None:
    engine = open_engine()
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(1)))
    engine.handle(FinishService(counter=1, at=at(2)))
    engine.handle(CloseDay(at=at(600)))
    tomorrow = DAY + timedelta(days=1)
    engine.handle(OpenDay(day=tomorrow, at=at(24 * 60)))
    assert (engine.day, engine.is_open, len(engine.tickets)) == (tomorrow, True, 0)
    status = engine.counters[1]
    assert (status.state, status.served, status.operator, status.since) == (
        CounterState.CLOSED,
        0,
        None,
        at(1440),
    )
    engine.handle(OpenCounter(counter=1, at=at(1441)))
    assert issue(engine, "ID", 1441) == "20261124-A001"


# --- the day's clock: KeepDay ---------------------------------------------------------

WEEKDAYS = frozenset(range(5))
"""Monday to Friday; DAY (2026-11-23) is a Monday."""


def clock(day: date, hour: int, minute: int = 0) -> KeepDay:
    return KeepDay(at=datetime(day.year, day.month, day.day, hour, minute, tzinfo=BAKU))


def hours_engine() -> QueueEngine:
    """Open 09:00-19:00, Monday to Friday; no day opened yet."""
    return QueueEngine(make_hall(days=WEEKDAYS))


def test_the_day_opens_by_itself_an_hour_before_opening_time() -> None:
    engine = hours_engine()
    assert engine.handle(clock(DAY, 7, 59)) == []
    assert engine.handle(clock(DAY, 8)) == [DayOpened(day=DAY, at=clock(DAY, 8).at)]
    assert (engine.day, engine.is_open) == (DAY, True)
    assert engine.handle(clock(DAY, 12)) == []


def test_the_day_closes_by_itself_two_hours_after_closing_time() -> None:
    """Whoever still waits then ends as "not served, center closed"; the day is not opened again."""
    engine = hours_engine()
    engine.handle(clock(DAY, 8))
    waiting = issue(engine, "TAX", 60)
    assert engine.handle(clock(DAY, 20, 59)) == []
    assert engine.handle(clock(DAY, 21)) == [DayClosed(at=clock(DAY, 21).at, unserved=(waiting,))]
    assert engine.tickets[waiting].state is TicketState.CLOSED_UNSERVED
    assert engine.handle(clock(DAY, 21, 30)) == []
    assert engine.handle(clock(DAY, 23, 59)) == []
    assert not engine.is_open


def test_no_day_opens_by_itself_on_a_day_off() -> None:
    engine = hours_engine()
    saturday = DAY + timedelta(days=5)
    assert engine.handle(clock(saturday, 10)) == []
    assert not engine.is_open
    monday = DAY + timedelta(days=7)
    assert engine.handle(clock(monday, 8, 30)) == [DayOpened(day=monday, at=clock(monday, 8, 30).at)]


def test_a_day_left_open_overnight_is_closed_and_the_new_one_opened() -> None:
    """The server was down at night: the next morning's tick closes yesterday and opens today."""
    engine = hours_engine()
    log = engine.handle(clock(DAY, 8))
    log += engine.handle(OpenCounter(counter=1, at=clock(DAY, 8).at, operator="op1"))
    tomorrow = DAY + timedelta(days=1)
    events = engine.handle(clock(tomorrow, 9))
    assert events == [DayClosed(at=clock(tomorrow, 9).at), DayOpened(day=tomorrow, at=clock(tomorrow, 9).at)]
    assert (engine.day, engine.is_open, engine.counters[1].operator) == (tomorrow, True, None)
    assert fingerprint(replay(engine.hall, log + events)) == fingerprint(engine)


def test_a_day_still_open_after_midnight_closes_before_the_next_opening() -> None:
    engine = hours_engine()
    engine.handle(clock(DAY, 8))
    tomorrow = DAY + timedelta(days=1)
    assert engine.handle(clock(tomorrow, 3)) == [DayClosed(at=clock(tomorrow, 3).at)]
    assert engine.handle(clock(tomorrow, 7)) == []
    assert engine.handle(clock(tomorrow, 8))[0] == DayOpened(day=tomorrow, at=clock(tomorrow, 8).at)


def test_a_day_opened_by_hand_on_a_day_off_closes_by_the_hours() -> None:
    engine = hours_engine()
    sunday = DAY - timedelta(days=1)
    engine.handle(OpenDay(day=sunday, at=clock(sunday, 10).at))
    assert engine.handle(clock(sunday, 12)) == []
    assert engine.handle(clock(sunday, 21)) == [DayClosed(at=clock(sunday, 21).at)]
    assert engine.handle(clock(sunday, 22)) == []


def test_the_clock_never_opens_a_day_again_or_goes_back() -> None:
    """A day closed by hand stays closed; a clock set back opens no earlier day."""
    engine = hours_engine()
    engine.handle(clock(DAY, 8))
    engine.handle(CloseDay(at=clock(DAY, 15).at))
    assert engine.handle(clock(DAY, 16)) == []
    yesterday = DAY - timedelta(days=1)
    assert engine.handle(clock(yesterday - timedelta(days=3), 10)) == []
    assert (engine.day, engine.is_open) == (DAY, False)


# --- numbering ------------------------------------------------------------------------


def test_services_of_one_prefix_share_a_sequence() -> None:
    engine = open_engine()
    numbers = [
        engine.tickets[issue(engine, s, 0)].number for s in ("ID", "PASS", "BANK", "ID", "TAX", "BANK")
    ]
    assert numbers == ["A001", "A002", "B001", "A003", "C001", "B002"]


def test_numbers_are_never_reused_within_a_day() -> None:
    engine = open_engine()
    engine.handle(CancelTicket(ticket=issue(engine, "ID", 0), at=at(1)))
    assert issue(engine, "ID", 2) == "20261123-A002"


def test_numbers_continue_past_999_with_more_digits() -> None:
    """A large hall never refuses a citizen for lack of numbers: B999 is followed by B1000."""
    engine = QueueEngine(make_hall(), estimator=no_wait)
    engine.handle(OpenDay(day=DAY, at=at(0)))
    events = [e for _ in range(10_001) for e in engine.handle(IssueTicket(service="BANK", at=at(0)))]
    numbers = [e.number for e in events if isinstance(e, TicketIssued)]
    assert numbers[:2] == ["B001", "B002"]
    assert numbers[998:1001] == ["B999", "B1000", "B1001"]
    assert numbers[9998:] == ["B9999", "B10000", "B10001"]
    assert engine.tickets["20261123-B1000"].number == "B1000"
    assert len(set(numbers)) == len(numbers)
    assert issue(engine, "ID", 1) == "20261123-A001"
    # A replayed log carries on from the largest number, past 999 too.
    again = QueueEngine(engine.hall, estimator=no_wait)
    for event in [DayOpened(day=DAY, at=at(0)), *events]:
        again.apply(event)
    assert again.handle(IssueTicket(service="BANK", at=at(2)))[0].number == "B10002"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("prefix", "number", "shown"), [("A", 1, "A001"), ("DN", 999, "DN999"), ("A", 1000, "A1000")]
)
def test_display_number_has_at_least_three_digits(prefix: str, number: int, shown: str) -> None:
    assert display_number(prefix, number) == shown


@pytest.mark.parametrize("prefix", ["K2", "a", "Ə", ""])
def test_a_prefix_other_than_latin_capitals_is_refused(prefix: str) -> None:
    services = {**SERVICES, "BANK": ServiceDef("BANK", "BANK", prefix, 3.0)}
    with pytest.raises(ValueError, match="must be Latin capitals"):
        QueueEngine(dataclasses.replace(make_hall(), services=services))


# --- refusing tickets -----------------------------------------------------------------


def test_service_without_counters_is_closed() -> None:
    services = {**SERVICES, "GUN": ServiceDef("GUN", "DIN", "A", 5.0)}
    engine = open_engine(dataclasses.replace(make_hall(), services=services))
    error = refused(
        engine, IssueTicket(service="GUN", at=at(0)), ServiceUnavailable, "no counter in this hall"
    )
    assert error.details["reason"] == "closed"


def test_no_ticket_after_closing_time() -> None:
    engine = open_engine()
    closing = datetime(2026, 11, 23, 19, 0, tzinfo=BAKU)
    error = refused(
        engine, IssueTicket(service="BANK", at=closing), ServiceUnavailable, "the hall closes at 19:00"
    )
    assert error.details["reason"] == "closed"


def test_ticket_is_refused_when_the_wait_would_end_after_the_last_service_time() -> None:
    engine = open_engine(make_hall(last_ticket_margin_min=30.0))
    # 18:20 + 6 min (TAX, nobody ahead, one counter) = 18:26 <= 18:30: accepted.
    issue(engine, "TAX", 9 * 60 + 20)
    # 18:20 + 12 min = 18:32 > 18:30: refused.
    error = refused(
        engine, IssueTicket(service="TAX", at=at(9 * 60 + 20)), ServiceUnavailable, "estimated wait"
    )
    assert error.details["reason"] == "full"


def test_tickets_are_issued_before_opening_time() -> None:
    engine = open_engine(counters=())
    assert issue(engine, "ID", -30) == "20261123-A001"


# --- the estimate ---------------------------------------------------------------------


def test_estimate_counts_the_queue_ahead_of_the_new_ticket() -> None:
    engine = open_engine(counters=(1, 2))
    for m in range(3):
        issue(engine, "ID", m)
    issue(engine, "ID", 3, ELDERLY)
    # 4 ahead, ID takes 8 min, 2 counters open: (4 + 1) * 8 / 2 = 20.
    assert engine.estimate("ID", Priority.NONE, at(4)) == Estimate(
        ahead=4, low_min=14.0, est_min=20.0, high_min=26.0
    )
    # A priority ticket has only the other priority ticket ahead: 2 * 8 / 2 = 8.
    assert engine.estimate("ID", ELDERLY, at(4)).ahead == 1
    assert engine.estimate("ID", ELDERLY, at(4)).est_min == 8.0


def test_estimate_uses_configured_counters_before_any_opens() -> None:
    engine = open_engine(counters=())
    assert engine.estimate("ID", Priority.NONE, at(0)).est_min == 4.0
    engine.handle(OpenCounter(counter=1, at=at(0)))
    assert engine.estimate("ID", Priority.NONE, at(0)).est_min == 8.0
    engine.handle(PauseCounter(counter=1, at=at(0)))
    assert engine.estimate("ID", Priority.NONE, at(0)).est_min == 8.0


def test_estimate_counts_tickets_sent_to_a_named_counter() -> None:
    engine = open_engine(counters=(1, 4))
    issue(engine, "TAX", 0)
    engine.handle(CallNext(counter=4, at=at(1)))
    engine.handle(Transfer(counter=4, at=at(2), to_counter=1))
    assert engine.estimate("ID", Priority.NONE, at(3)).ahead == 1


def test_issued_ticket_carries_its_estimate() -> None:
    engine = open_engine(counters=(3,))
    issue(engine, "BANK", 0)
    (event,) = engine.handle(IssueTicket(service="BANK", at=at(1)))
    assert isinstance(event, TicketIssued)
    assert (event.ahead, event.wait_est_min) == (1, 6.0)
    assert event.wait_low_min == pytest.approx(4.2)
    assert event.wait_high_min == pytest.approx(7.8)


def test_estimate_of_unknown_service_is_refused() -> None:
    with pytest.raises(UnknownService):
        open_engine().estimate("NOPE", Priority.NONE, at(0))
    with pytest.raises(UnknownService):
        open_engine().waiting("NOPE")


# --- views ----------------------------------------------------------------------------


def test_queue_stats_count_every_waiting_citizen_with_their_first_arrival() -> None:
    engine = open_engine(counters=(1, 4))
    issue(engine, "TAX", 0)
    issue(engine, "ID", 5)
    engine.handle(CallNext(counter=4, at=at(6)))
    engine.handle(Transfer(counter=4, at=at(7), to_counter=1))
    stats = engine.queue_stats()
    assert stats["ID"] == QueueStat(waiting=2, oldest_issued_at=at(0))
    assert stats["TAX"] == QueueStat(waiting=0, oldest_issued_at=None)
    assert set(stats) == set(SERVICES)


def test_waiting_lists_named_counter_tickets_first() -> None:
    engine = open_engine(counters=(1, 4))
    issue(engine, "ID", 0)
    issue(engine, "TAX", 1)
    engine.handle(CallNext(counter=4, at=at(2)))
    engine.handle(Transfer(counter=4, at=at(3), to_counter=1))
    assert [t.number for t in engine.waiting("ID")] == ["C001", "A001"]


def test_callers_get_frozen_snapshots() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    before = engine.tickets[tid]
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.state = TicketState.DONE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        engine.counters[1].served = 5  # type: ignore[misc]
    tickets: Any = engine.tickets
    with pytest.raises(TypeError):
        tickets[tid] = before
    engine.handle(CallNext(counter=1, at=at(1)))
    assert before.state is TicketState.WAITING
    assert engine.tickets[tid].state is TicketState.CALLED
    assert list(engine.tickets) == [tid]
    assert len(engine.counters) == 4


def test_snapshot_is_cached_until_the_next_change() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    assert engine.tickets[tid] is engine.tickets[tid]
    assert engine.counters[1] is engine.counters[1]


def test_counter_figures_add_up_over_the_day() -> None:
    hall = Hall(services={"BANK": SERVICES["BANK"]}, counters={3: CounterDef(3, "z", {"BANK": 1.0})})
    engine = open_engine(hall, counters=(3,))
    for m in range(3):
        issue(engine, "BANK", m)
    for m in (10, 20):
        engine.handle(CallNext(counter=3, at=at(m)))
        engine.handle(StartService(counter=3, at=at(m + 1)))
        engine.handle(FinishService(counter=3, at=at(m + 4)))
    status = engine.counters[3]
    assert (status.served, status.service_seconds, status.no_shows) == (2, 360.0, 0)
