"""The desk's view of the hall, kept from events, is the server's: a real engine on the
reference center runs random commands; the desk, fed the welcome and then only the events
(typed messages, as the client delivers them), ends with the same counters and waiting
tickets as a fresh snapshot of the engine. No server, no screen."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from server import views
from server.center.reference import center_from_reference
from server.queue import (
    CallNext,
    CancelTicket,
    CloseCounter,
    Command,
    FinishService,
    IssueTicket,
    MarkNoShow,
    MoveTicket,
    OpenCounter,
    OpenDay,
    Park,
    PauseCounter,
    QueueEngine,
    QueueError,
    Recall,
    ResumeCounter,
    SetCounterServices,
    StartService,
    Transfer,
)
from server.reference import reference_center
from supervisor.viewmodel import AlertKind, SupervisorViewModel
from wire.messages import (
    AlertNotice,
    DeviceHealth,
    EventMessage,
    HealthStatus,
    QueueAlert,
    QueueAlertsNotice,
    RecoveredNotice,
    Welcome,
)
from wire.types import FINAL_STATES, TicketState

CENTER = center_from_reference(json.loads(reference_center().read_text(encoding="utf-8")))
BAKU = timezone(timedelta(hours=4))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=BAKU)


def welcome(engine: QueueEngine, at: datetime, **snapshot: object) -> Welcome:
    snap = views.snapshot(engine, role="supervisor", counters=None, counter=None, at=at)
    return Welcome(
        role="supervisor",
        device="supervisor",
        seq=0,
        server_time=at,
        center=views.center_info(CENTER),
        snapshot=snap.model_copy(update=snapshot) if snapshot else snap,
    )


def random_command(rng: random.Random, engine: QueueEngine, at: datetime) -> Command:
    counter = rng.randint(1, 81)
    services = list(engine.hall.services)
    waiting = [t for t in engine.tickets.values() if t.state is TicketState.WAITING]
    ticket = rng.choice(waiting).id if waiting else "20261123-Z999"
    kind = rng.choices(
        ["issue", "call", "start", "finish", "recall", "noshow", "park", "transfer", "open", "pause",
         "resume", "close", "cancel", "move", "services"],
        weights=[30, 25, 20, 20, 3, 2, 2, 4, 6, 2, 2, 2, 2, 2, 1],
    )[0]  # fmt: skip
    simple = {
        "call": CallNext,
        "start": StartService,
        "finish": FinishService,
        "recall": Recall,
        "noshow": MarkNoShow,
        "park": Park,
        "pause": PauseCounter,
        "resume": ResumeCounter,
        "close": CloseCounter,
    }
    if kind in simple:
        return simple[kind](counter=counter, at=at)  # type: ignore[no-any-return]
    if kind == "issue":
        return IssueTicket(service=rng.choice(services), at=at)
    if kind == "transfer":
        return Transfer(
            counter=counter, at=at, to_service=rng.choice(services), return_to_me=rng.random() < 0.5
        )
    if kind == "open":
        return OpenCounter(counter=counter, at=at, operator=f"op{counter}")
    if kind == "cancel":
        return CancelTicket(ticket=ticket, at=at, by="boss")
    if kind == "move":
        return MoveTicket(ticket=ticket, to_service=rng.choice(services), at=at, by="boss")
    return SetCounterServices(counter=counter, services=tuple(rng.sample(services, 2)), at=at, by="boss")


@pytest.mark.parametrize("seed", range(3))
def test_the_desk_kept_by_events_matches_a_fresh_snapshot(seed: int) -> None:
    rng = random.Random(seed)
    engine = QueueEngine(CENTER.to_hall())
    engine.handle(OpenDay(day=T0.date(), at=T0 - timedelta(hours=1)))
    vm = SupervisorViewModel(lang="en")
    vm.on_message(welcome(engine, T0))
    seq = 0
    for step in range(3000):
        at = T0 + timedelta(seconds=step * 5)
        try:
            events = engine.handle(random_command(rng, engine, at))
        except QueueError:
            continue
        for event in events:
            seq += 1
            vm.on_message(EventMessage(seq=seq, event=event))
    fresh = welcome(engine, at).snapshot
    assert fresh is not None
    assert vm.counters.keys() == fresh.counters.keys()
    for number, view in fresh.counters.items():
        mine = vm.counters[number]
        assert (mine.state, mine.operator, mine.served, mine.no_shows) == (
            view.state,
            view.operator,
            view.served,
            view.no_shows,
        ), number
        assert mine.service_seconds == pytest.approx(view.service_seconds, abs=0.2)
        assert vm.services_of(number) == view.services
        assert (mine.current.id if mine.current else None) == (view.current.id if view.current else None)
        if view.state is mine.state:
            assert mine.since == view.since, number
    assert seq > 1000, "the hall did too little to test anything"
    unfinished = {t.id: t for t in fresh.tickets}
    assert {tid for tid, t in vm.tickets.items() if t.state not in FINAL_STATES} == unfinished.keys()
    for tid, view in unfinished.items():
        mine = vm.tickets[tid]
        assert (mine.state, mine.service, mine.agency, mine.counter, mine.target_counter) == (
            view.state,
            view.service,
            view.agency,
            view.counter,
            view.target_counter,
        ), tid
    assert {t.id for t in vm.waiting_tickets()} == {
        t.id for t in fresh.tickets if t.state is TicketState.WAITING
    }


def test_alerts_are_raised_once_and_end_with_their_reason() -> None:
    engine = QueueEngine(CENTER.to_hall())
    engine.handle(OpenDay(day=T0.date(), at=T0))
    printer = "kiosk:kiosk-2/printer"
    failing = DeviceHealth(role="kiosk", status=HealthStatus(component="printer", status="paper_out"), at=T0)
    stranded = QueueAlert(service="MAI-ARCH", kind="stranded", since=T0)
    vm = SupervisorViewModel(lang="en")
    raised: list[AlertKind] = []
    vm.alert_raised.connect(lambda alert: raised.append(alert.kind))
    vm.on_message(welcome(engine, T0, devices={printer: failing}, queue_alerts=(stranded,)))
    assert sorted(raised) == [AlertKind.DEVICE, AlertKind.STRANDED]
    # A reconnection brings the same snapshot: nothing new.
    vm.on_message(welcome(engine, T0, devices={printer: failing}, queue_alerts=(stranded,)))
    assert len(raised) == 2
    assert vm.alert_text(vm.alerts[-1]) == "Kiosk kiosk-2: printer — out of paper"
    # The printer gets worse in another way: a new alert; fixed: both end.
    vm.on_message(
        AlertNotice(
            device=printer,
            status=HealthStatus(component="printer", status="cover_open"),
            was="paper_out",
            at=T0,
        )
    )
    assert len(raised) == 3
    vm.on_message(
        RecoveredNotice(
            device=printer, status=HealthStatus(component="printer", status="ok"), was="cover_open", at=T0
        )
    )
    assert [a.active for a in vm.alerts if a.kind is AlertKind.DEVICE] == [False, False]
    # The queue alert ends when the server's list no longer has it.
    vm.on_message(QueueAlertsNotice(alerts=()))
    assert not next(a for a in vm.alerts if a.kind is AlertKind.STRANDED).active
    assert vm.unacknowledged == 3
    vm.acknowledge_all()
    assert vm.unacknowledged == 0
