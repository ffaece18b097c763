"""What the hall server sends: every server -> client message, typed.

docs/protocol.md describes each with an example; this module is the one place where
their shape is written down. The server builds its messages from these models (the
hot event frame by :func:`event_frame`, which writes the same JSON without a model),
and the apps read every frame with :func:`parse_server_message`, so an app sees a
:class:`Welcome` with a :class:`CenterInfo`, a :class:`TicketView` whose ``state`` is a
:class:`~wire.types.TicketState` and whose times are ``datetime``, and an
:class:`EventMessage` whose ``event`` is the engine's own event value
(``TicketCalled(...)``), never a dict to pick apart.

Clients ignore fields they don't know (a newer server may add some); the server's own
messages are checked against these models by the tests.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    ValidationError,
)

from .events import Event, VisitRated, event_from_dict, event_to_dict
from .protocol import PROTOCOL_VERSION
from .types import (
    LANGS,
    WEEKDAYS,
    CounterNo,
    CounterState,
    Lang,
    Priority,
    Source,
    TicketState,
    WaitRange,
    Weekday,
)

Names = dict[str, str]
"""A name in each of the center's languages: ``{"az": …, "ru": …, "en": …}``."""


def pick(names: Names | None, lang: str) -> str:
    """The name in ``lang``, else in Azerbaijani, else in any language there is."""
    if not names:
        return ""
    return names.get(lang) or names.get("az") or next(iter(names.values()), "")


class _In(BaseModel):
    """A message part as a client reads it: frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# --- the center ----------------------------------------------------------------------


class ZoneInfo(_In):
    code: str
    name: Names


class AgencyInfo(_In):
    code: str
    name: Names
    prefix: str
    zone: str


class ServiceInfo(_In):
    code: str
    agency: str
    name: Names
    prefix: str
    mean_service_min: float
    share: float = 0.0
    """The share of the day's tickets the center expects for this service (0 when not
    configured): the kiosk offers the most requested services first."""


class CounterInfo(_In):
    number: CounterNo
    zone: str
    agency: str | None
    services: tuple[str, ...]


class DisplayInfo(_In):
    code: str
    zones: tuple[str, ...]


class KioskInfo(_In):
    code: str
    zone: str


class OutcomeInfo(_In):
    """One way a visit can end (the center file's ``outcomes``)."""

    code: str
    name: Names


class CenterInfo(_In):
    """The center's static description, part of every ``welcome``."""

    code: str
    name: Names
    timezone: str
    languages: tuple[Lang, ...] = LANGS
    opens: time
    closes: time
    days: tuple[Weekday, ...] = Field(default=WEEKDAYS, min_length=1)
    """The days of the week the center opens (from ``opens`` to ``closes``)."""
    wait_standard_min: float = 15.0
    """The center's standard: a citizen should be called within this many minutes."""
    zones: tuple[ZoneInfo, ...] = ()
    agencies: tuple[AgencyInfo, ...] = ()
    services: tuple[ServiceInfo, ...] = ()
    counters: tuple[CounterInfo, ...] = ()
    displays: tuple[DisplayInfo, ...] = ()
    kiosks: tuple[KioskInfo, ...] = ()
    outcomes: tuple[OutcomeInfo, ...] = ()
    """How a visit can end, in the order the counter offers them; the first is the default."""

    @property
    def tz(self) -> tzinfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def service(self, code: str) -> ServiceInfo | None:
        return next((s for s in self.services if s.code == code), None)

    def agency(self, code: str) -> AgencyInfo | None:
        return next((a for a in self.agencies if a.code == code), None)

    def zone(self, code: str) -> ZoneInfo | None:
        return next((z for z in self.zones if z.code == code), None)

    def counter(self, number: CounterNo) -> CounterInfo | None:
        return next((c for c in self.counters if c.number == number), None)

    def services_of(self, agency: str) -> tuple[ServiceInfo, ...]:
        return tuple(s for s in self.services if s.agency == agency)

    def opens_on(self, day: date) -> bool:
        """Whether ``day`` is one of the center's working days."""
        return WEEKDAYS[day.weekday()] in self.days

    def next_opening(self, after: datetime) -> datetime:
        """When the center opens next after ``after`` (aware): today's opening time if it is
        still to come on a working day, else that of the next working day. In the center's
        time zone."""
        local = after.astimezone(self.tz)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            start = datetime.combine(day, self.opens, self.tz)
            if self.opens_on(day) and start > local:
                return start
        raise AssertionError(f"a center with working days {self.days} never opens")


# --- the hall's state ----------------------------------------------------------------


class TicketView(_In):
    """A ticket as clients see it."""

    id: str
    number: str
    service: str
    agency: str
    state: TicketState
    counter: CounterNo | None = None
    lang: Lang = "az"
    priority: Priority = Priority.NONE
    source: Source = Source.KIOSK
    issued_at: datetime
    queued_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    recalls: int = 0
    target_counter: CounterNo | None = None
    return_to: CounterNo | None = None
    appointment: str | None = None
    """The booking code a booked citizen checked in with (None for walk-ins)."""
    slot_at: datetime | None = None
    """The booked slot's start while the ticket waits in the appointment lane (None for
    walk-ins, and once transferred)."""


class IssuedTicket(TicketView):
    """The ticket an ``issue`` request created, with what the citizen is promised."""

    ahead: int
    wait: WaitRange
    zone: str
    url: str | None = None
    """The address of the ticket's live page (its QR code); None when the center has no
    public pages."""


class CounterView(_In):
    number: CounterNo
    state: CounterState
    operator: str | None = None
    current: TicketView | None = None
    served: int = 0
    service_seconds: float = 0.0
    no_shows: int = 0
    since: datetime | None = None
    """When the counter entered ``state``."""
    services: tuple[str, ...] = ()
    """The services it serves today, in order (a supervisor may have changed them)."""


class QueueFigures(_In):
    """One service's queue, as the ``queues`` notice and every snapshot carry it."""

    waiting: int
    oldest_wait_min: float
    open_counters: int
    available: bool
    reason: Literal["closed", "full"] | None = None
    wait: WaitRange | None = None
    """What a ticket taken now would be promised; None when none can be taken."""
    breach_in_min: int | None = None
    """At this rate, in about this many minutes a citizen's wait here passes the center's
    standard (from the engine's own estimator); 0: one's wait has passed it; None: nobody's
    is expected to."""
    stranded: int = 0
    """Citizens waiting here whom no open or paused counter would call."""


class QueueAlert(_In):
    """A queue that needs the supervisor, decided on the server for every supervisor."""

    service: str
    kind: Literal["over_standard", "forecast", "stranded"]
    """``over_standard``: someone has waited longer than the standard; ``forecast``: at this
    rate someone will (``breach_in_min`` of the queue figures); ``stranded``: citizens wait
    whom no open or paused counter would call."""
    since: datetime


class WaitingTicket(_In):
    """A ticket waiting for a counter, as the ``waiting`` notice lists it."""

    id: str
    number: str
    service: str
    priority: Priority = Priority.NONE
    lang: Lang = "az"
    queued_at: datetime
    """When it joined this queue (the wait shown counts from here)."""
    mine: bool = False
    """Sent to this very counter by name (a returning citizen, or a transfer to it): only
    this counter calls it."""


class HealthStatus(_In):
    component: str
    status: str
    detail: str | None = None


class DeviceHealth(_In):
    role: str
    status: HealthStatus
    at: datetime


class Snapshot(_In):
    """The state a client starts from, limited to what its role may see."""

    day: date | None = None
    open: bool = False
    queues: dict[str, QueueFigures] = Field(default_factory=dict)
    message: Names | None = None
    counters: dict[CounterNo, CounterView] = Field(default_factory=dict)
    tickets: tuple[TicketView, ...] = ()
    devices: dict[str, DeviceHealth] = Field(default_factory=dict)
    queue_alerts: tuple[QueueAlert, ...] = ()
    """Supervisors only: the queues that need them now."""


# --- messages ------------------------------------------------------------------------


class Welcome(_In):
    type: Literal["welcome"] = "welcome"
    id: str | None = None
    role: str
    device: str
    seq: int
    server_time: datetime
    protocol: int = PROTOCOL_VERSION
    center: CenterInfo
    resumed: bool = False
    snapshot: Snapshot | None = None


class Reply(_In):
    """A request succeeded. ``result`` depends on the request: see :data:`RESULTS`."""

    type: Literal["reply"] = "reply"
    id: str
    ok: Literal[True] = True
    result: dict[str, Any] = Field(default_factory=dict)


class ErrorMessage(_In):
    type: Literal["error"] = "error"
    id: str | None = None
    ok: Literal[False] = False
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


EventValue = Annotated[
    Event,
    PlainValidator(lambda value: value if not isinstance(value, dict) else event_from_dict(value)),
    PlainSerializer(event_to_dict),
]


class EventMessage(_In):
    type: Literal["event"] = "event"
    seq: int
    event: EventValue


class QueuesNotice(_In):
    type: Literal["queues"] = "queues"
    services: dict[str, QueueFigures]


class WaitingNotice(_In):
    """To a counter app: who waits for it now, in about the order it would call them (its
    own lane, then priority rights, then the longest wait), at most ``WAITING_LIMIT``;
    ``more`` counts the rest."""

    type: Literal["waiting"] = "waiting"
    tickets: tuple[WaitingTicket, ...] = ()
    more: int = 0


WAITING_LIMIT = 200
"""The longest list a ``waiting`` notice carries."""


class MessageNotice(_In):
    """The displays' scrolling line changed (``text`` None: removed)."""

    type: Literal["message"] = "message"
    text: Names | None = None


class QueueAlertsNotice(_In):
    """Supervisors only: the queues that need them now, whenever the list changes."""

    type: Literal["queue_alerts"] = "queue_alerts"
    alerts: tuple[QueueAlert, ...] = ()


class DeviceStatusNotice(_In):
    type: Literal["device_status"] = "device_status"
    device: str
    role: str
    status: HealthStatus
    at: datetime


class AlertNotice(_In):
    """A device part got worse (``was``: its status before)."""

    type: Literal["alert"] = "alert"
    device: str
    status: HealthStatus
    was: str = "ok"
    at: datetime


class RecoveredNotice(_In):
    """A device part got better (``was``: its status before)."""

    type: Literal["recovered"] = "recovered"
    device: str
    status: HealthStatus
    was: str
    at: datetime


class OperatorInfo(_In):
    login: str
    name: str


class VisitView(_In):
    """The visit a counter finished last: the one its rating terminal may have rated."""

    ticket: str
    number: str
    service: str
    lang: Lang
    """The citizen's language (the ticket's): the rating is asked in it."""
    operator: OperatorInfo | None = None
    """Who served it (they may have left the counter since)."""
    finished_at: datetime
    rate_until: datetime
    """A rating is taken until then (the hall's ``rating_window_min`` after the finish)."""
    rated_at: datetime | None = None
    """When it was rated; None while it is not."""


class CounterNotice(_In):
    """What a rating terminal shows of its counter: sent to the counter's terminal after its
    welcome and after every change at the counter."""

    type: Literal["counter"] = "counter"
    counter: CounterView
    operator: OperatorInfo | None = None
    """Who works at the counter now (its ``counter.operator``), with their name."""
    visit: VisitView | None = None
    """The visit the counter finished last today; None before the first."""


ServerMessage = Annotated[
    Welcome
    | Reply
    | ErrorMessage
    | EventMessage
    | QueuesNotice
    | WaitingNotice
    | MessageNotice
    | QueueAlertsNotice
    | DeviceStatusNotice
    | AlertNotice
    | RecoveredNotice
    | CounterNotice,
    Field(discriminator="type"),
]

_server_adapter: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)


class BadServerMessage(ValueError):
    """A frame from the server that doesn't fit the protocol (a bug or a wrong server)."""


def parse_server_message(text: str | bytes | dict[str, Any]) -> ServerMessage:
    """Read one server frame. Raises BadServerMessage if it doesn't fit."""
    try:
        data = json.loads(text) if isinstance(text, str | bytes) else text
        return _server_adapter.validate_python(data)
    except (ValueError, ValidationError, KeyError, TypeError) as exc:
        raise BadServerMessage(f"not a server message: {exc}") from None


# --- request results -----------------------------------------------------------------


class IssueResult(_In):
    ticket: IssuedTicket


def _absent(value: object) -> bool:
    return value is None


class CounterResult(_In):
    """The answer to a counter's request: its counter after the action, the ticket acted on
    (absent when there was none) and, for a login, the operator."""

    operator: OperatorInfo | None = Field(default=None, exclude_if=_absent)
    counter: CounterView
    ticket: TicketView | None = Field(default=None, exclude_if=_absent)


class EventsResult(_In):
    """The answer to a supervisor's request: the events it caused."""

    events: tuple[EventValue, ...] = ()


def _visit_rated(value: object) -> VisitRated:
    try:
        event = event_from_dict(value) if isinstance(value, dict) else value
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an event: {exc}") from None
    if not isinstance(event, VisitRated):
        raise ValueError(f"a rating is a VisitRated event, not {type(event).__name__}")
    return event


RatedValue = Annotated[VisitRated, PlainValidator(_visit_rated), PlainSerializer(event_to_dict)]


class RatingResult(_In):
    """The answer to a ``rate``: the event that recorded the rating."""

    rating: RatedValue


class MessageResult(_In):
    text: Names | None = None


class HealthResult(_In):
    recorded: bool


class FigureRow(_In):
    """Today's figures of the center, an agency or an operator (``key``: the agency's code,
    the operator's login; empty for the center and for work done with nobody logged in).
    Waits and service times in minutes; a figure with nothing to compute it from is None."""

    key: str
    served: int
    no_shows: int
    waited: int
    """Citizens called (the waits are theirs)."""
    wait_mean: float | None = None
    wait_p90: float | None = None
    within_share: float | None = None
    """Share called within the center's standard."""
    service_mean: float | None = None


class FiguresResult(_In):
    """Today's figures, computed from the event log by the code of ``novbe report``."""

    day: date | None = None
    standard_min: float
    seq: int
    """The last event counted."""
    center: FigureRow | None = None
    agencies: tuple[FigureRow, ...] = ()
    operators: tuple[FigureRow, ...] = ()


class SyncResult(_In):
    """A ``sync`` is answered by a ``welcome``: this wraps it."""

    welcome: Welcome


RESULTS: dict[str, type[_In]] = {
    "issue": IssueResult,
    "check_in": IssueResult,
    "login": CounterResult,
    "logout": CounterResult,
    "call_next": CounterResult,
    "recall": CounterResult,
    "start": CounterResult,
    "finish": CounterResult,
    "no_show": CounterResult,
    "park": CounterResult,
    "pause": CounterResult,
    "resume": CounterResult,
    "call_ticket": CounterResult,
    "transfer": CounterResult,
    "open_counter": EventsResult,
    "close_counter": EventsResult,
    "pause_counter": EventsResult,
    "resume_counter": EventsResult,
    "open_day": EventsResult,
    "close_day": EventsResult,
    "cancel": EventsResult,
    "set_counter_services": EventsResult,
    "move_ticket": EventsResult,
    "rate": RatingResult,
    "set_message": MessageResult,
    "figures": FiguresResult,
    "report_health": HealthResult,
    "sync": SyncResult,
}
"""The model of each request's ``result``."""


# --- writing -------------------------------------------------------------------------


def dumps(message: BaseModel | dict[str, Any]) -> str:
    """Compact JSON with Azerbaijani and Russian text kept readable."""
    if isinstance(message, BaseModel):
        return message.model_dump_json()
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def event_frame(seq: int, event: Event) -> str:
    """The ``event`` frame of one committed event: built once per event and sent to its
    whole audience, so it is written straight from the event's codec."""
    return dumps({"type": "event", "seq": seq, "event": event_to_dict(event)})


def reply(request_id: str, result: BaseModel | dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``reply`` as a JSON-able dict (stored with the events it caused)."""
    if isinstance(result, BaseModel):
        body: dict[str, Any] = result.model_dump(mode="json", exclude_none=False)
    else:
        body = result or {}
    return {"type": "reply", "id": request_id, "ok": True, "result": body}


def error(code: str, message: str, request_id: str | None = None, **details: Any) -> dict[str, Any]:
    """An ``error`` as a JSON-able dict."""
    return {
        "type": "error",
        "id": request_id,
        "ok": False,
        "code": code,
        "message": message,
        "details": details,
    }
