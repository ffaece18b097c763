"""What a simulated day is made of: the citizens who come, and what each of them needs.

A :class:`Workload` is read from a center's ``workload`` table (the reference
center JSON carries one, and ``novbe init --from`` keeps it in center.toml). It
turns into a list of :class:`Citizen` per day with :func:`draw_citizens`. Every
random draw of a day happens there, before the engine sees anything, so that
two routing policies simulated with the same seed meet exactly the same
citizens (same arrivals, same service times, same no-shows): their difference
is the policy's alone.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.center import Center
from server.queue import Hall, Priority, ServiceCode

PRIORITY_RIGHTS: tuple[Priority, ...] = tuple(p for p in Priority if p is not Priority.NONE)

DEFAULT_HOURS: dict[int, float] = dict.fromkeys(range(9, 19), 0.1)
"""Flat arrivals over a 09:00-19:00 day when a workload names no hourly shares."""

DISTRIBUTIONS: tuple[str, ...] = ("lognormal", "gamma", "hyperexponential", "exponential")
"""Service-time distributions the simulator draws from (``service_time.distribution``)."""


class WorkloadError(ValueError):
    """The center's workload table can't drive a simulation."""


@dataclass(frozen=True, slots=True)
class Citizen:
    """One visitor of the day, with everything chance decides about them."""

    arrive_min: float
    """Minutes after midnight when the ticket is taken."""
    service: ServiceCode
    service_min: float
    """Time at the counter from the call to the end of service (walk-up included)."""
    priority: Priority = Priority.NONE
    appointment: str | None = None
    slot_min: float | None = None
    """A booked citizen's slot (minutes after midnight); they check in at ``arrive_min``."""
    no_show: bool = False
    """Leaves after taking the ticket: never comes when called."""
    fee_min: float | None = None
    """Sent to pay the state fee at the bank partway through, then comes back; the
    bank's service time."""


@dataclass(frozen=True, slots=True)
class Surge:
    """Arrivals ``factor`` times the usual rate from ``start_min`` to ``end_min`` (minutes
    after midnight): a lunch hour at twice the rate is ``Surge(13 * 60, 14 * 60, 2.0)``."""

    start_min: float
    end_min: float
    factor: float

    def __post_init__(self) -> None:
        if not (self.end_min > self.start_min and self.factor >= 0):
            raise WorkloadError(
                f"a surge needs an end after its start and a factor >= 0, got "
                f"{self.start_min:g}-{self.end_min:g} x {self.factor:g}"
            )


@dataclass(frozen=True, slots=True)
class Punctuality:
    """When booked citizens come, against their slot: shares of early, on time, late and never.

    Early ones come ``early_min`` minutes before (uniform), the punctual within a few minutes
    either side, late ones up to ``late_max_min`` after; those who never come are not drawn.
    The defaults are an assumption, not a measurement: the first booking day of a real
    center should replace them.
    """

    early: float = 0.55
    on_time: float = 0.25
    late: float = 0.12
    never: float = 0.08
    early_min: tuple[float, float] = (5.0, 30.0)
    late_max_min: float = 20.0

    def arrival(self, slot: float, u: float, v: float) -> float | None:
        """The check-in time for ``slot`` given two uniform draws; None for a citizen who never comes."""
        if u < self.early:
            low, high = self.early_min
            return slot - (low + (high - low) * v)
        u -= self.early
        if u < self.on_time:
            return slot + (-3.0 + 5.0 * v)
        u -= self.on_time
        if u < self.late:
            return slot + 2.0 + (self.late_max_min - 2.0) * v
        return None


SLOT_MIN = 15.0
"""The simulated bookings' slot length."""


@dataclass(frozen=True, slots=True)
class Workload:
    """A center's day of work, as the simulator needs it."""

    tickets_per_day: float
    hourly: Mapping[int, float]
    """Opening hour -> share of the day's arrivals in that hour (Poisson within it)."""
    service_share: Mapping[ServiceCode, float]
    """Service -> share of the day's tickets taken for it."""
    mean_min: Mapping[ServiceCode, float]
    cv: float = 0.6
    """Coefficient of variation of service times (1.0 with ``exponential``)."""
    distribution: str = "lognormal"
    """One of :data:`DISTRIBUTIONS`; ``hyperexponential`` needs ``cv >= 1``."""
    priority_share: float = 0.0
    appointment_share: float = 0.0
    no_show_share: float = 0.0
    fee_share: float = 0.0
    """Share of the other services' citizens sent to ``fee_service`` and back."""
    fee_service: ServiceCode | None = None
    surges: tuple[Surge, ...] = ()
    """Spells of the day when citizens come faster (or slower) than the hourly shares say."""

    def __post_init__(self) -> None:
        check_distribution(self.distribution, self.cv)

    @property
    def service_cv(self) -> float:
        """The coefficient of variation the service times really have."""
        return 1.0 if self.distribution == "exponential" else self.cv


def workload_from_center(center: Center, hall: Hall) -> Workload:
    """Read a center's ``workload`` table.

    The bank's share (``BANK-FEE`` in the reference) is the share of the day's
    visits to the bank, and the sizing of its counters counts it that way; the
    citizens the other agencies send there to pay a fee are part of it. So the
    tickets taken for the fee service directly are its share minus the fee payers,
    and every other agency keeps exactly the load its counters were sized for.

    Raises:
        WorkloadError: The center has no workload, or it doesn't fit the hall.
    """
    raw = center.workload
    if not raw:
        raise WorkloadError(f"center {center.code} has no [workload] table to simulate")
    try:
        per_day = float(raw["tickets_per_day"])
        hourly = {int(h): float(s) for h, s in raw.get("hourly_arrival_share", {}).items()} or DEFAULT_HOURS
        st: Mapping[str, Any] = raw.get("service_time", {})
        cv = float(st.get("cv", 0.6))
        distribution = str(st.get("distribution", "lognormal"))
        surges = tuple(
            Surge(_clock_min(str(x["from"])), _clock_min(str(x["to"])), float(x["factor"]))
            for x in raw.get("surges", [])
        )
        priority = float(raw.get("priority_share", 0.0))
        appointment = float(raw.get("appointment_share", 0.0))
        no_show = float(raw.get("no_show_share", 0.0))
        fee = float(raw.get("pay_fee_then_return_share", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkloadError(f"center {center.code}: unreadable workload: {exc!r}") from exc
    shares = {s.code: s.share for s in center.all_services()}
    fee_service = raw.get("fee_service") or ("BANK-FEE" if "BANK-FEE" in hall.services else None)
    if distribution not in DISTRIBUTIONS:
        raise WorkloadError(
            f"center {center.code}: unknown service time distribution {distribution!r}; "
            f"choose from {', '.join(DISTRIBUTIONS)}"
        )
    if fee and fee_service not in hall.services:
        raise WorkloadError(f"center {center.code}: no fee service {fee_service!r} for the fee payers")
    visits = sum(shares.values())
    if fee and fee_service is not None:
        others = sum(v for k, v in shares.items() if k != fee_service)
        shares[fee_service] = max(0.0, shares[fee_service] - fee * others)
    if sum(shares.values()) <= 0:
        raise WorkloadError(f"center {center.code}: no service has a share of the day's tickets")
    return Workload(
        # The day's visits are tickets_per_day; the fee payers' second visit takes no ticket.
        tickets_per_day=per_day * sum(shares.values()) / visits,
        hourly=hourly,
        service_share=shares,
        mean_min={code: s.mean_service_min for code, s in hall.services.items()},
        cv=cv,
        distribution=distribution,
        priority_share=priority,
        appointment_share=appointment,
        no_show_share=no_show,
        fee_share=fee if fee_service is not None else 0.0,
        fee_service=fee_service,
        surges=surges,
    )


def check_distribution(distribution: str, cv: float) -> None:
    """Raise :class:`WorkloadError` unless ``distribution`` can have coefficient of variation ``cv``."""
    if distribution not in DISTRIBUTIONS:
        raise WorkloadError(
            f"unknown service time distribution {distribution!r}; choose from {', '.join(DISTRIBUTIONS)}"
        )
    if distribution != "exponential" and not 0.0 < cv <= 5.0:
        raise WorkloadError(f"service time cv must be in (0, 5], got {cv:g}")
    if distribution == "hyperexponential" and cv < 1.0:
        raise WorkloadError(f"a hyperexponential distribution has cv >= 1, got {cv:g}")


def _clock_min(text: str) -> float:
    """``"13:30"`` -> 810.0 (minutes after midnight)."""
    hours, _, minutes = text.partition(":")
    try:
        return int(hours) * 60.0 + int(minutes or 0)
    except ValueError:
        raise WorkloadError(f"not a time of day (HH:MM): {text!r}") from None


def service_sampler(distribution: str, cv: float, rng: random.Random) -> Callable[[float], float]:
    """Return ``draw(mean) -> a service time`` of ``distribution`` with coefficient of variation ``cv``.

    * ``lognormal``: ``mean x exp(N(-sigma^2 / 2, sigma^2))``, ``sigma^2 = ln(1 + cv^2)``;
    * ``gamma``: shape ``1 / cv^2``;
    * ``hyperexponential``: two exponential phases with balanced means (each phase carries
      half the mean), the usual two-moment fit for ``cv >= 1``;
    * ``exponential``: ``cv`` is ignored (it is 1).

    Raises:
        WorkloadError: If the distribution is unknown or can't have that ``cv``.
    """
    check_distribution(distribution, cv)
    if distribution == "exponential":
        return lambda mean: rng.expovariate(1.0 / mean)
    cv2 = cv * cv
    if distribution == "gamma":
        shape = 1.0 / cv2
        return lambda mean: rng.gammavariate(shape, mean / shape)
    if distribution == "hyperexponential":
        p = (1.0 + math.sqrt((cv2 - 1.0) / (cv2 + 1.0))) / 2.0
        near, far = 1.0 / (2.0 * p), 1.0 / (2.0 * (1.0 - p))
        return lambda mean: rng.expovariate(1.0 / (mean * (near if rng.random() < p else far)))
    sigma2 = math.log1p(cv2)
    sigma = math.sqrt(sigma2)
    shift = -sigma2 / 2  # E[exp(N(mu, sigma^2))] = exp(mu + sigma^2 / 2) = mean
    return lambda mean: mean * math.exp(rng.gauss(shift, sigma))


def draw_citizens(
    workload: Workload, rng: random.Random, punctuality: Punctuality | None = None
) -> list[Citizen]:
    """Draw one day's citizens, in order of arrival.

    Each opening hour gets a Poisson number of arrivals with mean
    ``tickets_per_day x share``, spread uniformly over the hour: a Poisson
    process whose rate steps hour by hour. A surge multiplies the rate where it
    applies (the hour's count grows by its mean factor, and the arrival times
    are thinned to follow it). Appointment holders booked the quarter-hour slot
    that follows when they would have come, and come as ``punctuality`` says (None: up to
    ten minutes before it).
    """
    codes = list(workload.service_share)
    cum = _cumulative([workload.service_share[c] for c in codes])
    draw_service = service_sampler(workload.distribution, workload.cv, rng)
    fee_mean = workload.mean_min[workload.fee_service] if workload.fee_service else 0.0
    citizens: list[Citizen] = []
    booked = 0
    for hour, share in sorted(workload.hourly.items()):
        start = hour * 60.0
        factor = _surge_factor(workload.surges, start, start + 60.0)
        n = _poisson(workload.tickets_per_day * share * (factor.mean if factor else 1.0), rng)
        for _ in range(n):
            t = start + 60.0 * rng.random()
            if factor:
                while rng.random() * factor.top > factor.at(t):
                    t = start + 60.0 * rng.random()
            service = codes[_pick(cum, rng.random())]
            appointment = None
            slot: float | None = None
            absent = False
            if rng.random() < workload.appointment_share:
                booked += 1
                appointment = f"BK{booked:05d}"
                slot = math.ceil(t / SLOT_MIN) * SLOT_MIN
                u = rng.random()
                if punctuality is None:
                    t = max(start, slot - 10.0 * u)
                else:
                    # One draw of the main stream, whatever the punctuality: the rest of the
                    # day's citizens stay the same when only the punctuality changes.
                    sub = random.Random(u)
                    came = punctuality.arrival(slot, sub.random(), sub.random())
                    t = slot if came is None else came
                    absent = came is None
            priority = (
                rng.choice(PRIORITY_RIGHTS) if rng.random() < workload.priority_share else Priority.NONE
            )
            no_show = rng.random() < workload.no_show_share
            fee = (
                draw_service(fee_mean)
                if not no_show and service != workload.fee_service and rng.random() < workload.fee_share
                else None
            )
            service_min = draw_service(workload.mean_min[service])
            if absent:
                continue  # booked and never came: after every draw, so the others stay the same
            citizens.append(
                Citizen(
                    arrive_min=t,
                    service=service,
                    service_min=service_min,
                    priority=priority,
                    appointment=appointment,
                    slot_min=slot if punctuality is not None else None,
                    no_show=no_show,
                    fee_min=fee,
                )
            )
    citizens.sort(key=lambda c: c.arrive_min)
    return citizens


@dataclass(frozen=True, slots=True)
class _Factor:
    """The surges' factor over one hour: its mean, its largest value, and by the minute."""

    surges: tuple[Surge, ...]
    mean: float
    top: float

    def at(self, t: float) -> float:
        f = 1.0
        for s in self.surges:
            if s.start_min <= t < s.end_min:
                f *= s.factor
        return f


def _surge_factor(surges: Sequence[Surge], start: float, end: float) -> _Factor | None:
    """The factor the surges put on ``[start, end)``, or None where none applies (the
    common case draws exactly as a day without surges)."""
    mine = tuple(s for s in surges if s.start_min < end and s.end_min > start)
    if not mine:
        return None
    cuts = sorted({start, end, *(min(end, max(start, x)) for s in mine for x in (s.start_min, s.end_min))})
    factor = _Factor(mine, 0.0, 0.0)
    pieces = [(b - a, factor.at(a)) for a, b in itertools.pairwise(cuts) if b > a]
    mean = sum(w * f for w, f in pieces) / (end - start)
    return _Factor(mine, mean, max(f for _, f in pieces))


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    out: list[float] = []
    acc = 0.0
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _pick(cum: Sequence[float], u: float) -> int:
    for i, c in enumerate(cum):
        if u < c:
            return i
    return len(cum) - 1


def _poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw; by counting exponential gaps, fast enough for a few hundred per hour."""
    if mean <= 0:
        return 0
    n = 0
    t = rng.expovariate(1.0)
    while t < mean:
        n += 1
        t += rng.expovariate(1.0)
    return n
