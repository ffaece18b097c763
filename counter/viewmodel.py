"""The counter screen's state, without Qt.

:class:`CounterViewModel` holds everything the operator's window shows: who is logged in,
the counter's state, the ticket at the counter with its times, the parked tickets, the
queues of the counter's services, today's figures, the connection and the action in flight.
The window (``counter.qt_counter``) only draws it and forwards clicks; tests drive it with
no screen at all.

Threading: every method runs in one thread (the GUI thread in the app). Its session
(``wire.session.Session``) hands it the server's messages and the connection's changes in
that thread, and the answers to its requests through ``post``.

What is shown always comes from the server: the welcome snapshot, the replies to our
requests and the events about this counter, read as the typed messages of
``wire.messages`` and the engine's own events. The view-model never guesses the outcome of
an action; it marks the action pending and waits for the answer. Which actions may be asked
in which state is the engine's table (``wire.states.COUNTER_ACTIONS``), not a copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Protocol

from psygnal import Signal

from wire import events as ev
from wire.client import ConnState, RequestFailed, Result
from wire.i18n import catalog, tr as wire_tr
from wire.messages import (
    CenterInfo,
    CounterInfo,
    CounterResult,
    CounterView,
    EventMessage,
    OutcomeInfo,
    QueueFigures,
    QueuesNotice,
    ServerMessage,
    ServiceInfo,
    Snapshot,
    TicketView,
    WaitingNotice,
    WaitingTicket,
    Welcome,
    pick,
)
from wire.protocol import CounterActionType
from wire.session import Post, Requester
from wire.states import counter_allows
from wire.types import (
    LANGS,
    CounterNo,
    CounterState,
    Lang,
    OutcomeCode,
    Priority,
    ServiceCode,
    TicketId,
    TicketState,
)

from .scan import TicketId as ScannedId, TicketNumber, TicketToken, readings

Action = CounterActionType
"""The counter's actions (``wire.protocol.CounterActionType``), by the view-model's name for them."""

REQUEST_TIMEOUT = 15.0
"""Seconds an action may wait for its answer, a short outage included (the client resends
it with the same id after reconnecting, so it takes effect once)."""


class Server(Requester, Protocol):
    """What the view-model needs of its session: ``wire.session.Session``, or a test's fake."""

    def now(self) -> datetime: ...


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
    values: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """A ticket at this counter (held or parked): the server's view of it, and the events
    about it since. Times are the server's."""

    id: TicketId
    number: str
    service: ServiceCode
    state: TicketState
    issued_at: datetime | None = None
    """None while only the call is known: the reply to it brings the arrival times."""
    queued_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    recalls: int = 0
    lang: Lang | None = None
    """The language the citizen took the ticket in; None while unknown."""
    priority: Priority = Priority.NONE
    """The citizen's priority right, to be checked against their document."""
    slot_at: datetime | None = None
    """A booked citizen's slot (checked in at the kiosk); None for a walk-in or while unknown."""

    @classmethod
    def of(cls, view: TicketView) -> TicketInfo:
        """The ticket as the server's view of it says (every field here is one of the view's)."""
        return cls(**{f.name: getattr(view, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class QueueRow:
    service: ServiceCode
    name: str
    waiting: int
    oldest_wait_min: float


@dataclass(frozen=True)
class Figures:
    """Today's figures of this counter, as the server counts them."""

    served: int = 0
    service_seconds: float = 0.0
    no_shows: int = 0

    @classmethod
    def of(cls, view: CounterView) -> Figures:
        return cls(served=view.served, service_seconds=view.service_seconds, no_shows=view.no_shows)

    @property
    def average_service_seconds(self) -> float | None:
        return self.service_seconds / self.served if self.served else None


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above; ``–`` when unknown."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _lang(value: str | None) -> Lang | None:
    """``value`` if it is one of the apps' languages."""
    return next((lang for lang in LANGS if lang == value), None)


class CounterViewModel:
    """State of one counter's screen.

    Args:
        counter: the counter's number (from the device file).
        post: runs a callable in the view-model's thread; used for answers to requests,
            which complete in the client's thread.
        lang: the starting language (az, ru or en).

    Call :meth:`attach` with its session before asking for anything. Durations are
    measured on the server's clock (the session's ``now()``), so a counter PC whose clock
    is off still shows the right waits.
    """

    changed = Signal()
    """Anything shown changed."""
    failed = Signal(object)
    """A :class:`CounterError` to show."""
    noticed = Signal(object)
    """A :class:`Notice` to show."""

    def __init__(self, counter: CounterNo, *, post: Post | None = None, lang: str = "az") -> None:
        self.counter = counter
        self.lang: Lang = _lang(lang) or "az"
        self._post: Post = post or (lambda fn: fn())
        self._server: Server | None = None
        self._catalog = catalog("counter")
        self.connection = ConnState.STOPPED
        self.ever_online = False
        self.center: CenterInfo | None = None
        self.services: dict[ServiceCode, ServiceInfo] = {}
        self.counters: dict[CounterNo, CounterInfo] = {}
        self.my_services: tuple[ServiceCode, ...] = ()
        self.day_open = False
        self.logged_in = False
        self.operator_login: str | None = None
        self.operator_name: str | None = None
        self.server_operator: str | None = None
        """Who the server has at this counter, even before we log in."""
        self.state = CounterState.CLOSED
        self.current: TicketInfo | None = None
        self.parked: list[TicketInfo] = []
        self.queues: list[QueueRow] = []
        self.waiting: tuple[WaitingTicket, ...] = ()
        """Who waits for this counter, in about the order it would call them (the server's list)."""
        self.waiting_more = 0
        """Further waiting tickets the server's list left out."""
        self.outcomes: tuple[OutcomeInfo, ...] = ()
        self.figures = Figures()
        self.pending: Action | None = None
        self.error: CounterError | None = None
        self.notice: Notice | None = None
        self.board_status = "ok"
        self.scanner_status = "ok"
        """``offline`` while the serial scanner of the device file does not answer."""
        self._queue_figures: dict[ServiceCode, QueueFigures] = {}

    # --- wiring ---------------------------------------------------------------------------

    def attach(self, server: Server) -> None:
        """Ask ``server`` (the session, or a fake in tests) for everything from now on."""
        self._server = server

    def tr(self, key: str, /, **values: object) -> str:
        """A text of the counter's catalog in the current language."""
        return self._catalog.tr(key, self.lang, **values)

    def set_lang(self, lang: str) -> None:
        chosen = _lang(lang)
        if chosen is not None and chosen != self.lang:
            self.lang = chosen
            self._rebuild_queues()
            self.changed.emit()

    def center_name(self) -> str:
        return pick(self.center.name, self.lang) if self.center is not None else ""

    def service_name(self, code: str) -> str:
        info = self.services.get(code)
        return (pick(info.name, self.lang) if info is not None else "") or code

    def outcome_name(self, code: str) -> str:
        info = next((o for o in self.outcomes if o.code == code), None)
        return (pick(info.name, self.lang) if info is not None else "") or code

    def priority_name(self, priority: Priority) -> str:
        """The right's name as the glossary words it ("yaşlı vətəndaş"); "" for none."""
        return "" if priority is Priority.NONE else self.tr(f"priority.{priority}")

    def booked_words(self, ticket: TicketInfo) -> str:
        """ "Booked 10:30" for a booked citizen (the slot in the center's time zone); "" else."""
        if ticket.slot_at is None:
            return ""
        slot = ticket.slot_at.astimezone(self.center.tz) if self.center is not None else ticket.slot_at
        return self.tr("ticket.booked", time=f"{slot:%H:%M}")

    def lang_name(self, lang: Lang | None) -> str:
        """A citizen's language in the operator's ("rus dili"); "" when unknown."""
        return self.tr(f"lang.{lang}") if lang is not None else ""

    def agency_name(self, code: str | None) -> str:
        agency = self.center.agency(code) if self.center is not None and code else None
        return (pick(agency.name, self.lang) if agency is not None else "") or (code or "")

    # --- what the window asks -------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connection is ConnState.ONLINE

    def now(self) -> datetime:
        """Now by the server's clock (this PC's before a session is attached)."""
        return self._server.now() if self._server is not None else datetime.now(UTC)

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
        if t is None or t.state is not TicketState.CALLED or t.called_at is None:
            return None
        return (self.now() - t.called_at).total_seconds()

    def serving_seconds(self) -> float | None:
        """How long the current ticket has been served."""
        t = self.current
        if t is None or t.state is not TicketState.SERVING or t.started_at is None:
            return None
        return (self.now() - t.started_at).total_seconds()

    def open_counters(self, service: str) -> int | None:
        """How many counters serving ``service`` are open or paused, by the server's latest
        queue figures; None while the server hasn't said."""
        figures = self._queue_figures.get(service)
        return figures.open_counters if figures is not None else None

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
        if self._server is None or not self.online or self.pending is not None:
            return False
        if action is Action.LOGIN:
            return not self.logged_in
        if not self.logged_in:
            return False
        if action is Action.CALL_TICKET and not self.parked and not self.waiting:
            return False
        held = self.current.state if self.current is not None else None
        return counter_allows(self.state, held, action)

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

    def can_call_parked(self) -> bool:
        return bool(self.parked) and self.can(Action.CALL_TICKET)

    def finish(self, outcome: OutcomeCode | None = None) -> bool:
        """Finish the visit; ``outcome`` is one of the center's (:attr:`outcomes`)."""
        if outcome is None:
            return self._send(Action.FINISH)
        return self._send(Action.FINISH, outcome=outcome)

    def no_show(self) -> bool:
        return self._send(Action.NO_SHOW)

    def park(self) -> bool:
        return self._send(Action.PARK)

    def pause(self) -> bool:
        return self._send(Action.PAUSE)

    def resume(self) -> bool:
        return self._send(Action.RESUME)

    def toggle_pause(self) -> bool:
        return self.resume() if self.state is CounterState.PAUSED else self.pause()

    def call_parked(self, ticket_id: str) -> bool:
        if all(t.id != ticket_id for t in self.parked):
            return False
        return self._send(Action.CALL_TICKET, ticket=ticket_id)

    def call_waiting(self, ticket_id: str) -> bool:
        """Call a ticket of the waiting list out of turn (the citizen is at the counter)."""
        if all(t.id != ticket_id for t in self.waiting):
            return False
        return self._send(Action.CALL_TICKET, ticket=ticket_id)

    def find(self, text: str) -> TicketId | None:
        """The ticket ``text`` names (a number typed, a QR code scanned) if it waits for this
        counter or was parked here."""
        known = [(t.id, t.number) for t in self.parked] + [(t.id, t.number) for t in self.waiting]
        center = self.center.code.upper() if self.center is not None else ""
        for reading in readings(text):
            for ticket_id, number in known:
                if isinstance(reading, ScannedId) and reading.id == ticket_id and reading.center == center:
                    return ticket_id
                if isinstance(reading, TicketNumber) and reading.matches(number):
                    return ticket_id
        return None

    def call_code(self, text: str) -> bool:
        """Call the ticket typed or scanned (:mod:`counter.scan`), if this counter may call it;
        otherwise say why, naming what was read. The address of a ticket's page (its QR code)
        goes to the server as it is: only the server knows which ticket its token names, and
        answers ``unknown_ticket_token`` for one not of today or of another center."""
        text = text.strip()
        if not text or not self.can(Action.CALL_TICKET):
            return False
        token = next((r.token for r in readings(text) if isinstance(r, TicketToken)), None)
        if token is not None:
            return self._send(Action.CALL_TICKET, token=token)
        ticket_id = self.find(text)
        if ticket_id is None:
            found = readings(text)
            center = self.center.code.upper() if self.center is not None else ""
            if found and all(isinstance(r, ScannedId) and r.center != center for r in found):
                key = "other_center"
            else:
                key = "not_waiting" if found else "not_a_ticket"
            self._fail(ActionRefused(key, self.tr(f"error.{key}", text=text), Action.CALL_TICKET))
            return False
        return self._send(Action.CALL_TICKET, ticket=ticket_id)

    def transfer(
        self, *, to_service: str | None = None, to_counter: int | None = None, return_to_me: bool = False
    ) -> bool:
        if to_service is None and to_counter is None:
            return False
        choice: dict[str, object] = {"return_to_me": return_to_me}
        if to_service is not None:
            choice["to_service"] = to_service
        if to_counter is not None:
            choice["to_counter"] = to_counter
        return self._send(Action.TRANSFER, **choice)

    def set_board_status(self, status: str) -> None:
        if status != self.board_status:
            self.board_status = status
            self.changed.emit()

    def set_scanner_status(self, status: str) -> None:
        if status != self.scanner_status:
            self.scanner_status = status
            self.changed.emit()

    def dismiss(self) -> None:
        """The operator read the message."""
        if self.error is not None or self.notice is not None:
            self.error = None
            self.notice = None
            self.changed.emit()

    def _send(self, action: Action, **body: object) -> bool:
        if not self.can(action):
            return False
        assert self._server is not None
        self.pending = action
        self.error = None
        self.notice = None
        future = self._server.request(action, timeout=REQUEST_TIMEOUT, **body)
        self.changed.emit()
        future.add_done_callback(lambda done: self._post(lambda: self._answered(action, done)))
        return True

    def _answered(self, action: Action, future: Future[Result]) -> None:
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
        assert isinstance(result, CounterResult), f"{action} answered with a {type(result).__name__}"
        self._apply_result(action, result)
        self.changed.emit()

    def _fail(self, error: CounterError) -> None:
        self.error = error
        self.changed.emit()
        self.failed.emit(error)

    def _notify(self, key: str, **values: object) -> None:
        self.notice = Notice(key, values)
        self.noticed.emit(self.notice)

    def _error_text(self, code: str, details: Mapping[str, object], fallback: str) -> str:
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

    def on_connection(self, state: ConnState) -> None:
        if state is self.connection:
            return
        self.connection = state
        if state is ConnState.ONLINE:
            self.ever_online = True
        self.changed.emit()

    def on_message(self, message: ServerMessage) -> None:
        match message:
            case Welcome():
                self._welcome(message)
            case EventMessage(event=event):
                self._event(event)
            case QueuesNotice(services=services):
                self._queue_figures = dict(services)
                self._rebuild_queues()
            case WaitingNotice(tickets=tickets, more=more):
                self.waiting, self.waiting_more = tickets, more
            case _:
                return
        self.changed.emit()

    def _welcome(self, welcome: Welcome) -> None:
        self._center(welcome.center)
        if welcome.snapshot is not None:
            self._snapshot(welcome.snapshot)
        elif welcome.resumed and self._server is not None:
            # The missed events follow this welcome; a fresh snapshot after them makes
            # sure the screen shows what the server holds, whatever happened meanwhile.
            # It comes as another welcome, which reaches on_message like this one.
            self._server.request("sync", timeout=5.0).add_done_callback(_ignore_outcome)

    def _center(self, center: CenterInfo) -> None:
        self.center = center
        self.services = {s.code: s for s in center.services}
        self.counters = {c.number: c for c in center.counters}
        self.outcomes = center.outcomes
        mine = self.counters.get(self.counter)
        self.my_services = mine.services if mine is not None else ()

    def _snapshot(self, snapshot: Snapshot) -> None:
        self.day_open = snapshot.open
        view = snapshot.counters.get(self.counter)
        if view is not None:
            self._counter_view(view)
        self.parked = [
            TicketInfo.of(t)
            for t in snapshot.tickets
            if t.state is TicketState.PARKED and t.counter == self.counter
        ]
        self._queue_figures = dict(snapshot.queues)
        self._rebuild_queues()

    def _counter_view(self, view: CounterView) -> None:
        """Take the server's view of this counter as it is."""
        self.state = view.state
        self.server_operator = view.operator or None
        self.current = TicketInfo.of(view.current) if view.current is not None else None
        self.figures = Figures.of(view)
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

    def _apply_result(self, action: Action, result: CounterResult) -> None:
        if action is Action.LOGIN and result.operator is not None:
            self.logged_in = True
            self.operator_login = result.operator.login
            self.operator_name = result.operator.name or result.operator.login
        if action is Action.LOGOUT:
            self._logged_out(None)
        self._counter_view(result.counter)
        view = result.ticket
        if view is None:
            return
        self.parked = [t for t in self.parked if t.id != view.id]
        if view.state is TicketState.PARKED:
            self.parked.append(TicketInfo.of(view))
        match action, view.state:
            case Action.RECALL, TicketState.NO_SHOW:
                self._notify("notice.recall_limit", number=view.number)
            case Action.NO_SHOW, _:
                self._notify("notice.no_show", number=view.number)
            case Action.TRANSFER, TicketState.WAITING:
                where = (
                    self.tr("transfer.counter_n", counter=view.target_counter)
                    if view.target_counter
                    else self.service_name(view.service)
                )
                key = "notice.transferred_back" if view.return_to == self.counter else "notice.transferred"
                self._notify(key, number=view.number, to=where)
            case Action.FINISH, TicketState.WAITING if view.return_to is None:
                # Finished here and sent back to the counter that asked for it to return, or
                # to the queue of its service when that counter has closed meanwhile.
                if view.target_counter is None:
                    service = self.service_name(view.service)
                    self._notify("notice.returned_to_queue", number=view.number, service=service)
                else:
                    self._notify("notice.returned", number=view.number, counter=view.target_counter)

    def _event(self, event: ev.Event) -> None:
        # ``counter=self.counter`` matches the events of this counter only.
        match event:
            case ev.DayOpened() | ev.DayClosed():
                self.day_open = isinstance(event, ev.DayOpened)
                self.state = CounterState.CLOSED
                self.server_operator = None
                self.current = None
                self.parked = []
                if self.day_open:
                    self.figures = Figures()
                self._logged_out("notice.day_closed")
            case ev.TicketTransferred(from_counter=self.counter, ticket=ticket) if self._held(ticket):
                self.current = None
            case ev.CounterOpened(counter=self.counter, operator=operator):
                self.state = CounterState.OPEN
                self.server_operator = operator
                if self.logged_in and operator != self.operator_login:
                    self._logged_out("notice.logged_out_by_server")
            case ev.CounterPaused(counter=self.counter):
                self.state = CounterState.PAUSED
            case ev.CounterResumed(counter=self.counter):
                self.state = CounterState.OPEN
            case ev.CounterClosed(counter=self.counter):
                self.state = CounterState.CLOSED
                self.server_operator = None
                if self.pending is not Action.LOGOUT:
                    self._logged_out("notice.logged_out_by_server")
            case ev.TicketCalled(
                counter=self.counter, ticket=ticket, number=number, service=service, at=at, lang=lang
            ):
                known = next((t for t in self.parked if t.id == ticket), None)
                self.parked = [t for t in self.parked if t.id != ticket]
                listed = next((t for t in self.waiting if t.id == ticket), None)
                # The reply to the call may come first: what it said (the arrival times, the
                # priority right) is kept.
                base = (
                    known
                    or self._held(ticket)
                    or TicketInfo(
                        id=ticket,
                        number=number,
                        service=service,
                        state=TicketState.CALLED,
                        lang=lang or (listed.lang if listed is not None else None),
                        priority=listed.priority if listed is not None else Priority.NONE,
                    )
                )
                # The event says who and when; the reply that follows adds the arrival times.
                self.current = replace(
                    base,
                    service=service or base.service,
                    state=TicketState.CALLED,
                    called_at=at,
                    started_at=None,
                    recalls=0,
                )
            case ev.TicketRecalled(counter=self.counter, ticket=ticket, recalls=recalls) if (
                held := self._held(ticket)
            ):
                self.current = replace(held, recalls=recalls)
            case ev.ServiceStarted(counter=self.counter, ticket=ticket, at=at) if held := self._held(ticket):
                self.current = replace(held, state=TicketState.SERVING, started_at=at)
            case ev.TicketFinished(counter=self.counter, ticket=ticket, at=at) if held := self._held(ticket):
                seconds = (at - held.started_at).total_seconds() if held.started_at is not None else 0.0
                self.figures = replace(
                    self.figures,
                    served=self.figures.served + 1,
                    service_seconds=self.figures.service_seconds + seconds,
                )
                self.current = None
            case ev.TicketNoShow(counter=self.counter, ticket=ticket) if self._held(ticket):
                self.figures = replace(self.figures, no_shows=self.figures.no_shows + 1)
                self.current = None
            case ev.TicketParked(counter=self.counter, ticket=ticket) if held := self._held(ticket):
                self.parked = [*self.parked, replace(held, state=TicketState.PARKED)]
                self.current = None

    def _held(self, ticket: TicketId) -> TicketInfo | None:
        """The ticket at the counter, if it is ``ticket``."""
        return self.current if self.current is not None and self.current.id == ticket else None

    def _rebuild_queues(self) -> None:
        rows = []
        for code in self.my_services:
            figures = self._queue_figures.get(code)
            rows.append(
                QueueRow(
                    service=code,
                    name=self.service_name(code),
                    waiting=figures.waiting if figures is not None else 0,
                    oldest_wait_min=figures.oldest_wait_min if figures is not None else 0.0,
                )
            )
        self.queues = rows

    @property
    def waiting_total(self) -> int:
        return sum(row.waiting for row in self.queues)


def _ignore_outcome(future: Future[Result]) -> None:
    # Syncs are fire-and-forget; read the exception so that it is not reported as never
    # retrieved.
    if not future.cancelled():
        future.exception()
