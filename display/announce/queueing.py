"""The order in which calls are announced: one at a time, never over each other, never late.

Pure bookkeeping, no threads and no clock of its own: the display passes the time in. It asks
``next_to_play(now)`` on every call event and on a timer (once a second is plenty), plays what it
gets, and calls ``done(now)`` when the player has finished.

Rules, for a hall where a late announcement is worse than a skipped one (the call is on the screen
anyway, and a citizen sent to a counter that has moved on will queue there for nothing):

- Calls are announced in the order they arrive.
- A call still waiting to be announced is replaced, in its place, by a newer call for the same
  counter or the same ticket: the counter has moved on, or the ticket was recalled or sent
  elsewhere before anyone heard it. So the same ticket and counter are never queued twice.
- A recall of the call being played is queued: a recall is announced again.
- A call whose citizen has reached the counter (``arrived``) is not announced any more.
- A call that follows the one before at once (within ``chain_within`` of its end) goes without
  the chime: the hall is listening already, and a busy hall hears more calls a minute.
- A call whose turn comes more than ``bilingual_within`` after it was made, with more calls
  waiting behind it, is said in the hall's language only: the hall is behind, and catches up
  rather than falls further back.
- A call older than ``max_age`` when its turn comes is dropped (e.g. calls caught up after the
  display was offline).
- At most ``max_pending`` calls wait; beyond that the oldest plain call (not a recall) is dropped.
- If ``done()`` never comes (a player that failed silently), the announcement counts as finished
  ``grace`` after its expected end, so the queue cannot stall.

A call that is never heard (too late, replaced by another citizen's call at its counter, or
pushed out) is logged and counted (``stats["dropped"]``), and ``on_drop`` is told.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from display.announce.compose import Announcement, Call, Composer

log = logging.getLogger(__name__)

MAX_AGE = timedelta(seconds=60)
BILINGUAL_WITHIN = timedelta(seconds=10)
CHAIN_WITHIN = timedelta(seconds=1)


class Compose(Protocol):
    """What the queue composes with: :meth:`Composer.compose` or a test's stand-in."""

    def __call__(self, call: Call, now: datetime, *, chained: bool, first_only: bool) -> Announcement: ...


Drop = Callable[[Call, str], None]
"""Told of each call that will never be heard, with why: ``stale``, ``superseded``, ``overflow``."""

_WHY = {
    "stale": "its turn came too late",
    "superseded": "its counter called another ticket before it was said",
    "overflow": "too many calls were waiting",
}


def _age(now: datetime, at: datetime) -> timedelta:
    # Server times are usually aware and a display's clock may be naive local time: mixing the two
    # must not crash the display, so a naive one is read as the machine's local time.
    if (now.tzinfo is None) != (at.tzinfo is None):
        now, at = now.astimezone(), at.astimezone()
    return now - at


@dataclass(slots=True)
class _Pending:
    call: Call
    at: datetime


class AnnouncementQueue:
    def __init__(
        self,
        composer: Composer | Compose,
        *,
        max_age: timedelta = MAX_AGE,
        max_pending: int = 30,
        grace: timedelta = timedelta(seconds=3),
        bilingual_within: timedelta = BILINGUAL_WITHIN,
        chain_within: timedelta = CHAIN_WITHIN,
        on_drop: Drop | None = None,
    ) -> None:
        self._compose: Compose = composer.compose if isinstance(composer, Composer) else composer
        self.max_age = max_age
        self.max_pending = max_pending
        self.grace = grace
        self.bilingual_within = bilingual_within
        self.chain_within = chain_within
        self.on_drop = on_drop
        self._pending: list[_Pending] = []
        self._playing: Announcement | None = None
        self._playing_until: datetime | None = None
        self._ended_at: datetime | None = None
        self.stats: Counter[str] = Counter()
        """Counts of what happened: pushed, played, chained (without the chime), first_only (said
        in the first language only), replaced, duplicate, arrived (not said: the citizen was at
        the counter already), silent, timed_out, and the calls never heard: stale, superseded,
        overflow, and their sum, dropped. Bounded, unlike a log of calls."""

    @property
    def playing(self) -> Announcement | None:
        return self._playing

    @property
    def pending(self) -> list[Call]:
        return [p.call for p in self._pending]

    @property
    def dropped(self) -> int:
        """Calls never heard so far."""
        return self.stats["dropped"]

    def push(self, call: Call, at: datetime) -> bool:
        """Queue ``call`` made at ``at``. False when it was a duplicate and nothing changed."""
        self.stats["pushed"] += 1
        playing = self._playing.call if self._playing else None
        if (
            playing is not None
            and not call.recall
            and (call.number, call.counter) == (playing.number, playing.counter)
        ):
            self.stats["duplicate"] += 1
            return False
        for i, p in enumerate(self._pending):
            if (p.call.number, p.call.counter) == (call.number, call.counter):
                # Nobody has heard it yet: once is enough, at its first place.
                self.stats["duplicate"] += 1
                return False
            if p.call.counter == call.counter or p.call.number == call.number:
                self._pending[i] = _Pending(call, at)
                self.stats["replaced"] += 1
                if p.call.number != call.number:
                    # Another citizen at the same counter: the one before never heard theirs.
                    self._drop(p, "superseded", at)
                return True
        self._pending.append(_Pending(call, at))
        if len(self._pending) > self.max_pending:
            victim = next((i for i, p in enumerate(self._pending) if not p.call.recall), 0)
            self._drop(self._pending.pop(victim), "overflow", at)
        return True

    def arrived(self, number: str) -> bool:
        """Ticket ``number`` is at its counter (its service started): its calls waiting to be
        said are moot. True if there were any."""
        kept = [p for p in self._pending if p.call.number != number]
        gone = len(self._pending) - len(kept)
        self._pending = kept
        self.stats["arrived"] += gone
        return bool(gone)

    def next_to_play(self, now: datetime) -> Announcement | None:
        """The announcement to play now, or None (one is still playing, or nothing is due).

        What it returns is the one playing until ``done()``.
        """
        if self._playing is not None:
            if self._playing_until is not None and now < self._playing_until:
                return None
            self.stats["timed_out"] += 1
            self.done()
        while self._pending:
            item = self._pending.pop(0)
            age = _age(now, item.at)
            if age > self.max_age:
                self._drop(item, "stale", now)
                continue
            chained = self._ended_at is not None and _age(now, self._ended_at) <= self.chain_within
            # Behind: this one is late and others wait for it to end.
            first_only = age > self.bilingual_within and bool(self._pending)
            announcement = self._compose(item.call, now, chained=chained, first_only=first_only)
            if not announcement.audible:
                # Quiet hours or no voice at all: the screen shows the call, the hall hears nothing.
                self.stats["silent"] += 1
                continue
            self._playing = announcement
            self._playing_until = now + timedelta(seconds=announcement.duration) + self.grace
            self.stats["played"] += 1
            self.stats["chained"] += chained
            self.stats["first_only"] += first_only
            return announcement
        return None

    def done(self, at: datetime | None = None) -> None:
        """The player finished (or failed on) the announcement returned last, at ``at``.

        Without ``at`` (a failure, or a player that never said) the next call gets its chime.
        """
        self._playing = None
        self._playing_until = None
        self._ended_at = at

    def clear(self) -> None:
        """Forget what waits (e.g. the day closed); what is playing plays on."""
        self._pending.clear()

    def _drop(self, item: _Pending, reason: str, now: datetime) -> None:
        self.stats[reason] += 1
        self.stats["dropped"] += 1
        log.warning(
            "call %s -> %s not announced: %s (made %.0f s before)",
            item.call.number,
            item.call.counter,
            _WHY[reason],
            _age(now, item.at).total_seconds(),
        )
        if self.on_drop is not None:
            self.on_drop(item.call, reason)
