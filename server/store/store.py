"""The event store: an append-only, hash-chained log of engine events.

One server process owns a center's log and is its only writer. It keeps the
chains' heads (last seq and hash, last reply and its hash) in memory, so an append
is one INSERT batch in one transaction. A second writer can't interleave silently:
``seq`` and the replies' ``pos`` are unique, so its stale head makes its insert fail
and the append raises :class:`StoreError` (which also makes the store re-read the
heads).

The store knows its real state (:meth:`EventStore.health`): every commit attempt
and every probe updates it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    event,
    insert,
    inspect,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from wire.events import Event, event_from_dict, event_to_dict

from . import files
from .chain import (
    GENESIS_HASH,
    AuditReport,
    ChainCheck,
    canonical_json,
    chain_hash,
    reply_payload,
    verify_rows,
)
from .db import WRITE, SqliteSync, make_engine, sqlite_file
from .exceptions import RESTORE, DatabaseVanished, LogCorrupt, LogMismatch, StoreError
from .health import HealthState, StoreHealth, classify
from .identity import Head, Marker, read_marker, write_marker
from .models import Base

SCHEMA_REVISION = "0004"
"""The newest migration in server/store/migrations/versions (a test keeps them equal)."""

CHECKPOINT_EVERY = 1000
"""SQLite: truncate the ``-wal`` file after this many commits, if no idle moment came first."""

IDLE_CHECKPOINT_S = 2.0
"""SQLite: :meth:`EventStore.maintain` truncates the ``-wal`` once no commit came for this long."""

MARKER_EVERY_S = 60.0
""":meth:`EventStore.maintain` brings the log marker up to date this often (if the log grew)."""

PROBE_EVERY_S = 10.0
""":meth:`EventStore.maintain` probes the database this often while it is healthy..."""

MIN_FREE_BYTES = 1024 * 1024
"""SQLite: with less free space than this, the store says ``read_only`` (disk full) even
while small commits still fit: the next ones, or a checkpoint, won't."""

RETRY_PROBE_S = 1.0
"""... and this often while it is not, so that the store says ``ok`` soon after a repair."""

_events: Table = Base.metadata.tables["events"]
_replies: Table = Base.metadata.tables["replies"]
_devices: Table = Base.metadata.tables["device_status"]
_settings: Table = Base.metadata.tables["settings"]
_identity: Table = Base.metadata.tables["log_identity"]


@dataclass(frozen=True)
class Commit:
    """What one client request produced: its events and the reply sent for it.

    ``request`` is ``(client identity, request id)``; with it, ``reply`` is
    stored so that the same request repeated later gets the same answer.
    """

    events: Sequence[Event]
    request: tuple[str, str] | None = None
    reply: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # A stored request without its reply would make a retry look unanswered
        # and run the command a second time.
        if self.request is not None and self.reply is None:
            raise ValueError(f"commit for request {self.request!r} has no reply")


@dataclass(frozen=True, slots=True)
class LogRow:
    """One row of the ``events`` table as stored: the payload is the text that was hashed."""

    seq: int
    type: str
    payload: str
    prev_hash: str
    hash: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back from the log."""

    seq: int
    event: Event
    hash: str
    prev_hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class OpenedLog:
    """What :meth:`EventStore.open_log` found."""

    log_id: str
    events: Head
    replies: Head
    checked: int
    """Events whose hashes were checked (those written since the marker's head)."""
    replies_checked: int
    created: bool
    """A new, empty log: its marker was written now."""
    adopted: bool
    """The log had history but no marker (a database from an older release, or a marker
    moved away on purpose): its whole chain was checked and the marker written."""
    private: list[Path]
    """Files of the log that were readable by others and are now the owner's alone."""


class EventStore:
    """The log of one center, in SQLite (``sqlite:///path.db``) or PostgreSQL
    (``postgresql+psycopg://user@host/db``).

    Thread-safe: appends, probes and checkpoints are serialized by a lock; reads run
    concurrently.
    """

    def __init__(self, url: str, *, echo: bool = False, sqlite_synchronous: SqliteSync = "FULL") -> None:
        self.url = url
        self._engine = make_engine(url, echo=echo, sqlite_synchronous=sqlite_synchronous)
        self._dialect = self._engine.dialect.name
        self._lock = threading.Lock()
        self._head: Head | None = None
        """The events' head once read; None means "read it from the database"."""
        self._reply_head: Head | None = None
        self._file = sqlite_file(url)
        """The SQLite database file; None for PostgreSQL (or SQLite in memory)."""
        self._file_id: files.FileId | None = None
        """The file this store opened first; a different one at the path means it vanished."""
        self._vanished: str | None = None
        if self._file is not None:
            event.listen(self._engine, "do_connect", self._before_connect)
            event.listen(self._engine, "connect", self._after_connect)
        started = datetime.now(UTC)
        self._health = StoreHealth("ok", None, since=started, checked=started)
        self._last_check = time.monotonic()
        self._last_commit = 0.0
        self._unflushed = 0
        """Commits since the ``-wal`` was last truncated."""
        self._marker: Path | None = None
        self._marker_written = 0.0
        self._marked: tuple[Head, Head] | None = None
        self._log_id: str | None = None
        self._center: str | None = None

    # --- schema --------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the latest revision (alembic upgrade head). Idempotent.

        A database already at :data:`SCHEMA_REVISION` is left alone without loading
        alembic, which would add a second to every server start.
        """
        if self.schema_revision() == SCHEMA_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        location = str(importlib.resources.files("server.store") / "migrations")
        # Config values go through ConfigParser interpolation.
        config.set_main_option("script_location", location.replace("%", "%%"))
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{WRITE: True})
                with conn.begin():
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating {self._safe_url()} failed: {_first_line(exc)}") from exc

    def schema_revision(self) -> str | None:
        """The alembic revision the database is at, or None for an empty database."""
        try:
            with self._engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                version: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"reading the schema revision of {self._safe_url()} failed: {_first_line(exc)}"
            ) from exc
        return version

    # --- opening a center's log ------------------------------------------------------

    def open_log(self, marker: Path, center: str) -> OpenedLog:
        """Open the log of ``center`` for its server: refuse one that is not the center's
        or is damaged, migrate it, check the chains written since the last stop.

        ``marker`` is the log marker in the center's folder (:mod:`.identity`). In order:

        1. SQLite: the files must be writable by this process (one clear error if not),
           and become readable by their owner only.
        2. With a marker, the database must exist and hold that very log (same
           ``log_id``), still passing through the heads the marker recorded.
        3. The schema is migrated; the database is claimed for ``center``, and refused
           if it is another center's.
        4. The chains are verified from the marker's heads to the end (all of them if
           there was no marker), and the marker is written with the new heads.

        While the store is open, :meth:`maintain` and :meth:`close` keep the marker up
        to date.

        Raises:
            DatabaseFilesError: SQLite's files or folder can't be written.
            LogMismatch: An empty, missing or different log where the marker says the
                center has one, or a shorter one; another center's log.
            LogCorrupt: The chain is broken (names the first bad event or reply).
            StoreError: The database can't be reached or migrated.
        """
        known = read_marker(marker)
        private: list[Path] = []
        if self._file is not None:
            if known is not None and not self._file.exists():
                raise LogMismatch(
                    f"there is no event log {self._file}, but {marker} says this center has one"
                    f" ({_written(known)}); {RESTORE}, or give --dir or --db where the log is."
                    " A new, empty log would issue the day's ticket numbers again"
                )
            files.check_writable(self._file)
            private = files.make_private(self._file)
        if known is not None and self.schema_revision() is None:
            raise LogMismatch(
                f"the database {self._safe_url()} holds no event log, but {marker} says this center has"
                f" one ({_written(known)}); {RESTORE}, or give --db the database of the log. A new,"
                " empty log would issue the day's ticket numbers again"
            )
        self.migrate()
        log_id, claimed = self._claim(center)
        if known is not None and known.log_id != log_id:
            raise LogMismatch(
                f"the database {self._safe_url()} holds another log than the one {marker} names"
                f" (log {log_id}, not {known.log_id}: {_written(known)}); {RESTORE}, or give --db"
                " the database of this center's log"
            )
        if claimed not in (None, center):
            raise LogMismatch(
                f"the database {self._safe_url()} is the event log of center {claimed}, not {center};"
                " give --db the database of this center's log"
            )
        with self._lock:
            try:
                self._head = self._reply_head = None
                events, replies = self._read_heads()
            except SQLAlchemyError as exc:
                raise StoreError(f"reading the head of the log failed: {_first_line(exc)}") from exc
        start_events = known.events if known is not None else Head(0, GENESIS_HASH)
        start_replies = known.replies if known is not None else Head(0, GENESIS_HASH)
        if known is not None:
            self._check_anchor(marker, known, events, replies)
        checked = self._check_events(start_events)
        replies_checked = self._check_replies(start_replies)
        self._marker, self._log_id, self._center = marker, log_id, center
        self._write_marker()
        self.probe()
        return OpenedLog(
            log_id=log_id,
            events=events,
            replies=replies,
            checked=checked,
            replies_checked=replies_checked,
            created=known is None and events.seq == 0 and replies.seq == 0,
            adopted=known is None and (events.seq > 0 or replies.seq > 0),
            private=private,
        )

    def _claim(self, center: str) -> tuple[str, str | None]:
        """The database's log id, and the center it belonged to (now ``center``'s if none)."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{WRITE: True})
                with conn.begin():
                    row = conn.execute(select(_identity.c.log_id, _identity.c.center)).first()
                    if row is None:
                        raise StoreError(f"{self._safe_url()} has no log identity: run its migrations")
                    if row.center is None:
                        conn.execute(update(_identity).values(center=center))
        except SQLAlchemyError as exc:
            raise StoreError(
                f"reading the log identity of {self._safe_url()} failed: {_first_line(exc)}"
            ) from exc
        return str(row.log_id), row.center

    def _check_anchor(self, marker: Path, known: Marker, events: Head, replies: Head) -> None:
        """The log must still pass through the heads the marker recorded."""
        for what, mine, theirs, table, key in (
            ("event", known.events, events, _events, _events.c.seq),
            ("reply", known.replies, replies, _replies, _replies.c.pos),
        ):
            if mine.seq == 0:
                continue
            if theirs.seq < mine.seq:
                raise LogMismatch(
                    f"the log in {self._safe_url()} ends at {what} {theirs.seq}, but this center wrote up"
                    f" to {what} {mine.seq} ({_written(known)}): it is an older copy, or was cut short;"
                    f" {RESTORE}. To go on from this copy on purpose, move {marker} away first: the"
                    " tickets of the lost events would be issued again"
                )
            try:
                with self._engine.connect() as conn:
                    digest = conn.execute(select(table.c.hash).where(key == mine.seq)).scalar()
            except SQLAlchemyError as exc:
                raise StoreError(f"reading {what} {mine.seq} failed: {_first_line(exc)}") from exc
            if digest != mine.hash:
                problem = f"{what} {mine.seq} is not the one this center wrote ({_written(known)})"
                raise (
                    LogCorrupt(problem, seq=mine.seq)
                    if what == "event"
                    else LogCorrupt(problem, reply=mine.seq)
                )

    def _check_events(self, start: Head) -> int:
        """Verify the events' hash chain from ``start`` to the end; return how many were checked."""
        query = select(_events.c.seq, _events.c.payload, _events.c.prev_hash, _events.c.hash)
        chain = ChainCheck("event", start)
        for rows in self._batches(query, start.seq, None, 10_000):
            for seq, payload, prev_hash, digest in rows:
                problem = chain.check(seq, prev_hash, payload, digest)
                if problem is not None:
                    raise LogCorrupt(problem, seq=chain.bad)
        return chain.count

    def _check_replies(self, start: Head) -> int:
        """Verify the replies' hash chain from ``start`` to the end; return how many were checked."""
        chain = ChainCheck("reply", start)
        for rows in self._reply_pages(start.seq, None):
            for pos, client, request_id, first, last, reply, prev_hash, digest in rows:
                payload = reply_payload(client, request_id, first, last, reply)
                problem = chain.check(pos, prev_hash, payload, digest, f" ({client} {request_id})")
                if problem is not None:
                    raise LogCorrupt(problem, reply=chain.bad)
        return chain.count

    # --- writing -------------------------------------------------------------------

    def append(self, commits: Sequence[Commit]) -> list[list[int]]:
        """Append the events of ``commits`` in one transaction; return each commit's seqs.

        Returns only after the transaction is durably committed. On error raises
        :class:`StoreError` and nothing of the batch is in the log, unless the error
        says ``in_doubt`` (PostgreSQL: the connection was lost while committing); in
        both cases :meth:`head` then tells what the log holds. Every attempt updates
        :meth:`health`.

        Raises:
            DatabaseVanished: SQLite: the database file was deleted or replaced while
                the store had it open; every later append is refused too.
            StoreError: The database refused or could not be reached.
        """
        if not commits:
            return []
        # Serializing is pure CPU work: do it before taking the lock.
        payloads = [[(type(e).__name__, canonical_json(event_to_dict(e))) for e in c.events] for c in commits]
        now = datetime.now(UTC)
        event_rows: list[dict[str, Any]] = []
        reply_rows: list[dict[str, Any]] = []
        result: list[list[int]] = []
        with self._lock:
            self._refuse_if_vanished()
            committing = False
            try:
                head, reply_head = self._read_heads()
                seq, prev = head.seq, head.hash
                pos, reply_prev = reply_head.seq, reply_head.hash
                for commit, items in zip(commits, payloads, strict=True):
                    seqs: list[int] = []
                    for type_name, payload in items:
                        seq += 1
                        digest = chain_hash(prev, payload)
                        event_rows.append(
                            {
                                "seq": seq,
                                "type": type_name,
                                "payload": payload,
                                "prev_hash": prev,
                                "hash": digest,
                                "recorded_at": now,
                            }
                        )
                        seqs.append(seq)
                        prev = digest
                    result.append(seqs)
                    if commit.request is not None:
                        client, request_id = commit.request
                        first, last = (seqs[0], seqs[-1]) if seqs else (None, None)
                        reply = canonical_json(commit.reply or {})
                        pos += 1
                        reply_digest = chain_hash(
                            reply_prev, reply_payload(client, request_id, first, last, reply)
                        )
                        reply_rows.append(
                            {
                                "client": client,
                                "request_id": request_id,
                                "first_seq": first,
                                "last_seq": last,
                                "reply": reply,
                                "recorded_at": now,
                                "pos": pos,
                                "prev_hash": reply_prev,
                                "hash": reply_digest,
                            }
                        )
                        reply_prev = reply_digest
                with self._engine.connect() as conn:
                    conn.execution_options(**{WRITE: True})
                    with conn.begin():
                        if event_rows:
                            conn.execute(insert(_events), event_rows)
                        if reply_rows:
                            conn.execute(insert(_replies), reply_rows)
                        committing = True  # the block's end commits
            except SQLAlchemyError as exc:
                in_doubt = committing and self._lost_connection(exc)
                if in_doubt or isinstance(exc, IntegrityError):
                    # Re-read the heads next time: the database knows whether the commit
                    # landed, or (a key taken) what another writer added.
                    self._head = self._reply_head = None
                # Otherwise nothing was written: the heads in memory are still the log's.
                self._failed(exc)
                doubt = "; it may have been committed all the same" if in_doubt else ""
                raise StoreError(
                    f"append of {len(event_rows)} events failed: {_first_line(exc)}{doubt}", in_doubt=in_doubt
                ) from exc
            except BaseException:
                # Anything else (KeyboardInterrupt, a bug) is re-raised as is, but
                # we can't tell how far it got either.
                self._head = self._reply_head = None
                raise
            self._head, self._reply_head = Head(seq, prev), Head(pos, reply_prev)
            self._succeeded()
            self._last_commit = time.monotonic()
            self._unflushed += 1
            if self._unflushed >= CHECKPOINT_EVERY:
                self._checkpoint()
            return result

    def restore(self, rows: Iterable[LogRow], *, batch: int = 5000) -> int:
        """Fill this empty log with ``rows`` copied from another, verbatim, in seq order (a
        hall's log brought back from the central record's copy); return how many.

        One transaction: the chain is checked as the rows go in (:func:`verify_rows`), and a
        copy that does not verify leaves the log empty. The restored log has no stored
        replies, and no log identity's center until a server opens it (:meth:`open_log`).

        Raises:
            StoreError: The log is not empty, the copy does not verify, or the database
                failed.
        """
        count = 0
        with self._lock:
            try:
                events, replies = self._read_heads()
                if events.seq or replies.seq:
                    raise StoreError(f"{self._safe_url()} already holds events: restore into an empty log")
                with self._engine.connect() as conn:
                    conn.execution_options(**{WRITE: True})
                    with conn.begin():
                        pending: list[dict[str, Any]] = []

                        def chain() -> Iterator[tuple[int, str, str, str, str]]:
                            nonlocal count
                            for row in rows:
                                pending.append(dataclasses.asdict(row))
                                if len(pending) >= batch:
                                    conn.execute(insert(_events), pending)
                                    pending.clear()
                                count += 1
                                yield row.seq, row.type, row.payload, row.prev_hash, row.hash

                        report = verify_rows(chain())
                        if not report.ok:
                            raise StoreError(f"the copy does not verify: {report.problem}")
                        if pending:
                            conn.execute(insert(_events), pending)
            except SQLAlchemyError as exc:
                raise StoreError(f"restoring the log failed: {_first_line(exc)}") from exc
            finally:
                self._head = self._reply_head = None
        return count

    def _lost_connection(self, exc: SQLAlchemyError) -> bool:
        """Whether a failed COMMIT may have been carried out all the same.

        SQLite commits in this process: an error means it did not. PostgreSQL may have
        committed and lost the connection before saying so.
        """
        if self._dialect != "postgresql" or not isinstance(exc, DBAPIError):
            return False
        return exc.connection_invalidated or getattr(exc.orig, "sqlstate", None) is None

    def _upsert(self, table: Table, key: str, values: dict[str, Any]) -> None:
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt: Any = dialect_insert(table).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={name: stmt.excluded[name] for name in values if name != key},
        )
        with self._lock:
            self._refuse_if_vanished()
            try:
                with self._engine.connect() as conn:
                    conn.execution_options(**{WRITE: True})
                    with conn.begin():
                        conn.execute(stmt)
            except SQLAlchemyError as exc:
                self._failed(exc)
                raise

    def record_device_status(self, device: str, role: str, status: dict[str, Any], at: datetime) -> None:
        """Remember the last known health of ``device`` (upsert; not part of the chain)."""
        values = {"device": device, "role": role, "status": canonical_json(status), "at": at}
        try:
            self._upsert(_devices, "device", values)
        except SQLAlchemyError as exc:
            raise StoreError(f"recording the status of {device!r} failed: {_first_line(exc)}") from exc

    def set_setting(self, key: str, value: dict[str, Any], at: datetime) -> None:
        """Keep a hall setting across restarts (upsert; not part of the chain)."""
        try:
            self._upsert(_settings, "key", {"key": key, "value": canonical_json(value), "at": at})
        except SQLAlchemyError as exc:
            raise StoreError(f"saving the setting {key!r} failed: {_first_line(exc)}") from exc

    def settings(self) -> dict[str, dict[str, Any]]:
        """Every hall setting: ``{key: value}``."""
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(_settings.c.key, _settings.c.value)).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"reading the settings failed: {_first_line(exc)}") from exc
        return {key: json.loads(value) for key, value in rows}

    # --- health, recovery, housekeeping ------------------------------------------------

    def health(self) -> StoreHealth:
        """The store's state as the last commit attempt or probe found it (no I/O)."""
        return self._health

    def probe(self) -> StoreHealth:
        """Find the store's state now, with one tiny write (cheap: a one-row update).

        SQLite: also notices a database file deleted or replaced under the server, and
        while the disk is full, first tries to give the ``-wal`` file's space back.
        """
        with self._lock:
            try:
                self._refuse_if_vanished()
            except DatabaseVanished:
                return self._health
            try:
                if self._file is not None and self._health.state == "read_only":
                    self._checkpoint()
                with self._engine.connect() as conn:
                    conn.execution_options(**{WRITE: True})
                    with conn.begin():
                        conn.execute(update(_identity).values(probed_at=datetime.now(UTC)))
            except SQLAlchemyError as exc:
                self._failed(exc)
            else:
                self._succeeded()
            return self._health

    def head(self) -> Head:
        """The last event durably in the log: its seq and hash (``Head(0, GENESIS_HASH)``
        for an empty log).

        What a server needs after a failed append to go on without replaying the day:
        known in memory after a commit, or after a failure that wrote nothing; read
        from the database after a failure ``in_doubt`` (docs/store.md, "After a failed
        commit").

        Raises:
            StoreError: The head had to be read and the database can't be reached.
        """
        with self._lock:
            try:
                return self._read_heads()[0]
            except SQLAlchemyError as exc:
                self._failed(exc)
                raise StoreError(f"reading the head of the log failed: {_first_line(exc)}") from exc

    def checkpoint(self) -> bool:
        """SQLite: copy the ``-wal`` file into the database and truncate it to nothing.

        Returns False if it could not finish (a reader holds an old snapshot, or the
        disk is full); nothing is lost then, the ``-wal`` keeps the commits. Does
        nothing on PostgreSQL. :meth:`append`, :meth:`maintain` and :meth:`close` call it.
        """
        with self._lock:
            return self._checkpoint()

    def maintain(self) -> StoreHealth:
        """Housekeeping for a quiet moment; call it about once a second, off the event loop.

        Truncates the ``-wal`` once no commit came for :data:`IDLE_CHECKPOINT_S`,
        brings the log marker up to date every :data:`MARKER_EVERY_S`, and probes the
        database every :data:`PROBE_EVERY_S` (every :data:`RETRY_PROBE_S` while it is
        not healthy). Returns :meth:`health`.
        """
        now = time.monotonic()
        if self._unflushed and now - self._last_commit >= IDLE_CHECKPOINT_S:
            self.checkpoint()
        if self._marker is not None and now - self._marker_written >= MARKER_EVERY_S:
            with self._lock:
                self._write_marker_if_moved()
        if now - self._last_check >= (PROBE_EVERY_S if self._health.ok else RETRY_PROBE_S):
            self.probe()
        return self._health

    def _checkpoint(self) -> bool:
        if self._file is None or self._file_id is None or self._vanished is not None:
            return False  # not SQLite, never opened (don't create the file now), or gone
        try:
            with self._engine.connect() as conn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        except SQLAlchemyError:
            return False
        done = busy is not None and busy[0] == 0
        if done:
            self._unflushed = 0
        return done

    def _succeeded(self) -> None:
        # A write that went through into space the -wal already had does not mean the
        # disk has room again: below MIN_FREE_BYTES the store says so.
        low = self._low_space()
        self._set_health("read_only" if low else "ok", low)

    def _low_space(self) -> str | None:
        if self._file is None:
            return None
        free = files.free_bytes(self._file)
        if free is None or free >= MIN_FREE_BYTES:
            return None
        return f"disk full: {free // 1024} KiB free in {self._file.parent}"

    def _failed(self, exc: SQLAlchemyError) -> None:
        if isinstance(exc, IntegrityError):
            return  # another writer, or a repeated request: not a state of the database
        state, reason = classify(exc)
        if self._file is not None:
            # SQLite's messages don't name the file; say which one and why.
            if "disk full" in reason:
                reason = self._low_space() or f"disk full in {self._file.parent}"
            else:
                problem = files.unwritable(self._file)
                if problem is not None:
                    state, reason = "read_only", problem
        self._set_health(state, reason)

    def _set_health(self, state: HealthState, reason: str | None) -> None:
        now = datetime.now(UTC)
        old = self._health
        since = old.since if (old.state, old.reason) == (state, reason) else now
        self._health = StoreHealth(state, reason, since=since, checked=now)
        self._last_check = time.monotonic()

    # --- SQLite's file ---------------------------------------------------------------

    def _before_connect(
        self, _dialect: Any, _record: ConnectionPoolEntry, _cargs: Any, _cparams: Any
    ) -> None:
        path = self._file
        if path is None:
            return
        if self._file_id is None:
            if not path.exists() and path.parent.is_dir():
                files.create_private(path)
            return
        # A new pooled connection after the file vanished would make an empty database
        # at the path, and the next start would take it for the log.
        self._refuse_if_vanished()

    def _after_connect(self, _dbapi: Any, _record: ConnectionPoolEntry) -> None:
        if self._file_id is None and self._file is not None:
            self._file_id = files.FileId.of(self._file)

    def _refuse_if_vanished(self) -> None:
        """Raise if the SQLite file this store opened is no longer the one at its path."""
        if self._file is None or self._file_id is None:
            return
        if self._vanished is None:
            if files.FileId.of(self._file) == self._file_id:
                return
            self._vanished = self._rescue()
            self._set_health("failing", self._vanished)
        raise DatabaseVanished(self._vanished)

    def _rescue(self) -> str:
        """Copy the vanished log, as this process still sees it, beside where it was.

        The open connections still reach the deleted file (and its ``-wal``), so the
        events acknowledged before it vanished are not lost if the copy succeeds.
        """
        what = f"the database file {self._file} was deleted or replaced while the server ran"
        if self._file is None:
            return what
        copy = files.rescue_path(self._file, datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
        try:
            files.create_private(copy)
            raw = self._engine.raw_connection()  # one of the connections to the deleted file
            try:
                # VACUUM can't run in a transaction: use the driver's connection as is.
                raw.driver_connection.execute("VACUUM INTO ?", (str(copy),))  # type: ignore[union-attr]
            finally:
                raw.close()
        except (OSError, SQLAlchemyError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                if copy.stat().st_size == 0:
                    copy.unlink()
            return (
                f"{what}; no write is taken any more, and copying the log as it was to {copy} failed"
                f" ({_first_line(exc)}): stop the server, put the log back at {self._file} ({RESTORE}),"
                " start it again"
            )
        return (
            f"{what}; no write is taken any more. The log as it was, every acknowledged event"
            f" included, is saved in {copy}: stop the server, move that file to {self._file}, start it again"
        )

    # --- reading -------------------------------------------------------------------

    def last_seq(self) -> int:
        """The seq of the last event in the log, 0 if it is empty."""
        with self._lock:
            try:
                return self._read_heads()[0].seq
            except SQLAlchemyError as exc:
                raise StoreError(f"reading the head of the log failed: {_first_line(exc)}") from exc

    def last_seq_of(self, event_type: str) -> int | None:
        """The seq of the newest event of ``event_type`` (e.g. ``"DayOpened"``), or None.

        Walks the log backwards by seq, so finding a recent event is quick however
        long the log has grown.
        """
        query = (
            select(_events.c.seq).where(_events.c.type == event_type).order_by(_events.c.seq.desc()).limit(1)
        )
        try:
            with self._engine.connect() as conn:
                seq: int | None = conn.execute(query).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(f"looking up the last {event_type} failed: {_first_line(exc)}") from exc
        return seq

    def load(self, after_seq: int = 0, *, batch: int = 5000) -> Iterator[StoredEvent]:
        """Yield the events after ``after_seq`` in seq order, reading ``batch`` rows at a time.

        Each batch is its own short query (keyset pagination on seq), so a slow
        consumer holds no transaction open and appends can go on meanwhile. The
        events are checked as they stream: each one's hash, and its link to the one
        before (the first to event ``after_seq``), so a replay never takes an edited,
        reordered or missing event.

        Raises:
            LogCorrupt: At the first event that breaks the chain (after yielding the
                ones before it).
        """
        chain = ChainCheck("event", self._anchor(after_seq))
        recorded = _RecordedAt()
        for rows in self._batches(_STORED_EVENT_QUERY, after_seq, None, batch):
            for seq, payload, digest, prev, recorded_at in rows:
                problem = chain.check(seq, prev, payload, digest)
                if problem is not None:
                    raise LogCorrupt(problem, seq=chain.bad)
                yield StoredEvent(seq, _decode(seq, payload), digest, prev, recorded(recorded_at))

    def payloads(
        self,
        after_seq: int = 0,
        upto_seq: int | None = None,
        *,
        types: Collection[str] | None = None,
        batch: int = 10_000,
    ) -> Iterator[tuple[int, str, str]]:
        """Yield ``(seq, type, payload)`` of the events after ``after_seq`` (up to ``upto_seq``),
        in seq order, with the payload as stored (canonical JSON text), not decoded.

        For readers that need a few fields of very many events (``novbe report`` reads a
        month of them): decoding is left to them, and ``types`` keeps the other types in
        the database. Pages like :meth:`load`. Not checked against the chain (use
        :meth:`verify` for that).
        """
        query = select(_events.c.seq, _events.c.type, _events.c.payload)
        if types is not None:
            query = query.where(_events.c.type.in_(sorted(types)))
        for rows in self._batches(query, after_seq, upto_seq, batch):
            yield from rows

    def rows(self, after_seq: int = 0, limit: int = 1000) -> list[LogRow]:
        """At most ``limit`` rows after ``after_seq``, in seq order, exactly as stored (the
        payload as hashed, both hashes): what ``novbe ship`` copies to the central record.

        One short query: a reader that calls this in a loop holds no transaction open
        between calls, so the server's appends never wait on it.
        """
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        query = _ROW_QUERY.where(_events.c.seq > after_seq).order_by(_events.c.seq).limit(limit)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"reading events after {after_seq} failed: {exc}") from exc
        recorded = _RecordedAt()
        return [
            LogRow(seq, kind, payload, prev, digest, recorded(at))
            for seq, kind, payload, prev, digest, at in rows
        ]

    def events_between(self, after_seq: int, upto_seq: int | None = None) -> list[StoredEvent]:
        """The events with ``after_seq < seq <= upto_seq`` (to the end if ``upto_seq`` is None),
        checked like :meth:`load`.

        Raises:
            LogCorrupt: One of them breaks the chain.
        """
        chain = ChainCheck("event", self._anchor(after_seq))
        recorded = _RecordedAt()
        found = []
        for rows in self._batches(_STORED_EVENT_QUERY, after_seq, upto_seq, 5000):
            for seq, payload, digest, prev, recorded_at in rows:
                problem = chain.check(seq, prev, payload, digest)
                if problem is not None:
                    raise LogCorrupt(problem, seq=chain.bad)
                found.append(StoredEvent(seq, _decode(seq, payload), digest, prev, recorded(recorded_at)))
        return found

    def find_reply(self, client: str, request_id: str) -> dict[str, Any] | None:
        """The reply stored for a request, or None if the request was never committed.

        Checked against the replies' chain (its own hash, and the link of the next
        reply to it), so an edited reply is never handed to a retry.

        Raises:
            LogCorrupt: The stored reply is not the one written.
        """
        key = (_replies.c.client == client) & (_replies.c.request_id == request_id)
        query = select(
            _replies.c.pos, _replies.c.first_seq, _replies.c.last_seq, _replies.c.reply, _replies.c.hash
        )
        query = query.add_columns(_replies.c.prev_hash).where(key)
        try:
            with self._engine.connect() as conn:
                row = conn.execute(query).first()
                following = None
                if row is not None:
                    nxt = select(_replies.c.prev_hash).where(_replies.c.pos == row.pos + 1)
                    following = conn.execute(nxt).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"looking up request {request_id!r} of {client!r} failed: {_first_line(exc)}"
            ) from exc
        if row is None:
            return None
        payload = reply_payload(client, request_id, row.first_seq, row.last_seq, row.reply)
        where = f"reply {row.pos} ({client} {request_id})"
        if chain_hash(row.prev_hash, payload) != row.hash:
            raise LogCorrupt(f"{where}: hash does not match its content", reply=row.pos)
        if following is not None and following != row.hash:
            raise LogCorrupt(f"reply {row.pos + 1}: previous-hash link broken", reply=row.pos + 1)
        reply: dict[str, Any] = json.loads(row.reply)
        return reply

    def replies_since(self, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(client, request_id, reply)`` of every request recorded since ``since``.

        The server reads these once at start-up so that a retried request is recognised
        without a database look-up per request. Each reply is checked against the
        chain (its hash, and the links between consecutive ones).

        Raises:
            LogCorrupt: A stored reply is not the one written.
        """
        query = select(*_REPLY_COLUMNS).where(_replies.c.recorded_at >= since).order_by(_replies.c.pos)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"reading stored replies failed: {_first_line(exc)}") from exc
        last: tuple[int, str] | None = None
        for pos, client, request_id, first, last_seq, reply, prev_hash, digest in rows:
            where = f"reply {pos} ({client} {request_id})"
            if chain_hash(prev_hash, reply_payload(client, request_id, first, last_seq, reply)) != digest:
                raise LogCorrupt(f"{where}: hash does not match its content", reply=pos)
            if last is not None and last[0] == pos - 1 and last[1] != prev_hash:
                raise LogCorrupt(f"{where}: previous-hash link broken", reply=pos)
            last = (pos, digest)
            yield client, request_id, json.loads(reply)

    def device_statuses(self) -> dict[str, tuple[str, dict[str, Any], datetime]]:
        """The last known status of every device: ``{device: (role, status, at)}``."""
        query = select(_devices.c.device, _devices.c.role, _devices.c.status, _devices.c.at)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"reading device statuses failed: {_first_line(exc)}") from exc
        return {device: (role, json.loads(status), at) for device, role, status, at in rows}

    # --- audit ---------------------------------------------------------------------

    def verify(self) -> AuditReport:
        """Check both chains whole and name the first broken or missing event or reply.

        Checks the events in seq order (:func:`~server.store.chain.verify_rows`): no seq is
        missing, each ``prev_hash`` is the hash of the event before, each hash matches its
        payload, and each payload is a well-formed event of the type in its row. Then the
        stored replies the same way, in ``pos`` order, and that each names events that are
        in the log.
        """
        query = select(_events.c.seq, _events.c.type, _events.c.payload, _events.c.prev_hash, _events.c.hash)
        report = verify_rows(row for rows in self._batches(query, 0, None, 5000) for row in rows)
        if not report.ok:
            return report
        checked = report.checked
        # Tail truncation leaves a valid chain; we can only catch it against what
        # this process wrote (the log marker keeps that across restarts: open_log).
        head = self._head
        if head is not None and head.seq > checked:
            missing = f"event {checked + 1} missing: log ends at {checked}, but {head.seq} were written"
            return AuditReport(False, checked, checked + 1, missing)
        replies = ChainCheck("reply")
        if self.schema_revision() in _UNCHAINED:
            return AuditReport(True, checked)  # a backup of an older release: replies had no chain
        for rows in self._reply_pages(0, None):
            for pos, client, request_id, first, last, reply, prev_hash, digest in rows:
                payload = reply_payload(client, request_id, first, last, reply)
                problem = replies.check(pos, prev_hash, payload, digest, f" ({client} {request_id})")
                if problem is None and max(first or 0, last or 0) > checked:
                    problem = f"reply {pos} ({client} {request_id}): names event {last}, beyond the log's end"
                if problem is not None:
                    bad = replies.bad if replies.bad is not None else pos
                    return AuditReport(False, checked, None, problem, replies.count, bad)
        return AuditReport(True, checked, replies=replies.count)

    # --- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Truncate the ``-wal``, record the heads in the log marker, close all connections.
        The store can't be used afterwards."""
        with self._lock:
            self._checkpoint()
            if self._marker is not None and self._vanished is None:
                try:
                    self._write_marker_if_moved()
                except StoreError:
                    pass  # the next start checks from the last head it did record
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({self._safe_url()!r})"

    # --- internals -----------------------------------------------------------------

    def _safe_url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    def _read_heads(self) -> tuple[Head, Head]:
        """The heads of the events and of the replies, from memory or the database.
        Call with the lock held."""
        if self._head is None or self._reply_head is None:
            last_event = select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1)
            last_reply = select(_replies.c.pos, _replies.c.hash).order_by(_replies.c.pos.desc()).limit(1)
            with self._engine.connect() as conn:
                row = conn.execute(last_event).first()
                reply = conn.execute(last_reply).first()
            self._head = Head(0, GENESIS_HASH) if row is None else Head(row[0], row[1])
            self._reply_head = Head(0, GENESIS_HASH) if reply is None else Head(reply[0], reply[1])
        return self._head, self._reply_head

    def _write_marker(self) -> None:
        """Record the heads this store wrote in the center's log marker. Call with the lock
        held, or before the store is shared."""
        if self._marker is None or self._log_id is None or self._center is None:
            return
        if self._head is None or self._reply_head is None:
            return  # unknown after a commit in doubt: the next write or start finds them
        write_marker(
            self._marker,
            Marker(
                log_id=self._log_id,
                center=self._center,
                database=self._safe_url(),
                events=self._head,
                replies=self._reply_head,
                updated=datetime.now(UTC),
            ),
        )
        self._marked = (self._head, self._reply_head)
        self._marker_written = time.monotonic()

    def _write_marker_if_moved(self) -> None:
        if self._marked != (self._head, self._reply_head):
            self._write_marker()
        else:
            self._marker_written = time.monotonic()

    def _anchor(self, after_seq: int) -> Head:
        """The head a stream starting after ``after_seq`` must link to."""
        if after_seq <= 0:
            return Head(0, GENESIS_HASH)
        try:
            with self._engine.connect() as conn:
                digest = conn.execute(select(_events.c.hash).where(_events.c.seq == after_seq)).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(f"reading event {after_seq} failed: {_first_line(exc)}") from exc
        # A missing event is reported by the chain check at the first event after it.
        return Head(after_seq, digest if digest is not None else "")

    def _batches(
        self,
        query: Select[Any],
        after_seq: int,
        upto_seq: int | None,
        batch: int,
        *,
        key: Any = _events.c.seq,
        what: str = "events",
    ) -> Iterator[Sequence[Any]]:
        """Run ``query`` (whose first column is ``key``: seq, or a reply's pos) in pages of
        ``batch`` rows, in ``key`` order, after ``after_seq`` and up to ``upto_seq``."""

        def fetch(page: Select[Any]) -> Sequence[Any]:
            try:
                with self._engine.connect() as conn:
                    return conn.execute(page).all()
            except SQLAlchemyError as exc:
                raise StoreError(f"reading {what} failed: {_first_line(exc)}") from exc

        return seq_pages(fetch, query, key, after_seq, upto_seq, batch)

    def _reply_pages(self, after_pos: int, upto_pos: int | None) -> Iterator[Sequence[Any]]:
        """The replies after ``after_pos``, in pos order, in pages: the columns of their chain."""
        query = select(*_REPLY_COLUMNS)
        return self._batches(query, after_pos, upto_pos, 10_000, key=_replies.c.pos, what="stored replies")


def seq_pages(
    fetch: Callable[[Select[Any]], Sequence[Any]],
    query: Select[Any],
    seq: ColumnElement[int],
    after_seq: int,
    upto_seq: int | None,
    batch: int,
) -> Iterator[Sequence[Any]]:
    """Keyset pagination of a log: ``query`` (its first column ``seq``, or a reply's pos) for
    ``after_seq < seq <= upto_seq``, ``batch`` rows a page in seq order, each page one call of
    ``fetch`` (its own short query: nothing stays open while the caller works on a page)."""
    if batch < 1:
        raise ValueError(f"batch must be positive, not {batch}")
    last = after_seq
    while True:
        page = query.where(seq > last)
        if upto_seq is not None:
            page = page.where(seq <= upto_seq)
        rows = fetch(page.order_by(seq).limit(batch))
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _first_line(exc: BaseException) -> str:
    """An error's first line: SQLAlchemy's messages go on with the SQL and a link."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _written(marker: Marker) -> str:
    """What a marker says was written, for a message."""
    return (
        f"{marker.events.seq} events and {marker.replies.seq} replies written up to"
        f" {marker.updated:%Y-%m-%d %H:%M} UTC, log {marker.log_id}"
    )


_UNCHAINED = ("0001", "0002")
"""Schema revisions whose stored replies are not chained yet (a backup :meth:`verify` may read)."""

_REPLY_COLUMNS = (
    _replies.c.pos,
    _replies.c.client,
    _replies.c.request_id,
    _replies.c.first_seq,
    _replies.c.last_seq,
    _replies.c.reply,
    _replies.c.prev_hash,
    _replies.c.hash,
)

_STORED_EVENT_QUERY = select(
    _events.c.seq,
    _events.c.payload,
    _events.c.hash,
    _events.c.prev_hash,
    # Raw column: converted by _RecordedAt, much faster than the per-row type processor.
    type_coerce(_events.c.recorded_at, String).label("recorded_at"),
)

_ROW_QUERY = select(
    _events.c.seq,
    _events.c.type,
    _events.c.payload,
    _events.c.prev_hash,
    _events.c.hash,
    type_coerce(_events.c.recorded_at, String).label("recorded_at"),
)


class _RecordedAt:
    """Convert raw ``recorded_at`` values to aware UTC datetimes, fast.

    SQLite returns text, PostgreSQL a datetime. A commit's events share one
    timestamp, so consecutive rows usually repeat the last value: cache it.
    """

    def __init__(self) -> None:
        self._raw: object = None
        self._value = datetime.min.replace(tzinfo=UTC)

    def __call__(self, raw: str | datetime) -> datetime:
        if raw != self._raw:
            if isinstance(raw, datetime):
                value = raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
            else:
                value = datetime.fromisoformat(raw).replace(tzinfo=UTC)
            self._raw, self._value = raw, value
        return self._value


_json_decode = json.JSONDecoder().decode
"""``json.loads`` minus two call frames: it shows in a 100,000-event replay."""


def _decode(seq: int, payload: str) -> Event:
    try:
        return event_from_dict(_json_decode(payload))
    except (KeyError, ValueError, TypeError) as exc:
        raise LogCorrupt(f"event {seq}: content is not a valid event ({exc})", seq=seq) from exc


def verify_log(url: str) -> AuditReport:
    """Open the log at ``url``, check its chain (``novbe audit verify``) and close it."""
    with EventStore(url) as store:
        return store.verify()
