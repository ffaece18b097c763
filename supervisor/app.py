"""Wiring of a running supervisor's desk: its session with the server, view-model and window."""

from __future__ import annotations

from PySide6.QtCore import QObject

from shell.bridge import gui_post
from wire.client import ClientOptions, ConnState
from wire.device import DeviceConfig
from wire.messages import ServerMessage
from wire.session import Session

from .qt_supervisor import QtSupervisorWindow
from .viewmodel import SupervisorViewModel


class SupervisorApp:
    """One supervisor's desk: everything its device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication. ``novbe supervisor`` shows the
    window (``shell.main``); whoever else makes one shows it themselves. Nothing connects
    before the supervisor signs in on the window's login page.

    Args:
        config: the desk's device file (role ``supervisor``).
        parent: a Qt object of the GUI thread (the server's answers are delivered there).
        lang: the starting language, instead of the device file's.
        server_url: the server, instead of the device file's.
        options: the hall client's options (tests reconnect faster).
        sound: play a chime for new alerts (off for screenshots and benchmarks).
    """

    def __init__(
        self,
        config: DeviceConfig,
        parent: QObject,
        *,
        lang: str | None = None,
        server_url: str | None = None,
        options: ClientOptions | None = None,
        sound: bool = True,
    ) -> None:
        if config.role != "supervisor":
            raise ValueError(f"{config.code}: not a supervisor desk's device file")
        self.config = config
        self.post = gui_post(parent)
        self.model = SupervisorViewModel(post=self.post, lang=lang or config.lang)
        self.session = Session(
            config, self, post=self.post, server_url=server_url, lang=self.model.lang, options=options
        )
        self.model.attach(self.session)
        self.window = QtSupervisorWindow(self.model, sound=sound)

    def on_message(self, message: ServerMessage) -> None:
        self.model.on_message(message)

    def on_connection(self, state: ConnState) -> None:
        if state is ConnState.REFUSED:
            # Wrong login or password: stop knocking; the login page asks again.
            self.post(self.session.stop)
        self.model.on_connection(state)

    def start(self) -> None:
        """Nothing to start before the login: the session starts with it (``sign_in``)."""

    def stop(self) -> None:
        self.session.stop()
        self.window.close()
