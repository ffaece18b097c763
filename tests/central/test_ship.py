"""The shipper: everything once, in order, through cuts, kills and a restored log."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord, ChainRefused
from central.ship import ConfigWatch, Shipper
from server.store import Commit, EventStore
from tests.proc import finish
from tests.server.harness import make_home
from tests.store.helpers import ALL_EVENTS, issued

from .conftest import HALL_EVENTS, hall_log, wait_for
from .proxy import Proxy
from .test_record import central_rows, local_rows

pytestmark = pytest.mark.postgres


def via(proxy: Proxy, url: str) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    return (
        sa.engine.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )


class Writer:
    """A hall writing its log meanwhile: a commit of a few tickets every few milliseconds."""

    def __init__(self, store: EventStore, first: int = 10_000) -> None:
        self.store = store
        self.n = first
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.store.append([Commit([issued(self.n + i) for i in range(3)])])
            self.n += 3
            time.sleep(0.01)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


@contextmanager
def shipping(shipper: Shipper) -> Iterator[None]:
    """``shipper`` running in a thread of its own meanwhile."""
    stop = threading.Event()
    running = threading.Thread(target=shipper.run, args=(stop,), daemon=True)
    running.start()
    try:
        yield
    finally:
        stop.set()
        running.join(10)
        shipper.record.close()


def test_shipper_ships_everything_once_and_resumes_where_the_central_side_stopped(
    record: CentralRecord, hall: EventStore
) -> None:
    """A new shipper (a restart) asks the central side, and sends only what it lacks."""
    assert Shipper(hall, record, "BAKU1").ship_pending() == HALL_EVENTS
    assert Shipper(hall, record, "BAKU1").ship_pending() == 0
    hall.append([Commit([issued(n) for n in range(500, 520)])])
    shipper = Shipper(hall, record, "BAKU1", batch=7)
    assert shipper.ship_pending() == 20
    assert central_rows(record.url.render_as_string(hide_password=False)) == local_rows(hall)
    assert record.verify("BAKU1").ok


def test_shipper_sends_the_configuration_with_its_secrets_withheld(
    record: CentralRecord, tmp_path: Path
) -> None:
    home = make_home(tmp_path / "center")
    store = hall_log(tmp_path / "hall.db", tickets=3)
    watch = ConfigWatch(home.path / "center.toml")
    Shipper(store, record, "BAKU1", config=watch).ship_pending()
    kept = record.config("BAKU1")
    assert kept is not None
    assert kept.devices == []
    assert watch() is None, "unchanged: not sent again"
    assert watch(again=True) is not None, "but given again when the shipper resumes"
    store.close()


def test_shipper_waits_out_a_cut_link_and_the_hall_goes_on(
    central_url: str, record: CentralRecord, hall: EventStore, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    """The link goes down while the hall writes: the hall never waits, and once the link is
    back the shipper catches up; nothing lost, nothing twice."""
    caplog.set_level(logging.WARNING, logger="novbe.ship")
    with shipping(Shipper(hall, CentralRecord(via(proxy, central_url)), "BAKU1", batch=50, poll=0.05)):
        writer = Writer(hall)
        try:
            wait_for(lambda: record.head("BAKU1").seq > 300, what="shipping before the cut")
            proxy.cut()
            cut_at = hall.last_seq()
            time.sleep(3)
            assert hall.last_seq() > cut_at + 300, "the hall kept writing while the link was down"
            during = record.head("BAKU1").seq
            proxy.restore()
            wait_for(lambda: record.head("BAKU1").seq > during + 300, what="shipping after the cut")
        finally:
            writer.close()
        last = hall.last_seq()
        wait_for(lambda: record.head("BAKU1").seq == last, what="catching up")
    assert central_rows(central_url) == local_rows(hall)
    assert record.verify("BAKU1").ok
    assert any("unreachable" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_shipper_gives_up_on_a_link_that_died_silently(
    central_url: str, record: CentralRecord, hall: EventStore, proxy: Proxy
) -> None:
    """A link that swallows everything (no reset, no answer): the shipper stops waiting on
    its own (TCP keepalives, tcp_user_timeout) and resumes once the link is back."""
    with shipping(Shipper(hall, CentralRecord(via(proxy, central_url)), "BAKU1", batch=50, poll=0.05)):
        writer = Writer(hall)
        try:
            wait_for(lambda: record.head("BAKU1").seq > 200, what="shipping before")
            proxy.blackhole()
            time.sleep(20)
            proxy.cut()
            proxy.restore()
            stuck = record.head("BAKU1").seq
            wait_for(lambda: record.head("BAKU1").seq > stuck + 200, timeout=60, what="shipping after")
        finally:
            writer.close()
        last = hall.last_seq()
        wait_for(lambda: record.head("BAKU1").seq == last, timeout=60, what="catching up")
    assert central_rows(central_url) == local_rows(hall)


def _ship_command(home: Path, db: Path, central: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "novbe", "ship", "--dir", str(home), "--db", f"sqlite:///{db}",
            "--central", central, *more]  # fmt: skip


def test_shipper_killed_again_and_again_loses_and_doubles_nothing(
    central_url: str, record: CentralRecord, tmp_path: Path
) -> None:
    """``novbe ship`` killed with SIGKILL mid-stream, three times, then run to the end."""
    home = make_home(tmp_path / "center")
    db = tmp_path / "hall.db"
    store = hall_log(db, tickets=0)
    store.append([Commit([issued(n) for n in range(i, i + 1000)]) for i in range(1, 15_001, 1000)])
    for _ in range(3):
        child = subprocess.Popen(
            _ship_command(home.path, db, central_url, "--batch", "100"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        before = record.head("BAKU1").seq
        wait_for(lambda before=before: record.head("BAKU1").seq > before + 300, what="the shipper shipping")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert record.head("BAKU1").seq < store.last_seq(), "killed before the end"
    done = subprocess.run(
        _ship_command(home.path, db, central_url, "--once"), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert central_rows(central_url) == local_rows(store)
    assert record.verify("BAKU1").ok
    store.close()


def test_shipper_stops_on_sigterm_after_its_batch(
    central_url: str, record: CentralRecord, tmp_path: Path
) -> None:
    home = make_home(tmp_path / "center")
    db = tmp_path / "hall.db"
    hall_log(db).close()
    child = subprocess.Popen(
        _ship_command(home.path, db, central_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for(lambda: record.head("BAKU1").seq == HALL_EVENTS, what="shipping")
    child.send_signal(signal.SIGTERM)
    _, err = finish(child, 20)
    assert child.returncode == 0, err
    assert '"msg": "stopped"' in err


def test_a_hall_log_restored_from_an_older_copy_is_refused_at_once(
    record: CentralRecord, hall: EventStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The hall's log is replaced by a backup older than what it shipped, and the hall goes
    on writing: the central copy is kept, and the new events are refused as a fork."""
    caplog.set_level(logging.WARNING, logger="novbe.ship")
    Shipper(hall, record, "BAKU1").ship_pending()
    older = EventStore(f"sqlite:///{tmp_path / 'older.db'}")
    older.migrate()
    older.append([Commit(ALL_EVENTS)])  # the same first events: the same hashes
    shipper = Shipper(older, record, "BAKU1")
    assert shipper.ship_pending() == 0
    assert "restored from an older copy" in caplog.text
    older.append([Commit([issued(n) for n in range(900, 905)])])  # differs from what was shipped
    with pytest.raises(
        ChainRefused, match=f"event {len(ALL_EVENTS) + 1} is not the event BAKU1 shipped before"
    ):
        shipper.ship_pending()
    assert central_rows(record.url.render_as_string(hide_password=False)) == local_rows(hall)
    assert [a.kind for a in record.alerts()] == ["fork"]
    older.close()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "no central database given; give --central"),
        (["--central", "sqlite:///x.db"], "the central record is a PostgreSQL database"),
        (
            ["--central", "postgresql://x@127.0.0.1:1/db", "--batch", "0"],
            "--batch and --poll must be positive",
        ),
    ],
)
def test_ship_command_answers_a_mistake_in_one_line(tmp_path: Path, args: list[str], problem: str) -> None:
    home = make_home(tmp_path / "center")
    hall_log(home.path / "novbe.db", tickets=1).close()
    env = {k: v for k, v in os.environ.items() if k not in ("NOVBE_CENTRAL", "NOVBE_DB")}
    done = subprocess.run(
        [sys.executable, "-m", "novbe", "ship", "--dir", str(home.path), *args],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("novbe ship: ")
    assert problem in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_ship_command_refuses_a_folder_without_a_log(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    done = subprocess.run(
        [sys.executable, "-m", "novbe", "ship", "--dir", str(home.path), "--central", "postgresql://x@h/db"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "no event log at" in done.stderr


def test_ship_once_says_why_it_could_not_ship(central_url: str, tmp_path: Path) -> None:
    """Unreachable: status 3; a center not registered: status 1; each with one line."""
    home = make_home(tmp_path / "center")
    db = tmp_path / "hall.db"
    hall_log(db, tickets=1).close()
    down = "postgresql://nobody@127.0.0.1:1/central"
    done = subprocess.run(
        _ship_command(home.path, db, down, "--once"), capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr.count("\n")) == (3, 1)
    assert "unreachable" in done.stderr
    done = subprocess.run(
        _ship_command(home.path, db, central_url, "--once"), capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr.count("\n")) == (1, 1)
    assert "center BAKU1 is not registered" in done.stderr
