"""The real desk window, offscreen, against a real server: the login page, the hall, an
action from a counter's tile through its confirmation, the queues' cancel and move, the
displays' message, the offline banner, and a kiosk's printer out of paper on a pty."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from kiosk.app import KioskApp
from kiosk.viewmodel import PrintState, Timings
from supervisor.app import SupervisorApp
from supervisor.qt_sound import MIN_GAP_S
from supervisor.qt_supervisor import ConfirmDialog, MessageDialog, ServicesDialog
from supervisor.viewmodel import AlertKind, Look
from tests.hardware.conftest import PAPER_OUT, READY, PtyPrinter
from tests.server.harness import DEMO_PASSWORD, TIMEOUT, Home, ServerProcess, counter, kiosk
from wire.client import ClientOptions
from wire.device import DeviceConfig
from wire.types import CounterState, TicketState

from .helpers import FAST, desk_config, logged

pytestmark = pytest.mark.slow

WAIT_MS = int(TIMEOUT * 1000)
RAW_KEY = re.compile(r"^[a-z_]+\.[a-z_.]+$")


@pytest.fixture
def app(qtbot: Any, qapp: Any, home: Home, server: ServerProcess) -> Iterator[SupervisorApp]:
    desk = SupervisorApp(desk_config(home, server), qapp, lang="en", options=FAST)
    qtbot.addWidget(desk.window)
    desk.window.resize(1920, 1080)
    desk.window.show()
    yield desk
    desk.stop()


def sign_in(qtbot: Any, app: SupervisorApp, password: str = DEMO_PASSWORD) -> None:
    """Sign in on the login page; with the right password, wait for the hall."""
    window = app.window
    window.login_name.setText("supervisor")
    window.login_password.setText(password)
    qtbot.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
    if password == DEMO_PASSWORD:
        qtbot.waitUntil(lambda: app.model.online and len(window.tiles) == 81, timeout=WAIT_MS)


def look(app: SupervisorApp, number: int) -> str | None:
    """How counter ``number``'s tile is drawn now."""
    tile = app.window.tiles[number].tile
    return tile.look.value if tile is not None else None


def confirm(qtbot: Any, app: SupervisorApp) -> ConfirmDialog:
    """The confirmation the window opened, accepted."""
    dialog = app.window.dialog
    assert isinstance(dialog, ConfirmDialog), dialog
    assert dialog.isVisible()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return dialog


def no_raw_keys(window: QWidget) -> None:
    """Every text on screen is translated: none is a catalog key."""
    texts = [w.text() for w in window.findChildren(QLabel) + window.findChildren(QPushButton)]
    raw = [t for t in texts if RAW_KEY.match(t)]
    assert not raw, raw


def test_login_page_then_the_hall(qtbot: Any, app: SupervisorApp, server: ServerProcess) -> None:
    window = app.window
    assert window.pages.currentWidget() is window.login_page
    sign_in(qtbot, app, "wrong")
    qtbot.waitUntil(lambda: window.login_error.text() == "Wrong login or password.", timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.login_page
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.desk_page, timeout=WAIT_MS)
    assert len(window.tiles) == 81
    assert look(app, 1) == "closed"
    counter(server, 12)
    qtbot.waitUntil(lambda: look(app, 12) == "idle", timeout=WAIT_MS)
    assert window.tiles[12].who.text() == "op12"
    for lang in ("az", "ru", "en"):
        qtbot.mouseClick(window.desk_langs[lang], Qt.MouseButton.LeftButton)
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            no_raw_keys(window)
    assert window.tabs.tabText(0) == "Hall"


def test_closing_a_counter_from_its_tile_is_confirmed_and_logged(
    qtbot: Any, app: SupervisorApp, home: Home, server: ServerProcess
) -> None:
    window = app.window
    sign_in(qtbot, app)
    counter(server, 7)
    qtbot.waitUntil(lambda: look(app, 7) == "idle", timeout=WAIT_MS)
    menu = window.counter_menu(7)
    close = next(a for a in menu.actions() if a.text() == "Close")
    assert close.isEnabled()
    assert not next(a for a in menu.actions() if a.text() == "Resume").isEnabled()
    close.trigger()
    dialog = window.dialog
    assert isinstance(dialog, ConfirmDialog)
    assert dialog.text.text() == "Close counter 7? Its operator is logged out; nobody will be called there."
    confirm(qtbot, app)
    qtbot.waitUntil(lambda: look(app, 7) == "closed", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.toast.text() == "Counter 7 is closed.", timeout=WAIT_MS)
    assert app.model.tile(7).state is CounterState.CLOSED
    # Going back from a confirmation does nothing.
    window.counter_menu(8).actions()[2].trigger()  # "Open"
    dialog = window.dialog
    assert isinstance(dialog, ConfirmDialog)
    dialog.reject()
    qtbot.wait(300)
    assert app.model.tile(8).state is CounterState.CLOSED
    closed = [e for e in logged(home) if type(e).__name__ == "CounterClosed" and e.counter == 7]  # type: ignore[attr-defined]
    assert [getattr(e, "by", None) for e in closed] == ["supervisor"]


def test_services_of_a_counter_for_the_rest_of_the_day(
    qtbot: Any, app: SupervisorApp, server: ServerProcess
) -> None:
    window = app.window
    sign_in(qtbot, app)
    counter(server, 77)
    qtbot.waitUntil(lambda: look(app, 77) == "idle", timeout=WAIT_MS)
    window.ask_services(77)
    dialog = window.dialog
    assert isinstance(dialog, ServicesDialog)
    assert dialog.chosen() == ["BANK-FEE"]
    dialog.items["KOM-GAS"].setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert isinstance(window.dialog, ConfirmDialog)
    assert "BANK-FEE, KOM-GAS" in window.dialog.text.text()
    confirm(qtbot, app)
    qtbot.waitUntil(lambda: app.model.services_of(77) == ("BANK-FEE", "KOM-GAS"), timeout=WAIT_MS)


def test_cancel_and_move_from_the_queues(qtbot: Any, app: SupervisorApp, server: ServerProcess) -> None:
    window = app.window
    model = app.model
    sign_in(qtbot, app)
    counter(server, 1)
    booth = kiosk(server)
    ids = [booth.request("issue", service="DIN-ID")["result"]["ticket"]["id"] for _ in range(2)]
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "DIN-ID" in window._queue_codes, timeout=WAIT_MS)
    window.select_service("DIN-ID")
    qtbot.waitUntil(lambda: window._waiting_ids == ids, timeout=WAIT_MS)
    assert window.waiting_table.item(0, 0).text() == "A001"
    window.select_ticket(ids[0])
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    confirm(qtbot, app)
    qtbot.waitUntil(lambda: model.tickets[ids[0]].state is TicketState.CANCELLED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window._waiting_ids == ids[1:], timeout=WAIT_MS)
    window.select_ticket(ids[1])
    window.move_to.setCurrentIndex(window.move_to.findData("DIN-PASS"))
    qtbot.mouseClick(window.move_button, Qt.MouseButton.LeftButton)
    assert isinstance(window.dialog, ConfirmDialog)
    assert window.dialog.text.text().startswith("Move ticket A002 to DIN-PASS")
    confirm(qtbot, app)
    qtbot.waitUntil(lambda: model.tickets[ids[1]].service == "DIN-PASS", timeout=WAIT_MS)


def test_displays_message_in_three_languages(qtbot: Any, app: SupervisorApp, server: ServerProcess) -> None:
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.model.online, timeout=WAIT_MS)
    window.ask_message()
    dialog = window.dialog
    assert isinstance(dialog, MessageDialog)
    dialog.fields["az"].setText("Növbəti həftə mərkəz şənbə günü də açıqdır")
    dialog.fields["ru"].setText("На следующей неделе центр открыт и в субботу")
    dialog.fields["en"].setText("Next week the center is open on Saturday too")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    confirm(qtbot, app)
    qtbot.waitUntil(lambda: app.model.message is not None, timeout=WAIT_MS)
    assert app.model.message == {
        "az": "Növbəti həftə mərkəz şənbə günü də açıqdır",
        "ru": "На следующей неделе центр открыт и в субботу",
        "en": "Next week the center is open on Saturday too",
    }
    assert "şənbə" in window.message_line.text()


def test_offline_banner_and_back(qtbot: Any, app: SupervisorApp, home: Home, server: ServerProcess) -> None:
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.model.online, timeout=WAIT_MS)
    assert not window.banner.isVisible()
    server.kill()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
    assert window.banner.text().startswith("NO CONNECTION TO THE SERVER since ")
    assert not window.close_day_button.isEnabled()
    restarted = ServerProcess(home, port=server.port).start()
    try:
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=3 * WAIT_MS)
        assert window.pages.currentWidget() is window.desk_page  # no second login
    finally:
        restarted.stop()


def test_a_kiosk_printer_out_of_paper_reaches_the_desk(
    qtbot: Any, app: SupervisorApp, home: Home, server: ServerProcess, printer: PtyPrinter
) -> None:
    """A real kiosk prints to a printer on a pty; the printer runs out of paper; the
    supervisor's desk shows the alert, with its time, and chimes."""
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.model.online, timeout=WAIT_MS)
    config = DeviceConfig(
        role="kiosk",
        code="kiosk-1",
        server_url=server.url,
        token=home.token("kiosk", "kiosk-1"),
        lang="az",
        fullscreen=False,
        printer=f"serial://{printer.path}?baudrate=115200",
    )
    booth = KioskApp(
        config,
        size=QSize(1080, 1920),
        timings=Timings(tap_guard=0.05, ticket_tap_guard=0.3, offline_grace=0.5, printer_poll_failed=0.3),
        client_options=ClientOptions(backoff_min=0.1, backoff_max=0.3),
    )
    qtbot.addWidget(booth.window)
    booth.start(fullscreen=False)
    try:
        qtbot.waitUntil(lambda: booth.model.can_issue, timeout=WAIT_MS)
        # Alerts that come within MIN_GAP_S make one chime: let any earlier one (a device not
        # yet connected, on a loaded machine) fall outside the gap, so that this one is heard.
        qtbot.wait(int(MIN_GAP_S * 1000) + 100)
        chimes = window.chime.played
        printer.answers = PAPER_OUT
        for choose, what in (
            (booth.model.choose_language, "az"),
            (booth.model.choose_agency, "DIN"),
            (booth.model.choose_service, "DIN-ID"),
        ):
            choose(what)
            qtbot.wait(80)  # past the kiosk's guard against double taps, like a person
        qtbot.waitUntil(lambda: booth.model.print_state is PrintState.FAILED, timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: any(a.kind is AlertKind.DEVICE and a.status == "paper_out" for a in app.model.alerts),
            timeout=WAIT_MS,
        )
        alert = next(a for a in app.model.alerts if a.status == "paper_out")
        assert alert.subject == "kiosk:kiosk-1/printer"
        assert window.chime.played > chimes
        line = window.alert_list.item(0).text()
        assert re.match(r"^\d\d:\d\d  Kiosk kiosk-1: printer — out of paper", line), line
        assert window.alerts_title.text().startswith("Alerts: ")
        # The supervisor acknowledges it; the paper is loaded; the alert ends.
        window.alert_list.item(0).setSelected(True)
        qtbot.mouseClick(window.ack_button, Qt.MouseButton.LeftButton)
        assert alert.acknowledged
        printer.answers = READY
        qtbot.waitUntil(lambda: not alert.active, timeout=WAIT_MS)
        # Its line stays in the list, saying it is over and when it was seen.
        row = app.model.alerts.index(alert)
        qtbot.waitUntil(lambda: "[over, seen " in window.alert_list.item(row).text(), timeout=WAIT_MS)
    finally:
        booth.stop()


def test_tile_click_opens_the_counters_menu(qtbot: Any, app: SupervisorApp) -> None:
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: len(window.tiles) == 81, timeout=WAIT_MS)
    tile = window.tiles[3]
    window._on_tile_clicked(3, tile.mapToGlobal(QPoint(5, 5)))
    assert window.menu is not None
    assert window.menu.actions()[0].text().startswith("Counter 3 · ")
    window.menu.close()
    assert app.model.tile(3).look is Look.CLOSED


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_whole_hall_is_in_sight(
    qtbot: Any, app: SupervisorApp, server: ServerProcess, size: tuple[int, int]
) -> None:
    """On a laptop's screen as on a large one, in every language: the window fits the
    screen on every tab, all 81 counters are in sight without scrolling, no tile's line is
    cut, and every column of the queues is in sight."""
    window = app.window
    window.resize(*size)
    for lang in ("az", "ru", "en"):  # the login page, and the desk before it knows the hall
        app.model.set_lang(lang)
        qtbot.wait(50)
        assert window.minimumSizeHint().width() <= size[0], lang
        assert window.width() == size[0], lang
    sign_in(qtbot, app)
    counter(server, 45)  # EMDX: the longest agency's code beside an operator
    booth = kiosk(server)
    booth.request("issue", service="EMDX-REG")
    booth.request("issue", service="MAI-ARCH")  # nobody would call them: every column has words
    qtbot.waitUntil(lambda: look(app, 45) == "idle", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "MAI-ARCH" in window._queue_codes, timeout=WAIT_MS)
    window.select_service("EMDX-REG")
    app.model.ask_figures()  # with the two tickets: a line for MAI and one for EMDX
    qtbot.waitUntil(lambda: window.agency_table.rowCount() > 1, timeout=WAIT_MS)
    for lang in ("az", "ru", "en"):
        app.model.set_lang(lang)
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            qtbot.wait(50)
            hint = window.minimumSizeHint()
            assert hint.width() <= size[0], (lang, index, hint)
            assert hint.height() <= size[1], (lang, index, hint)
            assert window.width() == size[0], (lang, index)
        window.tabs.setCurrentIndex(1)
        qtbot.wait(50)
        table = window.queue_table
        assert table.horizontalHeader().length() <= table.viewport().width(), lang
        window.tabs.setCurrentIndex(2)
        qtbot.wait(50)
        for table in (window.agency_table, window.operator_table):
            assert table.horizontalHeader().length() <= table.viewport().width(), lang
        window.tabs.setCurrentIndex(0)
        qtbot.wait(50)
        scroll = window.hall_scroll
        assert scroll.verticalScrollBar().maximum() == 0, lang
        viewport = scroll.viewport().rect()
        for number, tile in window.tiles.items():
            corner = tile.mapTo(scroll.viewport(), QPoint(tile.width() - 1, tile.height() - 1))
            assert viewport.contains(corner), (lang, number, corner)
            lines = [tile.number_label, tile.agency_label, tile.what]
            lines += [tile.who_inline] if tile.compact else [tile.who]
            for line in lines:
                needed = line.fontMetrics().horizontalAdvance(line.text())
                assert needed <= line.width(), (lang, number, line.text(), needed, line.width())
    assert window.tiles[1].compact is (size[0] < 1600)
