"""The counter view-model without a screen and without a server: a fake session answers
requests when the test says so, with the typed results of ``wire.messages``."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from counter.viewmodel import (
    Action,
    ActionRefused,
    CounterViewModel,
    LoginRefused,
    NoAnswer,
    format_duration,
)
from wire.client import ConnState, RequestFailed, RequestTimeout, Result
from wire.events import CounterClosed, TicketCalled
from wire.i18n import catalog
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    CounterInfo,
    CounterResult,
    CounterView,
    EventMessage,
    OperatorInfo,
    QueueFigures,
    QueuesNotice,
    ServiceInfo,
    Snapshot,
    TicketView,
    WaitingNotice,
    WaitingTicket,
    Welcome,
)
from wire.types import Priority

SERVER_NOW = datetime.fromisoformat("2026-03-02T10:00:00+04:00")


class Clock:
    """The server's clock, as the session tells it to the view-model; moved by hand."""

    def __init__(self) -> None:
        self.now = SERVER_NOW

    def __call__(self) -> datetime:
        return self.now


class FakeTransport:
    """The view-model's session: requests wait for the test's answer; ``now()`` is the clock's."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[tuple[str, dict[str, Any], Future[Result]]] = []

    def request(self, kind: str, /, *, timeout: float = 10.0, **fields: Any) -> Future[Result]:
        future: Future[Result] = Future()
        self.sent.append((kind, fields, future))
        return future

    def now(self) -> datetime:
        return self.clock()

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.sent]

    def answer(self, result: CounterResult, index: int = -1) -> None:
        self.sent[index][2].set_result(result)

    def refuse(self, code: str, message: str = "", index: int = -1, **details: Any) -> None:
        self.sent[index][2].set_exception(RequestFailed(code, message or code, {"detail": "x", **details}))


def ticket(number: str = "A001", state: str = "called", **fields: Any) -> TicketView:
    data = {
        "id": f"20260302-{number}",
        "number": number,
        "service": "DIN-ID",
        "agency": "DIN",
        "state": state,
        "counter": 12,
        "issued_at": "2026-03-02T09:40:00+04:00",
        "queued_at": "2026-03-02T09:40:00+04:00",
        "called_at": "2026-03-02T09:52:30+04:00",
        "started_at": None,
        "recalls": 0,
        "priority": "none",
        "return_to": None,
        "target_counter": None,
    }
    data.update(fields)
    return TicketView.model_validate(data)


def counter_view(
    state: str = "open", operator: str | None = "op12", current: TicketView | None = None, **figures: Any
) -> CounterView:
    return CounterView.model_validate(
        {
            "number": 12,
            "state": state,
            "operator": operator,
            "current": current,
            "served": figures.get("served", 0),
            "service_seconds": figures.get("service_seconds", 0.0),
            "no_shows": figures.get("no_shows", 0),
        }
    )


CENTER = CenterInfo(
    code="baku-1",
    name={"az": "Mərkəz", "ru": "Центр", "en": "Center"},
    timezone="Asia/Baku",
    opens=time(9),
    closes=time(18),
    agencies=(AgencyInfo(code="DIN", name={"az": "DİN", "ru": "МВД", "en": "MIA"}, prefix="A", zone="hall"),),
    services=tuple(
        ServiceInfo(code=code, agency=code.split("-")[0], prefix=prefix, name=names, mean_service_min=8.0)
        for code, prefix, names in (
            ("DIN-ID", "A", {"az": "Şəxsiyyət vəsiqəsi", "ru": "Удостоверение", "en": "Identity card"}),
            ("DIN-PASS", "A", {"az": "Pasport", "ru": "Паспорт", "en": "Passport"}),
            ("BANK-FEE", "L", {"az": "Rüsum", "ru": "Пошлина", "en": "State fee"}),
        )
    ),
    counters=(
        CounterInfo(number=12, zone="hall", agency="DIN", services=("DIN-ID", "DIN-PASS")),
        CounterInfo(number=77, zone="hall", agency="BANK", services=("BANK-FEE",)),
    ),
)


def figures(waiting: int, oldest_wait_min: float, open_counters: int = 1) -> QueueFigures:
    return QueueFigures(
        waiting=waiting, oldest_wait_min=oldest_wait_min, open_counters=open_counters, available=True
    )


def welcome(counter: CounterView, tickets: list[TicketView] | None = None) -> Welcome:
    # No figures of BANK-FEE: what the view-model knows of a service the server didn't mention.
    return Welcome(
        role="counter",
        device="12",
        seq=10,
        server_time=SERVER_NOW,
        center=CENTER,
        resumed=False,
        snapshot=Snapshot(
            open=True,
            counters={12: counter},
            tickets=tuple(tickets or ()),
            queues={"DIN-ID": figures(4, 12.5), "DIN-PASS": figures(0, 0.0)},
        ),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def transport(clock: Clock) -> FakeTransport:
    return FakeTransport(clock)


@pytest.fixture
def vm(transport: FakeTransport) -> CounterViewModel:
    model = CounterViewModel(12, lang="en")
    model.attach(transport)
    model.on_connection(ConnState.ONLINE)
    model.on_message(welcome(counter_view(operator=None, state="closed")))
    return model


def logged_in(vm: CounterViewModel, transport: FakeTransport) -> CounterViewModel:
    assert vm.login("op12", "pw")
    transport.answer(CounterResult(operator=OperatorInfo(login="op12", name="Aygün"), counter=counter_view()))
    return vm


def test_catalog_complete_in_three_languages() -> None:
    assert catalog("counter").check() == []


def test_format_duration() -> None:
    assert format_duration(None) == "–"
    assert format_duration(0) == "0:00"
    assert format_duration(75.9) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(-3) == "0:00"


def test_welcome_fills_center_queues_and_login_screen(vm: CounterViewModel) -> None:
    assert not vm.logged_in
    assert vm.my_services == ("DIN-ID", "DIN-PASS")
    assert [(q.name, q.waiting) for q in vm.queues] == [("Identity card", 4), ("Passport", 0)]
    assert vm.waiting_total == 4
    assert vm.can(Action.LOGIN)
    assert not vm.can(Action.CALL_NEXT)
    vm.set_lang("az")
    assert vm.queues[0].name == "Şəxsiyyət vəsiqəsi"


def test_login_then_actions_follow_the_counter_state(vm: CounterViewModel, transport: FakeTransport) -> None:
    assert vm.login("op12", "pw")
    assert vm.pending is Action.LOGIN
    assert not vm.can(Action.LOGIN)
    transport.answer(CounterResult(operator=OperatorInfo(login="op12", name="Aygün"), counter=counter_view()))
    assert vm.logged_in
    assert vm.operator_name == "Aygün"
    assert vm.can(Action.CALL_NEXT)
    assert vm.can(Action.PAUSE)
    assert vm.can(Action.LOGOUT)
    assert not vm.can(Action.RECALL)
    assert not vm.can(Action.FINISH)
    assert not vm.can(Action.CALL_TICKET)


def test_call_next_twice_sends_once(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    assert vm.call_next()
    assert not vm.call_next()  # the double click
    assert transport.kinds().count("call_next") == 1
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    assert vm.pending is None
    assert vm.current is not None
    assert vm.current.number == "A001"
    assert not vm.call_next()  # the counter holds a ticket now
    assert transport.kinds().count("call_next") == 1


def test_event_shows_the_call_before_the_reply(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.call_next()
    called_at = datetime.fromisoformat("2026-03-02T09:52:30+04:00")
    vm.on_message(
        EventMessage(
            seq=11,
            event=TicketCalled(
                ticket="20260302-A001", number="A001", service="DIN-ID", counter=12, at=called_at
            ),
        )
    )
    assert vm.current is not None
    assert vm.current.number == "A001"
    assert vm.waited_seconds() is None  # arrival time comes with the reply
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    assert vm.waited_seconds() == 12 * 60 + 30


def test_durations_use_server_times_and_clock_offset(
    vm: CounterViewModel, transport: FakeTransport, clock: Clock
) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    # Durations run on the server's clock (the session's now(): 10:00:00), not this PC's.
    assert vm.called_seconds() == pytest.approx(7 * 60 + 30)
    assert vm.serving_seconds() is None
    vm.start()
    serving = ticket(state="serving", started_at="2026-03-02T09:58:00+04:00")
    transport.answer(CounterResult(counter=counter_view(current=serving), ticket=serving))
    clock.now += timedelta(seconds=90)
    assert vm.serving_seconds() == pytest.approx(2 * 60 + 90)
    assert vm.called_seconds() is None
    assert vm.waited_seconds() == 12 * 60 + 30
    assert vm.can(Action.FINISH)
    assert vm.can(Action.TRANSFER)
    assert vm.can(Action.PARK)
    assert not vm.can(Action.RECALL)
    assert not vm.can(Action.NO_SHOW)


def test_refusals_are_typed_and_in_the_operators_language(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    errors: list[Any] = []
    vm.failed.connect(errors.append)
    vm.set_lang("ru")
    vm.login("op12", "bad")
    transport.refuse("wrong_password", "Wrong login or password.")
    assert isinstance(errors[-1], LoginRefused)
    assert errors[-1].message == "Неверное имя пользователя или пароль."
    vm.login("supervisor", "pw")
    transport.refuse("counter_taken", operator="op12")
    assert "op12" in errors[-1].message
    assert "{" not in errors[-1].message
    vm.set_lang("az")
    vm.login("op12", "pw")
    transport.refuse("operator_elsewhere", counter=14)
    assert "14" in errors[-1].message
    logged_in(vm, transport)
    vm.call_next()
    transport.refuse("nothing_to_call")
    assert isinstance(errors[-1], ActionRefused)
    assert errors[-1].message == "Bu masanı gözləyən yoxdur."
    assert vm.error is errors[-1]
    assert vm.pending is None
    assert vm.can(Action.CALL_NEXT)
    vm.call_next()
    transport.sent[-1][2].set_exception(RequestTimeout())
    assert isinstance(errors[-1], NoAnswer)
    vm.call_next()
    assert vm.error is None  # a new action clears the old message


def test_offline_disables_everything_and_keeps_the_ticket(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    vm.on_connection(ConnState.OFFLINE)
    assert vm.current is not None
    assert vm.current.number == "A001"
    assert vm.logged_in
    assert not any(vm.can(action) for action in Action)
    assert not vm.recall()
    # Back: a resumed welcome asks for a fresh snapshot, which is what is shown.
    vm.on_connection(ConnState.ONLINE)
    vm.on_message(
        Welcome(role="counter", device="12", seq=12, server_time=SERVER_NOW, center=CENTER, resumed=True)
    )
    assert transport.kinds()[-1] == "sync"
    serving = ticket(state="serving", started_at="2026-03-02T09:59:00+04:00")
    vm.on_message(welcome(counter_view(current=serving, served=3)))
    assert vm.logged_in
    assert vm.current is not None
    assert vm.current.state == "serving"
    assert vm.figures.served == 3
    assert vm.can(Action.FINISH)


def test_counter_closed_elsewhere_logs_out_with_a_notice(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    logged_in(vm, transport)
    notices: list[Any] = []
    vm.noticed.connect(notices.append)
    vm.on_message(EventMessage(seq=11, event=CounterClosed(counter=12, at=SERVER_NOW)))
    assert not vm.logged_in
    assert notices[-1].key == "notice.logged_out_by_server"


def test_own_logout_gives_no_notice(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    notices: list[Any] = []
    vm.noticed.connect(notices.append)
    assert vm.logout()
    vm.on_message(EventMessage(seq=11, event=CounterClosed(counter=12, at=SERVER_NOW)))
    transport.answer(CounterResult(counter=counter_view(state="closed", operator=None)))
    assert not vm.logged_in
    assert notices == []
    assert vm.can(Action.LOGIN)


def test_recall_past_the_limit_is_a_no_show_notice(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    vm.recall()
    gone = ticket(state="no_show", recalls=3)
    transport.answer(CounterResult(counter=counter_view(no_shows=1), ticket=gone))
    assert vm.current is None
    assert vm.figures.no_shows == 1
    assert vm.notice is not None
    assert vm.notice.key == "notice.recall_limit"
    assert (
        vm.tr(vm.notice.key, **vm.notice.values)
        == "A001 did not come after the last recall: marked as no-show."
    )


def test_park_and_call_back(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    vm.park()
    transport.answer(CounterResult(counter=counter_view(), ticket=ticket(state="parked")))
    assert vm.current is None
    assert [t.number for t in vm.parked] == ["A001"]
    assert vm.can(Action.CALL_TICKET)
    assert not vm.call_parked("20260302-A999")
    assert vm.call_parked("20260302-A001")
    assert transport.sent[-1][1] == {"ticket": "20260302-A001"}
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    assert vm.parked == []
    assert vm.current is not None


def test_snapshot_lists_parked_tickets(transport: FakeTransport) -> None:
    model = CounterViewModel(12)
    model.attach(transport)
    model.on_connection(ConnState.ONLINE)
    model.on_message(welcome(counter_view(), tickets=[ticket("A007", state="parked")]))
    assert [t.number for t in model.parked] == ["A007"]


def test_transfer_sends_the_choice_and_tells_where(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    assert not vm.transfer()
    assert vm.transfer(to_service="BANK-FEE", return_to_me=True)
    assert transport.sent[-1][:2] == ("transfer", {"to_service": "BANK-FEE", "return_to_me": True})
    moved = ticket(state="waiting", service="BANK-FEE", counter=None, return_to=12)
    transport.answer(CounterResult(counter=counter_view(), ticket=moved))
    assert vm.current is None
    assert vm.notice is not None
    assert (
        vm.tr(vm.notice.key, **vm.notice.values)
        == "A001 sent to State fee; the citizen will come back to you."
    )


def test_transfer_refused_for_want_of_an_open_counter_says_where_in_every_language(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    errors: list[Any] = []
    vm.failed.connect(errors.append)
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    expected = {
        "en": "No counter of “State fee” is open now",
        "ru": "Сейчас не открыто ни одно окно услуги «Пошлина»",
        "az": "Hazırda «Rüsum» xidmətinin açıq masası yoxdur",
    }
    for lang, start in expected.items():
        vm.set_lang(lang)
        assert vm.transfer(to_service="BANK-FEE", return_to_me=True)
        transport.refuse("no_open_counter", service="BANK-FEE")
        assert isinstance(errors[-1], ActionRefused)
        assert errors[-1].code == "no_open_counter"
        assert errors[-1].message.startswith(start), errors[-1].message
        assert vm.current is not None  # the citizen is still here
    vm.set_lang("en")
    assert vm.transfer(to_counter=77)
    transport.refuse("no_open_counter", service="BANK-FEE", counter=77)
    assert errors[-1].message.startswith("Counter 77 is closed: the citizen would wait in vain.")


def test_queue_figures_tell_which_transfers_would_be_taken(vm: CounterViewModel) -> None:
    assert vm.open_counters("BANK-FEE") is None  # the welcome's figures didn't say
    assert vm.takes_transfers("BANK-FEE")
    services = {
        "DIN-ID": figures(4, 12.5, open_counters=1),
        "DIN-PASS": figures(0, 0.0, open_counters=1),
        "BANK-FEE": figures(9, 3.0, open_counters=0),
    }
    vm.on_message(QueuesNotice(services=services))
    assert (vm.open_counters("BANK-FEE"), vm.open_counters("DIN-ID")) == (0, 1)
    assert not vm.takes_transfers("BANK-FEE")
    assert vm.takes_transfers("DIN-ID")
    assert not vm.counter_takes_transfers(77)
    assert vm.counter_takes_transfers(12)
    assert not vm.counter_takes_transfers(99)


def test_return_to_a_closed_counter_is_told_as_a_return_to_the_queue(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    logged_in(vm, transport)
    vm.call_next()
    transport.answer(CounterResult(counter=counter_view(current=ticket()), ticket=ticket()))
    vm.start()
    transport.answer(
        CounterResult(counter=counter_view(current=ticket(state="serving")), ticket=ticket(state="serving"))
    )
    vm.finish()
    back = ticket(state="waiting", service="DIN-PASS", counter=None, target_counter=None)
    transport.answer(CounterResult(counter=counter_view(), ticket=back))
    assert vm.notice is not None
    assert vm.tr(vm.notice.key, **vm.notice.values) == (
        "A001 finished here; the counter it was to return to has closed,"
        " so it waits in the queue of Passport."
    )


def test_pause_and_resume(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    assert vm.toggle_pause()
    assert transport.kinds()[-1] == "pause"
    transport.answer(CounterResult(counter=counter_view(state="paused")))
    assert not vm.can(Action.CALL_NEXT)
    assert vm.can(Action.RESUME)
    assert vm.toggle_pause()
    assert transport.kinds()[-1] == "resume"


# --- calling by number or QR code; the outcome -------------------------------------


def waiting(*numbers: str, priority: Priority = Priority.NONE) -> WaitingNotice:
    return WaitingNotice(
        tickets=tuple(
            WaitingTicket(
                id=f"20260302-{n}",
                number=n,
                service="DIN-ID",
                priority=priority,
                lang="ru",
                queued_at=SERVER_NOW - timedelta(minutes=5),
            )
            for n in numbers
        )
    )


def test_a_typed_number_calls_that_waiting_ticket(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.on_message(waiting("A003", "A004", priority=Priority.DISABLED))
    assert vm.can(Action.CALL_TICKET)
    assert not vm.can_call_parked()
    assert vm.call_code("a4")
    assert transport.sent[-1][:2] == ("call_ticket", {"ticket": "20260302-A004"})
    vm.on_message(
        EventMessage(
            seq=11,
            event=TicketCalled(
                ticket="20260302-A004", number="A004", service="DIN-ID", counter=12, at=SERVER_NOW
            ),
        )
    )
    assert vm.current is not None
    assert (vm.current.priority, vm.current.lang) == (Priority.DISABLED, "ru")  # from the list
    assert vm.priority_name(vm.current.priority) == "person with a disability"
    transport.answer(
        CounterResult(counter=counter_view(current=ticket("A004", lang="ru", priority="disabled")))
    )
    assert vm.current.priority is Priority.DISABLED


def test_a_qr_code_of_this_center_calls_and_of_another_is_refused(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    logged_in(vm, transport)
    vm.on_message(waiting("A003"))
    sent = len(transport.sent)
    assert not vm.call_code("NOVBE:OTHER:20260302-A003")
    assert vm.error is not None
    assert vm.error.code == "other_center"
    assert not vm.call_code("A9")
    assert vm.error.code == "not_waiting"
    assert vm.error.message == "“A9”: no such ticket is waiting for this counter."
    assert not vm.call_code("hello")
    assert vm.error.code == "not_a_ticket"
    assert len(transport.sent) == sent  # nothing was asked of the server
    assert vm.call_code("NOVBE:baku-1:20260302-A003")
    assert transport.sent[-1][:2] == ("call_ticket", {"ticket": "20260302-A003"})


def test_a_qr_code_holding_a_page_address_sends_its_token_and_shows_the_servers_refusal(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    """The counter cannot tell which ticket a token names: the server decides, also for a
    ticket that is not in the list the counter has (the list shows the first 200)."""
    logged_in(vm, transport)
    vm.on_message(waiting("A003"))
    assert vm.call_code("https://novbe.example.az/t/k7qm-d2xw-4n5t-pa3h-zr6y-cebv-fu")
    assert transport.sent[-1][:2] == ("call_ticket", {"token": "k7qmd2xw4n5tpa3hzr6ycebvfu"})
    transport.refuse("unknown_ticket_token")
    assert vm.error is not None
    assert vm.error.code == "unknown_ticket_token"
    assert vm.error.message == "This ticket is not from today or not from this center."
    vm.set_lang("az")
    assert vm.call_code("реезыЖ..тщмиуюучфьздуюфя.е.л7йьв2чц4т5езф3ряк6нсуимаг")  # Russian layout
    assert transport.sent[-1][:2] == ("call_ticket", {"token": "k7qmd2xw4n5tpa3hzr6ycebvfu"})
    transport.refuse("unknown_ticket_token")
    assert vm.error is not None
    assert vm.error.message == "Bu talon ya bugünkü deyil, ya da bu mərkəzin deyil."


def test_finish_names_the_outcome(vm: CounterViewModel, transport: FakeTransport) -> None:
    logged_in(vm, transport)
    vm.on_message(welcome(counter_view(current=ticket("A001", state="serving"))))
    assert [o.code for o in vm.outcomes] == []  # this center lists none: F4 finishes at once
    assert vm.finish("documents_missing")
    assert transport.sent[-1][:2] == ("finish", {"outcome": "documents_missing"})


def test_a_call_answered_before_its_event_keeps_the_arrival_times(
    vm: CounterViewModel, transport: FakeTransport
) -> None:
    """The reply's ticket view has the times and the priority right; the event that follows
    says only who and when."""
    logged_in(vm, transport)
    assert vm.call_next()
    called = ticket("A001", priority="veteran", lang="en")
    transport.answer(CounterResult(counter=counter_view(current=called), ticket=called))
    assert vm.current is not None
    assert vm.current.issued_at is not None
    event = TicketCalled(
        ticket=called.id, number="A001", service="DIN-ID", counter=12, at=SERVER_NOW, lang="en"
    )
    vm.on_message(EventMessage(seq=12, event=event))
    assert vm.current.issued_at == called.issued_at
    assert vm.current.priority is Priority.VETERAN
    assert vm.waited_seconds() is not None
