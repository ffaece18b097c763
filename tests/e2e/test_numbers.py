"""The thousandth ticket of a prefix on a busy day, through every real part.

The day's log already holds A001 to A999 (issued and cancelled), so the next citizen of the
Ministry of Internal Affairs gets A1000: printed, shown on the kiosk, the counter, the hall
display and the counter's number board, and announced, each whole and right.
"""

from __future__ import annotations

import os
import select
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from counter.board import BoardDriver
from counter.viewmodel import Action
from display.announce import Call, call_words
from display.app import DisplayApp
from hardware.serial_frames import BoardCommand, FrameReader
from kiosk.app import KioskApp
from server.store import Commit, EventStore
from tests.counter.helpers import open_desk
from tests.e2e.helpers import WAIT, press, rows, take_ticket
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import Home, ServerProcess, make_home
from wire import events as ev

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def home(tmp_path: Any) -> Home:
    """The reference center whose log holds today's A001 to A999, all cancelled."""
    home = make_home(tmp_path / "center")
    now = datetime.now(ZoneInfo("Asia/Baku"))
    day = [ev.DayOpened(day=now.date(), at=now)]
    for n in range(1, 1000):
        ticket, number = f"{now:%Y%m%d}-A{n:03d}", f"A{n:03d}"
        day.append(ev.TicketIssued(ticket=ticket, number=number, service="DIN-PASS", agency="DIN", at=now))
        day.append(ev.TicketCancelled(ticket=ticket, number=number, at=now))
    store = EventStore(home.db_url)
    store.migrate()
    store.append([Commit(events=day)])
    store.close()
    return home


def test_ticket_a1000_is_printed_shown_announced_and_on_the_board(
    qtbot: Any, server: ServerProcess, kiosk: KioskApp, printer: PtyPrinter, display: DisplayApp
) -> None:
    number = take_ticket(qtbot, kiosk, "DIN-ID")
    assert number == "A1000"
    assert kiosk.window.ticket_number.text() == "A1000"
    printed = decode(printer.answerer.job_bytes())
    (big,) = [line for line in printed.lines if line.text.strip() == "A1000"]
    assert (big.width, big.height, big.bold) == (6, 6, True)
    assert any(line.text.strip().endswith("-A1000") for line in printed.lines)

    board, end = os.openpty()
    reports: list[tuple[str, str | None]] = []
    driver = BoardDriver(f"serial://{os.ttyname(end)}", 1, lambda *report: reports.append(report))
    try:
        with open_desk(qtbot, server, 1) as desk:
            desk.login("op1")
            driver.follow(desk.vm)
            press(desk, Action.CALL_NEXT, Qt.Key.Key_F1)
            assert desk.vm.current is not None
            assert desk.vm.current.number == "A1000"
            assert desk.window.number.text() == "A1000"
            qtbot.waitUntil(lambda: rows(display) == ["A1000 → 1"], timeout=WAIT)

            assert driver.flush()
            reader = FrameReader()
            frames = []
            while select.select([board], [], [], 0.2)[0]:
                frames += reader.feed(os.read(board, 4096))
            assert (frames[-1].command, frames[-1].text) == (BoardCommand.BLINK, "A1000")
            assert reports == [("ok", None)]

            # The hall hears "A min" and, for a ticket taken in Russian, "А тысяча", from the
            # generated voices.
            announcer = display.announcer
            qtbot.waitUntil(lambda: announcer.queue.stats["pushed"] == 1, timeout=WAIT)
            qtbot.waitUntil(lambda: len(announcer.composer.packs) == 3, timeout=60_000)
            said = announcer.composer.compose(Call("A1000", 1, lang="ru"), datetime.now().astimezone())
            assert said.words == {"az": call_words("A1000", 1, "az"), "ru": call_words("A1000", 1, "ru")}
            assert said.words["az"][:2] == ["A", "min"]
            assert said.words["ru"][:2] == ["A", "тысяча"]
            assert said.audible
    finally:
        driver.close()
        os.close(board)
        os.close(end)
