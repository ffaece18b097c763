"""Where the small center's waits above the printed range come from (about 10 s).

Runs docs/prediction.md's "small center" for its full days with seeds 1 to
``NOVBE_NOISE_SEEDS`` (8) and prints, per seed, the share of waits above the range for the
tickets issued while the single counters' breaks are due (12:00 to 14:00) and for the rest
of the day, then the means.
"""

from __future__ import annotations

import os
import statistics

from server.simulate.day import TicketOutcome
from server.simulate.matrix import CASES

SEEDS = int(os.environ.get("NOVBE_NOISE_SEEDS", "8"))
CASE = "small center"
BREAKS_DUE = (12 * 60.0, 14 * 60.0)
"""Minutes after midnight: the single counters' breaks are due from the window's start."""


def _above(tickets: list[TicketOutcome]) -> float:
    return sum(1 for t in tickets if t.wait is not None and t.wait > t.high) / len(tickets)


def main() -> None:
    case = next(c for c in CASES if c.name == CASE)
    first, last = BREAKS_DUE
    due: list[float] = []
    rest: list[float] = []
    print(f"   {CASE}, {case.days} days a seed: share of waits above the range\n")
    print("| seed | all | issued 12:00-14:00 | issued at other times |")
    print("|---:|---:|---:|---:|")
    for seed in range(1, SEEDS + 1):
        waited = [t for t in case.tickets(case.days, seed) if t.wait is not None and t.wait > 0]
        inside = [t for t in waited if first <= t.issued_min < last]
        outside = [t for t in waited if not first <= t.issued_min < last]
        due.append(_above(inside))
        rest.append(_above(outside))
        print(f"| {seed} | {100 * _above(waited):.1f}% | {100 * due[-1]:.1f}% | {100 * rest[-1]:.1f}% |")
    print(f"| mean | | {100 * statistics.mean(due):.1f}% | {100 * statistics.mean(rest):.1f}% |")
