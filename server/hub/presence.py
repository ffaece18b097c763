"""Which devices are connected, and which have been away too long: an app's connection is
its health too (component ``app``), so a kiosk, counter app, display or board line that
goes offline reaches the supervisors as an alert, and its return as a recovery.

A device away for less than ``grace`` is not reported (a reconnection after a network blip,
a restart of the app). A device counts only once it has been seen (connected since the
server started, or with a health report in the store): a device listed in center.toml but
never installed is nobody's alert. Whether an absence matters is the hub's to say (a kiosk
while the day is open; a counter app while its counter is open or paused): an absence that
doesn't matter yet is reported once it does.

Pure bookkeeping; the hub records and sends the statuses (``Hub._record_health``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_GRACE = timedelta(seconds=60)

COMPONENT = "app"
"""The health component of a device's connection."""


@dataclass
class Presence:
    grace: timedelta = DEFAULT_GRACE
    _away: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """identity -> (role, away since)."""
    _here: set[str] = field(default_factory=set)

    def known(self, identity: str, role: str, since: datetime) -> None:
        """A device seen before this server started: away since ``since`` until it connects."""
        if identity not in self._here:
            self._away.setdefault(identity, (role, since))

    def connected(self, identity: str) -> None:
        self._here.add(identity)
        self._away.pop(identity, None)

    def disconnected(self, identity: str, role: str, at: datetime, *, still_here: bool = False) -> None:
        """A connection of ``identity`` ended; ``still_here``: another one of it is open."""
        if still_here:
            return
        self._here.discard(identity)
        self._away[identity] = (role, at)

    def overdue(self, now: datetime) -> list[tuple[str, str]]:
        """``(identity, role)`` of the devices away longer than ``grace``."""
        limit = now - self.grace
        return [(identity, role) for identity, (role, since) in self._away.items() if since <= limit]

    def is_here(self, identity: str) -> bool:
        return identity in self._here
