"""The supervisor's commands: who did it is in the log; a counter's services for the rest
of the day; a waiting ticket moved to another service; the displays' line."""

from __future__ import annotations

from datetime import timedelta

from server.queue import (
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    CloseDay,
    CounterClosed,
    CounterOpened,
    CounterPaused,
    CounterResumed,
    CounterServicesSet,
    DayClosed,
    DayOpened,
    HallMessageSet,
    InvalidTransition,
    IssueTicket,
    MoveTicket,
    NoOpenCounter,
    NothingToCall,
    OpenCounter,
    OpenDay,
    PauseCounter,
    Priority,
    QueueEngine,
    ResumeCounter,
    SetCounterServices,
    SetHallMessage,
    StartService,
    TicketCancelled,
    TicketMoved,
    TicketState,
    Transfer,
    UnknownCounter,
    UnknownService,
    UnknownTicket,
    event_from_dict,
    event_to_dict,
)
from server.queue.estimate import PoolEstimator

from .builders import DAY, at, fingerprint, issue, make_hall, open_engine, refused, replay

# --- who did it ------------------------------------------------------------------------


def test_supervisor_actions_record_the_supervisors_login() -> None:
    engine = QueueEngine(make_hall())
    assert engine.handle(OpenDay(day=DAY, at=at(-60), by="boss")) == [
        DayOpened(day=DAY, at=at(-60), by="boss")
    ]
    engine.handle(OpenCounter(counter=1, at=at(-60), operator="op1"))
    tid = issue(engine, "ID", 0)
    assert engine.handle(PauseCounter(counter=1, at=at(1), by="boss")) == [
        CounterPaused(counter=1, at=at(1), by="boss")
    ]
    assert engine.handle(ResumeCounter(counter=1, at=at(2), by="boss")) == [
        CounterResumed(counter=1, at=at(2), by="boss")
    ]
    assert engine.handle(OpenCounter(counter=2, at=at(3), by="boss")) == [
        CounterOpened(counter=2, at=at(3), operator=None, by="boss")
    ]
    assert engine.handle(CancelTicket(ticket=tid, at=at(4), by="boss")) == [
        TicketCancelled(ticket=tid, number="A001", at=at(4), by="boss")
    ]
    assert engine.handle(CloseCounter(counter=2, at=at(5), by="boss")) == [
        CounterClosed(counter=2, at=at(5), by="boss")
    ]
    assert engine.handle(CloseDay(at=at(600), by="boss")) == [DayClosed(at=at(600), by="boss")]


def test_an_operators_own_actions_name_no_supervisor() -> None:
    engine = open_engine()
    (event,) = engine.handle(PauseCounter(counter=1, at=at(1)))
    assert event == CounterPaused(counter=1, at=at(1), by=None)


def test_by_survives_the_logs_codec_and_older_logs_read_as_nobody() -> None:
    event = CounterPaused(counter=1, at=at(1), by="boss")
    assert event_from_dict(event_to_dict(event)) == event
    old = {"type": "CounterPaused", "counter": 1, "at": at(1).isoformat()}  # written before `by`
    assert event_from_dict(old) == CounterPaused(counter=1, at=at(1))


# --- a counter's services for the rest of the day -------------------------------------------


def test_counter_serves_the_services_set_for_it() -> None:
    engine = open_engine()
    bank = issue(engine, "BANK", 0)
    assert engine.handle(SetCounterServices(counter=4, services=("BANK", "TAX"), at=at(1), by="boss")) == [
        CounterServicesSet(counter=4, services=("BANK", "TAX"), at=at(1), by="boss")
    ]
    assert list(engine.hall.counters[4].services) == ["BANK", "TAX"]
    assert engine.serving("BANK") == (3, 4)
    assert engine.staffed("BANK") == 2
    assert engine.configured_hall.counters[4].services == {"TAX": 1.0}
    (called,) = engine.handle(CallNext(counter=4, at=at(2)))
    assert called.ticket == bank  # type: ignore[union-attr]


def test_counter_stops_serving_a_service_taken_away() -> None:
    engine = open_engine()
    issue(engine, "ID", 0)
    engine.handle(SetCounterServices(counter=1, services=("PASS",), at=at(1)))
    assert engine.staffed("ID") == 1
    refused(engine, CallNext(counter=1, at=at(2)), NothingToCall)
    refused(engine, CallTicket(counter=1, ticket="20261123-A001", at=at(2)), InvalidTransition)
    engine.handle(CallNext(counter=2, at=at(2)))


def test_services_set_keep_their_weights_and_order() -> None:
    engine = open_engine()
    engine.handle(SetCounterServices(counter=1, services=("PASS", "BANK", "PASS"), at=at(1)))
    assert engine.hall.counters[1].services == {"PASS": 1.0, "BANK": 1.0}
    assert list(engine.hall.counters[1].services) == ["PASS", "BANK"]


def test_setting_the_services_a_counter_has_records_nothing() -> None:
    engine = open_engine()
    before = fingerprint(engine)
    assert engine.handle(SetCounterServices(counter=1, services=("ID", "PASS"), at=at(1))) == []
    assert fingerprint(engine) == before


def test_set_services_refusals() -> None:
    engine = open_engine()
    refused(engine, SetCounterServices(counter=99, services=("ID",), at=at(1)), UnknownCounter)
    refused(engine, SetCounterServices(counter=1, services=("ID", "NOPE"), at=at(1)), UnknownService, "NOPE")
    refused(engine, SetCounterServices(counter=1, services=(), at=at(1)), InvalidTransition, "at least one")


def test_the_next_day_starts_from_the_center_file() -> None:
    engine = open_engine()
    engine.handle(SetCounterServices(counter=4, services=("BANK",), at=at(1)))
    engine.handle(CloseDay(at=at(600)))
    engine.handle(OpenDay(day=DAY + timedelta(days=1), at=at(24 * 60)))
    assert engine.hall is engine.configured_hall
    assert engine.serving("TAX") == (4,)
    assert engine.serving("BANK") == (3,)


def test_a_ticket_sent_by_name_stays_with_its_counter() -> None:
    """A citizen sent to counter 2 by name is still called there after 2 stops serving ID."""
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(Transfer(counter=1, to_counter=2, at=at(2)))
    engine.handle(SetCounterServices(counter=2, services=("TAX",), at=at(3)))
    assert [t.id for t in engine.waiting("ID")] == [tid]
    assert engine.queue_stats()["ID"].waiting == 1
    (called,) = engine.handle(CallNext(counter=2, at=at(4)))
    assert called.ticket == tid  # type: ignore[union-attr]


def test_the_wait_estimate_follows_the_services() -> None:
    """The pool estimator counts the counters a service has today."""
    engine = QueueEngine(make_hall(), estimator=PoolEstimator())
    engine.handle(OpenDay(day=DAY, at=at(-60)))
    for no in (3, 4):
        engine.handle(OpenCounter(counter=no, at=at(-60), operator=f"op{no}"))
    for minute in range(6):
        issue(engine, "BANK", minute)
    alone = engine.estimate("BANK", Priority.NONE, at(6)).est_min
    engine.handle(SetCounterServices(counter=4, services=("BANK", "TAX"), at=at(6)))
    shared = engine.estimate("BANK", Priority.NONE, at(6)).est_min
    assert shared < alone * 0.7


def test_replay_of_changed_services_rebuilds_the_same_hall() -> None:
    engine = open_engine()
    log = [
        *engine.handle(SetCounterServices(counter=4, services=("BANK", "TAX"), at=at(1))),
        *engine.handle(SetCounterServices(counter=1, services=("PASS",), at=at(2))),
    ]
    first = [
        DayOpened(day=DAY, at=at(-60)),
        *(CounterOpened(counter=no, at=at(-60), operator=f"op{no}") for no in (1, 2, 3, 4)),
    ]
    replayed = replay(make_hall(), [event_from_dict(event_to_dict(e)) for e in first + log])
    assert replayed.hall == engine.hall
    assert fingerprint(replayed) == fingerprint(engine)


# --- moving a waiting ticket ---------------------------------------------------------------


def test_moved_ticket_keeps_its_place_by_arrival() -> None:
    engine = open_engine()
    early = issue(engine, "TAX", 0)  # the wrong service
    late = issue(engine, "BANK", 5)
    assert engine.handle(MoveTicket(ticket=early, to_service="BANK", at=at(6), by="boss")) == [
        TicketMoved(ticket=early, number="C001", from_service="TAX", to_service="BANK", at=at(6), by="boss")
    ]
    ticket = engine.tickets[early]
    assert (ticket.service, ticket.agency, ticket.state, ticket.queued_at) == (
        "BANK",
        "BANK",
        TicketState.WAITING,
        at(0),
    )
    assert [t.id for t in engine.waiting("BANK")] == [early, late]
    assert engine.waiting("TAX") == []
    assert engine.queue_stats()["BANK"].waiting == 2


def test_moved_ticket_waiting_for_a_closed_counter_goes_to_any_counter() -> None:
    """Sent by name to counter 2, which then closed: the supervisor frees the citizen."""
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(Transfer(counter=1, to_counter=2, at=at(2)))
    engine.handle(CloseCounter(counter=2, at=at(3)))
    (event,) = engine.handle(MoveTicket(ticket=tid, to_service="ID", at=at(4)))
    assert isinstance(event, TicketMoved)
    assert engine.tickets[tid].target_counter is None
    (called,) = engine.handle(CallNext(counter=1, at=at(5)))
    assert called.ticket == tid  # type: ignore[union-attr]


def test_moving_to_the_service_it_waits_for_records_nothing() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    before = fingerprint(engine)
    assert engine.handle(MoveTicket(ticket=tid, to_service="ID", at=at(1))) == []
    assert fingerprint(engine) == before


def test_move_refusals() -> None:
    engine = open_engine(counters=(1, 2, 4))
    tid = issue(engine, "ID", 0)
    refused(engine, MoveTicket(ticket="20261123-Z999", to_service="ID", at=at(1)), UnknownTicket)
    refused(engine, MoveTicket(ticket=tid, to_service="NOPE", at=at(1)), UnknownService)
    # Rule R-6: nobody serves BANK now (counter 3 is closed).
    refused(engine, MoveTicket(ticket=tid, to_service="BANK", at=at(1)), NoOpenCounter, "no counter")
    engine.handle(CallNext(counter=1, at=at(2)))
    engine.handle(StartService(counter=1, at=at(3)))
    refused(engine, MoveTicket(ticket=tid, to_service="TAX", at=at(4)), InvalidTransition, "serving")


def test_replay_of_a_move_rebuilds_the_same_queues() -> None:
    engine = QueueEngine(make_hall())
    log = [*engine.handle(OpenDay(day=DAY, at=at(-60)))]
    for no in (1, 2, 3, 4):
        log += engine.handle(OpenCounter(counter=no, at=at(-60)))
    for minute, service in enumerate(["BANK", "TAX", "BANK", "TAX"]):
        log += engine.handle(IssueTicket(service=service, at=at(minute)))
    log += engine.handle(MoveTicket(ticket="20261123-C002", to_service="BANK", at=at(5)))
    assert fingerprint(replay(make_hall(), log)) == fingerprint(engine)


# --- the displays' line ---------------------------------------------------------------------


def test_the_hall_message_is_recorded_and_changes_no_queue() -> None:
    engine = open_engine()
    before = fingerprint(engine)
    text = {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}
    assert engine.handle(SetHallMessage(text=text, at=at(1), by="boss")) == [
        HallMessageSet(text=text, at=at(1), by="boss")
    ]
    assert engine.handle(SetHallMessage(text=None, at=at(2), by="boss")) == [
        HallMessageSet(text=None, at=at(2), by="boss")
    ]
    assert fingerprint(engine) == before
