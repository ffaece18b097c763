"""Fixtures shared by all tests: a center's folder and a real server process on it, a
PostgreSQL server, and the database URLs that make every store test run on both SQLite
and PostgreSQL. Qt runs offscreen in every test (set before anything imports Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg
from tests.hardware.conftest import READY, PtyPrinter
from tests.server.harness import Home, ServerProcess, make_home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """A fresh copy of the reference center (open around the clock, demo passwords)."""
    return make_home(tmp_path / "center")


@pytest.fixture
def printer() -> Iterator[PtyPrinter]:
    """A thermal printer at the far end of a pty pair, answering status queries as ready."""
    pty = PtyPrinter(READY)
    yield pty
    pty.close()


@pytest.fixture
def server(home: Home) -> Iterator[ServerProcess]:
    """A real `novbe server` process on a free loopback port, stopped after the test."""
    proc = ServerProcess(home).start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.stop()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database to create test databases from.

    ``NOVBE_TEST_PG_URL`` if set; otherwise a throwaway cluster for this test
    process (each xdist worker starts its own).
    """
    url = os.environ.get("NOVBE_TEST_PG_URL")
    if url:
        yield url
        return
    if not pg.available():
        pytest.skip(f"PostgreSQL server binaries not found in {pg.BINDIR} (set NOVBE_TEST_PG_URL)")
    with pg.running_cluster() as cluster:
        yield cluster.url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    admin_url: str = request.getfixturevalue("pg_url")
    url = pg.create_database(admin_url)
    try:
        yield url
    finally:
        pg.drop_database(admin_url, url)
