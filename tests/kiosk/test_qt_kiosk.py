"""The real kiosk window, offscreen, against a real server process and a printer on a pty:
the whole flow, a printer out of paper, and a server restart."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from kiosk.app import KioskApp
from kiosk.viewmodel import PrintState, Screen, Timings
from tests.hardware.conftest import PAPER_OUT, READY, PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import TIMEOUT, Home, ServerProcess, supervisor
from wire.client import ClientOptions
from wire.device import DeviceConfig

pytestmark = pytest.mark.slow

FAST = Timings(tap_guard=0.05, ticket_tap_guard=0.3, offline_grace=0.5, printer_poll_failed=0.3)


@pytest.fixture
def kiosk(qtbot: Any, home: Home, server: ServerProcess, printer: PtyPrinter) -> Iterator[KioskApp]:
    config = DeviceConfig(
        role="kiosk",
        code="kiosk-1",
        server_url=server.url,
        token=home.token("kiosk", "kiosk-1"),
        lang="az",
        fullscreen=False,
        printer=f"serial://{printer.path}?baudrate=115200",
    )
    app = KioskApp(
        config,
        size=QSize(1080, 1920),
        timings=FAST,
        client_options=ClientOptions(backoff_min=0.1, backoff_max=0.3),
    )
    qtbot.addWidget(app.window)
    app.start(fullscreen=False)
    qtbot.waitUntil(lambda: app.model.can_issue, timeout=int(TIMEOUT * 1000))
    yield app
    app.stop()


def tap(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.wait(80)  # past the tap guard, like a person's next tap


def take_ticket(
    qtbot: Any, app: KioskApp, lang: str = "en", agency: str = "DIN", service: str = "DIN-ID"
) -> None:
    window = app.window
    tap(qtbot, window.lang_buttons[lang])
    assert app.model.screen is Screen.AGENCIES
    tap(qtbot, window.agency_tiles[agency])
    assert app.model.screen is Screen.SERVICES
    qtbot.mouseClick(window.service_tiles[service], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.model.screen is Screen.TICKET, timeout=int(TIMEOUT * 1000))


def job(printer: PtyPrinter) -> Any:
    return decode(printer.answerer.job_bytes())


def test_whole_flow_prints_and_shows_the_ticket(qtbot: Any, kiosk: KioskApp, printer: PtyPrinter) -> None:
    window = kiosk.window
    assert window.stack.currentWidget() is window.pages[Screen.START]
    take_ticket(qtbot, kiosk, "ru")
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
    ticket = kiosk.model.ticket
    assert ticket is not None
    assert ticket.number == "A001"
    assert window.stack.currentWidget() is window.pages[Screen.TICKET]
    assert window.ticket_number.text() == "A001"
    assert window.ticket_zone.text() == "Подойдите: 1-й этаж"
    assert window.ticket_service.text() == "Выдача удостоверения личности"
    assert window.ticket_qr.pixmap() is not None
    assert not window.ticket_qr.pixmap().isNull()
    printed = job(printer)
    assert any(line.text.strip() == "A001" for line in printed.lines)
    assert [qr.data for qr in printed.qrcodes] == [ticket.qr_data]
    # The paper promises the wait in the screen's words.
    assert window.ticket_wait.text() in [line.text.strip() for line in printed.lines]
    assert len(printed.cuts) == 1
    # A tap on the ticket takes the next citizen back to the start.
    qtbot.wait(350)
    tap(qtbot, window.done_button)
    assert kiosk.model.screen is Screen.START


def test_impatient_taps_give_one_ticket(qtbot: Any, kiosk: KioskApp, printer: PtyPrinter) -> None:
    window = kiosk.window
    tap(qtbot, window.lang_buttons["az"])
    tap(qtbot, window.agency_tiles["EDL"])
    tile = window.service_tiles["EDL-POA"]
    for _ in range(4):
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
    qtbot.wait(300)
    assert kiosk.model.ticket is not None
    assert kiosk.model.ticket.number == "B001"
    assert len(job(printer).cuts) == 1
    # The server agrees: one ticket waits for that service.
    assert kiosk.model.availability("EDL-POA").waiting in (0, 1)
    qtbot.waitUntil(lambda: kiosk.model.availability("EDL-POA").waiting == 1, timeout=3000)


def test_printer_out_of_paper(
    qtbot: Any, kiosk: KioskApp, server: ServerProcess, printer: PtyPrinter
) -> None:
    boss = supervisor(server)
    printer.answers = PAPER_OUT
    take_ticket(qtbot, kiosk, "az")
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.FAILED, timeout=5000)
    window = kiosk.window
    # The citizen still has the number, large, with its QR code.
    assert window.ticket_number.text() == "A001"
    assert not window.ticket_qr.pixmap().isNull()
    assert "şəklini çəkin" in window.ticket_print.text()
    assert job(printer).cuts == []
    # The supervisor is told which kiosk and what.
    alert = boss.recv_until(lambda m: m.get("type") == "alert" and m["device"].endswith("/printer"))
    assert alert["device"] == "kiosk:kiosk-1/printer"
    assert alert["status"]["status"] == "paper_out"
    # Back at the start the kiosk says it can't print.
    qtbot.wait(350)
    tap(qtbot, window.done_button)
    assert kiosk.model.screen is Screen.START
    assert window.banner.isVisible()
    assert "Bu kiosk hazırda çap edə bilmir" in window.banner.text()
    # Paper loaded: the kiosk notices by itself and prints again.
    printer.answers = READY
    qtbot.waitUntil(lambda: kiosk.model.printer_ok, timeout=5000)
    fixed = boss.recv_until(
        lambda m: (
            m.get("type") == "device_status"
            and m["device"].endswith("/printer")
            and m["status"]["status"] == "ok"
        ),
        timeout=5,
    )
    assert fixed["device"] == "kiosk:kiosk-1/printer"
    assert not window.banner.isVisible()
    take_ticket(qtbot, kiosk, "en", "DIN", "DIN-PASS")
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
    assert any(line.text.strip() == "A002" for line in job(printer).lines)
    boss.close()


def test_server_restart(
    qtbot: Any, kiosk: KioskApp, home: Home, server: ServerProcess, printer: PtyPrinter
) -> None:
    window = kiosk.window
    take_ticket(qtbot, kiosk, "en")
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
    qtbot.wait(350)
    tap(qtbot, window.done_button)
    server.kill()
    qtbot.waitUntil(lambda: kiosk.model.offline_shown, timeout=5000)
    assert window.stack.currentWidget() is window.pages["offline"]
    # Nothing can be issued: the language buttons are behind the offline page, and a
    # tap that reaches the model anyway is refused.
    kiosk.model.choose_language("en")
    assert kiosk.model.screen is Screen.START
    restarted = ServerProcess(home, port=server.port).start()
    try:
        qtbot.waitUntil(lambda: kiosk.model.can_issue, timeout=int(TIMEOUT * 1000))
        assert not kiosk.model.offline_shown
        assert window.stack.currentWidget() is window.pages[Screen.START]
        take_ticket(qtbot, kiosk, "en", "DIN", "DIN-PASS")
        qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
        assert kiosk.model.ticket is not None
        assert kiosk.model.ticket.number == "A002"
        assert any(line.text.strip() == "A002" for line in job(printer).lines)
    finally:
        restarted.stop()


def printer_seen(qtbot: Any, boss: Any, after: datetime | None = None) -> datetime:
    """When the supervisor's server last heard of kiosk-1's printer, once that is later than
    ``after`` (the kiosk runs meanwhile)."""
    name = "kiosk:kiosk-1/printer"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        boss.send({"type": "sync", "id": "seen"})
        welcome = boss.recv_until(lambda m: m.get("type") == "welcome" and m.get("id") == "seen")
        seen = welcome["snapshot"]["devices"].get(name)
        if seen is not None and (after is None or datetime.fromisoformat(seen["at"]) > after):
            return datetime.fromisoformat(seen["at"])
        qtbot.wait(100)
    raise AssertionError(f"the server has heard nothing new of {name} since {after}")


def test_a_restarted_server_hears_how_the_printer_is(
    qtbot: Any, kiosk: KioskApp, home: Home, server: ServerProcess
) -> None:
    """The printer's state is reported again after every reconnection, even unchanged."""
    boss = supervisor(server)
    before = printer_seen(qtbot, boss)
    boss.close()
    server.kill()
    qtbot.waitUntil(lambda: not kiosk.model.online, timeout=5000)
    restarted = ServerProcess(home, port=server.port).start()
    try:
        qtbot.waitUntil(lambda: kiosk.model.can_issue, timeout=int(TIMEOUT * 1000))
        boss = supervisor(restarted)
        printer_seen(qtbot, boss, after=before)
        boss.close()
    finally:
        restarted.stop()


@pytest.mark.parametrize("size", [QSize(1080, 1920), QSize(1920, 1080)])
def test_a_long_number_is_set_smaller_to_fit_the_screen(qtbot: Any, size: QSize) -> None:
    """Past 999 a number grows (DN10234): it shrinks to the width instead of being cut."""
    from PySide6.QtGui import QFontMetricsF

    from kiosk.qt_kiosk import KioskWindow
    from novbe.screenshots.kiosk import staged_model

    model = staged_model("ticket", "ru")
    window = KioskWindow(model, size=size)
    qtbot.addWidget(window)
    window.show()
    label = window.ticket_number
    assert label.text() == "A015"
    assert label.font().pixelSize() == window.metrics.number
    assert model.ticket is not None
    model.ticket = dataclasses.replace(model.ticket, number="DN10234")
    model.changed.emit()
    qtbot.waitUntil(lambda: label.text() == "DN10234")
    assert label.font().pixelSize() < window.metrics.number
    assert QFontMetricsF(label.font()).horizontalAdvance("DN10234") <= label.contentsRect().width()


def test_accessible_mode_guides_by_voice_to_a_ticket(
    qtbot: Any, kiosk: KioskApp, printer: PtyPrinter
) -> None:
    """A citizen who cannot see the screen: the mode switched on from the start, each screen
    and button heard (espeak-ng, rendered to WAV and measured), each choice a double tap."""
    import io
    import wave

    import numpy as np

    speaker = kiosk.speaker
    assert speaker is not None, "espeak-ng is installed by make system-deps"
    heard: list[tuple[bytes, list[Any]]] = []
    speaker.spoken.connect(lambda path, parts: heard.append((path.read_bytes(), parts)))
    window = kiosk.window
    qtbot.wait(350)
    tap(qtbot, window.assist_button)
    qtbot.waitUntil(lambda: kiosk.model.speech and len(heard) == 1, timeout=5000)

    def double_tap(widget: Any) -> None:
        qtbot.wait(400)
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
        assert kiosk.model.focused is not None  # read, not chosen yet
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    double_tap(window.lang_buttons["ru"])
    assert kiosk.model.screen is Screen.AGENCIES
    double_tap(window.agency_tiles["DIN"])
    assert kiosk.model.screen is Screen.SERVICES
    double_tap(window.service_tiles["DIN-ID"])
    qtbot.waitUntil(lambda: kiosk.model.print_state is PrintState.PRINTED, timeout=5000)
    assert any(line.text.strip() == "A001" for line in job(printer).lines)
    ticket = kiosk.model.ticket
    assert ticket is not None
    # The ticket screen is read in Russian once it is known the ticket printed.
    qtbot.waitUntil(lambda: heard[-1][1][0].text == "Ваш номер: A001", timeout=10000)
    wav_bytes, parts = heard[-1]
    assert {p.lang for p in parts} == {"ru"}
    assert parts[-1].text == "Возьмите талон внизу."
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2") / 32768
        seconds = wav.getnframes() / wav.getframerate()
    assert 8 < seconds < 40, seconds
    assert float(np.sqrt(np.mean(samples**2))) > 0.02
    # The first thing heard: how the mode works, in three languages.
    first, parts = heard[0]
    assert [p.lang for p in parts] == ["az", "ru", "en"]
    with wave.open(io.BytesIO(first)) as wav:
        assert wav.getnframes() / wav.getframerate() > 10
