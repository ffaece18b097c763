"""The queue engine: commands in, events out, no I/O."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from . import _state
from ._state import COUNTER_TRANSITIONS, HOLDING
from .commands import (
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    CloseDay,
    Command,
    FinishService,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    OpenDay,
    Park,
    PauseCounter,
    Recall,
    ResumeCounter,
    StartService,
    Transfer,
)
from .estimate import Estimate, Estimator, Learner, LiveState, queue_length_estimate
from .events import (
    CounterClosed,
    CounterOpened,
    CounterPaused,
    CounterResumed,
    DayClosed,
    DayOpened,
    Event,
    ServiceStarted,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketParked,
    TicketRecalled,
    TicketTransferred,
)
from .exceptions import (
    CounterBusy,
    CounterNotOpen,
    DayNotOpen,
    InvalidTransition,
    NoCurrentTicket,
    NothingToCall,
    ServiceUnavailable,
    UnknownCounter,
    UnknownService,
    UnknownTicket,
)
from .hall import Hall, RoutingPolicy
from .records import (
    CounterRecord,
    CounterStatus,
    CountersView,
    QueueStat,
    Ticket,
    TicketRecord,
    TicketsView,
)
from .routing import Lane, Router, ServiceQueue, service_order
from .types import FINAL_STATES, CounterNo, CounterState, Priority, ServiceCode, TicketId, TicketState

MAX_NUMBER = 999
"""Display numbers have three digits; the 1000th ticket of a prefix is refused."""


class QueueEngine:
    """Sans-I/O state machine for the queues of one hall.

    Pass commands to :meth:`handle`; it returns the events they caused, already
    applied. The engine never reads the clock, the network, the database or a
    device: commands carry their timestamp, and the caller persists and
    broadcasts the events. To restart, build a new engine with the same hall and
    :meth:`apply` the logged events in order.

    Args:
        hall: Services, counters, hours and rules. Not changed while the engine lives.
        estimator: The wait predictor (see :mod:`server.queue.estimate`).

    Raises:
        UnknownService: If a counter of ``hall`` lists a service the hall doesn't define.

    """

    def __init__(self, hall: Hall, *, estimator: Estimator = queue_length_estimate) -> None:
        for counter in hall.counters.values():
            for code in counter.services:
                if code not in hall.services:
                    raise UnknownService(
                        f"counter {counter.number} lists service {code}, which the hall doesn't define",
                        service=code,
                        counter=counter.number,
                    )
        self._hall = hall
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
        self._routers = {no: Router(c, self._queues, self._named[no]) for no, c in hall.counters.items()}
        self._serving: dict[ServiceCode, tuple[CounterNo, ...]] = {
            code: tuple(no for no, c in hall.counters.items() if code in c.services) for code in hall.services
        }
        """Service -> the counters configured for it."""
        self._policy: dict[ServiceCode, RoutingPolicy] = {
            code: hall.counters[nos[0]].policy if nos else RoutingPolicy()
            for code, nos in self._serving.items()
        }
        """Service -> the policy that orders :meth:`waiting` (its first counter's)."""
        # Kept up to date by the appliers so that the estimate at every issue is O(1).
        self._staffed: dict[ServiceCode, int] = dict.fromkeys(hall.services, 0)
        """Service -> how many of its counters are open or paused."""
        self._named_waiting: dict[ServiceCode, int] = dict.fromkeys(hall.services, 0)
        """Service -> how many of its tickets wait for a named counter."""
        self._closes_min = _minutes(hall.closes)
        # An estimator with ``bind`` gets its own instance for this engine, once the
        # state it may read (live_state) exists.
        bind = getattr(estimator, "bind", None)
        if bind is not None:
            self._estimator = bind(self)
        # An estimator that learns from the day (service times, breaks) is told as events apply,
        # so that a replayed engine learns exactly what the live one did.
        self._learner = self._estimator if isinstance(self._estimator, Learner) else None
        self._tickets_view = TicketsView(self._tickets)
        self._counters_view = CountersView(self._counters)
        self._handlers: dict[type[Any], Callable[[Any], list[Event]]] = {
            OpenDay: self._open_day,
            CloseDay: self._close_day,
            IssueTicket: self._issue,
            CancelTicket: self._cancel,
            OpenCounter: self._open_counter,
            PauseCounter: self._pause_counter,
            ResumeCounter: self._resume_counter,
            CloseCounter: self._close_counter,
            CallNext: self._call_next,
            CallTicket: self._call_ticket,
            Recall: self._recall,
            StartService: self._start,
            FinishService: self._finish,
            MarkNoShow: self._no_show,
            Transfer: self._transfer,
            Park: self._park,
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

        The event is trusted: a replayed log that doesn't fit the state trips an assert.
        """
        self._appliers[type(event)](event)

    # --- read-only views ----------------------------------------------------------------

    @property
    def hall(self) -> Hall:
        return self._hall

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

    def waiting(self, service: ServiceCode) -> list[Ticket]:
        """Return the tickets waiting in ``service``, in the order they would be called.

        Tickets sent to a named counter come first; the rest follow the priority
        rule of the first counter serving the service. Max-wait overrides are
        left out: they depend on the moment of the call.

        Raises:
            UnknownService: If the hall has no such service.

        """
        queue = self._queue(service, "list the waiting tickets")
        named = sorted(
            (t for no in self._serving[service] for t in self._named[no] if t.service == service),
            key=lambda t: t.seq,
        )
        return [t.snapshot() for t in service_order(self._policy[service], queue, named)]

    def queue_stats(self) -> dict[ServiceCode, QueueStat]:
        """Return the length and the oldest original arrival of every service's queue."""
        stats: dict[ServiceCode, QueueStat] = {}
        for code, queue in self._queues.items():
            oldest: datetime | None = None
            count = 0
            for lane in (queue.prio, queue.normal, *(self._named[no] for no in self._serving[code])):
                for t in lane:
                    if t.service == code:
                        count += 1
                        if oldest is None or t.issued_at < oldest:
                            oldest = t.issued_at
            stats[code] = QueueStat(waiting=count, oldest_issued_at=oldest)
        return stats

    def estimate(self, service: ServiceCode, priority: Priority, at: datetime) -> Estimate:
        """Return the wait a ticket issued now for ``service`` would be told.

        Raises:
            UnknownService: If the hall has no such service.

        """
        self._queue(service, "estimate the wait")
        return self._estimator(self, service, priority, at)

    def ahead_of(self, service: ServiceCode, priority: Priority) -> int:
        """Return how many waiting tickets a new ticket would be called after.

        That is the service's tickets sent to a named counter, those with a
        priority right, and for a ticket without one, everyone else too.
        """
        queue = self._queues[service]
        ahead = self._named_waiting[service] + len(queue.prio)
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
        return [DayOpened(day=cmd.day, at=cmd.at)]

    def _close_day(self, cmd: CloseDay) -> list[Event]:
        self._require_day("close the day")
        unserved = tuple(t.id for t in self._tickets.values() if t.state not in FINAL_STATES)
        return [DayClosed(at=cmd.at, unserved=unserved)]

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
        if number > MAX_NUMBER:
            raise ServiceUnavailable(
                f"can't issue a ticket for {code}: all {MAX_NUMBER} numbers of {prefix} are used today",
                reason="full",
                service=code,
            )
        est = self._estimator(self, code, cmd.priority, cmd.at)
        cutoff = self._closes_min - self._hall.last_ticket_margin_min
        if now_min + est.est_min > cutoff:
            raise ServiceUnavailable(
                f"can't issue a ticket for {code} at {cmd.at:%H:%M}: the estimated wait of "
                f"{est.est_min:.0f} min ends after the last service time",
                reason="full",
                service=code,
            )
        display = f"{prefix}{number:03d}"
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
                ahead=est.ahead,
                wait_low_min=est.low_min,
                wait_high_min=est.high_min,
                wait_est_min=est.est_min,
            )
        ]

    def _cancel(self, cmd: CancelTicket) -> list[Event]:
        self._require_day("cancel a ticket")
        t = self._ticket(cmd.ticket, "cancel")
        if not _state.allows(t.state, TicketCancelled):
            where = f" at counter {t.counter}" if t.state in HOLDING else ""
            raise InvalidTransition(
                f"can't cancel ticket {t.number}: it is {t.state.value}{where}, not waiting",
                ticket=t.id,
                state=t.state,
            )
        return [TicketCancelled(ticket=t.id, number=t.number, at=cmd.at)]

    def _open_counter(self, cmd: OpenCounter) -> list[Event]:
        self._require_day("open a counter")
        self._counter(cmd.counter, "open a counter")
        return [CounterOpened(counter=cmd.counter, at=cmd.at, operator=cmd.operator)]

    def _pause_counter(self, cmd: PauseCounter) -> list[Event]:
        self._require_day("pause a counter")
        c = self._counter(cmd.counter, "pause a counter")
        self._check_counter(c, CounterPaused, "pause")
        self._require_empty(c, "pause")
        return [CounterPaused(counter=cmd.counter, at=cmd.at)]

    def _resume_counter(self, cmd: ResumeCounter) -> list[Event]:
        self._require_day("resume a counter")
        c = self._counter(cmd.counter, "resume a counter")
        self._check_counter(c, CounterResumed, "resume")
        return [CounterResumed(counter=cmd.counter, at=cmd.at)]

    def _close_counter(self, cmd: CloseCounter) -> list[Event]:
        self._require_day("close a counter")
        c = self._counter(cmd.counter, "close a counter")
        self._check_counter(c, CounterClosed, "close")
        self._require_empty(c, "close")
        return [CounterClosed(counter=cmd.counter, at=cmd.at)]

    def _call_next(self, cmd: CallNext) -> list[Event]:
        self._require_day("call next")
        c = self._ready_counter(cmd.counter, "call next")
        t = self._routers[cmd.counter].pick(cmd.at.timestamp())
        if t is None:
            raise NothingToCall(
                f"can't call next at counter {c.number}: nobody is waiting for it", counter=c.number
            )
        return [TicketCalled(ticket=t.id, number=t.number, service=t.service, counter=c.number, at=cmd.at)]

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
        return [TicketCalled(ticket=t.id, number=t.number, service=t.service, counter=c.number, at=cmd.at)]

    def _recall(self, cmd: Recall) -> list[Event]:
        c, t = self._held(cmd.counter, "recall", TicketRecalled)
        if t.recalls >= self._hall.recall_limit:
            # Rule R-3: past the limit a recall ends the call instead of chiming again.
            return [TicketNoShow(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]
        return [
            TicketRecalled(ticket=t.id, number=t.number, counter=c.number, recalls=t.recalls + 1, at=cmd.at)
        ]

    def _start(self, cmd: StartService) -> list[Event]:
        c, t = self._held(cmd.counter, "start service", ServiceStarted)
        return [ServiceStarted(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]

    def _finish(self, cmd: FinishService) -> list[Event]:
        c, t = self._held(cmd.counter, "finish service", TicketFinished)
        events: list[Event] = [TicketFinished(ticket=t.id, number=t.number, counter=c.number, at=cmd.at)]
        if t.return_to is not None:
            assert t.return_service is not None, f"ticket {t.number} returns to no service"
            events.append(
                TicketTransferred(
                    ticket=t.id,
                    number=t.number,
                    from_counter=c.number,
                    to_service=t.return_service,
                    to_counter=t.return_to,
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
        assert to_service is not None
        if cmd.to_counter is None and not self._serving[to_service]:
            raise ServiceUnavailable(
                f"can't {action}: no counter in this hall serves {to_service}",
                reason="closed",
                service=to_service,
            )
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
        if not _state.allows(t.state, event):
            expected = " or ".join(s.value for s in _state.states_allowing(event))
            raise InvalidTransition(
                f"can't {action} at counter {c.number}: ticket {t.number} is {t.state.value}, not {expected}",
                counter=c.number,
                ticket=t.id,
                state=t.state,
            )
        return c, t

    # --- applying: one method per event; trusted, cheap ------------------------------

    def _apply_day_opened(self, e: DayOpened) -> None:
        assert not self._open, "a day is open already"
        assert all(not q for q in self._queues.values()), "queues left over from the last day"
        self._day = e.day
        self._id_prefix = f"{e.day:%Y%m%d}-"
        self._open = True
        self._tickets.clear()
        self._last_number.clear()
        self._staffed = dict.fromkeys(self._hall.services, 0)
        for c in self._counters.values():
            c.reset(e.at)
        if self._learner is not None:
            self._learner.day_opened(e.at)

    def _apply_day_closed(self, e: DayClosed) -> None:
        assert self._open, "no day is open"
        tickets = self._tickets
        for ticket_id in e.unserved:
            t = tickets[ticket_id]
            t.state = _state.next_state(t.state, DayClosed)
            t.history.append((e.at, TicketState.CLOSED_UNSERVED, t.counter))
            t.snap = None
        assert all(t.state in FINAL_STATES for t in tickets.values()), "a ticket outlives its day"
        for q in self._queues.values():
            q.prio.clear()
            q.normal.clear()
        for lane in self._named.values():
            lane.clear()
        self._named_waiting = dict.fromkeys(self._hall.services, 0)
        self._staffed = dict.fromkeys(self._hall.services, 0)
        for c in self._counters.values():
            c.state = CounterState.CLOSED
            c.operator = None
            c.current = None
            c.since = e.at
            c.snap = None
        self._open = False

    def _apply_issued(self, e: TicketIssued) -> None:
        assert self._open, "no day is open"
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
        )
        assert e.ticket not in self._tickets, f"ticket {e.ticket} issued twice"
        self._tickets[e.ticket] = t
        self._queues[e.service].lane(t).append(t)
        if self._learner is not None:
            self._learner.queued(t, e.at)
        prefix, number = e.number[:-3], int(e.number[-3:])
        if number > self._last_number.get(prefix, 0):
            self._last_number[prefix] = number

    def _apply_cancelled(self, e: TicketCancelled) -> None:
        t = self._tickets[e.ticket]
        t.state = _state.next_state(t.state, TicketCancelled)
        self._dequeue(t)
        t.history.append((e.at, t.state, None))
        t.snap = None

    def _apply_called(self, e: TicketCalled) -> None:
        t = self._tickets[e.ticket]
        c = self._counters[e.counter]
        assert c.current is None, f"counter {e.counter} holds {c.current and c.current.number} already"
        if t.state is TicketState.WAITING:
            self._dequeue(t)
            t.target_counter = None
        t.state = _state.next_state(t.state, TicketCalled)
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
        t = self._tickets[e.ticket]
        t.state = _state.next_state(t.state, TicketRecalled)
        t.recalls = e.recalls
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_started(self, e: ServiceStarted) -> None:
        t = self._tickets[e.ticket]
        t.state = _state.next_state(t.state, ServiceStarted)
        t.started_at = e.at
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_finished(self, e: TicketFinished) -> None:
        t = self._tickets[e.ticket]
        c = self._release(t, e.counter, e.at)
        t.state = _state.next_state(t.state, TicketFinished)
        t.finished_at = e.at
        t.history.append((e.at, t.state, e.counter))
        t.snap = None
        c.served += 1
        if t.started_at is not None:
            c.service_seconds += (e.at - t.started_at).total_seconds()

    def _apply_no_show(self, e: TicketNoShow) -> None:
        t = self._tickets[e.ticket]
        c = self._release(t, e.counter, e.at)
        t.state = _state.next_state(t.state, TicketNoShow)
        t.history.append((e.at, t.state, e.counter))
        t.snap = None
        c.no_shows += 1

    def _apply_parked(self, e: TicketParked) -> None:
        t = self._tickets[e.ticket]
        self._release(t, e.counter, e.at)
        t.state = _state.next_state(t.state, TicketParked)
        t.history.append((e.at, t.state, e.counter))
        t.snap = None

    def _apply_transferred(self, e: TicketTransferred) -> None:
        t = self._tickets[e.ticket]
        if t.state in HOLDING:
            self._release(t, e.from_counter, e.at).transferred += 1
        t.state = _state.next_state(t.state, TicketTransferred)
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
        t.snap = None
        if e.to_counter is None:
            self._queues[e.to_service].lane(t).append(t)
        else:
            self._named[e.to_counter].append(t)
            self._named_waiting[e.to_service] += 1
        if self._learner is not None:
            self._learner.queued(t, e.at)

    def _apply_counter_opened(self, e: CounterOpened) -> None:
        c = self._counters[e.counter]
        self._move_counter(c, e)
        c.operator = e.operator

    def _apply_counter_paused(self, e: CounterPaused) -> None:
        self._move_counter(self._counters[e.counter], e)

    def _apply_counter_resumed(self, e: CounterResumed) -> None:
        self._move_counter(self._counters[e.counter], e)

    def _apply_counter_closed(self, e: CounterClosed) -> None:
        c = self._counters[e.counter]
        assert c.current is None, f"counter {c.number} closes holding {c.current and c.current.number}"
        self._move_counter(c, e)
        c.operator = None

    # --- helpers of the appliers -----------------------------------------------------------

    def _move_counter(
        self, c: CounterRecord, e: CounterOpened | CounterPaused | CounterResumed | CounterClosed
    ) -> None:
        old = c.state
        new = COUNTER_TRANSITIONS[old].get(type(e))
        assert new is not None, f"{type(e).__name__} is illegal for a {old.value} counter"
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

    def _release(self, t: TicketRecord, counter: CounterNo, at: datetime) -> CounterRecord:
        """Take ``t`` off ``counter``, which must hold it (since its call: the learner is told)."""
        c = self._counters[counter]
        assert c.current is t, f"counter {counter} doesn't hold ticket {t.number}"
        if self._learner is not None:
            self._learner.released(t, at)
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


def _minutes(clock: time | datetime) -> float:
    """Minutes since midnight of a clock time."""
    return clock.hour * 60 + clock.minute + clock.second / 60 + clock.microsecond / 60_000_000
