"""Many days of one center: the loop behind ``novbe simulate`` and the benchmarks."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from server.center import Center, center_from_reference, load_center
from server.queue import Estimator, Hall, QueueEngine, queue_length_estimate
from server.queue.estimate import PoolEstimator

from .day import Behaviour, DayResult, service_pools, simulate_day
from .policies import with_policy
from .workload import Punctuality, Surge, Workload, draw_citizens, workload_from_center

FIRST_DAY = date(2026, 11, 23)
"""A Monday. Simulated days follow one another from here."""

ESTIMATORS = ("pool", "queue-length")


def read_center(path: Path) -> Center:
    """Read a reference center JSON (``*.json``) or a center.toml.

    Raises:
        ConfigError: The file can't be read or breaks a rule.
    """
    if path.suffix.lower() == ".json":
        return center_from_reference(json.loads(path.read_text(encoding="utf-8")), str(path))
    return load_center(path)


def make_estimator(name: str, workload: Workload) -> Estimator:
    """``pool`` (:class:`PoolEstimator`, told the workload's service-time variability)
    or ``queue-length`` (the engine's default)."""
    if name == "queue-length":
        return queue_length_estimate
    if name == "pool":
        return PoolEstimator(service_cv=workload.service_cv)
    raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(ESTIMATORS)}")


def fixed_zone(zone: tzinfo, day: date) -> tzinfo:
    """The zone's UTC offset at noon of ``day``, as a fixed-offset zone.

    The engine needs aware times; a fixed offset makes them cheaper to compare and
    convert, and no time-zone change happens inside an opening day.
    """
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
    return timezone(offset or timedelta(0))


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything a run needs besides the number of days and the seed."""

    hall: Hall
    workload: Workload
    zone: tzinfo
    behaviour: Behaviour = field(default_factory=Behaviour)
    estimator: str = "pool"
    punctuality: Punctuality | None = None
    """Booked citizens come as this says, and check in with their slot; None: they come
    shortly before it and take a ticket as anyone (the simulator before bookings)."""


def center_setup(
    center: Center,
    *,
    policy: str = "center",
    behaviour: Behaviour | None = None,
    estimator: str = "pool",
    surges: Sequence[Surge] = (),
) -> Setup:
    """A :class:`Setup` for ``center`` with every counter on routing ``policy``, and
    ``surges`` added to the center's own."""
    behaviour = behaviour or Behaviour()
    hall = with_policy(center.to_hall(), policy)
    workload = workload_from_center(center, hall)
    if surges:
        workload = dataclasses.replace(workload, surges=(*workload.surges, *surges))
    return Setup(
        hall=hall,
        workload=workload,
        zone=fixed_zone(center.hours.tz, FIRST_DAY),
        behaviour=behaviour,
        estimator=estimator,
    )


def with_load(setup: Setup, load: float) -> Setup:
    """``setup`` with ``load`` times as many citizens a day (the same hall and habits)."""
    if load == 1.0:
        return setup
    workload = dataclasses.replace(setup.workload, tickets_per_day=setup.workload.tickets_per_day * load)
    return dataclasses.replace(setup, workload=workload)


def day_rng(seed: int, index: int) -> random.Random:
    """The random stream of day ``index`` of a run: the same citizens whatever the policy."""
    return random.Random(seed * 1_000_003 + index)


def run_days(
    setup: Setup,
    days: int,
    seed: int,
    *,
    progress: Callable[[int], None] | None = None,
    estimator: Estimator | None = None,
) -> list[DayResult]:
    """Simulate ``days`` days on one engine (days follow one another, as in a hall).

    ``estimator`` replaces the one ``setup`` names (to tell it something else than the truth).
    """
    workload = setup.workload
    engine = QueueEngine(setup.hall, estimator=estimator or make_estimator(setup.estimator, workload))
    pools = service_pools(setup.hall)
    results: list[DayResult] = []
    for index in range(days):
        citizens = draw_citizens(workload, day_rng(seed, index), setup.punctuality)
        results.append(
            simulate_day(
                engine,
                citizens,
                FIRST_DAY + timedelta(days=index),
                setup.zone,
                setup.behaviour,
                fee_service=workload.fee_service,
                pools=pools,
            )
        )
        if progress is not None:
            progress(1)
    return results
