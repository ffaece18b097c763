"""Who is told what: the audience of each event and of each notice.

Supervisors and the web process (the citizens' pages, a process of the center's own that
shows no rating) see every event. The opening and closing of the day go to everyone. An event of
a counter (a call, a finish, a counter opening, ...) goes to that counter's app, its rating
terminal and the displays and board lines watching that counter (a change of its services only
to its app and terminal); a transfer to both counters it joins. A citizen's rating goes to that
counter's app and terminal only: the hall's screens show nothing of it, and it has no business
on machines in the public hall. The bookings' events carry a citizen's name and phone: the
supervisors alone get them (not the web process, whose pages need none). Kiosks see only the
day's opening and closing, and the queue figures, like everyone. After the events of a request,
each rating terminal of a counter they happened at (every terminal, for the day's opening and
closing) is told its counter again.
"""

from __future__ import annotations

from collections.abc import Iterable

from wire.events import (
    BOOKING_EVENTS,
    CounterServicesSet,
    DayClosed,
    DayOpened,
    Event,
    TicketTransferred,
    VisitRated,
)
from wire.protocol import Role
from wire.types import CounterNo

from .clients import SEE_ALL, WATCHERS, Client, Clients

_UNWATCHED = (CounterServicesSet, VisitRated)
"""Events of a counter that its app, its terminal and the supervisors get, but not the displays
and board lines watching it: nothing they show changes, and a citizen's rating is not for the
public hall."""


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
    if isinstance(event, BOOKING_EVENTS):
        return set(clients.by_role[Role.SUPERVISOR])
    audience = clients.by_role[Role.SUPERVISOR] | clients.by_role[Role.WEB]
    if isinstance(event, DayOpened | DayClosed):
        return audience | clients.everyone
    watched = not isinstance(event, _UNWATCHED)
    for number in counters_of(event):
        audience |= clients.at_counter.get(number, set())
        audience |= clients.terminals.get(number, set())
        if watched:
            audience |= clients.watching.get(number, set())
    return audience


def may_see(client: Client, event: Event) -> bool:
    """Whether ``client`` gets ``event``: what a resuming client is sent again."""
    if isinstance(event, BOOKING_EVENTS):
        return client.role is Role.SUPERVISOR
    if client.role in SEE_ALL or isinstance(event, DayOpened | DayClosed):
        return True
    watched = not isinstance(event, _UNWATCHED)
    for number in counters_of(event):
        if number in (client.counter, client.terminal_of):
            return True
        if watched and client.role in WATCHERS and (client.counters is None or number in client.counters):
            return True
    return False


def terminals_told(clients: Clients, events: Iterable[Event]) -> dict[CounterNo, set[Client]]:
    """The rating terminals to tell their counter again after ``events``, by counter."""
    touched: set[CounterNo] = set()
    for event in events:
        if isinstance(event, DayOpened | DayClosed):
            touched = set(clients.terminals)
            break
        touched.update(counters_of(event))
    return {n: clients.terminals[n] for n in touched if clients.terminals.get(n)}


def of_hall_message(clients: Clients) -> set[Client]:
    """The displays' scrolling line: displays and supervisors."""
    return clients.by_role[Role.DISPLAY] | clients.by_role[Role.SUPERVISOR]


def of_device_health(clients: Clients) -> set[Client]:
    """Device health reports, alerts and recoveries: supervisors."""
    return clients.by_role[Role.SUPERVISOR]


def sees_hall_message(client: Client) -> bool:
    return client.role in (Role.DISPLAY, Role.SUPERVISOR)
