"""``init_center(always_open=True)``: the demo's and the tests' center works at any hour."""

from __future__ import annotations

from pathlib import Path

from server.center import DAYS, load_center
from server.center.provision import init_center


def test_always_open_center_is_open_every_day_all_day(tmp_path: Path) -> None:
    result = init_center(tmp_path, reference=None, demo=True, always_open=True)
    hours = load_center(result.center_path).hours
    assert (hours.open.strftime("%H:%M"), hours.close.strftime("%H:%M")) == ("00:00", "23:59")
    assert tuple(hours.days) == DAYS
    # The example's margin would refuse tickets from 23:44; open around the clock means any hour.
    assert result.center.rules.last_ticket_margin_min == 0.0
