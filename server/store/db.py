"""Engines for the two supported backends: SQLite (a file, the default) and PostgreSQL.

The store is synchronous; the server calls it through ``asyncio.to_thread``, so
connections must be usable from a thread other than the one that made them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

SqliteSync = Literal["FULL", "NORMAL"]

WRITE = "novbe_write"
"""Execution option: this connection's transaction will write (SQLite: BEGIN IMMEDIATE)."""

BUSY_TIMEOUT_MS = 5000

JOURNAL_SIZE_LIMIT = 1024 * 1024
"""Bytes of ``-wal`` file SQLite keeps after it restarts the WAL: the rest is given back
to the filesystem (the store also truncates it to nothing when idle, see store.py)."""


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def make_engine(url: str, *, echo: bool = False, sqlite_synchronous: SqliteSync = "FULL") -> Engine:
    """Create the engine for ``url`` with our durability and transaction settings."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo, synchronous=sqlite_synchronous)
    if backend == "postgresql":
        # synchronous_commit=on even if the database or role says otherwise: a
        # commit must be on disk before any client hears of the event.
        return create_engine(
            url,
            echo=echo,
            connect_args={"options": "-c synchronous_commit=on", "application_name": "novbe"},
            # Test a pooled connection before handing it out: after PostgreSQL restarts,
            # every idle connection is dead, and the first requests would fail on them.
            pool_pre_ping=True,
        )
    raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql")


def _sqlite_engine(url: str, *, echo: bool, synchronous: SqliteSync) -> Engine:
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    database = make_url(url).database
    in_memory = database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (Python < 3.12 has no
        # autocommit=False): it would not begin before SELECT or DDL, which breaks
        # transactional migrations and read consistency. We emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            # FULL: in WAL mode, NORMAL may lose the last commits on power loss
            # (not on a process crash); FULL syncs the WAL on every commit.
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads
        # and then writes can fail with SQLITE_BUSY instead of waiting.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine
