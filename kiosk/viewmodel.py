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
tests control inactivity and timeouts without sleeping; ``now`` (the server's wall clock in
the center's time zone) only tells whether the center is open and when it opens next.

Accessible mode (:attr:`KioskViewModel.assist`): a citizen switches it on from the first
screen; the view then draws high contrast, larger text and every control low on the screen,
and the model speaks (:attr:`KioskViewModel.speech`, through ``speaker``): each screen as it
appears, each control on the first tap (:meth:`KioskViewModel.press`), which a second tap
on the same control chooses. A session's end switches it off again.
"""

from __future__ import annotations

import enum
import logging
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, time
from typing import Any, Protocol

from psygnal import Signal

from hardware.exceptions import CoverOpen, DeviceError, PaperOut, PrinterTimeout, PrinterUnavailable
from hardware.ticket import TicketView
from wire.client import ConnState, RequestFailed, RequestTimeout, Result
from wire.i18n import catalog, wait_words
from wire.links import short_link
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

from .search import ServiceIndex, most_requested
from .speech import Say

log = logging.getLogger("novbe.kiosk")

RIGHTS: tuple[Priority, ...] = tuple(p for p in Priority if p is not Priority.NONE)
"""The priority rights a citizen may claim, in the order the priority screen shows them."""


class Screen(enum.StrEnum):
    START = "start"
    AGENCIES = "agencies"
    SEARCH = "search"
    SERVICES = "services"
    PRIORITY = "priority"
    TICKET = "ticket"
    CHECKIN = "checkin"
    """A booked citizen types (or scans) the code of their booking."""
    REFUSED = "refused"
    """The check-in was refused: why, and what the citizen can do instead."""


CHOOSING = (Screen.AGENCIES, Screen.SEARCH, Screen.SERVICES)
"""The screens a service can be chosen on: the agencies' (the most requested services), the
search and an agency's services."""
CHECKING_IN = (Screen.CHECKIN, Screen.REFUSED)
"""The check-in's screens."""
BROWSING = (*CHOOSING, Screen.PRIORITY, *CHECKING_IN)
"""The screens between the start and the ticket: Back and Start over, the inactivity timer."""
CODE_DIGITS = 8
"""A booking's code: this many digits (its QR code holds them alone)."""
REFUSALS = ("early", "late", "unknown", "used", "cancelled")
"""Why the server refuses a check-in (``check_in_refused``'s ``details.reason``). The kiosk
adds ``unreadable``: a scanned code that is not a booking's 8 digits, never sent."""
TOP_SERVICES = 4
"""How many of the most requested services the agencies screen offers."""


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
    double_tap: float = 0.7
    """With spoken guidance, a second tap on the same control within this time chooses it."""
    inactivity_assist: float = 90.0
    """Inactivity in accessible mode: listening to a screen and its buttons takes time."""
    ticket_assist: float = 30.0
    """The ticket's time on screen in accessible mode: it is read aloud, slowly."""


class Server(Requester, Protocol):
    """What the model needs of its session with the server (``wire.session.Session``)."""

    def report_health(self, component: str, status: str, detail: str | None = None) -> None: ...


class Speaker(Protocol):
    """What the model needs of the voice (``kiosk.qt_speech.QtSpeaker``)."""

    def say(self, parts: Sequence[Say]) -> None:
        """Say ``parts`` in turn, instead of anything still being said. Returns at once."""
        ...

    def stop(self) -> None: ...


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
    """What the QR code holds, on screen and on paper: the address of the ticket's live page,
    or ``NOVBE:CENTER:ID`` when the center has no public pages."""
    slot_at: datetime | None = None
    """A booked citizen's slot (checked in with their code); None for a walk-in."""

    @property
    def link(self) -> str:
        """The page's address as printed under the code for typing; "" without one."""
        return short_link(self.qr_data)

    @classmethod
    def of(cls, issued: IssuedTicket, center: str) -> Ticket:
        """The kiosk's ticket for the one the server issued in center ``center``: its
        fields of the same names, and the QR code's data."""
        same = {f.name: getattr(issued, f.name) for f in fields(cls) if f.name != "qr_data"}
        if issued.url is not None:
            return cls(**same, qr_data=issued.url)  # the ticket's live page (docs/phone.md)
        # A center without public pages: the ticket's id says everything needed to find it
        # again; with the center code a photo of the QR code is unambiguous at the counter.
        return cls(**same, qr_data=f"NOVBE:{center}:{issued.id}")


@dataclass(frozen=True)
class ClosedCenter:
    """The center is closed now: today's hours (None: it does not open today) and when it
    opens next (in the center's time zone)."""

    now: datetime
    today: tuple[time, time] | None
    next_opening: datetime


@dataclass(frozen=True)
class Notice:
    """A message on screen, as a catalog key and its values (translated when drawn)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """Why a check-in was refused (``check_in_refused``), and what is offered instead."""

    reason: str
    """One of :data:`REFUSALS`."""
    walk_in: bool = False
    """Whether the center offers a walk-in ticket instead."""
    service: str | None = None
    """The booking's service (the walk-in ticket's); None when the code is unknown."""
    opens_at: datetime | None = None
    """``early``: when the check-in window opens."""
    closed_at: datetime | None = None
    """``late``: when it closed."""


@dataclass
class _Pending:
    request_id: str
    service: str
    priority: Priority
    lang: Lang
    started: float
    code: str | None = None
    """A check-in: the booking's code (``service`` is then "")."""


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
        speaker: the voice of spoken guidance; None: the accessible mode has none.
        now: the wall clock, aware (the session's ``now``: the server's, in the center's
            time zone).
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
        speaker: Speaker | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._server = server
        self._printer = printer
        self._speaker = speaker
        self._now = now or (lambda: datetime.now(UTC))
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
        self._index: ServiceIndex | None = None

        # The connection.
        self.online = False
        self._offline_since: float | None = self._clock()
        self._offline_shown = False

        # The citizen's session.
        self.lang = self.default_lang
        self.screen = Screen.START
        self.agency: str | None = None
        self.priority = Priority.NONE
        self.query = ""
        """What the citizen typed on the search screen."""
        self.code = ""
        """The digits of the booking's code typed on the check-in screen (or scanned)."""
        self.refusal: Refusal | None = None
        """Why the check-in was refused (the refusal screen)."""
        self.page = 0
        """The page of a list shown a few items at a time (the accessible mode's low layout)."""
        self.assist = False
        """Accessible mode: high contrast, larger text, every control low on the screen."""
        self.speech = False
        """Spoken guidance: on with the accessible mode when the kiosk has a voice."""
        self._pressed: tuple[str, float] | None = None
        """The control last tapped once with spoken guidance on, and when."""
        self._priority_from = Screen.SERVICES
        self.notice: Notice | None = None
        self.pending: _Pending | None = None
        self._retry: _Pending | None = None
        self.ticket: Ticket | None = None
        self.print_state: PrintState | None = None
        started = self._clock()
        self._screen_since = -math.inf  # the start screen takes a tap at once
        self._last_touch = started

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
        self._next_poll = started  # check the printer as soon as the kiosk starts
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

    def ahead_words(self, ahead: int) -> str:
        """How many are called before the citizen, as the paper says it: nobody, or how many."""
        return self.tr("ticket.ahead", n=ahead) if ahead > 0 else self.tr("ticket.ahead_none")

    @property
    def has_center(self) -> bool:
        return self.center is not None

    @property
    def has_speech(self) -> bool:
        """Whether the kiosk can speak (spoken guidance can be switched on)."""
        return self._speaker is not None

    @property
    def focused(self) -> str | None:
        """With spoken guidance, the control the citizen touched last (a second tap chooses it)."""
        return self._pressed[0] if self._pressed is not None and self.speech else None

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

    def top_services(self) -> list[ServiceInfo]:
        """The most requested services a ticket can be taken for now, for the agencies screen."""
        if self.center is None:
            return []
        return most_requested(self.center, self.queues, TOP_SERVICES)

    def search_results(self) -> list[ServiceInfo]:
        """The services the search screen's query finds, best first."""
        return self._index.search(self.query) if self._index is not None else []

    def keyboard(self) -> tuple[str, ...]:
        """The letters of the search screen's keyboard, in the alphabet's order."""
        return tuple(self.tr("keyboard.letters").split())

    def closed(self) -> ClosedCenter | None:
        """The center is closed now (no ticket for any service, outside its hours), and
        when it opens next; None when it is open, or nothing is known yet.

        Inside the hours, services that take no ticket each say why (their tiles); this is
        for the nights, the mornings before opening and the days off."""
        center = self.center
        if center is None or not self.online or not self.queues:
            return None
        if any(f.available or f.reason == "full" for f in self.queues.values()):
            return None
        now = self._now().astimezone(center.tz)
        working = center.opens_on(now.date())
        if working and center.opens <= now.time() < center.closes:
            return None
        today = (center.opens, center.closes) if working else None
        return ClosedCenter(now, today, center.next_opening(now))

    def closed_lines(self, closed: ClosedCenter, lang: str) -> list[str]:
        """What the closed screen says, in ``lang``: closed, today's hours, the next opening."""
        lines = [self.tr("closed.title", lang)]
        if closed.today is None:
            lines.append(self.tr("closed.today_off", lang))
        else:
            opens, closes = closed.today
            lines.append(self.tr("closed.today", lang, opens=f"{opens:%H:%M}", closes=f"{closes:%H:%M}"))
        nxt = closed.next_opening
        days = (nxt.date() - closed.now.date()).days
        day = {0: "day.today", 1: "day.tomorrow"}.get(days, f"day.{nxt.weekday()}")
        lines.append(self.tr("closed.next", lang, day=self.tr(day, lang), time=f"{nxt:%H:%M}"))
        return lines

    def screen_words(self) -> list[Say]:
        """What spoken guidance says when the current screen appears."""
        tr, lang = self.tr, self.lang
        if self.screen is Screen.START:
            # The start screen, or what stands in its place, in every language.
            order = self._langs_from(self.lang)
            if self._offline_shown:
                return [Say(x, f"{self.tr('offline.title', x)}. {self.tr('offline.body', x)}") for x in order]
            closed = self.closed()
            if closed is not None:
                return [Say(x, ". ".join(self.closed_lines(closed, x))) for x in order]
            return [Say(x, f"{self.tr('start.welcome', x)} {self.tr('start.choose', x)}") for x in order]
        if self.screen is Screen.AGENCIES:
            return [Say(lang, tr("say.agencies", n=len(self.agencies), top=len(self.top_services())))]
        if self.screen is Screen.SEARCH:
            return [Say(lang, tr("say.search"))]
        if self.screen is Screen.SERVICES:
            agency = self.center.agency(self.agency or "") if self.center is not None else None
            title = self.name(agency.name) if agency is not None else ""
            return [Say(lang, f"{title}. {tr('say.services', n=len(self.agency_services()))}")]
        if self.screen is Screen.PRIORITY:
            return [Say(lang, f"{tr('priority.title')}. {tr('priority.hint')}")]
        if self.screen is Screen.CHECKIN:
            return [Say(lang, f"{tr('checkin.title')}. {tr('say.checkin')}")]
        if self.screen is Screen.REFUSED:
            return [Say(lang, line) for line in self.refusal_lines()]
        return [Say(lang, line) for line in self.ticket_lines()]

    # --- the check-in -------------------------------------------------------------------

    def local_time(self, moment: datetime) -> str:
        """``moment`` as the hall's clocks show it ("10:30"), in the center's time zone."""
        if self.center is not None:
            moment = moment.astimezone(self.center.tz)
        return f"{moment:%H:%M}"

    def slot_words(self, ticket: Ticket, lang: str | None = None) -> str:
        """ "Booked for 10:30" for a booked citizen's ticket; "" for a walk-in's."""
        if ticket.slot_at is None:
            return ""
        return self.tr("ticket.slot", lang, time=self.local_time(ticket.slot_at))

    def languages_first(self) -> list[Lang]:
        """Every language, the current one first (texts shown in all three)."""
        return self._langs_from(self.lang)

    @property
    def code_shown(self) -> str:
        """The code as typed, in groups of four ("4821 0937") as the booking shows it."""
        return " ".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def code_complete(self) -> bool:
        """Whether every digit of the code is typed (the OK key is on)."""
        return len(self.code) == CODE_DIGITS

    def refusal_lines(self) -> list[str]:
        """What the refusal screen says, line by line: what happened, then what to do."""
        refusal = self.refusal
        if refusal is None:
            return []
        values: dict[str, str] = {}
        if refusal.opens_at is not None:
            values["time"] = self.local_time(refusal.opens_at)
        elif refusal.closed_at is not None:
            values["time"] = self.local_time(refusal.closed_at)
        key = f"refused.{refusal.reason}"
        if refusal.reason in ("early", "late") and "time" not in values:
            key += "_untimed"
        lines = [self.tr(key, **values)]
        if refusal.walk_in:
            lines.append(self.tr("refused.walk_in_hint"))
        return lines

    def walk_in_words(self) -> str:
        """The refusal screen's offer of a walk-in ticket: for the booking's service when it is
        known, else the way to the services."""
        refusal = self.refusal
        service = self.services.get(refusal.service or "") if refusal is not None else None
        if service is None:
            return self.tr("refused.choose_service")
        return self.name(service.name)

    def ticket_lines(self) -> list[str]:
        """The ticket on screen, line by line, as spoken guidance reads it."""
        ticket = self.ticket
        if ticket is None:
            return []
        tr = self.tr
        service = self.services.get(ticket.service)
        lines = [
            f"{tr('ticket.title')}: {ticket.number}",
            *([self.slot_words(ticket)] if ticket.slot_at is not None else []),
            self.name(service.name) if service is not None else ticket.service,
            tr("ticket.zone", zone=self.zone_name(ticket.zone)),
            self.ahead_words(ticket.ahead),
            self.wait_words(ticket.wait),
        ]
        if ticket.priority is not Priority.NONE:
            lines.append(tr("ticket.priority", right=tr(f"priority.{ticket.priority}")))
        lines.append(tr(self.print_key()))
        return lines

    def print_key(self) -> str:
        """The catalog key of the ticket screen's line about the paper."""
        return {
            PrintState.FAILED: "ticket.not_printed",
            PrintState.NO_PRINTER: "ticket.no_printer",
            PrintState.PRINTED: "ticket.printed",
        }.get(self.print_state or PrintState.PRINTING, "ticket.printing")

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

    def press(self, control: str, say: str | Sequence[Say], act: Callable[[], None]) -> None:
        """A tap on a control of the screen (``control``: its key, unique on the screen).

        Without spoken guidance, ``act`` at once. With it, the first tap reads ``say`` (in the
        screen's language when a string) and a second tap on the same control within
        ``timings.double_tap`` does ``act``: a citizen who cannot see the screen hears a
        button before choosing it.
        """
        self.touch()
        if not self.speech:
            act()
            return
        now = self._clock()
        pressed, self._pressed = self._pressed, (control, now)
        if pressed is not None and pressed[0] == control and now - pressed[1] <= self.timings.double_tap:
            self._pressed = None
            act()
            return
        self._say([Say(self.lang, say)] if isinstance(say, str) else list(say))
        self.changed.emit()  # the view marks the control touched

    def read_again(self) -> None:
        """A touch on the accessible mode's upper part: the screen is read again, as when it
        appeared (a citizen who missed it, or came back to the kiosk, need not touch every
        button to learn where they are). It chooses nothing, so one touch is enough."""
        self.touch()
        self._pressed = None
        if self.speech:
            self._say(self.screen_words())
        self.changed.emit()

    def switch_assist(self) -> None:
        """The accessible mode on or off (the start screen's button)."""
        if not self._accept_tap() or self.screen is not Screen.START:
            return
        self.assist = not self.assist
        self.speech = self.assist and self.has_speech
        self._pressed = None
        if self.speech:
            # How the mode works, then what the screen says, each language in turn.
            self._say(
                [Say(s.lang, f"{self.tr('assist.intro', s.lang)} {s.text}") for s in self.screen_words()]
            )
        elif self._speaker is not None:
            self._speaker.stop()
        self.changed.emit()

    def switch_speech(self) -> None:
        """Spoken guidance on or off, in the accessible mode (the start screen's button)."""
        if not self._accept_tap() or not self.assist or not self.has_speech:
            return
        self.speech = not self.speech
        self._pressed = None
        if self.speech:
            self._say([Say(self.lang, self.tr("assist.intro"))])
        elif self._speaker is not None:
            self._speaker.stop()
        self.changed.emit()

    def choose_language(self, lang: str) -> None:
        chosen = _lang(lang)
        if chosen is None or not self._accept_tap():
            return
        if self.screen in CHECKING_IN:
            # The check-in's screens name the three languages: the citizen reads them in theirs.
            self.lang = chosen
            self._show(self.screen)
            return
        if self.screen is not Screen.START:
            return
        if self._offline_shown or self.closed() is not None:
            return  # the screen says no ticket can be had now; don't start a session
        self.lang = chosen
        self._show(Screen.AGENCIES)

    def choose_agency(self, code: str) -> None:
        if not self._accept_tap() or self.screen is not Screen.AGENCIES or self.pending:
            return
        if not any(a.code == code for a in self.agencies):
            return
        self.agency = code
        self._show(Screen.SERVICES)

    def open_search(self) -> None:
        if not self._accept_tap() or self.screen is not Screen.AGENCIES or self.pending:
            return
        self.query = ""
        self._show(Screen.SEARCH)

    def type_letter(self, letter: str) -> None:
        """A key of the search screen's keyboard: a letter, or " " for the space bar."""
        if not self._accept_tap() or self.screen is not Screen.SEARCH or self.pending:
            return
        if letter != " " and letter not in self.keyboard():
            return
        if letter == " " and (not self.query or self.query.endswith(" ")):
            return
        self._set_query(self.query + letter)

    def erase(self) -> None:
        """The keyboard's erase key: the last letter typed goes."""
        if not self._accept_tap() or self.screen is not Screen.SEARCH or self.pending or not self.query:
            return
        self._set_query(self.query[:-1])

    def clear_query(self) -> None:
        if not self._accept_tap() or self.screen is not Screen.SEARCH or self.pending or not self.query:
            return
        self._set_query("")

    def next_page(self, pages: int) -> None:
        """The next page of the list on screen (after the last, the first again)."""
        if not self._accept_tap() or self.screen not in BROWSING or pages < 2:
            return
        self.page = (self.page + 1) % pages
        self._pressed = None
        if self.speech:
            self._say([Say(self.lang, self.tr("say.page", page=self.page + 1, pages=pages))])
        self.changed.emit()

    def open_priority(self) -> None:
        if not self._accept_tap() or self.screen not in CHOOSING or self.pending:
            return
        self._priority_from = self.screen
        self._show(Screen.PRIORITY)

    def choose_priority(self, priority: str) -> None:
        if not self._accept_tap() or self.screen is not Screen.PRIORITY:
            return
        try:
            self.priority = Priority(priority)
        except ValueError:
            return
        self._show(self._priority_from)

    def open_checkin(self) -> None:
        """The start screen's "I have an appointment": the check-in's keypad."""
        if not self._accept_tap() or self.screen is not Screen.START:
            return
        if self._offline_shown or self.closed() is not None:
            return
        self._start_checkin()

    def type_digit(self, digit: str) -> None:
        """A key of the check-in's keypad."""
        if not self._accept_tap() or self.screen is not Screen.CHECKIN or self.pending is not None:
            return
        if len(digit) != 1 or digit not in "0123456789" or self.code_complete:
            return
        self._set_code(self.code + digit)

    def erase_digit(self) -> None:
        if not self._accept_tap() or self.screen is not Screen.CHECKIN or self.pending or not self.code:
            return
        self._set_code(self.code[:-1])

    def clear_code(self) -> None:
        if not self._accept_tap() or self.screen is not Screen.CHECKIN or self.pending or not self.code:
            return
        self._set_code("")

    def submit_code(self) -> None:
        """The keypad's OK: check in with the code typed (all its digits)."""
        if not self._accept_tap() or self.screen is not Screen.CHECKIN:
            return
        self._check_in()

    def scanned(self, text: str) -> None:
        """A code the barcode scanner read (a booking's QR code holds its digits alone): a
        check-in, from whatever screen the kiosk is on but a ticket still printing."""
        if self.pending is not None or self.print_state is PrintState.PRINTING:
            return
        if self._offline_shown or self.closed() is not None:
            return
        digits = "".join(text.split())
        self.touch()
        if self.screen is not Screen.CHECKIN:
            self._start_checkin()
        if len(digits) != CODE_DIGITS or not digits.isdigit() or not digits.isascii():
            self._refuse(Refusal("unreadable"))
            return
        self.code = digits
        self._check_in()

    def key_digit(self, digit: str) -> None:
        """A digit from a keyboard (a keyboard-wedge scanner types the code it reads): into the
        code on the check-in screen; on the start screen it begins a check-in."""
        if self.pending is not None or len(digit) != 1 or digit not in "0123456789":
            return
        self.touch()
        if self.screen in (Screen.START, Screen.REFUSED):
            if self._offline_shown or self.closed() is not None:
                return
            self._start_checkin(speak=False)
        if self.screen is Screen.CHECKIN and not self.code_complete:
            self._set_code(self.code + digit, speak=False)

    def key_enter(self) -> None:
        """Enter from a keyboard (after a keyboard-wedge scanner's code): the keypad's OK."""
        if self.screen is Screen.CHECKIN and self.code:
            self.touch()
            self._check_in()

    def take_walk_in(self) -> None:
        """The refusal screen's offer: a walk-in ticket for the booking's service, or the
        services to choose one."""
        if not self._accept_tap() or self.screen is not Screen.REFUSED or self.pending is not None:
            return
        refusal = self.refusal
        if refusal is None or not refusal.walk_in:
            return
        code = refusal.service
        if code is None or code not in self.services:
            self._show(Screen.AGENCIES)
            return
        self._issue(code)

    def checkin_again(self) -> None:
        """The refusal screen's "type the code again"."""
        if not self._accept_tap() or self.screen is not Screen.REFUSED or self.pending is not None:
            return
        self._start_checkin(lang=self.lang)

    def back(self) -> None:
        if not self._accept_tap() or self.pending is not None:
            return
        if self.screen is Screen.REFUSED:
            self._start_checkin(lang=self.lang)
        elif self.screen is Screen.CHECKIN:
            self._reset()
        elif self.screen is Screen.PRIORITY:
            self._show(self._priority_from)
        elif self.screen in (Screen.SERVICES, Screen.SEARCH):
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
        got no answer is repeated with the same id, so the server issues it once.

        A service is chosen among an agency's services, the most requested (the agencies
        screen) or what the search found."""
        if self.screen not in CHOOSING or self.pending is not None:
            return
        if not self._accept_tap():
            return
        if code not in self.services:
            return
        offered = {
            Screen.SERVICES: lambda: self.services[code].agency == self.agency,
            Screen.AGENCIES: lambda: any(s.code == code for s in self.top_services()),
            Screen.SEARCH: lambda: any(s.code == code for s in self.search_results()),
        }
        if not offered[self.screen]():
            return
        self._issue(code)

    def _issue(self, code: str) -> None:
        """Ask for a ticket for service ``code`` (chosen, or offered instead of a check-in)."""
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
                self._index = ServiceIndex(center)
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
            self.screen in BROWSING
            and self.pending is None
            and now - max(self._last_touch, self._screen_since) >= self._inactivity()
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

    def _show(self, screen: Screen, *, speak: bool = True) -> None:
        self.screen = screen
        self._screen_since = self._clock()
        self.page = 0
        self._pressed = None
        if screen not in CHOOSING:
            self.notice = None
        if speak and self.speech:
            self._say(self.screen_words())
        self.changed.emit()

    def _reset(self) -> None:
        """Back to the start screen, forgetting the citizen's choices (and the accessible
        mode: the next citizen meets the kiosk as everyone does)."""
        self.lang = self.default_lang
        self.agency = None
        self.priority = Priority.NONE
        self.query = ""
        self.code = ""
        self.refusal = None
        self.ticket = None
        self.print_state = None
        self._retry = None
        if self.speech and self._speaker is not None:
            self._speaker.stop()
        self.assist = self.speech = False
        self._show(Screen.START)

    def _say(self, parts: Sequence[Say]) -> None:
        if self.speech and self._speaker is not None and parts:
            self._speaker.say(parts)

    def _langs_from(self, first: Lang) -> list[Lang]:
        """Every language, ``first`` first."""
        return [first, *(x for x in LANGS if x != first)]

    def _set_query(self, query: str) -> None:
        self.query = query
        self.page = 0
        self._pressed = None
        if self.speech:
            found = len(self.search_results())
            self._say([Say(self.lang, self.tr("say.query", query=query.strip() or "-", n=found))])
        self.changed.emit()

    def _start_checkin(self, *, lang: Lang | None = None, speak: bool = True) -> None:
        """The check-in screen with no digits typed: in ``lang``, or the start screen's."""
        self.lang = lang or self.lang
        self.code = ""
        self.refusal = None
        self.ticket = None
        self.print_state = None
        self._show(Screen.CHECKIN, speak=speak)

    def _set_code(self, code: str, *, speak: bool = True) -> None:
        self.code = code
        self._pressed = None
        if speak and self.speech:
            typed = " ".join(code) if code else self.tr("say.code_empty")
            left = CODE_DIGITS - len(code)
            self._say([Say(self.lang, self.tr("say.code", code=typed, n=left))])
        self.changed.emit()

    def _check_in(self) -> None:
        """Ask the server to check in with the code typed; the same code asked again after an
        unanswered request resends the same request id (the server issues one ticket)."""
        if self.pending is not None or not self.code_complete:
            return
        if not self.can_issue:
            self._offline_shown = True
            self.notice = Notice("error.offline")
            self.changed.emit()
            return
        retry = self._retry
        if retry is not None and (retry.code, retry.lang) == (self.code, self.lang):
            request_id = retry.request_id
        else:
            request_id = f"{self.device}-{uuid.uuid4().hex[:16]}"
        pending = _Pending(request_id, "", Priority.NONE, self.lang, self._clock(), code=self.code)
        self.pending = pending
        self._retry = None
        self.notice = None
        future = self._server.request(
            "check_in",
            timeout=self.timings.issue_timeout,
            request_id=request_id,
            code=self.code,
            lang=self.lang,
        )
        future.add_done_callback(lambda f: self._post(lambda: self._issued(pending, f)))
        self.changed.emit()

    def _refuse(self, refusal: Refusal) -> None:
        self.refusal = refusal
        self.code = ""
        self._show(Screen.REFUSED)

    def _inactivity(self) -> float:
        return self.timings.inactivity_assist if self.assist else self.timings.inactivity

    def _ticket_duration(self) -> float:
        if self.print_state in (PrintState.FAILED, PrintState.NO_PRINTER):
            duration = self.timings.ticket_unprinted
        elif self.print_state is PrintState.PRINTING:
            # Never take the ticket off screen while it is still coming out.
            return math.inf
        else:
            duration = self.timings.ticket
        return max(duration, self.timings.ticket_assist) if self.assist else duration

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
            self.notice = Notice("error.timeout_checkin" if pending.code is not None else "error.timeout")
            self.changed.emit()
            return
        except RequestFailed as exc:
            if pending.code is not None and exc.code == "check_in_refused":
                self._refuse(refusal_of(exc.details))
                return
            self.notice = self._failure_notice(exc)
            self.changed.emit()
            return
        assert isinstance(result, IssueResult), f"a ticket request answered with {type(result).__name__}"
        assert self.center is not None, "a ticket was issued before the welcome"
        self.ticket = Ticket.of(result.ticket, self.center.code)
        self.notice = None
        # Spoken guidance reads the ticket once it is known whether it printed (_print).
        self._show(Screen.TICKET, speak=False)
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
            slot_at=ticket.slot_at.astimezone(center.tz) if ticket.slot_at and center else ticket.slot_at,
        )

    # --- the printer --------------------------------------------------------------------

    def _print(self, ticket: Ticket) -> None:
        if self._printer is None:
            self.print_state = PrintState.NO_PRINTER
            self._say(self.screen_words())
            self.changed.emit()
            return
        if not self.printer_ok:
            # Known out of order: don't make the citizen wait for a print that will fail.
            self.print_state = PrintState.FAILED
            self._say(self.screen_words())
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
        if self.ticket is ticket and self.screen is Screen.TICKET:
            self._say(self.screen_words())
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


def refusal_of(details: Mapping[str, Any]) -> Refusal:
    """The refusal a ``check_in_refused`` error's details describe (an unknown reason reads as
    ``unknown``: the code did not check in)."""
    reason = str(details.get("reason") or "unknown")
    service = details.get("service")
    return Refusal(
        reason=reason if reason in REFUSALS else "unknown",
        walk_in=details.get("walk_in") is True,
        service=service if isinstance(service, str) and service else None,
        opens_at=_moment(details.get("opens_at")),
        closed_at=_moment(details.get("closed_at")),
    )


def _moment(value: object) -> datetime | None:
    """An ISO datetime of an error's details, or None when there is none (or it is no date)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
