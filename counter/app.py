"""Wiring of a running counter: server connection, view-model, window and number board."""

from __future__ import annotations

from PySide6.QtCore import QObject

from wire.client import HallClient
from wire.device import DeviceConfig

from .board import BoardDriver
from .connection import Endpoint, connect_qt, qt_poster
from .qt_counter import QtCounterWindow
from .viewmodel import CounterViewModel


class CounterApp:
    """One counter: everything its device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication.
    """

    def __init__(self, config: DeviceConfig, parent: QObject, *, lang: str | None = None) -> None:
        if config.role != "counter" or config.counter is None:
            raise ValueError(f"{config.code}: not a counter's device file")
        self.config = config
        self._parent = parent
        self.post, self._bridge = qt_poster(parent)
        self.model = CounterViewModel(config.counter, post=self.post, lang=lang or config.lang)
        self.window = QtCounterWindow(self.model)
        self.client: HallClient | None = None
        self.board: BoardDriver | None = None

    def start(self, *, fullscreen: bool | None = None) -> None:
        config = self.config
        assert config.counter is not None
        self.client = connect_qt(
            Endpoint(config.server_url, config.counter, config.token), self.model, self._parent
        )
        if config.board:
            address = config.board_address if config.board_address is not None else config.counter
            self.board = BoardDriver(config.board, address, self._report_board)
            self.board.follow(self.model)
        if fullscreen if fullscreen is not None else config.fullscreen:
            self.window.showFullScreen()
        else:
            self.window.show()

    def _report_board(self, status: str, detail: str | None) -> None:
        self.model.report_health("board", status, detail)
        self.post(lambda: self.model.set_board_status(status))

    def stop(self) -> None:
        if self.board is not None:
            self.board.close()
        if self.client is not None:
            self.client.stop()
        self.window.close()
