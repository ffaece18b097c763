"""Where the small center's waits outside the printed range come from (about 20 s).

Runs docs/prediction.md's "small center" for its full days with seeds 1 to
``NOVBE_NOISE_SEEDS`` (8) and prints, per seed:

* the share of waits above the range for the tickets issued while the single counters'
  breaks are due (12:00 to 14:00) and for the rest of the day, and over the same days with
  no breaks;
* for the citizens whose counter is on a break ("its counter on a break"), the share inside
  the range of those first in line and of those with someone ahead of them; and the same
  for the citizens without a priority right with someone ahead of an open counter.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace

from server.simulate.day import TicketOutcome
from server.simulate.matrix import CASES, small_setup
from server.simulate.run import Setup

SEEDS = int(os.environ.get("NOVBE_NOISE_SEEDS", "8"))
CASE = "small center"
BREAKS_DUE = (12 * 60.0, 14 * 60.0)
"""Minutes after midnight: the single counters' breaks are due from the window's start."""


def _share(tickets: Sequence[TicketOutcome], hit: Callable[[TicketOutcome], bool]) -> float:
    return sum(1 for t in tickets if hit(t)) / len(tickets) if tickets else 0.0


def _above(t: TicketOutcome) -> bool:
    return t.wait is not None and t.wait > t.high


def _inside(t: TicketOutcome) -> bool:
    return t.wait is not None and t.low <= t.wait <= t.high


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _no_breaks() -> Setup:
    setup = small_setup()
    return replace(setup, behaviour=replace(setup.behaviour, breaks=False))


def main() -> None:
    case = next(c for c in CASES if c.name == CASE)
    without = replace(case, center=_no_breaks)
    first, last = BREAKS_DUE
    columns: dict[str, list[float]] = {}
    print(f"   {CASE}, {case.days} days a seed\n")
    print(
        "| seed | above: all | issued 12:00-14:00 | other times | all, no breaks | 12:00-14:00, no breaks "
        "| on a break, inside: all | first in line | someone ahead | above: someone ahead "
        "| open, someone ahead: inside | above |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for seed in range(1, SEEDS + 1):
        waited = [t for t in case.tickets(case.days, seed) if t.wait is not None and t.wait > 0]
        due = [t for t in waited if first <= t.issued_min < last]
        other = [t for t in waited if not first <= t.issued_min < last]
        calm = [t for t in without.tickets(case.days, seed) if t.wait is not None and t.wait > 0]
        away = [t for t in waited if t.staff_away]
        alone = [t for t in away if t.ahead == 0]
        behind = [t for t in away if t.ahead > 0]
        queued = [t for t in waited if not t.staff_away and not t.priority and t.ahead > 0]
        figures = {
            "all": _share(waited, _above),
            "due": _share(due, _above),
            "other": _share(other, _above),
            "calm": _share(calm, _above),
            "calm due": _share([t for t in calm if first <= t.issued_min < last], _above),
            "away": _share(away, _inside),
            "alone": _share(alone, _inside),
            "behind": _share(behind, _inside),
            "behind above": _share(behind, _above),
            "queued": _share(queued, _inside),
            "queued above": _share(queued, _above),
        }
        for key, value in figures.items():
            columns.setdefault(key, []).append(value)
        print(f"| {seed} | " + " | ".join(_pct(v) for v in figures.values()) + " |")
    print("| mean | " + " | ".join(_pct(statistics.mean(v)) for v in columns.values()) + " |")
