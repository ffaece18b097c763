"""Tables of the store, as typed declarative models.

The ``events`` table is the log: append-only, ``seq`` is the primary key so two
writers that both think they own the head cannot interleave silently (the second
insert of a seq fails). ``payload`` is the canonical JSON text exactly as hashed:
TEXT rather than JSON/JSONB because the database must not re-normalize it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; read back aware (UTC) on every backend.

    SQLite has no time zone type: SQLAlchemy's DATETIME drops the offset, so we
    normalize to UTC before writing and tag UTC after reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


hex64 = Annotated[str, mapped_column(String(64))]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]


class Base(DeclarativeBase):
    """Base class of the store's models."""

    # Named constraints, so that later migrations can refer to them on both backends.
    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
        }
    )


class EventRecord(Base):
    """One event of the log."""

    __tablename__ = "events"

    # INTEGER on SQLite so that seq is the rowid (64-bit there anyway): the log is
    # then stored in seq order and replay is a plain table scan.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    type: Mapped[str] = mapped_column(String(40), index=True)
    """Indexed: the bookings of every day and the last ``DayOpened`` are read by type."""
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[hex64]
    hash: Mapped[hex64]
    recorded_at: Mapped[utc_datetime]


class ReplyRecord(Base):
    """The reply sent for one client request, for idempotent retries.

    Replies form a hash chain of their own, in ``pos`` order (docs/store.md): a reply
    edited in the table would otherwise be returned to a retry unnoticed.
    """

    __tablename__ = "replies"

    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_seq: Mapped[int | None] = mapped_column(BigInteger)
    """The request's events are ``first_seq..last_seq``; both NULL when it produced none."""
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    reply: Mapped[str] = mapped_column(Text)
    """The reply as JSON text."""
    recorded_at: Mapped[utc_datetime] = mapped_column(index=True)
    """For pruning old replies."""
    pos: Mapped[int] = mapped_column(BigInteger, unique=True)
    """The reply's place in the replies' chain: 1, 2, 3, ..."""
    prev_hash: Mapped[hex64]
    hash: Mapped[hex64]


class LogIdentityRecord(Base):
    """One row: which log this database holds (see server/store/identity.py)."""

    __tablename__ = "log_identity"

    log_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random, made when the database was: tells this log from any other."""
    center: Mapped[str | None] = mapped_column(String(40))
    """The code of the center whose log it is, set at the server's first start."""
    created_at: Mapped[utc_datetime]
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Written by the health probe: a write that proves the database takes writes."""


class SettingRecord(Base):
    """A hall-wide setting changed at run time, such as the displays' scrolling message."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    """The value as JSON text."""
    at: Mapped[utc_datetime]


class DeviceStatusRecord(Base):
    """The last known health of a kiosk, counter terminal, display or printer."""

    __tablename__ = "device_status"

    device: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(Text)
    """The status dict as JSON text."""
    at: Mapped[utc_datetime]
