"""Drives the number board above the counter from the view-model.

The board shows the ticket at the counter: blinking while it is called (and again at
each recall), steady while it is served, blank otherwise. Serial writes can block for up
to the port's write timeout, so they run in a worker thread of their own, never in the
GUI thread; only the latest wanted picture is written (a board that was unplugged for a
while shows the current ticket when it comes back, not the backlog).

A board that fails never stops the counter: the failure is reported to the server once
(``report_health`` component ``board``), the operator sees a small "board offline" mark,
and each new picture tries again; the first write that works reports ``ok``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from hardware.board import BoardLine, CounterBoard, open_board_line
from hardware.exceptions import BoardUnavailable

from .viewmodel import CounterViewModel

log = logging.getLogger("novbe.counter.board")

RETRY_SECONDS = 30.0
"""How often a failed board is tried again while the picture stays the same."""

Report = Callable[[str, str | None], None]
"""``report(status, detail)``: status ``ok``, ``offline`` or ``error``; called from the worker."""


@dataclass(frozen=True)
class Picture:
    """What the board should show. ``recalls`` makes a recall a new picture (blink again)."""

    number: str | None
    blink: bool = False
    recalls: int = 0


BLANK = Picture(None)


def picture_of(vm: CounterViewModel) -> Picture:
    t = vm.current
    if t is None or t.state not in ("called", "serving"):
        return BLANK
    return Picture(t.number, blink=t.state == "called", recalls=t.recalls)


class BoardDriver:
    """Shows the counter's ticket on its number board.

    Args:
        url: the board line URL of the device file (``serial:///dev/ttyUSB1``, ``loop://``...).
        address: the board's address on the line.
        report: called with each change of the board's health.
    """

    def __init__(self, url: str, address: int, report: Report) -> None:
        self.url = url
        self.address = address
        self._report = report
        self._wanted: Picture = BLANK
        self._shown: Picture | None = None
        self._status: str | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._board: CounterBoard | None = None
        self._line: BoardLine | None = None
        self._thread = threading.Thread(target=self._run, name="counter-board", daemon=True)
        self._thread.start()

    def follow(self, vm: CounterViewModel) -> None:
        """Show ``vm``'s ticket now and after every change."""
        vm.changed.connect(lambda: self.show(picture_of(vm)))
        self.show(picture_of(vm))

    def show(self, picture: Picture) -> None:
        """Ask for ``picture``; returns at once."""
        with self._wake:
            if picture == self._wanted:
                return
            self._wanted = picture
            self._wake.notify()

    @property
    def status(self) -> str | None:
        return self._status

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the wanted picture was written (or failed); for tests and shutdown."""
        with self._wake:
            return self._wake.wait_for(lambda: self._shown == self._wanted or self._failed(), timeout)

    def _failed(self) -> bool:
        return self._status not in (None, "ok")

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(3.0)
        if self._line is not None:
            self._line.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._stopping or self._wanted != self._shown)
                if self._stopping:
                    return
                picture = self._wanted
            status, detail = self._write(picture)
            with self._wake:
                if status == "ok":
                    self._shown = picture
                changed = status != self._status
                self._status = status
                self._wake.notify_all()
            if changed:
                self._report(status, detail)
            if status != "ok":
                self._pause_after_failure(picture)

    def _pause_after_failure(self, failed: Picture) -> None:
        # Try again on the next picture, or after a while: a dead line must not spin.
        with self._wake:
            self._wake.wait_for(lambda: self._stopping or self._wanted != failed, RETRY_SECONDS)

    def _write(self, picture: Picture) -> tuple[str, str | None]:
        try:
            board = self._open()
            if picture.number is None:
                board.clear()
            else:
                board.show_ticket(picture.number, blink=picture.blink)
        except BoardUnavailable as exc:
            log.warning("number board %s: %s", self.url, exc)
            return "offline", str(exc)
        except (ValueError, OSError) as exc:
            log.warning("number board %s: %s", self.url, exc)
            return "error", str(exc)
        return "ok", None

    def _open(self) -> CounterBoard:
        if self._board is None:
            self._line = open_board_line(self.url)
            self._board = CounterBoard(self._line, self.address)
        return self._board
