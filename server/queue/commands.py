"""Commands: what the hall asks the engine to do. Frozen values; don't subclass them.

Every command carries ``at``, the moment it happened (an aware datetime). The engine
never reads the clock. A supervisor's command carries ``by``, the supervisor's login, which
its events record (None: the counter's own operator, or the server's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from wire.types import (
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


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDay:
    day: date
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseDay:
    """Tickets still waiting, called or parked end as CLOSED_UNSERVED."""

    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepDay:
    """The clock: open the service day or close it, as the hall's hours say.

    Sent every little while by the server; most of the time it changes nothing. See
    ``QueueEngine`` (Rule D-1) for when a day opens and closes by itself.
    """

    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueTicket:
    service: ServiceCode
    at: datetime
    lang: Lang = "az"
    priority: Priority = Priority.NONE
    source: Source = Source.KIOSK
    appointment: str | None = None
    """The booking code an appointment ticket was checked in with."""
    slot_at: datetime | None = None
    """The booked slot's start, for a citizen checking in (with ``appointment``): the ticket
    joins the appointment lane. Refused outside the hall's check-in window."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTicket:
    ticket: TicketId
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveTicket:
    """Move a waiting ticket to another service's queue (a supervisor's correction: the
    citizen took the wrong service, or waits where no counter is open)."""

    ticket: TicketId
    to_service: ServiceCode
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenCounter:
    """Open a counter; with an ``operator``, log them in there (an operator's login).

    A login is refused with ``CounterTaken`` while another operator works at the counter,
    and with ``OperatorElsewhere`` while this operator works at another one.
    """

    counter: CounterNo
    at: datetime
    operator: OperatorLogin | None = None
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseCounter:
    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeCounter:
    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseCounter:
    """Close a counter; refused while it holds a ticket (finish or park it first)."""

    counter: CounterNo
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCounterServices:
    """Set the services a counter serves until the day closes, in order of preference."""

    counter: CounterNo
    services: tuple[ServiceCode, ...]
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetHallMessage:
    """Set the displays' scrolling line (None removes it); recorded in the log, no queue changes."""

    text: dict[str, str] | None
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallNext:
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTicket:
    """Call one ticket by id: a ticket this counter parked, or a waiting one."""

    counter: CounterNo
    ticket: TicketId
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Recall:
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StartService:
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishService:
    counter: CounterNo
    at: datetime
    outcome: OutcomeCode | None = None
    """How the visit ended: one of ``hall.outcomes``, or None to record none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkNoShow:
    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """Send the counter's current ticket to another service and/or a named counter.

    With ``return_to_me`` the ticket comes back to this counter, ahead of new
    arrivals, once the other service has finished it.
    """

    counter: CounterNo
    at: datetime
    to_service: ServiceCode | None = None
    to_counter: CounterNo | None = None
    return_to_me: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Park:
    """Set the current ticket aside (the citizen fetches a document); CallTicket brings it back."""

    counter: CounterNo
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RateVisit:
    """The citizen's rating of the visit that ``counter`` finished last.

    Refused (``RatingRefused``) unless ``ticket`` is the last ticket finished at
    ``counter``, its visit is not rated yet, and ``at`` is within the hall's
    ``rating_window_min`` of the finish.
    """

    counter: CounterNo
    ticket: TicketId
    score: int
    """1 (very unhappy) to 5 (very satisfied)."""
    at: datetime
    reasons: tuple[RatingReason, ...] = ()
    source: RatingSource = RatingSource.COUNTER


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeBooking:
    """Book a citizen into a slot of ``service`` (rules in :mod:`server.queue.book`).

    ``code`` is chosen by the caller (8 random digits): the engine reads no randomness, it
    refuses a code already known (``BookingRefused`` ``code_taken``) and the caller draws again.
    """

    code: str
    service: ServiceCode
    slot_at: datetime
    at: datetime
    lang: Lang = "az"
    name: str | None = None
    phone: str | None = None
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveBooking:
    code: str
    slot_at: datetime
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelBooking:
    code: str
    at: datetime
    by: OperatorLogin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckIn:
    """A booked citizen at the kiosk: the booking's ticket, in the appointment lane, or
    ``CheckInRefused`` (early, late, unknown, used, cancelled)."""

    code: str
    at: datetime
    lang: Lang = "az"


Command = (
    OpenDay
    | CloseDay
    | KeepDay
    | IssueTicket
    | CancelTicket
    | MoveTicket
    | OpenCounter
    | PauseCounter
    | ResumeCounter
    | CloseCounter
    | SetCounterServices
    | SetHallMessage
    | CallNext
    | CallTicket
    | Recall
    | StartService
    | FinishService
    | MarkNoShow
    | Transfer
    | Park
    | RateVisit
    | MakeBooking
    | MoveBooking
    | CancelBooking
    | CheckIn
)
