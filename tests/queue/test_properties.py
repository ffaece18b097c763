"""Property tests: random command sequences over a small hall keep the engine's promises."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from server.queue import (
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    CloseDay,
    Command,
    CounterDef,
    CounterState,
    DayOpened,
    Event,
    FinishService,
    Hall,
    IssueTicket,
    KeepDay,
    MarkNoShow,
    OpenCounter,
    OpenDay,
    Park,
    PauseCounter,
    Priority,
    PriorityMode,
    QueueEngine,
    QueueError,
    Recall,
    ResumeCounter,
    RoutingPolicy,
    Selection,
    StartService,
    Ticket,
    TicketCalled,
    TicketIssued,
    TicketState,
    TicketTransferred,
    Transfer,
)

from .builders import DAY, SERVICES, at, fingerprint, replay

HALL = Hall(
    services=dict(SERVICES),
    counters={
        1: CounterDef(1, "z", {"ID": 1.0, "PASS": 1.0}, RoutingPolicy()),
        2: CounterDef(
            2,
            "z",
            {"PASS": 2.0, "ID": 1.0},
            RoutingPolicy(
                returning_first=False,
                priority_mode=PriorityMode.HEAD_START,
                head_start_min=5.0,
                selection=Selection.WEIGHTED,
                max_wait_min=20,
            ),
        ),
        3: CounterDef(
            3,
            "z",
            {"BANK": 1.0, "TAX": 1.0},
            RoutingPolicy(
                returning_first=False, priority_mode=PriorityMode.NONE, selection=Selection.STRICT_ORDER
            ),
        ),
        4: CounterDef(4, "z", {"TAX": 1.0}, RoutingPolicy(max_wait_min=10)),
    },
    recall_limit=1,
)
COUNTERS = st.sampled_from(sorted(HALL.counters))
SERVICE_CODES = st.sampled_from(sorted(HALL.services))
PRIORITIES = st.sampled_from([Priority.NONE, Priority.NONE, Priority.ELDERLY])
ANY = st.integers(0, 10_000)
HOLDING = {TicketState.CALLED, TicketState.SERVING}


def transferred(ticket: Ticket) -> bool:
    return any(state is TicketState.TRANSFERRED for _, state, _ in ticket.history)


class Hall1(RuleBasedStateMachine):
    """Drive one engine with random commands; check its invariants after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = QueueEngine(HALL)
        self.log: list[Event] = []
        self.minute = 0.0
        self.days = 0

    @initialize()
    def open_the_day(self) -> None:
        self.do(OpenDay(day=DAY, at=at(-60)))
        self.do(OpenCounter(counter=1, at=at(-60)))

    # --- helpers -------------------------------------------------------------------

    def do(self, command: Command) -> list[Event]:
        """Handle ``command``; if refused, assert that nothing changed."""
        before = fingerprint(self.engine)
        try:
            events = self.engine.handle(command)
        except QueueError:
            assert fingerprint(self.engine) == before, f"refused {command} changed the engine"
            return []
        self.log += events
        for event in events:
            if isinstance(event, TicketTransferred):
                self.check_someone_will_call(event, returning=isinstance(command, FinishService))
        return events

    def ticket(self, i: int) -> str:
        ids = list(self.engine.tickets)
        return ids[i % len(ids)] if ids and i % 7 else "20261123-Z999"

    @property
    def now(self):  # type: ignore[no-untyped-def]
        return at(self.days * 24 * 60 + self.minute)

    # --- rules ---------------------------------------------------------------------

    @rule(minutes=st.sampled_from([0, 0, 0.5, 1, 3, 10, 25]))
    def time_passes(self, minutes: float) -> None:
        self.minute += minutes

    @rule(service=SERVICE_CODES, priority=PRIORITIES)
    def citizen_takes_a_ticket(self, service: str, priority: Priority) -> None:
        self.do(IssueTicket(service=service, at=self.now, priority=priority))

    @rule(counter=COUNTERS)
    def counter_calls_next(self, counter: int) -> None:
        for event in self.do(CallNext(counter=counter, at=self.now)):
            assert isinstance(event, TicketCalled)
            self.check_fifo(event.ticket)

    @rule(counter=COUNTERS, i=ANY)
    def counter_calls_a_ticket(self, counter: int, i: int) -> None:
        self.do(CallTicket(counter=counter, ticket=self.ticket(i), at=self.now))

    @rule(counter=COUNTERS, kind=st.sampled_from([StartService, FinishService, Recall, MarkNoShow, Park]))
    def operator_acts(self, counter: int, kind: type[StartService]) -> None:
        self.do(kind(counter=counter, at=self.now))

    @rule(
        counter=COUNTERS,
        service=st.none() | SERVICE_CODES,
        to_counter=st.none() | COUNTERS | st.just(99),
        back=st.booleans(),
    )
    def operator_transfers(
        self, counter: int, service: str | None, to_counter: int | None, back: bool
    ) -> None:
        self.do(
            Transfer(
                counter=counter, at=self.now, to_service=service, to_counter=to_counter, return_to_me=back
            )
        )

    @rule(i=ANY)
    def citizen_cancels(self, i: int) -> None:
        self.do(CancelTicket(ticket=self.ticket(i), at=self.now))

    @rule(counter=COUNTERS, kind=st.sampled_from([OpenCounter, PauseCounter, ResumeCounter, CloseCounter]))
    def supervisor_acts(self, counter: int, kind: type[OpenCounter]) -> None:
        self.do(kind(counter=counter, at=self.now))

    @rule()
    def clock_ticks(self) -> None:
        """The day opens and closes by the hall's hours; yesterday's stays closed."""
        day_before = self.engine.day
        for event in self.do(KeepDay(at=self.now)):
            if isinstance(event, DayOpened):
                assert day_before is None or event.day > day_before

    @rule(counter=COUNTERS, operator=st.sampled_from(["leyla", "rashad"]))
    def operator_logs_in(self, counter: int, operator: str) -> None:
        self.do(OpenCounter(counter=counter, at=self.now, operator=operator))

    @precondition(lambda self: self.minute > 60)
    @rule()
    def day_ends(self) -> None:
        self.do(CloseDay(at=self.now))
        self.days += 1
        self.minute = -60
        self.do(OpenDay(day=DAY + timedelta(days=self.days), at=self.now))

    # --- invariants ------------------------------------------------------------------

    def check_someone_will_call(self, event: TicketTransferred, *, returning: bool) -> None:
        """A transfer goes where a counter that isn't closed calls it. The return trip after
        a finish can't be refused: it goes to the service's queue if its counter closed."""
        if event.to_counter is not None:
            assert self.engine.counters[event.to_counter].state is not CounterState.CLOSED, event
        elif not returning:
            assert self.engine.staffed(event.to_service) > 0, event

    def check_fifo(self, called: str) -> None:
        """Within one service and priority class, untransferred tickets are called in order."""
        t = self.engine.tickets[called]
        if transferred(t):
            return
        for other in self.engine.tickets.values():
            if (
                other.state is TicketState.WAITING
                and other.service == t.service
                and (other.priority is Priority.NONE) == (t.priority is Priority.NONE)
                and not transferred(other)
                and int(other.number[1:]) < int(t.number[1:])
            ):
                raise AssertionError(f"{t.number} called before {other.number} of the same lane")

    @invariant()
    def every_ticket_is_in_exactly_one_place(self) -> None:
        engine = self.engine
        tickets = engine.tickets
        held = [c.current for c in engine.counters.values() if c.current is not None]
        assert len(held) == len(set(held)), "two counters hold one ticket"
        assert {tid for tid in held} == {tid for tid, t in tickets.items() if t.state in HOLDING}
        for no, c in engine.counters.items():
            if c.current is not None:
                assert tickets[c.current].counter == no
        queued = [t.id for code in HALL.services for t in engine.waiting(code)]
        assert len(queued) == len(set(queued)), "a ticket waits twice"
        assert set(queued) == {tid for tid, t in tickets.items() if t.state is TicketState.WAITING}
        for t in tickets.values():
            assert t.state is t.history[-1][1]
            if t.state is TicketState.PARKED:
                assert t.counter is not None
                assert t.id not in held

    @invariant()
    def an_operator_works_at_one_counter(self) -> None:
        operators = [c.operator for c in self.engine.counters.values() if c.operator is not None]
        assert len(operators) == len(set(operators)), operators

    @invariant()
    def numbering_is_unique_and_counts_add_up(self) -> None:
        engine = self.engine
        numbers = [t.number for t in engine.tickets.values()]
        assert len(numbers) == len(set(numbers))
        assert engine.day is not None
        assert all(tid.startswith(f"{engine.day:%Y%m%d}-") for tid in engine.tickets)
        issued_today = 0
        for event in reversed(self.log):
            if isinstance(event, DayOpened):
                break
            issued_today += isinstance(event, TicketIssued)
        states = Counter(t.state for t in engine.tickets.values())
        assert sum(states.values()) == issued_today == len(engine.tickets)
        stats = engine.queue_stats()
        assert sum(s.waiting for s in stats.values()) == states[TicketState.WAITING]
        served = sum(c.served for c in engine.counters.values())
        finished_here = sum(
            1 for t in engine.tickets.values() for _, state, _ in t.history if state is TicketState.DONE
        )
        assert served == finished_here

    def teardown(self) -> None:
        assert fingerprint(replay(HALL, self.log)) == fingerprint(self.engine)


Hall1.TestCase.settings = settings(max_examples=120, stateful_step_count=60, deadline=None)
test_hall_keeps_its_promises = Hall1.TestCase
