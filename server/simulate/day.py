"""One simulated day in the hall, driving the real queue engine.

The simulator plays the people: citizens take tickets at the kiosk, operators
call next when they are free, recall a citizen who doesn't come, send one to the
bank to pay the fee, finish, take their break. Every one of those acts is a
command to the :class:`~server.queue.QueueEngine`, stamped with the simulated
time; who is called, in which order, and what wait is printed on the ticket is
the engine's decision alone. The simulator never looks into the queues: it
learns who was called from the engine's events.

Time is kept as minutes after midnight (floats) and turned into aware datetimes
only for the commands.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence, Sized
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

from server.queue import (
    CallNext,
    CheckInRefused,
    CloseCounter,
    CloseDay,
    Command,
    DayClosed,
    Event,
    FinishService,
    Hall,
    IssueTicket,
    NothingToCall,
    OpenCounter,
    OpenDay,
    PauseCounter,
    Priority,
    QueueEngine,
    QueueError,
    Recall,
    ResumeCounter,
    ServiceCode,
    ServiceUnavailable,
    Source,
    StartService,
    TicketCalled,
    TicketIssued,
    TicketNoShow,
    TicketTransferred,
    Transfer,
)
from server.queue.routing import ServiceQueue

from .workload import Citizen

# Kinds of timed events of the simulation (not engine events).
_START, _FINISH, _RECALL, _TO_BANK, _BREAK, _RESUME, _CLOSE = range(7)

# What a ticket is at when a counter calls it.
_FIRST, _AT_BANK, _BACK = range(3)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How the people in the hall act; the defaults describe the reference center."""

    walk_min: float = 0.3
    """From the call to the citizen at the counter; part of the service time."""
    recall_every_min: float = 0.5
    """An operator recalls a citizen who doesn't come this often, up to the hall's limit."""
    fee_split: float = 0.5
    """Share of the service done before a citizen is sent to pay the fee; the rest after."""
    breaks: bool = True
    break_min: float = 30.0
    break_window: tuple[float, float] = (12 * 60.0, 17 * 60.0)
    """Breaks are planned in this window (minutes after midnight), staggered in slots
    of ``break_min`` so that an agency loses as few counters at once as it can."""
    break_postpone_min: float = 10.0
    """A break due while the agency has at least as many citizens waiting as counters
    working is put off by this much: the supervisor's rule, without which one break
    at the peak hour multiplies a small agency's wait."""
    closed_counters: frozenset[int] = frozenset()
    """Counters that stay closed all day."""
    closing: Mapping[int, float] = field(default_factory=dict)
    """Counter -> the minute (after midnight) it closes for the rest of the day: the operator
    finishes the citizen held, or ends the break, and logs out. Citizens sent back to that
    counter by name are then not served."""
    sample_every_min: float = 5.0
    """Spacing of the queue-length samples."""
    history: int = 10
    """Recent waits the rolling-average baseline predictor averages."""
    booked_lane: bool = True
    """Booked citizens check in with their slot (the appointment lane). False: they take
    a ticket as anyone, to measure what the lane costs walk-ins."""


@dataclass(slots=True)
class TicketOutcome:
    """A ticket's first wait, and what every predictor said about it at issue."""

    ticket: str
    service: ServiceCode
    agency: str
    priority: bool
    issued_min: float
    wait: float | None
    """Issue to first call; None if never called (not served by closing)."""
    est: float
    low: float
    high: float
    les: float
    """The wait of the last citizen of the same counters' pool to be called."""
    hol: float
    """How long the citizen first in line in that pool had waited."""
    avg: float
    """Mean of the last ``Behaviour.history`` waits in that pool."""
    no_show: bool
    staff_away: bool = False
    """Issued while every counter serving it that had not closed for the day was on a break."""
    ahead: int = 0
    """Citizens the engine expected to be called first, at issue."""

    slot: float | None = None
    """A booked citizen's slot (minutes after midnight); None for walk-ins."""
    in_lane: bool = False
    """Checked in with the slot: in the appointment lane. A booked citizen outside the
    check-in window (or with the lane off) took a walk-in ticket."""


class Visit(NamedTuple):
    """One time a citizen queued for a service: a first visit, or a trip to pay the fee."""

    service: ServiceCode
    agency: str
    wait: float | None
    """Minutes from joining the queue to the call; None if never called (not served)."""
    queued_min: float
    """When the citizen joined the queue, minutes after midnight."""


@dataclass(slots=True)
class DayResult:
    """What one day produced, for the reports."""

    day: date
    tickets: list[TicketOutcome] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    """Every time a citizen queued for a service: first visits and trips to the bank
    (returns are ahead of everyone and left out)."""
    agency_of: dict[ServiceCode, str] = field(default_factory=dict)
    """Service -> its agency: the per-service figures below add up per agency with it."""
    refused: dict[ServiceCode, int] = field(default_factory=dict)
    """Service -> tickets the engine refused (closing, or full)."""
    unserved: dict[ServiceCode, int] = field(default_factory=dict)
    """Service -> citizens still waiting there (or coming back to it) when the day closed."""
    not_transferred: dict[str, int] = field(default_factory=dict)
    """Agency -> citizens the engine would not send to pay the fee (no open counter takes
    the fee service): finished at their counter instead."""
    ended_min: float = 0.0
    """When the day was closed, minutes after midnight: the waits of the unserved ran to here."""
    no_shows: dict[str, int] = field(default_factory=dict)
    busy_min: dict[str, float] = field(default_factory=dict)
    """Agency -> counter-minutes holding a ticket."""
    open_min: dict[str, float] = field(default_factory=dict)
    """Agency -> counter-minutes open and not on a break."""
    queue_samples: dict[str, list[int]] = field(default_factory=dict)
    """Agency -> citizens waiting, every ``Behaviour.sample_every_min`` from opening."""
    commands: int = 0


class _Desk:
    """The simulator's operator at one counter."""

    __slots__ = (
        "agency",
        "break_due",
        "busy_min",
        "close_due",
        "closed_at",
        "held",
        "held_since",
        "idle",
        "idle_since",
        "named",
        "no",
        "pause_since",
        "paused_min",
        "queues",
        "released_at",
    )

    def __init__(self, no: int, agency: str, queues: tuple[ServiceQueue, ...], named: Sized) -> None:
        self.no = no
        self.agency = agency
        self.queues = queues
        """The engine's live queues of the counter's services: read to skip calls that would fail."""
        self.named = named
        self.held: _Ticket | None = None
        self.held_since = 0.0
        self.idle = False
        """Open, holding nothing, not on a break: calls as soon as someone waits for it."""
        self.idle_since = 0.0
        self.break_due = False
        self.close_due = False
        self.closed_at: float | None = None
        """When the counter closed for the day, if it did before the hall closed."""
        self.pause_since: float | None = None
        self.paused_min = 0.0
        self.busy_min = 0.0
        self.released_at = 0.0


class _Ticket:
    __slots__ = ("citizen", "outcome", "pool", "queued", "stage")

    def __init__(self, citizen: Citizen, outcome: TicketOutcome, pool: int, queued: float) -> None:
        self.citizen = citizen
        self.outcome = outcome
        self.pool = pool
        self.queued = queued
        self.stage = _FIRST


class _Pool:
    """History of one pool of services sharing counters, for the baseline predictors."""

    __slots__ = ("last", "line", "recent", "recent_sum")

    def __init__(self, size: int) -> None:
        self.last = 0.0
        self.recent: deque[float] = deque(maxlen=size)
        self.recent_sum = 0.0
        self.line: deque[_Ticket] = deque()
        """Tickets queued in the pool, in order; called ones are dropped lazily from the front."""

    def called(self, wait: float) -> None:
        self.last = wait
        if len(self.recent) == self.recent.maxlen:
            self.recent_sum -= self.recent[0]
        self.recent.append(wait)
        self.recent_sum += wait

    def head_wait(self, now: float) -> float:
        line = self.line
        while line and line[0].queued < 0:
            line.popleft()
        return now - line[0].queued if line else 0.0


def service_pools(hall: Hall) -> dict[ServiceCode, int]:
    """Group services that share counters (connected through the counters serving them).

    In the reference center these are the agencies. The baseline predictors keep
    their history per pool: a citizen's wait depends on everyone at the same
    counters, not only on those who asked for the same service.
    """
    parent = {code: code for code in hall.services}

    def root(code: str) -> str:
        while parent[code] != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    for counter in hall.counters.values():
        codes = list(counter.services)
        for other in codes[1:]:
            parent[root(other)] = root(codes[0])
    roots: dict[str, int] = {}
    return {code: roots.setdefault(root(code), len(roots)) for code in hall.services}


def break_plan(hall: Hall, behaviour: Behaviour) -> dict[int, float]:
    """Counter -> the minute its operator's break is due.

    An agency's counters take the break slots of the window in turn, so that a
    two-counter agency never has both away and a large one loses at most
    ``ceil(counters / slots)`` at once.
    """
    if not behaviour.breaks or behaviour.break_min <= 0:
        return {}
    first, last = behaviour.break_window
    slots = max(1, int((last - first) // behaviour.break_min))
    plan: dict[int, float] = {}
    seen: dict[str, int] = {}
    for no in sorted(hall.counters):
        if no in behaviour.closed_counters:
            continue
        agency = hall.counters[no].agency
        i = seen.get(agency, 0)
        seen[agency] = i + 1
        plan[no] = first + (i % slots) * behaviour.break_min
    return plan


def simulate_day(
    engine: QueueEngine,
    citizens: Sequence[Citizen],
    day: date,
    tz: tzinfo,
    behaviour: Behaviour | None = None,
    *,
    fee_service: ServiceCode | None = None,
    pools: Mapping[ServiceCode, int] | None = None,
) -> DayResult:
    """Play one day on ``engine`` (which must have no day open) and return what happened.

    Counters open at the hall's opening time (except ``behaviour.closed_counters``),
    tickets are taken until closing, counters stop calling at closing and finish
    the citizen they hold; then the day is closed and whoever still waits is not
    served.
    """
    behaviour = behaviour or Behaviour()
    hall = engine.hall
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    opens = hall.opens.hour * 60.0 + hall.opens.minute
    closes = hall.closes.hour * 60.0 + hall.closes.minute
    pools = pools if pools is not None else service_pools(hall)
    agency_of = {code: s.agency for code, s in hall.services.items()}
    agencies = sorted({s.agency for s in hall.services.values()})
    result = DayResult(
        day=day,
        agency_of=agency_of,
        refused=dict.fromkeys(hall.services, 0),
        unserved=dict.fromkeys(hall.services, 0),
        not_transferred=dict.fromkeys(agencies, 0),
        no_shows=dict.fromkeys(agencies, 0),
        busy_min=dict.fromkeys(agencies, 0.0),
        open_min=dict.fromkeys(agencies, 0.0),
        queue_samples={a: [] for a in agencies},
    )
    waiting = dict.fromkeys(agencies, 0)
    pool_state = [_Pool(behaviour.history) for _ in range(max(pools.values(), default=-1) + 1)]
    live = engine.live_state()
    desks = {
        no: _Desk(
            no,
            c.agency or agency_of[next(iter(c.services))],
            tuple(live.queues[code] for code in c.services),
            live.named[no],
        )
        for no, c in hall.counters.items()
        if no not in behaviour.closed_counters
    }
    serving: dict[ServiceCode, list[_Desk]] = {
        code: [desks[no] for no, c in hall.counters.items() if code in c.services and no in desks]
        for code in hall.services
    }
    active = dict.fromkeys(agencies, 0)
    """Agency -> counters open and not on a break."""
    for desk in desks.values():
        active[desk.agency] += 1
    tickets: dict[str, _Ticket] = {}
    heap: list[tuple[float, int, int, _Desk]] = []
    seq = 0
    handle = engine.handle
    commands = 0
    walk = behaviour.walk_min
    split = behaviour.fee_split
    closing = False
    inf = float("inf")

    def at(minute: float) -> datetime:
        return base + timedelta(minutes=minute)

    def run(command: Command) -> list[Event]:
        nonlocal commands
        commands += 1
        return handle(command)

    def push(t: float, kind: int, desk: _Desk) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (t, seq, kind, desk))

    def enqueue(t: _Ticket, now: float, pool: int, agency: str) -> None:
        t.queued = now
        t.pool = pool
        pool_state[pool].line.append(t)
        waiting[agency] += 1

    def serve(desk: _Desk, t: _Ticket, now: float) -> None:
        """The counter has called ``t``: play the citizen's part."""
        c = t.citizen
        if t.stage == _BACK:
            rest = c.service_min * (1.0 - split)
            push(now + min(walk, rest), _START, desk)
            push(now + rest, _FINISH, desk)
            return
        wait = now - t.queued
        pool = pool_state[t.pool]
        pool.called(wait)
        t.queued = -1.0  # off the line: _Pool.head_wait drops it
        if t.stage == _AT_BANK:
            assert fee_service is not None
            waiting[agency_of[fee_service]] -= 1
            result.visits.append(Visit(fee_service, agency_of[fee_service], wait, now - wait))
            assert c.fee_min is not None
            push(now + min(walk, c.fee_min), _START, desk)
            push(now + c.fee_min, _FINISH, desk)
            return
        waiting[t.outcome.agency] -= 1
        t.outcome.wait = wait
        result.visits.append(Visit(c.service, t.outcome.agency, wait, now - wait))
        if c.no_show:
            push(now + behaviour.recall_every_min, _RECALL, desk)
        elif c.fee_min is not None and fee_service is not None:
            first = c.service_min * split
            push(now + min(walk, first), _START, desk)
            push(now + first, _TO_BANK, desk)
        else:
            push(now + min(walk, c.service_min), _START, desk)
            push(now + c.service_min, _FINISH, desk)

    def call(desk: _Desk, now: float) -> bool:
        """Call next at ``desk``; return whether someone was called."""
        # Look before calling: a refused call costs the engine an exception and a message.
        if not desk.named and not any(desk.queues):
            return False
        try:
            events = run(CallNext(counter=desk.no, at=at(now)))
        except NothingToCall:
            return False
        called = events[0]
        assert isinstance(called, TicketCalled)
        t = tickets[called.ticket]
        desk.held = t
        desk.held_since = now
        desk.idle = False
        serve(desk, t, now)
        return True

    def free(desk: _Desk, now: float) -> None:
        """The counter has let its ticket go: break, call next, or wait."""
        desk.held = None
        desk.busy_min += now - desk.held_since
        desk.released_at = now
        if desk.close_due:
            close(desk, now)
        elif desk.break_due:
            desk.break_due = False
            pause(desk, now)
        elif closing or not call(desk, now):
            desk.idle = True
            desk.idle_since = now

    def pause(desk: _Desk, now: float) -> None:
        run(PauseCounter(counter=desk.no, at=at(now)))
        active[desk.agency] -= 1
        desk.idle = False
        desk.pause_since = now
        push(now + behaviour.break_min, _RESUME, desk)

    def close(desk: _Desk, now: float) -> None:
        """The operator logs out for the rest of the day."""
        run(CloseCounter(counter=desk.no, at=at(now)))
        if desk.pause_since is None:
            active[desk.agency] -= 1
        else:
            desk.paused_min += now - desk.pause_since
            desk.pause_since = None
        desk.close_due = desk.break_due = desk.idle = False
        desk.closed_at = now

    def wake(service: ServiceCode, now: float) -> None:
        """Someone now waits for ``service``: the counter idle longest among those serving it calls."""
        best: _Desk | None = None
        for desk in serving[service]:
            if desk.idle and (best is None or desk.idle_since < best.idle_since):
                best = desk
        if best is not None:
            call(best, now)

    run(OpenDay(day=day, at=at(min(opens, citizens[0].arrive_min if citizens else opens) - 1.0)))
    for desk in desks.values():
        run(OpenCounter(counter=desk.no, at=at(opens), operator=f"op{desk.no}"))
        desk.idle = True
        desk.idle_since = opens
        desk.released_at = opens
    for no, due in break_plan(hall, behaviour).items():
        if no in desks and due < behaviour.closing.get(no, inf):
            push(due, _BREAK, desks[no])
    for no, minute in behaviour.closing.items():
        if no in desks and minute < closes:
            push(minute, _CLOSE, desks[no])

    def issue(c: Citizen, now: float) -> None:
        pool_id = pools[c.service]
        pool = pool_state[pool_id]
        slot = c.slot_min if behaviour.booked_lane else None
        command = IssueTicket(
            service=c.service,
            at=at(now),
            priority=c.priority,
            source=Source.APPOINTMENT if c.appointment else Source.KIOSK,
            appointment=c.appointment,
            slot_at=None if slot is None else at(slot),
        )
        try:
            try:
                events = run(command)
            except CheckInRefused:
                # Outside the window: a walk-in ticket, as a center offers by default.
                slot = None
                events = run(IssueTicket(service=c.service, at=at(now), priority=c.priority))
        except ServiceUnavailable:
            result.refused[c.service] += 1
            return
        e = events[0]
        assert isinstance(e, TicketIssued)
        staff = serving[c.service]
        away = any(d.pause_since is not None for d in staff) and all(
            d.pause_since is not None or d.closed_at is not None for d in staff
        )
        outcome = TicketOutcome(
            ticket=e.ticket,
            service=c.service,
            agency=e.agency,
            priority=c.priority is not Priority.NONE,
            issued_min=now,
            wait=None,
            est=e.wait_est_min,
            low=e.wait_low_min,
            high=e.wait_high_min,
            les=pool.last,
            hol=pool.head_wait(now),
            avg=pool.recent_sum / len(pool.recent) if pool.recent else 0.0,
            no_show=c.no_show,
            staff_away=away,
            ahead=e.ahead,
            slot=c.slot_min,
            in_lane=slot is not None,
        )
        t = _Ticket(c, outcome, pool_id, now)
        tickets[e.ticket] = t
        result.tickets.append(outcome)
        enqueue(t, now, pool_id, e.agency)
        if not closing:
            wake(c.service, now)

    sample_step = behaviour.sample_every_min
    next_sample = opens
    samples = result.queue_samples
    i = 0
    n = len(citizens)
    while i < n or heap:
        arrival = citizens[i].arrive_min if i < n else inf
        from_heap = bool(heap) and heap[0][0] <= arrival
        now = heap[0][0] if from_heap else arrival
        while next_sample <= now and next_sample <= closes:
            for agency, count in waiting.items():
                samples[agency].append(count)
            next_sample += sample_step
        if not closing and now >= closes:
            # Counters call nobody new from here on; they finish what they hold.
            closing = True
        if not from_heap:
            i += 1
            issue(citizens[i - 1], now)
            continue
        _, _, kind, desk = heapq.heappop(heap)
        if kind == _START:
            run(StartService(counter=desk.no, at=at(now)))
        elif kind == _FINISH:
            t = desk.held
            assert t is not None
            events = run(FinishService(counter=desk.no, at=at(now)))
            free(desk, now)
            if t.stage == _AT_BANK and len(events) > 1:
                back = events[1]
                assert isinstance(back, TicketTransferred)
                t.stage = _BACK
                if closing:
                    pass
                elif back.to_counter is None:
                    # Their counter closed meanwhile: back in their service's queue (rule R-7),
                    # where any counter serving it finishes the visit.
                    wake(back.to_service, now)
                elif (owner := desks[back.to_counter]).idle:
                    call(owner, now)
        elif kind == _RECALL:
            events = run(Recall(counter=desk.no, at=at(now)))
            if isinstance(events[0], TicketNoShow):
                result.no_shows[desk.agency] += 1
                free(desk, now)
            else:
                push(now + behaviour.recall_every_min, _RECALL, desk)
        elif kind == _TO_BANK:
            t = desk.held
            assert t is not None
            assert fee_service is not None
            try:
                run(Transfer(counter=desk.no, at=at(now), to_service=fee_service, return_to_me=True))
            except QueueError:
                # No counter takes the fee now: the operator finishes the citizen instead.
                result.not_transferred[desk.agency] += 1
                run(FinishService(counter=desk.no, at=at(now)))
                free(desk, now)
                continue
            t.stage = _AT_BANK
            enqueue(t, now, pools[fee_service], agency_of[fee_service])
            free(desk, now)
            if not closing:
                wake(fee_service, now)
        elif kind == _BREAK:
            if closing or desk.closed_at is not None or desk.close_due:
                pass
            elif waiting[desk.agency] >= active[desk.agency]:
                push(now + behaviour.break_postpone_min, _BREAK, desk)
            elif desk.held is not None:
                desk.break_due = True
            else:
                pause(desk, now)
        elif kind == _CLOSE:
            if desk.closed_at is not None or closing:
                pass
            elif desk.held is not None:
                desk.close_due = True
            else:
                close(desk, now)
        else:  # _RESUME
            if desk.closed_at is not None:
                continue  # closed during the break
            run(ResumeCounter(counter=desk.no, at=at(now)))
            active[desk.agency] += 1
            assert desk.pause_since is not None
            desk.paused_min += now - desk.pause_since
            desk.pause_since = None
            desk.idle = True
            desk.idle_since = now
            if not closing:
                call(desk, now)

    while next_sample <= closes:
        for agency, count in waiting.items():
            samples[agency].append(count)
        next_sample += sample_step
    end = max(closes, max((d.released_at for d in desks.values()), default=closes))
    (closed,) = run(CloseDay(at=at(end)))
    assert isinstance(closed, DayClosed)
    result.ended_min = end
    for ticket in closed.unserved:
        t = tickets[ticket]
        where = fee_service if t.stage == _AT_BANK and fee_service is not None else t.citizen.service
        result.unserved[where] += 1
    for desk in desks.values():
        if desk.pause_since is not None:
            desk.paused_min += max(0.0, end - desk.pause_since)
        result.busy_min[desk.agency] += desk.busy_min
        shut = desk.closed_at if desk.closed_at is not None else max(closes, desk.released_at)
        result.open_min[desk.agency] += shut - opens - desk.paused_min
    for t in tickets.values():
        if t.stage == _AT_BANK and t.queued >= 0 and fee_service is not None:
            result.visits.append(Visit(fee_service, agency_of[fee_service], None, t.queued))
        if t.outcome.wait is None:
            result.visits.append(Visit(t.citizen.service, t.outcome.agency, None, t.outcome.issued_min))
    result.commands = commands
    return result
