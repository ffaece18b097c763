"""The simulator against Erlang C: M/M/c set-ups, driven through the real engine.

How many citizens make a 3 % bound fair? Waits in a queue near saturation are
strongly correlated from one citizen to the next, so a sample is worth far fewer
independent draws than its size. Measured with independent days (docs/simulation.md):
for one percent of standard error,

* P(wait) at c = 10, 9 Erlangs needs about 330,000 citizens;
* the mean wait there needs about 8 million (out of reach of a unit test);
* the mean wait at c = 2, 1 Erlang needs about 250,000.

Within a minute of test time the samples are 184,000 citizens at c = 10 / 9 Erlangs
and 120,000 at c = 2 / 1 Erlang. So P(wait) is held to 3 % in both (2.3 and 4
standard errors), the mean wait to 5 % at c = 2 (3.4 standard errors) and to 8 % at
c = 10 / 9 Erlangs (2.3 standard errors). A single routing or time-keeping mistake
(a counter lost, a citizen called out of turn, service time counted twice) moves
these figures by far more.
"""

from __future__ import annotations

import random

import pytest

from server.queue import QueueEngine
from server.simulate.day import TicketOutcome
from server.simulate.theory import erlang_c, erlang_c_mean_wait, pooled_hall, run_pooled

from .conftest import MEAN_SERVICE

pytestmark = pytest.mark.slow


def waits(tickets: list[TicketOutcome]) -> list[float]:
    out = [t.wait for t in tickets if t.wait is not None]
    assert len(out) == len(tickets), "every citizen of an M/M/c day is served"
    return out


def test_erlang_c_reference_values() -> None:
    assert erlang_c(10, 9.0) == pytest.approx(0.6687, abs=5e-5)
    assert erlang_c_mean_wait(10, 9.0, 1.0) == pytest.approx(0.6687, abs=5e-5)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(3, 3.0)


@pytest.mark.xdist_group("mmc9")
def test_c10_load9_probability_of_waiting_and_mean_wait(mmc9: list[TicketOutcome]) -> None:
    w = waits(mmc9)
    assert len(w) > 170_000
    p_wait = sum(1 for x in w if x > 0) / len(w)
    mean = sum(w) / len(w)
    assert p_wait == pytest.approx(0.6687, rel=0.03)
    assert mean == pytest.approx(0.6687 * MEAN_SERVICE, rel=0.08)


@pytest.mark.xdist_group("mmc2")
def test_c2_load1_probability_of_waiting_and_mean_wait() -> None:
    mean_service = 0.5  # more citizens per simulated day: fewer days to open and close
    hall = pooled_hall(2, mean_service, lanes=4)
    rate = 1.0 / mean_service
    tickets = run_pooled(
        hall, lambda _t: rate, rate, 50, random.Random(7), engine=QueueEngine(hall), warmup_min=60.0
    )
    w = waits(tickets)
    assert len(w) > 115_000
    p_wait = sum(1 for x in w if x > 0) / len(w)
    assert p_wait == pytest.approx(erlang_c(2, 1.0), rel=0.03)
    assert sum(w) / len(w) == pytest.approx(erlang_c_mean_wait(2, 1.0, mean_service), rel=0.05)
