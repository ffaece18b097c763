"""State of one hall display, with no Qt: the calls, the waiting figures, the header and the ticker.

The window (display/qt_display.py) only paints what this model holds and repaints when one of its
signals fires. Everything here is driven by server messages (``apply``), the connection state
(``set_online``) and the passing of time (``tick``), with the clock injected, so the rules can be
tested without a screen and without waiting.

Rules:

- One row per ticket, and one per counter: a counter serves one citizen at a time, so its new call
  replaces its previous row at once.
- Rows are newest first (a recall counts as new); the newest is the one the window draws large.
- A call blinks for ``blink_for`` after it arrives; a recall blinks again; starting the service
  stops the blinking (the citizen has arrived).
- A finished, no-show, parked or transferred ticket leaves ``linger`` after that happened.
- Only calls younger than ``fresh_for`` (by the server's time of the call) blink and are
  announced; older ones, typically caught up after the display was offline, update the rows
  silently. Ages are measured on the server's clock (the offset is taken from ``welcome``), so a
  display whose own clock is wrong neither announces everything nor nothing.
- Memory stays flat: at most ``max_rows`` rows, and nothing else grows with the number of calls.

Signals are sent with psygnal's ``emit_fast``: it skips psygnal's locks and
``Signal.current_emitter``, which a model used from the GUI thread only does not need.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psygnal import Signal

from display.announce import Call
from wire.i18n import catalog

log = logging.getLogger("novbe.display")

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

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

    ticket: str
    number: str
    counter: int
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


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Server times are aware; a naive one would not compare with them, so read it as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _pick(names: Mapping[str, str] | None, lang: str) -> str:
    if not names:
        return ""
    return names.get(lang) or names.get("az") or next(iter(names.values()), "")


class DisplayViewModel:
    """State of one hall display screen.

    Args:
        code: the display's code in the center's configuration ("lobby").
        lang: the language of the screen's own words (headings, date).
        clock: the current time, aware; tests pass a fake one.
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
        lang: str = "az",
        *,
        clock: Clock | None = None,
        settings: DisplaySettings | None = None,
    ) -> None:
        self.code = code
        self.lang = lang
        self.settings = settings or DisplaySettings()
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._tz: tzinfo | None = None
        self._texts = catalog("display")

        self.rows: list[CallRow] = []
        self.waiting: list[AgencyWaiting] = []
        self.center_name = ""
        self.center_names: dict[str, str] = {}
        self.message: str | None = None
        self.online = False
        self.ever_online = False
        self.day_open = True
        self.zones: frozenset[str] | None = None
        self.counters: frozenset[int] | None = None
        """Counters of this display's zones; None until the center is known (then all are shown)."""

        self._service_agency: dict[str, str] = {}
        self._agencies: list[tuple[str, str, dict[str, str]]] = []
        self._center_langs: list[str] = ["az", "ru", "en"]
        self._message_text: dict[str, str] | None = None
        self._last_seq: int | None = None
        self._blink_phase = False
        self._header_minute = ""
        self.stats: dict[str, int] = dict.fromkeys(
            ("events", "calls", "announced", "silent", "ignored", "duplicates"), 0
        )
        """Counts of what happened, for the health log and the benchmark; fixed keys, so bounded."""

    # --- time -----------------------------------------------------------------------------

    def server_now(self) -> datetime:
        """The server's time now, as estimated from this machine's clock and ``welcome``."""
        return self._clock() + self._offset

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

    def set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.ever_online = self.ever_online or online
            self.header_changed.emit_fast()

    def apply(self, message: Mapping[str, Any]) -> None:
        """Take one server message (``welcome``, ``event``, ``queues``, ``message``); others are ignored."""
        kind = message.get("type")
        if kind == "welcome":
            self._welcome(message)
        elif kind == "event":
            seq = message.get("seq")
            if isinstance(seq, int):
                if self._last_seq is not None and seq <= self._last_seq:
                    # Already applied (a resume that overlaps): applying twice would re-announce.
                    self.stats["duplicates"] += 1
                    return
                self._last_seq = seq
            event = message.get("event")
            if isinstance(event, Mapping):
                self.apply_event(event)
        elif kind == "queues":
            services = message.get("services")
            if isinstance(services, Mapping):
                self._set_queues(services)
        elif kind == "message":
            text = message.get("text")
            self._set_message(text if isinstance(text, Mapping) else None)

    def _welcome(self, welcome: Mapping[str, Any]) -> None:
        server_time = _parse_time(welcome.get("server_time"))
        if server_time is not None:
            self._offset = server_time - self._clock()
        center = welcome.get("center")
        if isinstance(center, Mapping):
            self._set_center(center, str(welcome.get("device") or self.code))
        seq = welcome.get("seq")
        snapshot = welcome.get("snapshot")
        if isinstance(snapshot, Mapping):
            self._last_seq = seq if isinstance(seq, int) else None
            self._set_snapshot(snapshot)
        elif not welcome.get("resumed") and isinstance(seq, int):
            self._last_seq = seq
        self.set_online(True)
        self.header_changed.emit_fast()

    def _set_center(self, center: Mapping[str, Any], device: str) -> None:
        self.center_names = {str(k): str(v) for k, v in (center.get("name") or {}).items()}
        self.center_name = _pick(self.center_names, self.lang)
        langs = center.get("languages")
        if isinstance(langs, list) and langs:
            self._center_langs = [str(x) for x in langs]
        timezone = center.get("timezone")
        if isinstance(timezone, str):
            try:
                self._tz = ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("unknown timezone %r; showing the machine's local time", timezone)
        zones: frozenset[str] | None = None
        for entry in center.get("displays") or []:
            if isinstance(entry, Mapping) and entry.get("code") == device:
                zones = frozenset(str(z) for z in entry.get("zones") or [])
        counters = [c for c in center.get("counters") or [] if isinstance(c, Mapping)]
        self.zones = zones
        if zones is not None:
            self.counters = frozenset(int(c["number"]) for c in counters if c.get("zone") in zones)
        else:
            self.counters = None
        shown_agencies = {str(c.get("agency")) for c in counters if zones is None or c.get("zone") in zones}
        self._agencies = [
            (str(a["code"]), str(a.get("prefix") or ""), dict(a.get("name") or {}))
            for a in center.get("agencies") or []
            if isinstance(a, Mapping)
            and (zones is None or a.get("zone") in zones or a.get("code") in shown_agencies)
        ]
        self._service_agency = {
            str(s["code"]): str(s.get("agency"))
            for s in center.get("services") or []
            if isinstance(s, Mapping) and "code" in s
        }
        self._set_queues({})
        # A message already set before the center was known is re-joined in its languages' order.
        self._set_message(self._message_text, force=True)

    def _set_snapshot(self, snapshot: Mapping[str, Any]) -> None:
        self.day_open = bool(snapshot.get("open", True))
        now = self.server_now()
        before = {(r.ticket, r.counter) for r in self.rows}
        rows: list[CallRow] = []
        for t in snapshot.get("tickets") or []:
            if not isinstance(t, Mapping) or not self._shows(t.get("counter")):
                continue
            called_at = _parse_time(t.get("called_at")) or now
            row = CallRow(
                ticket=str(t.get("id")),
                number=str(t.get("number")),
                counter=t["counter"],
                called_at=called_at,
                state=RowState.SERVING if t.get("state") == "serving" else RowState.CALLED,
                recalls=int(t.get("recalls") or 0),
            )
            # A call the screen has not shown yet and that is still fresh (made while the display
            # was starting or reconnecting) is treated as new; anything older is shown silently.
            if (
                row.state is RowState.CALLED
                and (row.ticket, row.counter) not in before
                and now - called_at <= self.settings.fresh_for
            ):
                self._greet(row, now, recall=False)
            rows.append(row)
        rows.sort(key=lambda r: r.called_at, reverse=True)
        self.rows = rows[: self.settings.max_rows]
        self.rows_changed.emit_fast()
        queues = snapshot.get("queues")
        if isinstance(queues, Mapping):
            self._set_queues(queues)
        text = snapshot.get("message")
        self._set_message(text if isinstance(text, Mapping) else None)

    # --- events ---------------------------------------------------------------------------

    def _shows(self, counter: object) -> TypeGuard[int]:
        if not isinstance(counter, int) or isinstance(counter, bool):
            return False
        return self.counters is None or counter in self.counters

    def apply_event(self, event: Mapping[str, Any]) -> None:
        """Apply one queue event (the ``event`` field of an ``event`` message)."""
        self.stats["events"] += 1
        kind = event.get("type")
        at = _parse_time(event.get("at")) or self.server_now()
        if kind in ("DayOpened", "DayClosed"):
            self.day_open = kind == "DayOpened"
            self.rows = []
            self.rows_changed.emit_fast()
            return
        counter = event.get("from_counter") if kind == "TicketTransferred" else event.get("counter")
        if kind == "TicketCancelled":
            self._leave(lambda r: r.ticket == event.get("ticket"), at)
            return
        if not self._shows(counter):
            self.stats["ignored"] += 1
            return
        ticket = str(event.get("ticket"))
        number = str(event.get("number"))
        if kind == "TicketCalled":
            self._call(ticket, number, counter, at, recalls=0, recall=False)
        elif kind == "TicketRecalled":
            self._call(ticket, number, counter, at, recalls=int(event.get("recalls") or 1), recall=True)
        elif kind == "ServiceStarted":
            row = self._row(ticket)
            if row is None:
                self._insert(CallRow(ticket, number, counter, at, RowState.SERVING))
            else:
                row.state = RowState.SERVING
                row.blink_until = None
            self.rows_changed.emit_fast()
        elif kind in ("TicketFinished", "TicketNoShow", "TicketParked", "TicketTransferred"):
            self._leave(lambda r: r.ticket == ticket, at)
        elif kind == "CounterClosed":
            self._leave(lambda r: r.counter == counter, at)
        else:
            self.stats["ignored"] += 1

    def _row(self, ticket: str) -> CallRow | None:
        return next((r for r in self.rows if r.ticket == ticket), None)

    def _insert(self, row: CallRow) -> None:
        # The newest first: a row goes above every row called before it. Events arrive in order,
        # so this is nearly always the top.
        index = next((i for i, r in enumerate(self.rows) if r.called_at <= row.called_at), len(self.rows))
        self.rows.insert(index, row)
        del self.rows[self.settings.max_rows :]

    def _call(
        self, ticket: str, number: str, counter: int, at: datetime, *, recalls: int, recall: bool
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

    def _set_queues(self, services: Mapping[str, Any]) -> None:
        totals: dict[str, int] = {}
        for code, figures in services.items():
            agency = self._service_agency.get(str(code))
            if agency is None or not isinstance(figures, Mapping):
                continue
            waiting = figures.get("waiting")
            if isinstance(waiting, int):
                totals[agency] = totals.get(agency, 0) + waiting
        if not services and self.waiting:
            # A center update without figures keeps the last known figures of the same agencies.
            totals = {w.code: w.waiting for w in self.waiting}
        waiting = [
            AgencyWaiting(code, prefix, _pick(names, self.lang), totals.get(code, 0))
            for code, prefix, names in self._agencies
        ]
        if waiting != self.waiting:
            self.waiting = waiting
            self.waiting_changed.emit_fast()

    def _set_message(self, text: Mapping[str, Any] | None, *, force: bool = False) -> None:
        clean = {str(k): str(v).strip() for k, v in (text or {}).items() if str(v).strip()} or None
        if clean == self._message_text and not force:
            return
        self._message_text = clean
        if clean is None:
            joined = None
        else:
            order = [lang for lang in self._center_langs if lang in clean]
            order += [lang for lang in clean if lang not in order]
            joined = "     \u2022     ".join(clean[lang] for lang in order)
        if joined != self.message:
            self.message = joined
            self.message_changed.emit_fast()
