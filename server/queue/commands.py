"""Commands: what the hall asks the engine to do. Frozen values; don't subclass them.

Every command carries ``at``, the moment it happened (an aware datetime). The engine
never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .types import CounterNo, Lang, OperatorLogin, Priority, ServiceCode, Source, TicketId

_cmd = dataclass(frozen=True, slots=True, kw_only=True)


@_cmd
class OpenDay:
    day: date
    at: datetime


@_cmd
class CloseDay:
    """Tickets still waiting, called or parked end as CLOSED_UNSERVED."""

    at: datetime


@_cmd
class IssueTicket:
    service: ServiceCode
    at: datetime
    lang: Lang = "az"
    priority: Priority = Priority.NONE
    source: Source = Source.KIOSK
    appointment: str | None = None
    """The booking code an appointment ticket was checked in with."""


@_cmd
class CancelTicket:
    ticket: TicketId
    at: datetime


@_cmd
class OpenCounter:
    """Open a counter (or log an operator in at an open one)."""

    counter: CounterNo
    at: datetime
    operator: OperatorLogin | None = None


@_cmd
class PauseCounter:
    counter: CounterNo
    at: datetime


@_cmd
class ResumeCounter:
    counter: CounterNo
    at: datetime


@_cmd
class CloseCounter:
    """Close a counter; refused while it holds a ticket (finish or park it first)."""

    counter: CounterNo
    at: datetime


@_cmd
class CallNext:
    counter: CounterNo
    at: datetime


@_cmd
class CallTicket:
    """Call one ticket by id: a ticket this counter parked, or a waiting one."""

    counter: CounterNo
    ticket: TicketId
    at: datetime


@_cmd
class Recall:
    counter: CounterNo
    at: datetime


@_cmd
class StartService:
    counter: CounterNo
    at: datetime


@_cmd
class FinishService:
    counter: CounterNo
    at: datetime


@_cmd
class MarkNoShow:
    counter: CounterNo
    at: datetime


@_cmd
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


@_cmd
class Park:
    """Set the current ticket aside (the citizen fetches a document); CallTicket brings it back."""

    counter: CounterNo
    at: datetime


Command = (
    OpenDay
    | CloseDay
    | IssueTicket
    | CancelTicket
    | OpenCounter
    | PauseCounter
    | ResumeCounter
    | CloseCounter
    | CallNext
    | CallTicket
    | Recall
    | StartService
    | FinishService
    | MarkNoShow
    | Transfer
    | Park
)
