"""The store's real state, as the last commit attempt or probe found it.

``/health`` and the supervisors' alerts read it (:meth:`EventStore.health`). Three
states:

* ``ok``: the last write went through;
* ``read_only``: the log can be read but not written (disk full, a file or the
  filesystem read-only, PostgreSQL in recovery or out of disk);
* ``failing``: the database can't be reached or used at all (PostgreSQL down, the
  SQLite file deleted, damaged or locked by another process).

Nothing is acknowledged to a client unless it was written: in both bad states
``append`` raises and commits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

HealthState = Literal["ok", "read_only", "failing"]


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """What the store last found, and since when."""

    state: HealthState
    reason: str | None
    """One line for a person (None when ok): ``disk full: 12 KiB free in /var/lib/novbe``."""
    since: datetime
    """When the store entered this state."""
    checked: datetime
    """When a commit or a probe last found it."""

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "state": self.state,
            "reason": self.reason,
            "since": self.since.isoformat(),
            "checked": self.checked.isoformat(),
        }


# SQLite's primary result codes (https://www.sqlite.org/rescode.html), low byte of the code.
_SQLITE_READ_ONLY = {8}  # SQLITE_READONLY and its extended codes
_SQLITE_FULL = {13}
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB

# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_READ_ONLY = {"25006", "53100"}  # read_only_sql_transaction, disk_full


def classify(exc: SQLAlchemyError) -> tuple[HealthState, str]:
    """The state a database error shows, and why, in a line.

    ``IntegrityError`` is not a state of the database (a second writer, a repeated
    request): the caller leaves the state as it is.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    text = str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if primary in _SQLITE_FULL:
            return "read_only", f"disk full ({text})"
        if primary in _SQLITE_READ_ONLY:
            return "read_only", f"the database can't be written ({text})"
        if primary in _SQLITE_BUSY:
            return "failing", f"another process holds the database locked ({text})"
        if primary in _SQLITE_DAMAGED:
            return "failing", f"the database file is damaged ({text})"
        return "failing", text
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_READ_ONLY:
        what = "the database server's disk is full" if sqlstate == "53100" else "the database is read-only"
        return "read_only", f"{what} ({text})"
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or sqlstate is None or sqlstate[:2] == "08"
    ):
        return "failing", f"cannot reach the database ({text})"
    return "failing", text
