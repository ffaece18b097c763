"""Fixtures of the central record's tests: a fresh central database in the test PostgreSQL
server, and halls' logs to ship to it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord
from server.store import Commit, EventStore
from tests import pg
from tests.store.helpers import ALL_EVENTS, issued

from .proxy import Proxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def central_url(pg_url: str) -> Iterator[str]:
    """A new, migrated central database."""
    url = pg.create_database(pg_url, prefix="central")
    with CentralRecord(url) as record:
        record.migrate()
    yield url
    pg.drop_database(pg_url, url)


@pytest.fixture
def record(central_url: str) -> Iterator[CentralRecord]:
    """The central record, with center BAKU1 registered."""
    with CentralRecord(central_url) as record:
        record.add_center("BAKU1")
        yield record


HALL_EVENTS = len(ALL_EVENTS) + 100
"""The events of :func:`hall_log`'s default log: every event type, then 100 tickets."""


def hall_log(path: Path, tickets: int = 100) -> EventStore:
    """A hall's SQLite log: every event type, then ``tickets`` tickets issued."""
    store = EventStore(f"sqlite:///{path}")
    store.migrate()
    store.append([Commit(ALL_EVENTS)])
    if tickets:
        store.append([Commit([issued(n) for n in range(1, tickets + 1)])])
    return store


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[EventStore]:
    """A hall's log of ``HALL_EVENTS`` events."""
    store = hall_log(tmp_path / "hall.db")
    yield store
    store.close()


@pytest.fixture
def proxy(pg_url: str) -> Iterator[Proxy]:
    """A TCP proxy to the test PostgreSQL server, for cutting the link."""
    port = sa.engine.make_url(pg_url).port
    assert port is not None
    link = Proxy(port)
    yield link
    link.close()


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Wait until ``condition()`` is true, or fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(0.05)
