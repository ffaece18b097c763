"""A citizen's whole visit through every real part.

The server is its own process; the kiosk, two counters and the hall display are the real
apps (windows offscreen), each with its own websocket connection, as on separate machines.
The kiosk prints on a pty whose far end is read and decoded as a printer would.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from counter.viewmodel import Action
from display.app import DisplayApp
from display.viewmodel import RowState
from kiosk.app import KioskApp
from tests.counter.helpers import open_desk
from tests.e2e.helpers import WAIT, press, rows, take_ticket
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import Home, ServerProcess, supervisor

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

BANK_COUNTER = 77


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
        desk.outcome()  # Enter: served
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
        bank.finish()
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
