"""Fixtures shared by all tests: a PostgreSQL server, and the database URLs
that make every store test run on both SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg


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
