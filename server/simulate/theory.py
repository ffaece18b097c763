"""Queueing theory the simulator is checked against: Erlang C for M/M/c, and the
set-ups where it applies (one pooled queue, Poisson arrivals, exponential services)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import date, time, timedelta, timezone

from server.queue import CounterDef, Hall, Priority, QueueEngine, ServiceDef

from .day import Behaviour, TicketOutcome, simulate_day
from .workload import Citizen, service_sampler

THEORY_BEHAVIOUR = Behaviour(breaks=False, walk_min=0.0)
"""Counters that call the moment they are free and citizens who are there at once."""


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c with ``servers`` and offered ``load`` (Erlangs).

    Computed through the Erlang B recursion, which stays stable for hundreds of servers.

    Raises:
        ValueError: If the queue is unstable (``load >= servers``) or the arguments are not positive.
    """
    if servers < 1 or load <= 0:
        raise ValueError(f"need servers >= 1 and load > 0, got {servers} and {load}")
    if load >= servers:
        raise ValueError(f"unstable: load {load} >= {servers} servers")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    rho = load / servers
    return b / (1.0 - rho * (1.0 - b))


def erlang_c_mean_wait(servers: int, load: float, mean_service: float) -> float:
    """Mean wait in queue of M/M/c, in the unit of ``mean_service``."""
    return erlang_c(servers, load) * mean_service / (servers - load)


def erlang_c_wait_within(servers: int, load: float, mean_service: float, t: float) -> float:
    """P(wait <= t) in M/M/c, FCFS."""
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * t / mean_service)


# --- set-ups where theory knows the answer -----------------------------------------------

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def pooled_hall(servers: int, mean_service: float, *, lanes: int = len(LETTERS)) -> Hall:
    """One pooled queue served by ``servers`` identical counters, all day long.

    Ticket numbers have three digits per prefix, so the day's citizens are spread
    over ``lanes`` services of one agency, each with its own prefix; every counter
    serves all of them oldest first, which makes one first-come-first-served queue.
    """
    services = {
        f"S{x}": ServiceDef(code=f"S{x}", agency="POOL", prefix=x, mean_service_min=mean_service)
        for x in LETTERS[:lanes]
    }
    counters = {
        no: CounterDef(number=no, zone="hall", services=dict.fromkeys(services, 1.0), agency="POOL")
        for no in range(1, servers + 1)
    }
    return Hall(services=services, counters=counters, opens=time(0, 0), closes=time(23, 59))


def poisson_citizens(
    hall: Hall,
    rate: Callable[[float], float],
    rate_max: float,
    until_min: float,
    rng: random.Random,
    *,
    distribution: str = "exponential",
    cv: float = 1.0,
    priority_share: float = 0.0,
) -> list[Citizen]:
    """Poisson arrivals with intensity ``rate(minute)`` (at most ``rate_max``) from 00:00 to
    ``until_min``, by thinning; the services of ``hall`` in turn; service times of
    ``distribution`` with coefficient of variation ``cv`` (exponential by default); a
    ``priority_share`` of them with a priority right."""
    codes = list(hall.services)
    draw = service_sampler(distribution, cv, rng)
    citizens: list[Citizen] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate_max)
        if t >= until_min:
            return citizens
        if rng.random() * rate_max > rate(t):
            continue
        code = codes[len(citizens) % len(codes)]
        # Drawn only when asked for, so that set-ups without rights keep their random stream.
        right = Priority.ELDERLY if priority_share and rng.random() < priority_share else Priority.NONE
        citizens.append(
            Citizen(
                arrive_min=t,
                service=code,
                service_min=draw(hall.services[code].mean_service_min),
                priority=right,
            )
        )


def sinusoid(mean_rate: float, amplitude: float, period_min: float) -> Callable[[float], float]:
    """``mean_rate x (1 + amplitude x sin(2 pi t / period))``."""
    w = 2.0 * math.pi / period_min
    return lambda t: mean_rate * (1.0 + amplitude * math.sin(w * t))


def run_pooled(
    hall: Hall,
    rate: Callable[[float], float],
    rate_max: float,
    days: int,
    rng: random.Random,
    *,
    engine: QueueEngine,
    arrivals_until_min: float = 21 * 60.0,
    warmup_min: float = 240.0,
    distribution: str = "exponential",
    cv: float = 1.0,
    priority_share: float = 0.0,
    behaviour: Behaviour = THEORY_BEHAVIOUR,
) -> list[TicketOutcome]:
    """Simulate ``days`` of a :func:`pooled_hall` and return the tickets issued after the
    warm-up (each day starts empty; theory describes the steady state). Service times
    and priority rights as :func:`poisson_citizens` draws them."""
    return [
        t
        for day in run_pooled_days(
            hall,
            rate,
            rate_max,
            days,
            rng,
            engine=engine,
            arrivals_until_min=arrivals_until_min,
            warmup_min=warmup_min,
            distribution=distribution,
            cv=cv,
            priority_share=priority_share,
            behaviour=behaviour,
        )
        for t in day
    ]


def run_pooled_days(
    hall: Hall,
    rate: Callable[[float], float],
    rate_max: float,
    days: int,
    rng: random.Random,
    *,
    engine: QueueEngine,
    arrivals_until_min: float = 21 * 60.0,
    warmup_min: float = 240.0,
    distribution: str = "exponential",
    cv: float = 1.0,
    priority_share: float = 0.0,
    behaviour: Behaviour = THEORY_BEHAVIOUR,
) -> list[list[TicketOutcome]]:
    """:func:`run_pooled`, day by day: independent days give a figure's standard error."""
    zone = timezone(timedelta(hours=4))
    first = date(2026, 1, 5)
    out: list[list[TicketOutcome]] = []
    for index in range(days):
        citizens = poisson_citizens(
            hall,
            rate,
            rate_max,
            arrivals_until_min,
            rng,
            distribution=distribution,
            cv=cv,
            priority_share=priority_share,
        )
        result = simulate_day(engine, citizens, first + timedelta(days=index), zone, behaviour)
        out.append([t for t in result.tickets if t.issued_min >= warmup_min])
    return out


def batch_mean(days: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Return the mean of the values of all ``days`` and its standard error, from the
    spread of the days' own means (each weighted by its size): the values inside a day are
    correlated, the days are independent."""
    n = sum(len(d) for d in days)
    mean = sum(sum(d) for d in days) / n
    k = len(days)
    if k < 2:
        return mean, math.inf
    # Ratio estimator: var = k / (k - 1) x sum(n_d^2 (mean_d - mean)^2) / n^2.
    spread = sum(len(d) ** 2 * (sum(d) / len(d) - mean) ** 2 for d in days if d)
    return mean, math.sqrt(k / (k - 1) * spread) / n
