"""Counter windows and view-models connected to a real server, for the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pytestqt.qtbot import QtBot

from counter.connection import CallQueue, Endpoint, connect_qt, connect_queued, qt_poster
from counter.viewmodel import CounterViewModel
from tests.server.harness import DEMO_PASSWORD, ServerProcess, kiosk
from wire.client import ClientOptions, HallClient

WAIT_MS = 10_000
FAST = ClientOptions(backoff_min=0.05, backoff_max=0.3)
"""Reconnect quickly: the tests restart servers."""


@dataclass
class Desk:
    """One operator's app: view-model, window and connection."""

    vm: CounterViewModel
    window: Any
    client: HallClient
    qtbot: QtBot

    def wait(self, condition: Any, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: bool(condition()), timeout=timeout)

    def login(self, login: str, password: str = DEMO_PASSWORD) -> None:
        w = self.window
        self.wait(lambda: self.vm.online)
        w.login_name.setText(login)
        w.login_password.setText(password)
        w.login_button.click()
        self.wait(lambda: self.vm.pending is None)

    def press(self, name: str) -> None:
        """Click the button of ``name`` (as the operator would with the mouse)."""
        button = self.window.buttons[name]
        assert button.isEnabled(), f"{name} is disabled"
        button.click()

    def focus(self) -> None:
        """Make the window the active one: its F-key shortcuts only work then."""
        from PySide6.QtWidgets import QApplication

        self.window.activateWindow()
        self.window.raise_()
        self.wait(lambda: QApplication.activeWindow() is self.window)

    def settle(self) -> None:
        self.wait(lambda: self.vm.pending is None)


@contextmanager
def open_desk(qtbot: QtBot, server: ServerProcess, number: int, *, lang: str = "en") -> Iterator[Desk]:
    from PySide6.QtWidgets import QWidget

    from counter.qt_counter import QtCounterWindow

    holder = QWidget()
    post, bridge = qt_poster(holder)
    vm = CounterViewModel(number, post=post, lang=lang)
    window = QtCounterWindow(vm)
    qtbot.addWidget(window)
    qtbot.addWidget(holder)
    window.show()
    token = server.home.token("counter", str(number))
    client = connect_qt(Endpoint(server.url, number, token), vm, holder, options=FAST)
    desk = Desk(vm, window, client, qtbot)
    try:
        yield desk
    finally:
        client.stop()
        window.close()
        del bridge


@contextmanager
def queued_vms(
    server: ServerProcess, numbers: list[int]
) -> Iterator[tuple[list[CounterViewModel], CallQueue]]:
    """View-models with real connections and no windows; ``calls`` runs their callbacks."""
    calls = CallQueue()
    vms = [CounterViewModel(n, post=calls.post, lang="en") for n in numbers]
    clients = [
        connect_queued(Endpoint(server.url, n, server.home.token("counter", str(n))), vm, calls, options=FAST)
        for n, vm in zip(numbers, vms, strict=True)
    ]
    try:
        yield vms, calls
    finally:
        for client in clients:
            client.stop()


def issue(server: ServerProcess, *services: str) -> list[str]:
    """Issue a ticket per service at a kiosk; returns their numbers."""
    k = kiosk(server)
    try:
        numbers = []
        for service in services:
            reply = k.request("issue", service=service)
            assert reply["type"] == "reply", reply
            numbers.append(reply["result"]["ticket"]["number"])
        return numbers
    finally:
        k.close()
