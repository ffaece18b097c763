"""The rating terminals' part of the hub: which visits a terminal may rate at all, and what it
is told of its counter.

The engine keeps the rules of the visit (its counter's last one, once, within the hall's
window: Rule V-1) and knows nothing of devices; the hub adds the device's rule: a terminal
rates only what was finished at the counter it stands beside.
"""

from __future__ import annotations

from wire.types import CounterNo, TicketId, TicketState

from ..queue import QueueEngine
from ..queue.exceptions import RatingRefused, UnknownTicket
from ..queue.records import Ticket


def finished_at(ticket: Ticket) -> CounterNo | None:
    """The counter that finished the ticket's latest visit (None: none did yet). A ticket sent
    to the bank and back has two visits; the later one is the one to rate."""
    return next((where for _, state, where in reversed(ticket.history) if state is TicketState.DONE), None)


def check_terminal(engine: QueueEngine, ticket: TicketId, counter: CounterNo) -> None:
    """Refuse a rating of ``ticket`` from the terminal of ``counter`` unless that counter
    finished the ticket's latest visit.

    Raises:
        UnknownTicket: No such ticket today.
        RatingRefused: ``details["reason"]`` is ``"other_counter"``.
    """
    found = engine.tickets.get(ticket)
    if found is None:
        raise UnknownTicket(f"can't rate ticket {ticket}: no such ticket today", ticket=ticket)
    where = finished_at(found)
    if where != counter:
        served = f"its visit was finished at counter {where}" if where else "no counter has finished it"
        raise RatingRefused(
            f"can't rate ticket {ticket} from the terminal of counter {counter}: {served}",
            reason="other_counter",
            counter=counter,
            ticket=ticket,
        )
