"""The queue engine: commands in, events out, no I/O."""

from __future__ import annotations

import copy
import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from wire import states
from wire.events import (
    BookingCancelled,
    BookingCheckedIn,
    BookingMade,
    BookingMissed,
    BookingMoved,
    CounterClosed,
    CounterOpened,
    CounterPaused,
    CounterResumed,
    CounterServicesSet,
    DayClosed,
    DayOpened,
    Event,
    HallMessageSet,
    ServiceStarted,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketMoved,
    TicketNoShow,
    TicketParked,
    TicketRecalled,
    TicketTransferred,
    VisitRated,
)
from wire.states import COUNTER_TRANSITIONS, HOLDING, IllegalTransition
from wire.types import (
    FINAL_STATES,
    CounterNo,
    CounterState,
    Priority,
    RatingReason,
    ServiceCode,
    Source,
    TicketId,
    TicketState,
)

from .book import Book
from .commands import (
    CallNext,
    CallTicket,
    CancelBooking,
    CancelTicket,
    CheckIn,
    CloseCounter,
    CloseDay,
    Command,
    FinishService,
    IssueTicket,
    KeepDay,
    MakeBooking,
    MarkNoShow,
    MoveBooking,
    MoveTicket,
    OpenCounter,
    OpenDay,
    Park,
    PauseCounter,
    RateVisit,
    Recall,
    ResumeCounter,
    SetCounterServices,
    SetHallMessage,
    StartService,
    Transfer,
)
from .estimate import Estimate, Estimator, Learner, LiveState, queue_length_estimate
from .exceptions import (
    CheckInRefused,
    CounterBusy,
    CounterNotOpen,
    CounterTaken,
    DayNotOpen,
    InconsistentEvent,
    InvalidTransition,
    NoCurrentTicket,
    NoOpenCounter,
    NothingToCall,
    OperatorElsewhere,
    RatingRefused,
    ReplayError,
    ServiceUnavailable,
    UnknownCounter,
    UnknownOutcome,
    UnknownService,
    UnknownTicket,
)
from .hall import Hall, RoutingPolicy
from .records import (
    CounterRecord,
    CounterStatus,
    CountersView,
    LastVisit,
    QueueStat,
    Ticket,
    TicketRecord,
    TicketsView,
)
from .routing import Lane, Router, ServiceQueue, service_order, slot_key

NUMBER_DIGITS = 3
"""A display number has at least three digits (A001); past 999 it simply grows (A1000),
so a large hall never refuses a citizen for lack of numbers. See docs/configuration.md."""

OPEN_AHEAD = timedelta(hours=1)
"""``KeepDay`` opens a working day this long before opening time: operators log in and
citizens at the door get their tickets before the doors open."""

AUTO_CLOSE_AFTER = timedelta(hours=2)
"""``KeepDay`` closes the day this long after closing time: citizens in the hall at closing
are still served; whoever still waits then ends as "not served, center closed"."""


def display_number(prefix: str, number: int) -> str:
    """The number a citizen reads: ``("A", 15)`` -> ``"A015"``, ``("A", 1000)`` -> ``"A1000"``."""
    return f"{prefix}{number:0{NUMBER_DIGITS}d}"


class QueueEngine:
    """Sans-I/O state machine for the queues of one hall.

    Pass commands to :meth:`handle`; it returns the events they caused, already
    applied. The engine never reads the clock, the network, the database or a
    device: commands carry their timestamp, and the caller persists and
    broadcasts the events. To restart, build a new engine with the same hall and
    :meth:`apply` the logged events in order. The passing of time is a command too:
    ``KeepDay(at)`` opens and closes the service day by the hall's hours.

    Args:
        hall: Services, counters, hours and rules, as configured. A supervisor may change
            which services a counter serves for the rest of a day (``SetCounterServices``);
            :attr:`hall` is the hall as it works now, and each day starts from ``hall``.
        estimator: The wait predictor (see :mod:`server.queue.estimate`).

    Raises:
        UnknownService: If a counter of ``hall`` lists a service the hall doesn't define.
        ValueError: If a service's ticket prefix isn't Latin capitals (the number that
            follows it would not be told apart from a digit of the prefix).

    """

    def __init__(self, hall: Hall, *, estimator: Estimator = queue_length_estimate) -> None:
        for service in hall.services.values():
            if not (service.prefix.isascii() and service.prefix.isalpha() and service.prefix.isupper()):
                raise ValueError(
                    f"service {service.code} has ticket prefix {service.prefix!r}: "
                    "a prefix must be Latin capitals (A-Z)"
                )
        for counter in hall.counters.values():
            for code in counter.services:
                if code not in hall.services:
                    raise UnknownService(
                        f"counter {counter.number} lists service {code}, which the hall doesn't define",
                        service=code,
                        counter=counter.number,
                    )
        self._configured = hall
        self._hall = hall
        self._estimator_of_hall = estimator
        """The estimator as given: bound again (``bind``) whenever the hall changes."""
        self._estimator = estimator
        self._day: date | None = None
        self._open = False
        self._id_prefix = ""
        """``"20261123-"``: formatting the day for every ticket is measurable."""
        self._tickets: dict[TicketId, TicketRecord] = {}
        self._last_number: dict[str, int] = {}
        """Prefix -> the last number issued today."""
        self._seq = 0
        self._queues = {code: ServiceQueue() for code in hall.services}
        self._named: dict[CounterNo, Lane] = {no: deque() for no in hall.counters}
        self._counters = {no: CounterRecord(no) for no in hall.counters}
        self._last_visit: dict[CounterNo, LastVisit] = {}
        """Counter -> the visit it finished last today, for its rating terminal."""
        self._routers: dict[CounterNo, Router] = {}
        self._booked_run: dict[CounterNo, int] = dict.fromkeys(hall.counters, 0)
        """Counter -> how many of its last calls in a row were booked citizens (the lane's bound)."""
        self._serving: dict[ServiceCode, tuple[CounterNo, ...]] = {}
        """Service -> the counters serving it today (open or not)."""
        self._policy: dict[ServiceCode, RoutingPolicy] = {}
        """Service -> the policy that orders :meth:`waiting` (its first counter's)."""
        # Kept up to date by the appliers so that the estimate at every issue is O(1).
        self._staffed: dict[ServiceCode, int] = dict.fromkeys(hall.services, 0)
        """Service -> how many of its counters are open or paused."""
        self._named_waiting: dict[ServiceCode, int] = dict.fromkeys(hall.services, 0)
        """Service -> how many of its tickets wait for a named counter."""
        self._closes_min = _minutes(hall.closes)
        self._book = Book(hall)
        """The bookings of every day (not cleared when a day opens)."""
        self._use_hall(hall)
        self._tickets_view = TicketsView(self._tickets)
        self._counters_view = CountersView(self._counters)
        self._handlers: dict[type[Any], Callable[[Any], list[Event]]] = {
            OpenDay: self._open_day,
            CloseDay: self._close_day,
            KeepDay: self._keep_day,
            IssueTicket: self._issue,
            CancelTicket: self._cancel,
            OpenCounter: self._open_counter,
            PauseCounter: self._pause_counter,
            ResumeCounter: self._resume_counter,
            CloseCounter: self._close_counter,
            SetCounterServices: self._set_services,
            MoveTicket: self._move,
            SetHallMessage: self._set_message,
            CallNext: self._call_next,
            CallTicket: self._call_ticket,
            Recall: self._recall,
            StartService: self._start,
            FinishService: self._finish,
            MarkNoShow: self._no_show,
            Transfer: self._transfer,
            Park: self._park,
            RateVisit: self._rate,
            MakeBooking: self._book.make,
            MoveBooking: self._book.move,
            CancelBooking: self._book.cancel,
            CheckIn: self._check_in,
        }
        self._appliers: dict[type[Any], Callable[[Any], None]] = {
            DayOpened: self._apply_day_opened,
            DayClosed: self._apply_day_closed,
            TicketIssued: self._apply_issued,
            TicketCancelled: self._apply_cancelled,
            TicketCalled: self._apply_called,
            TicketRecalled: self._apply_recalled,
            ServiceStarted: self._apply_started,
            TicketFinished: self._apply_finished,
            TicketNoShow: self._apply_no_show,
            TicketTransferred: self._apply_transferred,
            TicketParked: self._apply_parked,
            CounterOpened: self._apply_counter_opened,
            CounterPaused: self._apply_counter_paused,
            CounterResumed: self._apply_counter_resumed,
            CounterClosed: self._apply_counter_closed,
            CounterServicesSet: self._apply_services_set,
            TicketMoved: self._apply_moved,
            HallMessageSet: self._apply_message_set,
            VisitRated: self._apply_rated,
            BookingMade: self._book.apply_made,
            BookingMoved: self._book.apply_moved,
            BookingCancelled: self._book.apply_cancelled,
            BookingCheckedIn: self._book.apply_checked_in,
            BookingMissed: self._book.apply_missed,
        }

    # --- the two entry points ---------------------------------------------------------

    def handle(self, command: Command) -> list[Event]:
        """Carry out one command.

        Returns:
            The events it caused, in order, already applied to this engine.
            Persist them and pass them on; replaying them with :meth:`apply`
            rebuilds the same state.

        Raises:
            QueueError: A subclass saying why the command isn't allowed now
                (see :mod:`server.queue.exceptions`). The engine is left unchanged.

        """
        # decide() and apply() inlined: this is the hot path of the whole server.
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a queue command: {command!r}")
        events = handler(command)
        appliers = self._appliers
        for event in events:
            appliers[type(event)](event)
        return events

    def decide(self, command: Command) -> list[Event]:
        """Return the events ``command`` would cause, without applying them.

        Lets a caller ask "would a ticket for this service be refused now?" (the
        kiosk greys such services out) through the very rules that refuse it.

        Raises:
            QueueError: As :meth:`handle` would.

        """
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a queue command: {command!r}")
        return handler(command)

    def apply(self, event: Event) -> None:
        """Update the state from one event (returned by :meth:`handle`, or read from the log).

        The event is trusted, and checked where that is cheap: one that cannot follow
        the state (a ticket never issued, a counter holding another ticket, a move the
        state tables forbid) raises. Replay a log with :func:`replay`, which names the
        event's seq.

        Raises:
            InconsistentEvent: The event cannot follow the state: the log is broken. The
                engine may be half-changed: discard it.
            TypeError: ``event`` is not a queue event.
        """
        applier = self._appliers.get(type(event))
        if applier is None:
            raise TypeError(f"not a queue event: {event!r}")
        try:
            applier(event)
        except IllegalTransition as exc:
            raise InconsistentEvent(event, f"{_about(event)}: {exc}") from None
        except KeyError as exc:
            # A code the hall doesn't define (center.toml changed under the log?).
            raise InconsistentEvent(event, f"{_about(event)}: unknown {exc.args[0]!r}") from None

    def clone(self) -> QueueEngine:
        """Return an independent copy of this engine, in the same state.

        For a server that keeps a ``committed`` engine (what the log holds) beside its
        ``live`` one (which also holds decisions not yet committed): when a commit
        fails, ``live = committed.clone()`` drops those decisions without reading the
        log again. The halls are shared (immutable: a change of services makes a new
        one); everything else is copied.
        Takes time in proportion to the day's tickets (milliseconds for a large
        center's day), not to its events; see docs/store.md.
        """
        # Halls are immutable and may be large: share them rather than copy them.
        memo: dict[int, Any] = {id(self._hall): self._hall, id(self._configured): self._configured}
        return copy.deepcopy(self, memo)

    # --- read-only views ----------------------------------------------------------------

    @property
    def hall(self) -> Hall:
        """The hall as it works now: the configured one, with the services a supervisor
        gave counters today (``CounterServicesSet``)."""
        return self._hall

    @property
    def book(self) -> Book:
        """The bookings of every day the log holds (read it; change it through commands)."""
        return self._book

    @property
    def configured_hall(self) -> Hall:
        """The hall as configured: what every day starts from."""
        return self._configured

    @property
    def day(self) -> date | None:
        """The day opened last (still set after it is closed), or None before the first."""
        return self._day

    @property
    def is_open(self) -> bool:
        """Whether a day is open: tickets can be issued and counters used."""
        return self._open

    @property
    def tickets(self) -> Mapping[TicketId, Ticket]:
        """The tickets of the current (or last) day, in order of issue. A live view of snapshots."""
        return self._tickets_view

    @property
    def counters(self) -> Mapping[CounterNo, CounterStatus]:
        """Every counter of the hall, with today's figures. A live view of snapshots."""
        return self._counters_view

    def last_visit(self, counter: CounterNo) -> LastVisit | None:
        """The visit ``counter`` finished last today (the one its rating terminal may rate),
        as it is now: a copy, which the engine never changes afterwards."""
        visit = self._last_visit.get(counter)
        return None if visit is None else dataclasses.replace(visit)

    def waiting(self, service: ServiceCode) -> list[Ticket]:
        """Return the tickets waiting in ``service``, in the order they would be called.

        Tickets sent to a named counter come first; the rest follow the priority
        rule of the first counter serving the service. Max-wait overrides are
        left out: they depend on the moment of the call.

        Raises:
            UnknownService: If the hall has no such service.

        """
        queue = self._queue(service, "list the waiting tickets")
        # Every counter's lane: one that stopped serving the service still calls those sent to it.
        named = sorted(
            (t for lane in self._named.values() for t in lane if t.service == service),
            key=lambda t: t.seq,
        )
        return [t.snapshot() for t in service_order(self._policy[service], queue, named)]

    def queue_stats(self) -> dict[ServiceCode, QueueStat]:
        """Return the length and the oldest original arrival of every service's queue."""
        counts: dict[ServiceCode, int] = {}
        oldest: dict[ServiceCode, datetime] = {}

        def count(t: TicketRecord) -> None:
            code = t.service
            counts[code] = counts.get(code, 0) + 1
            first = oldest.get(code)
            if first is None or t.issued_at < first:
                oldest[code] = t.issued_at

        for queue in self._queues.values():
            for lane in (queue.prio, queue.normal, queue.booked):
                for t in lane:
                    count(t)
        for lane in self._named.values():
            for t in lane:
                count(t)
        return {
            code: QueueStat(waiting=counts.get(code, 0), oldest_issued_at=oldest.get(code))
            for code in self._queues
        }

    def estimate(self, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        """Return the wait a ticket issued now for ``service`` would be told.

        Raises:
            UnknownService: If the hall has no such service.

        """
        self._queue(service, "estimate the wait")
        return self._estimator(self, service, priority, at)

    def ahead_of(self, service: ServiceCode, priority: Priority) -> int:
        """Return how many waiting tickets a new ticket would be called after.

        That is the service's tickets sent to a named counter, the booked citizens
        checked in, those with a priority right, and for a ticket without one, everyone
        else too.
        """
        queue = self._queues[service]
        ahead = self._named_waiting[service] + len(queue.prio) + len(queue.booked)
        return ahead if priority is not Priority.NONE else ahead + len(queue.normal)

    def live_state(self) -> LiveState:
        """Return the engine's own queues, named lanes and counters, for a bound estimator.

        Live and mutable: an estimator reads them inside :meth:`decide` and must never
        change them. Reading them directly is what keeps an estimate that looks at every
        counter of a pool cheap enough for every ticket issued.
        """
        return LiveState(queues=self._queues, named=self._named, counters=self._counters)

    def staffed(self, service: ServiceCode) -> int:
        """Return how many open or paused counters serve ``service``."""
        return self._staffed[service]

    def serving(self, service: ServiceCode) -> tuple[CounterNo, ...]:
        """Return the counters that serve ``service`` today, open or not."""
        return self._serving[service]

    # --- the hall as it works today -------------------------------------------------

    def _use_hall(self, hall: Hall) -> None:
        """Work with ``hall`` from now on: the routers, the services' counters and the
        estimator follow it. Costs a few milliseconds; a hall changes a few times a day."""
        self._hall = hall
        self._routers = {
            no: Router(c, self._queues, self._named[no], hall.bookings) for no, c in hall.counters.items()
        }
        self._serving = {
            code: tuple(no for no, c in hall.counters.items() if code in c.services) for code in hall.services
        }
        self._policy = {
            code: hall.counters[nos[0]].policy if nos else RoutingPolicy()
            for code, nos in self._serving.items()
        }
        self._staffed = {
            code: sum(1 for no in nos if self._counters[no].state is not CounterState.CLOSED)
            for code, nos in self._serving.items()
        }
        # An estimator with ``bind`` gets its own instance for this engine and this hall,
        # once the state it may read (live_state) exists.
        bind = getattr(self._estimator_of_hall, "bind", None)
        self._estimator = bind(self) if bind is not None else self._estimator_of_hall
        # An estimator that learns from the day (service times, breaks) is told as events apply,
        # so that a replayed engine learns exactly what the live one did. (A hall changed
        # mid-day binds a new one, which learns again from there.)
        self._learner = self._estimator if isinstance(self._estimator, Learner) else None

    # --- deciding: one method per command; they raise or return events ---------------

    def _open_day(self, cmd: OpenDay) -> list[Event]:
        if self._open:
            raise InvalidTransition(
                f"can't open day {cmd.day}: day {self._day} is still open; close it first", day=cmd.day
            )
        if self._day is not None and cmd.day <= self._day:
            # Numbers restart with a day: opening a day twice would reuse ticket ids.
            raise InvalidTransition(
                f"can't open day {cmd.day}: day {self._day} was opened already and days only go forward",
                day=cmd.day,
            )
        return [DayOpened(day=cmd.day, at=cmd.at, by=cmd.by)]

    def _close_day(self, cmd: CloseDay) -> list[Event]:
        self._require_day("close the day")
        unserved = tuple(t.id for t in self._tickets.values() if t.state not in FINAL_STATES)
        # A booking of the day (or before) not checked in by now is missed: nobody can check in.
        missed = self._book.missed(cmd.at, day_closed=self._day)
        return [DayClosed(at=cmd.at, unserved=unserved, by=cmd.by), *missed]

    def _keep_day(self, cmd: KeepDay) -> list[Event]:
        events = self._keep_day_open(cmd)
        if not any(isinstance(e, BookingMissed) for e in events):
            # The clock also ends the bookings whose check-in window closed without a check-in.
            events += self._book.missed(cmd.at)
        return events

    def _keep_day_open(self, cmd: KeepDay) -> list[Event]:
        # Rule D-1: a working day opens by itself OPEN_AHEAD before opening time and every
        # day closes by itself AUTO_CLOSE_AFTER after closing time, or when the date changed.
        at = cmd.at
        today = at.date()
        hall = self._hall
        opens = datetime.combine(today, hall.opens, at.tzinfo) - OPEN_AHEAD
        closes = datetime.combine(today, hall.closes, at.tzinfo) + AUTO_CLOSE_AFTER
        events: list[Event] = []
        if self._open:
            if self._day == today and at < closes:
                return events
            events += self._close_day(CloseDay(at=at))
        if (
            today.weekday() in hall.days
            and opens <= at < closes
            and (self._day is None or self._day < today)  # days only go forward
        ):
            events.append(DayOpened(day=today, at=at))
        return events

    def _issue(self, cmd: IssueTicket) -> list[Event]:
        self._require_day("issue a ticket")
        code = cmd.service
        service = self._hall.services.get(code)
        if service is None:
            raise UnknownService(f"can't issue a ticket: no service {code}", service=code)
        if not self._serving[code]:
            raise ServiceUnavailable(
                f"can't issue a ticket for {code}: no counter in this hall serves it",
                reason="closed",
                service=code,
            )
        now_min = _minutes(cmd.at)
        if now_min >= self._closes_min:
            raise ServiceUnavailable(
                f"can't issue a ticket for {code} at {cmd.at:%H:%M}: "
                f"the hall closes at {self._hall.closes:%H:%M}",
                reason="closed",
                service=code,
            )
        prefix = service.prefix
        number = self._last_number.get(prefix, 0) + 1
        if cmd.slot_at is not None:
            est = self._booked_estimate(cmd)
        else:
            est = self._estimator(self, code, cmd.priority, cmd.at)
        cutoff = self._closes_min - self._hall.last_ticket_margin_min
        if cmd.slot_at is None and now_min + est.est_min > cutoff:
            raise ServiceUnavailable(
                f"can't issue a ticket for {code} at {cmd.at:%H:%M}: the estimated wait of "
                f"{est.est_min:.0f} min ends after the last service time",
                reason="full",
                service=code,
            )
        display = display_number(prefix, number)
        return [
            TicketIssued(
                ticket=self._id_prefix + display,
                number=display,
                service=code,
                agency=service.agency,
                at=cmd.at,
                lang=cmd.lang,
                priority=cmd.priority,
                source=cmd.source,
                appointment=cmd.appointment,
                slot_at=cmd.slot_at,
                ahead=est.ahead,
                wait_low_min=est.low_min,
                wait_high_min=est.high_min,
                wait_est_min=est.est_min,
            )
        ]

    def _check_in(self, cmd: CheckIn) -> list[Event]:
        """A booked citizen's ticket: the booking's service, in the appointment lane from its
        slot, and the booking checked in, in one decision (both events, or a refusal)."""
        rules = self._hall.bookings
        service: ServiceCode | None = None
        try:
            booking = self._book.for_check_in(cmd.code)
            service = booking.service
            self._require_day("check in")
            events: list[Event] = list(
                self._issue(
                    IssueTicket(
                        service=booking.service,
                        at=cmd.at,
                        lang=cmd.lang,
                        source=Source.APPOINTMENT,
                        appointment=booking.code,
                        slot_at=booking.slot_at,
                    )
                )
            )
        except CheckInRefused as exc:
            exc.details["service"] = service if service is not None else exc.details.get("service")
            exc.details["walk_in"] = rules.walk_in_if_refused
            raise
        issued = events[0]
        assert isinstance(issued, TicketIssued)
        events.append(BookingCheckedIn(code=booking.code, ticket=issued.ticket, at=cmd.at))
        return events

    def _booked_estimate(self, cmd: IssueTicket) -> Estimate:
        """Check a booked citizen in (refused outside the window) and promise the slot.

        The promise is the slot itself, or now if it has passed, to ``promise_min`` later:
        the appointment lane calls them from the slot (docs/routing.md).
        """
        slot = cmd.slot_at
        assert slot is not None
        rules = self._hall.bookings
        opens = slot - timedelta(minutes=rules.before_min)
        closes = slot + timedelta(minutes=rules.after_min)
        what = f"can't check in booking {cmd.appointment or ''} for {slot:%H:%M}".replace("  ", " ")
        if cmd.at < opens:
            raise CheckInRefused(
                f"{what} at {cmd.at:%H:%M}: check-in opens at {opens:%H:%M}",
                reason="early",
                opens_at=opens.isoformat(),
            )
        if cmd.at > closes:
            raise CheckInRefused(
                f"{what} at {cmd.at:%H:%M}: check-in closed at {closes:%H:%M}",
                reason="late",
                closed_at=closes.isoformat(),
            )
        key = (slot.timestamp(), self._seq + 1)
        ahead = sum(1 for t in self._queues[cmd.service].booked if slot_key(t) < key)
        low = max(0.0, (slot - cmd.at).total_seconds() / 60.0)
        return Estimate(ahead=ahead, low_min=low, est_min=low, high_min=low + rules.promise_min)

    def _cancel(self, cmd: CancelTicket) -> list[Event]:
        self._require_day("cancel a ticket")
        t = self._ticket(cmd.ticket, "cancel")
        if not states.allows(t.state, TicketCancelled):
            where = f" at counter {t.counter}" if t.state in HOLDING else ""
            raise InvalidTransition(
                f"can't cancel ticket {t.number}: it is {t.state.value}{where}, not waiting",
                ticket=t.id,
                state=t.state,
            )
        return [TicketCancelled(ticket=t.id, number=t.number, at=cmd.at, by=cmd.by)]

    def _move(self, cmd: MoveTicket) -> list[Event]:
        self._require_day("move a ticket")
        t = self._ticket(cmd.ticket, "move")
        action = f"move ticket {t.number} to {cmd.to_service}"
        if not states.allows(t.state, TicketMoved):
            where = f" at counter {t.counter}" if t.state in HOLDING else ""
            raise InvalidTransition(
                f"can't {action}: it is {t.state.value}{where}, not waiting", ticket=t.id, state=t.state
            )
        if cmd.to_service not in self._hall.services:
            raise UnknownService(f"can't {action}: no service {cmd.to_service}", service=cmd.to_service)
        if cmd.to_service == t.service and t.target_counter is None:
            return []  # already so: nothing to record
        # Rule R-6, as for a transfer: only where an open or paused counter will call it.
        if not self._staffed[cmd.to_service]:
            raise NoOpenCounter(f"can't {action}: no counter serving it is open", service=cmd.to_service)
        return [
            TicketMoved(
                ticket=t.id,
                number=t.number,
                from_service=t.service,
                to_service=cmd.to_service,
                at=cmd.at,
                by=cmd.by,
            )
        ]

    def _open_counter(self, cmd: OpenCounter) -> list[Event]:
        self._require_day("open a counter")
        c = self._counter(cmd.counter, "open a counter")
        if cmd.operator is None:
            # The supervisor's "open": whoever is logged in stays; a paused counter resumes.
            if c.state is CounterState.OPEN:
                return []  # already so: nothing to record
            return [CounterOpened(counter=c.number, at=cmd.at, operator=c.operator, by=cmd.by)]
        # An operator's login. Rule C-1: one operator per counter, one counter per operator.
        if c.operator == cmd.operator:
            return []  # logged in already (an app that reconnected): a break stays a break
        action = f"log {cmd.operator} in at counter {c.number}"
        if c.operator is not None:
            raise CounterTaken(
                f"can't {action}: {c.operator} works there", counter=c.number, operator=c.operator
            )
        for other in self._counters.values():
            if other.operator == cmd.operator:
                raise OperatorElsewhere(
                    f"can't {action}: {cmd.operator} works at counter {other.number}",
                    counter=other.number,
                    operator=cmd.operator,
                )
        return [CounterOpened(counter=c.number, at=cmd.at, operator=cmd.operator, by=cmd.by)]

    def _pause_counter(self, cmd: PauseCounter) -> list[Event]:
        self._require_day("pause a counter")
        c = self._counter(cmd.counter, "pause a counter")
        self._check_counter(c, CounterPaused, "pause")
        self._require_empty(c, "pause")
        return [CounterPaused(counter=cmd.counter, at=cmd.at, by=cmd.by)]

    def _resume_counter(self, cmd: ResumeCounter) -> list[Event]:
        self._require_day("resume a counter")
        c = self._counter(cmd.counter, "resume a counter")
        self._check_counter(c, CounterResumed, "resume")
        return [CounterResumed(counter=cmd.counter, at=cmd.at, by=cmd.by)]

    def _close_counter(self, cmd: CloseCounter) -> list[Event]:
        self._require_day("close a counter")
        c = self._counter(cmd.counter, "close a counter")
        if c.state is CounterState.CLOSED:
            return []  # already so: nothing to record
        self._check_counter(c, CounterClosed, "close")
        self._require_empty(c, "close")
        return [CounterClosed(counter=cmd.counter, at=cmd.at, by=cmd.by)]

    def _set_services(self, cmd: SetCounterServices) -> list[Event]:
        self._require_day("set the services of a counter")
        c = self._counter(cmd.counter, "set the services of a counter")
        action = f"set the services of counter {c.number}"
        codes = tuple(dict.fromkeys(cmd.services))  # a service named twice counts once
        if not codes:
            raise InvalidTransition(f"can't {action}: name at least one service", counter=c.number)
        for code in codes:
            if code not in self._hall.services:
                raise UnknownService(f"can't {action}: no service {code}", service=code, counter=c.number)
        if codes == tuple(self._hall.counters[c.number].services):
            return []  # already so: nothing to record
        return [CounterServicesSet(counter=c.number, services=codes, at=cmd.at, by=cmd.by)]

    def _set_message(self, cmd: SetHallMessage) -> list[Event]:
        return [HallMessageSet(text=cmd.text, at=cmd.at, by=cmd.by)]

    def _call_next(self, cmd: CallNext) -> list[Event]:
        self._require_day("call next")
        c = self._ready_counter(cmd.counter, "call next")
        t = self._routers[cmd.counter].pick(
            cmd.at.timestamp(), _minutes(cmd.at), self._booked_run[cmd.counter]
        )
        if t is None:
            raise NothingToCall(
                f"can't call next at counter {c.number}: nobody is waiting for it", counter=c.number
            )
        return [self._called(t, c.number, cmd.at)]

    def _call_ticket(self, cmd: CallTicket) -> list[Event]:
        self._require_day("call a ticket")
        t = self._ticket(cmd.ticket, "call")
        c = self._ready_counter(cmd.counter, f"call ticket {t.number}")
        action = f"call ticket {t.number} at counter {c.number}"
        if t.state is TicketState.WAITING:
            if t.target_counter is not None and t.target_counter != c.number:
                raise InvalidTransition(
                    f"can't {action}: it waits for counter {t.target_counter}", ticket=t.id, state=t.state
                )
            if t.target_counter is None and t.service not in self._hall.counters[c.number].services:
                raise InvalidTransition(
                    f"can't {action}: the counter doesn't serve {t.service}", ticket=t.id, state=t.state
                )
        elif t.state is TicketState.PARKED:
            if t.counter != c.number:
                raise InvalidTransition(
                    f"can't {action}: it was parked by counter {t.counter}", ticket=t.id, state=t.state
                )
        else:
            raise InvalidTransition(
                f"can't {action}: it is {t.state.value}, not waiting or parked", ticket=t.id, state=t.state
            )
        return [self._called(t, c.number, cmd.at)]

    @staticmethod
    def _called(t: TicketRecord, counter: CounterNo, at: datetime) -> TicketCalled:
        # The ticket's language goes with the call: the displays say the call in it too.
        return TicketCalled(
            ticket=t.id, number=t.number, service=t.service, counter=counter, at=at, lang=t.lang
        )

    def _recall(self, cmd: Recall) -> list[Event]:
        c, t = self._held(cmd.counter, "recall", TicketRecalled)
        if t.recalls >= self._hall.recall_limit:
            # Rule R-3: past the limit a recall ends the call instead of chiming again.
            return [TicketNoShow(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]
        return [
            TicketRecalled(
                ticket=t.id, number=t.number, counter=c.number, recalls=t.recalls + 1, at=cmd.at, lang=t.lang
            )
        ]

    def _start(self, cmd: StartService) -> list[Event]:
        c, t = self._held(cmd.counter, "start service", ServiceStarted)
        return [ServiceStarted(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]

    def _finish(self, cmd: FinishService) -> list[Event]:
        c, t = self._held(cmd.counter, "finish service", TicketFinished)
        if cmd.outcome is not None and cmd.outcome not in self._hall.outcomes:
            known = ", ".join(self._hall.outcomes) or "none"
            raise UnknownOutcome(
                f"can't finish {t.number} as {cmd.outcome!r}: the center's outcomes are {known}",
                outcome=cmd.outcome,
            )
        events: list[Event] = [
            TicketFinished(ticket=t.id, number=t.number, counter=c.number, at=cmd.at, outcome=cmd.outcome)
        ]
        if t.return_to is not None:
            if t.return_service is None:
                raise RuntimeError(f"engine bug: ticket {t.number} returns to {t.return_to}, no service")
            # Rule R-7: a citizen whose counter closed meanwhile goes back to the queue of
            # their service instead, where any counter serving it calls them.
            back_to: CounterNo | None = t.return_to
            if self._counters[t.return_to].state is CounterState.CLOSED:
                back_to = None
            events.append(
                TicketTransferred(
                    ticket=t.id,
                    number=t.number,
                    from_counter=c.number,
                    to_service=t.return_service,
                    to_counter=back_to,
                    at=cmd.at,
                )
            )
        return events

    def _no_show(self, cmd: MarkNoShow) -> list[Event]:
        c, t = self._held(cmd.counter, "mark a no-show", TicketNoShow)
        return [TicketNoShow(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]

    def _park(self, cmd: Park) -> list[Event]:
        c, t = self._held(cmd.counter, "park", TicketParked)
        return [TicketParked(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]

    def _transfer(self, cmd: Transfer) -> list[Event]:
        c, t = self._held(cmd.counter, "transfer", TicketTransferred)
        action = f"transfer ticket {t.number} from counter {c.number}"
        if cmd.to_service is None and cmd.to_counter is None:
            raise InvalidTransition(
                f"can't {action}: name a service or a counter", ticket=t.id, state=t.state
            )
        hall = self._hall
        if cmd.to_service is not None and cmd.to_service not in hall.services:
            raise UnknownService(f"can't {action}: no service {cmd.to_service}", service=cmd.to_service)
        to_service = cmd.to_service
        if cmd.to_counter is not None:
            target = hall.counters.get(cmd.to_counter)
            if target is None:
                raise UnknownCounter(f"can't {action}: no counter {cmd.to_counter}", counter=cmd.to_counter)
            if to_service is None:
                to_service = t.service if t.service in target.services else next(iter(target.services), None)
            if to_service is None or to_service not in target.services:
                raise UnknownService(
                    f"can't {action} to counter {cmd.to_counter}: "
                    f"it doesn't serve {to_service or 'any service'}",
                    service=to_service,
                    counter=cmd.to_counter,
                )
        if to_service is None:  # both None was refused above; this is for the type checker
            raise InvalidTransition(f"can't {action}: name a service", ticket=t.id, state=t.state)
        # Rule R-6: a transfer goes only where an open (or paused) counter will call the
        # citizen; otherwise they would wait until the day closes. The return trip of a
        # return_to_me transfer goes to this counter, open as it asks.
        if cmd.to_counter is not None:
            if self._counters[cmd.to_counter].state is CounterState.CLOSED:
                raise NoOpenCounter(
                    f"can't {action} to counter {cmd.to_counter}: it is closed",
                    service=to_service,
                    counter=cmd.to_counter,
                )
        elif not self._staffed[to_service]:
            why = "is open" if self._serving[to_service] else "exists in this hall"
            raise NoOpenCounter(f"can't {action}: no counter serving {to_service} {why}", service=to_service)
        # A pending return survives further transfers; a new return_to_me replaces it.
        return_to = c.number if cmd.return_to_me else t.return_to
        return [
            TicketTransferred(
                ticket=t.id,
                number=t.number,
                from_counter=c.number,
                to_service=to_service,
                at=cmd.at,
                to_counter=cmd.to_counter,
                return_to=return_to,
            )
        ]

    def _rate(self, cmd: RateVisit) -> list[Event]:
        c = self._counter(cmd.counter, "rate a visit")
        action = f"rate ticket {cmd.ticket} at counter {c.number}"
        if isinstance(cmd.score, bool) or not (isinstance(cmd.score, int) and 1 <= cmd.score <= 5):
            raise RatingRefused(
                f"can't {action}: the score must be 1 to 5, not {cmd.score!r}", reason="score"
            )
        try:
            # One of each, in the order given: a double tap on a reason counts once.
            reasons = tuple(dict.fromkeys(RatingReason(r) for r in cmd.reasons))
        except ValueError:
            known = ", ".join(r.value for r in RatingReason)
            raise RatingRefused(f"can't {action}: reasons are {known}", reason="score") from None
        # Rule V-1: a terminal rates only the visit its counter finished last, once,
        # within the hall's window: nobody rates a counter for someone else's visit.
        visit = self._last_visit.get(c.number)
        if visit is None:
            raise RatingRefused(
                f"can't {action}: the counter has finished no visit today",
                reason="no_visit",
                counter=c.number,
            )
        if visit.ticket != cmd.ticket:
            raise RatingRefused(
                f"can't {action}: the last visit finished there is ticket {visit.number}",
                reason="not_last",
                counter=c.number,
                ticket=visit.ticket,
            )
        if visit.rated_at is not None:
            raise RatingRefused(
                f"can't {action}: the visit was rated at {visit.rated_at:%H:%M:%S}",
                reason="already_rated",
                counter=c.number,
                ticket=visit.ticket,
            )
        window = self._hall.rating_window_min
        after_min = (cmd.at - visit.finished_at).total_seconds() / 60
        if not 0 <= after_min <= window:
            raise RatingRefused(
                f"can't {action}: the visit finished at {visit.finished_at:%H:%M:%S}, "
                f"and a rating is taken within {window:g} min after the finish",
                reason="expired",
                counter=c.number,
                ticket=visit.ticket,
            )
        return [
            VisitRated(
                ticket=visit.ticket,
                number=visit.number,
                counter=c.number,
                service=visit.service,
                agency=visit.agency,
                score=cmd.score,
                finished_at=visit.finished_at,
                at=cmd.at,
                operator=visit.operator,
                reasons=reasons,
                source=cmd.source,
            )
        ]

    # --- checks shared by the deciders ---------------------------------------------------

    def _require_day(self, action: str) -> None:
        if not self._open:
            why = "no day has been opened" if self._day is None else f"day {self._day} is closed"
            raise DayNotOpen(f"can't {action}: {why}")

    def _queue(self, service: ServiceCode, action: str) -> ServiceQueue:
        queue = self._queues.get(service)
        if queue is None:
            raise UnknownService(f"can't {action}: no service {service}", service=service)
        return queue

    def _ticket(self, ticket: TicketId, action: str) -> TicketRecord:
        t = self._tickets.get(ticket)
        if t is None:
            raise UnknownTicket(f"can't {action} ticket {ticket}: no such ticket today", ticket=ticket)
        return t

    def _counter(self, counter: CounterNo, action: str) -> CounterRecord:
        c = self._counters.get(counter)
        if c is None:
            raise UnknownCounter(f"can't {action}: there is no counter {counter}", counter=counter)
        return c

    def _check_counter(self, c: CounterRecord, event: type[Event], action: str) -> None:
        if event in COUNTER_TRANSITIONS[c.state]:
            return
        message = f"can't {action} counter {c.number}: it is {c.state.value}"
        if c.state is CounterState.CLOSED:
            raise CounterNotOpen(message, counter=c.number, state=c.state)
        raise InvalidTransition(message, counter=c.number, state=c.state)

    def _require_empty(self, c: CounterRecord, action: str) -> None:
        if c.current is not None:
            raise CounterBusy(
                f"can't {action} counter {c.number}: it holds ticket {c.current.number} "
                f"({c.current.state.value}); finish or park it first",
                counter=c.number,
                ticket=c.current.id,
            )

    def _ready_counter(self, counter: CounterNo, action: str) -> CounterRecord:
        """Return an open counter without a ticket, ready to call one."""
        c = self._counter(counter, action)
        if c.state is not CounterState.OPEN:
            raise CounterNotOpen(
                f"can't {action} at counter {c.number}: it is {c.state.value}", counter=c.number
            )
        if c.current is not None:
            # This is what makes a double click on "call next" harmless.
            raise CounterBusy(
                f"can't {action} at counter {c.number}: it holds ticket {c.current.number} "
                f"({c.current.state.value})",
                counter=c.number,
                ticket=c.current.id,
            )
        return c

    def _held(
        self, counter: CounterNo, action: str, event: type[Event]
    ) -> tuple[CounterRecord, TicketRecord]:
        """Return the counter and the ticket it holds, if ``event`` is legal for that ticket."""
        self._require_day(action)
        c = self._counter(counter, action)
        t = c.current
        if t is None:
            raise NoCurrentTicket(
                f"can't {action} at counter {c.number}: it holds no ticket", counter=c.number
            )
        if not states.allows(t.state, event):
            expected = " or ".join(s.value for s in states.states_allowing(event))
            raise InvalidTransition(
                f"can't {action} at counter {c.number}: ticket {t.number} is {t.state.value}, not {expected}",
                counter=c.number,
                ticket=t.id,
                state=t.state,
            )
        return c, t

    # --- applying: one method per event; trusted, cheap ------------------------------

    def _apply_day_opened(self, e: DayOpened) -> None:
        if self._open:
            raise InconsistentEvent(e, f"day {self._day} is open already")
        if any(self._queues.values()):
            raise InconsistentEvent(e, "tickets of the last day still wait")
        self._day = e.day
        self._id_prefix = f"{e.day:%Y%m%d}-"
        self._open = True
        self._tickets.clear()
        self._last_number.clear()
        self._last_visit.clear()
        self._staffed = dict.fromkeys(self._hall.services, 0)
        for c in self._counters.values():
            c.reset(e.at)
        if self._hall is not self._configured:
            self._use_hall(self._configured)  # yesterday's changes of services end with it
        if self._learner is not None:
            self._learner.day_opened(e.at)

    def _apply_day_closed(self, e: DayClosed) -> None:
        self._require_open(e)
        for ticket_id in e.unserved:
            t = self._logged_ticket(e, ticket_id)
            t.state = states.next_state(t.state, DayClosed)
            t.history.append((e.at, TicketState.CLOSED_UNSERVED, t.counter))
            t.snap = None
        alive = [t.number for t in self._tickets.values() if t.state not in FINAL_STATES]
        if alive:
            raise InconsistentEvent(e, f"ticket {', '.join(alive[:5])} outlives the day, not listed unserved")
        for q in self._queues.values():
            q.prio.clear()
            q.normal.clear()
            q.booked.clear()
        for lane in self._named.values():
            lane.clear()
        self._named_waiting = dict.fromkeys(self._hall.services, 0)
        self._staffed = dict.fromkeys(self._hall.services, 0)
        self._booked_run = dict.fromkeys(self._hall.counters, 0)
        for c in self._counters.values():
            c.state = CounterState.CLOSED
            c.operator = None
            c.current = None
            c.since = e.at
            c.snap = None
        self._open = False

    def _apply_issued(self, e: TicketIssued) -> None:
        self._require_open(e)
        self._seq += 1
        t = TicketRecord(
            id=e.ticket,
            number=e.number,
            service=e.service,
            agency=e.agency,
            lang=e.lang,
            priority=e.priority,
            source=e.source,
            appointment=e.appointment,
            at=e.at,
            seq=self._seq,
            slot_at=e.slot_at,
        )
        if e.ticket in self._tickets:
            raise InconsistentEvent(e, f"ticket {e.ticket} was issued already")
        self._tickets[e.ticket] = t
        self._queues[e.service].add(t)
        if self._learner is not None:
            self._learner.queued(t, e.at)
        # Prefixes are letters only (server/center/model.py): the trailing digits are the number.
        prefix = e.number.rstrip("0123456789")
        number = int(e.number[len(prefix) :])
        if number > self._last_number.get(prefix, 0):
            self._last_number[prefix] = number

    def _apply_cancelled(self, e: TicketCancelled) -> None:
        t = self._logged_ticket(e, e.ticket)
        t.state = states.next_state(t.state, TicketCancelled)
        self._dequeue(t)
        t.history.append((e.at, t.state, None))
        t.snap = None

    def _apply_moved(self, e: TicketMoved) -> None:
        t = self._logged_ticket(e, e.ticket)
        t.state = states.next_state(t.state, TicketMoved)
        self._dequeue(t)
        t.target_counter = None
        t.service = e.to_service
        t.agency = self._hall.services[e.to_service].agency
        t.snap = None
        queue = self._queues[e.to_service]
        if t.slot_key is not None:  # a booked citizen keeps their slot in the appointment lane
            queue.add(t)
            return
        # Rule M-1: the citizen keeps their place by the time they joined their queue.
        lane = queue.lane(t)
        i = len(lane)
        while i and lane[i - 1].key > t.key:
            i -= 1
        lane.insert(i, t)

    def _apply_called(self, e: TicketCalled) -> None:
        t = self._logged_ticket(e, e.ticket)
        c = self._logged_counter(e, e.counter)
        if c.current is not None:
            raise InconsistentEvent(e, f"counter {e.counter} holds {c.current.number} already")
        if t.state is TicketState.WAITING:
            self._booked_run[e.counter] = self._booked_run[e.counter] + 1 if t.slot_key is not None else 0
            self._dequeue(t)
            t.target_counter = None
        t.state = states.next_state(t.state, TicketCalled)
        t.counter = e.counter
        t.called_at = e.at
        t.recalls = 0
        t.history.append((e.at, t.state, e.counter))
        t.snap = None
        c.current = t
        c.snap = None
        if self._learner is not None:
            self._learner.called(t, e.at)

    def _apply_recalled(self, e: TicketRecalled) -> None:
        t = self._logged_ticket(e, e.ticket)
        t.state = states.next_state(t.state, TicketRecalled)
        t.recalls = e.recalls
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_started(self, e: ServiceStarted) -> None:
        t = self._logged_ticket(e, e.ticket)
        t.state = states.next_state(t.state, ServiceStarted)
        t.started_at = e.at
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_finished(self, e: TicketFinished) -> None:
        t = self._logged_ticket(e, e.ticket)
        c = self._release(e, t, e.counter)
        t.state = states.next_state(t.state, TicketFinished)
        t.finished_at = e.at
        t.history.append((e.at, t.state, e.counter))
        t.snap = None
        c.served += 1
        if t.started_at is not None:
            c.service_seconds += (e.at - t.started_at).total_seconds()
        self._last_visit[e.counter] = LastVisit(
            ticket=t.id,
            number=t.number,
            service=t.service,
            agency=t.agency,
            operator=c.operator,
            finished_at=e.at,
        )

    def _apply_no_show(self, e: TicketNoShow) -> None:
        t = self._logged_ticket(e, e.ticket)
        c = self._release(e, t, e.counter)
        t.state = states.next_state(t.state, TicketNoShow)
        t.history.append((e.at, t.state, e.counter))
        t.snap = None
        c.no_shows += 1

    def _apply_parked(self, e: TicketParked) -> None:
        t = self._logged_ticket(e, e.ticket)
        self._release(e, t, e.counter)
        t.state = states.next_state(t.state, TicketParked)
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_transferred(self, e: TicketTransferred) -> None:
        t = self._logged_ticket(e, e.ticket)
        if t.state in HOLDING:
            self._release(e, t, e.from_counter).transferred += 1
        t.state = states.next_state(t.state, TicketTransferred)
        t.history.append((e.at, TicketState.TRANSFERRED, e.from_counter))
        t.history.append((e.at, TicketState.WAITING, e.to_counter))
        if e.return_to is None:
            t.return_service = None
        elif e.return_to != t.return_to:
            t.return_service = t.service
        t.return_to = e.return_to
        t.service = e.to_service
        t.agency = self._hall.services[e.to_service].agency
        t.counter = None
        t.target_counter = e.to_counter
        t.queued_at = e.at
        t.queued_ts = e.at.timestamp()
        self._seq += 1
        t.seq = self._seq
        t.key = (t.queued_ts, t.seq)
        t.recalls = 0
        # The slot was booked for the first service: elsewhere the citizen queues as anyone.
        t.slot_at = None
        t.slot_key = None
        t.snap = None
        if e.to_counter is None:
            self._queues[e.to_service].add(t)
        else:
            self._named[e.to_counter].append(t)
            self._named_waiting[e.to_service] += 1
        if self._learner is not None:
            self._learner.queued(t, e.at)

    def _apply_counter_opened(self, e: CounterOpened) -> None:
        c = self._logged_counter(e, e.counter)
        self._move_counter(c, e)
        c.operator = e.operator

    def _apply_counter_paused(self, e: CounterPaused) -> None:
        self._move_counter(self._logged_counter(e, e.counter), e)

    def _apply_counter_resumed(self, e: CounterResumed) -> None:
        self._move_counter(self._logged_counter(e, e.counter), e)

    def _apply_counter_closed(self, e: CounterClosed) -> None:
        c = self._logged_counter(e, e.counter)
        if c.current is not None:
            raise InconsistentEvent(e, f"counter {c.number} closes holding ticket {c.current.number}")
        self._move_counter(c, e)
        c.operator = None

    def _apply_services_set(self, e: CounterServicesSet) -> None:
        self._logged_counter(e, e.counter)
        current = self._hall.counters[e.counter]
        configured = self._configured.counters[e.counter].services
        # A service keeps its weight at this counter, or the configured one, else 1.
        services = {code: current.services.get(code, configured.get(code, 1.0)) for code in e.services}
        counters = dict(self._hall.counters)
        counters[e.counter] = dataclasses.replace(current, services=services)
        self._use_hall(dataclasses.replace(self._hall, counters=counters))

    def _apply_message_set(self, e: HallMessageSet) -> None:
        """The hall's message is no queue state: the log keeps who set it and when."""

    def _apply_rated(self, e: VisitRated) -> None:
        visit = self._last_visit.get(e.counter)
        if visit is None:
            raise InconsistentEvent(e, f"counter {e.counter} finished no visit to rate")
        if visit.ticket != e.ticket:
            raise InconsistentEvent(e, f"counter {e.counter} finished {visit.number} last, not {e.number}")
        if visit.rated_at is not None:
            raise InconsistentEvent(e, f"the visit of {e.number} at counter {e.counter} is rated twice")
        visit.rated_at = e.at

    # --- helpers of the appliers -----------------------------------------------------------

    def _move_counter(
        self, c: CounterRecord, e: CounterOpened | CounterPaused | CounterResumed | CounterClosed
    ) -> None:
        old = c.state
        new = COUNTER_TRANSITIONS[old].get(type(e))
        if new is None:
            raise InconsistentEvent(e, f"{type(e).__name__} is illegal for a {old.value} counter {c.number}")
        if new is not old:
            if self._learner is not None:
                self._learner.counter_moved(c, new, e.at)
            if CounterState.CLOSED in (old, new):
                step = 1 if old is CounterState.CLOSED else -1
                for code in self._hall.counters[c.number].services:
                    self._staffed[code] += step
            c.state = new
            c.since = e.at
        c.snap = None

    def _require_open(self, e: Event) -> None:
        if not self._open:
            why = "no day was opened" if self._day is None else f"day {self._day} is closed"
            raise InconsistentEvent(e, why)

    def _logged_ticket(self, e: Event, ticket: TicketId) -> TicketRecord:
        try:
            return self._tickets[ticket]
        except KeyError:
            raise InconsistentEvent(e, f"no ticket {ticket} was issued today") from None

    def _logged_counter(self, e: Event, counter: CounterNo) -> CounterRecord:
        try:
            return self._counters[counter]
        except KeyError:
            raise InconsistentEvent(e, f"the hall has no counter {counter}") from None

    def _release(self, e: Event, t: TicketRecord, counter: CounterNo) -> CounterRecord:
        """Take ``t`` off ``counter``, which must hold it (since its call: the learner is told)."""
        c = self._logged_counter(e, counter)
        if c.current is not t:
            holds = "no ticket" if c.current is None else f"ticket {c.current.number}"
            raise InconsistentEvent(e, f"counter {counter} holds {holds}, not {t.number}")
        if self._learner is not None:
            self._learner.released(t, e.at)
        c.current = None
        c.snap = None
        return c

    def _dequeue(self, t: TicketRecord) -> None:
        """Take a WAITING ticket out of its lane (usually its head: O(1))."""
        if t.target_counter is not None:
            lane = self._named[t.target_counter]
            self._named_waiting[t.service] -= 1
        else:
            lane = self._queues[t.service].lane(t)
        if lane[0] is t:
            lane.popleft()
        else:
            lane.remove(t)


class Logged(Protocol):
    """An event with its place in the log (``server.store.StoredEvent`` is one)."""

    @property
    def seq(self) -> int: ...

    @property
    def event(self) -> Event: ...


def replay(logged: Iterable[Logged], *engines: QueueEngine) -> int:
    """Apply logged events, in order, to each of ``engines``; return how many there were.

    Raises:
        ReplayError: An event cannot follow the ones before it (the log is broken); it
            names the event's seq. The engines may be half-changed: discard them.
    """
    count = 0
    for item in logged:
        event = item.event
        try:
            for engine in engines:
                engine.apply(event)
        except InconsistentEvent as exc:
            raise ReplayError(item.seq, event, exc.problem) from None
        count += 1
    return count


def _about(event: Event) -> str:
    """What an event is about, for an error message: ``ticket A015 at counter 12``."""
    number = getattr(event, "number", None)
    counter = getattr(event, "counter", None)
    if number is not None:
        return f"ticket {number}" + (f" at counter {counter}" if counter is not None else "")
    return f"counter {counter}" if counter is not None else "the hall"


def _minutes(clock: time | datetime) -> float:
    """Minutes since midnight of a clock time."""
    return clock.hour * 60 + clock.minute + clock.second / 60 + clock.microsecond / 60_000_000
