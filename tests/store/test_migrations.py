"""Migration 0003 on both backends: stored replies join a hash chain, the log gets its identity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from server.store import Commit, EventStore
from server.store.chain import GENESIS_HASH, canonical_json, chain_hash, event_payload, reply_payload
from server.store.store import SCHEMA_REVISION

from .helpers import issued


def _alembic(conn: sa.Connection, target: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("server.store") / "migrations"))
    config.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(config, target)


def _old_log(url: str) -> None:
    """A log as release 0002 left it: events, and replies without a chain."""
    engine = sa.create_engine(url)
    at = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _alembic(conn, "0002")
        prev = GENESIS_HASH
        for seq in range(1, 4):
            payload = event_payload(issued(seq))
            digest = chain_hash(prev, payload)
            conn.execute(
                sa.text(
                    "INSERT INTO events (seq, type, payload, prev_hash, hash, recorded_at)"
                    " VALUES (:s, 'TicketIssued', :p, :ph, :h, :at)"
                ),
                {"s": seq, "p": payload, "ph": prev, "h": digest, "at": _at(conn, at)},
            )
            prev = digest
        replies: list[dict[str, Any]] = [
            {"c": "kiosk:kiosk-1", "r": "k-2", "f": 2, "l": 2, "x": {"ticket": "A002"}, "at": at},
            {"c": "kiosk:kiosk-1", "r": "k-1", "f": 1, "l": 1, "x": {"ticket": "A001"}, "at": at},
            {"c": "counter:12", "r": "c-1", "f": None, "l": None, "x": {"error": "Ə"}, "at": at},
            {
                "c": "kiosk:kiosk-2",
                "r": "k-9",
                "f": 3,
                "l": 3,
                "x": {"ticket": "A003"},
                "at": at + timedelta(1),
            },
        ]
        for row in replies:
            conn.execute(
                sa.text(
                    "INSERT INTO replies (client, request_id, first_seq, last_seq, reply, recorded_at)"
                    " VALUES (:c, :r, :f, :l, :x, :at)"
                ),
                {**row, "x": canonical_json(row["x"]), "at": _at(conn, row["at"])},
            )
    engine.dispose()


def _at(conn: sa.Connection, at: datetime) -> datetime:
    return at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at


def test_migration_chains_the_replies_already_stored(store_url: str) -> None:
    """Old replies get their places in the recorded order (then client, request id) and
    hashes as docs/store.md defines them; the store goes on from there."""
    _old_log(store_url)
    with EventStore(store_url) as store:
        assert store.schema_revision() == "0002"
        store.migrate()
        assert store.schema_revision() == SCHEMA_REVISION
        assert store.verify().ok
        assert store.verify().replies == 4
        assert store.find_reply("counter:12", "c-1") == {"error": "Ə"}
        assert store.append(
            [Commit([issued(4)], request=("kiosk:kiosk-1", "k-3"), reply={"ticket": "A004"})]
        ) == [[4]]
        report = store.verify()
        assert (report.ok, report.checked, report.replies) == (True, 4, 5)
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT pos, client, request_id, first_seq, last_seq, reply, prev_hash, hash"
                " FROM replies ORDER BY pos"
            )
        ).all()
        identity = conn.execute(sa.text("SELECT log_id, center FROM log_identity")).all()
    engine.dispose()
    assert [(pos, client, rid) for pos, client, rid, *_ in rows] == [
        (1, "counter:12", "c-1"),
        (2, "kiosk:kiosk-1", "k-1"),
        (3, "kiosk:kiosk-1", "k-2"),
        (4, "kiosk:kiosk-2", "k-9"),
        (5, "kiosk:kiosk-1", "k-3"),
    ]
    prev = GENESIS_HASH
    for _pos, client, rid, first, last, reply, prev_hash, digest in rows:
        assert prev_hash == prev
        assert digest == chain_hash(prev, reply_payload(client, rid, first, last, reply))
        prev = digest
    assert len(identity) == 1
    assert len(identity[0][0]) == 32
    assert identity[0][1] is None, "claimed by the center's server at its first start"


def test_migration_0003_goes_down_and_up_again(store_url: str) -> None:
    _old_log(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        _alembic(conn, "0003")
    with engine.begin() as conn:
        _alembic(conn, "0002", down=True)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert "log_identity" not in inspector.get_table_names()
        assert "pos" not in {c["name"] for c in inspector.get_columns("replies")}
    engine.dispose()
    with EventStore(store_url) as store:
        store.migrate()
        assert store.verify().replies == 4


def test_migration_0004_indexes_the_events_type_and_goes_down_and_up_again(store_url: str) -> None:
    _old_log(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        _alembic(conn, "0004")
    with engine.connect() as conn:
        assert "ix_events_type" in {i["name"] for i in sa.inspect(conn).get_indexes("events")}
    with engine.begin() as conn:
        _alembic(conn, "0003", down=True)
    with engine.connect() as conn:
        assert "ix_events_type" not in {i["name"] for i in sa.inspect(conn).get_indexes("events")}
    engine.dispose()
    with EventStore(store_url) as store:
        store.migrate()
        assert store.schema_revision() == SCHEMA_REVISION
        assert store.verify().ok
