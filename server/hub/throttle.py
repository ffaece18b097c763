"""Password guessing, slowed down: failed attempts are counted per login and per address,
and past a few each one makes the next attempt wait longer.

After :data:`FREE_FAILURES` failures of a login (from anywhere) or from an address (for any
login), the next attempt is allowed only after a delay that doubles with each further
failure: 1 s, 2 s, 4 s, ... up to :data:`MAX_DELAY_S`. An attempt made before then is refused
without looking at the password, so guessing costs the server nothing and the right password
is not accepted either. A login's count starts again when its password is given right; an
address's only when it has had no failure for :data:`FORGET_AFTER_S` (else an attacker who
knows one password could clear its count between guesses at another). An unknown login is
counted like a known one: the answers don't tell them apart. Attempts from the server's own
machine (loopback) are counted per login only: whoever types there has the machine already,
and a supervisor's desk on it must not be locked out by someone else's typing mistakes.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .gate import is_local

FREE_FAILURES = 5
"""Failures allowed without delay, per login and per address: a few typing mistakes."""

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 300.0
"""The longest wait: one guess in five minutes, 288 a day, per login and per address."""

FORGET_AFTER_S = 900.0
"""A count with no failure for this long starts again from nothing."""

MAX_TRACKED = 10_000
"""Counts kept at most (the oldest go first): guessing with made-up logins can't fill the
memory."""


@dataclass(slots=True)
class _Count:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0
    """No attempt before this time (monotonic seconds)."""


Key = tuple[str, str]
"""``("login", name)`` or ``("address", ip)``."""


class Throttle:
    """Counts failed password attempts and says how long the next one must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: collections.OrderedDict[Key, _Count] = collections.OrderedDict()
        self.refused = 0
        """Attempts refused for coming too early, since start."""
        self.failures = 0
        """Failed attempts, since start."""

    @staticmethod
    def keys(login: str, address: str) -> tuple[Key, ...]:
        # Logins are compared as center.toml writes them; casefold only for counting, so
        # "Supervisor" and "supervisor" share one count.
        by_login: Key = ("login", login.casefold())
        return (by_login,) if is_local(address) else (by_login, ("address", address))

    def wait_s(self, login: str, address: str) -> int:
        """Whole seconds before an attempt for ``login`` from ``address`` is allowed (0: now)."""
        now = self._clock()
        until = max(self._current(key, now).until for key in self.keys(login, address))
        if until <= now:
            return 0
        self.refused += 1
        return math.ceil(until - now)

    def failed(self, login: str, address: str) -> bool:
        """Count a wrong password (or unknown login). Returns True if it made a count that had
        no delay start delaying: someone may be guessing."""
        now = self._clock()
        self.failures += 1
        started = False
        for key in self.keys(login, address):
            count = self._current(key, now)
            count.failures += 1
            count.last = now
            over = count.failures - FREE_FAILURES
            if over > 0:
                # The exponent is capped: past 2**20 the delay is MAX_DELAY_S anyway.
                count.until = now + min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(over - 1, 20))
                started |= over == 1
            self._counts[key] = count
            self._counts.move_to_end(key)
        while len(self._counts) > MAX_TRACKED:
            self._counts.popitem(last=False)
        return started

    def succeeded(self, login: str) -> None:
        """The right password: the login's count starts again (the address's does not)."""
        self._counts.pop(self.keys(login, "")[0], None)

    def delayed(self) -> list[tuple[Key, int]]:
        """The counts that make attempts wait now, most failures first: ``(key, failures)``."""
        now = self._clock()
        self._forget(now)
        found = [(key, count.failures) for key, count in self._counts.items() if count.until > now]
        return sorted(found, key=lambda item: -item[1])

    def _current(self, key: Key, now: float) -> _Count:
        count = self._counts.get(key)
        if count is None or now - count.last > FORGET_AFTER_S:
            return _Count()
        return count

    def _forget(self, now: float) -> None:
        # Least recently failed first: stop at the first one still remembered.
        while self._counts:
            key, count = next(iter(self._counts.items()))
            if now - count.last <= FORGET_AFTER_S:
                break
            del self._counts[key]
