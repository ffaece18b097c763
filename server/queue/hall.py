"""What the engine needs to know about a hall: services, counters, hours, rules.

These are plain frozen values built once at start-up, from the center configuration
(``server/center/``) or directly by the simulator and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from wire.types import AgencyCode, CounterNo, OutcomeCode, PriorityMode, Selection, ServiceCode, ZoneCode


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """How one counter picks the next citizen. See docs/routing.md.

    Order of precedence when a counter calls next:

    1. citizens returning to this counter (``return_to_me`` transfers) and tickets
       transferred to this counter by name, if ``returning_first``;
    2. priority rights, as ``priority_mode`` says;
    3. among the rest, ``selection`` across the counter's services, except that a
       ticket that has waited longer than ``max_wait_min`` goes first.

    Within one service and one priority class the order is always first come,
    first served.
    """

    returning_first: bool = True
    priority_mode: PriorityMode = PriorityMode.STRICT
    head_start_min: float = 10.0
    selection: Selection = Selection.OLDEST_FIRST
    max_wait_min: float | None = None


@dataclass(frozen=True, slots=True)
class ServiceDef:
    code: ServiceCode
    agency: AgencyCode
    prefix: str
    """Ticket prefix, Latin capitals only ("A", "DN"). Services of one agency usually share
    the agency's prefix, and then share one numbering sequence."""
    mean_service_min: float
    zone: ZoneCode = ""


@dataclass(frozen=True, slots=True)
class CounterDef:
    number: CounterNo
    zone: ZoneCode
    services: dict[ServiceCode, float]
    """Service code -> weight (1.0 unless the configuration says otherwise)."""
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    agency: AgencyCode = ""
    reserved: tuple[tuple[float, float], ...] = ()
    """Periods of the day, ``(from, to)`` in minutes since midnight, when this counter is
    reserved for booked citizens: it calls them first, early ones too, and walk-ins only
    when no booked citizen waits for it."""

    def reserved_at(self, minute: float) -> bool:
        """Return whether the counter is reserved for booked citizens at ``minute`` of the day."""
        return any(start <= minute < end for start, end in self.reserved)


@dataclass(frozen=True, slots=True)
class SlotHours:
    """Bookings of one service for part of the day: ``slot_min``-minute slots from ``start_min``
    (minutes since midnight) to ``end_min``, each taking ``per_slot`` citizens."""

    service: ServiceCode
    start_min: int
    end_min: int
    slot_min: int = 15
    per_slot: int = 1

    def slot_starts(self) -> range:
        """Each slot's start, in minutes since midnight (the last one ends by ``end_min``)."""
        return range(self.start_min, self.end_min - self.slot_min + 1, self.slot_min)


@dataclass(frozen=True, slots=True)
class Bookings:
    """The hall's rules for booked citizens (the appointment lane). See docs/routing.md
    and docs/appointments.md."""

    before_min: float = 30.0
    """A booked citizen may check in from this long before the slot ..."""
    after_min: float = 10.0
    """... until this long after it."""
    hold_max_min: float = 15.0
    in_a_row: int = 2
    """Booked citizens go ahead of walk-ins of their service from their slot time. Once a
    walk-in at a counter has waited ``hold_max_min``, that counter calls at most ``in_a_row``
    booked citizens in a row before the next walk-in: the bound on what bookings cost a
    walk-in, without leaving booked citizens to wait as long as everyone on a busy day."""
    promise_min: float = 5.0
    """The width of the range promised to a booked citizen, from the slot time."""
    walk_in_if_refused: bool = True
    """A citizen whose check-in is refused is offered a walk-in ticket (the kiosk's choice)."""
    slots: tuple[SlotHours, ...] = ()
    """The hours in which each service takes bookings (none: bookings are refused)."""


@dataclass(frozen=True, slots=True)
class Hall:
    services: dict[ServiceCode, ServiceDef]
    counters: dict[CounterNo, CounterDef]
    opens: time = time(9, 0)
    closes: time = time(19, 0)
    """Opening and closing time, in the time zone of the commands' ``at``."""
    days: frozenset[int] = frozenset(range(7))
    """The working days, as ``date.weekday()`` numbers (0 is Monday): the days whose service
    day ``KeepDay`` opens by itself."""
    recall_limit: int = 3
    """A ticket recalled this many times without showing up may be marked no-show
    by a further recall (the engine does it by itself)."""
    last_ticket_margin_min: float = 0.0
    """Refuse a ticket when its estimated wait would end later than closing minus this."""
    rating_window_min: float = 5.0
    """A visit can be rated this long after its finish, and no longer."""
    outcomes: tuple[OutcomeCode, ...] = ()
    """How a visit may end (``served``, ``documents_missing``, ...): a finish names one of
    these or none."""
    wait_standard_min: float = 15.0
    """The center's standard: a citizen should be called within this many minutes (what
    the supervisors are warned about, and the reports measure)."""
    bookings: Bookings = field(default_factory=Bookings)
