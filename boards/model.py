"""What every number board of one line should show, from the server's messages. No I/O.

The line's process connects like a display that sees exactly the counters whose boards are on
its line: the welcome snapshot gives each counter's current ticket, and the events after it
say when a ticket is called (blink), recalled (blink again), served (steady) and done (blank).
The rule is the counter app's own (``counter.board.picture_of``): a board shows the ticket at
its counter while it is called or served, and nothing otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from hardware.board import BLANK, Picture

log = logging.getLogger("novbe.boards")

Show = Callable[[int, Picture], None]
"""``show(address, picture)``: what the board at ``address`` should show now."""

_DONE = frozenset({"TicketFinished", "TicketNoShow", "TicketParked", "TicketTransferred"})
"""Events after which the ticket has left its counter."""


class LineModel:
    """The pictures of the boards of one line.

    Args:
        addresses: counter number -> address of its board on the line.
        show: called with a board's address and picture whenever it may have changed.
    """

    def __init__(self, addresses: Mapping[int, int], show: Show) -> None:
        self.addresses = dict(addresses)
        self._show = show
        self.current: dict[int, tuple[str | None, Picture]] = dict.fromkeys(self.addresses, (None, BLANK))
        """Counter -> (the ticket at it, its picture)."""

    def apply(self, message: Mapping[str, Any]) -> None:
        """Take one server message; anything but ``welcome`` and ``event`` is ignored."""
        kind = message.get("type")
        if kind == "welcome":
            snapshot = message.get("snapshot")
            if isinstance(snapshot, Mapping):  # None: resumed, the missed events follow
                self._snapshot(snapshot)
        elif kind == "event":
            event = message.get("event")
            if isinstance(event, Mapping):
                self.apply_event(event)

    def _snapshot(self, snapshot: Mapping[str, Any]) -> None:
        views = snapshot.get("counters")
        views = views if isinstance(views, Mapping) else {}
        routed = {int(n) for n in views if str(n).isdigit()}
        for number in sorted(set(self.addresses) - routed):
            log.warning(
                "counter %d: the server doesn't route it to this line (center.toml has its board "
                "elsewhere); its board stays blank",
                number,
            )
        for number in sorted(routed - set(self.addresses)):
            log.warning(
                "counter %d is on this line in center.toml but not in the device file: update the file",
                number,
            )
        for number in self.addresses:
            view = views.get(str(number))
            ticket = view.get("current") if isinstance(view, Mapping) else None
            if isinstance(ticket, Mapping) and ticket.get("state") in ("called", "serving"):
                picture = Picture(
                    str(ticket.get("number")),
                    blink=ticket.get("state") == "called",
                    recalls=int(ticket.get("recalls") or 0),
                )
                self._set(number, str(ticket.get("id")), picture)
            else:
                self._set(number, None, BLANK)

    def apply_event(self, event: Mapping[str, Any]) -> None:
        """Apply one queue event (the ``event`` field of an ``event`` message)."""
        kind = event.get("type")
        if kind in ("DayOpened", "DayClosed"):
            for number in self.addresses:
                self._set(number, None, BLANK)
            return
        counter = event.get("from_counter") if kind == "TicketTransferred" else event.get("counter")
        if not isinstance(counter, int) or counter not in self.addresses:
            return
        ticket, picture = self.current[counter]
        this = str(event.get("ticket"))
        shown = str(event.get("number"))
        if kind == "TicketCalled":
            self._set(counter, this, Picture(shown, blink=True))
        elif kind == "TicketRecalled":
            self._set(counter, this, Picture(shown, blink=True, recalls=int(event.get("recalls") or 1)))
        elif kind == "ServiceStarted":
            recalls = picture.recalls if ticket == this else 0
            self._set(counter, this, Picture(shown, recalls=recalls))
        elif kind == "CounterClosed" or (kind in _DONE and ticket == this):
            self._set(counter, None, BLANK)

    def _set(self, counter: int, ticket: str | None, picture: Picture) -> None:
        self.current[counter] = (ticket, picture)
        self._show(self.addresses[counter], picture)
