"""Events: what happened. The engine returns them; the store appends them to the log;
the hub sends them to the clients. Replaying them with ``QueueEngine.apply`` rebuilds
the engine's state exactly. Frozen values; don't subclass them.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .types import (
    AgencyCode,
    CounterNo,
    Lang,
    OperatorLogin,
    OutcomeCode,
    Priority,
    RatingReason,
    RatingSource,
    ServiceCode,
    Source,
    TicketId,
)

# Spelled out on each class (not aliased) so that type checkers see the dataclasses.


# ``by`` names the supervisor who asked for a change (their login); None when the counter's
# own operator or the server's clock did it. Every who-did-what is in the log.


@dataclass(frozen=True, slots=True, kw_only=True)
class DayOpened:
    day: date
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayClosed:
    at: datetime
    unserved: tuple[TicketId, ...] = ()
    """Tickets that ended CLOSED_UNSERVED."""
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketIssued:
    ticket: TicketId
    number: str
    service: ServiceCode
    agency: AgencyCode
    at: datetime
    lang: Lang = "az"
    priority: Priority = Priority.NONE
    source: Source = Source.KIOSK
    appointment: str | None = None
    slot_at: datetime | None = None
    """A booked citizen's slot: the ticket waits in the appointment lane (docs/routing.md)."""
    ahead: int = 0
    """Citizens expected to be called before this one, at issue."""
    wait_low_min: float = 0.0
    wait_high_min: float = 0.0
    """The printed wait range, in minutes."""
    wait_est_min: float = 0.0
    """The point estimate inside the range (for measuring the predictor)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCancelled:
    ticket: TicketId
    number: str
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketMoved:
    """A supervisor moved a waiting ticket to another service's queue.

    It keeps its place by the time it joined its queue (it has been waiting all along);
    a ticket that waited for a named counter now waits for any counter of ``to_service``.
    """

    ticket: TicketId
    number: str
    from_service: ServiceCode
    to_service: ServiceCode
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCalled:
    ticket: TicketId
    number: str
    service: ServiceCode
    counter: CounterNo
    at: datetime
    lang: Lang | None = None
    """The language the citizen chose for the ticket (the displays say the call in it too).
    None in events logged before the calls carried it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRecalled:
    ticket: TicketId
    number: str
    counter: CounterNo
    recalls: int
    at: datetime
    lang: Lang | None = None
    """As in :class:`TicketCalled`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStarted:
    ticket: TicketId
    number: str
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFinished:
    ticket: TicketId
    number: str
    counter: CounterNo
    at: datetime
    outcome: OutcomeCode | None = None
    """How the visit ended, one of the center's outcomes (``served``, ``documents_missing``,
    ...). None when the operator's app named none, and in events logged before finishes
    carried it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketNoShow:
    ticket: TicketId
    number: str
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketTransferred:
    """The ticket waits again, in ``to_service`` (and for ``to_counter`` if named).

    Its original arrival time is kept for the statistics. ``return_to`` is the
    counter it goes back to once ``to_service`` has finished it.
    """

    ticket: TicketId
    number: str
    from_counter: CounterNo
    to_service: ServiceCode
    at: datetime
    to_counter: CounterNo | None = None
    return_to: CounterNo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketParked:
    ticket: TicketId
    number: str
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterOpened:
    counter: CounterNo
    at: datetime
    operator: OperatorLogin | None = None
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterPaused:
    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterResumed:
    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterClosed:
    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterServicesSet:
    """The services ``counter`` serves from now until the day closes, in order (the order
    counts for ``selection = "strict_order"``). The next day starts from the center file."""

    counter: CounterNo
    services: tuple[ServiceCode, ...]
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HallMessageSet:
    """A supervisor set the displays' scrolling line (None: removed). No queue changes."""

    text: dict[str, str] | None
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitRated:
    """A citizen rated the visit ``counter`` finished at ``finished_at``.

    ``service``, ``agency`` and ``operator`` are those of the visit (at the finish):
    a ticket sent back to its first counter afterwards keeps this rating here.
    """

    ticket: TicketId
    number: str
    counter: CounterNo
    service: ServiceCode
    agency: AgencyCode
    score: int
    finished_at: datetime
    at: datetime
    operator: OperatorLogin | None = None
    reasons: tuple[RatingReason, ...] = ()
    source: RatingSource = RatingSource.COUNTER


# --- bookings ------------------------------------------------------------------------
# A booking is known by its code (8 digits, the citizen's key at the kiosk). The log keeps every
# booking, of today and of later days: the server replays them all at start-up
# (docs/appointments.md). ``by`` names who changed it: None for the booking system's API,
# ``"import"`` for a supervisor's CSV import.


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingMade:
    code: str
    service: ServiceCode
    slot_at: datetime
    """The slot's start, in the center's time zone."""
    at: datetime
    lang: Lang = "az"
    name: str | None = None
    phone: str | None = None
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingMoved:
    code: str
    from_slot: datetime
    slot_at: datetime
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingCancelled:
    code: str
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingCheckedIn:
    """The citizen checked in at a kiosk and got ``ticket`` (issued by the same request)."""

    code: str
    ticket: TicketId
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingMissed:
    """The check-in window of the booking closed (or its day did) without a check-in."""

    code: str
    service: ServiceCode
    slot_at: datetime
    at: datetime


BOOKING_EVENTS = (BookingMade, BookingMoved, BookingCancelled, BookingCheckedIn, BookingMissed)
"""The bookings' events: replayed from the whole log at start-up, not only from today's."""


Event = (
    DayOpened
    | DayClosed
    | TicketIssued
    | TicketCancelled
    | TicketMoved
    | TicketCalled
    | TicketRecalled
    | ServiceStarted
    | TicketFinished
    | TicketNoShow
    | TicketTransferred
    | TicketParked
    | CounterOpened
    | CounterPaused
    | CounterResumed
    | CounterClosed
    | CounterServicesSet
    | HallMessageSet
    | VisitRated
    | BookingMade
    | BookingMoved
    | BookingCancelled
    | BookingCheckedIn
    | BookingMissed
)

EVENT_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(Event)}
"""Event class by its name, the ``type`` field of a serialized event."""


# --- serialization -------------------------------------------------------------------
# The store and the wire both need events as JSON-able dicts; one codec for both.

_Conv = Callable[[Any], Any]


def _optional(inner: _Conv) -> _Conv:
    return lambda v: None if v is None else inner(v)


def _decoder(hint: Any) -> _Conv | None:
    """How to turn a JSON value back into the field's type; None when it is already right."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(args) == 1 and type(None) in typing.get_args(hint):
        inner = _decoder(args[0])
        return None if inner is None else _optional(inner)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return lambda v: tuple(map(item, v))
        return tuple
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    return None


def _encoder(hint: Any) -> _Conv | None:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if len(args) == 1 else hint
    if base in (datetime, date):
        return _optional(lambda v: v.isoformat())
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return lambda v: [x.value for x in v]
        return list
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return _optional(lambda v: v.value)
    return None


@dataclass(frozen=True, slots=True)
class _Codec:
    names: tuple[str, ...]
    encoders: tuple[tuple[str, _Conv], ...]
    """Only the fields whose JSON form differs from their value."""
    decoders: tuple[tuple[str, _Conv], ...]


_CODECS: dict[type[Any], _Codec] = {}


def _codec(cls: type[Any]) -> _Codec:
    codec = _CODECS.get(cls)
    if codec is None:
        hints = typing.get_type_hints(cls)
        names = tuple(f.name for f in dataclasses.fields(cls))
        encoders = tuple((n, e) for n in names if (e := _encoder(hints[n])) is not None)
        decoders = tuple((n, d) for n in names if (d := _decoder(hints[n])) is not None)
        codec = _CODECS[cls] = _Codec(names, encoders, decoders)
    return codec


def event_to_dict(event: Event) -> dict[str, Any]:
    """Return ``{"type": "TicketCalled", "ticket": ..., ...}`` with JSON-able values."""
    codec = _codec(type(event))
    out: dict[str, Any] = {"type": type(event).__name__}
    for name in codec.names:
        out[name] = getattr(event, name)
    for name, enc in codec.encoders:
        out[name] = enc(out[name])
    return out


def event_from_dict(data: dict[str, Any]) -> Event:
    """Inverse of :func:`event_to_dict`. Raises KeyError, TypeError or ValueError on bad input.

    Runs for every event of the log at each start-up, so it converts only the fields
    whose JSON form differs (times, enums, tuples) and passes the rest through.
    """
    cls = EVENT_TYPES[data["type"]]
    kwargs = dict(data)
    del kwargs["type"]
    for name, dec in _codec(cls).decoders:
        if name in kwargs:
            kwargs[name] = dec(kwargs[name])
    event: Event = cls(**kwargs)
    return event
