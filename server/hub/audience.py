"""Who is told what: the audience of each event and of each notice.

Supervisors see everything. The opening and closing of the day go to everyone. An event of
a counter (a call, a finish, a counter opening, ...) goes to that counter's app and to the
displays and board lines watching that counter; a transfer to both counters it joins.
Kiosks see only the day's opening and closing, and the queue figures, like everyone.
"""

from __future__ import annotations

from wire.events import DayClosed, DayOpened, Event, TicketTransferred
from wire.protocol import Role
from wire.types import CounterNo

from .clients import WATCHERS, Client, Clients


def counters_of(event: Event) -> tuple[CounterNo, ...]:
    """The counters an event happened at (none for the day's and the tickets' own events)."""
    if isinstance(event, TicketTransferred):
        if event.to_counter is None:
            return (event.from_counter,)
        return (event.from_counter, event.to_counter)
    number = getattr(event, "counter", None)
    return (number,) if isinstance(number, int) else ()


def of_event(clients: Clients, event: Event) -> set[Client]:
    """The connections that get ``event`` (the rule of :func:`may_see`, read off the indexes)."""
    audience = set(clients.by_role[Role.SUPERVISOR])
    if isinstance(event, DayOpened | DayClosed):
        return audience | clients.everyone
    for number in counters_of(event):
        audience |= clients.at_counter.get(number, set())
        audience |= clients.watching.get(number, set())
    return audience


def may_see(client: Client, event: Event) -> bool:
    """Whether ``client`` gets ``event``: what a resuming client is sent again."""
    if client.role is Role.SUPERVISOR or isinstance(event, DayOpened | DayClosed):
        return True
    for number in counters_of(event):
        if client.counter == number:
            return True
        if client.role in WATCHERS and (client.counters is None or number in client.counters):
            return True
    return False


def of_hall_message(clients: Clients) -> set[Client]:
    """The displays' scrolling line: displays and supervisors."""
    return clients.by_role[Role.DISPLAY] | clients.by_role[Role.SUPERVISOR]


def of_device_health(clients: Clients) -> set[Client]:
    """Device health reports, alerts and recoveries: supervisors."""
    return clients.by_role[Role.SUPERVISOR]


def sees_hall_message(client: Client) -> bool:
    return client.role in (Role.DISPLAY, Role.SUPERVISOR)
