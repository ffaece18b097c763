"""Every center's queues now, from the events shipped: the national view (read-only).

Each center's current day is replayed through the real queue engine
(:meth:`~server.queue.QueueEngine.apply`, as the hall server does at start-up) with the
center's own configuration, from its last ``DayOpened``; later refreshes apply only the
events shipped since. The figures are therefore the hall's own, *as of the last event
shipped*: a center whose link is down, or a bus offline for days, shows its queues as they
were then, with that time beside them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from server.center import Center
from server.queue import QueueEngine, event_from_dict
from wire.types import CounterState, TicketState

from .models import Base
from .record import CenterStatus, CentralRecord

log = logging.getLogger("novbe.central")

_events = Base.metadata.tables["events"]

_HELD = frozenset({TicketState.CALLED, TicketState.SERVING})


@dataclass(frozen=True, slots=True)
class AgencyQueue:
    agency: str
    waiting: int
    oldest_wait_min: float | None
    """How long the longest-waiting citizen had waited, as of the last event."""
    counters_open: int
    """Counters of the agency open (or paused) at that time."""


@dataclass(frozen=True, slots=True)
class CenterQueues:
    """One center's queues as of its last event shipped."""

    code: str
    center: Center | None
    """Its configuration as shipped; None if its shipper has not sent it yet."""
    day: date | None
    """The service day opened last, None if the central record has none."""
    open: bool
    as_of: datetime | None
    """The time of the last event shipped (the center's clock)."""
    shipped_at: datetime | None
    """When its events last arrived (the central clock)."""
    waiting: int = 0
    oldest_wait_min: float | None = None
    in_service: int = 0
    """Citizens called or at a counter."""
    issued: int = 0
    served: int = 0
    counters_open: int = 0
    counters_paused: int = 0
    counters: int = 0
    agencies: list[AgencyQueue] = field(default_factory=list)
    alerts: int = 0
    problem: str | None = None
    """Why the figures could not be made (no configuration, a log that does not replay)."""


class _Hall:
    """One center's engine, fed the events of its current day as they arrive."""

    def __init__(self, center: Center, config_at: datetime | None) -> None:
        self.center = center
        self.config_at = config_at
        self.engine = QueueEngine(center.to_hall())
        self.seq = 0
        """The last event applied."""
        self.last_at: datetime | None = None

    def apply(self, seq: int, payload: str) -> None:
        data = json.loads(payload)
        event = event_from_dict(data)
        if data["type"] == "DayOpened" and self.engine.is_open:
            # A day the log never closed (the server stopped): start the new one afresh.
            self.engine = QueueEngine(self.center.to_hall())
        self.engine.apply(event)
        self.seq = seq
        self.last_at = datetime.fromisoformat(data["at"])


def _figures(code: str, hall: _Hall, status: CenterStatus) -> CenterQueues:
    engine = hall.engine
    as_of = hall.last_at
    stats = engine.queue_stats()
    counters = engine.counters
    waiting: Counter[str] = Counter()
    oldest: dict[str, datetime] = {}
    for service, stat in stats.items():
        agency = engine.hall.services[service].agency
        waiting[agency] += stat.waiting
        first = stat.oldest_issued_at
        if first is not None and (agency not in oldest or first < oldest[agency]):
            oldest[agency] = first

    def waited(agency: str) -> float | None:
        first = oldest.get(agency)
        return None if first is None or as_of is None else (as_of - first).total_seconds() / 60

    staffed: Counter[str] = Counter(
        engine.hall.counters[n].agency for n, c in counters.items() if c.state is not CounterState.CLOSED
    )
    agencies = [
        AgencyQueue(a.code, waiting[a.code], waited(a.code), staffed[a.code]) for a in hall.center.agencies
    ]
    waits = [a.oldest_wait_min for a in agencies if a.oldest_wait_min is not None]
    tickets = engine.tickets.values()
    return CenterQueues(
        code=code,
        center=hall.center,
        day=engine.day,
        open=engine.is_open,
        as_of=as_of,
        shipped_at=status.last_shipped_at,
        waiting=sum(a.waiting for a in agencies),
        oldest_wait_min=max(waits) if waits else None,
        in_service=sum(1 for t in tickets if t.state in _HELD),
        issued=len(engine.tickets),
        served=sum(c.served for c in counters.values()),
        counters_open=sum(1 for c in counters.values() if c.state is CounterState.OPEN),
        counters_paused=sum(1 for c in counters.values() if c.state is CounterState.PAUSED),
        counters=len(counters),
        agencies=agencies,
        alerts=status.alerts,
    )


class NationalQueues:
    """The queues of every registered center; :meth:`refresh` reads what arrived since."""

    def __init__(self, record: CentralRecord) -> None:
        self.record = record
        self._halls: dict[str, _Hall] = {}

    def _day_start(self, code: str) -> int:
        """The seq of ``code``'s last ``DayOpened`` (0 if none)."""
        query = select(func.coalesce(func.max(_events.c.seq), 0)).where(
            _events.c.center == code, _events.c.type == "DayOpened"
        )
        seq: int = self.record._all(query, f"finding the day of {code}")[0][0]
        return seq

    def refresh(self) -> list[CenterQueues]:
        """Every center's queues now, in code order.

        Raises:
            CentralError: The central database could not be read.
        """
        out = []
        for status in self.record.centers():
            code = status.code
            hall = self._halls.get(code)
            if hall is None or hall.config_at != status.config_at:
                center = self.record.config(code)
                if center is None:
                    out.append(_empty(status, "no configuration shipped yet"))
                    continue
                hall = self._halls[code] = _Hall(center, status.config_at)
                hall.seq = max(0, self._day_start(code) - 1)
            try:
                for seq, _, payload in self.record.log(code).payloads(hall.seq):
                    hall.apply(seq, payload)
            except (AssertionError, KeyError, ValueError, TypeError) as exc:
                # The configuration shipped does not fit the log (a counter added mid-day):
                # read the day again from its start next time.
                del self._halls[code]
                log.warning("queues of %s not replayable: %r", code, exc)
                out.append(_empty(status, f"its log does not replay with its configuration ({exc!r})"))
                continue
            out.append(_figures(code, hall, status))
        return out


def _empty(status: CenterStatus, problem: str) -> CenterQueues:
    return CenterQueues(
        code=status.code,
        center=None,
        day=None,
        open=False,
        as_of=status.last_recorded_at,
        shipped_at=status.last_shipped_at,
        alerts=status.alerts,
        problem=problem,
    )
