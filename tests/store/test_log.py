"""The event log: append, read back, idempotent replies, device status."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.store import AuditReport, Commit, EventStore, StoreError
from server.store.chain import GENESIS_HASH, chain_hash, event_payload
from server.store.store import SCHEMA_REVISION

from .helpers import ALL_EVENTS, BAKU, T0, issued


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    store = EventStore(store_url)
    store.migrate()
    yield store
    store.close()


def test_store_round_trips_every_event_type(store: EventStore) -> None:
    """Every event type comes back equal, in order, with a chained hash."""
    store.append([Commit(ALL_EVENTS[:3]), Commit(ALL_EVENTS[3:4]), Commit(ALL_EVENTS[4:])])
    loaded = list(store.load())
    assert [s.event for s in loaded] == ALL_EVENTS
    assert [s.seq for s in loaded] == list(range(1, len(ALL_EVENTS) + 1))
    prev = GENESIS_HASH
    for stored in loaded:
        assert stored.prev_hash == prev
        assert stored.hash == chain_hash(prev, event_payload(stored.event))
        assert stored.recorded_at.tzinfo is not None
        prev = stored.hash
    # Offsets survive: the hall's local time is what the audit shows.
    assert loaded[0].event.at.utcoffset() == BAKU.utcoffset(None)


def test_store_assigns_consecutive_seqs_per_commit(store: EventStore) -> None:
    """Seqs are consecutive across commits and batches; a commit may have no events."""
    assert store.append([]) == []
    assert store.last_seq() == 0
    first = store.append([Commit([issued(1), issued(2)]), Commit([]), Commit([issued(3)])])
    assert first == [[1, 2], [], [3]]
    assert store.append([Commit([issued(4)])]) == [[4]]
    assert store.last_seq() == 4


def test_store_continues_the_chain_after_reopening(store_url: str, store: EventStore) -> None:
    """A new store on the same database picks up the head from the log."""
    store.append([Commit([issued(1), issued(2)])])
    store.close()
    with EventStore(store_url) as again:
        assert again.last_seq() == 2
        assert again.append([Commit([issued(3)])]) == [[3]]
        assert again.verify().ok
        assert [s.seq for s in again.load()] == [1, 2, 3]


def test_store_loads_after_seq_in_batches(store: EventStore) -> None:
    """load() streams from any seq, whatever the batch size."""
    store.append([Commit([issued(n)]) for n in range(1, 11)])
    assert [s.seq for s in store.load(after_seq=3, batch=3)] == list(range(4, 11))
    assert [s.event for s in store.load(batch=1)] == [issued(n) for n in range(1, 11)]
    assert list(store.load(after_seq=10)) == []


def test_store_reads_rows_as_stored_a_page_at_a_time(store: EventStore) -> None:
    """rows() gives the table's own text and hashes, after a seq, at most ``limit``: what a
    shipper copies, and what re-hashes to the same chain."""
    store.append([Commit(ALL_EVENTS), Commit([issued(n) for n in range(1, 11)])])
    rows = store.rows(0, 1000)
    assert [r.seq for r in rows] == list(range(1, len(ALL_EVENTS) + 11))
    assert [r.type for r in rows[: len(ALL_EVENTS)]] == [type(e).__name__ for e in ALL_EVENTS]
    prev = GENESIS_HASH
    for row, event in zip(rows, ALL_EVENTS, strict=False):
        assert row.payload == event_payload(event)
        assert (row.prev_hash, row.hash) == (prev, chain_hash(prev, row.payload))
        assert row.recorded_at.tzinfo is UTC
        prev = row.hash
    assert store.rows(5, 3) == rows[5:8]
    assert store.rows(len(rows), 10) == []
    with pytest.raises(ValueError, match="limit must be positive"):
        store.rows(0, 0)


def test_store_restores_a_copy_verbatim_and_only_a_valid_one(store: EventStore, tmp_path: Path) -> None:
    """restore() fills an empty log with another's rows as they were; a copy whose chain is
    broken, or a log not empty, is refused and nothing is written."""
    store.append([Commit(ALL_EVENTS), Commit([issued(n) for n in range(1, 11)])])
    rows = store.rows(0, 1000)
    with EventStore(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        copy.migrate()
        broken = [*rows[:5], dataclasses.replace(rows[5], payload=rows[5].payload + " "), *rows[6:]]
        with pytest.raises(StoreError, match="the copy does not verify: event 6: hash does not match"):
            copy.restore(broken, batch=2)
        assert copy.last_seq() == 0
        assert copy.restore(rows, batch=4) == len(rows)
        assert copy.rows(0, 1000) == rows
        assert copy.verify().ok
        assert copy.append([Commit([issued(99)])]) == [[len(rows) + 1]]
        with pytest.raises(StoreError, match="already holds events"):
            copy.restore(rows)


def test_store_returns_events_between_seqs(store: EventStore) -> None:
    """events_between() is after < seq <= upto, or to the end."""
    store.append([Commit([issued(n) for n in range(1, 8)])])
    assert [s.seq for s in store.events_between(2, 5)] == [3, 4, 5]
    assert [s.seq for s in store.events_between(5)] == [6, 7]
    assert store.events_between(7) == []


def test_store_replays_a_repeated_request_with_the_same_reply(store_url: str, store: EventStore) -> None:
    """A request's reply is found again, also after a restart; unknown requests give None."""
    reply = {"ok": True, "ticket": "A015", "text": "Növbəniz: A015"}
    store.append(
        [
            Commit([issued(1)], request=("kiosk-3", "req-1"), reply=reply),
            Commit([], request=("counter-12", "req-1"), reply={"ok": False, "error": "nothing waiting"}),
        ]
    )
    assert store.find_reply("kiosk-3", "req-1") == reply
    assert store.find_reply("kiosk-3", "req-2") is None
    store.close()
    with EventStore(store_url) as again:
        assert again.find_reply("kiosk-3", "req-1") == reply
        assert again.find_reply("counter-12", "req-1") == {"ok": False, "error": "nothing waiting"}


def test_commit_refuses_a_request_without_reply() -> None:
    """A stored request must carry its reply, or a retry would run it twice."""
    with pytest.raises(ValueError, match="no reply"):
        Commit([issued(1)], request=("kiosk-3", "req-1"))


def test_failed_append_appends_nothing(store: EventStore) -> None:
    """A batch that fails halfway (duplicate request) leaves neither events nor replies."""
    store.append([Commit([issued(1)], request=("kiosk-3", "req-1"), reply={"n": 1})])
    batch = [
        Commit([issued(2), issued(3)], request=("kiosk-3", "req-2"), reply={"n": 2}),
        Commit([issued(4)], request=("kiosk-3", "req-1"), reply={"n": 3}),
    ]
    with pytest.raises(StoreError) as caught:
        store.append(batch)
    assert isinstance(caught.value.__cause__, sa.exc.IntegrityError)
    assert store.last_seq() == 1
    assert [s.seq for s in store.load()] == [1]
    assert store.find_reply("kiosk-3", "req-2") is None
    # The in-memory head still matches the log: the next append continues at 2.
    assert store.append([Commit([issued(2)])]) == [[2]]
    assert store.verify().ok


def test_failed_append_after_insert_appends_nothing(store: EventStore) -> None:
    """A database error after the events were inserted rolls the whole batch back."""
    store.append([Commit([issued(1)])])

    def fail_on_replies(conn: sa.Connection, clauseelement: object, *args: object) -> None:
        if "replies" in str(clauseelement):
            raise sa.exc.OperationalError("INSERT INTO replies", {}, Exception("disk I/O error"))

    sa.event.listen(store._engine, "after_execute", fail_on_replies)
    with pytest.raises(StoreError, match="append of 2 events failed") as caught:
        store.append([Commit([issued(2), issued(3)], request=("kiosk-3", "req-9"), reply={"ok": True})])
    sa.event.remove(store._engine, "after_execute", fail_on_replies)
    assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
    assert [s.seq for s in store.load()] == [1]
    assert store.append([Commit([issued(2)])]) == [[2]]
    assert store.verify().ok


def test_second_writer_cannot_interleave(store_url: str, store: EventStore) -> None:
    """Two stores on one log: the one with a stale head fails instead of forking the chain."""
    store.append([Commit([issued(1)])])
    with EventStore(store_url) as other:
        other.append([Commit([issued(2)])])
        with pytest.raises(StoreError):
            store.append([Commit([issued(3)])])
        # The failure made it re-read the head: it can go on from the true end.
        assert store.append([Commit([issued(3)])]) == [[3]]
    assert store.verify().ok


def test_threads_appending_through_one_store_are_serialized(store: EventStore) -> None:
    """Concurrent appends get disjoint, consecutive seqs and a valid chain."""

    def writer(k: int) -> list[list[int]]:
        got: list[list[int]] = []
        for n in range(25):
            base = 1000 * k + 10 * n
            got += store.append([Commit([issued(base), issued(base + 1)]), Commit([issued(base + 2)])])
        return got

    with ThreadPoolExecutor(2) as pool:
        results = dict(enumerate(pool.map(writer, range(2))))
    all_seqs = sorted(seq for got in results.values() for seqs in got for seq in seqs)
    assert all_seqs == list(range(1, 151))
    for got in results.values():
        for i in range(0, len(got), 2):
            # One append call = one transaction: its commits are adjacent.
            assert got[i + 1] == [got[i][-1] + 1]
            assert got[i] == [got[i][0], got[i][0] + 1]
    assert store.verify() == AuditReport(True, 150)


def test_store_keeps_the_last_status_of_each_device(store: EventStore) -> None:
    """Device status is an upsert, timestamps come back aware."""
    t1 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    store.record_device_status("kiosk-1", "kiosk", {"paper": "low"}, t1)
    store.record_device_status("display-2", "display", {"ok": True}, T0)
    store.record_device_status("kiosk-1", "kiosk", {"paper": "out", "printer": "Ошибка"}, T0)
    statuses = store.device_statuses()
    assert statuses == {
        "kiosk-1": ("kiosk", {"paper": "out", "printer": "Ошибка"}, T0),
        "display-2": ("display", {"ok": True}, T0),
    }
    assert statuses["kiosk-1"][2].utcoffset() is not None
    assert store.last_seq() == 0, "device status is not part of the log"


def test_store_keeps_hall_settings(store_url: str, store: EventStore) -> None:
    """A setting is an upsert, outside the log, and is there after reopening."""
    store.set_setting("hall_message", {"text": {"az": "Xoş gəlmisiniz"}}, T0)
    store.set_setting("hall_message", {"text": None}, T0)
    store.set_setting("other", {"n": 1}, T0)
    assert store.last_seq() == 0, "settings are not part of the log"
    with EventStore(store_url) as again:
        assert again.settings() == {"hall_message": {"text": None}, "other": {"n": 1}}


def test_migration_moves_the_old_hall_message_to_settings(tmp_path: Path) -> None:
    """A 0001 database kept the message as the device "hall"; 0002 moves it to settings."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = EventStore(url)
    config = Config()
    config.set_main_option(
        "script_location", str(Path(__import__("server.store").store.__file__).parent / "migrations")
    )
    config.set_main_option("sqlalchemy.url", url)
    with store._engine.begin() as conn:  # the schema of revision 0001, as an older release left it
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    store.record_device_status("hall", "message", {"text": {"az": "Salam"}}, T0)
    store.record_device_status("kiosk:kiosk-1/printer", "kiosk", {"status": "ok"}, T0)
    store.migrate()
    assert store.settings() == {"hall_message": {"text": {"az": "Salam"}}}
    assert list(store.device_statuses()) == ["kiosk:kiosk-1/printer"]
    store.close()


def test_store_refuses_naive_datetimes(store: EventStore) -> None:
    """A naive timestamp is ambiguous: refused rather than guessed."""
    with pytest.raises(StoreError):
        store.record_device_status("kiosk-1", "kiosk", {}, datetime(2026, 11, 22, 9, 0))


def test_migrate_is_idempotent(store_url: str, store: EventStore) -> None:
    """Migrating an up-to-date database changes nothing and keeps the data."""
    store.append([Commit([issued(1)])])
    store.migrate()
    with EventStore(store_url) as again:
        again.migrate()
        assert again.last_seq() == 1
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == SCHEMA_REVISION
            tables = set(sa.inspect(conn).get_table_names())
        assert {"events", "replies", "device_status", "settings", "alembic_version"} <= tables
    finally:
        engine.dispose()


def test_store_on_sqlite_is_durable_wal(tmp_path: Path) -> None:
    """SQLite runs in WAL mode with synchronous=FULL and foreign keys on."""
    with EventStore(f"sqlite:///{tmp_path / 'log.db'}") as store:
        store.migrate()
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_store_refuses_other_databases() -> None:
    """Only SQLite and PostgreSQL are supported."""
    with pytest.raises(ValueError, match="unsupported"):
        EventStore("mysql://localhost/novbe")


def test_store_errors_are_store_errors(store_url: str) -> None:
    """Database failures surface as StoreError, the database error chained."""
    with EventStore(store_url) as unmigrated:
        with pytest.raises(StoreError) as caught:
            unmigrated.append([Commit([issued(1)])])
        assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)
        for read in (unmigrated.last_seq, lambda: list(unmigrated.load()), unmigrated.device_statuses):
            with pytest.raises(StoreError):
                read()
