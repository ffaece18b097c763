"""Wiring of a running counter: its session with the server, view-model, window and number board."""

from __future__ import annotations

from PySide6.QtCore import QObject

from shell.bridge import gui_post
from wire.client import ClientOptions
from wire.device import DeviceConfig
from wire.session import Session

from .board import BoardDriver
from .qt_counter import QtCounterWindow
from .viewmodel import CounterViewModel


class CounterApp:
    """One counter: everything its device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication. ``novbe counter`` shows the
    window (``shell.main``); whoever else makes one shows it themselves.

    Args:
        config: the counter's device file.
        parent: a Qt object of the GUI thread (the server's answers are delivered there).
        lang: the starting language, instead of the device file's.
        server_url: the server, instead of the device file's.
        options: the hall client's options (tests reconnect faster).
    """

    def __init__(
        self,
        config: DeviceConfig,
        parent: QObject,
        *,
        lang: str | None = None,
        server_url: str | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        if config.role != "counter" or config.counter is None:
            raise ValueError(f"{config.code}: not a counter's device file")
        self.config = config
        self.post = gui_post(parent)
        self.model = CounterViewModel(config.counter, post=self.post, lang=lang or config.lang)
        self.session = Session(
            config, self.model, post=self.post, server_url=server_url, lang=self.model.lang, options=options
        )
        self.model.attach(self.session)
        self.window = QtCounterWindow(self.model)
        self.board: BoardDriver | None = None

    def start(self) -> None:
        """Connect, and drive the number board if the device file names one."""
        config = self.config
        assert config.counter is not None
        self.session.start()
        if config.board:
            address = config.board_address if config.board_address is not None else config.counter
            self.board = BoardDriver(config.board, address, self._report_board)
            self.board.follow(self.model)

    def _report_board(self, status: str, detail: str | None) -> None:
        # From the board's worker thread: the session is thread-safe, the model is not.
        self.session.report_health("board", status, detail)
        self.post(lambda: self.model.set_board_status(status))

    def stop(self) -> None:
        if self.board is not None:
            self.board.close()
        self.session.stop()
        self.window.close()
