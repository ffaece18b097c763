"""Simulated days written through the real store, shared by the report tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.center import Center
from server.reference import reference_center
from server.simulate.run import center_setup, read_center
from server.simulate.store import StoreRun, open_store_dir, run_days_to_store
from server.store import EventStore

DAYS = 4
SEED = 5


@dataclass(frozen=True)
class Simulated:
    folder: Path
    center: Center
    run: StoreRun

    @property
    def url(self) -> str:
        return f"sqlite:///{self.folder / 'novbe.db'}"


@pytest.fixture(scope="session")
def reference() -> Center:
    return read_center(reference_center())


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory, reference: Center) -> Simulated:
    """Four days of the reference center (from Monday 2026-11-23), in a SQLite log."""
    folder = tmp_path_factory.mktemp("center")
    store = open_store_dir(folder, reference)
    try:
        run = run_days_to_store(center_setup(reference), DAYS, SEED, store)
    finally:
        store.close()
    return Simulated(folder, reference, run)


@pytest.fixture
def store(simulated: Simulated) -> Iterator[EventStore]:
    with EventStore(simulated.url) as store:
        yield store
