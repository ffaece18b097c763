"""The event log, read once into facts: tickets, queue visits, outcomes and ratings.

One streaming pass over the days asked for (:func:`read_facts`). Each event's JSON is read
for the fields the report needs, by name, so that a log written by an older version (a
ticket without a printed wait range, a ``DayClosed`` without its list of unserved tickets)
is read as it is, and events of a type this version does not know are counted and skipped.

Definitions (docs/reports.md explains them for the reader of a report):

* A **ticket** is a citizen's arrival (``TicketIssued``), at the service it was taken for.
* A **visit** is one stay in a service's queue: it starts when the ticket is issued, or
  when a counter sends the citizen to a service (a transfer without a named counter); it
  ends at the first call (its *wait*), with a cancellation, or at the close of the day
  (*unserved*). A transfer to a named counter, and the return of a citizen sent to pay a fee
  (``return_to_me``), is no new visit: that citizen goes to one counter, ahead of the queue.
  A supervisor moving a waiting ticket to another service (``TicketMoved``) continues its
  visit there (the citizen has been waiting all along), or starts one if it waited for a
  named counter.
* An **outcome** is a ticket leaving a service: *served* (``TicketFinished``, with its
  *service time*: call to release, over every stay at a counter for that service, and how
  the visit ended as the operator said at the finish: ``served``, ``documents_missing``, ...
  of the center's outcomes, or none in a log from before finishes carried it), *no-show*,
  *transfer* (sent on by a counter; the return of a fee payer is not one), *cancelled*, or
  *unserved* (still in the hall when the day closed). A ticket the day did not close on is
  none of these (*open*).
* A **rating** is a ``VisitRated``, with the visit's service, counter and operator.

Counters are named by number; an operator is whoever was logged in at the counter
(``CounterOpened``) when it acted.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from wire.types import WaitRange


class EventLog(Protocol):
    """What a report reads a log through: a hall's :class:`~server.store.EventStore`, or one
    center's log in the central record (:class:`central.CenterLog`)."""

    def payloads(
        self,
        after_seq: int = 0,
        upto_seq: int | None = None,
        *,
        types: Collection[str] | None = None,
        batch: int = 10_000,
    ) -> Iterator[tuple[int, str, str]]:
        """``(seq, type, payload)`` after ``after_seq`` up to ``upto_seq``, in seq order."""
        ...

    def last_seq(self) -> int:
        """The seq of the last event, 0 for an empty log."""
        ...


READ_TYPES = frozenset(
    {
        "DayOpened",
        "DayClosed",
        "TicketIssued",
        "TicketCancelled",
        "TicketCalled",
        "TicketFinished",
        "TicketNoShow",
        "TicketTransferred",
        "TicketMoved",
        "TicketParked",
        "CounterOpened",
        "CounterClosed",
        "VisitRated",
    }
)
"""The event types the report reads (it decodes no other)."""

KNOWN_TYPES = READ_TYPES | {
    "TicketRecalled",
    "ServiceStarted",
    "CounterPaused",
    "CounterResumed",
    "CounterServicesSet",
    "HallMessageSet",
    "BookingMade",
    "BookingMoved",
    "BookingCancelled",
    "BookingCheckedIn",
    "BookingMissed",
}
"""Types this version knows, read or not. Anything else in the log is counted in
:attr:`Facts.skipped` (a log written by a newer version)."""

# How a visit ended.
CALLED, UNSERVED, CANCELLED, OPEN = range(4)

# Outcomes.
SERVED, NO_SHOW, TRANSFER, CANCEL, NOT_SERVED = "served", "no_show", "transfer", "cancelled", "unserved"
OUTCOMES = (SERVED, NO_SHOW, TRANSFER, CANCEL, NOT_SERVED)

NAN = math.nan


@dataclass(slots=True)
class Facts:
    """Everything a report counts, as parallel columns (one list per field).

    ``*_day`` columns index :attr:`days`; hours are local to the center's time zone.
    """

    days: list[date] = field(default_factory=list)
    """Service days read, in order (``DayOpened.day``)."""
    closed: list[bool] = field(default_factory=list)
    """Whether each day has its ``DayClosed``."""
    still_open: list[int] = field(default_factory=list)
    """Per day: tickets still in the hall at the end of a day that was not closed."""

    # Tickets (arrivals, and the printed wait range of their first visit).
    t_day: list[int] = field(default_factory=list)
    t_hour: list[int] = field(default_factory=list)
    t_service: list[str] = field(default_factory=list)
    t_agency: list[str] = field(default_factory=list)
    t_visit: list[int] = field(default_factory=list)
    """The ticket's first visit (an index into the visit columns)."""
    t_low: list[float] = field(default_factory=list)
    t_high: list[float] = field(default_factory=list)
    """The printed range in whole minutes; NaN when the ticket carries none (an older log)."""

    # Visits.
    v_day: list[int] = field(default_factory=list)
    v_hour: list[int] = field(default_factory=list)
    """Hour the visit started."""
    v_start: list[float] = field(default_factory=list)
    """When it started, in POSIX seconds."""
    v_service: list[str] = field(default_factory=list)
    v_agency: list[str] = field(default_factory=list)
    v_wait: list[float] = field(default_factory=list)
    """Minutes from the start of the visit to the call; NaN if never called."""
    v_end: list[int] = field(default_factory=list)
    """CALLED, UNSERVED, CANCELLED or OPEN."""
    v_counter: list[int] = field(default_factory=list)
    """The counter that called it (0 if none)."""
    v_operator: list[str] = field(default_factory=list)

    # Outcomes.
    o_kind: list[str] = field(default_factory=list)
    o_day: list[int] = field(default_factory=list)
    o_service: list[str] = field(default_factory=list)
    o_agency: list[str] = field(default_factory=list)
    o_counter: list[int] = field(default_factory=list)
    o_operator: list[str] = field(default_factory=list)
    o_minutes: list[float] = field(default_factory=list)
    """Service time of a served outcome; NaN for the others."""
    o_visit: list[str] = field(default_factory=list)
    """How a served visit ended (``TicketFinished.outcome``); "" when none was named, and
    for the other outcomes."""

    # Ratings.
    r_day: list[int] = field(default_factory=list)
    r_service: list[str] = field(default_factory=list)
    r_agency: list[str] = field(default_factory=list)
    r_counter: list[int] = field(default_factory=list)
    r_operator: list[str] = field(default_factory=list)
    r_score: list[int] = field(default_factory=list)
    r_reasons: list[tuple[str, ...]] = field(default_factory=list)

    events: int = 0
    """Events read."""
    unreadable: int = 0
    """Events of a known type that lacked a field or did not fit the day (a damaged log)."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Events of types this version does not know, by type."""

    def skeleton(self) -> Facts:
        """The days alone (whether closed, who was left): what figures need besides the
        columns (:meth:`report.figures.Columns.slim`)."""
        return Facts(
            days=self.days,
            closed=self.closed,
            still_open=self.still_open,
            events=self.events,
            unreadable=self.unreadable,
            skipped=self.skipped,
        )


class _Ticket:
    __slots__ = ("agency", "done", "held", "service", "spent", "visit")

    def __init__(self, service: str, agency: str, visit: int) -> None:
        self.service = service
        self.agency = agency
        self.visit = visit
        """Its visit not called yet, or -1."""
        self.held: tuple[int, float] | None = None
        """(counter, called at) while a counter holds it."""
        self.spent: dict[str, float] = {}
        """Service -> minutes at counters so far, for the service time."""
        self.done = False
        """Finished (and not sent back), no-show or cancelled."""


def _ts(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


class _Reader:
    """The fold: one method per event type, filling a :class:`Facts`."""

    def __init__(self, tz: tzinfo, service_agency: dict[str, str]) -> None:
        self.tz = tz
        self.service_agency = service_agency
        self.f = Facts()
        self.agency_of: dict[str, str] = {}
        """Service -> agency, as the day's tickets say (``TicketIssued``). Nothing read
        carries over from one day to the next, so that days read one at a time give the
        same facts as a period read at once (:func:`concat_days`)."""
        self.day = -1
        self.tickets: dict[str, _Ticket] = {}
        self.operators: dict[int, str] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "DayOpened": self.day_opened,
            "DayClosed": self.day_closed,
            "TicketIssued": self.issued,
            "TicketCancelled": self.cancelled,
            "TicketCalled": self.called,
            "TicketFinished": self.finished,
            "TicketNoShow": self.no_show,
            "TicketTransferred": self.transferred,
            "TicketMoved": self.moved,
            "TicketParked": self.parked,
            "CounterOpened": self.counter_opened,
            "CounterClosed": self.counter_closed,
            "VisitRated": self.rated,
        }

    # --- visits and outcomes ----------------------------------------------------------------

    def visit(self, service: str, agency: str, at: str) -> int:
        f = self.f
        moment = datetime.fromisoformat(at)
        f.v_day.append(self.day)
        f.v_hour.append(moment.astimezone(self.tz).hour)
        f.v_start.append(moment.timestamp())
        f.v_service.append(service)
        f.v_agency.append(agency)
        f.v_wait.append(NAN)
        f.v_end.append(OPEN)
        f.v_counter.append(0)
        f.v_operator.append("")
        return len(f.v_day) - 1

    def outcome(self, kind: str, t: _Ticket, counter: int = 0, minutes: float = NAN, visit: str = "") -> None:
        f = self.f
        f.o_visit.append(visit)
        f.o_kind.append(kind)
        f.o_day.append(self.day)
        f.o_service.append(t.service)
        f.o_agency.append(t.agency)
        f.o_counter.append(counter)
        f.o_operator.append(self.operators.get(counter, "") if counter else "")
        f.o_minutes.append(minutes)

    def release(self, t: _Ticket, at: str) -> int:
        """The counter holding ``t`` lets it go: count the stay; return the counter."""
        if t.held is None:  # not expected from the engine; a broken log loses only this stay
            return 0
        counter, since = t.held
        t.held = None
        t.spent[t.service] = t.spent.get(t.service, 0.0) + (_ts(at) - since) / 60
        return counter

    def end_day(self) -> None:
        """The log ends, or the next day opens, without this day's DayClosed."""
        if self.day >= 0 and not self.f.closed[self.day]:
            self.f.still_open[self.day] = sum(1 for t in self.tickets.values() if not t.done)
        self.tickets = {}
        self.operators = {}

    # --- one method per event --------------------------------------------------------------

    def day_opened(self, e: dict[str, Any]) -> None:
        self.end_day()
        self.agency_of = {}
        f = self.f
        f.days.append(date.fromisoformat(e["day"]))
        f.closed.append(False)
        f.still_open.append(0)
        self.day = len(f.days) - 1

    def day_closed(self, e: dict[str, Any]) -> None:
        # Every ticket not final ends unserved: what the engine does, whether or not this
        # (older) event lists them.
        for t in self.tickets.values():
            if t.done:
                continue
            if t.visit >= 0:
                self.f.v_end[t.visit] = UNSERVED
                t.visit = -1
            self.outcome(NOT_SERVED, t)
            t.done = True
        self.f.closed[self.day] = True
        self.operators = {}

    def issued(self, e: dict[str, Any]) -> None:
        f = self.f
        service, agency, at = e["service"], e["agency"], e["at"]
        self.agency_of[service] = agency
        v = self.visit(service, agency, at)
        self.tickets[e["ticket"]] = _Ticket(service, agency, v)
        f.t_day.append(self.day)
        f.t_hour.append(f.v_hour[v])
        f.t_service.append(service)
        f.t_agency.append(agency)
        f.t_visit.append(v)
        if "wait_high_min" in e:
            # The range the ticket showed: the server's one rounding rule.
            printed = WaitRange.promise(e.get("wait_low_min", 0.0), e["wait_high_min"])
            f.t_low.append(printed.low_min)
            f.t_high.append(printed.high_min)
        else:
            f.t_low.append(NAN)
            f.t_high.append(NAN)

    def cancelled(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        if t.visit >= 0:
            self.f.v_end[t.visit] = CANCELLED
            t.visit = -1
        self.outcome(CANCEL, t)
        t.done = True

    def called(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        counter, at = e["counter"], e["at"]
        now = _ts(at)
        t.held = (counter, now)
        if t.visit >= 0:
            f, v = self.f, t.visit
            f.v_wait[v] = (now - f.v_start[v]) / 60
            f.v_end[v] = CALLED
            f.v_counter[v] = counter
            f.v_operator[v] = self.operators.get(counter, "")
            t.visit = -1

    def finished(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        counter = self.release(t, e["at"])
        self.outcome(SERVED, t, counter, t.spent.pop(t.service, 0.0), e.get("outcome") or "")
        t.done = True

    def no_show(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        t.held = None
        self.outcome(NO_SHOW, t, e["counter"])
        t.done = True

    def parked(self, e: dict[str, Any]) -> None:
        self.release(self.tickets[e["ticket"]], e["at"])

    def transferred(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        service = e["to_service"]
        if t.done:
            # The return of a fee payer, right after the finish at the other service: it
            # continues the first visit and counts as no transfer.
            t.done = False
        else:
            self.release(t, e["at"])
            self.outcome(TRANSFER, t, e["from_counter"])
        t.service = service
        t.agency = self.agency_of.get(service) or self.service_agency.get(service, "")
        if e.get("to_counter") is None:
            t.visit = self.visit(service, t.agency, e["at"])

    def moved(self, e: dict[str, Any]) -> None:
        t = self.tickets[e["ticket"]]
        service = e["to_service"]
        t.service = service
        t.agency = self.agency_of.get(service) or self.service_agency.get(service, "")
        if t.visit >= 0:
            self.f.v_service[t.visit] = service
            self.f.v_agency[t.visit] = t.agency
        else:
            t.visit = self.visit(service, t.agency, e["at"])

    def counter_opened(self, e: dict[str, Any]) -> None:
        self.operators[e["counter"]] = e.get("operator") or ""

    def counter_closed(self, e: dict[str, Any]) -> None:
        self.operators.pop(e["counter"], None)

    def rated(self, e: dict[str, Any]) -> None:
        f = self.f
        f.r_day.append(self.day)
        f.r_service.append(e["service"])
        f.r_agency.append(e["agency"])
        f.r_counter.append(e["counter"])
        f.r_operator.append(e.get("operator") or "")
        f.r_score.append(e["score"])
        f.r_reasons.append(tuple(e.get("reasons", ())))


def day_starts(store: EventLog) -> list[tuple[int, date]]:
    """``(seq, day)`` of every ``DayOpened`` of the log, in order (days only go forward)."""
    return [
        (seq, date.fromisoformat(json.loads(payload)["day"]))
        for seq, _, payload in store.payloads(types=("DayOpened",))
    ]


def read_facts(
    store: EventLog,
    first: date,
    last: date,
    tz: tzinfo,
    *,
    service_agency: dict[str, str] | None = None,
    starts: list[tuple[int, date]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Facts:
    """Read the service days ``first`` to ``last`` (inclusive) of the log in one pass.

    Args:
        tz: The center's time zone, for the hours.
        service_agency: Service -> agency from the configuration, for services the log
            names before any ticket of theirs is issued.
        starts: :func:`day_starts` of the log, if the caller has it already.
        progress: Called with the number of events read, every few thousand.
    """
    starts = day_starts(store) if starts is None else starts
    wanted = [i for i, (_, day) in enumerate(starts) if first <= day <= last]
    reader = _Reader(tz, service_agency or {})
    if not wanted:
        return reader.f
    after = starts[wanted[0]][0] - 1
    upto = starts[wanted[-1] + 1][0] - 1 if wanted[-1] + 1 < len(starts) else None
    handlers = reader.handlers
    # The payload is canonical JSON (no surrounding blanks): raw_decode skips the two blank
    # scans of decode(), a tenth of a month's reading.
    decode = json.JSONDecoder().raw_decode
    f = reader.f
    count = 0
    for _, type_name, payload in store.payloads(after, upto):
        count += 1
        if progress is not None and count % 20_000 == 0:
            progress(20_000)
        handler = handlers.get(type_name)
        if handler is None:
            if type_name not in KNOWN_TYPES:
                f.skipped[type_name] += 1
            continue
        try:
            handler(decode(payload)[0])
        except (KeyError, ValueError, TypeError):
            f.unreadable += 1
    if progress is not None:
        progress(count % 20_000)
    reader.end_day()
    f.events = count
    return f


def concat_days(parts: Sequence[Facts]) -> Facts:
    """The facts of consecutive stretches of one log (each read on its own, in log order) as
    if read at once: day and visit indices shift, nothing else changes."""
    out = Facts()
    for f in parts:
        days, visits = len(out.days), len(out.v_day)
        out.days += f.days
        out.closed += f.closed
        out.still_open += f.still_open
        for name in _ROW_COLUMNS:
            values = getattr(f, name)
            if name.endswith("_day"):
                values = [d + days for d in values]
            elif name == "t_visit":
                values = [v + visits for v in values]
            getattr(out, name).extend(values)
        out.events += f.events
        out.unreadable += f.unreadable
        out.skipped += f.skipped
    return out


_ROW_COLUMNS = tuple(f.name for f in dataclasses.fields(Facts) if f.name[:2] in ("t_", "v_", "o_", "r_"))
"""The per-ticket, per-visit, per-outcome and per-rating columns of :class:`Facts`."""

FACTS_FORMAT = 2
"""The version of what :func:`read_facts` makes and :func:`pack_facts` writes. Facts kept
packed (the central record's digest of each day) are read only at this version: raise it
whenever the reading changes what it makes of a log."""

_STRINGS = frozenset({"t_service", "t_agency", "v_service", "v_agency", "v_operator", "o_kind", "o_service",
                      "o_agency", "o_operator", "o_visit", "r_service", "r_agency",
                      "r_operator"})  # fmt: skip
_FLOATS = frozenset({"t_low", "t_high", "v_start", "v_wait", "o_minutes"})


def pack_facts(facts: Facts) -> bytes:
    """``facts`` as bytes (numpy's npz, compressed, no pickled objects): numbers as arrays,
    names as numbers and one list of the names, the rest as JSON."""
    names: dict[str, int] = {}
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name in _ROW_COLUMNS:
        values = getattr(facts, name)
        if name in _STRINGS:
            arrays[name] = np.fromiter(
                (names.setdefault(v, len(names)) for v in values), np.int32, len(values)
            )
        elif name in _FLOATS:
            arrays[name] = np.asarray(values, dtype=np.float64)
        elif name == "r_reasons":
            arrays[name] = np.fromiter(
                (names.setdefault("\t".join(r), len(names)) for r in values), np.int32, len(values)
            )
        else:
            arrays[name] = np.asarray(values, dtype=np.int64)
    head = {
        "format": FACTS_FORMAT,
        "names": list(names),
        "days": [d.isoformat() for d in facts.days],
        "closed": facts.closed,
        "still_open": facts.still_open,
        "events": facts.events,
        "unreadable": facts.unreadable,
        "skipped": dict(facts.skipped),
    }
    arrays["head"] = np.frombuffer(json.dumps(head, ensure_ascii=False).encode(), dtype=np.uint8)
    out = io.BytesIO()
    columns: dict[str, Any] = arrays  # savez takes any keyword as an array's name
    np.savez_compressed(out, **columns)
    return out.getvalue()


def unpack_facts(data: bytes) -> Facts:
    """The facts :func:`pack_facts` packed.

    Raises:
        ValueError: ``data`` is not packed facts of :data:`FACTS_FORMAT`.
    """
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        head = json.loads(arrays["head"].tobytes().decode())
        if head.get("format") != FACTS_FORMAT:
            raise ValueError(f"packed facts of format {head.get('format')}, not {FACTS_FORMAT}")
        names: list[str] = head["names"]
        f = Facts(
            days=[date.fromisoformat(d) for d in head["days"]],
            closed=head["closed"],
            still_open=head["still_open"],
            events=head["events"],
            unreadable=head["unreadable"],
            skipped=Counter(head["skipped"]),
        )
        for name in _ROW_COLUMNS:
            column = arrays[name]
            if name in _STRINGS:
                setattr(f, name, [names[i] for i in column.tolist()])
            elif name == "r_reasons":
                setattr(f, name, [tuple(names[i].split("\t")) if names[i] else () for i in column.tolist()])
            else:
                setattr(f, name, column.tolist())
    return f
