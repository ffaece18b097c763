"""Errors raised by the store.

* StoreError                # the log could not be read or written (the database error chained)
    * LogCorrupt            # the hash chain is broken: an event or a reply was edited, moved or removed
    * LogMismatch           # the database is not this center's log, or not all of it: refused at start
    * DatabaseFilesError    # SQLite: the database, its -wal or -shm file, or their folder can't be written
    * DatabaseVanished      # SQLite: the database file was deleted or replaced while the server ran

Each message is one line that names the problem and, where an operator can act, the fix.
"""

from __future__ import annotations

RESTORE = "restore the latest backup, as docs/operations.md says"


class StoreError(Exception):
    """The event log could not be read or written.

    The database error, if any, is chained as ``__cause__``. After a failed
    :meth:`EventStore.append` nothing of the batch is in the log, unless
    ``in_doubt``: the connection was lost while the database committed, and only the
    database knows whether it did (:meth:`EventStore.head` asks it).
    """

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt
        """The failed commit may have been written after all (PostgreSQL, connection lost in COMMIT)."""


class LogCorrupt(StoreError):
    """The log does not hash as it was written: an event or a stored reply was changed,
    reordered, inserted or deleted behind the server's back.

    ``seq`` is the first broken event, or ``reply`` the position of the first broken
    stored reply (the other one is None).
    """

    def __init__(self, problem: str, *, seq: int | None = None, reply: int | None = None) -> None:
        super().__init__(f"the event log is damaged: {problem}; {RESTORE}, or run novbe audit verify")
        self.problem = problem
        self.seq = seq
        self.reply = reply


class LogMismatch(StoreError):
    """The database is not the log this center has written: empty or missing where the
    center has history, another center's or another log, or shorter than what was
    written. Starting on it would issue ticket numbers again, so the server refuses."""


class DatabaseFilesError(StoreError):
    """SQLite's files can't be written by this process: the database, its ``-wal`` or
    ``-shm`` file, or the folder they are in."""


class DatabaseVanished(StoreError):
    """The SQLite database file was deleted or replaced while the server ran. Writes are
    refused: they would go to a deleted file and be lost at the next restart."""
