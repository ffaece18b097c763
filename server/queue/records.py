"""What the engine exposes about tickets and counters, and how it keeps them.

Callers get frozen values (:class:`Ticket`, :class:`CounterStatus`,
:class:`QueueStat`): a snapshot taken when they asked, which the engine never
changes afterwards. Inside, the engine mutates small slotted records
(:class:`TicketRecord`, :class:`CounterRecord`) because applying an event must
be cheap (a day's log is replayed at every restart); a record caches its
snapshot until its next change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wire.types import (
    AgencyCode,
    CounterNo,
    CounterState,
    Lang,
    OperatorLogin,
    Priority,
    ServiceCode,
    Source,
    TicketId,
    TicketState,
)

HistoryEntry = tuple[datetime, TicketState, CounterNo | None]
"""``(at, state, counter)``: the ticket entered ``state`` at ``at`` (at ``counter``,
or for WAITING, in the lane of that named counter)."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as it was when the snapshot was taken."""

    id: TicketId
    number: str
    """What the display shows: ``"A015"``."""
    service: ServiceCode
    """The service it is in now (changes with a transfer)."""
    agency: AgencyCode
    """The agency of ``service``."""
    lang: Lang
    priority: Priority
    source: Source
    appointment: str | None
    slot_at: datetime | None
    """A booked citizen's slot, while the ticket is in the appointment lane of its service
    (None for walk-ins, and once transferred: the slot was for the first service)."""
    issued_at: datetime
    """The citizen's original arrival, kept across transfers."""
    queued_at: datetime
    """When it joined its current queue: its place in line."""
    state: TicketState
    counter: CounterNo | None
    """The counter holding it (CALLED, SERVING), that parked it, or that ended it."""
    target_counter: CounterNo | None
    """While WAITING: the only counter that may call it, if it was sent to one by name."""
    return_to: CounterNo | None
    """The counter it goes back to once its current service is finished."""
    recalls: int
    """Recalls since it was last called."""
    history: tuple[HistoryEntry, ...]
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class CounterStatus:
    """A counter as it was when the snapshot was taken, with today's figures."""

    number: CounterNo
    state: CounterState
    operator: OperatorLogin | None
    current: TicketId | None
    """The ticket it holds (CALLED or SERVING)."""
    since: datetime | None
    """When it entered ``state``."""
    served: int = 0
    """Tickets finished here today."""
    service_seconds: float = 0.0
    """Total start-to-finish time of the tickets finished here today."""
    no_shows: int = 0
    transferred: int = 0


@dataclass(frozen=True, slots=True)
class QueueStat:
    waiting: int
    oldest_issued_at: datetime | None
    """Original arrival of the longest-waiting citizen, transfers included."""


class TicketRecord:
    """The engine's mutable ticket. Only ``QueueEngine.apply`` changes it."""

    __slots__ = (
        "agency",
        "appointment",
        "called_at",
        "counter",
        "finished_at",
        "history",
        "id",
        "issued_at",
        "key",
        "lang",
        "number",
        "prio",
        "priority",
        "queued_at",
        "queued_ts",
        "recalls",
        "return_service",
        "return_to",
        "seq",
        "service",
        "slot_at",
        "slot_key",
        "snap",
        "source",
        "started_at",
        "state",
        "target_counter",
    )

    def __init__(
        self,
        *,
        id: TicketId,
        number: str,
        service: ServiceCode,
        agency: AgencyCode,
        lang: Lang,
        priority: Priority,
        source: Source,
        appointment: str | None,
        at: datetime,
        seq: int,
        slot_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.number = number
        self.service = service
        self.agency = agency
        self.lang: Lang = lang
        self.priority = priority
        self.prio = priority is not Priority.NONE
        """In the priority-right lane of its service."""
        self.source = source
        self.appointment = appointment
        self.issued_at = at
        self.queued_at = at
        self.queued_ts = at.timestamp()
        self.seq = seq
        """Order of joining a queue, engine-wide: breaks ties between equal times."""
        self.key = (self.queued_ts, seq)
        """Place in line: ``(queued_ts, seq)``."""
        self.slot_at = slot_at
        self.slot_key: tuple[float, int] | None = None if slot_at is None else (slot_at.timestamp(), seq)
        """Place in the appointment lane: ``(slot, seq)``; None outside it."""
        self.state = TicketState.WAITING
        self.counter: CounterNo | None = None
        self.target_counter: CounterNo | None = None
        self.return_to: CounterNo | None = None
        self.return_service: ServiceCode | None = None
        """The service to go back to with ``return_to``."""
        self.recalls = 0
        self.history: list[HistoryEntry] = [(at, TicketState.WAITING, None)]
        self.called_at: datetime | None = None
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.snap: Ticket | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> TicketRecord:
        # QueueEngine.clone(): every field but the history is immutable (str, enum,
        # datetime, tuple, frozen snapshot), so a field-by-field copy is a deep one,
        # and far quicker than copy.deepcopy's generic walk.
        new = TicketRecord.__new__(TicketRecord)
        memo[id(self)] = new
        for name in TicketRecord.__slots__:
            setattr(new, name, getattr(self, name))
        new.history = list(self.history)
        return new

    def snapshot(self) -> Ticket:
        snap = self.snap
        if snap is None:
            snap = self.snap = Ticket(
                id=self.id,
                number=self.number,
                service=self.service,
                agency=self.agency,
                lang=self.lang,
                priority=self.priority,
                source=self.source,
                appointment=self.appointment,
                slot_at=self.slot_at,
                issued_at=self.issued_at,
                queued_at=self.queued_at,
                state=self.state,
                counter=self.counter,
                target_counter=self.target_counter,
                return_to=self.return_to,
                recalls=self.recalls,
                history=tuple(self.history),
                called_at=self.called_at,
                started_at=self.started_at,
                finished_at=self.finished_at,
            )
        return snap


class CounterRecord:
    """The engine's mutable counter. Only ``QueueEngine.apply`` changes it."""

    __slots__ = (
        "current",
        "no_shows",
        "number",
        "operator",
        "served",
        "service_seconds",
        "since",
        "snap",
        "state",
        "transferred",
    )

    def __init__(self, number: CounterNo) -> None:
        self.number = number
        self.reset(None)

    def reset(self, at: datetime | None) -> None:
        """Start a new day: closed, nobody logged in, figures at zero."""
        self.state = CounterState.CLOSED
        self.operator: OperatorLogin | None = None
        self.current: TicketRecord | None = None
        self.since: datetime | None = at
        self.served = 0
        self.service_seconds = 0.0
        self.no_shows = 0
        self.transferred = 0
        self.snap: CounterStatus | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> CounterRecord:
        # As TicketRecord's: only ``current`` needs a deep copy (the clone's own ticket).
        new = CounterRecord.__new__(CounterRecord)
        memo[id(self)] = new
        for name in CounterRecord.__slots__:
            setattr(new, name, getattr(self, name))
        if self.current is not None:
            new.current = copy.deepcopy(self.current, memo)
        return new

    def snapshot(self) -> CounterStatus:
        snap = self.snap
        if snap is None:
            current = self.current
            snap = self.snap = CounterStatus(
                number=self.number,
                state=self.state,
                operator=self.operator,
                current=None if current is None else current.id,
                since=self.since,
                served=self.served,
                service_seconds=self.service_seconds,
                no_shows=self.no_shows,
                transferred=self.transferred,
            )
        return snap


class TicketsView(Mapping[TicketId, Ticket]):
    """Read-only mapping of the day's tickets, by id, in order of issue."""

    __slots__ = ("_records",)

    def __init__(self, records: dict[TicketId, TicketRecord]) -> None:
        self._records = records

    def __getitem__(self, key: TicketId) -> Ticket:
        return self._records[key].snapshot()

    def __iter__(self) -> Iterator[TicketId]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


class CountersView(Mapping[CounterNo, CounterStatus]):
    """Read-only mapping of the hall's counters, by number."""

    __slots__ = ("_records",)

    def __init__(self, records: dict[CounterNo, CounterRecord]) -> None:
        self._records = records

    def __getitem__(self, key: CounterNo) -> CounterStatus:
        return self._records[key].snapshot()

    def __iter__(self) -> Iterator[CounterNo]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


@dataclass(slots=True, kw_only=True)
class LastVisit:
    """A finished visit: the counter's last (the only one its rating terminal may rate) and
    the ticket's latest (the one its phone page may rate). One object for both, so that a
    visit has one rating in all, whoever gives it."""

    ticket: TicketId
    counter: CounterNo
    """The counter that finished it."""
    number: str
    service: ServiceCode
    """The service of the visit, kept even if the ticket is sent back to another one."""
    agency: AgencyCode
    operator: OperatorLogin | None
    finished_at: datetime
    rated_at: datetime | None = None
