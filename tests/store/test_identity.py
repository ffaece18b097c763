"""Opening a center's log: never an empty or different one where the center has history,
and the chains checked from where the last run left them (so a start stays quick)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.store import Commit, EventStore, LogCorrupt, LogMismatch, StoreError
from server.store.identity import read_marker
from tests import pg

from .helpers import issued
from .test_audit import tamper


def _request(n: int) -> Commit:
    return Commit([issued(n)], request=("kiosk:kiosk-1", f"r{n}"), reply={"n": n})


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "center" / "log.json"


@pytest.fixture
def opened(store_url: str, marker: Path) -> Iterator[EventStore]:
    """A center's log with five requests, cleanly closed once (the marker has its heads)."""
    marker.parent.mkdir()
    store = EventStore(store_url)
    store.open_log(marker, "BAKU1")
    store.append([_request(n) for n in range(1, 6)])
    store.close()
    store = EventStore(store_url)
    yield store
    store.close()


def test_a_new_log_gets_a_marker(store_url: str, marker: Path) -> None:
    """The first start of a center writes its marker: the log's id, the center, the heads."""
    marker.parent.mkdir()
    with EventStore(store_url) as store:
        opened = store.open_log(marker, "BAKU1")
        assert (opened.created, opened.adopted, opened.checked) == (True, False, 0)
        store.append([_request(1)])
    written = read_marker(marker)
    assert written is not None
    assert (written.log_id, written.center, written.events.seq, written.replies.seq) == (
        opened.log_id,
        "BAKU1",
        1,
        1,
    )
    assert oct(marker.stat().st_mode & 0o777) == "0o600"


def test_a_restart_checks_only_what_was_written_since_the_marker(
    store_url: str, marker: Path, opened: EventStore
) -> None:
    """After a clean stop nothing is left to check; after a crash, what came since the last
    marker (and only that)."""
    first = opened.open_log(marker, "BAKU1")
    assert (first.created, first.adopted, first.checked, first.replies_checked) == (False, False, 0, 0)
    assert first.events.seq == 5
    opened.append([_request(n) for n in range(6, 9)])
    opened._engine.dispose()  # a crash: close() never records the heads
    with EventStore(store_url) as again:
        after = again.open_log(marker, "BAKU1")
        assert (after.checked, after.replies_checked) == (3, 3)
        assert after.events.seq == 8


def test_a_log_without_marker_is_adopted_after_a_whole_check(store_url: str, marker: Path) -> None:
    """A database from an older release (history, no marker): its chains are checked whole
    and the marker written."""
    marker.parent.mkdir()
    with EventStore(store_url) as store:
        store.migrate()
        store.append([_request(n) for n in range(1, 4)])
    with EventStore(store_url) as store:
        opened = store.open_log(marker, "BAKU1")
    assert (opened.created, opened.adopted, opened.checked, opened.replies_checked) == (False, True, 3, 3)
    assert read_marker(marker) is not None


def test_a_deleted_sqlite_log_is_refused_and_not_replaced(tmp_path: Path, marker: Path) -> None:
    """novbe.db gone (deleted, wrong --dir, unmounted volume): refused, nothing created."""
    marker.parent.mkdir()
    db = tmp_path / "novbe.db"
    with EventStore(f"sqlite:///{db}") as store:
        store.open_log(marker, "BAKU1")
        store.append([_request(1)])
    for path in tmp_path.glob("novbe.db*"):
        path.unlink()
    with EventStore(f"sqlite:///{db}") as store, pytest.raises(LogMismatch) as caught:
        store.open_log(marker, "BAKU1")
    message = str(caught.value)
    assert message.startswith(f"there is no event log {db}, but {marker} says this center has one (1 events")
    assert "restore the latest backup" in message
    assert "ticket numbers again" in message
    assert "\n" not in message
    assert not db.exists()


def test_an_empty_database_is_refused_where_the_center_has_history(
    store_url: str, marker: Path, opened: EventStore, pg_url_or_none: str | None
) -> None:
    """An empty database (a new PostgreSQL database, a fresh file) where the marker says
    the center has a log is refused."""
    empty = _empty_database(store_url, pg_url_or_none, marker.parent)
    with EventStore(empty) as store, pytest.raises(LogMismatch, match=r"holds no event log, but .* says"):
        store.open_log(marker, "BAKU1")


def test_another_log_is_refused(
    store_url: str, marker: Path, opened: EventStore, pg_url_or_none: str | None
) -> None:
    """A database holding another log (another center's --db, a restore of the wrong file)."""
    other = _empty_database(store_url, pg_url_or_none, marker.parent)
    with EventStore(other) as store:
        store.open_log(marker.parent / "other.json", "BAKU1")
        store.append([_request(1)])
    with EventStore(other) as store, pytest.raises(LogMismatch, match="holds another log than the one"):
        store.open_log(marker, "BAKU1")


def test_another_centers_log_is_refused(store_url: str, marker: Path, opened: EventStore) -> None:
    marker.unlink()
    with pytest.raises(LogMismatch, match="is the event log of center BAKU1, not GANJA1"):
        opened.open_log(marker, "GANJA1")


def test_a_shorter_log_is_refused(store_url: str, marker: Path, opened: EventStore) -> None:
    """Events cut off the end (or an older backup put back): the tickets they issued would
    be issued again, so the start is refused, saying how to go on on purpose."""
    tamper(store_url, "DELETE FROM events WHERE seq = 5")
    with pytest.raises(LogMismatch) as caught:
        opened.open_log(marker, "BAKU1")
    assert "ends at event 4, but this center wrote up to event 5" in str(caught.value)
    assert f"move {marker} away first" in str(caught.value)


def test_a_rewritten_head_is_named(store_url: str, marker: Path, opened: EventStore) -> None:
    """The last event rewritten with a fresh hash: not the event the center wrote."""
    tamper(store_url, "UPDATE events SET hash = :h WHERE seq = 5", h="f" * 64)
    with pytest.raises(LogCorrupt) as caught:
        opened.open_log(marker, "BAKU1")
    assert caught.value.seq == 5
    assert "event 5 is not the one this center wrote" in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "seq", "problem"),
    [
        (
            "UPDATE events SET payload = replace(payload, 'A006', 'A106') WHERE seq = 6",
            6,
            "hash does not match",
        ),
        ("UPDATE events SET prev_hash = :h WHERE seq = 7", 7, "previous-hash link broken"),
        ("DELETE FROM events WHERE seq = 6", 6, "event 6 missing: log jumps from 5 to 7"),
    ],
)
def test_a_start_names_a_broken_event_written_since_the_marker(
    store_url: str, marker: Path, opened: EventStore, sql: str, seq: int, problem: str
) -> None:
    opened.open_log(marker, "BAKU1")
    opened.append([_request(n) for n in range(6, 9)])
    opened._engine.dispose()  # a crash: the marker still says 5
    tamper(store_url, sql, h="0" * 64)
    with EventStore(store_url) as again, pytest.raises(LogCorrupt) as caught:
        again.open_log(marker, "BAKU1")
    assert caught.value.seq == seq
    assert problem in str(caught.value)
    assert str(caught.value).startswith("the event log is damaged: ")


def test_a_start_names_a_broken_reply(store_url: str, marker: Path, opened: EventStore) -> None:
    opened.open_log(marker, "BAKU1")
    opened.append([_request(6), _request(7)])
    opened._engine.dispose()
    tamper(store_url, "UPDATE replies SET reply = :r WHERE pos = 6", r='{"n":66}')
    with EventStore(store_url) as again, pytest.raises(LogCorrupt) as caught:
        again.open_log(marker, "BAKU1")
    assert caught.value.reply == 6
    assert "reply 6 (kiosk:kiosk-1 r6): hash does not match its content" in str(caught.value)


def test_a_damaged_marker_is_refused(store_url: str, marker: Path, opened: EventStore) -> None:
    marker.write_text("{not json")
    with pytest.raises(LogMismatch, match="is not a log marker novbe wrote"):
        opened.open_log(marker, "BAKU1")


def test_the_marker_records_the_heads_on_close(store_url: str, marker: Path, opened: EventStore) -> None:
    opened.open_log(marker, "BAKU1")
    opened.append([_request(6)])
    opened.close()
    written = json.loads(marker.read_text())
    assert (written["events"]["seq"], written["replies"]["pos"]) == (6, 6)
    assert written["database"] == sa.make_url(store_url).render_as_string(hide_password=True)


def test_an_unreachable_database_is_a_store_error(marker: Path) -> None:
    """PostgreSQL down at start: a StoreError (the server exits 3), not a refusal."""
    marker.parent.mkdir()
    with (
        EventStore("postgresql+psycopg://nobody@127.0.0.1:1/none") as store,
        pytest.raises(StoreError) as caught,
    ):
        store.open_log(marker, "BAKU1")
    assert not isinstance(caught.value, LogMismatch | LogCorrupt)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def pg_url_or_none(store_url: str, request: pytest.FixtureRequest) -> str | None:
    """The PostgreSQL admin URL when the test runs on PostgreSQL."""
    if store_url.startswith("postgresql"):
        url: str = request.getfixturevalue("pg_url")
        return url
    return None


def _empty_database(store_url: str, admin_url: str | None, folder: Path) -> str:
    """A new, empty database of the same kind as ``store_url``."""
    if admin_url is None:
        (folder / "other.db").touch()  # SQLite's new database is an empty file
        return f"sqlite:///{folder / 'other.db'}"
    return pg.create_database(admin_url)
