"""What a citizen and an operator do in the end-to-end tests."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from counter.viewmodel import Action
from display.app import DisplayApp
from display.viewmodel import RowState
from kiosk.app import KioskApp
from kiosk.viewmodel import PrintState, Screen
from tests.counter.helpers import Desk
from tests.server.harness import TIMEOUT
from wire.client import ClientOptions

WAIT = int(TIMEOUT * 1000)
FAST = ClientOptions(backoff_min=0.05, backoff_max=0.3)


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
