"""The wait printed on the ticket against the actual wait, with the anchors of issue 7."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from server.center import Center
from server.queue import QueueEngine
from server.queue.estimate import PoolEstimator
from server.simulate.day import TicketOutcome
from server.simulate.predict import PREDICTORS, measure
from server.simulate.report import OVERALL, all_tickets
from server.simulate.run import center_setup, run_days
from server.simulate.theory import pooled_hall, run_pooled, sinusoid

from .conftest import MEAN_SERVICE

pytestmark = pytest.mark.slow


def check_range(tickets: list[TicketOutcome]) -> None:
    fit = measure(tickets).range_fit[OVERALL]
    assert 0.75 <= fit.inside <= 0.85, fit
    assert fit.above <= 0.10, fit
    assert fit.mean_width > 0


@pytest.mark.xdist_group("mmc9")
def test_pooled_queue_at_rho_09_is_near_optimal(mmc9: list[TicketOutcome]) -> None:
    """Queue-length predictor in M/M/c: RASE = 1 - rho = 0.10 (Ibrahim and Whitt)."""
    acc = measure(mmc9).accuracy[OVERALL]
    assert acc["est"].rase == pytest.approx(0.10, rel=0.10)
    assert abs(acc["est"].bias) <= 0.02
    # The history baselines are worse: they lag the queue.
    for name in ("les", "hol", "avg"):
        assert acc[name].rase > 1.5 * acc["est"].rase
    check_range(mmc9)


@pytest.mark.xdist_group("sinusoid")
def test_sinusoidal_arrivals() -> None:
    """10 counters, mean load 0.9, arrivals +-25 % as a sinusoid with a period of 60 mean
    service times: the estimate stays under 0.06 RASE while history drifts."""
    hall = pooled_hall(10, MEAN_SERVICE, lanes=8)
    rate = sinusoid(9.0 / MEAN_SERVICE, 0.25, 60 * MEAN_SERVICE)
    engine = QueueEngine(hall, estimator=PoolEstimator(service_cv=1.0))
    tickets = run_pooled(hall, rate, 1.25 * 9.0 / MEAN_SERVICE, 14, random.Random(60), engine=engine)
    acc = measure(tickets).accuracy[OVERALL]
    assert acc["est"].n > 40_000
    assert acc["est"].rase < 0.06
    assert abs(acc["est"].bias) <= 0.02
    for name in ("les", "hol", "avg"):
        assert acc[name].rase > 0.10
        assert acc[name].bias < -0.03
    check_range(tickets)


@pytest.mark.xdist_group("reference")
def test_reference_center_beats_every_baseline(reference: Center) -> None:
    """Hourly load changes, several services per counter, priorities, fee trips, breaks:
    at least 30 % less squared error than LES, HOL and the rolling average."""
    days = run_days(center_setup(reference), 6, 11)
    report = measure(all_tickets(days))
    acc = report.accuracy[OVERALL]
    assert acc["est"].n > 2_500
    best_baseline = min(acc[name].rase for name in PREDICTORS if name != "est")
    assert acc["est"].rase <= 0.7 * best_baseline, acc
    check_range(all_tickets(days))


def test_engine_default_estimator_is_what_the_baselines_beat(reference_path: Path, reference: Center) -> None:
    """The measurement can fail: the engine's per-service default does worse than the pool."""
    days = run_days(center_setup(reference, estimator="queue-length"), 2, 3)
    simple = measure(all_tickets(days)).accuracy[OVERALL]["est"]
    pooled = measure(all_tickets(run_days(center_setup(reference), 2, 3))).accuracy[OVERALL]["est"]
    assert pooled.rase < simple.rase
