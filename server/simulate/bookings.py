"""What the appointment lane gives booked citizens and costs walk-ins, measured on whole days.

The same days (same citizens, same seed) are played twice: with the lane (booked citizens
check in with their slot, docs/routing.md) and without it (they take a ticket as anyone).
A booked citizen's wait counts from the slot, or from the check-in when they came after it;
the goal (the standard of Russia's MFC centers for booked visits) is 90% called within
5 minutes of that.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .day import DayResult, TicketOutcome
from .run import Setup, run_days
from .workload import Punctuality

GOAL_MIN = 5.0
"""A booked citizen should be called within this many minutes of the slot."""


@dataclass(frozen=True, slots=True)
class BookingFigures:
    """One run's booked and walk-in figures (minutes)."""

    booked: int
    """Booked citizens who came (in the lane, or with a walk-in ticket when outside the window)."""
    in_lane: int
    within_goal: float
    """Share of the booked called within ``GOAL_MIN`` of the slot (or of a late check-in);
    one never called counts as not within."""
    after_slot_p90: float
    after_slot_mean: float
    walk_ins: int
    walk_in_mean: float
    walk_in_p90: float
    walk_in_longest: float
    walk_in_unserved: int


def _p90(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def after_slot(t: TicketOutcome) -> float | None:
    """Minutes from the slot (or a later check-in) to the first call; None if never called."""
    assert t.slot is not None
    if t.wait is None:
        return None
    return max(0.0, t.issued_min + t.wait - max(t.slot, t.issued_min))


def booking_figures(days: Sequence[DayResult]) -> BookingFigures:
    tickets = [t for d in days for t in d.tickets]
    booked = [t for t in tickets if t.slot is not None]
    walk_ins = [t for t in tickets if t.slot is None and not t.no_show]
    afters = [after_slot(t) for t in booked]
    called = [a for a in afters if a is not None]
    waits = [t.wait for t in walk_ins if t.wait is not None]
    return BookingFigures(
        booked=len(booked),
        in_lane=sum(t.in_lane for t in booked),
        within_goal=sum(a <= GOAL_MIN for a in called) / len(booked) if booked else 0.0,
        after_slot_p90=_p90(sorted(called)),
        after_slot_mean=statistics.fmean(called) if called else 0.0,
        walk_ins=len(walk_ins),
        walk_in_mean=statistics.fmean(waits) if waits else 0.0,
        walk_in_p90=_p90(sorted(waits)),
        walk_in_longest=max(waits, default=0.0),
        walk_in_unserved=len(walk_ins) - len(waits),
    )


def compare_lane(
    setup: Setup,
    days: int,
    seed: int,
    punctuality: Punctuality | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[BookingFigures, BookingFigures]:
    """The same days with the appointment lane and without it: ``(with, without)``."""
    punctuality = punctuality or Punctuality()
    with_lane = dataclasses.replace(setup, punctuality=punctuality)
    without = dataclasses.replace(
        with_lane, behaviour=dataclasses.replace(setup.behaviour, booked_lane=False)
    )
    return (
        booking_figures(run_days(with_lane, days, seed, progress=progress)),
        booking_figures(run_days(without, days, seed, progress=progress)),
    )


def markdown(with_lane: BookingFigures, without: BookingFigures) -> str:
    """The comparison as the table in docs/routing.md."""
    rows = [
        ("booked citizens who came", f"{with_lane.booked}", f"{without.booked}"),
        ("... checked in inside the window", f"{with_lane.in_lane}", "-"),
        (
            f"booked called within {GOAL_MIN:.0f} min of the slot",
            f"{with_lane.within_goal:.1%}",
            f"{without.within_goal:.1%}",
        ),
        (
            "booked: wait after the slot, mean",
            f"{with_lane.after_slot_mean:.1f}",
            f"{without.after_slot_mean:.1f}",
        ),
        (
            "booked: wait after the slot, 90th pct",
            f"{with_lane.after_slot_p90:.1f}",
            f"{without.after_slot_p90:.1f}",
        ),
        ("walk-ins", f"{with_lane.walk_ins}", f"{without.walk_ins}"),
        ("walk-ins: wait, mean", f"{with_lane.walk_in_mean:.1f}", f"{without.walk_in_mean:.1f}"),
        ("walk-ins: wait, 90th pct", f"{with_lane.walk_in_p90:.1f}", f"{without.walk_in_p90:.1f}"),
        ("walk-ins: longest wait", f"{with_lane.walk_in_longest:.1f}", f"{without.walk_in_longest:.1f}"),
        ("walk-ins not served by closing", f"{with_lane.walk_in_unserved}", f"{without.walk_in_unserved}"),
    ]
    lines = ["| figure (minutes) | with the appointment lane | without (booked take a ticket as anyone) |"]
    lines.append("|---|---:|---:|")
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)
