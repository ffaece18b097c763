"""The central record: every center's event log in one PostgreSQL database.

:class:`CentralRecord` is the one class that speaks to the central database: its schema
(Alembic, :meth:`~CentralRecord.migrate`), registering centers, shipping a batch
(:meth:`~CentralRecord.ship`, through the ``novbe_ship`` function that checks the chain on
the central side), and reading a center's log back (:meth:`~CentralRecord.log`), for
``novbe report`` and the national view.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

import psycopg
from sqlalchemy import Select, func, insert, inspect, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from server.center import Center
from server.store import AuditReport, LogRow, verify_rows
from server.store.store import seq_pages

from .db import central_url, make_central_engine, shown
from .exceptions import CentralError, CentralUnavailable, ChainRefused, NotRegistered
from .models import Base

SCHEMA_REVISION = "0001"
"""The newest migration in central/migrations/versions (a test keeps them equal)."""

_centers = Base.metadata.tables["centers"]
_events = Base.metadata.tables["events"]
_alerts = Base.metadata.tables["alerts"]
_digests = Base.metadata.tables["day_digests"]

ALERTS_CHANNEL = "novbe_alerts"
"""Where the central database announces each alert as it commits (migration 0001)."""

_SHIP = text("SELECT head_seq, head_hash, accepted, problem FROM novbe_ship(:center, CAST(:rows AS jsonb))")
_PUBLISH = text("SELECT novbe_publish(:center, :config)")


@dataclass(frozen=True, slots=True)
class Head:
    """Where a center's chain ends in the central record: its shipper resumes after it."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Shipped:
    """What :meth:`CentralRecord.ship` did with a batch."""

    head: Head
    accepted: int
    """Events inserted (those already there are not counted)."""


@dataclass(frozen=True, slots=True)
class CenterStatus:
    """One registered center, as ``novbe central status`` shows it."""

    code: str
    added_at: datetime
    last_seq: int
    last_recorded_at: datetime | None
    last_shipped_at: datetime | None
    config_at: datetime | None
    alerts: int


@dataclass(frozen=True, slots=True)
class Digest:
    """A day's facts kept centrally (:class:`~central.models.DayDigest`)."""

    first_seq: int
    last_seq: int
    day: date
    last_hash: str
    config_key: str
    format: int
    facts: bytes


@dataclass(frozen=True, slots=True)
class Alert:
    center: str
    kind: str
    seq: int
    detail: str
    first_at: datetime
    last_at: datetime
    times: int


def _alert_of(row: dict[str, Any]) -> Alert:
    """An alert as the database announces it (its row as JSON)."""
    return Alert(
        center=row["center"],
        kind=row["kind"],
        seq=int(row["seq"]),
        detail=row["detail"],
        first_at=datetime.fromisoformat(row["first_at"]),
        last_at=datetime.fromisoformat(row["last_at"]),
        times=int(row["times"]),
    )


def public_config(center: Center) -> dict[str, Any]:
    """The center's configuration without its secrets, as it is kept centrally.

    Device tokens are dropped; operators keep their login, name and counters, and a
    password hash that matches no password (the configuration's rules still hold, so the
    central side reads it back as a :class:`Center`).
    """
    data = center.model_dump(mode="json", exclude_none=True)
    data.pop("devices", None)
    for operator in data.get("operators", []):
        operator["password_hash"] = WITHHELD
    return data


WITHHELD = "$argon2id$withheld"
"""The password hash of every operator in the central copy of a configuration."""


def _unavailable(what: str, url: str, exc: Exception) -> CentralError:
    """Our error for a database error: unavailable when the connection is at fault."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return CentralUnavailable(f"{what}: the central database {url} is unreachable ({reason})")
    return CentralError(f"{what} failed on {url}: {reason}")


class CentralRecord:
    """The central PostgreSQL database of every center's log.

    Thread-safe as its engine is; a connection lost mid-call raises
    :class:`CentralUnavailable`, and the next call connects again (to whichever host of
    the URL takes writes by then).
    """

    def __init__(self, url: str, *, application: str = "novbe-central") -> None:
        self.url = central_url(url)
        self._engine = make_central_engine(self.url, application=application)

    def __repr__(self) -> str:
        return f"CentralRecord({shown(self.url)!r})"

    # --- schema and centers -----------------------------------------------------------

    def migrate(self) -> None:
        """Bring the central schema to the latest revision (alembic upgrade head). Idempotent."""
        from alembic import command
        from alembic.config import Config

        if self.schema_revision() == SCHEMA_REVISION:
            return
        config = Config()
        location = str(importlib.resources.files("central") / "migrations")
        config.set_main_option("script_location", location.replace("%", "%%"))
        try:
            with self._engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise _unavailable("migrating", shown(self.url), exc) from exc

    def schema_revision(self) -> str | None:
        """The revision the central database is at, or None before the first migration."""
        try:
            with self._engine.connect() as conn:
                if not inspect(conn).has_table("central_version"):
                    return None
                version: str | None = conn.execute(text("SELECT version_num FROM central_version")).scalar()
        except SQLAlchemyError as exc:
            raise _unavailable("reading the schema revision", shown(self.url), exc) from exc
        return version

    def add_center(self, code: str, *, shipper_role: str | None = None) -> bool:
        """Register ``code`` (a center or a mobile unit) to ship here. False if it already was."""
        values = {"code": code, "added_at": datetime.now(UTC), "shipper_role": shipper_role}
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(_centers).values(values))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise _unavailable(f"registering {code}", shown(self.url), exc) from exc
        return True

    def centers(self) -> list[CenterStatus]:
        """Every registered center, by code, with its open alerts counted."""
        alerts = select(_alerts.c.center, func.count().label("n")).group_by(_alerts.c.center).subquery()
        c = _centers.c
        query = (
            select(
                c.code, c.added_at, c.last_seq, c.last_recorded_at, c.last_shipped_at, c.config_at,
                func.coalesce(alerts.c.n, 0),
            )
            .outerjoin(alerts, alerts.c.center == c.code)
            .order_by(c.code)
        )  # fmt: skip
        return [CenterStatus(*row) for row in self._all(query, "listing the centers")]

    def alerts(self, center: str | None = None) -> list[Alert]:
        """The refusals recorded, newest first (of one center if given)."""
        a = _alerts.c
        query = select(a.center, a.kind, a.seq, a.detail, a.first_at, a.last_at, a.times)
        if center is not None:
            query = query.where(a.center == center)
        return [Alert(*row) for row in self._all(query.order_by(a.last_at.desc()), "reading the alerts")]

    def follow_alerts(self, stop: threading.Event, *, poll: float = 1.0) -> Iterator[Alert]:
        """Every alert recorded so far, oldest first, then each one, new or repeated, as the
        batch that raised it commits; until ``stop`` is set (looked at every ``poll`` s).

        Listening starts before the ones so far are read, so none falls between the two; a
        repeat comes again with its ``times`` counted up.

        Raises:
            CentralUnavailable: The connection was lost: call again (after
                :meth:`reconnect`) to go on; the alerts so far come again.
        """
        try:
            raw = self._engine.raw_connection()
        except SQLAlchemyError as exc:
            raise _unavailable("listening for alerts", shown(self.url), exc) from exc
        try:
            conn = raw.driver_connection
            assert isinstance(conn, psycopg.Connection)
            conn.rollback()
            conn.autocommit = True
            conn.execute(f"LISTEN {ALERTS_CHANNEL}")
            yield from reversed(self.alerts())
            while not stop.is_set():
                for note in conn.notifies(timeout=poll):
                    yield _alert_of(json.loads(note.payload))
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CentralUnavailable(
                f"listening for alerts: the central database {shown(self.url)} is unreachable ({reason})"
            ) from exc
        finally:
            raw.invalidate()  # a listening, autocommit connection never goes back to the pool

    def config(self, code: str) -> Center | None:
        """The configuration ``code``'s shipper sent last, or None if none was sent."""
        query = select(_centers.c.config).where(_centers.c.code == code)
        rows = self._all(query, f"reading the configuration of {code}")
        if not rows or rows[0][0] is None:
            return None
        return Center.model_validate(json.loads(rows[0][0]))

    # --- shipping ---------------------------------------------------------------------

    def ship(self, center: str, rows: Sequence[LogRow]) -> Shipped:
        """Send one batch of ``center``'s log, in one transaction; return the new head.

        The central side locks the center, compares events it has already, checks the new
        ones against its head and each other, and inserts those before the first problem.
        An empty batch only asks for the head.

        Raises:
            CentralUnavailable: The database is unreachable or the link broke; nothing of
                the batch is in unless the commit got through (ship again from the head).
            NotRegistered: The center is not registered, or not for this role.
            ChainRefused: The chain is broken or forked at ``seq``; events before it were
                accepted, and an alert is recorded centrally.
        """
        batch = json.dumps(
            [
                {
                    "seq": r.seq,
                    "type": r.type,
                    "payload": r.payload,
                    "prev_hash": r.prev_hash,
                    "hash": r.hash,
                    "recorded_at": r.recorded_at.isoformat(),
                }
                for r in rows
            ],
            ensure_ascii=False,
        )
        try:
            with self._engine.begin() as conn:
                head_seq, head_hash, accepted, problem = conn.execute(
                    _SHIP, {"center": center, "rows": batch}
                ).one()
        except SQLAlchemyError as exc:
            raise _unavailable(f"shipping {len(rows)} events of {center}", shown(self.url), exc) from exc
        if head_seq is None:
            raise NotRegistered(problem)
        head = Head(head_seq, head_hash)
        if problem is not None:
            first_refused = _refused_seq(problem)
            raise ChainRefused(center, first_refused, problem, head.seq)
        return Shipped(head, accepted)

    def head(self, center: str) -> Head:
        """Where ``center``'s chain ends here (raises as :meth:`ship` does)."""
        return self.ship(center, []).head

    def publish_config(self, center: str, config: dict[str, Any]) -> None:
        """Keep ``center``'s configuration (secrets withheld: :func:`public_config`) centrally.

        Raises:
            CentralUnavailable: As :meth:`ship`.
            NotRegistered: As :meth:`ship`.
        """
        document = json.dumps(config, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        try:
            with self._engine.begin() as conn:
                done = conn.execute(_PUBLISH, {"center": center, "config": document}).scalar_one()
        except SQLAlchemyError as exc:
            raise _unavailable(f"sending the configuration of {center}", shown(self.url), exc) from exc
        if not done:
            raise NotRegistered(
                f"center {center} is not registered in the central record (or not for this role)"
            )

    # --- reading ----------------------------------------------------------------------

    def log(self, center: str) -> CenterLog:
        """``center``'s log in the central record, read as ``novbe report`` reads a hall's."""
        return CenterLog(self, center)

    def verify(self, center: str) -> AuditReport:
        """Check ``center``'s whole chain as stored centrally (the hall's own check)."""
        log = self.log(center)
        return verify_rows(row for rows in log.chain_batches() for row in rows)

    def hashes(self, center: str, seqs: Collection[int]) -> dict[int, str]:
        """The hashes of ``center``'s events ``seqs``."""
        if not seqs:
            return {}
        e = _events.c
        query = select(e.seq, e.hash).where(e.center == center, e.seq.in_(sorted(seqs)))
        return dict(self._all(query, f"reading hashes of {center}"))

    def digests(self, center: str, first_seqs: Collection[int]) -> dict[int, Digest]:
        """The day digests kept of ``center``'s days that start at ``first_seqs``."""
        if not first_seqs:
            return {}
        d = _digests.c
        query = select(d.first_seq, d.last_seq, d.day, d.last_hash, d.config_key, d.format, d.facts).where(
            d.center == center, d.first_seq.in_(sorted(first_seqs))
        )
        return {row[0]: Digest(*row) for row in self._all(query, f"reading the day digests of {center}")}

    def keep_digest(self, center: str, digest: Digest) -> bool:
        """Keep a day's digest (replacing an outdated one). False when this database role may
        not write digests (a read-only reporting role): the report is made all the same."""
        values = {"center": center, "made_at": datetime.now(UTC), **dataclasses.asdict(digest)}
        stmt = postgresql.insert(_digests).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_digests.c.center, _digests.c.first_seq],
            set_={k: stmt.excluded[k] for k in values if k not in ("center", "first_seq")},
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(stmt)
        except ProgrammingError as exc:
            if "permission denied" in str(exc):
                return False
            raise _unavailable(f"keeping a day digest of {center}", shown(self.url), exc) from exc
        except SQLAlchemyError as exc:
            raise _unavailable(f"keeping a day digest of {center}", shown(self.url), exc) from exc
        return True

    def last_events(self, center: str) -> datetime | None:
        """When ``center`` recorded the last event the central record has (its clock)."""
        query = select(_centers.c.last_recorded_at).where(_centers.c.code == center)
        rows = self._all(query, f"reading the head of {center}")
        return rows[0][0] if rows else None

    def _all(self, query: Any, what: str) -> list[Any]:
        try:
            with self._engine.connect() as conn:
                return list(conn.execute(query).all())
        except SQLAlchemyError as exc:
            raise _unavailable(what, shown(self.url), exc) from exc

    # --- lifecycle --------------------------------------------------------------------

    def reconnect(self) -> None:
        """Drop every pooled connection: the next call connects afresh (after a failover)."""
        self._engine.dispose()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _refused_seq(problem: str) -> int | None:
    """The seq the central side names in a refusal ("event 1234 ...")."""
    words = problem.split()
    if len(words) > 1 and words[0] == "event" and words[1].isdigit():
        return int(words[1])
    return None


class CenterLog:
    """One center's log in the central record, with the reading interface of a hall's
    :class:`~server.store.EventStore` that ``novbe report`` uses (``payloads``,
    ``last_seq``): the same report, from the same events, wherever they are read."""

    def __init__(self, record: CentralRecord, center: str) -> None:
        self.record = record
        self.center = center

    def __repr__(self) -> str:
        return f"{self.center} in {self.record!r}"

    def last_seq(self) -> int:
        query = select(func.coalesce(func.max(_events.c.seq), 0)).where(_events.c.center == self.center)
        seq: int = self.record._all(query, f"reading the head of {self.center}")[0][0]
        return seq

    def payloads(
        self,
        after_seq: int = 0,
        upto_seq: int | None = None,
        *,
        types: Collection[str] | None = None,
        batch: int = 10_000,
    ) -> Iterator[tuple[int, str, str]]:
        """``(seq, type, payload)`` after ``after_seq`` (up to ``upto_seq``), in seq order,
        in pages of ``batch`` rows (each its own short query), as :meth:`EventStore.payloads`."""
        query = select(_events.c.seq, _events.c.type, _events.c.payload)
        if types is not None:
            query = query.where(_events.c.type.in_(sorted(types)))
        for rows in self._pages(query, after_seq, upto_seq, batch):
            yield from rows

    def rows(self, batch: int = 5000) -> Iterator[LogRow]:
        """The whole log as the center stored it (to restore a hall's log from it)."""
        e = _events.c
        query = select(e.seq, e.type, e.payload, e.prev_hash, e.hash, e.recorded_at)
        for rows in self._pages(query, 0, None, batch):
            for seq, kind, payload, prev, digest, recorded in rows:
                yield LogRow(seq, kind, payload, prev, digest, recorded.astimezone(UTC))

    def chain_batches(self, batch: int = 5000) -> Iterator[Sequence[Any]]:
        """``(seq, type, payload, prev_hash, hash)`` of the whole log, page by page."""
        e = _events.c
        yield from self._pages(select(e.seq, e.type, e.payload, e.prev_hash, e.hash), 0, None, batch)

    def _pages(
        self, query: Select[Any], after_seq: int, upto_seq: int | None, batch: int
    ) -> Iterator[Sequence[Any]]:
        def fetch(page: Select[Any]) -> Sequence[Any]:
            return self.record._all(page, f"reading the events of {self.center}")

        query = query.where(_events.c.center == self.center)
        return seq_pages(fetch, query, _events.c.seq, after_seq, upto_seq, batch)
