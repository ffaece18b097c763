"""The center file's bookings: checked like the rest, and what the engine gets of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

from server.center import format_center_data, load_center
from server.queue import Bookings
from server.queue.hall import SlotHours

from .conftest import EXAMPLE

Refuse = Callable[[dict[str, Any]], list[str]]


def test_the_example_books_din_id_and_reserves_counter_3() -> None:
    center = load_center(EXAMPLE)
    (hours,) = center.appointments.services
    assert hours.service == "DIN-ID"
    starts = hours.slot_starts()
    assert (starts[0], starts[-1], len(starts)) == (time(9, 0), time(12, 45), 16)
    hall = center.to_hall()
    assert hall.counters[3].reserved == ((540.0, 660.0),)
    assert hall.counters[1].reserved == ()
    assert hall.bookings == Bookings(
        before_min=30.0,
        after_min=10.0,
        hold_max_min=15.0,
        in_a_row=2,
        promise_min=5.0,
        slots=(SlotHours("DIN-ID", start_min=540, end_min=780, slot_min=15, per_slot=2),),
    )
    # The engine's slots are the center file's.
    assert [time(m // 60, m % 60) for m in hall.bookings.slots[0].slot_starts()] == starts


def test_a_booking_of_an_unknown_service_is_refused(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["appointments"]["services"][0]["service"] = "DIN-IDD"
    assert refuse(example_raw) == [
        'appointments.services[0]: service "DIN-IDD" is not defined (did you mean "DIN-ID"?)'
    ]


def test_overlapping_booking_hours_are_refused(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["appointments"]["services"].append({"service": "DIN-ID", "hours": "12:00-14:00"})
    (line,) = refuse(example_raw)
    assert "the booking hours 09:00-13:00 and 12:00-14:00 of DIN-ID overlap" in line


def test_a_reserved_period_past_midnight_is_refused(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["counters"][2]["reserved"] = ["22:00-02:00"]
    (line,) = refuse(example_raw)
    assert "reserved period 22:00-02:00 ends before it starts" in line


def test_a_center_without_bookings_has_the_default_rules(example_raw: dict[str, Any], tmp_path: Path) -> None:
    del example_raw["appointments"]
    path = tmp_path / "center.toml"
    path.write_text(format_center_data(example_raw), encoding="utf-8")
    center = load_center(path)
    assert center.appointments.services == []
    assert center.to_hall().bookings == Bookings()
