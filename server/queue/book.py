"""The bookings of a hall: who booked which slot, and the rules a booking obeys.

Pure like the rest of the engine: no clock (every command carries ``at``), no randomness (the
caller draws the code), no I/O. The :class:`~server.queue.engine.QueueEngine` holds one
:class:`Book` and routes the bookings' commands and events to it; unlike the tickets, the book
is not cleared when a day opens: it holds the bookings of every day the log has seen.

The rules (docs/appointments.md):

* a booking is for a slot of the service's configured hours (``[appointments]`` of the center
  file), on a working day of the hall, and not in the past;
* a slot never takes more than its ``per_slot`` live bookings (booked or checked in);
* a code is unique among all the bookings the book knows: a used or cancelled code is not
  given again, so the kiosk can say "already used" rather than letting a stranger in.

Bookings end checked in (at a kiosk), cancelled, or missed: the check-in window closed without a
check-in (``missed``, decided by the clock's :class:`~server.queue.commands.KeepDay`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from wire.events import BookingCancelled, BookingCheckedIn, BookingMade, BookingMissed, BookingMoved, Event
from wire.types import Lang, ServiceCode, TicketId

from .commands import CancelBooking, MakeBooking, MoveBooking
from .exceptions import CheckInRefused
from .hall import Hall, SlotHours

CODE_DIGITS = 8
"""A booking code is this many digits."""


class BookingState(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    MISSED = "missed"


LIVE = frozenset({BookingState.BOOKED, BookingState.CHECKED_IN})
"""The states that hold a place in their slot."""


class BookingRefused(Exception):
    """A booking command the rules refuse; nothing changed.

    ``code`` says which rule: ``unknown_service`` (the service takes no bookings or does not
    exist), ``not_a_slot`` (``details["reason"]``: ``past``, ``hours`` or ``day``),
    ``slot_full``, ``unknown_booking``, ``booking_closed`` (checked in, cancelled or missed:
    it can't be moved or cancelled), ``code_taken`` (draw another code), ``bad_code``.
    """

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class _Record:
    code: str
    service: ServiceCode
    slot_at: datetime
    made_at: datetime
    lang: Lang
    name: str | None
    phone: str | None
    state: BookingState = BookingState.BOOKED
    ticket: TicketId | None = None
    changed_at: datetime | None = None
    """When it was checked in, cancelled or missed."""


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking as it was when asked for."""

    code: str
    service: ServiceCode
    slot_at: datetime
    made_at: datetime
    lang: Lang
    name: str | None
    phone: str | None
    state: BookingState
    ticket: TicketId | None
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Slot:
    """One slot of a service on a day, and how many places it has left."""

    service: ServiceCode
    start: datetime
    minutes: int
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def normal_code(text: str) -> str:
    """The code as typed or scanned, without spaces and dashes (``"4821-0937"`` -> ``"48210937"``)."""
    return "".join(ch for ch in text if ch not in " -\t")


def is_code(text: str) -> bool:
    return len(text) == CODE_DIGITS and text.isascii() and text.isdigit()


class Book:
    """The bookings of one hall, of every day. See the module's docstring for the rules."""

    def __init__(self, hall: Hall) -> None:
        self._hall = hall
        self._bookings: dict[str, _Record] = {}
        self._taken: dict[tuple[ServiceCode, datetime], int] = {}
        """(service, slot start) -> live bookings in it."""
        self._open: dict[str, _Record] = {}
        """The bookings still BOOKED, by code: what the clock looks at for missed ones."""

    # --- reading ------------------------------------------------------------------------

    def get(self, code: str) -> Booking | None:
        record = self._bookings.get(code)
        return None if record is None else _view(record)

    def __len__(self) -> int:
        return len(self._bookings)

    def __contains__(self, code: object) -> bool:
        return code in self._bookings

    def bookings(self, day: date | None = None, service: ServiceCode | None = None) -> list[Booking]:
        """The bookings of ``day`` (all days if None) and ``service`` (all if None), by slot."""
        found = [
            _view(r)
            for r in self._bookings.values()
            if (day is None or r.slot_at.date() == day) and (service is None or r.service == service)
        ]
        return sorted(found, key=lambda b: (b.slot_at, b.service, b.made_at, b.code))

    def hours_of(self, service: ServiceCode) -> tuple[SlotHours, ...]:
        return tuple(h for h in self._hall.bookings.slots if h.service == service)

    def booked(self, service: ServiceCode, slot_at: datetime) -> int:
        """The live bookings of one slot."""
        return self._taken.get((service, slot_at), 0)

    def slots(self, service: ServiceCode, day: date, tz_of: datetime) -> list[Slot]:
        """Every slot of ``service`` on ``day`` (in the time zone of ``tz_of``), with its places;
        none on a day the hall does not work."""
        if day.weekday() not in self._hall.days:
            return []
        found = []
        for hours in self.hours_of(service):
            for minute in hours.slot_starts():
                start = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz_of.tzinfo)
                found.append(
                    Slot(service, start, hours.slot_min, hours.per_slot, self.booked(service, start))
                )
        return sorted(found, key=lambda s: s.start)

    # --- deciding -----------------------------------------------------------------------

    def make(self, cmd: MakeBooking) -> list[Event]:
        if not is_code(cmd.code):
            raise BookingRefused("bad_code", f"a booking code is {CODE_DIGITS} digits, not {cmd.code!r}")
        if cmd.code in self._bookings:
            raise BookingRefused("code_taken", f"booking code {cmd.code} is taken", booking=cmd.code)
        self._check_slot(cmd.service, cmd.slot_at, cmd.at)
        return [
            BookingMade(
                code=cmd.code,
                service=cmd.service,
                slot_at=cmd.slot_at,
                at=cmd.at,
                lang=cmd.lang,
                name=cmd.name,
                phone=cmd.phone,
                by=cmd.by,
            )
        ]

    def move(self, cmd: MoveBooking) -> list[Event]:
        record = self._changeable(cmd.code, "move")
        if cmd.slot_at == record.slot_at:
            return []
        self._check_slot(record.service, cmd.slot_at, cmd.at)
        return [
            BookingMoved(
                code=record.code, from_slot=record.slot_at, slot_at=cmd.slot_at, at=cmd.at, by=cmd.by
            )
        ]

    def cancel(self, cmd: CancelBooking) -> list[Event]:
        record = self._changeable(cmd.code, "cancel")
        return [BookingCancelled(code=record.code, at=cmd.at, by=cmd.by)]

    def for_check_in(self, code: str) -> Booking:
        """The booking a citizen checks in with, or ``CheckInRefused``: ``unknown``, ``used``,
        ``cancelled``, or ``late`` for a missed one. The window itself is the engine's rule
        (``QueueEngine._booked_estimate``)."""
        record = self._bookings.get(code)
        if record is None:
            raise CheckInRefused(f"can't check in: no booking {code}", reason="unknown", service=None)
        what = f"can't check in booking {code}"
        if record.state is BookingState.CHECKED_IN:
            raise CheckInRefused(
                f"{what}: it was used at {record.changed_at:%H:%M} for ticket {record.ticket}",
                reason="used",
                service=record.service,
            )
        if record.state is BookingState.CANCELLED:
            raise CheckInRefused(f"{what}: it was cancelled", reason="cancelled", service=record.service)
        if record.state is BookingState.MISSED:
            closes = record.slot_at + timedelta(minutes=self._hall.bookings.after_min)
            raise CheckInRefused(
                f"{what} for {record.slot_at:%Y-%m-%d %H:%M}: check-in closed at {closes:%H:%M}",
                reason="late",
                closed_at=closes.isoformat(),
                service=record.service,
            )
        return _view(record)

    def checked_in(self, code: str, ticket: TicketId, at: datetime) -> BookingCheckedIn:
        return BookingCheckedIn(code=code, ticket=ticket, at=at)

    def missed(self, at: datetime, *, day_closed: date | None = None) -> list[BookingMissed]:
        """The bookings whose check-in window has closed by ``at`` (and, when the day
        ``day_closed`` closes, every booking of that day) without a check-in."""
        after = timedelta(minutes=self._hall.bookings.after_min)
        return [
            BookingMissed(code=r.code, service=r.service, slot_at=r.slot_at, at=at)
            for r in sorted(self._open.values(), key=lambda r: (r.slot_at, r.code))
            if r.slot_at + after < at or (day_closed is not None and r.slot_at.date() <= day_closed)
        ]

    def _changeable(self, code: str, action: str) -> _Record:
        record = self._bookings.get(code)
        if record is None:
            raise BookingRefused("unknown_booking", f"can't {action}: no booking {code}", booking=code)
        if record.state is not BookingState.BOOKED:
            raise BookingRefused(
                "booking_closed",
                f"can't {action} booking {code}: it is {record.state.value}",
                booking=code,
                state=record.state.value,
            )
        return record

    def _check_slot(self, service: ServiceCode, slot_at: datetime, at: datetime) -> None:
        if slot_at.tzinfo is None:
            raise BookingRefused("not_a_slot", "a slot's time needs its UTC offset", reason="hours")
        periods = self.hours_of(service)
        if not periods:
            raise BookingRefused("unknown_service", f"service {service} takes no bookings", service=service)
        if slot_at <= at:
            raise BookingRefused(
                "not_a_slot", f"the slot {slot_at:%Y-%m-%d %H:%M} has begun or passed", reason="past"
            )
        local = slot_at.astimezone(at.tzinfo) if at.tzinfo is not None else slot_at
        if local.weekday() not in self._hall.days:
            raise BookingRefused("not_a_slot", f"the hall does not work on {local:%A %Y-%m-%d}", reason="day")
        minute = local.hour * 60 + local.minute
        hours = next(
            (
                h
                for h in periods
                if local.second == 0 and local.microsecond == 0 and minute in h.slot_starts()
            ),
            None,
        )
        if hours is None:
            listed = ", ".join(
                f"{_clock(h.start_min)}-{_clock(h.end_min)} every {h.slot_min} min" for h in periods
            )
            raise BookingRefused(
                "not_a_slot",
                f"{local:%H:%M} is not the start of a slot of {service} ({listed})",
                reason="hours",
            )
        if self.booked(service, slot_at) >= hours.per_slot:
            raise BookingRefused(
                "slot_full",
                f"the slot {local:%Y-%m-%d %H:%M} of {service} is full ({hours.per_slot} booked)",
                service=service,
                slot_at=slot_at.isoformat(),
            )

    # --- applying -----------------------------------------------------------------------
    # Trusted events. A replica that starts with today's log alone (the web process, the
    # central record) meets events of bookings made on earlier days: those are skipped.

    def apply_made(self, e: BookingMade) -> None:
        record = _Record(e.code, e.service, e.slot_at, e.at, e.lang, e.name, e.phone)
        self._bookings[e.code] = record
        self._open[e.code] = record
        self._take(record, +1)

    def apply_moved(self, e: BookingMoved) -> None:
        record = self._bookings.get(e.code)
        if record is None:
            return
        self._take(record, -1)
        record.slot_at = e.slot_at
        self._take(record, +1)

    def apply_cancelled(self, e: BookingCancelled) -> None:
        record = self._bookings.get(e.code)
        if record is None:
            return
        self._take(record, -1)
        self._end(record, BookingState.CANCELLED, e.at)

    def apply_checked_in(self, e: BookingCheckedIn) -> None:
        record = self._bookings.get(e.code)
        if record is None:
            return
        record.ticket = e.ticket
        self._end(record, BookingState.CHECKED_IN, e.at)

    def apply_missed(self, e: BookingMissed) -> None:
        record = self._bookings.get(e.code)
        if record is None:
            return
        self._take(record, -1)
        self._end(record, BookingState.MISSED, e.at)

    def _end(self, record: _Record, state: BookingState, at: datetime) -> None:
        record.state = state
        record.changed_at = at
        self._open.pop(record.code, None)

    def _take(self, record: _Record, by: int) -> None:
        key = (record.service, record.slot_at)
        left = self._taken.get(key, 0) + by
        if left:
            self._taken[key] = left
        else:
            self._taken.pop(key, None)

    def __iter__(self) -> Iterator[Booking]:
        return (_view(r) for r in self._bookings.values())


def _view(r: _Record) -> Booking:
    return Booking(
        r.code, r.service, r.slot_at, r.made_at, r.lang, r.name, r.phone, r.state, r.ticket, r.changed_at
    )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
