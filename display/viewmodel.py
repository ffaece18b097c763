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

Signals are sent with psygnal's ``emit_fast``: it skips psygnal's locks and
``Signal.current_emitter``, which a model used from the GUI thread only does not need.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from psygnal import Signal

from display.announce import Call
from wire import events as ev
from wire.client import ConnState
from wire.i18n import catalog
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    EventMessage,
    MessageNotice,
    Names,
    QueueFigures,
    QueuesNotice,
    ServerMessage,
    Snapshot,
    Welcome,
    pick,
)
from wire.types import LANGS, CounterNo, Lang, TicketId, TicketState

log = logging.getLogger("novbe.display")

Clock = Callable[[], datetime]
"""Returns the current time on the server's clock, timezone-aware (``Session.now``)."""

BLINK_FOR = timedelta(seconds=8)
FRESH_FOR = timedelta(seconds=30)
LINGER = timedelta(seconds=20)
MAX_ROWS = 24
"""More than any screen can show: the window draws as many as fit."""

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

    @property
    def text(self) -> str:
        return f"{self.number} {ARROW} {self.counter}"


@dataclass(frozen=True, slots=True)
class AgencyWaiting:
    """The citizens waiting for one agency's services in this display's zones."""

    code: str
    prefix: str
    name: str
    waiting: int


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    blink_for: timedelta = BLINK_FOR
    fresh_for: timedelta = FRESH_FOR
    linger: timedelta = LINGER
    max_rows: int = MAX_ROWS


class DisplayViewModel:
    """State of one hall display screen.

    Args:
        code: the display's code in the center's configuration ("lobby").
        lang: the language of the screen's own words (headings, date).
        clock: the server's clock, aware (the session's ``now``); tests pass a fake one.
    """

    rows_changed = Signal()
    """The rows, their order, state or blinking changed."""
    header_changed = Signal()
    """Center name, date, clock or the online marker changed."""
    waiting_changed = Signal()
    message_changed = Signal()
    announce = Signal(object, object)
    """(Call, datetime of the call on the server's clock): a fresh call or recall to be heard."""

    def __init__(
        self,
        code: str,
        lang: Lang = "az",
        *,
        clock: Clock,
        settings: DisplaySettings | None = None,
    ) -> None:
        self.code = code
        self.lang: Lang = lang
        self.settings = settings or DisplaySettings()
        self._clock = clock
        self._tz: tzinfo | None = None
        self._texts = catalog("display")

        self.rows: list[CallRow] = []
        self.waiting: list[AgencyWaiting] = []
        self.center_name = ""
        self.message: str | None = None
        self.online = False
        self.ever_online = False
        self.day_open = True
        self.zones: frozenset[str] | None = None
        self.counters: frozenset[CounterNo] | None = None
        """Counters of this display's zones; None until the center is known (then all are shown)."""

        self._service_agency: dict[str, str] = {}
        self._agencies: list[AgencyInfo] = []
        self._center_langs: tuple[Lang, ...] = LANGS
        self._message_text: Names | None = None
        self._last_seq: int | None = None
        self._blink_phase = False
        self._header_minute = ""
        self.stats: dict[str, int] = dict.fromkeys(
            ("events", "calls", "announced", "silent", "ignored", "duplicates"), 0
        )
        """Counts of what happened, for the health log and the benchmark; fixed keys, so bounded."""

    # --- time -----------------------------------------------------------------------------

    def server_now(self) -> datetime:
        """The server's time now (the session's clock)."""
        return self._clock()

    def local_now(self) -> datetime:
        """Wall-clock time in the center's timezone (for the header and for quiet hours)."""
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
        if changed:
            self.rows_changed.emit_fast()
        minute = self.local_now().strftime("%Y-%m-%d %H:%M")
        if minute != self._header_minute:
            self._header_minute = minute
            self.header_changed.emit_fast()

    def _expire(self, now: datetime) -> bool:
        keep = [r for r in self.rows if r.leave_at is None or now < r.leave_at]
        if len(keep) == len(self.rows):
            return False
        self.rows = keep
        return True

    # --- texts ----------------------------------------------------------------------------

    def tr(self, key: str, **values: Any) -> str:
        return self._texts.tr(key, self.lang, **values)

    @property
    def clock_text(self) -> str:
        return self.local_now().strftime("%H:%M")

    @property
    def date_text(self) -> str:
        now = self.local_now()
        return self.tr(
            "date",
            day=now.day,
            month=self.tr(f"month.{now.month}"),
            weekday=self.tr(f"weekday.{now.weekday()}"),
        )

    @property
    def offline_text(self) -> str:
        return "" if self.online else self.tr("offline")

    # --- the connection -------------------------------------------------------------------

    def on_connection(self, state: ConnState) -> None:
        """The session's connection changed."""
        self.set_online(state is ConnState.ONLINE)

    def set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.ever_online = self.ever_online or online
            self.header_changed.emit_fast()

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
        self.center_name = pick(center.name, self.lang)
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
                self.rows_changed.emit_fast()
            case ev.TicketCancelled(ticket=ticket, at=at):
                self._leave(lambda r: r.ticket == ticket, at)
            case ev.TicketCalled() as call if self._shows(call.counter):
                self._call(call.ticket, call.number, call.counter, call.at, recalls=0, recall=False)
            case ev.TicketRecalled() as call if self._shows(call.counter):
                self._call(call.ticket, call.number, call.counter, call.at, recalls=call.recalls, recall=True)
            case ev.ServiceStarted() as start if self._shows(start.counter):
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
        self, ticket: TicketId, number: str, counter: CounterNo, at: datetime, *, recalls: int, recall: bool
    ) -> None:
        self.stats["calls"] += 1
        now = self.server_now()
        # One row per ticket and one per counter: the counter's previous citizen is done with it.
        self.rows = [r for r in self.rows if r.ticket != ticket and r.counter != counter]
        row = CallRow(ticket, number, counter, at, RowState.CALLED, recalls)
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
        self.announce.emit_fast(Call(row.number, row.counter, recall=recall), row.called_at)

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
        totals: dict[str, int] = {}
        for code, figures in services.items():
            agency = self._service_agency.get(code)
            if agency is not None:
                totals[agency] = totals.get(agency, 0) + figures.waiting
        if not services and self.waiting:
            # A center update without figures keeps the last known figures of the same agencies.
            totals = {w.code: w.waiting for w in self.waiting}
        waiting = [
            AgencyWaiting(a.code, a.prefix, pick(a.name, self.lang), totals.get(a.code, 0))
            for a in self._agencies
        ]
        if waiting != self.waiting:
            self.waiting = waiting
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
