"""The simulator against Erlang C, with the standard error of every figure (several minutes).

First the runs tests/simulate/test_erlang.py makes (same set-ups, days and seeds), then the
same c = 10, 9 Erlangs set-up for millions of citizens, through the real engine: the unit
tests can only afford a sample that holds the mean wait to 8 %, this one to well under 1 %.
Waits near saturation are strongly correlated, so a figure's standard error comes from the
spread of independent days (batch means), not from the number of citizens.
"""

from __future__ import annotations

import functools
import os
import random
import time

from server.queue import QueueEngine
from server.simulate.day import TicketOutcome
from server.simulate.theory import batch_mean, erlang_c, erlang_c_mean_wait, pooled_hall, run_pooled_days

DAYS = int(os.environ.get("NOVBE_ERLANG_DAYS", "400"))

RUNS = (
    # (label, servers, Erlangs, mean service, lanes, days, seed, warm-up): the tests' runs, then the long one.
    ("test: c = 10, 9 Erlangs", 10, 9.0, 2.0, 8, 40, 20261123, 240.0),
    ("test: c = 2, 1 Erlang", 2, 1.0, 0.5, 4, 50, 7, 60.0),
    ("long: c = 10, 9 Erlangs", 10, 9.0, 2.0, 8, DAYS, 11, 240.0),
)


def steady(rate: float, _minute: float) -> float:
    return rate


def waits(day: list[TicketOutcome]) -> list[float]:
    return [t.wait for t in day if t.wait is not None]


def main() -> None:
    for label, servers, load, mean_service, lanes, days, seed, warmup in RUNS:
        hall = pooled_hall(servers, mean_service, lanes=lanes)
        rate = load / mean_service
        started = time.perf_counter()
        per_day = [
            waits(day)
            for day in run_pooled_days(
                hall,
                functools.partial(steady, rate),
                rate,
                days,
                random.Random(seed),
                engine=QueueEngine(hall),
                warmup_min=warmup,
            )
        ]
        p_wait, p_se = batch_mean([[1.0 if w > 0 else 0.0 for w in day] for day in per_day])
        mean, mean_se = batch_mean(per_day)
        theory_p = erlang_c(servers, load)
        theory_w = erlang_c_mean_wait(servers, load, mean_service)
        print(
            f"   {label}: {sum(len(d) for d in per_day):,} citizens over {days} days, seed {seed} "
            f"({time.perf_counter() - started:.0f} s)"
        )
        print(
            f"     P(wait): {p_wait:.4f} +- {p_se:.4f} vs Erlang C {theory_p:.4f} "
            f"({(p_wait / theory_p - 1) * 100:+.2f}%, s.e. {100 * p_se / theory_p:.2f}%)"
        )
        print(
            f"     mean wait: {mean:.4f} +- {mean_se:.4f} min vs Erlang C {theory_w:.4f} min "
            f"({(mean / theory_w - 1) * 100:+.2f}%, s.e. {100 * mean_se / theory_w:.2f}%)"
        )
