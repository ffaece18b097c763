"""Plain values shared by the queue engine, the store, the wire protocol and the apps.

Nothing here does I/O or imports a third-party package.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Literal

TicketId = str
"""Unique across days: ``"20261122-A015"`` (service day, then the display number)."""

CounterNo = int
"""The number painted above a counter (1, 2, ... 81)."""

ServiceCode = str
AgencyCode = str
ZoneCode = str
OperatorLogin = str

Lang = Literal["az", "ru", "en"]
LANGS: tuple[Lang, ...] = ("az", "ru", "en")

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS: tuple[Weekday, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""In the order of ``date.weekday()``: Monday is 0."""


class Priority(enum.StrEnum):
    """A citizen's priority right, as the law lists them."""

    NONE = "none"
    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    VETERAN = "veteran"
    MARTYR_FAMILY = "martyr_family"


class Source(enum.StrEnum):
    """Where a ticket came from."""

    KIOSK = "kiosk"
    APPOINTMENT = "appointment"
    TRANSFER = "transfer"


class RatingReason(enum.StrEnum):
    """Why a citizen was not satisfied: the fixed choices of the rating screen."""

    WAITED_TOO_LONG = "waited_too_long"
    NOT_RESOLVED = "not_resolved"
    NEEDED_DOCUMENTS = "needed_documents"
    """Sent away for documents the citizen had not been told to bring."""
    RUDE = "rude"
    OTHER = "other"


class RatingSource(enum.StrEnum):
    """Where a rating was given."""

    COUNTER = "counter"
    """The rating terminal beside the counter."""
    PHONE = "phone"
    """The citizen's phone (the ticket's QR code)."""


class TicketState(enum.StrEnum):
    """Where a ticket is in its life cycle (see ``wire/states.py``)."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    CLOSED_UNSERVED = "closed_unserved"
    """Still waiting when the center closed: "not served, center closed"."""


FINAL_STATES = frozenset(
    {
        TicketState.DONE,
        TicketState.NO_SHOW,
        TicketState.TRANSFERRED,
        TicketState.CANCELLED,
        TicketState.CLOSED_UNSERVED,
    }
)


class CounterState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class CounterActionType(enum.StrEnum):
    """What a counter asks the server for: each value is the ``type`` of a request.

    The one list of the counter's actions. ``wire.protocol`` builds the requests' schemas
    and the counter role's rights from it, ``wire.states`` says in which states each is
    allowed, and the counter app and the hub key their tables by it. It lives here, with
    the other plain values, because ``wire.states`` must stay free of pydantic.
    """

    LOGIN = "login"
    LOGOUT = "logout"
    """Closes the counter and logs the operator out."""
    CALL_NEXT = "call_next"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    PARK = "park"
    CALL_TICKET = "call_ticket"
    """Calls a named ticket: one this counter parked (or one waiting for it)."""
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"


class PriorityMode(enum.StrEnum):
    """How a counter treats priority rights when it calls next."""

    STRICT = "strict"
    """Any waiting citizen with a priority right goes before everyone without one."""
    HEAD_START = "head_start"
    """A citizen with a priority right counts as having arrived ``head_start_min`` earlier."""
    NONE = "none"
    """Priority rights are ignored by routing (still recorded for statistics)."""


class Selection(enum.StrEnum):
    """How a counter chooses among its services."""

    OLDEST_FIRST = "oldest_first"
    """The citizen who has waited longest across all the counter's services."""
    WEIGHTED = "weighted"
    """Wait time multiplied by the counter's weight for the service; highest goes first."""
    STRICT_ORDER = "strict_order"
    """The counter's services in the order listed: the first non-empty queue wins."""


@dataclass(frozen=True, slots=True)
class WaitRange:
    """The wait a citizen is promised, in whole minutes, decided once on the server.

    Every screen and the paper show this range as it is; none rounds it again.
    ``high_min == 0`` is the state "no wait": nobody is ahead and a counter is free.
    """

    low_min: int
    high_min: int

    def __post_init__(self) -> None:
        if not 0 <= self.low_min <= self.high_min:
            raise ValueError(f"a wait range needs 0 <= low <= high, not {self.low_min}-{self.high_min}")

    @classmethod
    def promise(cls, low: float, high: float) -> WaitRange:
        """The one rounding rule: the low end down and the high end up, so the range
        always holds the estimate; a wait under a minute stays under a minute."""
        lo = max(0, math.floor(low))
        hi = max(lo, math.ceil(high))
        return cls(lo, hi)

    @property
    def none(self) -> bool:
        """No wait at all."""
        return self.high_min == 0

    @property
    def under_minute(self) -> bool:
        """Less than a minute, but not none."""
        return self.high_min == 1 and self.low_min == 0
