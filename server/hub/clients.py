"""The connections the hub holds: who each is, and where to find them by role and counter."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection

from wire.protocol import Role
from wire.types import CounterNo, Lang

WATCHERS = frozenset({Role.DISPLAY, Role.BOARDS})
"""Roles that see the calls of a set of counters: displays (by zone), board lines (their boards)."""

SEE_ALL = frozenset({Role.SUPERVISOR, Role.WEB})
"""Roles that see every event: supervisors, and the citizens' web pages (each ticket's page),
but for the bookings' events, which only the supervisors get (``audience``)."""


@dataclass(eq=False)
class Client:
    """One authenticated connection."""

    ws: ServerConnection
    role: Role
    identity: str
    """``kiosk:kiosk-1``, ``counter:12``, ``display:lobby``, ``rating:12``, ``supervisor:login``:
    the key under which this device's request ids are remembered."""
    lang: Lang = "az"
    counter: CounterNo | None = None
    """For a counter app: the counter it is."""
    counters: frozenset[CounterNo] | None = None
    """For a display: the counters of its zones (None: all); for a board line: the counters
    whose boards are on it."""
    login: str | None = None
    waiting_sent: str = ""
    """For a counter app: the last ``waiting`` notice sent to it (unchanged ones are not resent)."""
    terminal_of: CounterNo | None = None
    """For a rating terminal: the counter it stands at."""

    @property
    def device(self) -> str:
        """The device code (or the supervisor's login) without the role."""
        return self.identity.split(":", 1)[1]


class Clients:
    """The registry of authenticated connections, indexed for fan-out.

    Args:
        counters: Every counter of the hall (a display of all zones watches them all).
    """

    def __init__(self, counters: Iterable[CounterNo]) -> None:
        self._all: set[Client] = set()
        self._hall_counters = tuple(counters)
        self.by_role: dict[Role, set[Client]] = {role: set() for role in Role}
        self.at_counter: dict[CounterNo, set[Client]] = collections.defaultdict(set)
        """The counter app connected as each counter (one, after a reconnect replaced the old)."""
        self.watching: dict[CounterNo, set[Client]] = collections.defaultdict(set)
        """The displays and board lines watching each counter."""
        self.terminals: dict[CounterNo, set[Client]] = collections.defaultdict(set)
        """The rating terminal beside each counter (more than one while a restarted one's old
        connection lingers)."""

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._all)

    def __contains__(self, client: object) -> bool:
        return client in self._all

    @property
    def everyone(self) -> set[Client]:
        return self._all

    def add(self, client: Client) -> None:
        self._index(client, set.add)

    def discard(self, client: Client) -> None:
        self._index(client, set.discard)

    def _index(self, client: Client, change: Callable[[set[Client], Client], None]) -> None:
        """Add ``client`` to (or drop it from) every index it belongs in."""
        change(self._all, client)
        change(self.by_role[client.role], client)
        if client.counter is not None:
            change(self.at_counter[client.counter], client)
        if client.terminal_of is not None:
            change(self.terminals[client.terminal_of], client)
        for number in self._watched(client):
            change(self.watching[number], client)

    def _watched(self, client: Client) -> Iterable[CounterNo]:
        if client.role not in WATCHERS:
            return ()
        return client.counters if client.counters is not None else self._hall_counters


def sockets(clients: Iterable[Client]) -> list[ServerConnection]:
    """The connections of ``clients``, for ``websockets.broadcast``."""
    return [client.ws for client in clients]
