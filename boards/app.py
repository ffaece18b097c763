"""Wiring of a running board line: the server connection, the line's model and its driver.

Everything runs off any GUI: the hall client's thread hands messages to the model, the
model asks the driver for pictures, and the driver's worker thread owns the serial port.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from hardware.board import RETRY_SECONDS, LineDriver
from wire.client import ClientOptions, HallClient, Message
from wire.device import DeviceConfig

from .model import LineModel

log = logging.getLogger("novbe.boards")

HEALTH_TIMEOUT = 60.0
"""Seconds a health report may wait for the server (it is resent after a reconnection)."""


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
        self.client = HallClient(
            config.server_url,
            {"role": "boards", "device": config.code, "token": config.token, "lang": config.lang},
            on_message=self.model.apply,
            options=options,
        )
        self._counters = {address: number for number, address in config.boards.items()}
        self._health: dict[int, tuple[str, str | None]] = {}
        self._reported: tuple[str, str | None] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Connect to the server; the boards follow as soon as the welcome arrives."""
        self.client.start()

    def stop(self) -> None:
        self.client.stop()
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
        # Called from the driver's worker thread, once per change of one board.
        with self._lock:
            self._health[address] = (status, detail)
            summary = self._summary()
            if summary == self._reported:
                return
            self._reported = summary
        log.info(
            "board line %s: %s%s", self.config.code, summary[0], f" ({summary[1]})" if summary[1] else ""
        )
        future = self.client.request(
            "report_health", timeout=HEALTH_TIMEOUT, component="board", status=summary[0], detail=summary[1]
        )
        future.add_done_callback(_log_failure)


def _log_failure(future: Future[Message]) -> None:
    exc: Any = future.exception()
    if exc is not None:
        log.warning("health report not delivered: %s", exc)
