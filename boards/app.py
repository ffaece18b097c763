"""Wiring of a running board line: its session with the server, the line's model and its driver.

Everything runs off any GUI: the session hands the server's messages to the model in the
hall client's own thread (the model only asks the driver for pictures, which is
thread-safe), and the driver's worker thread owns the serial port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hardware.board import RETRY_SECONDS, LineDriver
from wire.client import ClientOptions
from wire.device import DeviceConfig
from wire.session import Session

from .model import LineModel

log = logging.getLogger("novbe.boards")


def _now(fn: Callable[[], None]) -> None:
    fn()


class BoardsApp:
    """One board line: everything its device file describes, started and stopped together.

    Args:
        config: the line's device file (role ``boards``).
        options: the hall client's options (tests reconnect faster).
        retry: seconds before a failed board is tried again with the same picture.
    """

    def __init__(
        self, config: DeviceConfig, *, options: ClientOptions | None = None, retry: float = RETRY_SECONDS
    ) -> None:
        if config.role != "boards" or config.board is None or not config.boards:
            raise ValueError(f"{config.code}: not a board line's device file")
        self.config = config
        self.driver = LineDriver(config.board, self._on_board_health, retry=retry)
        self.model = LineModel(config.boards, self.driver.show)
        self.session = Session(config, self.model, post=_now, options=options)
        self._counters = {address: number for number, address in config.boards.items()}
        self._health: dict[int, tuple[str, str | None]] = {}
        self._reported: tuple[str, str | None] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Connect to the server; the boards follow as soon as the welcome arrives."""
        self.session.start()

    def stop(self) -> None:
        self.session.stop()
        self.driver.close()

    def line_health(self) -> tuple[str, str | None]:
        """The line's health as one report: ``ok``, or the worst board's status, naming the
        counters whose boards fail."""
        with self._lock:
            return self._summary()

    def _summary(self) -> tuple[str, str | None]:
        failing = sorted(
            (self._counters[a], status, detail)
            for a, (status, detail) in self._health.items()
            if status != "ok"
        )
        if not failing:
            return "ok", None
        status = "offline" if any(s == "offline" for _, s, _ in failing) else "error"
        counters = ", ".join(str(n) for n, _, _ in failing)
        first = failing[0][2] or ""
        return status, f"boards of counters {counters}: {first}"[:500]

    def _on_board_health(self, address: int, status: str, detail: str | None) -> None:
        # Called from the driver's worker thread, once per change of one board. The session
        # sends the line's summary (again after an outage); under the lock, so in order.
        with self._lock:
            self._health[address] = (status, detail)
            summary = self._summary()
            if summary == self._reported:
                return
            self._reported = summary
            self.session.report_health("board", *summary)
        log.info(
            "board line %s: %s%s", self.config.code, summary[0], f" ({summary[1]})" if summary[1] else ""
        )
