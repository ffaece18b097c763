"""The supervisor's desk without a screen, against a real server: the login, the hall, the
queues and their alerts, every action through the wire, today's figures, a reconnection."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import get_args

import pytest

from supervisor.viewmodel import Alert, AlertKind, Look, SupervisorViewModel
from tests.server.harness import TIMEOUT, Home, ServerProcess, counter, kiosk
from wire import events as ev
from wire.client import ConnState
from wire.protocol import ROLE_REQUESTS, HealthStatus, ReportHealth, Role
from wire.types import CounterState, Priority, TicketState

from .helpers import desk_on, logged, with_standard

pytestmark = pytest.mark.slow


def test_supervisor_signs_in_and_sees_the_hall(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        assert not vm.signed_in
        desk.sign_in()
        assert vm.signed_in
        assert vm.login == "supervisor"
        # The hall as the center file lays it out: three floors, 81 counters.
        layout = vm.layout()
        assert [zone for zone, _ in layout] == ["floor-1", "floor-2", "floor-3"]
        assert sum(len(ns) for _, agencies in layout for _, ns in agencies) == 81
        assert ("DIN", list(range(1, 19))) in layout[0][1]
        assert vm.tile(1).look is Look.CLOSED
        assert vm.standard_min == 15.0
        # An operator logs in at counter 1 and calls a citizen: the tile follows.
        desk_1 = counter(server, 1)
        desk.until(lambda: vm.tile(1).look is Look.IDLE)
        assert vm.tile(1).operator == "op1"
        kiosk(server).request("issue", service="DIN-ID")
        desk_1.request("call_next")
        desk.until(lambda: vm.tile(1).look is Look.CALLING)
        assert vm.tile(1).ticket == "A001"
        desk_1.request("start")
        desk.until(lambda: vm.tile(1).look is Look.SERVING)
        desk_1.request("pause")  # refused: it holds a ticket
        desk_1.request("finish")
        desk_1.request("pause")
        desk.until(lambda: vm.tile(1).look is Look.PAUSED)
        (on_break,) = vm.breaks()
        assert (on_break.counter, on_break.operator) == (1, "op1")
        assert vm.seconds_since(on_break.since) is not None


def test_a_wrong_password_is_told_and_the_right_one_works(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        vm.sign_in("supervisor", "not-the-password")
        desk.until(lambda: vm.login_error is not None)
        assert vm.login_error == "Wrong login or password."
        assert vm.connection is ConnState.REFUSED
        assert not vm.signed_in
        desk.sign_in()
        assert vm.login_error is None
        assert vm.signed_in


def test_an_operator_who_is_no_supervisor_is_refused(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        desk.vm.sign_in("op1", "novbe-demo")
        desk.until(lambda: desk.vm.login_error is not None)
        assert not desk.vm.signed_in


def test_desk_reconnects_without_a_second_login(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        desk.sign_in()
        server.kill()
        desk.until(lambda: vm.offline)
        assert vm.offline_since is not None
        restarted = ServerProcess(home, port=server.port).start()
        try:
            desk.until(lambda: vm.online, timeout=3 * TIMEOUT)
            assert not vm.offline
            assert vm.login_error is None
            # The same desk, signed in as before, acts at once.
            assert vm.open_counter(80)
            desk.until(lambda: vm.tile(80).state is CounterState.OPEN)
        finally:
            restarted.stop()


def test_every_action_goes_through_the_wire_and_into_the_log(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        desk.sign_in()
        said: list[str] = []
        vm.done.connect(said.append)
        vm.failed.connect(said.append)

        def answered(action: bool) -> str:
            assert action
            count = len(said)
            desk.until(lambda: len(said) > count)
            return said[-1]

        assert answered(vm.open_counter(5)) == "Counter 5 is open."
        desk.until(lambda: vm.tile(5).state is CounterState.OPEN)
        assert answered(vm.pause_counter(5)) == "Counter 5 is paused."
        desk.until(lambda: vm.tile(5).look is Look.PAUSED)
        assert answered(vm.resume_counter(5)) == "Counter 5 is working again."
        assert answered(vm.open_counter(5)) == "It was so already: nothing changed."
        assert answered(vm.set_counter_services(5, ["DIN-PASS", "BANK-FEE"])) == (
            "Counter 5 now serves: DIN-PASS, BANK-FEE."
        )
        desk.until(lambda: vm.services_of(5) == ("DIN-PASS", "BANK-FEE"))
        assert vm.counter_states("BANK-FEE") == (1, 0, 4)

        booth = kiosk(server)
        first = booth.request("issue", service="DIN-ID")["result"]["ticket"]["id"]
        second = booth.request("issue", service="DIN-ID")["result"]["ticket"]["id"]
        desk.until(lambda: len(vm.waiting_tickets("DIN-ID")) == 2)
        assert answered(vm.move_ticket(second, "BANK-FEE")) == "Ticket A002 now waits for BANK-FEE."
        desk.until(lambda: vm.tickets[second].service == "BANK-FEE")
        assert answered(vm.cancel_ticket(first)) == "Ticket A001 is cancelled."
        desk.until(lambda: vm.tickets[first].state is TicketState.CANCELLED)
        # A refusal is told in the desk's words: a move only where someone will call.
        assert answered(vm.move_ticket(second, "MAI-ARCH")).startswith("No open counter")

        text = {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}
        assert answered(vm.set_message(text)) == "The displays show the new message."
        desk.until(lambda: vm.message == text)
        assert (
            answered(vm.set_message({"az": " ", "ru": "", "en": ""})) == "The displays' message is removed."
        )
        desk.until(lambda: vm.message is None)
        assert answered(vm.close_counter(5)) == "Counter 5 is closed."
        assert answered(vm.close_day()) == "The service day is closed."
        desk.until(lambda: not vm.day_open)
        assert answered(vm.open_day()).startswith("This action is not possible")  # same day again

    # Every who-did-what is in the log, with the supervisor's login.
    by_desk = [e for e in logged(home) if getattr(e, "by", None) == "supervisor"]
    kinds = [type(e) for e in by_desk]
    assert kinds == [
        ev.CounterOpened,
        ev.CounterPaused,
        ev.CounterResumed,
        ev.CounterServicesSet,
        ev.TicketMoved,
        ev.TicketCancelled,
        ev.HallMessageSet,
        ev.HallMessageSet,
        ev.CounterClosed,
        ev.DayClosed,
    ]


def test_queues_are_sorted_by_urgency_and_stranded_citizens_raise_an_alert(
    home: Home, server: ServerProcess
) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        desk.sign_in()
        raised: list[AlertKind] = []
        vm.alert_raised.connect(lambda alert: raised.append(alert.kind))
        booth = kiosk(server)
        counter(server, 1)
        for _ in range(3):
            booth.request("issue", service="DIN-ID")
        # No counter of the archive is open: this citizen would wait in vain.
        booth.request("issue", service="MAI-ARCH")
        desk.until(lambda: any(r.service == "MAI-ARCH" and r.stranded == 1 for r in vm.queue_rows()))
        rows = vm.queue_rows()
        assert rows[0].service == "MAI-ARCH"
        din = next(r for r in rows if r.service == "DIN-ID")
        assert (din.waiting, din.open, din.total) == (3, 1, 18)
        desk.until(lambda: AlertKind.STRANDED in raised)
        alert = next(a for a in vm.alerts if a.kind is AlertKind.STRANDED)
        assert (
            vm.alert_text(alert)
            == "1 waiting for MAI-ARCH (Archive certificate) whom no open counter would call"
        )
        # Opening a counter of the archive ends it (two minutes later on the server), and the
        # supervisor acknowledges it meanwhile.
        assert vm.unacknowledged >= 1
        vm.acknowledge(alert.id)
        assert alert.acknowledged
        assert vm.unacknowledged == len([a for a in vm.alerts if not a.acknowledged])


def test_a_queue_heading_over_the_standard_is_forecast(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        desk.sign_in()
        booth = kiosk(server)
        counter(server, 19)  # one counter of the notary's office (EDL-CONT: 25 min each)
        desk_pause = counter(server, 20)
        desk_pause.request("pause")
        for _ in range(2):
            booth.request("issue", service="EDL-CONT")
        desk.until(lambda: any(a.kind is AlertKind.FORECAST for a in vm.alerts))
        alert = next(a for a in vm.alerts if a.kind is AlertKind.FORECAST)
        assert alert.subject == "EDL-CONT"
        text = vm.alert_text(alert)
        assert text.startswith("At this rate EDL-CONT passes 15 min in about ")
        assert text.endswith("; 1 of its 17 counters are paused")


def test_a_wait_over_the_standard_raises_an_alert(home: Home) -> None:
    with_standard(home, 0.05)  # three seconds, for the test
    server = ServerProcess(home).start()
    try:
        with desk_on(home, server) as desk:
            vm = desk.vm
            desk.sign_in()
            assert vm.standard_min == 0.05
            counter(server, 57)
            kiosk(server).request("issue", service="DSMF-PENS")
            desk.until(lambda: any(a.kind is AlertKind.OVER_STANDARD for a in vm.alerts))
            (row,) = [r for r in vm.queue_rows() if r.service == "DSMF-PENS"]
            assert vm.queues["DSMF-PENS"].breach_in_min == 0, "the figures come before their alert"
            assert row.over
            assert row.breach_in_min == 0
    finally:
        server.stop()


def test_todays_figures_come_from_the_reports_code(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server) as desk:
        vm = desk.vm
        desk.sign_in()
        desk.until(lambda: vm.figures is not None)
        desk_1 = counter(server, 1)
        booth = kiosk(server)
        for _ in range(2):
            booth.request("issue", service="DIN-ID")
        desk_1.request("call_next")
        desk_1.request("start")
        desk_1.request("finish")
        desk_1.request("call_next")
        desk_1.request("no_show")
        vm.ask_figures()
        desk.until(
            lambda: vm.figures is not None and vm.figures.center is not None and vm.figures.center.served == 1
        )
        figures = vm.figures
        assert figures is not None
        assert figures.center is not None
        assert (figures.center.served, figures.center.no_shows, figures.center.waited) == (1, 1, 2)
        assert figures.center.within_share == 1.0
        (din,) = [r for r in figures.agencies if r.key == "DIN"]
        assert din.served == 1
        (op1,) = [r for r in figures.operators if r.key == "op1"]
        assert (op1.served, op1.no_shows) == (1, 1)
        assert [r.key for r in vm.figure_rows("agency")][:2] == ["", "DIN"]


def test_the_desk_speaks_three_languages(home: Home, server: ServerProcess) -> None:
    with desk_on(home, server, lang="az") as desk:
        vm = desk.vm
        vm.sign_in("supervisor", "wrong")
        desk.until(lambda: vm.login_error is not None)
        assert vm.login_error == "İstifadəçi adı və ya şifrə səhvdir."
        desk.sign_in()
        assert vm.center_name() == "ASAN xidmət mərkəzi (Bakı, №1)" or vm.center_name()
        vm.set_lang("ru")
        assert vm.tr("done.open_counter", counter=3) == "Окно 3 открыто."
        assert vm.zone_name("floor-1") == "1-й этаж"


SERVER_PARTS = {
    "store": ("read_only", "failing", "stalled", "recovering"),
    "passwords": ("guessing",),
    "connections": ("full",),
}
"""The server's own parts, reported as devices ``server/<part>``, and their statuses other
than ``ok`` (docs/protocol.md, "report_health")."""


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_every_device_alert_is_said_in_words(lang: str) -> None:
    """Whatever a device or the server itself reports, the desk says it in words, never a
    catalog key: every role that reports, every component and status of the protocol, and
    the server's parts (an unwritable database: "Server: database — cannot be written")."""
    model = SupervisorViewModel(lang=lang)
    components = get_args(ReportHealth.model_fields["component"].annotation)
    subjects = [
        (f"{role}:7/{component}", status)
        for role in Role
        if "report_health" in ROLE_REQUESTS[role] or role is Role.SUPERVISOR
        for component in components
        for status in get_args(HealthStatus)
    ]
    subjects += [(f"server/{part}", status) for part, statuses in SERVER_PARTS.items() for status in statuses]
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for subject, status in subjects:
        text = model.alert_text(Alert(1, AlertKind.DEVICE, subject, at, status, "why"))
        assert not re.search(r"\b(role|component|status)\.[a-z_]", text), (subject, status, text)
        assert text.endswith(" (why)"), text
    store = Alert(1, AlertKind.DEVICE, "server/store", at, "read_only", "cannot write /srv/novbe.db")
    assert (
        model.alert_text(store)
        == {
            "az": "Server: məlumat bazası — yazmaq olmur (cannot write /srv/novbe.db)",
            "ru": "Сервер: база данных — запись невозможна (cannot write /srv/novbe.db)",
            "en": "Server: database — cannot be written (cannot write /srv/novbe.db)",
        }[lang]
    )


def test_the_queues_count_the_booked_citizens_waiting(home: Home) -> None:
    """A checked-in booking is told as booked in its service's row, live and in a snapshot."""
    from datetime import timedelta

    from tests.server.bookings import next_slot, now, take_bookings, write_log

    take_bookings(home)
    t = now()
    write_log(
        home,
        [
            ev.BookingMade(code=code, service="DIN-ID", slot_at=next_slot(t), at=t - timedelta(days=1))
            for code in ("10000001", "10000002")
        ],
    )
    server = ServerProcess(home).start()
    try:
        with desk_on(home, server) as desk:
            vm = desk.vm
            desk.sign_in()
            booth = kiosk(server)
            counter(server, 1)
            assert booth.request("check_in", code="10000001")["type"] == "reply"
            booth.request("issue", service="DIN-ID")
            desk.until(lambda: any(r.service == "DIN-ID" and r.waiting == 2 for r in vm.queue_rows()))
            (din,) = [r for r in vm.queue_rows() if r.service == "DIN-ID"]
            assert din.booked == 1
            (ticket,) = [t for t in vm.tickets.values() if t.appointment == "10000001"]
            assert ticket.slot_at == next_slot(t)
            # The waiting list marks the booked citizen with the slot, beside any priority.
            slot = f"{next_slot(t):%H:%M}"
            marks = {"az": f"Qəbul vaxtı: {slot}", "ru": f"Запись на {slot}", "en": f"Booked {slot}"}
            veteran = {"az": "müharibə veteranı", "ru": "ветеран войны", "en": "war veteran"}
            walk_in = next(w for w in vm.waiting_tickets("DIN-ID") if w.slot_at is None)
            for lang in ("az", "ru", "en"):
                vm.set_lang(lang)
                assert vm.marks_text(ticket) == marks[lang]
                assert vm.marks_text(ticket.model_copy(update={"priority": Priority.VETERAN})) == (
                    f"{veteran[lang]} · {marks[lang]}"
                )
                assert vm.marks_text(walk_in) == "—"
        assert kiosk(server).request("check_in", code="10000002")["type"] == "reply"
        with desk_on(home, server) as late:
            late.sign_in()
            late.until(lambda: any(r.service == "DIN-ID" and r.booked == 2 for r in late.vm.queue_rows()))
    finally:
        server.stop()
