"""The store knows its real state, refuses what it can't write, and recovers without a restart.

Real faults: a small tmpfs that fills up, a -wal file that can't be written, the database
file deleted under the store, PostgreSQL stopped and started again under load.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.store import (
    GENESIS_HASH,
    Commit,
    DatabaseFilesError,
    DatabaseVanished,
    EventStore,
    Head,
    StoreError,
    store as store_module,
)
from tests import pg

from .faults import fill, small_disk, unwritable
from .helpers import T0, issued


def _request(n: int) -> Commit:
    """One kiosk request: a ticket and its reply (padded to fill a disk faster)."""
    return Commit([issued(n)], request=("kiosk:kiosk-1", f"r{n}"), reply={"n": n, "pad": "x" * 200})


def _opened(url: str, folder: Path) -> EventStore:
    store = EventStore(url)
    store.open_log(folder / "log.json", "BAKU1")
    return store


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[EventStore]:
    store = _opened(store_url, tmp_path)
    yield store
    store.close()


def test_store_is_ok_after_a_commit_and_a_probe(store: EventStore) -> None:
    """A healthy store says ok, and a probe (one tiny write) says it again."""
    store.append([_request(1)])
    assert store.health().ok
    assert store.health().reason is None
    before = store.health().checked
    assert store.probe().state == "ok"
    assert store.health().checked >= before
    assert store.health().as_dict()["state"] == "ok"


def test_a_failed_commit_that_wrote_nothing_keeps_the_head(store: EventStore) -> None:
    """After a failure that is not in doubt, head() answers from memory: the server can
    rebuild its live engine from the committed one without reading the log."""
    store.append([_request(1), _request(2)])
    head = store.head()
    assert head.seq == 2

    def refuse(conn: sa.Connection, clauseelement: object, *args: object) -> None:
        if "INSERT INTO events" in str(clauseelement):
            raise sa.exc.OperationalError("INSERT INTO events", {}, Exception("disk I/O error"))

    sa.event.listen(store._engine, "before_execute", refuse)
    with pytest.raises(StoreError) as caught:
        store.append([_request(3)])
    sa.event.remove(store._engine, "before_execute", refuse)
    assert caught.value.in_doubt is False
    assert store.health().state == "failing"
    assert "disk I/O error" in (store.health().reason or "")
    assert store._head == head, "kept in memory, no database read needed"
    assert store.head() == head
    assert store.append([_request(3)]) == [[3]]
    assert store.health().ok
    assert store.verify().ok


def test_an_empty_log_has_the_genesis_head(store: EventStore) -> None:
    assert store.head() == Head(0, GENESIS_HASH)


# --- SQLite: a full disk ---------------------------------------------------------------


def test_full_disk_gives_read_only_then_recovers_without_restart(tmp_path: Path) -> None:
    """Commits on a full disk fail with a clear error and nothing acknowledged is lost;
    health says read_only (disk full); once there is room, writes go on by themselves."""
    with small_disk(tmp_path / "disk", 4096) as disk:
        store = _opened(f"sqlite:///{disk / 'novbe.db'}", disk)
        acked: list[int] = []
        for n in range(1, 6):
            acked += store.append([_request(n)])[0]
        assert store.health().ok
        ballast = fill(disk, leave_kib=64)
        assert store.probe().state == "read_only"
        assert "disk full" in (store.health().reason or "")
        failed = None
        for n in range(6, 2000):
            try:
                acked += store.append([_request(n)])[0]
            except StoreError as exc:
                failed = exc
                break
        assert failed is not None, "the disk never filled up"
        assert failed.in_doubt is False
        assert "full" in str(failed)
        health = store.health()
        assert health.state == "read_only"
        assert health.reason is not None
        assert health.reason.startswith("disk full: ")
        assert str(disk) in health.reason
        assert store.head().seq == acked[-1], "the head still matches what was acknowledged"

        ballast.unlink()
        assert store.probe().ok, "recovered without a restart"
        acked += store.append([_request(5000)])[0]
        assert [s.seq for s in store.load()] == acked == list(range(1, len(acked) + 1))
        assert store.verify().ok
        store.close()
        assert not (disk / "novbe.db-wal").exists() or (disk / "novbe.db-wal").stat().st_size == 0


# --- SQLite: files that can't be written ---------------------------------------------------


def _log_with_side_files(folder: Path) -> tuple[str, sqlite3.Connection]:
    """A log of one event whose -wal and -shm stay (a second connection holds them)."""
    url = f"sqlite:///{folder / 'novbe.db'}"
    store = _opened(url, folder)
    store.append([_request(1)])
    keeper = sqlite3.connect(folder / "novbe.db")
    keeper.execute("SELECT count(*) FROM events").fetchall()
    store.close()
    return url, keeper


@pytest.mark.parametrize("suffix", ["-wal", "-shm", ""])
def test_unwritable_files_are_refused_at_open_in_one_line(tmp_path: Path, suffix: str) -> None:
    """A -wal, -shm or database file this process can't write stops the start with one
    line naming the file, the reason and the fix (not a bus error, not a read-only server)."""
    url, keeper = _log_with_side_files(tmp_path)
    target = tmp_path / f"novbe.db{suffix}"
    with unwritable(target):
        store = EventStore(url)
        with pytest.raises(DatabaseFilesError) as caught:
            store.open_log(tmp_path / "log.json", "BAKU1")
        store.close()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write {target}: ")
    assert "chown" in message
    keeper.close()


def test_an_unwritable_wal_makes_commits_fail_and_health_say_which_file(tmp_path: Path) -> None:
    """Opened without the check (an older caller), the store still tells the truth: every
    commit fails, and health names the -wal."""
    url, keeper = _log_with_side_files(tmp_path)
    wal = tmp_path / "novbe.db-wal"
    with unwritable(wal):
        store = EventStore(url)
        with pytest.raises(StoreError):
            store.append([_request(2)])
        health = store.health()
        store._engine.dispose()
    assert health.state == "read_only"
    assert health.reason == f"cannot write {wal}: " + (
        "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    )
    keeper.close()


# --- SQLite: the database deleted or replaced while open -------------------------------------


def test_a_deleted_database_refuses_writes_and_saves_what_was_acknowledged(tmp_path: Path) -> None:
    """Deleting novbe.db* under the store: no write is acknowledged into the deleted file,
    health says failing, and the log as it was is copied beside it, nothing lost."""
    url = f"sqlite:///{tmp_path / 'novbe.db'}"
    store = _opened(url, tmp_path)
    acked = [seq for n in range(1, 21) for seq in store.append([_request(n)])[0]]
    for path in tmp_path.glob("novbe.db*"):
        path.unlink()
    with pytest.raises(DatabaseVanished) as caught:
        store.append([_request(21)])
    with pytest.raises(DatabaseVanished):
        store.append([_request(22)])
    with pytest.raises(DatabaseVanished):
        store.record_device_status("kiosk:kiosk-1/printer", "kiosk", {"status": "ok"}, T0)
    assert store.probe().state == "failing"
    reason = store.health().reason or ""
    assert reason == str(caught.value)
    assert f"the database file {tmp_path / 'novbe.db'} was deleted or replaced" in reason
    rescued = list(tmp_path.glob("novbe.db.rescued-*"))
    assert len(rescued) == 1
    assert f"saved in {rescued[0]}" in reason
    assert oct(rescued[0].stat().st_mode & 0o777) == "0o600"
    store.close()
    assert not (tmp_path / "novbe.db").exists(), "no empty log was made at the path"

    # The operator's fix, as the message says: move the copy back and start again.
    rescued[0].rename(tmp_path / "novbe.db")
    again = _opened(url, tmp_path)
    assert [s.seq for s in again.load()] == acked
    assert again.append([_request(21)]) == [[21]]
    again.close()


def test_a_replaced_database_is_noticed_too(tmp_path: Path) -> None:
    """Another file put at the path (a wrong restore while running) is not written to."""
    url = f"sqlite:///{tmp_path / 'novbe.db'}"
    store = _opened(url, tmp_path)
    store.append([_request(1)])
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    other.replace(tmp_path / "novbe.db")
    with pytest.raises(DatabaseVanished, match="deleted or replaced"):
        store.append([_request(2)])
    store.close()


# --- SQLite: file modes and the -wal file ---------------------------------------------------


def test_log_files_are_the_owners_alone(tmp_path: Path) -> None:
    """The database, -wal, -shm and the marker are 0600 whatever the umask; a log an older
    release left 0644 is made 0600 when opened."""
    old = os.umask(0o022)
    try:
        url = f"sqlite:///{tmp_path / 'novbe.db'}"
        store = _opened(url, tmp_path)
        store.append([_request(1)])
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
        assert modes == {
            "novbe.db": "0o600",
            "novbe.db-wal": "0o600",
            "novbe.db-shm": "0o600",
            "log.json": "0o600",
        }
        store.close()
        (tmp_path / "novbe.db").chmod(0o644)
        again = EventStore(url)
        opened = again.open_log(tmp_path / "log.json", "BAKU1")
        assert opened.private == [tmp_path / "novbe.db"]
        assert oct((tmp_path / "novbe.db").stat().st_mode & 0o777) == "0o600"
        again.close()
    finally:
        os.umask(old)


def _wal_size(folder: Path) -> int:
    wal = folder / "novbe.db-wal"
    return wal.stat().st_size if wal.exists() else 0


def test_wal_is_truncated_when_idle_after_many_commits_and_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The -wal gives its space back: when idle, every CHECKPOINT_EVERY commits, on close."""
    store = _opened(f"sqlite:///{tmp_path / 'novbe.db'}", tmp_path)
    for n in range(1, 30):
        store.append([_request(n)])
    assert _wal_size(tmp_path) > 0
    monkeypatch.setattr(store_module, "IDLE_CHECKPOINT_S", 0.0)
    store.maintain()
    assert _wal_size(tmp_path) == 0

    monkeypatch.setattr(store_module, "IDLE_CHECKPOINT_S", 3600.0)
    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 10)
    for n in range(30, 39):
        store.append([_request(n)])
    assert _wal_size(tmp_path) > 0
    store.append([_request(39)])  # the tenth
    assert _wal_size(tmp_path) == 0

    store.append([_request(40)])
    store.maintain()
    assert _wal_size(tmp_path) > 0, "not idle long enough"
    store.close()
    assert _wal_size(tmp_path) == 0
    with EventStore(f"sqlite:///{tmp_path / 'novbe.db'}") as again:
        assert again.last_seq() == 40
        assert again.verify().ok


def test_maintain_probes_and_keeps_the_marker_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """maintain() records the head in the marker every MARKER_EVERY_S and probes the store."""
    store = _opened(f"sqlite:///{tmp_path / 'novbe.db'}", tmp_path)
    store.append([_request(1), _request(2)])
    marker = (tmp_path / "log.json").read_text()
    assert '"seq": 0' in marker
    monkeypatch.setattr(store_module, "MARKER_EVERY_S", 0.0)
    monkeypatch.setattr(store_module, "PROBE_EVERY_S", 0.0)
    checked = store.health().checked
    assert store.maintain().ok
    assert store.health().checked > checked
    assert '"seq": 2' in (tmp_path / "log.json").read_text()
    store.close()


# --- PostgreSQL: stopped and started again ---------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[pg.Cluster]:
    """A PostgreSQL cluster of this test's own, to stop and start."""
    if not pg.available():
        pytest.skip(f"PostgreSQL server binaries not found in {pg.BINDIR}")
    with pg.running_cluster() as cluster:
        yield cluster


@pytest.mark.postgres
def test_postgres_restart_while_idle_costs_no_request(cluster: pg.Cluster, tmp_path: Path) -> None:
    """Pooled connections are tested before use: the first commit after a restart works."""
    store = _opened(pg.create_database(cluster.url()), tmp_path)
    store.append([_request(1)])
    cluster.halt()
    cluster.resume()
    assert store.append([_request(2)]) == [[2]]
    assert store.health().ok
    store.close()


@pytest.mark.postgres
def test_postgres_stopped_under_load_fails_clearly_and_loses_nothing(
    cluster: pg.Cluster, tmp_path: Path
) -> None:
    """PostgreSQL stopped while a writer appends: appends fail with StoreError, health says
    failing, and after the restart writes go on by themselves; every acknowledged event is
    in the log, and the chain verifies."""
    store = _opened(pg.create_database(cluster.url()), tmp_path)
    acked: list[int] = []
    errors: list[StoreError] = []
    states: set[str] = set()
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                acked.extend(store.append([_request(n)])[0])
            except StoreError as exc:
                errors.append(exc)
                states.add(store.health().state)
                time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(acked) < 20:
            time.sleep(0.01)
        cluster.halt()
        while len(errors) < 5:
            time.sleep(0.01)
        assert store.probe().state == "failing"
        assert "cannot reach the database" in (store.health().reason or "")
        cluster.resume()
        assert store.probe().ok
        done = len(acked)
        while len(acked) < done + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert states == {"failing"}
    for exc in errors:
        assert "\n" not in str(exc)
    seqs = [s.seq for s in store.load()]
    assert seqs == list(range(1, len(seqs) + 1))
    assert set(acked) <= set(seqs)
    report = store.verify()
    assert report.ok, report
    store.close()
