"""State and decisions of the kiosk screen, without Qt.

The Qt window (``kiosk.qt_kiosk``) only draws what this model says and forwards taps to
it. Everything a citizen can do, and everything that can go wrong (no server, no paper,
impatient taps), is decided here, so it is tested without a screen.

What the server says arrives typed (``wire.messages``): the center from the
``Welcome``, the queue figures (with the promised :class:`~wire.types.WaitRange` of each
service) from its snapshot and every ``QueuesNotice``, the ticket from the ``IssueResult``.

Threads: the model is used from one thread (the GUI thread). Answers from the server and
the printer arrive on other threads as futures; the model hands their completion to
``post``, which must run the given function in the model's thread (the app's session
posts through the GUI event loop, ``shell.bridge``; tests call it directly).

Time: the model reads ``clock`` (seconds, monotonic) and is driven by :meth:`tick`, so the
tests control inactivity and timeouts without sleeping.
"""

from __future__ import annotations

import enum
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

from psygnal import Signal

from hardware.exceptions import CoverOpen, DeviceError, PaperOut, PrinterTimeout, PrinterUnavailable
from hardware.ticket import TicketView
from wire.client import ConnState, RequestFailed, RequestTimeout, Result
from wire.i18n import catalog, wait_words
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    IssuedTicket,
    IssueResult,
    Names,
    QueueFigures,
    QueuesNotice,
    ServerMessage,
    ServiceInfo,
    Welcome,
    pick,
)
from wire.session import Requester
from wire.types import LANGS, Lang, Priority, WaitRange

log = logging.getLogger("novbe.kiosk")

RIGHTS: tuple[Priority, ...] = tuple(p for p in Priority if p is not Priority.NONE)
"""The priority rights a citizen may claim, in the order the priority screen shows them."""


class Screen(enum.StrEnum):
    START = "start"
    AGENCIES = "agencies"
    SERVICES = "services"
    PRIORITY = "priority"
    TICKET = "ticket"


class PrintState(enum.StrEnum):
    """What happened to the printout of the ticket on screen."""

    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"
    """The printer failed on this ticket, or was known to be out of order: nothing printed."""
    NO_PRINTER = "no_printer"
    """The kiosk has no printer: the ticket is on screen only."""


NO_PRINTER = "no printer configured: set printer in the kiosk's device file and in center.toml"
"""What a kiosk without a printer tells the supervisor (its health report's detail)."""


@dataclass(frozen=True)
class Timings:
    """Every delay the kiosk uses, in seconds. Tests and the benchmark shorten some."""

    inactivity: float = 30.0
    """Back to the start screen when nobody touched the screen this long."""
    ticket: float = 10.0
    """How long the ticket stays on screen after it printed."""
    ticket_unprinted: float = 30.0
    """How long it stays when it could not be printed: time to photograph it."""
    tap_guard: float = 0.35
    """Taps this soon after a screen change are ignored: the second half of a double tap
    must not land on whatever button the new screen has at the same place."""
    ticket_tap_guard: float = 1.5
    """An impatient tap right after the ticket appears must not dismiss it unseen."""
    offline_grace: float = 2.0
    """A connection that drops and comes back within this time is not shown."""
    issue_timeout: float = 8.0
    """How long to wait for the server's answer to a ticket request."""
    printer_poll_ok: float = 30.0
    """Printer status checks while it works: finds an empty roll before a citizen does."""
    printer_poll_failed: float = 3.0
    """Printer status checks while it is out of order: notices quickly that it is back."""


class Server(Requester, Protocol):
    """What the model needs of its session with the server (``wire.session.Session``)."""

    def report_health(self, component: str, status: str, detail: str | None = None) -> None: ...


class PrinterPort(Protocol):
    """What the model needs of the printer (``kiosk.printing.PrinterService``): both calls
    return at once and complete on another thread."""

    def print_ticket(self, view: TicketView) -> Future[Any]: ...

    def status(self) -> Future[Any]:
        """Completes with a ``hardware.printer.PrinterStatus``."""
        ...


CLOSED = QueueFigures(waiting=0, oldest_wait_min=0.0, open_counters=0, available=False, reason="closed")
"""The figures of a service the server has said nothing about: no ticket for it."""


@dataclass(frozen=True)
class Ticket:
    """A ticket the server issued, as the kiosk shows and prints it."""

    id: str
    number: str
    service: str
    agency: str
    zone: str
    ahead: int
    wait: WaitRange
    issued_at: datetime
    priority: Priority
    lang: Lang
    qr_data: str
    """What the QR code holds, on screen and on paper."""

    @classmethod
    def of(cls, issued: IssuedTicket, center: str) -> Ticket:
        """The kiosk's ticket for the one the server issued in center ``center``: its
        fields of the same names, and the QR code's data."""
        same = {f.name: getattr(issued, f.name) for f in fields(cls) if f.name != "qr_data"}
        # The ticket's id says everything needed to find it again; with the center code a
        # photo of the QR code is unambiguous at the counter.
        return cls(**same, qr_data=f"NOVBE:{center}:{issued.id}")


@dataclass(frozen=True)
class Notice:
    """A message on screen, as a catalog key and its values (translated when drawn)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    request_id: str
    service: str
    priority: Priority
    lang: Lang
    started: float


# hardware.printer.PrinterStatus values as the health report names them (wire protocol
# ReportHealth.status). Keyed by value: the model doesn't import the printer driver, which
# loads python-escpos and would slow the kiosk's start by a second.
_STATUS_HEALTH = {
    "ok": "ok",
    "unknown": "ok",  # a device file can't answer; printing is the only test
    "paper_low": "paper_low",
    "paper_out": "paper_out",
    "cover_open": "cover_open",
    "offline": "offline",
}
_USABLE = frozenset({"ok", "paper_low"})


def health_of_error(exc: BaseException) -> str:
    """The health status to report for a failed print."""
    if isinstance(exc, PaperOut):
        return "paper_out"
    if isinstance(exc, CoverOpen):
        return "cover_open"
    if isinstance(exc, PrinterUnavailable | PrinterTimeout):
        return "offline"
    return "error"


class KioskViewModel:
    """Everything the kiosk screen shows and every decision it makes.

    Args:
        server: the session with the server: ``request`` returns a future of the typed
            result; ``report_health`` tells the supervisors how the printer is.
        printer: the ticket printer, behind a worker thread; None for a kiosk without one,
            which says so on screen and reports its printer ``offline`` to the supervisor.
        printer_note: said to the supervisor with every report of a working printer (the
            virtual printer says that nothing comes out on paper).
        device: this kiosk's code (shown to the supervisor in health reports by the server).
        default_lang: the language of the start screen's chrome and of a reset kiosk.
        clock: monotonic seconds.
        post: runs a function in the model's thread (see the module docstring).
    """

    changed = Signal()
    """Something on screen changed; the view redraws."""

    def __init__(
        self,
        server: Server,
        printer: PrinterPort | None,
        *,
        printer_note: str | None = None,
        device: str = "kiosk",
        default_lang: str = "az",
        clock: Callable[[], float],
        post: Callable[[Callable[[], None]], None],
        timings: Timings | None = None,
    ) -> None:
        self._server = server
        self._printer = printer
        self.device = device
        self.default_lang: Lang = _lang(default_lang) or "az"
        self._clock = clock
        self._post = post
        self.timings = timings or Timings()
        self._catalog = catalog("kiosk")

        # What the server told us.
        self.center: CenterInfo | None = None
        self.services: dict[str, ServiceInfo] = {}
        self.queues: dict[str, QueueFigures] = {}

        # The connection.
        self.online = False
        self._offline_since: float | None = self._clock()
        self._offline_shown = False

        # The citizen's session.
        self.lang = self.default_lang
        self.screen = Screen.START
        self.agency: str | None = None
        self.priority = Priority.NONE
        self.notice: Notice | None = None
        self.pending: _Pending | None = None
        self._retry: _Pending | None = None
        self.ticket: Ticket | None = None
        self.print_state: PrintState | None = None
        now = self._clock()
        self._screen_since = -math.inf  # the start screen takes a tap at once
        self._last_touch = now

        # The printer.
        self.has_printer = printer is not None
        self.printer_health = "ok"
        self.printer_detail: str | None = None
        self._printer_note = printer_note
        self._printer_known = False
        """Whether a status check or a print has told us anything yet: until then there is
        nothing true to report."""
        self._reported: tuple[str, str | None] | None = None
        """What the server was last told, since the connection came up."""
        self._status_future: Future[Any] | None = None
        self._next_poll = now  # check the printer as soon as the kiosk starts
        if printer is None:
            log.error("this kiosk has no printer: tickets are shown on screen only (%s)", NO_PRINTER)
            self.printer_health, self.printer_detail = "offline", NO_PRINTER
            self._printer_known = True
            self._next_poll = math.inf

    # --- reading ------------------------------------------------------------------------

    def tr(self, key: str, /, lang: str | None = None, **values: Any) -> str:
        """A kiosk text in the current language (or ``lang``)."""
        return self._catalog.tr(key, lang or self.lang, **values)

    def name(self, names: Names, lang: str | None = None) -> str:
        return pick(names, lang or self.lang)

    def wait_words(self, wait: WaitRange, *, short: bool = False) -> str:
        """The promised wait in the current language, as the paper prints it too."""
        return wait_words(wait, self.lang, short=short)

    @property
    def has_center(self) -> bool:
        return self.center is not None

    @property
    def center_name(self) -> Names:
        return self.center.name if self.center is not None else {}

    @property
    def agencies(self) -> tuple[AgencyInfo, ...]:
        return self.center.agencies if self.center is not None else ()

    @property
    def printer_ok(self) -> bool:
        """Whether the kiosk can print (a low roll still prints)."""
        return self.printer_health in _USABLE

    @property
    def offline_shown(self) -> bool:
        """Whether the screen says the server can't be reached: the connection has been
        down longer than the grace period, or was never up."""
        return self._offline_shown

    @property
    def can_issue(self) -> bool:
        return self.online and self.has_center

    def agency_services(self, agency: str | None = None) -> list[ServiceInfo]:
        code = agency or self.agency
        if self.center is None or code is None:
            return []
        return list(self.center.services_of(code))

    def availability(self, service: str) -> QueueFigures:
        # The server's figures already say "closed" for every service when the day is not
        # open (it asks its own issuing rules), so they are the one source of truth.
        return self.queues.get(service, CLOSED)

    def service_detail(self, service: str) -> str:
        """The second line of a service's tile: why it is closed, or the queue and its wait."""
        figures = self.availability(service)
        if not figures.available:
            return self.tr(f"service.{figures.reason or 'closed'}")
        if figures.wait is None:
            return self.tr("service.waiting", n=figures.waiting)
        return self.tr("service.queue", n=figures.waiting, wait=self.wait_words(figures.wait, short=True))

    def agency_available(self, agency: str) -> bool:
        return any(self.availability(s.code).available for s in self.agency_services(agency))

    def zone_name(self, zone: str, lang: str | None = None) -> str:
        found = self.center.zone(zone) if self.center is not None else None
        return (self.name(found.name, lang) if found is not None else "") or zone

    def ticket_seconds_left(self) -> float:
        if self.screen is not Screen.TICKET:
            return 0.0
        return max(0.0, self._ticket_duration() - (self._clock() - self._screen_since))

    # --- taps ---------------------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen: restarts the inactivity timer."""
        self._last_touch = self._clock()

    def choose_language(self, lang: str) -> None:
        chosen = _lang(lang)
        if chosen is None or not self._accept_tap() or self.screen is not Screen.START:
            return
        if self._offline_shown:
            return  # the screen says no ticket can be had now; don't start a session
        self.lang = chosen
        self._show(Screen.AGENCIES)

    def choose_agency(self, code: str) -> None:
        if not self._accept_tap() or self.screen is not Screen.AGENCIES:
            return
        if not any(a.code == code for a in self.agencies):
            return
        self.agency = code
        self._show(Screen.SERVICES)

    def open_priority(self) -> None:
        if not self._accept_tap() or self.screen is not Screen.SERVICES or self.pending:
            return
        self._show(Screen.PRIORITY)

    def choose_priority(self, priority: str) -> None:
        if not self._accept_tap() or self.screen is not Screen.PRIORITY:
            return
        try:
            self.priority = Priority(priority)
        except ValueError:
            return
        self._show(Screen.SERVICES)

    def back(self) -> None:
        if not self._accept_tap() or self.pending is not None:
            return
        if self.screen is Screen.PRIORITY:
            self._show(Screen.SERVICES)
        elif self.screen is Screen.SERVICES:
            self._show(Screen.AGENCIES)
        elif self.screen is Screen.AGENCIES:
            self._reset()

    def start_over(self) -> None:
        if not self._accept_tap() or self.pending is not None:
            return
        self._reset()

    def dismiss_ticket(self) -> None:
        if self.screen is not Screen.TICKET:
            return
        if self._clock() - self._screen_since < self.timings.ticket_tap_guard:
            return
        self._reset()

    def choose_service(self, code: str) -> None:
        """Ask the server for a ticket. At most one request is in flight; a request that
        got no answer is repeated with the same id, so the server issues it once."""
        if self.screen is not Screen.SERVICES or self.pending is not None:
            return
        if not self._accept_tap():
            return
        if code not in self.services or self.services[code].agency != self.agency:
            return
        if not self.can_issue:
            # Issue nothing while the server can't be reached; say so at once.
            self._offline_shown = True
            self.notice = Notice("error.offline")
            self.changed.emit()
            return
        availability = self.availability(code)
        if not availability.available:
            self.notice = Notice(f"service.{availability.reason or 'closed'}")
            self.changed.emit()
            return
        retry = self._retry
        if retry is not None and (retry.service, retry.priority, retry.lang) == (
            code,
            self.priority,
            self.lang,
        ):
            request_id = retry.request_id
        else:
            request_id = f"{self.device}-{uuid.uuid4().hex[:16]}"
        self.pending = _Pending(request_id, code, self.priority, self.lang, self._clock())
        self._retry = None
        self.notice = None
        future = self._server.request(
            "issue",
            timeout=self.timings.issue_timeout,
            request_id=request_id,
            service=code,
            lang=self.lang,
            priority=self.priority,
        )
        pending = self.pending
        future.add_done_callback(lambda f: self._post(lambda: self._issued(pending, f)))
        self.changed.emit()

    # --- the server ---------------------------------------------------------------------

    def on_message(self, message: ServerMessage) -> None:
        match message:
            case Welcome(center=center, snapshot=snapshot):
                self.center = center
                self.services = {s.code: s for s in center.services}
                if snapshot is not None:
                    self.queues = dict(snapshot.queues)
                self.changed.emit()
            case QueuesNotice(services=services):
                self.queues = dict(services)
                self.changed.emit()

    def on_connection(self, state: ConnState) -> None:
        """The connection's state."""
        online = state == ConnState.ONLINE
        if online == self.online:
            return
        self.online = online
        if online:
            self._offline_since = None
            self._offline_shown = False
            if self.notice is not None and self.notice.key == "error.offline":
                self.notice = None
            # The server may have restarted: tell it again how the printer is.
            self._reported = None
            self._report_printer()
        else:
            self._offline_since = self._clock()
        self.changed.emit()

    # --- time ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Called a few times a second: inactivity, the ticket's time on screen, the
        offline notice, printer checks."""
        now = self._clock()
        dirty = False
        # Once shown, the notice stays until the connection is back (on_connection).
        shown = not self.online and (
            self._offline_shown
            or not self.has_center
            or (self._offline_since is not None and now - self._offline_since >= self.timings.offline_grace)
        )
        if shown != self._offline_shown:
            self._offline_shown = shown
            dirty = True
        if self.screen is Screen.TICKET:
            if now - self._screen_since >= self._ticket_duration():
                self._reset()
                dirty = False  # _reset emitted
        elif (
            self.screen in (Screen.AGENCIES, Screen.SERVICES, Screen.PRIORITY)
            and self.pending is None
            and now - max(self._last_touch, self._screen_since) >= self.timings.inactivity
        ):
            self._reset()
            dirty = False
        if self._status_future is None and now >= self._next_poll:
            self._poll_printer()
        if dirty:
            self.changed.emit()

    # --- internals ----------------------------------------------------------------------

    def _accept_tap(self) -> bool:
        now = self._clock()
        self._last_touch = now
        return now - self._screen_since >= self.timings.tap_guard

    def _show(self, screen: Screen) -> None:
        self.screen = screen
        self._screen_since = self._clock()
        if screen is not Screen.SERVICES:
            self.notice = None
        self.changed.emit()

    def _reset(self) -> None:
        """Back to the start screen, forgetting the citizen's choices."""
        self.lang = self.default_lang
        self.agency = None
        self.priority = Priority.NONE
        self.ticket = None
        self.print_state = None
        self._retry = None
        self._show(Screen.START)

    def _ticket_duration(self) -> float:
        if self.print_state in (PrintState.FAILED, PrintState.NO_PRINTER):
            return self.timings.ticket_unprinted
        if self.print_state is PrintState.PRINTING:
            # Never take the ticket off screen while it is still coming out.
            return math.inf
        return self.timings.ticket

    def _issued(self, pending: _Pending, future: Future[Result]) -> None:
        if self.pending is not pending:
            return
        self.pending = None
        try:
            result = future.result()
        except RequestTimeout:
            # The server may have issued it and the answer got lost: the same tap again
            # resends the same request id, and the server answers with the same ticket.
            self._retry = pending
            self.notice = Notice("error.timeout")
            self.changed.emit()
            return
        except RequestFailed as exc:
            self.notice = self._failure_notice(exc)
            self.changed.emit()
            return
        assert isinstance(result, IssueResult), f"an issue answered with {type(result).__name__}"
        assert self.center is not None, "a ticket was issued before the welcome"
        self.ticket = Ticket.of(result.ticket, self.center.code)
        self.notice = None
        self._show(Screen.TICKET)
        self._print(self.ticket)

    def _failure_notice(self, exc: RequestFailed) -> Notice:
        if exc.code == "service_unavailable":
            reason = str(exc.details.get("reason") or "closed")
            return Notice(f"service.{reason if reason in ('closed', 'full') else 'closed'}")
        if exc.code == "day_not_open":
            return Notice("error.day_not_open")
        if exc.code in ("store_unavailable", "shutting_down", "stopped"):
            return Notice("error.try_again")
        return Notice("error.not_issued", {"detail": exc.message})

    def ticket_view(self, ticket: Ticket) -> TicketView:
        """What the printer prints for ``ticket``."""
        center = self.center
        service = center.service(ticket.service) if center is not None else None
        agency = center.agency(ticket.agency) if center is not None else None
        zone = center.zone(ticket.zone) if center is not None else None
        return TicketView(
            center_name=self.center_name,
            agency_name=agency.name if agency is not None else {},
            service_name=service.name if service is not None else {"az": ticket.service},
            number=ticket.number,
            issued_at=ticket.issued_at,
            lang=ticket.lang,
            ahead=ticket.ahead,
            wait=ticket.wait,
            zone_name=zone.name if zone is not None else {"az": ticket.zone},
            ticket_id=ticket.id,
            qr_data=ticket.qr_data,
            priority=None if ticket.priority is Priority.NONE else ticket.priority,
        )

    # --- the printer --------------------------------------------------------------------

    def _print(self, ticket: Ticket) -> None:
        if self._printer is None:
            self.print_state = PrintState.NO_PRINTER
            self.changed.emit()
            return
        if not self.printer_ok:
            # Known out of order: don't make the citizen wait for a print that will fail.
            self.print_state = PrintState.FAILED
            self.changed.emit()
            return
        self.print_state = PrintState.PRINTING
        try:
            future = self._printer.print_ticket(self.ticket_view(ticket))
        except DeviceError as exc:
            self._printed(ticket, _failed_future(exc))
            return
        future.add_done_callback(lambda f: self._post(lambda: self._printed(ticket, f)))
        self.changed.emit()

    def _printed(self, ticket: Ticket, future: Future[Any]) -> None:
        exc = future.exception()
        if exc is None:
            result = future.result()
            status = getattr(result, "status", None)
            self._set_printer(_STATUS_HEALTH.get(_value(status), "ok"), None)
            if self.ticket is ticket:
                self.print_state = PrintState.PRINTED
                # The ticket's time on screen counts from when it came out.
                self._screen_since = self._clock()
        else:
            log.warning("printing %s failed: %s", ticket.number, exc)
            self._set_printer(health_of_error(exc), str(exc))
            if self.ticket is ticket:
                self.print_state = PrintState.FAILED
        self.changed.emit()

    def _poll_printer(self) -> None:
        if self._printer is None:
            return
        try:
            future = self._printer.status()
        except DeviceError as exc:
            self._status_future = None
            self._set_printer(health_of_error(exc), str(exc))
            self._schedule_poll()
            return
        self._status_future = future
        future.add_done_callback(lambda f: self._post(lambda: self._polled(f)))

    def _polled(self, future: Future[Any]) -> None:
        self._status_future = None
        exc = future.exception()
        if exc is not None:
            self._set_printer(health_of_error(exc), str(exc))
        else:
            status = _value(future.result())
            health = _STATUS_HEALTH.get(status, "error")
            # Keep the detail of the failure until the printer is fine again.
            self._set_printer(health, None if health in _USABLE else self.printer_detail or status)
        self._schedule_poll()
        self.changed.emit()

    def _schedule_poll(self) -> None:
        every = self.timings.printer_poll_ok if self.printer_ok else self.timings.printer_poll_failed
        self._next_poll = self._clock() + every

    def _set_printer(self, health: str, detail: str | None) -> None:
        was_ok = self.printer_ok
        self._printer_known = True
        self.printer_health = health
        self.printer_detail = detail
        if was_ok and not self.printer_ok:
            # Check again soon, to notice quickly when someone has fixed it.
            self._next_poll = min(self._next_poll, self._clock() + self.timings.printer_poll_failed)
        self._report_printer()

    def _report_printer(self) -> None:
        """Tell the server (and so the supervisor) how the printer is, when it changed."""
        state = (self.printer_health, self.printer_detail)
        if state == self._reported or not self.online or not self._printer_known:
            return
        self._reported = state
        detail = self.printer_detail or (self._printer_note if self.printer_ok else None)
        self._server.report_health("printer", self.printer_health, detail)


def _lang(value: str) -> Lang | None:
    """``value`` as one of the kiosk's languages, or None."""
    return next((lang for lang in LANGS if lang == value), None)


def _value(status: object) -> str:
    """A PrinterStatus (or its value) as its value."""
    return str(getattr(status, "value", status))


def _failed_future(exc: BaseException) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_exception(exc)
    return future
