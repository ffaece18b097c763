"""State of one hall display, with no Qt: the calls, the waiting figures, the header and the ticker.

The window (display/qt_display.py) only paints what this model holds and repaints when one of its
signals fires. Everything here is driven by server messages (``on_message``, typed:
``wire.messages``), the connection state (``on_connection``) and the passing of time (``tick``),
with the server's clock injected, so the rules can be tested without a screen and without waiting.

Rules:

- One row per ticket, and one per counter: a counter serves one citizen at a time, so its new call
  replaces its previous row at once.
- Rows are newest first (a recall counts as new); the newest is the one the window draws large.
- A call blinks for ``blink_for`` after it arrives; a recall blinks again; starting the service
  stops the blinking (the citizen has arrived).
- A finished, no-show, parked or transferred ticket leaves ``linger`` after that happened.
- Only calls younger than ``fresh_for`` (by the server's time of the call) blink and are
  announced; older ones, typically caught up after the display was offline, update the rows
  silently. Ages are measured on the server's clock (the session's ``now()``, which takes its
  offset from ``welcome``), so a display whose own clock is wrong neither announces everything
  nor nothing.
- Memory stays flat: at most ``max_rows`` rows, and nothing else grows with the number of calls.
- The screen's own words are in its screen languages (``ScreenLanguages``): one at a time, the
  next every few seconds, or all together (``langs`` is what is shown now). Numbers never change.
- Offline, the screen says so plainly and its calls turn grey: they may be stale.
- With no call on the screen, the calls' place shows the queues' figures (per service: waiting and
  the promised wait, a page at a time) or the configured pictures, in turn.
- Calls the hall never heard (the announcements fell behind) are counted for the day.

Signals are sent with psygnal's ``emit_fast``: it skips psygnal's locks and
``Signal.current_emitter``, which a model used from the GUI thread only does not need.
"""

from __future__ import annotations

import enum
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfoNotFoundError

from psygnal import Signal

from display.announce import Call
from wire import events as ev
from wire.client import ConnState
from wire.i18n import catalog, wait_words
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    EventMessage,
    MessageNotice,
    Names,
    QueueFigures,
    QueuesNotice,
    ServerMessage,
    ServiceInfo,
    Snapshot,
    Welcome,
    pick,
)
from wire.types import LANGS, CounterNo, Lang, TicketId, TicketState, WaitRange

log = logging.getLogger("novbe.display")

Clock = Callable[[], datetime]
"""Returns the current time on the server's clock, timezone-aware (``Session.now``)."""

BLINK_FOR = timedelta(seconds=8)
FRESH_FOR = timedelta(seconds=30)
LINGER = timedelta(seconds=20)
MAX_ROWS = 24
"""More than any screen can show: the window draws as many as fit."""
PAGE_FOR = timedelta(seconds=10)
"""How long a page of the idle queues' figures, or an idle picture, stays."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})

ARROW = "\u2192"


class RowState(enum.StrEnum):
    CALLED = "called"
    SERVING = "serving"
    LEAVING = "leaving"


@dataclass(slots=True)
class CallRow:
    """One "A015 -> 12" line."""

    ticket: TicketId
    number: str
    counter: CounterNo
    called_at: datetime
    """Server time of the call or of the last recall."""
    state: RowState = RowState.CALLED
    recalls: int = 0
    blink_until: datetime | None = None
    """Server time until which the row blinks; None: it does not blink."""
    leave_at: datetime | None = None
    """Server time at which the row goes away (finished tickets)."""
    lang: Lang | None = None
    """The language the citizen took the ticket in (None: unknown)."""

    @property
    def text(self) -> str:
        return f"{self.number} {ARROW} {self.counter}"


@dataclass(frozen=True, slots=True)
class AgencyWaiting:
    """The citizens waiting for one agency's services in this display's zones."""

    code: str
    prefix: str
    names: Names
    waiting: int


@dataclass(frozen=True, slots=True)
class ServiceWaiting:
    """One service's queue as the idle screen shows it."""

    code: str
    prefix: str
    names: Names
    waiting: int
    wait: WaitRange | None
    """What a ticket taken now is promised; None when none can be taken (``reason``)."""
    reason: Literal["closed", "full"] | None = None


@dataclass(frozen=True, slots=True)
class IdlePage:
    """What the idle screen shows now: page ``number`` (from 1) of ``pages``."""

    number: int
    pages: int
    services: list[ServiceWaiting]


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    blink_for: timedelta = BLINK_FOR
    fresh_for: timedelta = FRESH_FOR
    linger: timedelta = LINGER
    max_rows: int = MAX_ROWS
    page_for: timedelta = PAGE_FOR


@dataclass(frozen=True, slots=True)
class ScreenLanguages:
    """The languages of a screen's own words and how they share it (the display's file:
    ``screen_languages``, ``screen_mode``, ``screen_every_s``)."""

    languages: tuple[Lang, ...] = ("az", "ru")
    mode: Literal["alternate", "pair"] = "alternate"
    every: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError("a screen needs at least one language")

    def shown(self, now: datetime) -> tuple[Lang, ...]:
        """The languages on the screen at ``now``: all of them, or the one whose turn it is."""
        if self.mode == "pair" or len(self.languages) == 1:
            return self.languages
        turn = int(now.timestamp() // self.every.total_seconds())
        return (self.languages[turn % len(self.languages)],)


def idle_pictures(folder: Path | None) -> tuple[Path, ...]:
    """The pictures of ``folder`` in name order (PNG and JPEG); none when it is not a folder."""
    if folder is None:
        return ()
    try:
        found = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    except OSError as exc:
        log.warning("idle pictures: cannot read %s: %s", folder, exc)
        return ()
    return tuple(sorted(found))


class DisplayViewModel:
    """State of one hall display screen.

    Args:
        code: the display's code in the center's configuration ("lobby").
        lang: the language of the screen's own words (headings, date), when ``screen`` is None.
        clock: the server's clock, aware (the session's ``now``); tests pass a fake one.
        screen: the screen's languages and how they share it.
        timezone: the center's time zone until the server names it (the display's file).
        pictures: shown in turn when no call is on the screen, instead of the queues' figures.
    """

    rows_changed = Signal()
    """The rows, their order, state or blinking changed; or the screen's language."""
    header_changed = Signal()
    """Center name, date, clock or the connection changed."""
    waiting_changed = Signal()
    """The queues' figures changed (the waiting panel and the idle screen)."""
    idle_changed = Signal()
    """The idle screen turned a page or went to the next picture."""
    message_changed = Signal()
    unannounced_changed = Signal()
    announce = Signal(object, object)
    """(Call, datetime of the call on the server's clock): a fresh call or recall to be heard."""
    arrived = Signal(str)
    """A ticket's number: its citizen is at the counter (service started), calls of it need not be heard."""

    def __init__(
        self,
        code: str,
        lang: Lang = "az",
        *,
        clock: Clock,
        settings: DisplaySettings | None = None,
        screen: ScreenLanguages | None = None,
        timezone: str | None = None,
        pictures: Sequence[Path] = (),
    ) -> None:
        self.code = code
        self.screen = screen or ScreenLanguages((lang,))
        self.settings = settings or DisplaySettings()
        self._clock = clock
        self._tz: tzinfo | None = zoneinfo.ZoneInfo(timezone) if timezone else None
        self._texts = catalog("display")
        self.pictures = tuple(pictures)

        self.rows: list[CallRow] = []
        self.waiting: list[AgencyWaiting] = []
        self.services: list[ServiceWaiting] = []
        """The idle screen's figures: the services of this display's agencies that take tickets
        now or have citizens waiting, in the center's order."""
        self.message: str | None = None
        self.online = False
        self.ever_online = False
        self.offline_since: datetime | None = None
        """Server time the connection was lost (None while online)."""
        self.day_open = True
        self.unannounced = 0
        """Calls of the day the hall never heard (the announcements fell behind)."""
        self.zones: frozenset[str] | None = None
        self.counters: frozenset[CounterNo] | None = None
        """Counters of this display's zones; None until the center is known (then all are shown)."""

        self._center_names: Names = {}
        self._service_agency: dict[str, str] = {}
        self._service_info: list[ServiceInfo] = []
        self._agencies: list[AgencyInfo] = []
        self._center_langs: tuple[Lang, ...] = LANGS
        self._message_text: Names | None = None
        self._figures: dict[str, QueueFigures] = {}
        self._last_seq: int | None = None
        self._blink_phase = False
        self._header_minute = ""
        # The clock may not run yet (the session is made after the model): the first turn is the
        # first language's, and tick() takes the turns from there.
        self._shown: tuple[Lang, ...] = (
            self.screen.languages if self.screen.mode == "pair" else self.screen.languages[:1]
        )
        self._slot = -1
        self.stats: dict[str, int] = dict.fromkeys(
            ("events", "calls", "announced", "silent", "ignored", "duplicates"), 0
        )
        """Counts of what happened, for the health log and the benchmark; fixed keys, so bounded."""

    # --- time -----------------------------------------------------------------------------

    def server_now(self) -> datetime:
        """The server's time now (the session's clock)."""
        return self._clock()

    def local_now(self) -> datetime:
        """Wall-clock time in the center's timezone (for the header and for quiet hours).

        Before the server first answers, the time zone of the display's file; without one, the
        machine's."""
        now = self.server_now()
        return now.astimezone(self._tz) if self._tz is not None else now.astimezone()

    @property
    def blink_on(self) -> bool:
        """The phase of blinking rows: on half a second, off half a second."""
        return self._blink_phase

    def blinking(self, row: CallRow) -> bool:
        return row.blink_until is not None and self.server_now() < row.blink_until

    def tick(self) -> None:
        """Let time pass: blinking, rows leaving, the clock. The window calls this a few times a second."""
        now = self.server_now()
        changed = self._expire(now)
        phase = int(now.timestamp() * 2) % 2 == 0
        if phase != self._blink_phase:
            self._blink_phase = phase
            if any(r.blink_until is not None and now < r.blink_until for r in self.rows):
                changed = True
        for row in self.rows:
            if row.blink_until is not None and now >= row.blink_until:
                row.blink_until = None
                changed = True
        shown = self.screen.shown(now)
        if shown != self._shown:
            # The screen's words change language: every part repaints.
            self._shown = shown
            self._header_minute = ""
            self.waiting_changed.emit_fast()
            self.idle_changed.emit_fast()
            changed = True
        if changed:
            self.rows_changed.emit_fast()
        minute = self.local_now().strftime("%Y-%m-%d %H:%M")
        if minute != self._header_minute:
            self._header_minute = minute
            self.header_changed.emit_fast()
        slot = int(now.timestamp() // self.settings.page_for.total_seconds())
        if slot != self._slot:
            self._slot = slot
            if self.idle:
                self.idle_changed.emit_fast()

    def _expire(self, now: datetime) -> bool:
        keep = [r for r in self.rows if r.leave_at is None or now < r.leave_at]
        if len(keep) == len(self.rows):
            return False
        self.rows = keep
        return True

    # --- texts ----------------------------------------------------------------------------

    @property
    def langs(self) -> tuple[Lang, ...]:
        """The languages of the screen's words now: the first is drawn large, any others under it."""
        return self._shown

    @property
    def lang(self) -> Lang:
        """The screen's main language now."""
        return self._shown[0]

    @lang.setter
    def lang(self, lang: Lang) -> None:
        """Show the screen in ``lang`` alone from now on."""
        self.screen = ScreenLanguages((lang,))
        self._shown = (lang,)
        self._header_minute = ""

    def tr(self, key: str, lang: Lang | None = None, **values: Any) -> str:
        return self._texts.tr(key, lang or self.lang, **values)

    def trs(self, key: str, **values: Any) -> list[str]:
        """``key`` in each language on the screen now, the main one first."""
        return _unique(self._texts.tr(key, lang, **values) for lang in self._shown)

    def names(self, names: Names | None) -> list[str]:
        """A name in each language on the screen now (a language it lacks is left out)."""
        return _unique(pick(names, lang) for lang in self._shown if not names or lang in names) or [
            pick(names, self.lang)
        ]

    @property
    def center_name(self) -> str:
        return pick(self._center_names, self.lang)

    @property
    def center_names(self) -> list[str]:
        return self.names(self._center_names)

    @property
    def clock_text(self) -> str:
        return self.local_now().strftime("%H:%M")

    def _date(self, lang: Lang) -> str:
        now = self.local_now()
        return self.tr(
            "date",
            lang,
            day=now.day,
            month=self.tr(f"month.{now.month}", lang),
            weekday=self.tr(f"weekday.{now.weekday()}", lang),
        )

    @property
    def date_text(self) -> str:
        return self._date(self.lang)

    @property
    def date_texts(self) -> list[str]:
        return _unique(self._date(lang) for lang in self._shown)

    @property
    def offline(self) -> bool:
        """The connection was lost after the screen had shown the hall: what it shows may be stale."""
        return self.ever_online and not self.online

    @property
    def offline_text(self) -> str:
        return self.tr("offline") if self.offline else ""

    @property
    def offline_details(self) -> list[str]:
        """What the offline banner says under its title, in each language on the screen."""
        if self.offline_since is None:
            return []
        since = self.offline_since.astimezone(self._tz) if self._tz else self.offline_since.astimezone()
        return self.trs("offline.detail", time=since.strftime("%H:%M"))

    def wait_texts(self, item: ServiceWaiting) -> list[str]:
        """The promised wait of an idle screen's line, in each language on the screen."""
        if item.wait is not None:
            return _unique(wait_words(item.wait, lang, short=True) for lang in self._shown)
        return self.trs(f"idle.{item.reason or 'closed'}")

    # --- the idle screen ------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """No call on the screen while the day is open: the calls' place shows something else."""
        return self.ever_online and self.day_open and not self.rows

    def idle_page(self, lines: int) -> IdlePage:
        """The services on the idle screen now, ``lines`` at most: the pages take turns."""
        if lines <= 0 or not self.services:
            return IdlePage(1, 1, [])
        pages = (len(self.services) + lines - 1) // lines
        page = self._turn() % pages
        return IdlePage(page + 1, pages, self.services[page * lines : (page + 1) * lines])

    def idle_picture(self) -> Path | None:
        """The picture on the idle screen now, if the display has pictures."""
        return self.pictures[self._turn() % len(self.pictures)] if self.pictures else None

    def drop_picture(self, picture: Path) -> None:
        """A picture that cannot be shown (unreadable): the others take its turns."""
        if picture in self.pictures:
            log.warning("idle picture %s cannot be shown; leaving it out", picture)
            self.pictures = tuple(p for p in self.pictures if p != picture)
            self.idle_changed.emit_fast()

    def _turn(self) -> int:
        return int(self.server_now().timestamp() // self.settings.page_for.total_seconds())

    # --- what the hall did not hear -------------------------------------------------------

    def call_unannounced(self, call: Call, why: str) -> None:
        """A call the hall never heard (``AnnouncementQueue``'s ``on_drop``): counted for the day."""
        self.unannounced += 1
        self.unannounced_changed.emit_fast()

    # --- the connection -------------------------------------------------------------------

    def on_connection(self, state: ConnState) -> None:
        """The session's connection changed."""
        self.set_online(state is ConnState.ONLINE)

    def set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.ever_online = self.ever_online or online
            self.offline_since = None if online else self.server_now()
            self.header_changed.emit_fast()
            # The rows turn grey, or back.
            self.rows_changed.emit_fast()
            self.waiting_changed.emit_fast()

    def on_message(self, message: ServerMessage) -> None:
        """Take one server message (``welcome``, ``event``, ``queues``, ``message``); others are ignored."""
        match message:
            case Welcome():
                self._welcome(message)
            case EventMessage(seq=seq, event=event):
                if self._last_seq is not None and seq <= self._last_seq:
                    # Already applied (a resume that overlaps): applying twice would re-announce.
                    self.stats["duplicates"] += 1
                    return
                self._last_seq = seq
                self.apply_event(event)
            case QueuesNotice(services=services):
                self._set_queues(services)
            case MessageNotice(text=text):
                self._set_message(text)

    def _welcome(self, welcome: Welcome) -> None:
        self._set_center(welcome.center, welcome.device or self.code)
        if welcome.snapshot is not None:
            self._last_seq = welcome.seq
            self._set_snapshot(welcome.snapshot)
        elif not welcome.resumed:
            self._last_seq = welcome.seq
        self.set_online(True)
        self.header_changed.emit_fast()

    def _set_center(self, center: CenterInfo, device: str) -> None:
        self._center_names = dict(center.name)
        self._center_langs = center.languages or LANGS
        try:
            self._tz = center.tz
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown timezone %r; showing the machine's local time", center.timezone)
        zones = next((frozenset(d.zones) for d in center.displays if d.code == device), None)
        self.zones = zones
        if zones is not None:
            self.counters = frozenset(c.number for c in center.counters if c.zone in zones)
        else:
            self.counters = None
        shown_agencies = {c.agency for c in center.counters if zones is None or c.zone in zones}
        self._agencies = [
            a for a in center.agencies if zones is None or a.zone in zones or a.code in shown_agencies
        ]
        self._service_agency = {s.code: s.agency for s in center.services}
        shown = {a.code for a in self._agencies}
        self._service_info = [s for s in center.services if s.agency in shown]
        self._set_queues({})
        # A message already set before the center was known is re-joined in its languages' order.
        self._set_message(self._message_text, force=True)

    def _set_snapshot(self, snapshot: Snapshot) -> None:
        self.day_open = snapshot.open
        now = self.server_now()
        before = {(r.ticket, r.counter) for r in self.rows}
        rows: list[CallRow] = []
        for t in snapshot.tickets:
            if t.counter is None or not self._shows(t.counter):
                continue
            row = CallRow(
                ticket=t.id,
                number=t.number,
                counter=t.counter,
                called_at=t.called_at or now,
                state=RowState.SERVING if t.state is TicketState.SERVING else RowState.CALLED,
                recalls=t.recalls,
                lang=t.lang,
            )
            # A call the screen has not shown yet and that is still fresh (made while the display
            # was starting or reconnecting) is treated as new; anything older is shown silently.
            if (
                row.state is RowState.CALLED
                and (row.ticket, row.counter) not in before
                and now - row.called_at <= self.settings.fresh_for
            ):
                self._greet(row, now, recall=False)
            rows.append(row)
        rows.sort(key=lambda r: r.called_at, reverse=True)
        self.rows = rows[: self.settings.max_rows]
        self.rows_changed.emit_fast()
        self._set_queues(snapshot.queues)
        self._set_message(snapshot.message)

    # --- events ---------------------------------------------------------------------------

    def _shows(self, counter: CounterNo) -> bool:
        return self.counters is None or counter in self.counters

    def apply_event(self, event: ev.Event) -> None:
        """Apply one queue event (the ``event`` of an ``event`` message).

        Events at counters outside this display's zones, and events that change nothing on
        the screen, are counted as ignored.
        """
        self.stats["events"] += 1
        match event:
            case ev.DayOpened() | ev.DayClosed():
                self.day_open = isinstance(event, ev.DayOpened)
                self.rows = []
                if isinstance(event, ev.DayOpened) and self.unannounced:
                    self.unannounced = 0  # counted per day
                    self.unannounced_changed.emit_fast()
                self.rows_changed.emit_fast()
            case ev.TicketCancelled(ticket=ticket, at=at):
                self._leave(lambda r: r.ticket == ticket, at)
            case ev.TicketCalled() as call if self._shows(call.counter):
                self._call(
                    call.ticket, call.number, call.counter, call.at, recalls=0, recall=False, lang=call.lang
                )
            case ev.TicketRecalled() as call if self._shows(call.counter):
                self._call(
                    call.ticket,
                    call.number,
                    call.counter,
                    call.at,
                    recalls=call.recalls,
                    recall=True,
                    lang=call.lang,
                )
            case ev.ServiceStarted() as start if self._shows(start.counter):
                self.arrived.emit_fast(start.number)
                row = self._row(start.ticket)
                if row is None:
                    row = CallRow(start.ticket, start.number, start.counter, start.at, RowState.SERVING)
                    self._insert(row)
                else:
                    row.state = RowState.SERVING
                    row.blink_until = None
                self.rows_changed.emit_fast()
            case (
                ev.TicketFinished(ticket=ticket, counter=counter, at=at)
                | ev.TicketNoShow(ticket=ticket, counter=counter, at=at)
                | ev.TicketParked(ticket=ticket, counter=counter, at=at)
                | ev.TicketTransferred(ticket=ticket, from_counter=counter, at=at)
            ) if self._shows(counter):
                self._leave(lambda r: r.ticket == ticket, at)
            case ev.CounterClosed(counter=counter, at=at) if self._shows(counter):
                self._leave(lambda r: r.counter == counter, at)
            case _:
                self.stats["ignored"] += 1

    def _row(self, ticket: TicketId) -> CallRow | None:
        return next((r for r in self.rows if r.ticket == ticket), None)

    def _insert(self, row: CallRow) -> None:
        # The newest first: a row goes above every row called before it. Events arrive in order,
        # so this is nearly always the top.
        index = next((i for i, r in enumerate(self.rows) if r.called_at <= row.called_at), len(self.rows))
        self.rows.insert(index, row)
        del self.rows[self.settings.max_rows :]

    def _call(
        self,
        ticket: TicketId,
        number: str,
        counter: CounterNo,
        at: datetime,
        *,
        recalls: int,
        recall: bool,
        lang: Lang | None,
    ) -> None:
        self.stats["calls"] += 1
        now = self.server_now()
        # One row per ticket and one per counter: the counter's previous citizen is done with it.
        self.rows = [r for r in self.rows if r.ticket != ticket and r.counter != counter]
        row = CallRow(ticket, number, counter, at, RowState.CALLED, recalls, lang=lang)
        if now - at <= self.settings.fresh_for:
            self._greet(row, now, recall=recall)
        else:
            self.stats["silent"] += 1
        self._insert(row)
        self._expire(now)
        self.rows_changed.emit_fast()

    def _greet(self, row: CallRow, now: datetime, *, recall: bool) -> None:
        row.blink_until = now + self.settings.blink_for
        self.stats["announced"] += 1
        self.announce.emit_fast(Call(row.number, row.counter, recall=recall, lang=row.lang), row.called_at)

    def _leave(self, which: Callable[[CallRow], bool], at: datetime) -> None:
        leave_at = at + self.settings.linger
        hit = False
        for row in self.rows:
            if which(row) and row.state is not RowState.LEAVING:
                row.state = RowState.LEAVING
                row.blink_until = None
                row.leave_at = leave_at
                hit = True
        if hit:
            # Caught-up events may be long past their linger: those rows go at once.
            self._expire(self.server_now())
            self.rows_changed.emit_fast()

    # --- waiting figures and the ticker ---------------------------------------------------

    def _set_queues(self, services: Mapping[str, QueueFigures]) -> None:
        if services:
            self._figures = dict(services)
        elif self.waiting:
            # A center update without figures keeps the last known figures of the same services.
            services = self._figures
        totals: dict[str, int] = {}
        for code, figures in services.items():
            agency = self._service_agency.get(code)
            if agency is not None:
                totals[agency] = totals.get(agency, 0) + figures.waiting
        waiting = [
            AgencyWaiting(a.code, a.prefix, dict(a.name), totals.get(a.code, 0)) for a in self._agencies
        ]
        lines = []
        for info in self._service_info:
            queue = services.get(info.code)
            if queue is None or not (queue.available or queue.waiting):
                continue  # closed for the day and nobody waiting: nothing to tell the hall
            lines.append(
                ServiceWaiting(
                    info.code,
                    info.prefix,
                    dict(info.name),
                    queue.waiting,
                    queue.wait if queue.available else None,
                    None if queue.available else (queue.reason or "closed"),
                )
            )
        if waiting != self.waiting or lines != self.services:
            self.waiting = waiting
            self.services = lines
            self.waiting_changed.emit_fast()

    def _set_message(self, text: Names | None, *, force: bool = False) -> None:
        clean = {lang: line.strip() for lang, line in (text or {}).items() if line.strip()} or None
        if clean == self._message_text and not force:
            return
        self._message_text = clean
        if clean is None:
            joined = None
        else:
            order: list[str] = [lang for lang in self._center_langs if lang in clean]
            order += [lang for lang in clean if lang not in order]
            joined = "     \u2022     ".join(clean[lang] for lang in order)
        if joined != self.message:
            self.message = joined
            self.message_changed.emit_fast()


def _unique(texts: Iterable[str]) -> list[str]:
    """``texts`` without repeats (a name missing in one language falls back to another's)."""
    return list(dict.fromkeys(t for t in texts if t))
