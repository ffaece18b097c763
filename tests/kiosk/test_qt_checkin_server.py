"""A booked citizen checks in at the real kiosk window, offscreen, against a real server
process: the booking's QR code read by a serial scanner on a pty, the code typed on the
keypad, the ticket printed on a pty printer with its slot, and the server's refusals shown."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from kiosk.app import KioskApp
from kiosk.viewmodel import PrintState, Screen, Timings
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.bookings import next_slot, now, take_bookings, write_log
from tests.server.harness import TIMEOUT, Home, ServerProcess, make_home
from wire import events as ev
from wire.client import ClientOptions
from wire.device import DeviceConfig

pytestmark = pytest.mark.slow

ON_TIME, TYPED, EARLY, GONE, CANCELLED = "48210937", "26153390", "11112222", "33334444", "55556666"
WAIT_MS = int(TIMEOUT * 1000)
FAST = Timings(tap_guard=0.05, ticket_tap_guard=0.3, offline_grace=0.5, printer_poll_failed=0.3)
SLOTS: dict[str, datetime] = {}


@pytest.fixture
def booked_home(tmp_path: Path) -> Home:
    """A center that books DIN-ID; its log holds bookings made yesterday for today."""
    home = make_home(tmp_path / "center")
    take_bookings(home)
    t = now()
    yesterday = t - timedelta(days=1)
    SLOTS.update(
        {
            ON_TIME: next_slot(t),
            TYPED: next_slot(t),
            EARLY: next_slot(t, 120),
            GONE: next_slot(t, -60),
            CANCELLED: next_slot(t),
        }
    )
    made = [
        ev.BookingMade(code=code, service="DIN-ID", slot_at=slot, at=yesterday, lang="en")
        for code, slot in SLOTS.items()
    ]
    write_log(
        home,
        [
            ev.DayOpened(day=yesterday.date(), at=yesterday),
            *made,
            ev.BookingCancelled(code=CANCELLED, at=yesterday),
            ev.DayClosed(at=yesterday),
        ],
    )
    return home


@pytest.fixture
def booked_server(booked_home: Home) -> Iterator[ServerProcess]:
    server = ServerProcess(booked_home).start()
    yield server
    server.stop()


@pytest.fixture
def scanner_end() -> Iterator[tuple[int, str]]:
    """The scanner's side of a pty pair: what is written there, the kiosk reads."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


@pytest.fixture
def kiosk(
    qtbot: Any,
    booked_home: Home,
    booked_server: ServerProcess,
    printer: PtyPrinter,
    scanner_end: tuple[int, str],
) -> Iterator[KioskApp]:
    config = DeviceConfig(
        role="kiosk",
        code="kiosk-1",
        server_url=booked_server.url,
        token=booked_home.token("kiosk", "kiosk-1"),
        lang="az",
        fullscreen=False,
        printer=f"serial://{printer.path}?baudrate=115200",
        scanner=f"serial://{scanner_end[1]}",
    )
    app = KioskApp(
        config,
        size=QSize(1080, 1920),
        timings=FAST,
        client_options=ClientOptions(backoff_min=0.1, backoff_max=0.3),
        sound=False,
    )
    qtbot.addWidget(app.window)
    app.start(fullscreen=False)
    qtbot.waitUntil(lambda: app.model.can_issue, timeout=WAIT_MS)
    assert app.scanner is not None
    qtbot.waitUntil(lambda: app.scanner is not None and app.scanner.status == "ok", timeout=WAIT_MS)
    yield app
    app.stop()


def scan(master: int, code: str) -> None:
    os.write(master, f"{code}\r\n".encode())


def tap(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.wait(80)  # past the tap guard, like a person's next tap


def printed_texts(printer: PtyPrinter) -> list[str]:
    return [line.text.strip() for line in decode(printer.answerer.job_bytes()).lines]


def test_a_scanned_booking_prints_its_ticket_with_the_slot(
    qtbot: Any, kiosk: KioskApp, printer: PtyPrinter, scanner_end: tuple[int, str]
) -> None:
    window, model = kiosk.window, kiosk.model
    tap(qtbot, window.checkin_button)
    tap(qtbot, window.lang_rows[Screen.CHECKIN]["en"])
    scan(scanner_end[0], ON_TIME)
    qtbot.waitUntil(lambda: model.screen is Screen.TICKET, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.print_state is PrintState.PRINTED, timeout=WAIT_MS)
    ticket = model.ticket
    assert ticket is not None
    assert ticket.slot_at == SLOTS[ON_TIME]
    slot = f"{SLOTS[ON_TIME]:%H:%M}"
    assert window.ticket_slot.text() == f"Booked for {slot}"
    assert window.ticket_number.text() == ticket.number
    texts = printed_texts(printer)
    assert ticket.number in texts
    assert f"Booked for {slot}" in texts  # the English line; the Azerbaijani one is drawn

    # The same code again: used, and a walk-in ticket for its service is offered.
    qtbot.waitUntil(lambda: model.screen is Screen.START, timeout=WAIT_MS * 2)
    scan(scanner_end[0], ON_TIME)
    qtbot.waitUntil(lambda: model.screen is Screen.REFUSED, timeout=WAIT_MS)
    assert window.refused_text.text() == "Bu qəbula yazılış artıq istifadə olunub: onun talonu verilib."
    assert window.walk_in_button.isVisible()
    assert window.walk_in_button.detail.text() == "Şəxsiyyət vəsiqəsinin verilməsi"
    qtbot.wait(100)  # a citizen reads the screen before tapping
    tap(qtbot, window.walk_in_button)
    assert model.notice is None, model.notice
    qtbot.waitUntil(lambda: model.screen is Screen.TICKET, timeout=WAIT_MS)
    walk_in = model.ticket
    assert walk_in is not None
    assert walk_in.slot_at is None
    assert walk_in.service == "DIN-ID"
    assert not window.ticket_slot.isVisible()


def test_a_typed_code_checks_in(qtbot: Any, kiosk: KioskApp, printer: PtyPrinter) -> None:
    window, model = kiosk.window, kiosk.model
    tap(qtbot, window.checkin_button)
    tap(qtbot, window.lang_rows[Screen.CHECKIN]["ru"])
    for digit in TYPED:
        tap(qtbot, window.pad[digit])
    assert window.code_field.text() == "2615 3390"
    tap(qtbot, window.code_ok)
    qtbot.waitUntil(lambda: model.print_state is PrintState.PRINTED, timeout=WAIT_MS)
    assert window.ticket_slot.text() == f"Запись на {SLOTS[TYPED]:%H:%M}"
    assert f"Запись на {SLOTS[TYPED]:%H:%M}" in printed_texts(printer)


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (EARLY, "Your check-in opens at {opens}. Please come back then."),
        (GONE, "You are late: check-in closed at {closed}."),
        ("99990000", "No booking has this code. Please check the 8 digits."),
        (CANCELLED, "This booking was cancelled."),
    ],
)
def test_the_servers_refusals_are_shown(
    qtbot: Any, kiosk: KioskApp, scanner_end: tuple[int, str], code: str, said: str
) -> None:
    window, model = kiosk.window, kiosk.model
    tap(qtbot, window.checkin_button)
    tap(qtbot, window.lang_rows[Screen.CHECKIN]["en"])
    scan(scanner_end[0], code)
    qtbot.waitUntil(lambda: model.screen is Screen.REFUSED, timeout=WAIT_MS)
    opens = SLOTS[EARLY] - timedelta(minutes=30)
    closed = SLOTS[GONE] + timedelta(minutes=10)
    assert window.refused_text.text() == said.format(opens=f"{opens:%H:%M}", closed=f"{closed:%H:%M}")
    # The center offers a walk-in ticket (walk_in_if_refused), for the booking's service
    # when the code names one, else from the services.
    assert window.walk_in_button.isVisible()
    assert model.refusal is not None
    assert model.refusal.service == (None if code == "99990000" else "DIN-ID")
