"""Wait estimates for a new ticket: the figure printed on it and the "full" check.

An estimator is a function of a read-only :class:`QueueView` (:data:`Estimator`),
so that a better one, measured with the simulator, replaces it without touching
the engine: ``QueueEngine(hall, estimator=PoolEstimator())``.

Two are here:

* :func:`queue_length_estimate`, the engine's default: the service's own queue
  times its mean service time, shared among its counters.
* :class:`PoolEstimator`: the work ahead at the counters that serve the service
  (every service those counters share, not only this one), what the busy counters
  still have to do and when the counters on a break come back, with service times
  learned from the day. See docs/prediction.md for the method and its measured
  accuracy.

An estimator object with a ``bind(view)`` method gets its own bound instance for
each engine (``QueueEngine`` calls it once); the bound instance may precompute
what it needs from the hall and read the engine's live state (``live_state()``).
A bound instance that is a :class:`Learner` is told, as the engine applies events,
how long each counter held each citizen and how long each break lasted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist
from typing import NamedTuple, Protocol, runtime_checkable

from wire.types import FINAL_STATES, CounterNo, CounterState, Priority, PriorityMode, ServiceCode, TicketState

from .hall import Hall
from .records import CounterRecord, TicketRecord
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


@runtime_checkable
class Learner(Protocol):
    """An estimator that learns from the day's events; the engine calls it as it applies them.

    Everything it learns comes from applied events, so a replayed engine learns the same.
    """

    def day_opened(self, at: datetime) -> None:
        """A new day: forget the last one."""
        ...

    def queued(self, ticket: TicketRecord, at: datetime) -> None:
        """``ticket`` joined a queue: issued, or transferred (to a service, or to a counter by name)."""
        ...

    def called(self, ticket: TicketRecord, at: datetime) -> None:
        """A counter called ``ticket`` (it holds it from now on)."""
        ...

    def released(self, ticket: TicketRecord, at: datetime) -> None:
        """A counter let ``ticket`` go (finished, sent on, no-show or parked), having held it
        since ``ticket.called_at``; ``ticket.service`` is still the service it was held for."""
        ...

    def counter_moved(self, counter: CounterRecord, new: CounterState, at: datetime) -> None:
        """``counter`` goes from ``counter.state`` (entered at ``counter.since``) to ``new``."""
        ...


RETURN_SHARE = 0.5
"""Before anything is learned, the share of a service's mean time a citizen called back
after a transfer (a return from paying the fee) still needs: the errand was begun before."""

_OPEN = CounterState.OPEN
_PAUSED = CounterState.PAUSED
_CLOSED = CounterState.CLOSED
_WAITING = TicketState.WAITING
_STRICT = PriorityMode.STRICT
_HEAD_START = PriorityMode.HEAD_START
_NOW: tuple[tuple[float, float, float], ...] = ((1.0, 0.0, 0.0),)


@dataclass(frozen=True, slots=True)
class PoolEstimator:
    """The wait as the work ahead at the counters that will serve the ticket.

    Pass an instance to ``QueueEngine(hall, estimator=PoolEstimator(...))``; the
    engine binds it (:meth:`bind`) to itself, and the bound instance learns from the
    events the engine applies (:class:`Learner`): how long a counter holds a citizen of
    each service, how long breaks last, who goes ahead of those waiting, which counters
    call the citizens of shared services. Everything it uses is the engine's state and
    what it learned from the day's events, so a replayed engine estimates alike.
    docs/prediction.md describes the method and its measured accuracy.

    Args:
        service_cv: Coefficient of variation of service times the configuration
            states (the reference workload says 0.6; 1.0 means exponential): the prior
            of the spread learned from the day.
        coverage: Share of actual waits the printed range is meant to hold.
        above: Share of actual waits meant to fall above the range (the rest of
            ``1 - coverage`` falls below it): a wait longer than promised matters more.
        dispersion: Variance of the wait relative to what the model gives by itself;
            above 1 it covers what the model leaves out (breaks to come, no-shows).
        error: Relative error added in quadrature to the spread (parameters learned from
            a few hours, arrivals that are not Poisson).
        mean_weight: How many observed service times the configured mean of a service
            counts for; also how many calls the configured share of a shared service
            counts for.
        spread_weight: How many observed service times the prior spread counts for
            (the configured one for the whole hall; the hall's learned one for a service).
        break_min: Length of a break before any has ended today.
        break_cv: Coefficient of variation of a break's length before any has ended
            today: a break is planned, its length varies little. The rest of a break
            under way is as uncertain as that; the breaks ended today teach it.

    ``dispersion``, ``error`` and ``above`` are calibrated with the simulator
    (``python -m bench prediction``).
    """

    service_cv: float = 0.6
    coverage: float = 0.8
    above: float = 0.07
    dispersion: float = 1.05
    error: float = 0.05
    mean_weight: float = 20.0
    spread_weight: float = 50.0
    break_min: float = 30.0
    break_cv: float = 0.1

    def bind(self, view: LiveView) -> _BoundPool:
        """Return an estimator for the engine ``view``, with the hall's pools precomputed."""
        return _BoundPool(self, view)

    def __call__(self, view: QueueView, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        # Unbound use (tests, tools): bind on the fly, if the view can lend its state.
        live = getattr(view, "live_state", None)
        if live is None:
            return queue_length_estimate(view, service, priority, at)
        return _BoundPool(self, view)(view, service, priority, at)  # type: ignore[arg-type]


Free = tuple[tuple[float, float, float], ...]
"""When a counter will be free: a mixture of shifted exponentials ``(weight, shift, mean)``
(mean 0: exactly at ``shift``)."""


class Duration:
    """A duration (a service's holding time, a break) learned over the day.

    The prior counts as ``weight`` observations for the mean and ``spread_weight`` for
    the second moment: ``mean = (w m0 + sum x) / (w + n)``, ``E[x^2] = (w2 mean^2 g +
    sum x^2) / (w2 + n)``, where ``g = 1 + cv^2`` is the prior spread. The durations still
    running count too, each as its age plus its expected rest: without them the long ones
    would be missing from the sample while they last, and the mean would come out short.
    From mean and spread, a two-moment fit gives the rest of a duration that has lasted
    ``a`` (:meth:`rest`): below ``cv = 1`` a fixed part then an exponential one
    (``d + Exp``), above it two exponential phases with balanced means; both are
    memoryless at ``cv = 1``.
    """

    __slots__ = ("d", "far", "m2", "mean", "n", "near", "p", "prior", "running", "s1", "s2")

    def __init__(self, prior: float) -> None:
        self.prior = prior
        """The configured mean."""
        self.mean = prior
        self.m2 = prior * prior
        self.d = 0.0
        self.p = 1.0
        self.near = self.far = prior
        self.n = 0
        self.s1 = self.s2 = 0.0
        self.running: list[float] = []
        """Start times (minutes) of the durations begun and still running."""

    def clear(self) -> None:
        """Forget every observation (a new day)."""
        self.n = 0
        self.s1 = self.s2 = 0.0
        self.running.clear()

    def begin(self, start: float) -> None:
        self.running.append(start)

    def end(self, start: float, x: float) -> None:
        """A duration begun at ``start`` (minutes) lasted ``x``."""
        running = self.running
        if start in running:
            running.remove(start)
        self.n += 1
        self.s1 += x
        self.s2 += x * x

    def fit(
        self, weight: float, spread_weight: float, g: float, now: float = 0.0, least: float = 0.0025
    ) -> None:
        """Recompute mean, second moment and the fit from the sums, the prior spread ``g``
        and the durations running at ``now`` (minutes); ``least`` is the smallest ``cv^2``
        fitted."""
        s1, s2, n = self.s1, self.s2, self.n
        for start in self.running:
            # Each running one as its age a plus its rest R: E[a + R], E[(a + R)^2].
            age = max(0.0, now - start)
            rest, rest2 = self.rest(age), self.rest2(age)
            s1 += age + rest
            s2 += age * age + 2.0 * age * rest + rest2
            n += 1
        mean = max((weight * self.prior + s1) / (weight + n), 1e-6)
        m2 = (spread_weight * mean * mean * g + s2) / (spread_weight + n)
        # Kept within cv 0.05 (services) to 7: a parked ticket called back hours later is
        # not a service.
        cv2 = min(max(m2 / (mean * mean) - 1.0, least), 49.0)
        self.mean = mean
        self.m2 = mean * mean * (1.0 + cv2)
        if cv2 <= 1.0:
            # d + Exp(e): e = m cv, d = m - e.
            e = mean * math.sqrt(cv2)
            self.d = mean - e
            self.p = 1.0
            self.near = self.far = e
        else:
            # Balanced two-phase hyper-exponential: p m1 = (1 - p) m2 = m / 2.
            p = (1.0 + math.sqrt((cv2 - 1.0) / (cv2 + 1.0))) / 2.0
            self.d = 0.0
            self.p = p
            self.near = mean / (2.0 * p)
            self.far = mean / (2.0 * (1.0 - p))

    def _phases(self, elapsed: float) -> tuple[float, float]:
        """The weights of the two phases after surviving ``elapsed`` (hyper-exponential)."""
        a = self.p * math.exp(-elapsed / self.near) if elapsed > 0.0 else self.p
        b = (1.0 - self.p) * math.exp(-elapsed / self.far) if elapsed > 0.0 else 1.0 - self.p
        total = a + b
        return (a / total, b / total) if total > 0.0 else (0.0, 1.0)

    def rest(self, elapsed: float) -> float:
        """The expected rest of a duration that has lasted ``elapsed``."""
        if self.p >= 1.0:
            return max(0.0, self.d - elapsed) + self.near
        a, b = self._phases(elapsed)
        return a * self.near + b * self.far

    def rest2(self, elapsed: float) -> float:
        """The second moment of that rest."""
        if self.p >= 1.0:
            fixed, e = max(0.0, self.d - elapsed), self.near
            return fixed * fixed + 2.0 * fixed * e + 2.0 * e * e
        a, b = self._phases(elapsed)
        return 2.0 * (a * self.near * self.near + b * self.far * self.far)

    def parts(self, elapsed: float, later: float = 0.0) -> Free:
        """When a duration that has lasted ``elapsed`` ends, plus ``later`` minutes: a mixture of
        shifted exponentials."""
        if self.p >= 1.0:
            return ((1.0, max(0.0, self.d - elapsed) + later, self.near),)
        a, b = self._phases(elapsed)
        return ((a, later, self.near), (b, later, self.far))


class _Spread:
    """The hall's relative spread of service times, learned over the day: ``g = E[(x/m)^2]``
    over every service (each time relative to its service's mean), the configured
    ``1 + cv^2`` counting as ``weight`` observations."""

    __slots__ = ("g", "n", "prior", "s", "weight")

    def __init__(self, cv: float, weight: float) -> None:
        self.prior = 1.0 + cv * cv
        self.weight = weight
        self.n = 0
        self.s = 0.0
        self.g = self.prior

    def add(self, relative: float) -> None:
        self.n += 1
        self.s += relative * relative
        self.g = (self.weight * self.prior + self.s) / (self.weight + self.n)


class _Rate:
    """A rate learned from events, exponentially weighted over the last ``window`` minutes."""

    __slots__ = ("last", "value", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.value = 0.0
        self.last = 0.0

    def add(self, amount: float, minute: float) -> None:
        """``amount`` (minutes of work) arrived at ``minute`` (minutes since the epoch)."""
        if self.value:
            self.value *= math.exp((self.last - minute) / self.window)
        self.value += amount / self.window
        self.last = minute

    def at(self, minute: float) -> float:
        """The rate per minute at ``minute``."""
        value = self.value
        return value * math.exp((self.last - minute) / self.window) if value else 0.0


RATE_WINDOW_MIN = 60.0
"""The last hour weighs most in the rates learned from the day (citizens going ahead)."""


class _Share:
    """The share of a service's citizens that the counters of one pool call, learned from the
    day's calls; the share of the service's counters in the pool counts as ``weight`` calls."""

    __slots__ = ("hits", "pool", "prior", "value", "weight")

    def __init__(self, prior: float, pool: frozenset[CounterNo], weight: float) -> None:
        self.prior = prior
        self.pool = pool
        self.weight = weight
        self.hits = 0
        self.value = prior

    def called(self, counter: CounterNo, calls: int) -> None:
        """A citizen of the service was called at ``counter``, the day's ``calls``-th."""
        if counter in self.pool:
            self.hits += 1
        self.value = (self.weight * self.prior + self.hits) / (self.weight + calls)


class _Plan(NamedTuple):
    """What one service's estimate reads, resolved once per engine."""

    lanes: tuple[tuple[ServiceQueue, Duration, _Share], ...]
    """(queue, its service's holding time, the share of its citizens these counters call)
    for this service and every other that all its counters serve."""
    partial: tuple[tuple[ServiceQueue, Duration, _Share, tuple[int, ...]], ...]
    """The same for services only some of its counters serve, with those counters (their
    places in ``desks``): their citizens delay those counters only."""
    desks: tuple[tuple[CounterRecord, Lane], ...]
    """The counters serving this service, with the lanes of citizens sent to them by name."""
    mode: PriorityMode
    head_start_s: float
    own: Duration
    configured: int
    with_rights: _Rate
    """Work arriving in the lanes' priority lanes (times their shares), per minute."""
    sent_back: _Rate
    """Work sent to these counters by name (citizens coming back), per minute."""


class _BoundPool:
    """:class:`PoolEstimator` bound to one engine; a :class:`Learner`."""

    __slots__ = (
        "_away",
        "_break",
        "_break_spread",
        "_calls",
        "_dispersion",
        "_floor",
        "_fresh",
        "_held",
        "_params",
        "_plans",
        "_rates",
        "_returns",
        "_rights_to",
        "_sent_to",
        "_shares",
        "_spread",
        "_z_high",
        "_z_low",
    )

    def __init__(self, params: PoolEstimator, view: LiveView) -> None:
        hall = view.hall
        live = view.live_state()
        self._params = params
        self._dispersion = params.dispersion
        # The range leaves ``above`` of the waits above it and the rest of 1 - coverage below.
        self._z_low = NormalDist().inv_cdf(1.0 - params.coverage - params.above)
        self._z_high = NormalDist().inv_cdf(1.0 - params.above)
        self._floor = params.error * params.error
        means = {code: s.mean_service_min for code, s in hall.services.items()}
        self._fresh = {code: Duration(m) for code, m in means.items()}
        """Service -> time a counter holds a citizen called from the service's queue."""
        self._returns = {code: Duration(m * RETURN_SHARE) for code, m in means.items()}
        """Service -> time a counter holds a citizen it called back by name (the rest of an errand)."""
        self._break = Duration(params.break_min)
        cv2 = params.break_cv * params.break_cv
        self._break_spread = (1.0 + cv2, min(0.0025, max(cv2, BREAK_LEAST)))
        """``g`` of breaks before any has ended, and the smallest ``cv^2`` learned of them."""
        self._spread = _Spread(params.service_cv, params.spread_weight)
        self._held: dict[CounterNo, tuple[TicketRecord, float, Duration]] = {}
        """Counter -> the ticket it holds, since when (minutes since the epoch), how long such
        a ticket is held."""
        serving: dict[ServiceCode, list[CounterNo]] = {code: [] for code in hall.services}
        for no, counter in hall.counters.items():
            for code in counter.services:
                serving[code].append(no)
        plans: dict[ServiceCode, _Plan] = {}
        self._rights_to: dict[ServiceCode, list[tuple[_Rate, float]]] = {code: [] for code in hall.services}
        """Service -> the rates of the plans whose lanes include it, with its share there."""
        self._sent_to: dict[CounterNo, list[_Rate]] = {no: [] for no in hall.counters}
        """Counter -> the rates of the plans whose desks include it."""
        self._shares: dict[ServiceCode, list[_Share]] = {code: [] for code in hall.services}
        """Service -> its share in each plan whose lanes include it."""
        self._calls = dict.fromkeys(hall.services, 0)
        """Service -> its citizens called today."""
        self._away: dict[CounterNo, list[TicketRecord]] = {no: [] for no in hall.counters}
        """Counter -> citizens it sent on an errand (to pay the fee) who will come back to it;
        cleaned as they come back or leave (see :meth:`_errands`)."""
        for code, nos in serving.items():
            mine = set(nos)
            shares = {
                u: len(mine.intersection(serving[u])) / len(serving[u])
                for u in hall.services
                if mine.intersection(serving[u])
            }
            policy = hall.counters[nos[0]].policy if nos else None
            pool = frozenset(nos)
            lanes: list[tuple[ServiceQueue, Duration, _Share]] = []
            partial: list[tuple[ServiceQueue, Duration, _Share, tuple[int, ...]]] = []
            for u, share in shares.items():
                learned = _Share(share, pool, params.mean_weight)
                self._shares[u].append(learned)
                at_desks = tuple(i for i, no in enumerate(nos) if u in hall.counters[no].services)
                if len(at_desks) == len(nos):
                    lanes.append((live.queues[u], self._fresh[u], learned))
                else:
                    partial.append((live.queues[u], self._fresh[u], learned, at_desks))
            plan = _Plan(
                lanes=tuple(lanes),
                partial=tuple(partial),
                desks=tuple((live.counters[no], live.named[no]) for no in nos),
                mode=policy.priority_mode if policy else _STRICT,
                head_start_s=policy.head_start_min * 60.0 if policy else 0.0,
                own=self._fresh[code],
                configured=len(nos),
                with_rights=_Rate(RATE_WINDOW_MIN),
                sent_back=_Rate(RATE_WINDOW_MIN),
            )
            plans[code] = plan
            for u, share in shares.items():
                self._rights_to[u].append((plan.with_rights, share))
            for no in nos:
                self._sent_to[no].append(plan.sent_back)
        self._plans = plans
        self._rates = [r for p in plans.values() for r in (p.with_rights, p.sent_back)]
        self._reset()

    # --- learning (the engine calls these as it applies events) ------------------------------

    def _reset(self) -> None:
        params = self._params
        self._spread = _Spread(params.service_cv, params.spread_weight)
        for d in (*self._fresh.values(), *self._returns.values()):
            d.clear()
            d.fit(params.mean_weight, params.spread_weight, self._spread.g)
        b = self._break
        b.clear()
        g, least = self._break_spread
        b.fit(BREAK_WEIGHT, BREAK_WEIGHT, g, least=least)
        for r in self._rates:
            r.value = r.last = 0.0
        self._held.clear()
        for sent in self._away.values():
            sent.clear()
        for code, shares in self._shares.items():
            self._calls[code] = 0
            for learned in shares:
                learned.hits = 0
                learned.value = learned.prior

    def day_opened(self, at: datetime) -> None:
        self._reset()

    def queued(self, ticket: TicketRecord, at: datetime) -> None:
        # Citizens who will go ahead of those already waiting: sent to a counter by name
        # (coming back, called first), or with a priority right.
        minute = ticket.queued_ts / 60.0
        if ticket.return_to is not None and ticket.target_counter is None:
            # Sent on an errand by a counter it will come back to.
            away = self._away.get(ticket.return_to)
            if away is not None and ticket not in away:
                away.append(ticket)
        if ticket.target_counter is not None:
            work = self._returns[ticket.service].mean
            for rate in self._sent_to[ticket.target_counter]:
                rate.add(work, minute)
        elif ticket.prio:
            work = self._fresh[ticket.service].mean
            for rate, share in self._rights_to[ticket.service]:
                rate.add(work * share, minute)

    def called(self, ticket: TicketRecord, at: datetime) -> None:
        d = (self._returns if _called_back(ticket) else self._fresh)[ticket.service]
        now = at.timestamp() / 60.0
        d.begin(now)
        params = self._params
        d.fit(params.mean_weight, params.spread_weight, self._spread.g, now)
        counter = ticket.counter
        if counter is not None:
            self._held[counter] = (ticket, now, d)
            calls = self._calls[ticket.service] = self._calls[ticket.service] + 1
            for learned in self._shares[ticket.service]:
                learned.called(counter, calls)

    def released(self, ticket: TicketRecord, at: datetime) -> None:
        called = ticket.called_at
        if called is None:
            return
        start = called.timestamp() / 60.0
        now = at.timestamp() / 60.0
        minutes = max(0.0, now - start)
        d = (self._returns if _called_back(ticket) else self._fresh)[ticket.service]
        self._spread.add(minutes / d.mean)
        d.end(start, minutes)
        params = self._params
        d.fit(params.mean_weight, params.spread_weight, self._spread.g, now)

    def counter_moved(self, counter: CounterRecord, new: CounterState, at: datetime) -> None:
        if counter.state is _PAUSED and new is _OPEN and counter.since is not None:
            b = self._break
            b.end(0.0, max(0.0, (at - counter.since).total_seconds() / 60.0))
            g, least = self._break_spread
            b.fit(BREAK_WEIGHT, BREAK_WEIGHT, g, least=least)

    def holding(self, service: ServiceCode, *, returning: bool = False) -> Duration:
        """What has been learned today of the time a counter holds a citizen of ``service``."""
        return (self._returns if returning else self._fresh)[service]

    def breaks(self) -> Duration:
        """What has been learned today of the length of a break."""
        return self._break

    # --- the estimate -----------------------------------------------------------------------

    def __call__(self, view: QueueView, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        plan = self._plans[service]
        now_s = at.timestamp()
        now = now_s / 60.0
        # The work ahead: everyone this ticket will be called after, at these counters (the
        # booked citizens checked in among them: their slots are at most a few minutes away);
        # ``second`` sums their second moments (what a counter still has in hand at a random
        # moment of serving them is E[S^2] / 2 E[S]). Work per minute that will still go
        # ahead of it: citizens coming back (``coming_back``) and, for a ticket without a
        # priority right, citizens with one (``with_rights``).
        work = second = ahead = with_rights = 0.0
        coming_back = plan.sent_back.at(now)
        if priority is not Priority.NONE and plan.mode is _HEAD_START:
            cutoff = now_s - plan.head_start_s
            for queue, d, share in plan.lanes:
                k = len(queue.prio) + len(queue.booked)
                for t in queue.normal:
                    if t.queued_ts >= cutoff:
                        break
                    k += 1
                w = k * share.value
                work += w * d.mean
                second += w * d.m2
                ahead += w
        elif priority is not Priority.NONE and plan.mode is not PriorityMode.NONE:
            for queue, d, share in plan.lanes:
                w = (len(queue.prio) + len(queue.booked)) * share.value
                work += w * d.mean
                second += w * d.m2
                ahead += w
        else:
            for queue, d, share in plan.lanes:
                w = len(queue) * share.value
                work += w * d.mean
                second += w * d.m2
                ahead += w
            if plan.mode is not PriorityMode.NONE:
                with_rights = plan.with_rights.at(now)
        # Citizens of services only some of these counters serve keep those counters busy
        # (first come, first served across a counter's services: they came first).
        aside: list[float] | None = None
        called_first = 0.0
        called_second = 0.0
        if plan.partial:
            aside = [0.0] * len(plan.desks)
            rights_only = priority is not Priority.NONE and plan.mode is not PriorityMode.NONE
            for queue, d, share, at_desks in plan.partial:
                k = len(queue.prio) + len(queue.booked) if rights_only else len(queue)
                w = k * share.value
                called_first += w
                called_second += w * d.m2
                each = w * d.mean / len(at_desks)
                for i in at_desks:
                    aside[i] += each
        # The counters: each open one is free when the rest of its current service is done,
        # each paused one when its break ends; closed ones don't count. ``parts`` says when
        # each will be free (see Free).
        returns = self._returns
        fresh = self._fresh
        held_now = self._held
        working = idle = busy = 0
        remaining = busy_work = busy_second = called_work = reserved_var = 0.0
        back: list[float] = []
        parts: list[Free] = []
        for place, (counter, named) in enumerate(plan.desks):
            state = counter.state
            if state is _CLOSED:
                continue
            # Citizens sent to this counter by name (mostly back to finish an errand begun
            # here) are called by it first: it is free for the others only after them.
            reserved = aside[place] if aside is not None else 0.0
            for t in named:
                d = returns[t.service]
                reserved += d.mean
                reserved_var += d.m2 - d.mean * d.mean
                called_second += d.m2
                called_first += 1
            called_work += reserved
            if state is _OPEN:
                working += 1
                current = counter.current
                if current is None:
                    if reserved:
                        remaining += reserved
                        parts.append(((1.0, reserved, 0.0),))
                    else:
                        idle += 1
                        parts.append(_NOW)
                    continue
                busy += 1
                held = held_now.get(counter.number)
                if held is not None and held[0] is current:
                    _, start, d = held
                else:  # held since before this estimator was told
                    d = returns[current.service] if _called_back(current) else fresh[current.service]
                    called = current.called_at
                    start = called.timestamp() / 60.0 if called is not None else now
                busy_work += d.mean
                busy_second += d.m2
                age = now - start
                remaining += d.rest(age) + reserved
                parts.append(d.parts(age, reserved))
            else:
                # A counter on a break sends nobody on an errand: those coming back to it
                # meanwhile are the ones it sent before, and it calls them first when back.
                for t in self._errands(counter.number):
                    d = returns[t.return_service or t.service]
                    reserved += d.mean
                    reserved_var += d.m2 - d.mean * d.mean
                    called_work += d.mean
                    called_second += d.m2
                    called_first += 1
                since = counter.since
                away = now - since.timestamp() / 60.0 if since is not None else 0.0
                back.append(self._break.rest(away) + reserved)
                parts.append(self._break.parts(away, reserved))
        if back:
            # The citizens coming back were learned from the counters at work; those sent by
            # a counter now on a break are counted above, not in the rate.
            coming_back *= working / (working + len(back))
        n = round(ahead + called_first)
        own = plan.own
        if working == 0 and not back:
            # Nobody at work yet (before the opening): the queue shared among the counters
            # that will open.
            servers = max(1, view.staffed(service) or plan.configured)
            est = (work + own.m2 / (2.0 * own.mean)) / servers
            step = own.mean / servers
            return self._ranged(n, est, (n + 1) * step * step)
        if idle and ahead < idle:
            return Estimate(ahead=n, low_min=0.0, est_min=0.0, high_min=0.0)
        jobs = ahead + called_first + busy
        total = work + called_work + busy_work
        if jobs > 0.0 and total > 0.0:
            typical = total / jobs
            in_hand = (second + called_second + busy_second) / (2.0 * total)
            cv2 = max(0.0, 2.0 * in_hand / typical - 1.0)
        else:
            typical = own.mean
            in_hand = own.m2 / (2.0 * own.mean)
            cv2 = 1.0
        # A first guess, and the counters at work by then: the fluid approximation (the
        # ticket is called when the work in hand and ahead is done, less what the other
        # counters then have in hand, each a service caught midway: E[S^2] / 2 E[S]);
        # a counter on a break joins when it is back.
        servers = working
        joined = 0.0
        back.sort()
        i = 0
        if servers == 0:
            servers, joined, i = 1, back[0], 1
        guess = (remaining + work + joined - (servers - 1) * in_hand) / servers
        while i < len(back) and guess > back[i]:
            servers += 1
            joined += back[i]
            i += 1
            guess = (remaining + work + joined - (servers - 1) * in_hand) / servers
        if work <= 0.0 and len(parts) == 1:
            # Nobody ahead of one counter: the ticket is called the moment it is free.
            (free,) = parts
            est = sum(w * (shift + th) for w, shift, th in free)
            second_x = sum(w * (shift * shift + 2.0 * shift * th + 2.0 * th * th) for w, shift, th in free)
            var = max(0.0, second_x - est * est) + reserved_var
        else:
            # The call time itself, from when each counter will be free (see _call_time).
            m_next = work / ahead if ahead > 0.0 else own.mean
            est = _call_time(parts, work, _in_hand_after(m_next, in_hand), max(guess, 0.0), m_next)
            var = _call_variance(parts, est, m_next, cv2)
        # Work that will go ahead meanwhile slows the line down for those already in it,
        # and its amount is Poisson-like: it adds its own variance.
        est0 = est
        est = _overtaken(est, with_rights / servers, coming_back / servers, in_hand)
        stretch = est / est0 if est0 > 0.0 else 1.0
        var = var * stretch * stretch + (with_rights + coming_back) * est * 2.0 * in_hand / (
            servers * servers
        )
        return self._ranged(n, est, var)

    def _errands(self, counter: CounterNo) -> list[TicketRecord]:
        """The citizens ``counter`` sent on an errand who have not come back yet."""
        sent = self._away[counter]
        sent[:] = [
            t
            for t in sent
            if t.return_to == counter and t.target_counter is None and t.state not in FINAL_STATES
        ]
        return sent

    def _ranged(self, ahead: int, est: float, var: float) -> Estimate:
        """Put a range around ``est`` meant to hold ``coverage`` of actual waits, ``above``
        of them above it, given the variance ``var`` of the wait the departures imply
        (times ``dispersion``, plus ``error`` relative, for what the model leaves out).
        The quantiles are a gamma distribution's with that mean and variance (Wilson and
        Hilferty's approximation): nearly exponential while few wait for many counters,
        close to normal when many wait."""
        if est <= 0.0:
            return Estimate(ahead=ahead, low_min=0.0, est_min=0.0, high_min=0.0)
        ninth = (self._dispersion * var / (est * est) + self._floor) / 9.0  # 1 / (9 shape)
        root = math.sqrt(ninth)
        low = max(0.0, 1.0 - ninth + self._z_low * root)
        high = 1.0 - ninth + self._z_high * root
        return Estimate(ahead=ahead, low_min=est * low**3, est_min=est, high_min=est * high**3)


BREAK_LEAST = 1e-4
"""The smallest ``cv^2`` of breaks (cv 0.01) when the configuration says they keep their
length exactly."""
BREAK_WEIGHT = 5.0
"""Breaks ended today that the configured length counts for: a hall has few breaks a day."""


def _overtaken(wait: float, rights: float, back: float, h: float) -> float:
    """The wait ``wait`` once the citizens who go ahead meanwhile are served first.

    ``rights`` and ``back`` are the work per counter-minute of citizens arriving with a
    priority right and coming back to a counter by name. One with a right is called by
    the first counter free, almost at once: over a wait ``t`` they add ``rights x t``. One
    coming back waits for its own counter, which is free after ``h`` on average (what a
    counter holds at a random moment): only those back early enough to be called before
    ``t`` go first, ``back x E[(t - R)+]`` with ``R`` exponential of mean ``h``.
    """
    if wait <= 0.0 or (rights <= 0.0 and back <= 0.0):
        return wait
    keep = max(0.5, 1.0 - rights - back)
    t = wait / max(0.5, 1.0 - rights)
    for _ in range(4):
        t = (wait - back * h * (1.0 - math.exp(-t / h))) / keep if h > 0.0 else wait / keep
    return max(t, wait)


def _called_back(t: TicketRecord) -> bool:
    """Whether the counter holding ``t`` called it from its own lane (sent to it by name:
    mostly a citizen back from paying the fee), by the ticket's last place in a queue."""
    for _, state, counter in reversed(t.history):
        if state is _WAITING:
            return counter is not None
    return False


def _in_hand_after(m: float, h: float) -> tuple[Callable[[float], float], float]:
    """Return ``r(y)``: what a counter holds in hand ``y`` minutes after it took a ticket ahead.

    ``m`` is the mean service of those tickets, ``h = E[S^2] / 2 E[S]`` what a counter holds
    at a random moment of serving them (``r`` starts at ``m`` and tends to ``h``). Shapes as
    :class:`Duration` fits them: below ``cv = 1`` a fixed part ``d`` then an exponential
    ``e`` (exact until ``2 d``: ``m - y`` until ``d``, then the next ticket begins); above,
    ``h + (m - h) e^(-y / tau)`` with the initial slope of two balanced phases (which is
    exactly how their mean rest moves). Returns ``r`` and ``tau`` (0 for the first shape).
    """
    cv2 = max(0.0, 2.0 * h / m - 1.0)
    if cv2 >= 1.0:
        p = (1.0 + math.sqrt((cv2 - 1.0) / (cv2 + 1.0))) / 2.0
        slope = 2.0 * p * p + 2.0 * (1.0 - p) * (1.0 - p) - 1.0  # f(0) m - 1
        tau = (h - m) / slope if slope > 1e-9 else m

        def r_phases(y: float) -> float:
            return h + (m - h) * math.exp(-y / tau)

        return r_phases, tau
    e = m * math.sqrt(cv2)
    d = m - e
    exp = math.exp

    def r_fixed(y: float) -> float:
        if y <= d:
            return m - y
        if y >= 2.0 * d:
            # Past the second ticket's fixed part: close to the long-run value.
            at2 = r_fixed(2.0 * d - 1e-12)
            return h + (at2 - h) * exp((2.0 * d - y) / m)
        big = exp((d - y) / e) if e > 0.0 else 0.0
        return e + (2.0 * d - y) * (1.0 - big) + e - (y - d + e) * big

    return r_fixed, 0.0


SLOW_SPREAD = 3.0
"""Above cv = 1, the count of services over a stretch ``t`` varies as ``1 + (cv^2 - 1) t /
(t + SLOW_SPREAD m cv^2)`` per service: the long services that make the spread are rare and
take time to show (calibrated on lognormal and hyper-exponential services,
``python -m bench prediction``)."""


def _call_variance(parts: list[Free], t: float, m: float, cv2: float) -> float:
    """Return the variance of the call time ``t`` that :func:`_call_time` found.

    By the count of counters' takes up to ``t``: each counter takes one when first free (at
    ``X``), then about one per ``m`` minutes with the services' spread ``cv2``, so
    ``E[N | X] = 1 + (t - X) / m`` if ``X <= t``, and ``Var(N | X) = cv2 (t - X) / m``.
    ``Var(call) = Var(N(t)) / N'(t)^2``. For exponential services it is ``(ahead + 1) (m / c)^2``.
    """
    var = rate = 0.0
    exp = math.exp
    slow = SLOW_SPREAD * m * cv2
    for free in parts:
        phi = phi2 = spread = 0.0
        for w, shift, th in free:
            u = t - shift
            if u <= 0.0:
                continue
            if th <= 0.0:
                f, done, done2 = 1.0, u, u * u
            else:
                e1 = exp(-u / th)
                f = 1.0 - e1
                done = u - th * f
                done2 = f * (u * u - 2.0 * u * th + 2.0 * th * th) + e1 * (u * u - 2.0 * u * th)
                rate += w * e1 / th
            rate += w * f / m
            phi += w * (f + done / m)
            phi2 += w * (f + 2.0 * done / m + done2 / (m * m))
            # Above cv = 1 the spread builds up over the long services, which take time to
            # show: over a short stretch the count varies about as much as Poisson's.
            count_cv2 = cv2 if cv2 <= 1.0 else 1.0 + (cv2 - 1.0) * done / (done + slow)
            spread += w * count_cv2 * done / m
        var += phi2 - phi * phi + spread
    return var / (rate * rate) if rate > 0.0 else 0.0


def _call_time(
    parts: list[Free],
    work: float,
    in_hand: tuple[Callable[[float], float], float],
    guess: float,
    scale: float,
) -> float:
    """Solve for the moment the ticket is called.

    ``parts`` says when each counter will first be free (a mixture of shifted exponentials
    ``(weight, shift, mean)`` per counter; an idle one is free now). A counter free at ``X``
    takes the next ticket ahead; by time ``t`` it has worked ``t - X`` on them and holds
    ``r(t - X)`` more in hand (:func:`_in_hand_after`). The ticket is called when the tickets
    ahead (``work``) have all been taken:
    ``sum over counters of E[(t - X)+] + P(X <= t) r(E[t - X | X <= t]) - r(t) = work``,
    the last term for the counter that calls it, which holds nothing at that moment. For
    exponential services this is exactly ``(ahead + 1) m / c``; many tickets ahead give the
    fluid limit; with few ahead and many counters the first free counters decide, as order
    statistics.
    """
    exp = math.exp

    r, tau = in_hand
    h = r(math.inf) if tau else 0.0
    gap = r(0.0) - h

    def g(t: float) -> float:
        value = -work - r(t)
        for free in parts:
            for w, shift, th in free:
                u = t - shift
                if u <= 0.0:
                    continue
                if th <= 0.0:
                    value += w * (u + r(u))
                    continue
                e1 = exp(-u / th)
                f = 1.0 - e1
                done = u - th * f  # E[(t - X)+] of this component
                if tau:
                    # E[r(t - X); X <= t], exactly, for r = h + gap e^(-y / tau).
                    if abs(tau - th) > 1e-9 * tau:
                        q = tau / (tau - th) * (exp(-u / tau) - e1)
                    else:
                        q = u / tau * e1
                    value += w * (done + h * f + gap * q)
                elif f > 1e-12:
                    value += w * (done + f * r(done / f))
                else:
                    value += w * done
        return value

    # Regula falsi (Illinois) on a bracket g(lo) < 0 <= g(hi), from the fluid guess.
    lo, g_lo = 0.0, g(0.0)
    if g_lo >= 0.0:
        return 0.0
    hi = max(guess, 1e-3 * scale)
    g_hi = g(hi)
    while g_hi < 0.0:
        lo, g_lo = hi, g_hi
        hi = 2.0 * hi + scale
        g_hi = g(hi)
    side = 0
    t = hi
    for _ in range(50):
        t = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        gt = g(t)
        if abs(gt) <= 1e-9 * (scale + work) or hi - lo <= 1e-7 * (hi + scale):
            return t
        if gt < 0.0:
            lo, g_lo = t, gt
            if side == -1:
                g_hi /= 2.0
            side = -1
        else:
            hi, g_hi = t, gt
            if side == 1:
                g_lo /= 2.0
            side = 1
    return t
