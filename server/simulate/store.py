"""``novbe simulate --store DIR``: simulated days written through the real event store.

The days are played exactly as ``novbe simulate`` plays them (:func:`simulate_day` on the
real engine); the engine here is a :class:`RecordingEngine`, which appends every event it
produces to an :class:`~server.store.EventStore`, so the log has its hash chain, a
``DayOpened`` and a ``DayClosed`` per day, and can be audited, replayed by the server and
reported on (``novbe report``) like a real center's.

Citizens also rate their visits: after a visit is finished, some of them press the rating
terminal of the counter (``RateVisit``) a little later, with a score drawn from
:class:`RatingHabits`. Their draws come from a random stream of their own, so the citizens,
waits and routing of a seed are the same with the store as without it.

Alongside the log, :class:`SimRecords` keeps the simulator's own account of each visit, in
memory: who joined which queue when, which counter called them, how long they were at
counters, who was sent away, who rated what. Tests compare every figure of ``novbe report``
with figures computed from these records.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from server.center import Center, dump_center
from server.queue import (
    CancelTicket,
    CloseDay,
    Command,
    Estimator,
    Event,
    FinishService,
    Hall,
    MarkNoShow,
    OpenCounter,
    OpenDay,
    Park,
    QueueEngine,
    RateVisit,
    RatingReason,
    RatingRefused,
    Recall,
    TicketCalled,
    TicketIssued,
    TicketNoShow,
    TicketTransferred,
    Transfer,
    VisitRated,
)
from server.store import Commit, EventStore

from .day import DayResult, service_pools, simulate_day
from .run import FIRST_DAY, Setup, day_rng, make_estimator
from .workload import draw_citizens

REASONS = tuple(RatingReason)

_Due = tuple[datetime, int, RateVisit, str | None]
"""A rating to carry out: (when, order, the command, the operator of the visit)."""


@dataclass(frozen=True, slots=True)
class RatingHabits:
    """How citizens rate. Scores are 1..5; ``scores[i]`` is the chance of score i + 1."""

    share: float = 0.6
    """Share of finished visits rated."""
    scores: tuple[float, ...] = (0.004, 0.004, 0.012, 0.08, 0.9)
    """After a wait within ``standard_min``: 98 % satisfied (4 or 5), as the centers publish."""
    late_scores: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.35)
    """After a longer wait."""
    standard_min: float = 15.0
    delay_min: tuple[float, float] = (0.05, 1.5)
    """From the finish to the tap on the terminal, uniform."""


@dataclass(slots=True)
class SimVisit:
    """One stay in a queue: from taking the ticket (or being sent to a service) to the call."""

    ticket: str
    day: date
    service: str
    agency: str
    joined: datetime
    first: bool
    """The ticket's first queue (its printed wait range is about this one)."""
    low: float = 0.0
    high: float = 0.0
    called: datetime | None = None
    counter: int | None = None
    operator: str | None = None
    """Whoever was logged in at the counter that called it."""
    unserved: bool = False
    """Still waiting when the day closed."""


@dataclass(frozen=True, slots=True)
class SimOutcome:
    """A ticket leaving a service: finished (with its time at the counters), no-show,
    sent on, or not served by closing."""

    kind: str
    """``"served"``, ``"no_show"``, ``"transfer"``, ``"cancelled"`` or ``"unserved"``."""
    ticket: str
    day: date
    service: str
    agency: str
    counter: int | None
    operator: str | None
    minutes: float = 0.0
    """For ``served``: call to release, over every stay at a counter for this service."""


@dataclass(frozen=True, slots=True)
class SimRating:
    ticket: str
    day: date
    service: str
    agency: str
    counter: int
    operator: str | None
    score: int
    reasons: tuple[RatingReason, ...]


@dataclass(slots=True)
class SimRecords:
    """The simulator's own account of every visit of the run."""

    issued: list[TicketIssued] = field(default_factory=list)
    visits: list[SimVisit] = field(default_factory=list)
    outcomes: list[SimOutcome] = field(default_factory=list)
    ratings: list[SimRating] = field(default_factory=list)
    missed_ratings: int = 0
    """Ratings the engine refused: the counter finished the next citizen first."""


class Recorder:
    """Writes the events of a run to ``store`` and keeps the simulator's :class:`SimRecords`;
    plays the citizens' ratings through ``run`` (the engine's own ``handle``).

    Events are appended in batches of ``batch`` (one transaction each); call :meth:`flush`
    at the end. Ratings due are carried out before any later command, so the log stays in
    time order.
    """

    def __init__(
        self,
        hall: Hall,
        store: EventStore,
        *,
        habits: RatingHabits,
        rng: random.Random,
        batch: int = 5000,
    ) -> None:
        self.hall = hall
        self.store = store
        self.habits = habits
        self.records = SimRecords()
        self.run: Callable[[Command], list[Event]] | None = None
        self._rng = rng
        self._batch = batch
        self._buffer: list[Event] = []
        self._due: list[_Due] = []
        self._order = 0
        self._day = FIRST_DAY
        self._operators: dict[int, str | None] = {}
        self._held: dict[int, tuple[str, datetime]] = {}
        """Counter -> (ticket, called at)."""
        self._service: dict[str, tuple[str, str]] = {}
        """Ticket -> the (service, agency) it is in now, while it is in the hall."""
        self._waiting: dict[str, SimVisit] = {}
        """Ticket -> its visit not called yet."""
        self._at_counters: dict[tuple[str, str], float] = {}
        """(ticket, service) -> minutes at counters so far."""
        self._waited: dict[str, float] = {}
        """Ticket -> the wait of its last call, for the rating."""

    def before(self, command: Command) -> None:
        """Carry out the ratings due by the time of ``command``."""
        if isinstance(command, OpenDay):
            self._rate_all()
            self._day = command.day
        else:
            while self._due and self._due[0][0] <= command.at:
                self._rate(heapq.heappop(self._due))

    def after(self, command: Command, events: list[Event]) -> None:
        self._buffer += events
        self._record(command, events)
        if len(self._buffer) >= self._batch:
            self.flush()

    def flush(self) -> None:
        """Carry out the ratings still due and append every event not yet in the store."""
        self._rate_all()
        if self._buffer:
            self.store.append([Commit(self._buffer)])
            self._buffer = []

    # --- ratings ------------------------------------------------------------------------

    def _rate_all(self) -> None:
        while self._due:
            self._rate(heapq.heappop(self._due))

    def _rate(self, due: _Due) -> None:
        command, operator = due[2], due[3]
        assert self.run is not None, "the recorder is not attached to an engine"
        try:
            events = self.run(command)
        except RatingRefused:
            self.records.missed_ratings += 1
            return
        self._buffer += events
        (rated,) = events
        assert isinstance(rated, VisitRated)
        self.records.ratings.append(
            SimRating(
                ticket=rated.ticket,
                day=self._day,
                service=rated.service,
                agency=rated.agency,
                counter=rated.counter,
                operator=operator,
                score=command.score,
                reasons=command.reasons,
            )
        )

    def _plan_rating(self, counter: int, ticket: str, at: datetime) -> None:
        habits, rng = self.habits, self._rng
        if rng.random() >= habits.share:
            return
        late = self._waited.get(ticket, 0.0) > habits.standard_min
        score = rng.choices(range(1, 6), habits.late_scores if late else habits.scores)[0]
        reasons: tuple[RatingReason, ...] = ()
        if score <= 3:
            first = RatingReason.WAITED_TOO_LONG if late else rng.choice(REASONS)
            reasons = (first,) if rng.random() < 0.7 else tuple(dict.fromkeys((first, rng.choice(REASONS))))
        when = at + timedelta(minutes=rng.uniform(*habits.delay_min))
        self._order += 1
        rating = RateVisit(counter=counter, ticket=ticket, score=score, reasons=reasons, at=when)
        heapq.heappush(self._due, (when, self._order, rating, self._operators.get(counter)))

    # --- the simulator's records --------------------------------------------------------

    def _join(self, ticket: str, service: str, at: datetime, issued: TicketIssued | None = None) -> None:
        agency = self.hall.services[service].agency
        self._service[ticket] = (service, agency)
        visit = SimVisit(
            ticket=ticket,
            day=self._day,
            service=service,
            agency=agency,
            joined=at,
            first=issued is not None,
            low=issued.wait_low_min if issued else 0.0,
            high=issued.wait_high_min if issued else 0.0,
        )
        self._waiting[ticket] = visit
        self.records.visits.append(visit)

    def _leave(self, kind: str, ticket: str, counter: int | None, minutes: float = 0.0) -> None:
        service, agency = self._service[ticket]
        operator = self._operators.get(counter) if counter is not None else None
        self.records.outcomes.append(
            SimOutcome(kind, ticket, self._day, service, agency, counter, operator, minutes)
        )

    def _release(self, counter: int, at: datetime) -> str:
        """The counter lets its ticket go: add the stay to the ticket's time in its service."""
        ticket, since = self._held.pop(counter)
        key = (ticket, self._service[ticket][0])
        self._at_counters[key] = self._at_counters.get(key, 0.0) + (at - since).total_seconds() / 60
        return ticket

    def _record(self, command: Command, events: list[Event]) -> None:
        """Follow the simulator's acts; the events say only whom a call reached, what a
        recall ended in, and where a finished ticket was sent back to."""
        for event in events:
            if isinstance(event, TicketIssued):
                self.records.issued.append(event)
                self._join(event.ticket, event.service, event.at, event)
            elif isinstance(event, TicketCalled):
                self._held[event.counter] = (event.ticket, event.at)
                visit = self._waiting.pop(event.ticket, None)
                if visit is not None:
                    visit.called, visit.counter = event.at, event.counter
                    visit.operator = self._operators.get(event.counter)
                    self._waited[event.ticket] = (event.at - visit.joined).total_seconds() / 60
        if isinstance(command, OpenCounter):
            self._operators[command.counter] = command.operator
        elif isinstance(command, FinishService):
            ticket = self._release(command.counter, command.at)
            service = self._service[ticket][0]
            self._leave("served", ticket, command.counter, self._at_counters.pop((ticket, service)))
            if len(events) > 1:  # back to the counter that sent it to pay the fee
                back = events[1]
                assert isinstance(back, TicketTransferred)
                self._service[ticket] = (back.to_service, self.hall.services[back.to_service].agency)
            else:
                del self._service[ticket]
            self._plan_rating(command.counter, ticket, command.at)
        elif isinstance(command, Transfer):
            ticket = self._release(command.counter, command.at)
            (sent,) = events
            assert isinstance(sent, TicketTransferred)
            self._leave("transfer", ticket, command.counter)
            if sent.to_counter is None:
                self._join(ticket, sent.to_service, command.at)
            else:
                self._service[ticket] = (sent.to_service, self.hall.services[sent.to_service].agency)
        elif isinstance(command, Recall | MarkNoShow) and isinstance(events[0], TicketNoShow):
            ticket = self._held.pop(command.counter)[0]
            self._leave("no_show", ticket, command.counter)
            del self._service[ticket]
        elif isinstance(command, Park):
            self._release(command.counter, command.at)
        elif isinstance(command, CancelTicket):
            self._waiting.pop(command.ticket, None)
            self._leave("cancelled", command.ticket, None)
            del self._service[command.ticket]
        elif isinstance(command, CloseDay):
            # Whoever is still in the hall is not served today.
            for ticket in self._service:
                visit = self._waiting.pop(ticket, None)
                if visit is not None:
                    visit.unserved = True
                self._leave("unserved", ticket, None)
            self._service.clear()
            self._held.clear()
            self._at_counters.clear()


class RecordingEngine(QueueEngine):
    """The real engine, with a :class:`Recorder` told of every command and its events."""

    def __init__(self, hall: Hall, recorder: Recorder, *, estimator: Estimator) -> None:
        super().__init__(hall, estimator=estimator)
        self.recorder = recorder
        recorder.run = super().handle

    def handle(self, command: Command) -> list[Event]:
        self.recorder.before(command)
        events = super().handle(command)
        self.recorder.after(command, events)
        return events


@dataclass(frozen=True, slots=True)
class StoreRun:
    days: list[DayResult]
    records: SimRecords


def run_days_to_store(
    setup: Setup,
    days: int,
    seed: int,
    store: EventStore,
    *,
    habits: RatingHabits | None = None,
    first_day: date = FIRST_DAY,
    progress: Callable[[int], None] | None = None,
) -> StoreRun:
    """Simulate ``days`` days as :func:`~server.simulate.run.run_days` does (same seed, same
    citizens), writing every event to ``store`` (migrated, and empty or ending with a closed
    day before ``first_day``)."""
    workload = setup.workload
    recorder = Recorder(
        setup.hall, store, habits=habits or RatingHabits(), rng=random.Random(seed * 7_919 + 1)
    )
    engine = RecordingEngine(setup.hall, recorder, estimator=make_estimator(setup.estimator, workload))
    pools = service_pools(setup.hall)
    results: list[DayResult] = []
    for index in range(days):
        citizens = draw_citizens(workload, day_rng(seed, index))
        results.append(
            simulate_day(
                engine,
                citizens,
                first_day + timedelta(days=index),
                setup.zone,
                setup.behaviour,
                fee_service=workload.fee_service,
                pools=pools,
            )
        )
        if progress is not None:
            progress(1)
    recorder.flush()
    return StoreRun(results, recorder.records)


class StoreNotEmpty(ValueError):
    """The folder already holds an event log."""


def open_store_dir(folder: Path, center: Center) -> EventStore:
    """Create ``folder`` with the center's ``center.toml`` and an empty SQLite log ``novbe.db``
    (what ``novbe report --dir`` and ``novbe audit verify --dir`` read).

    Raises:
        StoreNotEmpty: ``folder/novbe.db`` already has events.
    """
    folder.mkdir(parents=True, exist_ok=True)
    store = EventStore(f"sqlite:///{(folder / 'novbe.db').resolve()}", sqlite_synchronous="NORMAL")
    store.migrate()
    if store.last_seq():
        store.close()
        raise StoreNotEmpty(f"{folder / 'novbe.db'} already holds an event log; use an empty folder")
    (folder / "center.toml").write_text(dump_center(center), encoding="utf-8")
    return store
