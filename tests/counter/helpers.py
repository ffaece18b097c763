"""Counter windows and view-models connected to a real server, for the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pytestqt.qtbot import QtBot

from counter.viewmodel import CounterViewModel
from tests.server.harness import DEMO_PASSWORD, ServerProcess, kiosk
from wire.client import ClientOptions
from wire.device import DeviceConfig, load_device
from wire.session import CallQueue, Session

WAIT_MS = 10_000
FAST = ClientOptions(backoff_min=0.05, backoff_max=0.3)
"""Reconnect quickly: the tests restart servers."""


def device(server: ServerProcess, number: int) -> DeviceConfig:
    """Counter ``number``'s device file from the test's center, with no number board."""
    path = server.home.path / "devices" / f"counter-{number}.toml"
    return load_device(path).model_copy(update={"server_url": server.url, "board": None, "fullscreen": False})


@dataclass
class Desk:
    """One operator's app (``counter.app.CounterApp``): view-model, window and session."""

    app: Any
    qtbot: QtBot

    @property
    def vm(self) -> CounterViewModel:
        model: CounterViewModel = self.app.model
        return model

    @property
    def window(self) -> Any:
        return self.app.window

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
    """The counter app of ``number``, as ``novbe counter`` makes it, in a window."""
    from PySide6.QtWidgets import QWidget

    from counter.app import CounterApp

    holder = QWidget()
    qtbot.addWidget(holder)
    app = CounterApp(device(server, number), holder, lang=lang, options=FAST)
    qtbot.addWidget(app.window)
    app.window.show()
    app.start()
    try:
        yield Desk(app, qtbot)
    finally:
        app.stop()


@contextmanager
def queued_vms(
    server: ServerProcess, numbers: list[int]
) -> Iterator[tuple[list[CounterViewModel], CallQueue, list[Session]]]:
    """View-models with real sessions and no windows; ``calls`` runs their callbacks."""
    calls = CallQueue()
    vms = [CounterViewModel(n, post=calls.post, lang="en") for n in numbers]
    sessions = [
        Session(device(server, n), vm, post=calls.post, lang=vm.lang, options=FAST)
        for n, vm in zip(numbers, vms, strict=True)
    ]
    for vm, session in zip(vms, sessions, strict=True):
        vm.attach(session)
        session.start()
    try:
        yield vms, calls, sessions
    finally:
        for session in sessions:
            session.stop()


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
