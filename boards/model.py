"""What every number board of one line should show, from the server's messages. No I/O.

The line's process connects like a display that sees exactly the counters whose boards are on
its line: the welcome snapshot gives each counter's current ticket, and the events after it
say when a ticket is called (blink), recalled (blink again), served (steady) and done (blank).
The rule is the counter app's own (``counter.board.ticket_picture``): a board shows the ticket
at its counter while it is called or served, and nothing otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from counter.board import ticket_picture
from hardware.board import BLANK, Picture
from wire import events as ev
from wire.client import ConnState
from wire.messages import EventMessage, ServerMessage, Snapshot, Welcome
from wire.states import HOLDING
from wire.types import CounterNo, TicketId

log = logging.getLogger("novbe.boards")

Show = Callable[[int, Picture], None]
"""``show(address, picture)``: what the board at ``address`` should show now."""


class LineModel:
    """The pictures of the boards of one line (a ``wire.session.HallModel``).

    Args:
        addresses: counter number -> address of its board on the line.
        show: called with a board's address and picture whenever it may have changed.
    """

    def __init__(self, addresses: Mapping[CounterNo, int], show: Show) -> None:
        self.addresses = dict(addresses)
        self._show = show
        self.current: dict[CounterNo, tuple[TicketId | None, Picture]] = dict.fromkeys(
            self.addresses, (None, BLANK)
        )
        """Counter -> (the ticket at it, its picture)."""

    def on_message(self, message: ServerMessage) -> None:
        """Take one server message; anything but a ``welcome`` and an ``event`` is ignored."""
        match message:
            case Welcome(snapshot=Snapshot() as snapshot):  # no snapshot: resumed, the missed events follow
                self._snapshot(snapshot)
            case EventMessage(event=event):
                self.apply_event(event)

    def on_connection(self, state: ConnState) -> None:
        """The boards keep showing what they show while the server is away."""

    def _snapshot(self, snapshot: Snapshot) -> None:
        views = snapshot.counters
        for number in sorted(set(self.addresses) - set(views)):
            log.warning(
                "counter %d: the server doesn't route it to this line (center.toml has its board "
                "elsewhere); its board stays blank",
                number,
            )
        for number in sorted(set(views) - set(self.addresses)):
            log.warning(
                "counter %d is on this line in center.toml but not in the device file: update the file",
                number,
            )
        for number in self.addresses:
            view = views.get(number)
            ticket = view.current if view is not None else None
            shown = ticket if ticket is not None and ticket.state in HOLDING else None
            self._set(number, shown.id if shown is not None else None, ticket_picture(shown))

    def apply_event(self, event: ev.Event) -> None:
        """Apply one queue event (the ``event`` of an ``event`` message)."""
        match event:
            case ev.DayOpened() | ev.DayClosed():
                for number in self.addresses:
                    self._set(number, None, BLANK)
            case ev.TicketCalled(counter=n, ticket=ticket, number=shown) if n in self.addresses:
                self._set(n, ticket, Picture(shown, blink=True))
            case ev.TicketRecalled(counter=n, ticket=ticket, number=shown, recalls=recalls) if (
                n in self.addresses
            ):
                self._set(n, ticket, Picture(shown, blink=True, recalls=recalls or 1))
            case ev.ServiceStarted(counter=n, ticket=ticket, number=shown) if n in self.addresses:
                held, picture = self.current[n]
                self._set(n, ticket, Picture(shown, recalls=picture.recalls if held == ticket else 0))
            case ev.CounterClosed(counter=n) if n in self.addresses:
                self._set(n, None, BLANK)
            case (
                ev.TicketFinished(counter=n, ticket=ticket)
                | ev.TicketNoShow(counter=n, ticket=ticket)
                | ev.TicketParked(counter=n, ticket=ticket)
                | ev.TicketTransferred(from_counter=n, ticket=ticket)
            ) if n in self.addresses and self.current[n][0] == ticket:
                # The ticket has left its counter.
                self._set(n, None, BLANK)

    def _set(self, counter: CounterNo, ticket: TicketId | None, picture: Picture) -> None:
        self.current[counter] = (ticket, picture)
        self._show(self.addresses[counter], picture)
