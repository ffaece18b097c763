"""Reports from the central record: each complete day read once into a digest, and the same
report whether a day comes from its digest or from its events."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord
from central.reports import read_center, read_days
from central.ship import ConfigWatch, Shipper
from report.build import build_report
from report.periods import span
from server.reference import reference_center
from server.simulate.run import FIRST_DAY, center_setup, read_center as read_center_file
from server.simulate.store import open_store_dir, run_days_to_store
from server.store import EventStore
from tests import pg

from .figures import assert_same_figures

# One worker builds the module's fixture of simulated, shipped days (make test: --dist loadgroup).
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("central-reports")]

PERIOD = span(FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2))


@pytest.fixture(scope="module")
def three_days(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """BAKU1's three simulated days, shipped to a central record of their own."""
    url = pg.create_database(pg_url, prefix="central")
    center = read_center_file(reference_center())
    folder = tmp_path_factory.mktemp("BAKU1")
    with CentralRecord(url) as record:
        record.migrate()
        record.add_center("BAKU1")
        store = open_store_dir(folder, center)
        run_days_to_store(center_setup(center), 3, 2, store)
        Shipper(store, record, "BAKU1", config=ConfigWatch(folder / "center.toml")).ship_pending()
        store.close()
    yield url, folder
    pg.drop_database(pg_url, url)


def _forget_digests(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM day_digests"))
    engine.dispose()


def test_complete_days_are_read_once_and_the_report_stays_the_hall_s(three_days: tuple[str, Path]) -> None:
    url, folder = three_days
    _forget_digests(url)
    center = read_center_file(folder / "center.toml")
    with EventStore(f"sqlite:///{folder / 'novbe.db'}") as store:
        own = build_report(store, center, PERIOD)
    first, how = read_center(url, "BAKU1", PERIOD)
    assert (how.digested, how.read, how.kept) == (0, 3, 2), "the last day is not complete: not digested"
    again, how = read_center(url, "BAKU1", PERIOD)
    assert (how.digested, how.read, how.kept) == (2, 1, 0)
    for part in (first, again):
        assert_same_figures(part.report.figures, own.figures)
        assert_same_figures(part.report.before, own.before)
        assert part.report.index == own.index


def test_a_digest_made_with_another_configuration_is_made_again(three_days: tuple[str, Path]) -> None:
    """The hours are the center's local hours: a new time zone reads the days again."""
    url, folder = three_days
    with CentralRecord(url) as record:
        center = read_center_file(folder / "center.toml")
        read_days(record, "BAKU1", center, FIRST_DAY, FIRST_DAY + timedelta(days=2))
        moved = center.model_copy(
            update={"hours": center.hours.model_copy(update={"timezone": "Europe/Istanbul"})}
        )
        facts, how = read_days(record, "BAKU1", moved, FIRST_DAY, FIRST_DAY + timedelta(days=2))
        assert (how.digested, how.read, how.kept) == (0, 3, 2)
        assert min(facts.t_hour) == 8, "09:00 in Baku is 08:00 in Istanbul"
        _, how = read_days(record, "BAKU1", center, FIRST_DAY, FIRST_DAY + timedelta(days=2))
        assert (how.digested, how.read) == (0, 3)


def test_a_read_only_role_gets_its_report_and_leaves_no_digest(three_days: tuple[str, Path]) -> None:
    url, _ = three_days
    _forget_digests(url)
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text("DROP ROLE IF EXISTS head_office"))
        conn.execute(sa.text("CREATE ROLE head_office LOGIN"))
        conn.execute(sa.text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO head_office"))
    try:
        reader = sa.engine.make_url(url).set(username="head_office").render_as_string(hide_password=False)
        part, how = read_center(reader, "BAKU1", PERIOD)
        assert (how.read, how.kept) == (3, 0)
        assert part.report.figures.center.tickets > 0
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text("DROP OWNED BY head_office"))
            conn.execute(sa.text("DROP ROLE head_office"))
        admin.dispose()


def test_digest_command_reads_every_complete_day_ahead(three_days: tuple[str, Path]) -> None:
    url, _ = three_days
    _forget_digests(url)
    command = [sys.executable, "-m", "novbe", "central", "digest", "--central", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "BAKU1: 2 day(s) read, 2 digested, 0 digested before\n"
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.stdout == "BAKU1: 0 day(s) read, 0 digested, 2 digested before\n"
