"""The counter screen's state, without Qt.

:class:`CounterViewModel` holds everything the operator's window shows: who is logged in,
the counter's state, the ticket at the counter with its times, the parked tickets, the
queues of the counter's services, today's figures, the connection and the action in flight.
The window (``counter.qt_counter``) only draws it and forwards clicks; tests drive it with
no screen at all.

Threading: every method runs in one thread (the GUI thread in the app). The hall client
calls back from its own thread, so whoever wires them together hands messages, state
changes and request answers over with ``post`` (see ``counter.connection``).

What is shown always comes from the server: the welcome snapshot, the replies to our
requests and the events about this counter. The view-model never guesses the outcome of
an action; it marks the action pending and waits for the answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from psygnal import Signal

from wire.client import ConnState, RequestFailed
from wire.i18n import catalog, tr as wire_tr

Message = dict[str, Any]
Clock = Callable[[], datetime]
Post = Callable[[Callable[[], None]], None]

LANGS: tuple[str, ...] = ("az", "ru", "en")

REQUEST_TIMEOUT = 15.0
"""Seconds an action may wait for its answer, a short outage included (the client resends
it with the same id after reconnecting, so it takes effect once)."""


class Transport(Protocol):
    """What the view-model needs of a connection: ``wire.client.HallClient`` fits."""

    def request(self, kind: str, /, *, timeout: float = ..., **fields: Any) -> Future[Message]: ...


class Action(enum.StrEnum):
    """What the operator can ask for. The value is the wire request type."""

    LOGIN = "login"
    LOGOUT = "logout"
    CALL_NEXT = "call_next"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    PARK = "park"
    CALL_PARKED = "call_ticket"
    PAUSE = "pause"
    RESUME = "resume"


class CounterError(Exception):
    """A refusal to show the operator, already in the operator's language.

    ``code`` is the wire error code (``wrong_password``, ``nothing_to_call``, ...) or
    ``timeout`` when the server did not answer.
    """

    def __init__(self, code: str, message: str, action: Action | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action


class LoginRefused(CounterError):
    """The login was refused: wrong password, operator not allowed here, counter taken."""


class ActionRefused(CounterError):
    """The server refused an action on the counter or its ticket."""


class NoAnswer(CounterError):
    """The server did not answer in time; the action may or may not have happened."""


@dataclass(frozen=True)
class Notice:
    """Something the operator should read that is not an error (a key of the catalog)."""

    key: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class TicketInfo:
    """A ticket as the counter sees it; times are the server's (timezone-aware)."""

    id: str
    number: str
    service: str
    state: str
    issued_at: datetime | None = None
    queued_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    recalls: int = 0
    priority: str = "none"
    return_to: int | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> TicketInfo:
        return cls(
            id=str(data["id"]),
            number=str(data["number"]),
            service=str(data["service"]),
            state=str(data["state"]),
            issued_at=_time(data.get("issued_at")),
            queued_at=_time(data.get("queued_at")),
            called_at=_time(data.get("called_at")),
            started_at=_time(data.get("started_at")),
            recalls=int(data.get("recalls") or 0),
            priority=str(data.get("priority") or "none"),
            return_to=data.get("return_to"),
        )


@dataclass(frozen=True)
class QueueRow:
    service: str
    name: str
    waiting: int
    oldest_wait_min: float


@dataclass(frozen=True)
class Figures:
    """Today's figures of this counter, as the server counts them."""

    served: int = 0
    service_seconds: float = 0.0
    no_shows: int = 0

    @property
    def average_service_seconds(self) -> float | None:
        return self.service_seconds / self.served if self.served else None


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    agency: str
    prefix: str
    names: Mapping[str, str]


@dataclass(frozen=True)
class CounterInfo:
    number: int
    agency: str | None
    services: tuple[str, ...]


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    # Server times carry their offset; a naive one (an older server) is taken as UTC so
    # that subtracting it from an aware clock cannot fail.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above; ``–`` when unknown."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CounterViewModel:
    """State of one counter's screen.

    Args:
        counter: the counter's number (from the device file).
        post: runs a callable in the view-model's thread; used for answers to requests,
            which complete in the client's thread.
        clock: the local clock, timezone-aware. Durations are measured against the
            server's times corrected by the offset seen in the welcome, so a counter PC
            whose clock is off still shows the right waits.
        lang: the starting language (az, ru or en).
    """

    changed = Signal()
    """Anything shown changed."""
    failed = Signal(object)
    """A :class:`CounterError` to show."""
    noticed = Signal(object)
    """A :class:`Notice` to show."""

    def __init__(
        self, counter: int, *, post: Post | None = None, clock: Clock = _utc_now, lang: str = "az"
    ) -> None:
        self.counter = counter
        self.lang = lang if lang in LANGS else "az"
        self._post: Post = post or (lambda fn: fn())
        self._clock = clock
        self._transport: Transport | None = None
        self._catalog = catalog("counter")
        self.connection = ConnState.STOPPED
        self.ever_online = False
        self.center_name: Mapping[str, str] = {}
        self.services: dict[str, ServiceInfo] = {}
        self.agencies: dict[str, Mapping[str, str]] = {}
        self.counters: dict[int, CounterInfo] = {}
        self.my_services: tuple[str, ...] = ()
        self.server_offset = timedelta(0)
        self.day_open = False
        self.logged_in = False
        self.operator_login: str | None = None
        self.operator_name: str | None = None
        self.server_operator: str | None = None
        """Who the server has at this counter, even before we log in."""
        self.state = "closed"
        self.current: TicketInfo | None = None
        self.parked: list[TicketInfo] = []
        self.queues: list[QueueRow] = []
        self.figures = Figures()
        self.pending: Action | None = None
        self.error: CounterError | None = None
        self.notice: Notice | None = None
        self.board_status = "ok"
        self._queue_figures: dict[str, Mapping[str, Any]] = {}

    # --- wiring ---------------------------------------------------------------------------

    def attach(self, transport: Transport) -> None:
        """Use ``transport`` for requests (a HallClient, or a fake in tests)."""
        self._transport = transport

    def tr(self, key: str, /, **values: Any) -> str:
        """A text of the counter's catalog in the current language."""
        return self._catalog.tr(key, self.lang, **values)

    def set_lang(self, lang: str) -> None:
        if lang in LANGS and lang != self.lang:
            self.lang = lang
            self._rebuild_queues()
            self.changed.emit()

    def service_name(self, code: str) -> str:
        info = self.services.get(code)
        if info is None:
            return code
        return info.names.get(self.lang) or info.names.get("az") or code

    def agency_name(self, code: str | None) -> str:
        names = self.agencies.get(code or "", {})
        return names.get(self.lang) or names.get("az") or (code or "")

    # --- what the window asks -------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connection is ConnState.ONLINE

    def now(self) -> datetime:
        """The server's time now, by our clock and the offset measured at the welcome."""
        return self._clock() + self.server_offset

    def waited_seconds(self) -> float | None:
        """How long the current citizen waited in this queue before being called."""
        t = self.current
        if t is None:
            return None
        since = t.queued_at or t.issued_at
        if since is None:
            return None
        until = t.called_at or self.now()
        return (until - since).total_seconds()

    def called_seconds(self) -> float | None:
        """How long ago the current ticket was called (while it is only called)."""
        t = self.current
        if t is None or t.state != "called" or t.called_at is None:
            return None
        return (self.now() - t.called_at).total_seconds()

    def serving_seconds(self) -> float | None:
        """How long the current ticket has been served."""
        t = self.current
        if t is None or t.state != "serving" or t.started_at is None:
            return None
        return (self.now() - t.started_at).total_seconds()

    def open_counters(self, service: str) -> int | None:
        """How many counters serving ``service`` are open or paused, by the server's latest
        queue figures; None while the server hasn't said."""
        figures = self._queue_figures.get(service)
        value = figures.get("open_counters") if isinstance(figures, Mapping) else None
        return int(value) if isinstance(value, int) else None

    def takes_transfers(self, service: str) -> bool:
        """Whether a transfer to ``service`` would be taken now: some counter serving it is
        open or paused. The server decides; this only greys out what it would refuse."""
        return self.open_counters(service) != 0

    def counter_takes_transfers(self, number: int) -> bool:
        """False when counter ``number`` is surely closed: none of its services has an open
        counter. (Whether that very counter is open only the server knows.)"""
        info = self.counters.get(number)
        return info is not None and any(self.takes_transfers(code) for code in info.services)

    def can(self, action: Action) -> bool:
        """Whether ``action`` may be asked now. One action at a time: while one is in
        flight nothing else can be asked, so a double click never acts twice."""
        if self._transport is None or not self.online or self.pending is not None:
            return False
        if action is Action.LOGIN:
            return not self.logged_in
        if not self.logged_in:
            return False
        t = self.current
        state = t.state if t is not None else None
        if action is Action.CALL_NEXT:
            return self.state == "open" and t is None
        if action is Action.CALL_PARKED:
            return self.state == "open" and t is None and bool(self.parked)
        if action in (Action.RECALL, Action.START, Action.NO_SHOW):
            return state == "called"
        if action is Action.FINISH:
            return state == "serving"
        if action in (Action.TRANSFER, Action.PARK):
            return state in ("called", "serving")
        if action is Action.PAUSE:
            return self.state == "open" and t is None
        if action is Action.RESUME:
            return self.state == "paused"
        if action is Action.LOGOUT:
            return self.state in ("open", "paused") and t is None
        return False

    # --- actions ----------------------------------------------------------------------------

    def login(self, login: str, password: str) -> bool:
        login = login.strip()
        if not login:
            self._fail(
                LoginRefused("wrong_password", self._error_text("wrong_password", {}, ""), Action.LOGIN)
            )
            return False
        return self._send(Action.LOGIN, login=login, password=password)

    def logout(self) -> bool:
        return self._send(Action.LOGOUT)

    def call_next(self) -> bool:
        return self._send(Action.CALL_NEXT)

    def recall(self) -> bool:
        return self._send(Action.RECALL)

    def start(self) -> bool:
        return self._send(Action.START)

    def finish(self) -> bool:
        return self._send(Action.FINISH)

    def no_show(self) -> bool:
        return self._send(Action.NO_SHOW)

    def park(self) -> bool:
        return self._send(Action.PARK)

    def pause(self) -> bool:
        return self._send(Action.PAUSE)

    def resume(self) -> bool:
        return self._send(Action.RESUME)

    def toggle_pause(self) -> bool:
        return self.resume() if self.state == "paused" else self.pause()

    def call_parked(self, ticket_id: str) -> bool:
        if all(t.id != ticket_id for t in self.parked):
            return False
        return self._send(Action.CALL_PARKED, ticket=ticket_id)

    def transfer(
        self, *, to_service: str | None = None, to_counter: int | None = None, return_to_me: bool = False
    ) -> bool:
        if to_service is None and to_counter is None:
            return False
        fields: dict[str, Any] = {"return_to_me": return_to_me}
        if to_service is not None:
            fields["to_service"] = to_service
        if to_counter is not None:
            fields["to_counter"] = to_counter
        return self._send(Action.TRANSFER, **fields)

    def report_health(self, component: str, status: str, detail: str | None = None) -> None:
        """Tell the server about a device of this counter (the number board). Not an
        operator action: it never blocks one and its answer is not shown. Thread-safe."""
        if self._transport is None:
            return
        fields: dict[str, Any] = {"component": component, "status": status}
        if detail:
            fields["detail"] = detail[:500]
        future = self._transport.request("report_health", timeout=120.0, **fields)
        future.add_done_callback(_ignore_outcome)

    def set_board_status(self, status: str) -> None:
        if status != self.board_status:
            self.board_status = status
            self.changed.emit()

    def dismiss(self) -> None:
        """The operator read the message."""
        if self.error is not None or self.notice is not None:
            self.error = None
            self.notice = None
            self.changed.emit()

    def _send(self, action: Action, **fields: Any) -> bool:
        if not self.can(action):
            return False
        assert self._transport is not None
        self.pending = action
        self.error = None
        self.notice = None
        future = self._transport.request(action.value, timeout=REQUEST_TIMEOUT, **fields)
        self.changed.emit()
        future.add_done_callback(lambda done: self._post(lambda: self._answered(action, done)))
        return True

    def _answered(self, action: Action, future: Future[Message]) -> None:
        if self.pending is action:
            self.pending = None
        try:
            result = future.result()
        except RequestFailed as exc:
            kind: type[CounterError] = LoginRefused if action is Action.LOGIN else ActionRefused
            if exc.code in ("timeout", "stopped"):
                kind = NoAnswer
            self._fail(kind(exc.code, self._error_text(exc.code, exc.details, exc.message), action))
            return
        self._apply_result(action, result)
        self.changed.emit()

    def _fail(self, error: CounterError) -> None:
        self.error = error
        self.changed.emit()
        self.failed.emit(error)

    def _notify(self, key: str, **values: Any) -> None:
        self.notice = Notice(key, values)
        self.noticed.emit(self.notice)

    def _error_text(self, code: str, details: Mapping[str, Any], fallback: str) -> str:
        """The refusal in the operator's language, whatever language the connection has."""
        values = {k: v for k, v in details.items() if k != "detail"}
        if "service" in values:
            values["service"] = self.service_name(str(values["service"]))
        key = f"error.{code}"
        if code == "no_open_counter" and values.get("counter") is not None:
            # The named counter is closed, not every counter of the service.
            key = "error.counter_closed"
        if key in self._catalog.texts.get(self.lang, {}):
            return self.tr(key, **values)
        text = wire_tr(f"error.{code}", self.lang, detail=details.get("detail", ""), **values)
        if text == f"error.{code}" or "{" in text:
            return fallback or text
        return text

    # --- from the server ---------------------------------------------------------------------

    def on_state(self, state: ConnState) -> None:
        if state is self.connection:
            return
        self.connection = state
        if state is ConnState.ONLINE:
            self.ever_online = True
        self.changed.emit()

    def on_message(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "welcome":
            self._welcome(message)
        elif kind == "event":
            event = message.get("event")
            if isinstance(event, dict):
                self._event(event)
        elif kind == "queues":
            services = message.get("services")
            if isinstance(services, dict):
                self._queue_figures = services
                self._rebuild_queues()
        else:
            return
        self.changed.emit()

    def _welcome(self, message: Message) -> None:
        server_time = _time(message.get("server_time"))
        if server_time is not None:
            self.server_offset = server_time - self._clock()
        center = message.get("center")
        if isinstance(center, dict):
            self._center(center)
        snapshot = message.get("snapshot")
        if isinstance(snapshot, dict):
            self._snapshot(snapshot)
        elif message.get("resumed") and self._transport is not None:
            # The missed events follow this welcome; a fresh snapshot after them makes
            # sure the screen shows what the server holds, whatever happened meanwhile.
            # The server answers a sync with a welcome, not a reply: the future is left
            # to time out unheard.
            self._transport.request("sync", timeout=5.0).add_done_callback(_ignore_outcome)

    def _center(self, center: Mapping[str, Any]) -> None:
        self.center_name = dict(center.get("name") or {})
        self.agencies = {str(a["code"]): dict(a.get("name") or {}) for a in center.get("agencies", [])}
        self.services = {
            str(s["code"]): ServiceInfo(
                code=str(s["code"]),
                agency=str(s.get("agency") or ""),
                prefix=str(s.get("prefix") or ""),
                names=dict(s.get("name") or {}),
            )
            for s in center.get("services", [])
        }
        self.counters = {
            int(c["number"]): CounterInfo(
                number=int(c["number"]),
                agency=c.get("agency"),
                services=tuple(str(code) for code in c.get("services", [])),
            )
            for c in center.get("counters", [])
        }
        mine = self.counters.get(self.counter)
        self.my_services = mine.services if mine is not None else ()

    def _snapshot(self, snapshot: Mapping[str, Any]) -> None:
        self.day_open = bool(snapshot.get("open"))
        counters = snapshot.get("counters") or {}
        view = counters.get(str(self.counter))
        if isinstance(view, dict):
            self._counter_view(view)
        parked = []
        for data in snapshot.get("tickets") or []:
            if data.get("state") == "parked" and data.get("counter") == self.counter:
                parked.append(TicketInfo.from_wire(data))
        self.parked = parked
        queues = snapshot.get("queues")
        if isinstance(queues, dict):
            self._queue_figures = queues
            self._rebuild_queues()

    def _counter_view(self, view: Mapping[str, Any]) -> None:
        """Take the server's view of this counter as it is."""
        self.state = str(view.get("state") or "closed")
        operator = view.get("operator")
        self.server_operator = str(operator) if operator else None
        current = view.get("current")
        self.current = TicketInfo.from_wire(current) if isinstance(current, dict) else None
        self.figures = Figures(
            served=int(view.get("served") or 0),
            service_seconds=float(view.get("service_seconds") or 0.0),
            no_shows=int(view.get("no_shows") or 0),
        )
        if self.logged_in and self.server_operator != self.operator_login:
            self._logged_out("notice.logged_out_by_server")

    def _logged_out(self, notice: str | None) -> None:
        was = self.logged_in
        self.logged_in = False
        self.operator_login = None
        self.operator_name = None
        self.parked = []
        if was and notice:
            self._notify(notice)

    def _apply_result(self, action: Action, result: Mapping[str, Any]) -> None:
        operator = result.get("operator")
        if action is Action.LOGIN and isinstance(operator, dict):
            self.logged_in = True
            self.operator_login = str(operator.get("login"))
            self.operator_name = str(operator.get("name") or operator.get("login"))
        if action is Action.LOGOUT:
            self._logged_out(None)
        view = result.get("counter")
        if isinstance(view, dict):
            self._counter_view(view)
        ticket_data = result.get("ticket")
        if not isinstance(ticket_data, dict):
            return
        ticket = TicketInfo.from_wire(ticket_data)
        self.parked = [t for t in self.parked if t.id != ticket.id]
        if ticket.state == "parked":
            self.parked.append(ticket)
        if action is Action.RECALL and ticket.state == "no_show":
            self._notify("notice.recall_limit", number=ticket.number)
        elif action is Action.NO_SHOW:
            self._notify("notice.no_show", number=ticket.number)
        elif action is Action.TRANSFER and ticket.state == "waiting":
            where = (
                self.tr("transfer.counter_n", counter=ticket_data.get("target_counter"))
                if ticket_data.get("target_counter")
                else self.service_name(ticket.service)
            )
            key = "notice.transferred_back" if ticket.return_to == self.counter else "notice.transferred"
            self._notify(key, number=ticket.number, to=where)
        elif action is Action.FINISH and ticket.state == "waiting" and ticket.return_to is None:
            # Finished here and sent back to the counter that asked for it to return, or to
            # the queue of its service when that counter has closed meanwhile.
            back_to = ticket_data.get("target_counter")
            if back_to is None:
                self._notify(
                    "notice.returned_to_queue",
                    number=ticket.number,
                    service=self.service_name(ticket.service),
                )
            else:
                self._notify("notice.returned", number=ticket.number, counter=back_to)

    def _event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        at = _time(event.get("at"))
        if kind in ("DayOpened", "DayClosed"):
            self.day_open = kind == "DayOpened"
            self.state = "closed"
            self.server_operator = None
            self.current = None
            self.parked = []
            if kind == "DayOpened":
                self.figures = Figures()
            self._logged_out("notice.day_closed")
            return
        if kind == "TicketTransferred":
            if event.get("from_counter") == self.counter and self._is_current(event):
                self.current = None
            return
        if event.get("counter") != self.counter:
            return
        if kind == "CounterOpened":
            self.state = "open"
            self.server_operator = event.get("operator")
            if self.logged_in and self.server_operator != self.operator_login:
                self._logged_out("notice.logged_out_by_server")
        elif kind == "CounterPaused":
            self.state = "paused"
        elif kind == "CounterResumed":
            self.state = "open"
        elif kind == "CounterClosed":
            self.state = "closed"
            self.server_operator = None
            if self.pending is not Action.LOGOUT:
                self._logged_out("notice.logged_out_by_server")
        elif kind == "TicketCalled":
            known = next((t for t in self.parked if t.id == event.get("ticket")), None)
            self.parked = [t for t in self.parked if t.id != event.get("ticket")]
            base = known or TicketInfo(
                id=str(event.get("ticket")), number=str(event.get("number")), service="", state="called"
            )
            # The event says who and when; the reply that follows adds the arrival times.
            self.current = replace(
                base,
                service=str(event.get("service") or base.service),
                state="called",
                called_at=at,
                started_at=None,
                recalls=0,
            )
        elif not self._is_current(event):
            return
        elif kind == "TicketRecalled" and self.current is not None:
            self.current = replace(self.current, recalls=int(event.get("recalls") or 0))
        elif kind == "ServiceStarted" and self.current is not None:
            self.current = replace(self.current, state="serving", started_at=at)
        elif kind == "TicketFinished" and self.current is not None:
            started = self.current.started_at
            seconds = (at - started).total_seconds() if at and started else 0.0
            self.figures = replace(
                self.figures,
                served=self.figures.served + 1,
                service_seconds=self.figures.service_seconds + seconds,
            )
            self.current = None
        elif kind == "TicketNoShow":
            self.figures = replace(self.figures, no_shows=self.figures.no_shows + 1)
            self.current = None
        elif kind == "TicketParked" and self.current is not None:
            self.parked = [*self.parked, replace(self.current, state="parked")]
            self.current = None

    def _is_current(self, event: Mapping[str, Any]) -> bool:
        return self.current is not None and self.current.id == event.get("ticket")

    def _rebuild_queues(self) -> None:
        rows = []
        for code in self.my_services:
            figures = self._queue_figures.get(code) or {}
            rows.append(
                QueueRow(
                    service=code,
                    name=self.service_name(code),
                    waiting=int(figures.get("waiting") or 0),
                    oldest_wait_min=float(figures.get("oldest_wait_min") or 0.0),
                )
            )
        self.queues = rows

    @property
    def waiting_total(self) -> int:
        return sum(row.waiting for row in self.queues)


def _ignore_outcome(future: Future[Message]) -> None:
    # Health reports and syncs are fire-and-forget; read the exception so that it is
    # not reported as never retrieved.
    if not future.cancelled():
        future.exception()
