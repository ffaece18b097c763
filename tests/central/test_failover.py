"""The central database fails over: its primary dies mid-stream, a streaming-replication
standby is promoted, and the shippers go on against it without a change of configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord
from central.ship import Shipper
from server.store import EventStore
from tests import pg

from .conftest import hall_log, wait_for
from .test_record import central_rows, local_rows
from .test_ship import Writer, shipping

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pair() -> Iterator[tuple[pg.Cluster, pg.Cluster]]:
    """A primary and its streaming standby, each a throwaway cluster of its own."""
    if not pg.available():
        pytest.skip(f"PostgreSQL server binaries not found in {pg.BINDIR}")
    primary, standby = pg.Cluster(), pg.Cluster()
    try:
        primary.start()
        with CentralRecord(primary.url()) as record:
            record.migrate()
            record.add_center("BAKU1")
        standby.start_standby(primary)
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()


def _read_only(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar())
    finally:
        engine.dispose()


def test_shipping_goes_on_against_a_standby_promoted_mid_stream(
    pair: tuple[pg.Cluster, pg.Cluster], tmp_path: Path
) -> None:
    """Both hosts in one URL, ``target_session_attrs=read-write``: the shipper finds the
    promoted standby by itself; whatever the standby had not received yet is sent again
    from the hall's log; nothing lost, nothing twice, the chain whole."""
    primary, standby = pair
    assert _read_only(standby.url())
    both = (
        f"postgresql://{primary.user}@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/postgres"
        "?target_session_attrs=read-write"
    )
    hall: EventStore = hall_log(tmp_path / "hall.db")
    with shipping(Shipper(hall, CentralRecord(both), "BAKU1", batch=40, poll=0.05)):
        writer = Writer(hall)
        try:
            with CentralRecord(primary.url()) as old:
                wait_for(lambda: old.head("BAKU1").seq > 500, what="shipping to the primary")
            primary.kill()
            standby.promote()
            with CentralRecord(standby.url()) as new:
                promoted_at = new.head("BAKU1").seq
                wait_for(lambda: new.head("BAKU1").seq > promoted_at + 500, what="shipping to the standby")
        finally:
            writer.close()
        with CentralRecord(standby.url()) as new:
            last = hall.last_seq()
            wait_for(lambda: new.head("BAKU1").seq == last, what="catching up")
            assert new.verify("BAKU1").ok
    assert not _read_only(standby.url())
    assert central_rows(standby.url()) == local_rows(hall)
    hall.close()
