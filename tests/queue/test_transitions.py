"""Every ticket and counter transition, and every error, one by one."""

from __future__ import annotations

import dataclasses

import pytest

from server.queue import (
    COUNTER_TRANSITIONS,
    FINAL_STATES,
    TRANSITIONS,
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    CloseDay,
    Command,
    CounterBusy,
    CounterDef,
    CounterNotOpen,
    CounterOpened,
    CounterState,
    CounterTaken,
    DayClosed,
    DayNotOpen,
    FinishService,
    Hall,
    InvalidTransition,
    IssueTicket,
    MarkNoShow,
    NoCurrentTicket,
    NothingToCall,
    OpenCounter,
    OpenDay,
    OperatorElsewhere,
    Park,
    PauseCounter,
    QueueEngine,
    Recall,
    ResumeCounter,
    ServiceStarted,
    StartService,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketParked,
    TicketRecalled,
    TicketState,
    TicketTransferred,
    Transfer,
    UnknownCounter,
    UnknownService,
    UnknownTicket,
)
from wire.states import IllegalTransition, next_state

from .builders import DAY, SERVICES, at, fingerprint, issue, make_hall, open_engine, refused

W, C, S, P = TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.PARKED


def called(minute: float = 1.0) -> tuple[QueueEngine, str]:
    """Return an engine whose counter 1 holds a CALLED ticket, and the ticket's id."""
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(minute)))
    return engine, tid


def serving() -> tuple[QueueEngine, str]:
    engine, tid = called()
    engine.handle(StartService(counter=1, at=at(2)))
    return engine, tid


# --- the table ------------------------------------------------------------------------


def test_table_covers_every_state() -> None:
    """Every ticket state has a row; final states lead nowhere but DONE's return leg."""
    assert set(TRANSITIONS) == set(TicketState)
    for state in FINAL_STATES - {TicketState.DONE}:
        assert TRANSITIONS[state] == {}
    assert TRANSITIONS[TicketState.DONE] == {TicketTransferred: W}
    assert set(COUNTER_TRANSITIONS) == set(CounterState)


def test_table_refuses_an_unlisted_move() -> None:
    """Applying an event the table doesn't list for the state raises (a broken log)."""
    with pytest.raises(IllegalTransition, match="TicketFinished is illegal for a done ticket"):
        next_state(TicketState.DONE, TicketFinished)


# --- ticket transitions ---------------------------------------------------------------


def test_kiosk_issue_creates_waiting_ticket() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    ticket = engine.tickets[tid]
    assert tid == "20261123-A001"
    assert (ticket.number, ticket.state, ticket.agency, ticket.counter) == ("A001", W, "DIN", None)
    assert ticket.issued_at == ticket.queued_at == at(0)
    assert ticket.history == ((at(0), W, None),)


def test_citizen_cancels_waiting_ticket() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    assert engine.handle(CancelTicket(ticket=tid, at=at(1))) == [
        TicketCancelled(ticket=tid, number="A001", at=at(1))
    ]
    assert engine.tickets[tid].state is TicketState.CANCELLED
    assert engine.waiting("ID") == []


def test_cancel_of_called_ticket_is_refused() -> None:
    engine, tid = called()
    refused(
        engine,
        CancelTicket(ticket=tid, at=at(2)),
        InvalidTransition,
        "it is called at counter 1, not waiting",
    )


def test_cancel_of_unknown_ticket_is_refused() -> None:
    engine = open_engine()
    refused(engine, CancelTicket(ticket="20261123-Z999", at=at(2)), UnknownTicket)


def test_cancel_from_the_middle_of_the_queue_keeps_the_order() -> None:
    engine = open_engine()
    a, b, c = (issue(engine, "ID", m) for m in range(3))
    engine.handle(CancelTicket(ticket=b, at=at(4)))
    assert [t.id for t in engine.waiting("ID")] == [a, c]


def test_counter_calls_next_waiting_ticket() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    assert engine.handle(CallNext(counter=1, at=at(1))) == [
        TicketCalled(ticket=tid, number="A001", service="ID", counter=1, at=at(1), lang="az")
    ]
    ticket = engine.tickets[tid]
    assert (ticket.state, ticket.counter, ticket.called_at) == (C, 1, at(1))
    assert engine.counters[1].current == tid


def test_calls_and_recalls_carry_the_tickets_language() -> None:
    """The displays say a call in the citizen's language too: it comes with the call."""
    engine = open_engine()
    (issued,) = engine.handle(IssueTicket(service="ID", at=at(0), lang="ru"))
    assert isinstance(issued, TicketIssued)
    (called,) = engine.handle(CallTicket(counter=1, ticket=issued.ticket, at=at(1)))
    (recalled,) = engine.handle(Recall(counter=1, at=at(2)))
    assert isinstance(called, TicketCalled)
    assert isinstance(recalled, TicketRecalled)
    assert (called.lang, recalled.lang) == ("ru", "ru")


def test_counter_calls_a_waiting_ticket_by_id() -> None:
    engine = open_engine()
    a, b, c = (issue(engine, "ID", m) for m in range(3))
    engine.handle(CallTicket(counter=1, ticket=b, at=at(4)))
    assert engine.tickets[b].state is C
    assert [t.id for t in engine.waiting("ID")] == [a, c]


def test_recall_counts_up_then_ends_as_no_show() -> None:
    """Rule R-3: the recall after the limit marks the ticket no-show by itself."""
    engine, tid = called()
    limit = engine.hall.recall_limit
    for n in range(1, limit + 1):
        assert engine.handle(Recall(counter=1, at=at(1 + n))) == [
            TicketRecalled(ticket=tid, number="A001", counter=1, recalls=n, at=at(1 + n), lang="az")
        ]
        assert (engine.tickets[tid].state, engine.tickets[tid].recalls) == (C, n)
    assert engine.handle(Recall(counter=1, at=at(9))) == [
        TicketNoShow(ticket=tid, number="A001", counter=1, at=at(9))
    ]
    assert engine.tickets[tid].state is TicketState.NO_SHOW
    assert engine.counters[1].current is None
    assert engine.counters[1].no_shows == 1


def test_recall_of_serving_ticket_is_refused() -> None:
    engine, _ = serving()
    refused(engine, Recall(counter=1, at=at(3)), InvalidTransition, "ticket A001 is serving, not called")


def test_operator_starts_service() -> None:
    engine, tid = called()
    assert engine.handle(StartService(counter=1, at=at(2))) == [
        ServiceStarted(ticket=tid, number="A001", counter=1, at=at(2))
    ]
    assert engine.tickets[tid].state is S
    assert engine.tickets[tid].started_at == at(2)


def test_start_of_serving_ticket_is_refused() -> None:
    engine, _ = serving()
    error = refused(engine, StartService(counter=1, at=at(3)), InvalidTransition)
    assert str(error) == "can't start service at counter 1: ticket A001 is serving, not called"
    assert error.details["state"] is S


def test_operator_finishes_service() -> None:
    engine, tid = serving()
    assert engine.handle(FinishService(counter=1, at=at(7))) == [
        TicketFinished(ticket=tid, number="A001", counter=1, at=at(7))
    ]
    ticket, counter = engine.tickets[tid], engine.counters[1]
    assert (ticket.state, ticket.finished_at, ticket.counter) == (TicketState.DONE, at(7), 1)
    assert (counter.current, counter.served, counter.service_seconds) == (None, 1, 300.0)


def test_finish_of_called_ticket_is_refused() -> None:
    engine, _ = called()
    refused(engine, FinishService(counter=1, at=at(3)), InvalidTransition, "is called, not serving")


def test_operator_marks_no_show() -> None:
    engine, tid = called()
    assert engine.handle(MarkNoShow(counter=1, at=at(3))) == [
        TicketNoShow(ticket=tid, number="A001", counter=1, at=at(3))
    ]
    assert engine.tickets[tid].state is TicketState.NO_SHOW
    assert engine.counters[1].no_shows == 1


def test_no_show_of_serving_ticket_is_refused() -> None:
    engine, _ = serving()
    refused(engine, MarkNoShow(counter=1, at=at(3)), InvalidTransition, "is serving, not called")


@pytest.mark.parametrize("start", [False, True], ids=["called", "serving"])
def test_operator_parks_and_calls_back_the_ticket(start: bool) -> None:
    engine, tid = serving() if start else called()
    assert engine.handle(Park(counter=1, at=at(4))) == [
        TicketParked(ticket=tid, number="A001", counter=1, at=at(4))
    ]
    assert (engine.tickets[tid].state, engine.tickets[tid].counter) == (P, 1)
    assert engine.counters[1].current is None
    engine.handle(CallTicket(counter=1, ticket=tid, at=at(9)))
    assert engine.tickets[tid].state is C
    assert engine.counters[1].current == tid


def test_parked_ticket_is_callable_only_by_its_counter() -> None:
    engine, tid = called()
    engine.handle(Park(counter=1, at=at(4)))
    refused(engine, CallTicket(counter=2, ticket=tid, at=at(5)), InvalidTransition, "parked by counter 1")
    refused(engine, CallNext(counter=2, at=at(5)), NothingToCall)


def test_call_of_finished_ticket_is_refused() -> None:
    engine, tid = serving()
    engine.handle(FinishService(counter=1, at=at(5)))
    refused(
        engine,
        CallTicket(counter=1, ticket=tid, at=at(6)),
        InvalidTransition,
        "is done, not waiting or parked",
    )


def test_call_of_ticket_from_another_service_is_refused() -> None:
    engine = open_engine()
    tid = issue(engine, "TAX", 0)
    refused(engine, CallTicket(counter=1, ticket=tid, at=at(1)), InvalidTransition, "doesn't serve TAX")


def test_call_of_unknown_ticket_is_refused() -> None:
    engine = open_engine()
    refused(engine, CallTicket(counter=1, ticket="nope", at=at(1)), UnknownTicket)


def test_transfer_of_called_ticket_sends_it_to_wait_again() -> None:
    """A citizen at the wrong counter is sent on without being served."""
    engine, tid = called()
    engine.handle(Transfer(counter=1, at=at(2), to_service="TAX"))
    ticket = engine.tickets[tid]
    assert (ticket.state, ticket.service, ticket.agency) == (W, "TAX", "TAX")
    assert engine.counters[1].transferred == 1


def test_close_day_ends_every_open_ticket_as_unserved() -> None:
    engine = open_engine()
    waiting = issue(engine, "ID", 0)
    done, called_, serving_, parked = (issue(engine, s, 1) for s in ("PASS", "BANK", "TAX", "ID"))
    engine.handle(CallTicket(counter=1, ticket=done, at=at(2)))
    engine.handle(StartService(counter=1, at=at(2)))
    engine.handle(FinishService(counter=1, at=at(3)))
    engine.handle(CallTicket(counter=3, ticket=called_, at=at(3)))
    engine.handle(CallTicket(counter=4, ticket=serving_, at=at(3)))
    engine.handle(StartService(counter=4, at=at(3)))
    engine.handle(CallTicket(counter=2, ticket=parked, at=at(3)))
    engine.handle(Park(counter=2, at=at(4)))
    (event,) = engine.handle(CloseDay(at=at(600)))
    assert event == DayClosed(at=at(600), unserved=(waiting, called_, serving_, parked))
    for tid in event.unserved:
        assert engine.tickets[tid].state is TicketState.CLOSED_UNSERVED
    assert engine.tickets[done].state is TicketState.DONE
    assert all(c.state is CounterState.CLOSED and c.current is None for c in engine.counters.values())
    assert all(engine.waiting(code) == [] for code in SERVICES)
    assert not engine.is_open
    assert engine.day == DAY


# --- counters -------------------------------------------------------------------------


def test_supervisor_opens_counter_with_operator() -> None:
    engine = open_engine(counters=())
    assert engine.handle(OpenCounter(counter=1, at=at(0), operator="leyla")) == [
        CounterOpened(counter=1, at=at(0), operator="leyla")
    ]
    status = engine.counters[1]
    assert (status.state, status.operator, status.since) == (CounterState.OPEN, "leyla", at(0))


def test_a_login_where_another_operator_works_is_refused() -> None:
    """Rule C-1: one operator per counter; the details name who works there."""
    engine, _ = called()
    error = refused(
        engine, OpenCounter(counter=1, at=at(5), operator="rashad"), CounterTaken, "op1 works there"
    )
    assert error.details == {"counter": 1, "operator": "op1"}
    engine.handle(PauseCounter(counter=2, at=at(5)))
    refused(engine, OpenCounter(counter=2, at=at(6), operator="rashad"), CounterTaken, "op2 works there")


def test_a_login_of_an_operator_working_elsewhere_is_refused() -> None:
    """Rule C-1: one counter per operator; the details name where they work."""
    engine = open_engine(counters=(1,))
    error = refused(
        engine, OpenCounter(counter=2, at=at(5), operator="op1"), OperatorElsewhere, "op1 works at counter 1"
    )
    assert error.details == {"counter": 1, "operator": "op1"}
    engine.handle(CloseCounter(counter=1, at=at(6)))
    assert engine.handle(OpenCounter(counter=2, at=at(7), operator="op1")) == [
        CounterOpened(counter=2, at=at(7), operator="op1")
    ]
    assert engine.handle(OpenCounter(counter=1, at=at(8), operator="rashad")) == [
        CounterOpened(counter=1, at=at(8), operator="rashad")
    ]


def test_a_login_again_at_a_paused_counter_changes_nothing() -> None:
    """An app that reconnects and logs in again doesn't end its operator's break."""
    engine = open_engine(counters=(1,))
    engine.handle(PauseCounter(counter=1, at=at(1)))
    before = fingerprint(engine)
    assert engine.handle(OpenCounter(counter=1, at=at(2), operator="op1")) == []
    assert fingerprint(engine) == before


def test_opening_an_open_counter_for_its_own_operator_records_nothing() -> None:
    """A request that changes nothing writes nothing: no event, the engine unchanged."""
    engine = open_engine(counters=())
    engine.handle(OpenCounter(counter=1, at=at(0), operator="leyla"))
    before = fingerprint(engine)
    assert engine.handle(OpenCounter(counter=1, at=at(5), operator="leyla")) == []
    assert engine.handle(OpenCounter(counter=1, at=at(6))) == []
    assert fingerprint(engine) == before


def test_opening_without_an_operator_keeps_the_one_logged_in() -> None:
    """The supervisor's "open" on a paused counter resumes it; its operator stays."""
    engine = open_engine(counters=())
    engine.handle(OpenCounter(counter=1, at=at(0), operator="leyla"))
    engine.handle(PauseCounter(counter=1, at=at(1)))
    assert engine.handle(OpenCounter(counter=1, at=at(2))) == [
        CounterOpened(counter=1, at=at(2), operator="leyla")
    ]
    assert (engine.counters[1].state, engine.counters[1].operator) == (CounterState.OPEN, "leyla")


def test_opening_a_paused_counter_resumes_it() -> None:
    engine = open_engine()
    engine.handle(PauseCounter(counter=1, at=at(1)))
    engine.handle(OpenCounter(counter=1, at=at(2)))
    assert engine.counters[1].state is CounterState.OPEN


def test_operator_pauses_and_resumes() -> None:
    engine = open_engine()
    engine.handle(PauseCounter(counter=1, at=at(1)))
    assert (engine.counters[1].state, engine.counters[1].since) == (CounterState.PAUSED, at(1))
    refused(engine, CallNext(counter=1, at=at(2)), CounterNotOpen, "it is paused")
    engine.handle(ResumeCounter(counter=1, at=at(3)))
    assert engine.counters[1].state is CounterState.OPEN


def test_pause_refusals() -> None:
    engine, _ = called()
    refused(engine, PauseCounter(counter=1, at=at(2)), CounterBusy, "holds ticket A001")
    engine.handle(PauseCounter(counter=2, at=at(2)))
    refused(engine, PauseCounter(counter=2, at=at(3)), InvalidTransition, "it is paused")
    engine.handle(CloseCounter(counter=2, at=at(3)))
    refused(engine, PauseCounter(counter=2, at=at(4)), CounterNotOpen, "it is closed")


def test_resume_refusals() -> None:
    engine = open_engine(counters=(1,))
    refused(engine, ResumeCounter(counter=1, at=at(1)), InvalidTransition, "it is open")
    refused(engine, ResumeCounter(counter=2, at=at(1)), CounterNotOpen, "it is closed")


def test_supervisor_closes_counter_and_operator_logs_out() -> None:
    engine = open_engine()
    engine.handle(CloseCounter(counter=1, at=at(1)))
    assert (engine.counters[1].state, engine.counters[1].operator) == (CounterState.CLOSED, None)


def test_closing_a_closed_counter_records_nothing() -> None:
    engine = open_engine(counters=(1,))
    before = fingerprint(engine)
    assert engine.handle(CloseCounter(counter=2, at=at(1))) == []
    assert fingerprint(engine) == before


def test_close_of_busy_counter_is_refused() -> None:
    engine, _ = called()
    refused(engine, CloseCounter(counter=1, at=at(2)), CounterBusy, "finish or park it first")


def test_double_click_on_call_next_is_harmless() -> None:
    engine = open_engine()
    issue(engine, "ID", 0)
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    refused(engine, CallNext(counter=1, at=at(1)), CounterBusy, "holds ticket A001")
    refused(engine, CallTicket(counter=1, ticket="20261123-A002", at=at(1)), CounterBusy)


def test_call_next_at_closed_counter_is_refused() -> None:
    engine = open_engine(counters=())
    issue(engine, "ID", 0)
    refused(engine, CallNext(counter=1, at=at(1)), CounterNotOpen, "it is closed")


def test_call_next_with_nobody_waiting_is_refused() -> None:
    engine = open_engine()
    issue(engine, "TAX", 0)
    refused(engine, CallNext(counter=1, at=at(1)), NothingToCall, "nobody is waiting for it")


HELD_COMMANDS: list[Command] = [
    Recall(counter=1, at=at(1)),
    StartService(counter=1, at=at(1)),
    FinishService(counter=1, at=at(1)),
    MarkNoShow(counter=1, at=at(1)),
    Park(counter=1, at=at(1)),
    Transfer(counter=1, at=at(1), to_service="TAX"),
]


@pytest.mark.parametrize("command", HELD_COMMANDS, ids=lambda c: type(c).__name__)
def test_ticket_command_without_current_ticket_is_refused(command: Command) -> None:
    engine = open_engine()
    issue(engine, "ID", 0)
    refused(engine, command, NoCurrentTicket, "holds no ticket")


COUNTER_COMMANDS: list[Command] = [
    *(dataclasses.replace(c, counter=99) for c in HELD_COMMANDS),
    OpenCounter(counter=99, at=at(1)),
    PauseCounter(counter=99, at=at(1)),
    ResumeCounter(counter=99, at=at(1)),
    CloseCounter(counter=99, at=at(1)),
    CallNext(counter=99, at=at(1)),
    CallTicket(counter=99, ticket="20261123-A001", at=at(1)),
]


@pytest.mark.parametrize("command", COUNTER_COMMANDS, ids=lambda c: type(c).__name__)
def test_command_for_unknown_counter_is_refused(command: Command) -> None:
    engine = open_engine()
    issue(engine, "ID", 0)
    refused(engine, command, UnknownCounter, "no counter 99")


ALL_BUT_OPEN_DAY: list[Command] = [
    *HELD_COMMANDS,
    CloseDay(at=at(1)),
    IssueTicket(service="ID", at=at(1)),
    CancelTicket(ticket="20261123-A001", at=at(1)),
    OpenCounter(counter=1, at=at(1)),
    PauseCounter(counter=1, at=at(1)),
    ResumeCounter(counter=1, at=at(1)),
    CloseCounter(counter=1, at=at(1)),
    CallNext(counter=1, at=at(1)),
    CallTicket(counter=1, ticket="20261123-A001", at=at(1)),
]


@pytest.mark.parametrize("command", ALL_BUT_OPEN_DAY, ids=lambda c: type(c).__name__)
def test_command_without_open_day_is_refused(command: Command) -> None:
    engine = QueueEngine(make_hall())
    refused(engine, command, DayNotOpen, "no day has been opened")
    engine.handle(OpenDay(day=DAY, at=at(-60)))
    engine.handle(CloseDay(at=at(-59)))
    refused(engine, command, DayNotOpen, "day 2026-11-23 is closed")


def test_issue_for_unknown_service_is_refused() -> None:
    refused(open_engine(), IssueTicket(service="NOPE", at=at(0)), UnknownService, "no service NOPE")


def test_engine_refuses_what_is_not_a_command() -> None:
    with pytest.raises(TypeError, match="not a queue command"):
        open_engine().handle("CallNext")  # type: ignore[arg-type]


def test_hall_with_counter_for_undefined_service_is_refused() -> None:
    hall = Hall(services=dict(SERVICES), counters={1: CounterDef(1, "z", {"GHOST": 1.0})})
    with pytest.raises(UnknownService, match="counter 1 lists service GHOST"):
        QueueEngine(hall)


def test_decide_returns_the_events_without_applying_them() -> None:
    """The kiosk asks "would this ticket be refused?" through the same rules."""
    engine = open_engine()
    before = fingerprint(engine)
    (event,) = engine.decide(IssueTicket(service="ID", at=at(0)))
    assert isinstance(event, TicketIssued)
    assert event.number == "A001"
    assert fingerprint(engine) == before
    with pytest.raises(NothingToCall):
        engine.decide(CallNext(counter=1, at=at(1)))
    with pytest.raises(TypeError, match="not a queue command"):
        engine.decide("IssueTicket")  # type: ignore[arg-type]
