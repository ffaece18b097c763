"""The appointment lane on the reference center's days: booked citizens called at their slot."""

from __future__ import annotations

import random

import pytest

from server.center import Center
from server.simulate.bookings import GOAL_MIN, booking_figures, compare_lane
from server.simulate.run import center_setup, with_load
from server.simulate.workload import Punctuality, draw_citizens


def test_punctuality_maps_the_draws_to_early_on_time_late_and_never() -> None:
    p = Punctuality(early=0.5, on_time=0.25, late=0.15, never=0.1, early_min=(5.0, 30.0), late_max_min=20.0)
    assert p.arrival(600.0, 0.1, 0.0) == 595.0  # early, at least 5 minutes before
    assert p.arrival(600.0, 0.1, 1.0) == 570.0  # at most 30
    assert 597.0 <= (p.arrival(600.0, 0.6, 0.5) or 0.0) <= 602.0  # on time
    assert p.arrival(600.0, 0.8, 1.0) == 620.0  # late, up to 20 minutes
    assert p.arrival(600.0, 0.95, 0.5) is None  # never comes


def test_punctuality_leaves_the_walk_ins_of_the_day_alone(reference: Center) -> None:
    workload = center_setup(reference).workload
    plain = draw_citizens(workload, random.Random(7))
    booked = draw_citizens(workload, random.Random(7), Punctuality())
    assert [c for c in plain if c.appointment is None] == [c for c in booked if c.appointment is None]
    came = [c for c in booked if c.appointment is not None]
    assert came
    assert all(c.slot_min is not None and c.slot_min % 15 == 0 for c in came)
    assert len(came) < sum(c.appointment is not None for c in plain)  # some never came


@pytest.mark.parametrize("load", [1.0, 1.3])
def test_the_lane_calls_nine_booked_in_ten_within_five_minutes(reference: Center, load: float) -> None:
    setup = with_load(center_setup(reference), load)
    with_lane, without = compare_lane(setup, days=1, seed=3)
    assert with_lane.booked == without.booked > 100
    assert with_lane.in_lane > 0.85 * with_lane.booked
    assert without.in_lane == 0
    assert with_lane.within_goal >= 0.90
    assert with_lane.within_goal >= without.within_goal
    # What it costs walk-ins: bounded, not free.
    assert with_lane.walk_in_mean <= without.walk_in_mean + 1.5
    assert GOAL_MIN == 5.0


def test_figures_of_no_day_are_zero() -> None:
    figures = booking_figures([])
    assert (figures.booked, figures.within_goal, figures.walk_in_p90) == (0, 0.0, 0.0)
