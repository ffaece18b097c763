"""Shared runs for the simulator tests: long runs are made once per test process."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from server.center import Center
from server.queue import QueueEngine
from server.reference import reference_center
from server.simulate.day import TicketOutcome
from server.simulate.run import read_center
from server.simulate.theory import pooled_hall, run_pooled

REFERENCE = reference_center()

MEAN_SERVICE = 2.0
"""Minutes. The time scale is free in M/M/c; 2 min keeps a day under 999 tickets per prefix."""

MMC9_DAYS = 40
"""About 184,000 citizens after the warm-ups (4,600 a day): see test_erlang.py for why."""


@pytest.fixture(scope="session")
def reference_path() -> Path:
    if not REFERENCE.exists():
        pytest.skip("reference center description not available")
    return REFERENCE


@pytest.fixture(scope="session")
def reference(reference_path: Path) -> Center:
    return read_center(reference_path)


@pytest.fixture(scope="session")
def mmc9() -> list[TicketOutcome]:
    """M/M/10 with 9 Erlangs offered (rho = 0.9), one long run with a fixed seed (the engine's
    default estimator: the waits, not the printed estimates, are what is checked)."""
    hall = pooled_hall(10, MEAN_SERVICE, lanes=8)
    rate = 9.0 / MEAN_SERVICE
    return run_pooled(
        hall, lambda _t: rate, rate, MMC9_DAYS, random.Random(20261123), engine=QueueEngine(hall)
    )
