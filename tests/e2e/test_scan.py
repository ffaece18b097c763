"""The counter calls a citizen out of turn by the QR code printed on the ticket.

The real kiosk prints on a pty; the QR code read out of the printed bytes holds the ticket
page's address (``BASE_URL/t/TOKEN``). That address goes into the counter app as a scanner
sends it: a serial scanner on a pty, and a keyboard-wedge scanner typing into the number field
on a PC switched to the Russian layout. The counter, which does not know the center's secret,
sends the token; the server calls the ticket it names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from kiosk.app import KioskApp
from server.center.provision import DEMO_PUBLIC_URL
from tests.counter.helpers import FAST, WAIT_MS, Desk, device
from tests.e2e.helpers import take_ticket
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

RUSSIAN_KEYS = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,./:QWERTYUIOPASDFGHJKLZXCVBNM",
    "йцукенгшщзхъфывапролджэячсмитьбю.ЖЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ",
)
"""The characters a keyboard-wedge scanner's key presses give on the Russian layout."""


@pytest.fixture
def scanner_end() -> Iterator[tuple[int, str]]:
    """The scanner's side of a pty pair: what is written there, the counter reads."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_the_printed_qr_code_scanned_at_the_counter_calls_that_ticket(
    qtbot: Any,
    kiosk: KioskApp,
    printer: PtyPrinter,
    server: ServerProcess,
    scanner_end: tuple[int, str],
) -> None:
    numbers = [take_ticket(qtbot, kiosk, "DIN-ID", lang) for lang in ("az", "ru", "en")]
    printed = decode(printer.answerer.job_bytes())
    urls = [qr.data for qr in printed.qrcodes]
    assert len(urls) == 3
    assert all(url.startswith(f"{DEMO_PUBLIC_URL}/t/") for url in urls), urls

    from PySide6.QtWidgets import QWidget

    from counter.app import CounterApp

    master, path = scanner_end
    holder = QWidget()
    qtbot.addWidget(holder)
    config = device(server, 12).model_copy(update={"scanner": f"serial://{path}"})
    app = CounterApp(config, holder, lang="en", options=FAST)
    qtbot.addWidget(app.window)
    app.window.show()
    app.start()
    desk = Desk(app, qtbot)
    try:
        vm, window = desk.vm, desk.window
        desk.login("op12")
        desk.wait(lambda: [t.number for t in vm.waiting] == numbers)
        qtbot.waitUntil(lambda: app.scanner is not None and app.scanner.status == "ok", timeout=WAIT_MS)

        # The serial scanner reads the second citizen's ticket: out of turn, that one is called.
        os.write(master, f"{urls[1]}\r\n".encode())
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert vm.current is not None
        assert vm.current.number == numbers[1]
        assert vm.current.lang == "ru"
        assert window.number.text() == numbers[1]
        desk.press("start")
        desk.settle()
        desk.finish()

        # A wedge scanner types the third's address on the Russian layout.
        typed = urls[2].translate(RUSSIAN_KEYS)
        assert typed.startswith("реезЖ.."), typed
        assert "/" not in typed
        window.code.setText(typed)
        qtbot.keyClick(window.code, Qt.Key.Key_Return)
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert vm.current is not None
        assert vm.current.number == numbers[2]
        desk.press("start")
        desk.settle()
        desk.finish()

        # A ticket of another center (its own secret, so a token nobody here issued).
        site, _, token = urls[0].rpartition("/")
        other = f"{site}/{token[::-1]}"
        window.code.setText(other)
        qtbot.keyClick(window.code, Qt.Key.Key_Return)
        desk.wait(lambda: vm.error is not None and vm.pending is None)
        assert window.message.text() == "This ticket is not from today or not from this center."
        assert vm.current is None
        desk.wait(lambda: [t.number for t in vm.waiting] == [numbers[0]])  # nobody else called
    finally:
        app.stop()
