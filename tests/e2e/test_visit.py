"""A citizen's whole visit through every real part.

The server is its own process; the kiosk, two counters and the hall display are the real
apps (windows offscreen), each with its own websocket connection, as on separate machines.
The kiosk prints on a pty whose far end is read and decoded as a printer would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from counter.viewmodel import Action
from display.app import DisplayApp
from display.viewmodel import RowState
from kiosk.app import KioskApp
from kiosk.viewmodel import PrintState, Screen, Timings
from tests.counter.helpers import Desk, open_desk
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import TIMEOUT, Home, ServerProcess, supervisor
from wire.client import ClientOptions
from wire.device import DeviceConfig, load_device

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

WAIT = int(TIMEOUT * 1000)
FAST = ClientOptions(backoff_min=0.05, backoff_max=0.3)
BANK_COUNTER = 77


@pytest.fixture
def kiosk(qtbot: Any, home: Home, server: ServerProcess, printer: PtyPrinter) -> Iterator[KioskApp]:
    config = load_device(home.path / "devices" / "kiosk-kiosk-1.toml").model_copy(
        update={
            "server_url": server.url,
            "fullscreen": False,
            "printer": f"serial://{printer.path}?baudrate=115200",
        }
    )
    app = KioskApp(
        config,
        size=QSize(1080, 1920),
        timings=Timings(tap_guard=0.05, ticket_tap_guard=0.3, offline_grace=0.3),
        client_options=FAST,
    )
    qtbot.addWidget(app.window)
    app.start(fullscreen=False)
    qtbot.waitUntil(lambda: app.model.can_issue, timeout=WAIT)
    yield app
    app.stop()


@pytest.fixture
def display(qtbot: Any, home: Home, server: ServerProcess, tmp_path: Path) -> Iterator[DisplayApp]:
    config: DeviceConfig = load_device(home.path / "devices" / "display-lobby.toml")
    app = DisplayApp(config, server_url=server.url, voice_dir=tmp_path / "voices")
    qtbot.addWidget(app.window)
    app.window.resize(1280, 720)
    app.window.show()
    app.start()
    qtbot.waitUntil(lambda: app.model.online, timeout=WAIT)
    yield app
    app.stop()


def tap(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.wait(80)  # a person's next tap comes after the kiosk's tap guard


def take_ticket(qtbot: Any, kiosk: KioskApp, service: str, lang: str = "az") -> str:
    """A citizen's three taps; returns the number on the kiosk's screen."""
    window = kiosk.window
    if kiosk.model.screen is not Screen.START:
        qtbot.wait(350)
        tap(qtbot, window.done_button)
    tap(qtbot, window.lang_buttons[lang])
    tap(qtbot, window.agency_tiles[service.split("-")[0]])
    qtbot.mouseClick(window.service_tiles[service], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=WAIT)
    ticket = kiosk.model.ticket
    assert ticket is not None
    return ticket.number


def rows(display: DisplayApp) -> list[str]:
    return [row.text for row in display.model.rows if row.state is not RowState.LEAVING]


def press(desk: Desk, action: Action, key: Qt.Key) -> None:
    """The operator presses the action's key, and the server's answer arrives."""
    desk.wait(lambda: desk.vm.can(action))
    desk.focus()
    desk.qtbot.keyClick(desk.window, key)
    desk.settle()


def test_whole_visit_across_every_part(
    qtbot: Any, server: ServerProcess, kiosk: KioskApp, printer: PtyPrinter, display: DisplayApp
) -> None:
    """Tap on the kiosk -> ticket bytes on the printer -> call next at the counter ->
    the display shows the row and queues the announcement -> the operator finishes."""
    number = take_ticket(qtbot, kiosk, "DIN-ID")
    assert number == "A001"
    assert kiosk.window.ticket_number.text() == "A001"
    printed = decode(printer.answerer.job_bytes())
    assert any(line.text.strip() == "A001" for line in printed.lines)
    assert len(printed.qrcodes) == 1
    assert len(printed.cuts) == 1

    with open_desk(qtbot, server, 1) as desk:
        desk.login("op1")
        press(desk, Action.CALL_NEXT, Qt.Key.Key_F1)
        assert desk.vm.current is not None
        assert desk.vm.current.number == "A001"
        qtbot.waitUntil(lambda: rows(display) == ["A001 → 1"], timeout=WAIT)
        assert display.model.blinking(display.model.rows[0])
        qtbot.waitUntil(lambda: display.announcer.queue.stats["pushed"] == 1, timeout=WAIT)

        press(desk, Action.START, Qt.Key.Key_F3)
        press(desk, Action.FINISH, Qt.Key.Key_F4)
        assert desk.vm.current is None
        assert desk.vm.figures.served == 1
        qtbot.waitUntil(lambda: display.model.rows[0].state is RowState.LEAVING, timeout=WAIT)

    # Done: the supervisor no longer sees it among the open tickets.
    assert "A001" not in [t["number"] for t in supervisor(server).seen[0]["snapshot"]["tickets"]]


def test_bank_fee_visit_comes_back_to_the_same_counter(
    qtbot: Any, server: ServerProcess, kiosk: KioskApp, display: DisplayApp
) -> None:
    """The operator sends the citizen to pay the state fee at the bank and come back; the
    bank serves them, and they return to the first counter ahead of later arrivals."""
    first = take_ticket(qtbot, kiosk, "DIN-PASS")
    later = take_ticket(qtbot, kiosk, "DIN-PASS", lang="ru")
    with open_desk(qtbot, server, 1) as desk, open_desk(qtbot, server, BANK_COUNTER) as bank:
        desk.login("op1")
        bank.login(f"op{BANK_COUNTER}")
        desk.press("call")
        desk.settle()
        desk.press("start")
        desk.settle()
        desk.vm.transfer(to_service="BANK-FEE", return_to_me=True)
        desk.settle()
        assert desk.vm.current is None

        bank.press("call")
        bank.settle()
        assert bank.vm.current is not None
        assert bank.vm.current.number == first
        qtbot.waitUntil(lambda: f"{first} → {BANK_COUNTER}" in rows(display), timeout=WAIT)
        bank.press("start")
        bank.settle()
        bank.press("finish")
        bank.settle()

        desk.press("call")
        desk.settle()
        assert desk.vm.current is not None
        assert desk.vm.current.number == first, f"{first} should come back before {later}"
        qtbot.waitUntil(lambda: f"{first} → 1" in rows(display), timeout=WAIT)


def test_server_restart_mid_day_every_app_comes_back(
    qtbot: Any, home: Home, server: ServerProcess, kiosk: KioskApp, display: DisplayApp
) -> None:
    """The server is killed in the middle of the day and started again: every app
    reconnects by itself and no ticket is lost."""
    numbers = [take_ticket(qtbot, kiosk, "DIN-ID") for _ in range(3)]
    with open_desk(qtbot, server, 2) as desk:
        desk.login("op2")
        desk.press("call")
        desk.settle()
        called = desk.vm.current.number if desk.vm.current else None
        assert called == numbers[0]

        server.kill()
        qtbot.waitUntil(lambda: not display.model.online and not desk.vm.online, timeout=WAIT)
        restarted = ServerProcess(home, port=server.port).start()
        try:
            qtbot.waitUntil(lambda: display.model.online and desk.vm.online, timeout=WAIT)
            qtbot.waitUntil(lambda: kiosk.model.can_issue, timeout=WAIT)
            # The counter still holds its citizen, as the server remembers it: no new login.
            desk.wait(lambda: desk.vm.current is not None and desk.vm.current.number == called)
            assert desk.vm.logged_in
            fourth = take_ticket(qtbot, kiosk, "DIN-ID")
            assert fourth == "A004"
            snapshot = supervisor(restarted).seen[0]["snapshot"]
            open_numbers = sorted(t["number"] for t in snapshot["tickets"])
            assert open_numbers == ["A001", "A002", "A003", "A004"]
            qtbot.waitUntil(lambda: f"{called} → 2" in rows(display), timeout=WAIT)
        finally:
            restarted.stop()
