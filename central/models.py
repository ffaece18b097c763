"""Tables of the central record: the centers, every center's events, the alerts.

``events`` holds each center's log as the center wrote it, keyed by ``(center, seq)``: the
payload is the text that was hashed, with both hashes, so each center's chain can be checked
in the central record as in the hall (docs/store.md, "The hash chain"). Ticket ids are only
unique within a center (``20261130-A001`` is issued in every center that day): anything
central that names a ticket names its center too.

Rows enter ``events`` only through the ``novbe_ship`` function (migration 0001), which
checks the chain first; a trigger refuses any UPDATE, DELETE or TRUNCATE of them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

GENESIS = "0" * 64


class Base(DeclarativeBase):
    """Base class of the central record's models."""

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s",
        }
    )


class CenterRecord(Base):
    """A center or mobile unit registered to ship its log here (``novbe central add``)."""

    __tablename__ = "centers"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The center's ``code`` in its center.toml (``BAKU1``, ``BUS07``)."""
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shipper_role: Mapped[str | None] = mapped_column(String(63))
    """The only database role allowed to ship for this center; NULL: any role allowed to call
    ``novbe_ship``."""
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    """The head of the center's chain in the central record: where its shipper resumes."""
    last_hash: Mapped[str] = mapped_column(String(64), server_default=text(f"'{GENESIS}'"))
    last_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the center recorded its last shipped event (the center's clock)."""
    last_shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When events of the center last arrived (the central clock)."""
    config: Mapped[str | None] = mapped_column(Text)
    """The center's configuration as JSON, its secrets withheld (``novbe ship`` sends it)."""
    config_sha256: Mapped[str | None] = mapped_column(String(64))
    config_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CentralEvent(Base):
    """One event of one center's log, as the center stored it."""

    __tablename__ = "events"

    center: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The center's clock."""
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The central clock, when the batch holding the event was checked and inserted."""

    __table_args__ = (
        # Where each service day starts: novbe report finds its days without reading the log.
        Index("ix_events_day_starts", "center", "seq", postgresql_where=text("type = 'DayOpened'")),
    )


class AlertRecord(Base):
    """A batch refused: a center's chain broken or forked. Repeats of the same refusal count up."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    center: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    """``fork``, ``gap``, ``link``, ``hash`` or ``type`` (docs/deployment.md)."""
    seq: Mapped[int] = mapped_column(BigInteger)
    """The first event refused."""
    detail: Mapped[str] = mapped_column(Text)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    times: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __table_args__ = (UniqueConstraint("center", "kind", "seq", name="uq_alerts"),)


class DayDigest(Base):
    """One complete service day of one center, read once into the facts of ``novbe report``
    (:func:`report.facts.pack_facts`). Derived data: used only while the day's events end
    with the same event (``last_seq``, ``last_hash``), were read with the same configuration
    (``config_key``) and by the same reading (``format``); made again otherwise."""

    __tablename__ = "day_digests"

    center: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    """The day's ``DayOpened``."""
    last_seq: Mapped[int] = mapped_column(BigInteger)
    """The event before the next day's ``DayOpened``: only complete days are digested."""
    day: Mapped[date] = mapped_column(Date)
    last_hash: Mapped[str] = mapped_column(String(64))
    config_key: Mapped[str] = mapped_column(String(64))
    format: Mapped[int] = mapped_column(Integer)
    facts: Mapped[bytes] = mapped_column(LargeBinary)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
