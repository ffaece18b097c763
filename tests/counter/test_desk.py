"""The operator's window against a real server: the citizen's priority right and language,
who waits, calling one of them by number or QR code (typed, keyboard wedge, serial
scanner), the outcome of the visit, and the layout at the smallest and largest screens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from tests.counter.helpers import FAST, WAIT_MS, Desk, device, open_desk
from tests.server.harness import ServerProcess, kiosk, supervisor


def take(server: ServerProcess, *tickets: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Tickets taken at a kiosk: (service, language, priority right) each."""
    k = kiosk(server)
    try:
        return [
            k.request("issue", service=service, lang=lang, priority=priority)["result"]["ticket"]
            for service, lang, priority in tickets
        ]
    finally:
        k.close()


def listed(desk: Desk) -> list[str]:
    return [t.number for t in desk.vm.waiting]


def test_called_ticket_shows_the_citizens_priority_right_and_language(
    qtbot: QtBot, server: ServerProcess
) -> None:
    """The kiosk told the citizen to show their document: the operator sees which right, and
    which language to speak."""
    take(server, ("DIN-ID", "ru", "elderly"), ("DIN-ID", "az", "none"))
    with open_desk(qtbot, server, 12, lang="az") as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert w.number.text() == "A001"
        assert w.priority.isVisible()
        assert w.priority.text() == "Güzəşt: yaşlı vətəndaş"
        assert w.citizen_lang.text() == "Vətəndaşın dili: rus dili"
        w.lang_buttons["en"].click()  # the login page's buttons set the language
        desk.wait(lambda: w.priority.text() == "Priority: senior citizen")
        assert w.citizen_lang.text() == "Citizen's language: Russian"

        desk.press("start")
        desk.settle()
        desk.finish()
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.current.number == "A002" and vm.pending is None)
        assert not w.priority.isVisible()
        assert w.citizen_lang.text() == "Citizen's language: Azerbaijani"


def test_who_waits_is_live_and_a_typed_number_calls_out_of_turn(qtbot: QtBot, server: ServerProcess) -> None:
    """The list follows the kiosk; "a3" + Enter calls A003; a number nobody holds says so."""
    take(server, ("DIN-ID", "az", "none"), ("DIN-PASS", "en", "none"), ("DIN-ID", "ru", "none"))
    with open_desk(qtbot, server, 12) as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.wait(lambda: listed(desk) == ["A001", "A002", "A003"])
        assert w.waiting_title.text() == "Waiting for this counter: 3"
        take(server, ("DIN-DRV", "az", "pregnant"))
        desk.wait(lambda: listed(desk) == ["A004", "A001", "A002", "A003"])  # priority first
        assert w._waiting_items[0][3].text() == "priority · AZ"
        assert w.code.hasFocus() or not w.isActiveWindow()

        w.code.setText("A999")
        qtbot.keyClick(w.code, Qt.Key.Key_Return)
        assert vm.error is not None
        assert w.message.text() == "“A999”: no such ticket is waiting for this counter."
        assert w.code.selectedText() == "A999"  # the next scan replaces it

        w.code.setText("a3")
        qtbot.keyClick(w.code, Qt.Key.Key_Return)
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert vm.current is not None
        assert vm.current.number == "A003"
        assert vm.current.lang == "ru"
        assert w.code.text() == ""
        desk.wait(lambda: listed(desk) == ["A004", "A001", "A002"])


def test_a_qr_code_typed_by_a_wedge_scanner_on_a_russian_keyboard_calls_the_ticket(
    qtbot: QtBot, server: ServerProcess
) -> None:
    """The scanner types the QR code's keys: on the Russian layout they come as Cyrillic."""
    first, second = take(server, ("DIN-ID", "az", "none"), ("DIN-ID", "az", "none"))
    russian = str.maketrans("NOVBEAKU:", "ТЩМИУФЛГЖ")
    with open_desk(qtbot, server, 12) as desk:
        vm = desk.vm
        desk.login("op12")
        desk.wait(lambda: len(vm.waiting) == 2)
        code = f"NOVBE:BAKU1:{second['id']}".translate(russian)
        assert code.startswith("ТЩМИУЖИФЛГ1Ж")
        desk.window.code.setText(code)
        qtbot.keyClick(desk.window.code, Qt.Key.Key_Return)
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert vm.current is not None
        assert vm.current.id == second["id"] != first["id"]

        desk.press("start")
        desk.settle()
        desk.finish()
        desk.window.code.setText(f"NOVBE:OTHER:{first['id']}")
        qtbot.keyClick(desk.window.code, Qt.Key.Key_Return)
        assert desk.window.message.text() == (
            f"“NOVBE:OTHER:{first['id']}”: this ticket is from another center."
        )


@pytest.fixture
def scanner_end() -> Iterator[tuple[int, str]]:
    """The scanner's side of a pty pair: what is written there, the counter reads."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_a_serial_scanner_calls_the_ticket_whose_qr_code_it_reads(
    qtbot: QtBot, server: ServerProcess, scanner_end: tuple[int, str]
) -> None:
    """The device file names the scanner; each line it sends is a code, as if typed."""
    from PySide6.QtWidgets import QWidget

    from counter.app import CounterApp

    master, path = scanner_end
    (ticket,) = take(server, ("DIN-ID", "en", "veteran"))
    holder = QWidget()
    qtbot.addWidget(holder)
    app = CounterApp(
        device(server, 12).model_copy(update={"scanner": f"serial://{path}"}), holder, options=FAST
    )
    qtbot.addWidget(app.window)
    app.start()
    try:
        vm = app.model
        qtbot.waitUntil(lambda: vm.online, timeout=WAIT_MS)
        vm.login("op12", "novbe-demo")
        qtbot.waitUntil(lambda: vm.logged_in and len(vm.waiting) == 1, timeout=WAIT_MS)
        assert app.scanner is not None
        qtbot.waitUntil(lambda: app.scanner is not None and app.scanner.status == "ok", timeout=WAIT_MS)
        os.write(master, f"NOVBE:BAKU1:{ticket['id']}\r\n".encode())
        qtbot.waitUntil(lambda: vm.current is not None, timeout=WAIT_MS)
        assert vm.current is not None
        assert vm.current.number == ticket["number"]
        assert vm.scanner_status == "ok"
    finally:
        app.stop()


def test_the_outcome_chosen_is_kept_on_the_finish(qtbot: QtBot, server: ServerProcess) -> None:
    """F4 asks how the visit ended; Escape finishes nothing; the digit key chooses."""
    take(server, ("DIN-ID", "az", "none"))
    boss = supervisor(server)
    with open_desk(qtbot, server, 12) as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.press("call")
        desk.settle()
        desk.press("start")
        desk.settle()
        desk.press("finish")
        dialog = w.outcome_dialog
        assert dialog is not None
        assert [b.text() for b in dialog.choices] == [
            "1   Served",
            "2   Documents missing",
            "3   Redirected elsewhere",
            "4   Other",
        ]
        assert dialog.choices[0].isDefault()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        desk.wait(lambda: not dialog.isVisible())
        assert vm.current is not None
        assert vm.pending is None

        desk.press("finish")
        dialog = w.outcome_dialog
        qtbot.keyClick(dialog, Qt.Key.Key_2)
        desk.wait(lambda: vm.current is None and vm.pending is None)
    finished = boss.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketFinished")
    assert finished["event"]["outcome"] == "documents_missing"


@pytest.mark.parametrize(("size", "lang"), [((1024, 768), "az"), ((1920, 1080), "ru")])
def test_the_layout_fits_the_smallest_and_largest_screens(
    qtbot: QtBot, server: ServerProcess, size: tuple[int, int], lang: str
) -> None:
    """Every service name whole (wrapped, never cut), the two timers apart, and the text
    larger on the large screen."""
    from counter.qt_counter import NUMBER_PX

    take(server, *[("DIN-ID", "az", "none")] * 3, ("DIN-VEH", "ru", "elderly"))
    with open_desk(qtbot, server, 12, lang=lang) as desk:
        w, vm = desk.window, desk.vm
        w.resize(*size)
        desk.login("op12")
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.pending is None and len(vm.waiting) == 3)
        qtbot.wait(50)
        assert (w.width(), w.height()) == size
        assert w.number.font().pixelSize() == round(NUMBER_PX * (0.8 if size[0] == 1024 else 1.35))
        for table, items, column in (
            (w.queue_table, w._queue_items, 0),
            (w.waiting_table, w._waiting_items, 1),
        ):
            width = table.columnWidth(column)
            for row, cells in enumerate(items):
                text = cells[column].text()
                need = QFontMetrics(table.font()).boundingRect(
                    QRect(0, 0, width - 8, 10_000), Qt.TextFlag.TextWordWrap, text
                )
                assert need.height() <= table.rowHeight(row), f"{text!r} is cut at {size}"
            assert table.viewport().height() > 0
        rows = sum(w.queue_table.rowHeight(r) for r in range(w.queue_table.rowCount()))
        assert rows <= w.queue_table.viewport().height(), "every service of the counter is shown"
        waited, serving = w.waited.geometry(), w.serving.geometry()
        assert w.waited.text()
        assert w.serving.text()
        assert not waited.intersects(serving)
        fits = QFontMetrics(w.serving.font()).horizontalAdvance(w.serving.text())
        assert fits <= serving.width()
        assert w.priority.isVisible()
        assert QFontMetrics(w.priority.font()).horizontalAdvance(w.priority.text()) <= w.priority.width()
