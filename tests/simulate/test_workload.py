"""What the simulated citizens bring: service-time distributions, surges of arrivals."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from server.center import Center
from server.simulate.run import center_setup, day_rng
from server.simulate.workload import (
    DISTRIBUTIONS,
    Surge,
    WorkloadError,
    draw_citizens,
    service_sampler,
)

DRAWS = 40_000


@pytest.mark.parametrize(
    ("distribution", "cv"),
    [
        ("lognormal", 0.3),
        ("lognormal", 2.0),
        ("gamma", 0.6),
        ("gamma", 1.5),
        ("hyperexponential", 1.5),
        ("hyperexponential", 2.0),
        ("exponential", 1.0),
    ],
)
def test_service_times_have_the_mean_and_spread_asked_for(distribution: str, cv: float) -> None:
    draw = service_sampler(distribution, cv, random.Random(4))
    xs = [draw(8.0) for _ in range(DRAWS)]
    mean = statistics.fmean(xs)
    sd = statistics.pstdev(xs)
    # The sample mean's standard error is cv x 8 / sqrt(DRAWS); four of them. The sample
    # standard deviation of heavy tails wanders more: 10 % at cv 2.
    assert mean == pytest.approx(8.0, abs=4 * cv * 8.0 / math.sqrt(DRAWS))
    assert sd / mean == pytest.approx(cv, rel=0.1 if cv > 1 else 0.03)
    assert min(xs) >= 0.0


def test_impossible_distributions_are_refused() -> None:
    with pytest.raises(WorkloadError, match="cv >= 1"):
        service_sampler("hyperexponential", 0.5, random.Random(1))
    with pytest.raises(WorkloadError, match="unknown service time distribution"):
        service_sampler("weibull", 1.0, random.Random(1))
    assert set(DISTRIBUTIONS) == {"lognormal", "gamma", "hyperexponential", "exponential"}


def test_a_lunch_hour_at_twice_the_rate(reference: Center) -> None:
    """The surge doubles the hour's arrivals and leaves the other hours exactly as they were."""
    setup = center_setup(reference)
    lunch = center_setup(reference, surges=[Surge(13 * 60.0, 14 * 60.0, 2.0)])
    plain = [c.arrive_min for d in range(8) for c in draw_citizens(setup.workload, day_rng(2, d))]
    surged = [c.arrive_min for d in range(8) for c in draw_citizens(lunch.workload, day_rng(2, d))]

    def count(arrivals: list[float], lo: float, hi: float) -> int:
        return sum(1 for t in arrivals if lo <= t < hi)

    at_lunch = count(plain, 780.0, 840.0)
    assert count(surged, 780.0, 840.0) == pytest.approx(2 * at_lunch, rel=4 / math.sqrt(at_lunch))
    assert count(surged, 540.0, 780.0) == count(plain, 540.0, 780.0)


def test_a_surge_inside_an_hour_thins_its_arrivals() -> None:
    """Half an hour at three times the rate: that half holds three quarters of the hour."""
    from server.simulate.workload import Workload

    workload = Workload(
        tickets_per_day=2_000.0,
        hourly={10: 1.0},
        service_share={"A": 1.0},
        mean_min={"A": 5.0},
        surges=(Surge(10 * 60.0, 10 * 60.0 + 30.0, 3.0),),
    )
    arrivals = [c.arrive_min for d in range(5) for c in draw_citizens(workload, random.Random(d))]
    first = sum(1 for t in arrivals if t < 630.0)
    assert len(arrivals) == pytest.approx(5 * 2_000 * 2.0, rel=0.03)
    assert first / len(arrivals) == pytest.approx(0.75, abs=0.015)


def test_a_surge_must_make_sense() -> None:
    with pytest.raises(WorkloadError, match="end after its start"):
        Surge(600.0, 540.0, 2.0)
