"""Booked visits in the report's figures: checked in, missed, the wait after the slot (the
share called within 5 minutes) against the walk-ins' waits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from report.html import render
from report.periods import day
from report.text import Words
from server.center import Center
from server.queue import CallNext, CloseDay, FinishService, IssueTicket, KeepDay, StartService
from server.queue.commands import CheckIn, MakeBooking

from .helpers import MONDAY, Hall, small_center


def booking_center() -> Center:
    data = small_center().model_dump(mode="json")
    data["appointments"] = {
        "services": [{"service": "ID", "hours": "10:00-12:00", "slot_min": 15, "per_slot": 2}]
    }
    return Center.model_validate(data)


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = Hall(tmp_path / "center", booking_center())
    yield h
    h.close()


def serve(hall: Hall, counter: int, minute: float) -> str:
    (called,) = hall(CallNext(counter=counter, at=hall.at(minute)))
    hall(StartService(counter=counter, at=hall.at(minute + 0.5)))
    hall(FinishService(counter=counter, at=hall.at(minute + 1)))
    return called.number  # type: ignore[union-attr]


def test_booked_visits_against_walk_ins(hall: Hall) -> None:
    hall.open_day(MONDAY, counters=(1, 2))
    for code, slot in (("10000001", 60), ("10000002", 60), ("10000003", 75), ("10000004", 90)):
        hall(MakeBooking(code=code, service="ID", slot_at=hall.at(slot), at=hall.at(0)))
    hall(IssueTicket(service="ID", at=hall.at(50)))  # A001, a walk-in
    hall(CheckIn(code="10000001", at=hall.at(50)))
    hall(CheckIn(code="10000002", at=hall.at(55)))
    assert serve(hall, 1, 51) == "A001"  # the walk-in waited 1 minute; no slot had come
    assert serve(hall, 1, 62) == "A002"  # 2 minutes after the slot
    assert serve(hall, 2, 70) == "A003"  # 10 minutes after it
    hall(CheckIn(code="10000003", at=hall.at(80)))  # late in the window: waited for from here
    assert serve(hall, 1, 81) == "A004"  # 1 minute
    assert [type(e).__name__ for e in hall(KeepDay(at=hall.at(101)))] == ["BookingMissed"]
    hall(CloseDay(at=hall.at(600)))

    report = hall.report(day(MONDAY))
    center, *services = report.figures.booked
    assert (center.key, center.booked, center.checked_in, center.missed) == ("", 4, 3, 1)
    assert center.after_slot_counted == 3
    assert center.after_slot_mean == pytest.approx(13 / 3)
    assert (center.after_slot_within, center.after_slot_within_share) == (2, pytest.approx(2 / 3))
    assert (center.walk_ins, center.walk_in_wait_mean, center.walk_in_within_share) == (1, 1.0, 1.0)
    assert [(s.key, s.booked, s.missed) for s in services] == [("ID", 4, 1)]

    html = render(report, Words("en", hall.center))
    assert "Booked visits" in html
    assert "66.7%" in html


def test_a_day_without_bookings_shows_walk_ins_only(hall: Hall) -> None:
    hall.open_day(MONDAY, counters=(1,))
    hall(IssueTicket(service="ID", at=hall.at(0)))
    serve(hall, 1, 3)
    hall(CloseDay(at=hall.at(600)))
    report = hall.report(day(MONDAY))
    (center,) = report.figures.booked
    assert (center.booked, center.after_slot_within_share, center.walk_ins) == (0, None, 1)
    assert "Booked visits" not in render(report, Words("en", hall.center))
