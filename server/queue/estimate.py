"""Wait estimates for a new ticket: the figure printed on it and the "full" check.

An estimator is a function of a read-only :class:`QueueView` (:data:`Estimator`),
so that a better one, measured with the simulator, replaces it without touching
the engine: ``QueueEngine(hall, estimator=PoolEstimator())``.

Two are here:

* :func:`queue_length_estimate`, the engine's default: the service's own queue
  times its mean service time, shared among its counters.
* :class:`PoolEstimator`: the work ahead at the counters that serve the service
  (every service those counters share, not only this one), what the busy counters
  still have to do, and a calibrated range. See docs/prediction.md for the method
  and its measured accuracy.

An estimator object with a ``bind(view)`` method gets its own bound instance for
each engine (``QueueEngine`` calls it once); the bound instance may precompute
what it needs from the hall and read the engine's live state (``live_state()``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist
from typing import NamedTuple, Protocol

from wire.types import CounterNo, CounterState, Priority, PriorityMode, ServiceCode

from .hall import Hall
from .records import CounterRecord
from .routing import Lane, ServiceQueue

LOW_FACTOR = 0.7
HIGH_FACTOR = 1.3
"""The printed range around the point estimate. Service times in the reference
workload have a coefficient of variation of 0.6; +-30 % keeps most waits inside
the range at the queue lengths a hall sees, without printing a useless spread."""


@dataclass(frozen=True, slots=True)
class Estimate:
    ahead: int
    """Citizens expected to be called before this one."""
    low_min: float
    est_min: float
    high_min: float


class QueueView(Protocol):
    """What an estimator may look at. :class:`QueueEngine` provides it."""

    @property
    def hall(self) -> Hall: ...

    def ahead_of(self, service: ServiceCode, priority: Priority) -> int:
        """Return how many waiting tickets a new ticket would be called after."""
        ...

    def staffed(self, service: ServiceCode) -> int:
        """Return how many open or paused counters serve ``service``."""
        ...


Estimator = Callable[[QueueView, ServiceCode, Priority, datetime], Estimate]
"""``(view, service, priority, at) -> Estimate``."""


def queue_length_estimate(
    view: QueueView, service: ServiceCode, priority: Priority, at: datetime
) -> Estimate:
    """Estimate the wait as the work ahead shared among the counters.

    ``(ahead + 1) * mean_service_min / servers``, where ``servers`` counts the
    open or paused counters serving the service, or all configured ones while
    none is open (before the morning opening, tickets still get a figure).
    ``at`` is unused by this model.
    """
    hall = view.hall
    ahead = view.ahead_of(service, priority)
    servers = view.staffed(service) or sum(1 for c in hall.counters.values() if service in c.services)
    est = (ahead + 1) * hall.services[service].mean_service_min / max(1, servers)
    return Estimate(ahead=ahead, low_min=est * LOW_FACTOR, est_min=est, high_min=est * HIGH_FACTOR)


class LiveState(NamedTuple):
    """The engine's own structures, live (see ``QueueEngine.live_state``). Read, never change."""

    queues: Mapping[ServiceCode, ServiceQueue]
    named: Mapping[CounterNo, Lane]
    """Counter -> tickets sent to that counter by name (returning citizens among them)."""
    counters: Mapping[CounterNo, CounterRecord]


class LiveView(QueueView, Protocol):
    """A :class:`QueueView` that also lends its live state: what :class:`PoolEstimator` binds to."""

    def live_state(self) -> LiveState: ...


RETURN_SHARE = 0.5
"""The share of a service's mean time a citizen called back after a transfer (a
return from paying the fee) still needs: the errand was begun before."""

_FIRST_VISIT = 3
"""History entries of a ticket on its first visit: waiting, called, serving."""

_OPEN = CounterState.OPEN
_STRICT = PriorityMode.STRICT
_HEAD_START = PriorityMode.HEAD_START


@dataclass(frozen=True, slots=True)
class PoolEstimator:
    """The wait as the work ahead at the counters that will serve the ticket.

    Pass an instance to ``QueueEngine(hall, estimator=PoolEstimator(...))``; the
    engine binds it (:meth:`bind`) to itself. Stateless between calls: everything it
    uses is the engine's current state, so a replayed engine estimates alike.

    Args:
        service_cv: Coefficient of variation of service times (the center's workload
            says 0.6; 1.0 means exponential). It sets how much a busy counter still has
            to do.
        coverage: Share of actual waits the printed range is meant to hold.
        dispersion: Variance of the departures the ticket waits for, relative to the
            Poisson departures of exponential services; above 1 it covers what the model
            leaves out (arrivals with priority rights going ahead, returning citizens,
            breaks). Calibrated with the simulator (docs/prediction.md).
    """

    service_cv: float = 0.6
    coverage: float = 0.8
    dispersion: float = 1.3

    def bind(self, view: LiveView) -> Estimator:
        """Return an estimator for the engine ``view``, with the hall's pools precomputed."""
        return _BoundPool(self, view)

    def __call__(self, view: QueueView, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        # Unbound use (tests, tools): bind on the fly, if the view can lend its state.
        live = getattr(view, "live_state", None)
        if live is None:
            return queue_length_estimate(view, service, priority, at)
        return _BoundPool(self, view)(view, service, priority, at)  # type: ignore[arg-type]


class _Plan(NamedTuple):
    """What one service's estimate reads, resolved once per engine."""

    lanes: tuple[tuple[ServiceQueue, float, float], ...]
    """(queue, mean service minutes, share of its counters that also serve this service)
    for every service sharing a counter with this one, this one included."""
    desks: tuple[tuple[CounterRecord, Lane], ...]
    """The counters serving this service, with their named lanes."""
    mode: PriorityMode
    head_start_s: float
    mean: float
    configured: int


class _BoundPool:
    """:class:`PoolEstimator` bound to one engine."""

    __slots__ = ("_dispersion", "_kappa", "_means", "_plans", "_residual", "_z")

    def __init__(self, params: PoolEstimator, view: LiveView) -> None:
        hall = view.hall
        live = view.live_state()
        cv2 = params.service_cv**2
        # Mean remaining work of a counter caught at a random moment of a service:
        # E[S^2] / (2 E[S]) = m (1 + cv^2) / 2.
        self._kappa = (1.0 + cv2) / 2.0
        self._dispersion = params.dispersion
        self._z = NormalDist().inv_cdf(0.5 + params.coverage / 2.0)
        self._means = {code: s.mean_service_min for code, s in hall.services.items()}
        self._residual = _residual_function(params.service_cv)
        serving: dict[ServiceCode, list[CounterNo]] = {code: [] for code in hall.services}
        for no, counter in hall.counters.items():
            for code in counter.services:
                serving[code].append(no)
        plans: dict[ServiceCode, _Plan] = {}
        for code, nos in serving.items():
            mine = set(nos)
            shared = [u for u in hall.services if mine.intersection(serving[u])]
            lanes = tuple(
                (live.queues[u], self._means[u], len(mine.intersection(serving[u])) / len(serving[u]))
                for u in shared
            )
            policy = hall.counters[nos[0]].policy if nos else None
            plans[code] = _Plan(
                lanes=lanes,
                desks=tuple((live.counters[no], live.named[no]) for no in nos),
                mode=policy.priority_mode if policy else _STRICT,
                head_start_s=policy.head_start_min * 60.0 if policy else 0.0,
                mean=self._means[code],
                configured=len(nos),
            )
        self._plans = plans

    def __call__(self, view: QueueView, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        plan = self._plans[service]
        means = self._means
        prio_only = priority is not Priority.NONE and plan.mode is not PriorityMode.NONE
        # The work ahead: everyone this ticket will be called after, at these counters
        # (the booked citizens checked in: their slots are at most a few minutes away).
        work = 0.0
        ahead = 0.0
        if prio_only and plan.mode is _HEAD_START:
            cutoff = at.timestamp() - plan.head_start_s
            for queue, mean, share in plan.lanes:
                k = len(queue.prio) + len(queue.booked)
                for t in queue.normal:
                    if t.queued_ts >= cutoff:
                        break
                    k += 1
                work += k * mean * share
                ahead += k * share
        elif prio_only:
            for queue, mean, share in plan.lanes:
                k = len(queue.prio) + len(queue.booked)
                work += k * mean * share
                ahead += k * share
        else:
            for queue, mean, share in plan.lanes:
                k = len(queue.prio) + len(queue.normal) + len(queue.booked)
                work += k * mean * share
                ahead += k * share
        # The counters: open ones work, paused ones are on a break; each busy one still
        # has the rest of its current service to do.
        working = idle = 0
        remaining = 0.0
        busy_means = 0.0
        residual = self._residual
        for counter, named in plan.desks:
            for t in named:
                # Mostly citizens coming back to finish an errand begun here.
                work += means[t.service] * RETURN_SHARE
                ahead += 1
            if counter.state is not _OPEN:
                continue
            working += 1
            current = counter.current
            if current is None:
                idle += 1
                continue
            mean = means[current.service]
            if len(current.history) > _FIRST_VISIT:
                mean *= RETURN_SHARE  # back from another counter: the rest of an errand
            busy_means += mean
            called = current.called_at
            elapsed = (at - called).total_seconds() / 60.0 if called is not None else 0.0
            remaining += residual(mean, elapsed)
        n = round(ahead)
        if working == 0:
            # Nobody at work yet (before the opening, or all on a break): the queue
            # shared among the counters that will open.
            servers = view.staffed(service) or plan.configured
            est = (work + self._kappa * plan.mean) / max(1, servers)
            return self._range(n, est, plan.mean, max(1, servers))
        if ahead < idle:
            return Estimate(ahead=n, low_min=0.0, est_min=0.0, high_min=0.0)
        # Fluid approximation of `working` counters in parallel: the ticket is called
        # when the work now in hand plus the work ahead is done, less what the other
        # counters will have in hand at that moment (each a service caught midway).
        busy = working - idle
        typical = (work + busy_means) / (ahead + busy) if ahead + busy > 0 else plan.mean
        est = (remaining + work - (working - 1) * self._kappa * typical) / working
        est = max(est, 0.0)
        return self._range(n, est, typical, working)

    def _range(self, ahead: int, est: float, typical: float, servers: int) -> Estimate:
        """Put a range around ``est`` meant to hold ``coverage`` of actual waits.

        The wait is the time for ``ahead + 1`` departures from ``servers`` counters:
        its variance grows with the departures it waits for, each about
        ``dispersion x (typical / servers)^2``.
        The quantiles are those of a lognormal distribution with that mean and
        variance: never negative, and skewed to the long side as waits are.
        """
        if est <= 0.0:
            return Estimate(ahead=ahead, low_min=0.0, est_min=0.0, high_min=0.0)
        step = typical / servers
        rel = self._dispersion * (ahead + 1) * step * step / (est * est)
        sigma2 = math.log1p(rel)
        sigma = math.sqrt(sigma2)
        centre = est * math.exp(-sigma2 / 2.0)
        z = self._z
        return Estimate(
            ahead=ahead,
            low_min=centre * math.exp(-z * sigma),
            est_min=est,
            high_min=centre * math.exp(z * sigma),
        )


def _residual_function(cv: float) -> Callable[[float, float], float]:
    """Return ``f(mean, elapsed)``: the expected rest of a service that has lasted ``elapsed``.

    Exponential services (``cv >= 1``) have no memory: the rest is the mean. Otherwise
    lognormal: ``E[S - a | S > a] = m Phi(sigma - z) / Phi(-z) - a`` with
    ``z = (ln a - mu) / sigma``.
    """
    if cv >= 0.999:
        return lambda mean, elapsed: mean
    sigma2 = math.log1p(cv * cv)
    sigma = math.sqrt(sigma2)
    erfc = math.erfc
    log = math.log
    inv_sqrt2 = 1.0 / math.sqrt(2.0)

    def residual(mean: float, elapsed: float) -> float:
        if elapsed <= 0.0:
            return mean
        mu = log(mean) - sigma2 / 2.0
        z = (log(elapsed) - mu) / sigma
        survive = erfc(z * inv_sqrt2)
        if survive < 1e-12:
            # Far in the tail: the asymptotic mean residual life of the lognormal.
            return elapsed * sigma2 / max(z * sigma, 1e-9)
        return mean * erfc((z - sigma) * inv_sqrt2) / survive - elapsed

    return residual
