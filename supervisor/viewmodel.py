"""The supervisor's desk, without Qt.

:class:`SupervisorViewModel` holds everything the floor manager's window shows: the hall
(every counter, by floor and agency, with its state, operator, ticket and how long), the
queues of every service against the center's standard, the alerts that need someone (devices
failing, queues over or heading over the standard, citizens nobody would call), today's
figures, the displays' message, the day and the connection. The window
(``supervisor.qt_supervisor``) only draws it and forwards clicks; tests drive it with no
screen at all.

Threading: every method runs in one thread (the GUI thread in the app). The session
(``wire.session.Session``) hands it the server's messages and the connection's changes in
that thread, and the answers to its requests through ``post``.

What is shown always comes from the server: the welcome snapshot, the events (the engine's
own values), the ``queues`` figures, the queue alerts the server decides for every
supervisor, and the devices' health notices. Which queue needs attention, and when a wait is
expected to pass the standard, the server says (``server/watch.py``); the desk keeps the
list of alerts, each with its time and whether the supervisor has acknowledged it.
"""

from __future__ import annotations

import enum
import itertools
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from psygnal import Signal

from wire import events as ev
from wire.client import ConnState, RequestFailed, Result
from wire.i18n import catalog, tr as wire_tr
from wire.messages import (
    AlertNotice,
    CenterInfo,
    CounterView,
    DeviceHealth,
    DeviceStatusNotice,
    ErrorMessage,
    EventMessage,
    EventsResult,
    FigureRow,
    FiguresResult,
    HealthStatus,
    MessageNotice,
    Names,
    QueueAlert,
    QueueAlertsNotice,
    QueueFigures,
    QueuesNotice,
    RecoveredNotice,
    ServerMessage,
    Snapshot,
    TicketView,
    Welcome,
    pick,
)
from wire.protocol import HEALTH_SEVERITY
from wire.session import Post, Requester
from wire.types import (
    LANGS,
    CounterNo,
    CounterState,
    Lang,
    Priority,
    ServiceCode,
    TicketId,
    TicketState,
    WaitRange,
)

REQUEST_TIMEOUT = 15.0
"""Seconds an action may wait for its answer (a short outage included: the client sends it
again with the same id, so it takes effect once)."""

FIGURES_EVERY_S = 60.0
"""Today's figures are asked for again this often (and at once after every welcome)."""

BAD = HEALTH_SEVERITY["offline"]
"""The level of a device part that doesn't work (``offline``, ``paper_out``, ``error``, ...)."""


class Server(Requester, Protocol):
    """What the view-model needs of its session: ``wire.session.Session``, or a test's fake."""

    def now(self) -> datetime: ...

    def sign_in(self, login: str, password: str) -> None: ...


class Look(enum.StrEnum):
    """How a counter is drawn in the hall: its colour."""

    CLOSED = "closed"
    IDLE = "idle"
    """Open, nobody at the counter: waiting for the operator to call."""
    CALLING = "calling"
    SERVING = "serving"
    PAUSED = "paused"
    OFFLINE = "offline"
    """Working (open or paused), but its app or its number board is offline."""


@dataclass(frozen=True, slots=True)
class Tile:
    """One counter as the hall shows it."""

    number: CounterNo
    zone: str
    agency: str
    look: Look
    activity: Look
    """What it is doing, its app or board offline or not (never ``OFFLINE``)."""
    state: CounterState
    operator: str | None
    ticket: str | None
    """The number of the ticket it holds."""
    since: datetime | None
    """When it got to what it is doing (the call, the start, the pause, the last release)."""
    services: tuple[ServiceCode, ...]
    board_offline: bool = False
    app_offline: bool = False


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One service's queue, as the queues table shows it."""

    service: ServiceCode
    agency: str
    waiting: int
    booked: int
    """Of ``waiting``, booked citizens checked in (in the appointment lane)."""
    oldest_wait_min: float
    over: bool
    """The oldest wait has passed the standard."""
    open: int
    paused: int
    total: int
    """Counters serving it today: open, paused, all."""
    wait: WaitRange | None
    breach_in_min: int | None
    stranded: int
    urgency: tuple[int, float]
    """Higher is more urgent: (stranded 3, over 2, heading over 1, else 0; the oldest wait)."""


class AlertKind(enum.StrEnum):
    DEVICE = "device"
    OVER_STANDARD = "over_standard"
    FORECAST = "forecast"
    STRANDED = "stranded"


@dataclass
class Alert:
    """Something that needs the supervisor, kept in the list with its time."""

    id: int
    kind: AlertKind
    subject: str
    """The device part (``kiosk:kiosk-1/printer``) or the service (``DIN-ID``)."""
    at: datetime
    """When it began, by the server's clock."""
    status: str | None = None
    """A device's status (``paper_out``, ``offline``)."""
    detail: str | None = None
    values: dict[str, object] = field(default_factory=dict)
    """The figures in its text, as of when it was last current."""
    active: bool = True
    """Its reason is still there."""
    acknowledged_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True, slots=True)
class Break:
    counter: CounterNo
    operator: str | None
    since: datetime | None


def _lang(value: str | None) -> Lang | None:
    return next((lang for lang in LANGS if lang == value), None)


def device_parts(name: str) -> tuple[str, str, str]:
    """``"kiosk:kiosk-1/printer"`` -> ``("kiosk", "kiosk-1", "printer")``."""
    who, _, component = name.partition("/")
    role, _, code = who.partition(":")
    return role, code, component


def minutes_text(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm`` above; ``–`` when unknown."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds))
    if total >= 3600:
        return f"{total // 3600}:{total % 3600 // 60:02d} h"
    return f"{total // 60}:{total % 60:02d}"


class SupervisorViewModel:
    """State of the supervisor's desk.

    Args:
        post: runs a callable in the view-model's thread; answers to requests complete in
            the client's thread and come back through it.
        lang: the starting language (az, ru or en).
        clock: a monotonic clock in seconds (for when to ask for figures again).

    Call :meth:`attach` with its session, then :meth:`sign_in`.
    """

    state_changed = Signal()
    """The connection, the login, the day, the message or the language changed."""
    counters_changed = Signal(object)
    """The counters whose tiles changed (a set of numbers), or None for all of them."""
    queues_changed = Signal()
    tickets_changed = Signal()
    """The waiting tickets changed (the lists to cancel or move from)."""
    alerts_changed = Signal()
    alert_raised = Signal(object)
    """A new :class:`Alert` (the window plays a sound)."""
    figures_changed = Signal()
    done = Signal(str)
    """An action succeeded: the text to show."""
    failed = Signal(str)
    """An action was refused or got no answer: the text to show."""

    def __init__(
        self, *, post: Post | None = None, lang: str = "az", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lang: Lang = _lang(lang) or "az"
        self._post: Post = post or (lambda fn: fn())
        self._clock = clock
        self._server: Server | None = None
        self._catalog = catalog("supervisor")
        self.connection = ConnState.STOPPED
        self.ever_online = False
        self.offline_since: datetime | None = None
        self.login: str | None = None
        self.signing_in = False
        self.login_error: str | None = None
        """Why the last login was refused (the text), until the next try."""
        self.center: CenterInfo | None = None
        self.day: date | None = None
        self.day_open = False
        self.message: Names | None = None
        self.counters: dict[CounterNo, CounterView] = {}
        self.tickets: dict[TicketId, TicketView] = {}
        """Today's tickets the desk knows of (every one not finished, and those since)."""
        self.idle_since: dict[CounterNo, datetime] = {}
        self.queues: dict[ServiceCode, QueueFigures] = {}
        self.devices: dict[str, DeviceHealth] = {}
        self.queue_alerts: tuple[QueueAlert, ...] = ()
        self.alerts: list[Alert] = []
        """Newest first."""
        self.figures: FiguresResult | None = None
        self._figures_asked_at: float | None = None
        self._figures_pending = False
        self._ids = itertools.count(1)
        self.pending: set[str] = set()
        """Actions in flight (their keys), so a double click asks once."""

    # --- wiring -------------------------------------------------------------------------

    def attach(self, server: Server) -> None:
        self._server = server

    def tr(self, key: str, /, **values: object) -> str:
        """A text of the desk's catalog in the current language."""
        return self._catalog.tr(key, self.lang, **values)

    def set_lang(self, lang: str) -> None:
        chosen = _lang(lang)
        if chosen is not None and chosen != self.lang:
            self.lang = chosen
            self.state_changed.emit()
            self.counters_changed.emit(None)
            self.queues_changed.emit()
            self.tickets_changed.emit()
            self.alerts_changed.emit()
            self.figures_changed.emit()

    def now(self) -> datetime:
        """Now by the server's clock (this PC's before a session is attached)."""
        return self._server.now() if self._server is not None else datetime.now(UTC)

    def sign_in(self, login: str, password: str) -> bool:
        """Connect as the operator ``login`` (who must be a supervisor). Every reconnection
        uses the same login and password: nobody is asked twice."""
        login = login.strip()
        if not login or not password:
            self.login_error = wire_tr("error.wrong_password", self.lang)
            self.state_changed.emit()
            return False
        assert self._server is not None, "attach a session first"
        self.login = login
        self.signing_in = True
        self.login_error = None
        self._server.sign_in(login, password)
        self.state_changed.emit()
        return True

    # --- names --------------------------------------------------------------------------

    def center_name(self) -> str:
        return pick(self.center.name, self.lang) if self.center is not None else ""

    def service_name(self, code: str) -> str:
        info = self.center.service(code) if self.center is not None else None
        return (pick(info.name, self.lang) if info is not None else "") or code

    def agency_name(self, code: str | None) -> str:
        agency = self.center.agency(code) if self.center is not None and code else None
        return (pick(agency.name, self.lang) if agency is not None else "") or (code or "")

    def zone_name(self, code: str) -> str:
        zone = self.center.zone(code) if self.center is not None else None
        return (pick(zone.name, self.lang) if zone is not None else "") or code

    def agency_of_service(self, code: str) -> str:
        info = self.center.service(code) if self.center is not None else None
        return info.agency if info is not None else ""

    @property
    def standard_min(self) -> float:
        return self.center.wait_standard_min if self.center is not None else 15.0

    # --- the connection -----------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connection is ConnState.ONLINE

    @property
    def signed_in(self) -> bool:
        """The server has welcomed this desk at least once (the hall can be shown)."""
        return self.ever_online

    @property
    def offline(self) -> bool:
        """The banner: the desk was online and is not now; what it shows may be stale."""
        return self.ever_online and not self.online

    def on_connection(self, state: ConnState) -> None:
        if state is self.connection:
            return
        self.connection = state
        if state is ConnState.ONLINE:
            self.ever_online = True
            self.signing_in = False
            self.offline_since = None
            self.ask_figures()  # the welcome came just before: today's figures of the moment
        elif self.ever_online and self.offline_since is None:
            self.offline_since = self.now()
        if state is ConnState.REFUSED:
            # A supervisor's hello is refused only for the login: ask again, don't retry.
            self.signing_in = False
            self.ever_online = False
            self.login_error = wire_tr("error.wrong_password", self.lang)
        self.state_changed.emit()

    # --- messages -----------------------------------------------------------------------

    def on_message(self, message: ServerMessage) -> None:
        match message:
            case Welcome():
                self._welcome(message)
            case EventMessage(event=event):
                self._event(event)
            case QueuesNotice(services=services):
                self.queues = dict(services)
                self._refresh_queue_alerts()
                self.queues_changed.emit()
            case QueueAlertsNotice(alerts=alerts):
                self._queue_alerts(alerts)
            case DeviceStatusNotice(device=device, role=role, status=status, at=at):
                self.devices[device] = DeviceHealth(role=role, status=status, at=at)
                self._device_state(device, status, at)
            case (
                AlertNotice(device=device, status=status, at=at)
                | RecoveredNotice(device=device, status=status, at=at)
            ):
                self._device_state(device, status, at)
            case MessageNotice(text=text):
                self.message = text
                self.state_changed.emit()
            case ErrorMessage():
                pass  # answers to our requests reach their futures

    def _welcome(self, welcome: Welcome) -> None:
        self.center = welcome.center
        snapshot = welcome.snapshot
        if snapshot is not None:
            self._snapshot(snapshot)
        self._figures_asked_at = None
        self.state_changed.emit()
        self.counters_changed.emit(None)
        self.queues_changed.emit()
        self.tickets_changed.emit()

    def _snapshot(self, snapshot: Snapshot) -> None:
        self.day, self.day_open = snapshot.day, snapshot.open
        self.message = snapshot.message
        self.queues = dict(snapshot.queues)
        self.counters = dict(snapshot.counters)
        self.tickets = {t.id: t for t in snapshot.tickets}
        self.idle_since = {n: c.since for n, c in self.counters.items() if c.since is not None}
        self.devices = dict(snapshot.devices)
        # Devices failing now: an alert each, unless the list has it already.
        for name, health in self.devices.items():
            self._device_state(name, health.status, health.at)
        self._queue_alerts(snapshot.queue_alerts)

    # --- events -------------------------------------------------------------------------

    def _event(self, event: ev.Event) -> None:
        changed: set[CounterNo] = set()
        tickets_changed = True
        match event:
            case ev.DayOpened(day=day, at=at):
                self.day, self.day_open = day, True
                self.tickets = {}
                self.counters = {
                    n: CounterView(number=n, state=CounterState.CLOSED, since=at) for n in self.counters
                }
                self.idle_since = {}
                self.state_changed.emit()
                self.counters_changed.emit(None)
                self.tickets_changed.emit()
                return
            case ev.DayClosed(unserved=unserved, at=at):
                self.day_open = False
                for tid in unserved:
                    self._ticket(tid, state=TicketState.CLOSED_UNSERVED)
                for n, c in self.counters.items():
                    self.counters[n] = c.model_copy(
                        update={"state": CounterState.CLOSED, "operator": None, "current": None, "since": at}
                    )
                self.state_changed.emit()
                self.counters_changed.emit(None)
                self.tickets_changed.emit()
                return
            case ev.TicketIssued():
                self.tickets[event.ticket] = TicketView(
                    id=event.ticket,
                    number=event.number,
                    service=event.service,
                    agency=event.agency,
                    state=TicketState.WAITING,
                    lang=event.lang,
                    priority=event.priority,
                    source=event.source,
                    issued_at=event.at,
                    queued_at=event.at,
                    appointment=event.appointment,
                    slot_at=event.slot_at,
                )
            case ev.TicketCancelled(ticket=tid):
                self._ticket(tid, state=TicketState.CANCELLED)
            case ev.TicketMoved(ticket=tid, to_service=service):
                self._ticket(
                    tid, service=service, agency=self.agency_of_service(service), target_counter=None
                )
            case ev.TicketCalled(ticket=tid, counter=n, at=at):
                ticket = self._ticket(tid, state=TicketState.CALLED, counter=n, called_at=at, recalls=0)
                self._hold(n, ticket)
                changed.add(n)
            case ev.TicketRecalled(ticket=tid, counter=n, recalls=recalls):
                self._hold(n, self._ticket(tid, recalls=recalls))
                changed.add(n)
            case ev.ServiceStarted(ticket=tid, counter=n, at=at):
                self._hold(n, self._ticket(tid, state=TicketState.SERVING, started_at=at))
                changed.add(n)
            case ev.TicketFinished(ticket=tid, counter=n, at=at):
                ticket = self.tickets.get(tid)
                spent = (at - ticket.started_at).total_seconds() if ticket and ticket.started_at else 0.0
                self._ticket(tid, state=TicketState.DONE)
                self._release(n, at, served=1, seconds=spent)
                changed.add(n)
            case ev.TicketNoShow(ticket=tid, counter=n, at=at):
                self._ticket(tid, state=TicketState.NO_SHOW)
                self._release(n, at, no_shows=1)
                changed.add(n)
            case ev.TicketParked(ticket=tid, counter=n, at=at):
                self._ticket(tid, state=TicketState.PARKED)
                self._release(n, at)
                changed.add(n)
            case ev.TicketTransferred(ticket=tid, from_counter=n, at=at):
                held = self.counters.get(n)
                if held is not None and held.current is not None and held.current.id == tid:
                    self._release(n, at)
                    changed.add(n)
                self._ticket(
                    tid,
                    state=TicketState.WAITING,
                    service=event.to_service,
                    agency=self.agency_of_service(event.to_service),
                    counter=None,
                    target_counter=event.to_counter,
                    return_to=event.return_to,
                    queued_at=at,
                    recalls=0,
                )
            case ev.CounterOpened(counter=n, operator=operator, at=at):
                self._counter(n, CounterState.OPEN, at, operator=operator)
                changed.add(n)
            case ev.CounterPaused(counter=n, at=at):
                self._counter(n, CounterState.PAUSED, at)
                changed.add(n)
            case ev.CounterResumed(counter=n, at=at):
                self._counter(n, CounterState.OPEN, at)
                changed.add(n)
            case ev.CounterClosed(counter=n, at=at):
                self._counter(n, CounterState.CLOSED, at, operator=None)
                changed.add(n)
            case ev.CounterServicesSet(counter=n, services=services):
                view = self.counters.get(n)
                if view is not None:
                    self.counters[n] = view.model_copy(update={"services": tuple(services)})
                changed.add(n)
                tickets_changed = False
            case _:
                tickets_changed = False  # a rating, the displays' line: nothing the desk draws
        if changed:
            self.counters_changed.emit(changed)
        if tickets_changed:
            self.tickets_changed.emit()

    def _ticket(self, tid: TicketId, **update: Any) -> TicketView | None:
        ticket = self.tickets.get(tid)
        if ticket is None:
            return None
        ticket = ticket.model_copy(update=update)
        self.tickets[tid] = ticket
        return ticket

    def _hold(self, number: CounterNo, ticket: TicketView | None) -> None:
        view = self.counters.get(number)
        if view is not None and ticket is not None:
            self.counters[number] = view.model_copy(update={"current": ticket})

    def _release(
        self, number: CounterNo, at: datetime, *, served: int = 0, seconds: float = 0.0, no_shows: int = 0
    ) -> None:
        view = self.counters.get(number)
        if view is None:
            return
        self.counters[number] = view.model_copy(
            update={
                "current": None,
                "served": view.served + served,
                "service_seconds": view.service_seconds + seconds,
                "no_shows": view.no_shows + no_shows,
            }
        )
        self.idle_since[number] = at

    def _counter(self, number: CounterNo, state: CounterState, at: datetime, **update: Any) -> None:
        view = self.counters.get(number) or CounterView(number=number, state=CounterState.CLOSED)
        if view.state is not state:
            update |= {"state": state, "since": at}
            self.idle_since[number] = at
        self.counters[number] = view.model_copy(update=update)

    # --- the hall -----------------------------------------------------------------------

    def services_of(self, number: CounterNo) -> tuple[ServiceCode, ...]:
        """The services ``number`` serves today (as the server last said)."""
        view = self.counters.get(number)
        if view is not None and view.services:
            return view.services
        info = self.center.counter(number) if self.center is not None else None
        return info.services if info is not None else ()

    def layout(self) -> list[tuple[str, list[tuple[str, list[CounterNo]]]]]:
        """The hall as the center file lays it out: each zone (floor), and in it each
        agency's counters, in file order."""
        if self.center is None:
            return []
        zones: dict[str, dict[str, list[CounterNo]]] = {z.code: {} for z in self.center.zones}
        for c in self.center.counters:
            zones.setdefault(c.zone, {}).setdefault(c.agency or "", []).append(c.number)
        return [(zone, list(agencies.items())) for zone, agencies in zones.items() if agencies]

    def tile(self, number: CounterNo) -> Tile:
        info = self.center.counter(number) if self.center is not None else None
        view = self.counters.get(number) or CounterView(number=number, state=CounterState.CLOSED)
        board = self._bad(f"counter:{number}/board")
        app = self._bad(f"counter:{number}/app")
        current = view.current
        since: datetime | None
        if view.state is CounterState.CLOSED:
            look, since = Look.CLOSED, view.since
        elif view.state is CounterState.PAUSED:
            look, since = Look.PAUSED, view.since
        elif current is not None and current.state is TicketState.SERVING:
            look, since = Look.SERVING, current.started_at
        elif current is not None:
            look, since = Look.CALLING, current.called_at
        else:
            look, since = Look.IDLE, self.idle_since.get(number, view.since)
        activity = look
        if view.state is not CounterState.CLOSED and (board or app):
            look = Look.OFFLINE
        return Tile(
            number=number,
            zone=info.zone if info is not None else "",
            agency=(info.agency or "") if info is not None else "",
            look=look,
            activity=activity,
            state=view.state,
            operator=view.operator,
            ticket=current.number if current is not None else None,
            since=since,
            services=self.services_of(number),
            board_offline=board,
            app_offline=app,
        )

    def seconds_since(self, moment: datetime | None) -> float | None:
        return (self.now() - moment).total_seconds() if moment is not None else None

    def breaks(self) -> list[Break]:
        """Who is on a break now, longest first."""
        paused = [
            Break(n, c.operator, c.since) for n, c in self.counters.items() if c.state is CounterState.PAUSED
        ]
        return sorted(paused, key=lambda b: (b.since or self.now(), b.counter))

    def counter_states(self, service: ServiceCode) -> tuple[int, int, int]:
        """(open, paused, all) of the counters serving ``service`` today."""
        open_ = paused = total = 0
        for info in self.center.counters if self.center is not None else ():
            if service not in self.services_of(info.number):
                continue
            total += 1
            view = self.counters.get(info.number)
            state = view.state if view is not None else CounterState.CLOSED
            open_ += state is CounterState.OPEN
            paused += state is CounterState.PAUSED
        return open_, paused, total

    # --- the queues ---------------------------------------------------------------------

    def queue_rows(self) -> list[QueueRow]:
        """Every service with citizens waiting or counters serving it, the most urgent first."""
        standard = self.standard_min
        booked = Counter(
            t.service
            for t in self.tickets.values()
            if t.state is TicketState.WAITING and t.slot_at is not None
        )
        rows = []
        for code, fig in self.queues.items():
            open_, paused, total = self.counter_states(code)
            if not fig.waiting and not open_ and not paused:
                continue
            over = fig.breach_in_min == 0
            heading = fig.breach_in_min is not None and not over
            level = 3 if fig.stranded else 2 if over else 1 if heading else 0
            rows.append(
                QueueRow(
                    service=code,
                    agency=self.agency_of_service(code),
                    waiting=fig.waiting,
                    booked=booked.get(code, 0),
                    oldest_wait_min=fig.oldest_wait_min,
                    over=over or fig.oldest_wait_min >= standard,
                    open=open_,
                    paused=paused,
                    total=total,
                    wait=fig.wait,
                    breach_in_min=fig.breach_in_min,
                    stranded=fig.stranded,
                    urgency=(level, fig.oldest_wait_min),
                )
            )
        return sorted(rows, key=lambda r: (r.urgency[0], r.urgency[1], r.waiting), reverse=True)

    def waiting_tickets(self, service: ServiceCode | None = None) -> list[TicketView]:
        """Tickets waiting (for ``service``, or any), longest wait first."""
        waiting = [
            t
            for t in self.tickets.values()
            if t.state is TicketState.WAITING and (service is None or t.service == service)
        ]
        return sorted(waiting, key=lambda t: (t.queued_at or t.issued_at, t.number))

    def marks_text(self, ticket: TicketView) -> str:
        """A waiting ticket's marks: its priority and, for a booked citizen, the slot
        ("war veteran · Booked 10:30"); "—" when it has neither."""
        marks = [self.tr(f"priority.{ticket.priority.value}")] if ticket.priority is not Priority.NONE else []
        if ticket.slot_at is not None:
            slot = ticket.slot_at.astimezone(self.center.tz) if self.center is not None else ticket.slot_at
            marks.append(self.tr("waiting.booked", time=f"{slot:%H:%M}"))
        return " · ".join(marks) or self.tr("priority.none")

    def forecast_text(self, service: ServiceCode, breach_in_min: int | None) -> str:
        """ "At this rate DIN-ID passes 15 min in about 20 min; 2 of its 4 counters are paused.\""""
        open_, paused, total = self.counter_states(service)
        standard = f"{self.standard_min:g}"
        if breach_in_min is None:
            return ""
        head = (
            self.tr("forecast.over", service=service, standard=standard)
            if breach_in_min == 0
            else self.tr("forecast.soon", service=service, standard=standard, minutes=breach_in_min)
        )
        if paused:
            tail = self.tr("forecast.paused", paused=paused, total=total)
        else:
            tail = self.tr("forecast.open", open=open_, total=total)
        return f"{head}; {tail}"

    # --- alerts -------------------------------------------------------------------------

    @property
    def unacknowledged(self) -> int:
        return sum(1 for a in self.alerts if not a.acknowledged)

    def acknowledge(self, alert_id: int) -> None:
        for alert in self.alerts:
            if alert.id == alert_id and alert.acknowledged_at is None:
                alert.acknowledged_at = self.now()
                self.alerts_changed.emit()
                return

    def acknowledge_all(self) -> None:
        now = self.now()
        touched = False
        for alert in self.alerts:
            if alert.acknowledged_at is None:
                alert.acknowledged_at = now
                touched = True
        if touched:
            self.alerts_changed.emit()

    def alert_text(self, alert: Alert) -> str:
        """What the alert says, in the current language."""
        if alert.kind is AlertKind.DEVICE:
            role, code, component = device_parts(alert.subject)
            what = self.tr(f"status.{alert.status}") if alert.status else ""
            text = self.tr(
                "alert.device",
                device=self.tr(f"role.{role}", code=code),
                component=self.tr(f"component.{component}"),
                status=what,
            )
            return f"{text} ({alert.detail})" if alert.detail else text
        values = dict(alert.values)
        service = alert.subject
        name = self.service_name(service)
        if alert.kind is AlertKind.FORECAST:
            breach = values.get("breach_in_min")
            return self.forecast_text(service, breach if isinstance(breach, int) else None)
        if alert.kind is AlertKind.OVER_STANDARD:
            return self.tr(
                "alert.over_standard",
                service=service,
                name=name,
                waiting=values.get("waiting", 0),
                oldest=f"{float(str(values.get('oldest', 0.0))):.0f}",
                standard=f"{self.standard_min:g}",
            )
        return self.tr("alert.stranded", service=service, name=name, count=values.get("stranded", 0))

    def _raise(
        self,
        kind: AlertKind,
        subject: str,
        at: datetime,
        status: str | None = None,
        detail: str | None = None,
        values: dict[str, object] | None = None,
    ) -> Alert:
        alert = Alert(next(self._ids), kind, subject, at, status, detail, values or {})
        self.alerts.insert(0, alert)
        self.alerts_changed.emit()
        self.alert_raised.emit(alert)
        return alert

    def _active_device_alert(self, device: str) -> Alert | None:
        return next(
            (a for a in self.alerts if a.kind is AlertKind.DEVICE and a.subject == device and a.active), None
        )

    def _device_state(self, device: str, status: HealthStatus, at: datetime) -> None:
        """A device part is now ``status`` (a report, an alert, a recovery, or a snapshot's
        or a resumption's account): one active alert while it isn't working, for its latest
        state; none once it works. Told twice (a status, then its alert), it alerts once."""
        old = self._active_device_alert(device)
        if old is not None and old.status == status.status:
            return
        if old is not None:
            old.active = False  # the older state is history; a new one is its own alert
        if _level(status.status) >= 1:
            self._raise(AlertKind.DEVICE, device, at, status.status, status.detail)
        elif old is not None:
            self.alerts_changed.emit()
        self._device_changed(device)

    def _device_changed(self, device: str) -> None:
        role, code, _ = device_parts(device)
        if role == "counter" and code.isdigit():
            self.counters_changed.emit({int(code)})

    def _bad(self, device: str) -> bool:
        health = self.devices.get(device)
        return health is not None and _level(health.status.status) >= BAD

    def _queue_values(self, service: str) -> dict[str, object]:
        fig = self.queues.get(service)
        if fig is None:
            return {}
        return {
            "waiting": fig.waiting,
            "oldest": fig.oldest_wait_min,
            "breach_in_min": fig.breach_in_min,
            "stranded": fig.stranded,
        }

    def _queue_alerts(self, alerts: tuple[QueueAlert, ...]) -> None:
        self.queue_alerts = alerts
        now = {(a.service, a.kind): a for a in alerts}
        active = {
            (a.subject, a.kind.value): a for a in self.alerts if a.kind is not AlertKind.DEVICE and a.active
        }
        touched = False
        for key, alert in active.items():
            if key not in now:
                alert.active = False
                touched = True
        if touched:
            self.alerts_changed.emit()
        for key, queue_alert in now.items():
            if key not in active:
                self._raise(
                    AlertKind(queue_alert.kind),
                    queue_alert.service,
                    queue_alert.since,
                    values=self._queue_values(queue_alert.service),
                )

    def _refresh_queue_alerts(self) -> None:
        """The figures of the queue alerts still current follow the queues."""
        touched = False
        for alert in self.alerts:
            if alert.kind is not AlertKind.DEVICE and alert.active:
                values = self._queue_values(alert.subject)
                if values and values != alert.values:
                    alert.values = values
                    touched = True
        if touched:
            self.alerts_changed.emit()

    # --- today's figures ----------------------------------------------------------------

    def tick(self) -> None:
        """Called every second or so: asks for today's figures again when they are old."""
        asked = self._figures_asked_at
        if asked is None or self._clock() - asked >= FIGURES_EVERY_S:
            self.ask_figures()

    def ask_figures(self) -> None:
        if self._server is None or not self.online or self._figures_pending:
            return
        self._figures_pending = True
        self._figures_asked_at = self._clock()
        future = self._server.request("figures", timeout=REQUEST_TIMEOUT)
        future.add_done_callback(lambda done: self._post(lambda: self._figures_answered(done)))

    def _figures_answered(self, future: Future[Result]) -> None:
        self._figures_pending = False
        try:
            result = future.result()
        except RequestFailed:
            self._figures_asked_at = None  # ask again at the next tick
            return
        if isinstance(result, FiguresResult):
            self.figures = result
            self.figures_changed.emit()

    def figure_rows(self, level: str) -> list[FigureRow]:
        """``agency`` or ``operator`` rows of today's figures, with the center's first."""
        if self.figures is None:
            return []
        rows = list(self.figures.agencies if level == "agency" else self.figures.operators)
        return ([self.figures.center] if self.figures.center is not None else []) + rows

    # --- actions ------------------------------------------------------------------------

    def can_act(self) -> bool:
        return self._server is not None and self.online

    def open_counter(self, number: CounterNo) -> bool:
        return self._ask("open_counter", "done.open_counter", {"counter": number}, counter=number)

    def pause_counter(self, number: CounterNo) -> bool:
        return self._ask("pause_counter", "done.pause_counter", {"counter": number}, counter=number)

    def resume_counter(self, number: CounterNo) -> bool:
        return self._ask("resume_counter", "done.resume_counter", {"counter": number}, counter=number)

    def close_counter(self, number: CounterNo) -> bool:
        return self._ask("close_counter", "done.close_counter", {"counter": number}, counter=number)

    def set_counter_services(self, number: CounterNo, services: list[ServiceCode]) -> bool:
        if not services:
            return False
        return self._ask(
            "set_counter_services",
            "done.set_counter_services",
            {"counter": number, "services": ", ".join(services)},
            counter=number,
            services=list(services),
        )

    def cancel_ticket(self, ticket: TicketId) -> bool:
        number = self.tickets[ticket].number if ticket in self.tickets else ticket
        return self._ask("cancel", "done.cancel_ticket", {"ticket": number}, ticket=ticket)

    def move_ticket(self, ticket: TicketId, to_service: ServiceCode) -> bool:
        number = self.tickets[ticket].number if ticket in self.tickets else ticket
        return self._ask(
            "move_ticket",
            "done.move_ticket",
            {"ticket": number, "service": to_service},
            ticket=ticket,
            to_service=to_service,
        )

    def set_message(self, text: Mapping[str, str] | None) -> bool:
        """The displays' scrolling line in each language; None or all empty removes it."""
        cleaned = {lang: value.strip() for lang, value in (text or {}).items() if value and value.strip()}
        body = cleaned or None
        key = "done.set_message" if body else "done.clear_message"
        return self._ask("set_message", key, {}, text=body)

    def open_day(self) -> bool:
        return self._ask("open_day", "done.open_day", {})

    def close_day(self) -> bool:
        return self._ask("close_day", "done.close_day", {})

    def confirm_text(self, action: str, **values: object) -> str:
        """The question the window asks before an action ("Close counter 12?")."""
        return self.tr(f"confirm.{action}", **values)

    def _ask(self, kind: str, done_key: str, values: dict[str, object], **body: Any) -> bool:
        if not self.can_act():
            self.failed.emit(self.tr("offline.cannot_act"))
            return False
        assert self._server is not None
        pending = f"{kind}:{sorted(body.items())}"
        if pending in self.pending:
            return False
        self.pending.add(pending)
        future = self._server.request(kind, timeout=REQUEST_TIMEOUT, **body)
        future.add_done_callback(lambda f: self._post(lambda: self._answered(pending, done_key, values, f)))
        return True

    def _answered(
        self, pending: str, done_key: str, values: dict[str, object], future: Future[Result]
    ) -> None:
        self.pending.discard(pending)
        try:
            result = future.result()
        except RequestFailed as exc:
            self.failed.emit(self._error_text(exc))
            return
        if isinstance(result, EventsResult) and not result.events:
            self.done.emit(self.tr("done.nothing"))
            return
        self.done.emit(self.tr(done_key, **values))

    def _error_text(self, exc: RequestFailed) -> str:
        if exc.code in ("timeout", "stopped"):
            return self.tr("error.no_answer")
        values = {k: v for k, v in exc.details.items() if k != "detail"}
        text = wire_tr(f"error.{exc.code}", self.lang, detail=exc.details.get("detail", ""), **values)
        return text if text != f"error.{exc.code}" else exc.message


def _level(status: str) -> int:
    return HEALTH_SEVERITY.get(status, BAD)
