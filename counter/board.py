"""Drives the number board above the counter from the view-model.

The board shows the ticket at the counter: blinking while it is called (and again at
each recall), steady while it is served, blank otherwise. The writes run in the worker
thread of a :class:`hardware.board.LineDriver`, never in the GUI thread; only the latest
wanted picture is written (a board that was unplugged for a while shows the current
ticket when it comes back, not the backlog).

This is for a board on a port of the counter's own PC. Boards sharing one line with other
counters' boards are driven by the line's own process (``novbe boards``), never by several
counter apps: each would read the others' acknowledgements.

A board that fails never stops the counter: the failure is reported to the server once
(``report_health`` component ``board``), the operator sees a small "board offline" mark,
and each new picture tries again; the first write that works reports ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hardware.board import BLANK, LineDriver, Picture
from wire.states import HOLDING
from wire.types import TicketState

from .viewmodel import CounterViewModel

Report = Callable[[str, str | None], None]
"""``report(status, detail)``: status ``ok``, ``offline`` or ``error``; called from the worker."""


class ShownTicket(Protocol):
    """What a board needs of a ticket: the view-model's, or the server's ``TicketView``."""

    @property
    def number(self) -> str: ...

    @property
    def state(self) -> TicketState: ...

    @property
    def recalls(self) -> int: ...


def ticket_picture(ticket: ShownTicket | None) -> Picture:
    """What the board of a counter shows for the ticket at it: the number blinking while it
    is called, steady while it is served, nothing otherwise."""
    if ticket is None or ticket.state not in HOLDING:
        return BLANK
    return Picture(ticket.number, blink=ticket.state is TicketState.CALLED, recalls=ticket.recalls)


def picture_of(vm: CounterViewModel) -> Picture:
    return ticket_picture(vm.current)


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
        self._driver = LineDriver(url, lambda _address, status, detail: report(status, detail))

    def follow(self, vm: CounterViewModel) -> None:
        """Show ``vm``'s ticket now and after every change."""
        vm.changed.connect(lambda: self.show(picture_of(vm)))
        self.show(picture_of(vm))

    def show(self, picture: Picture) -> None:
        """Ask for ``picture``; returns at once."""
        self._driver.show(self.address, picture)

    @property
    def status(self) -> str | None:
        return self._driver.status(self.address)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the wanted picture was written (or failed); for tests and shutdown."""
        return self._driver.flush(timeout)

    def close(self) -> None:
        self._driver.close()
