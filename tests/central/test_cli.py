"""``novbe central`` and ``novbe report --central`` as an administrator runs them."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord, ChainRefused
from central.ship import ConfigWatch, Shipper
from server.center import dump_center
from server.reference import reference_center
from server.simulate.run import FIRST_DAY, center_setup, read_center
from server.simulate.store import open_store_dir, run_days_to_store
from server.store import MARKER_NAME, EventStore
from tests import pg
from tests.server.harness import ServerProcess, kiosk

from .conftest import hall_log
from .halls import make_center
from .proxy import Proxy
from .test_ship import via

# One worker builds the module's fixture of simulated, shipped days (make test: --dist loadgroup).
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("central-cli")]


@dataclass(frozen=True)
class Shipped:
    url: str
    folders: dict[str, Path]


@pytest.fixture(scope="module")
def shipped(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shipped]:
    """Two centers, a simulated day each, shipped to a central record of their own."""
    url = pg.create_database(pg_url, prefix="central")
    folders = {}
    with CentralRecord(url) as record:
        record.migrate()
        for code, seed in (("BAKU1", 3), ("GANJA1", 4)):
            center = read_center(reference_center()).model_copy(update={"code": code})
            folder = tmp_path_factory.mktemp(code)
            store = open_store_dir(folder, center)
            run_days_to_store(center_setup(center), 1, seed, store)
            record.add_center(code)
            Shipper(store, record, code, config=ConfigWatch(folder / "center.toml")).ship_pending()
            store.close()
            folders[code] = folder
    yield Shipped(url, folders)
    pg.drop_database(pg_url, url)


def novbe(*args: str, central: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOVBE_CENTRAL", "NOVBE_DB")}
    if central is not None:
        env["NOVBE_CENTRAL"] = central
    return subprocess.run(
        [sys.executable, "-m", "novbe", *args], capture_output=True, text=True, check=False, env=env
    )


def test_central_commands_set_up_register_and_tell_how_shipping_goes(central_url: str) -> None:
    done = novbe("central", "init", central=central_url)
    assert (done.returncode, "already at schema revision 0001" in done.stdout) == (0, True)
    done = novbe("central", "add", "BUS07", central=central_url)
    assert (done.returncode, "BUS07 registered" in done.stdout) == (0, True)
    assert "registered already" in novbe("central", "add", "BUS07", central=central_url).stdout
    status = novbe("central", "status", central=central_url)
    assert status.returncode == 0
    assert status.stdout.splitlines()[1].split()[:2] == ["BUS07", "0"]
    alerts = novbe("central", "alerts", central=central_url)
    assert (alerts.returncode, alerts.stdout, alerts.stderr) == (0, "", "novbe central: 0 alert(s)\n")


def test_central_alerts_follow_prints_each_refusal_as_it_comes(
    central_url: str, proxy: Proxy, tmp_path: Path
) -> None:
    """Each alert once per count, through a lost connection too: it listens again by itself."""
    with CentralRecord(central_url) as record:
        record.add_center("BAKU1")
        hall = hall_log(tmp_path / "hall.db")
        rows = hall.rows(0, 1000)
        hall.close()
        rows[60] = dataclasses.replace(rows[60], payload=rows[60].payload.replace("A0", "A9"))
        env = {**os.environ, "NOVBE_CENTRAL": via(proxy, central_url)}
        follow = subprocess.Popen(
            [sys.executable, "-m", "novbe", "central", "alerts", "--follow"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert follow.stderr is not None
            assert follow.stdout is not None
            assert "following the alerts" in follow.stderr.readline()
            for times in (1, 2):
                with pytest.raises(ChainRefused):
                    record.ship("BAKU1", rows)
                line = json.loads(follow.stdout.readline())
                got = (line["center"], line["kind"], line["seq"], line["times"])
                assert got == ("BAKU1", "hash", 61, times)
                assert line["detail"] == "event 61 of BAKU1: hash does not match its content"
                if times == 1:
                    proxy.cut()
                    assert "unreachable" in follow.stderr.readline()
                    proxy.restore()
                    assert "following the alerts" in follow.stderr.readline()
            follow.send_signal(signal.SIGINT)
            assert follow.wait(30) == 0
            assert follow.stdout.read() == ""  # the first alert was not printed again
        finally:
            if follow.poll() is None:
                follow.kill()
                follow.wait()


def test_central_verify_finds_a_row_changed_behind_the_record_s_back(shipped: Shipped) -> None:
    """Even someone who may switch the append-only trigger off cannot change an event unseen."""
    done = novbe("central", "verify", central=shipped.url)
    assert done.returncode == 0
    assert "BAKU1: chain intact" in done.stdout
    engine = sa.create_engine(shipped.url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
        conn.execute(
            sa.text("UPDATE events SET payload = payload || ' ' WHERE center = 'GANJA1' AND seq = 100")
        )
    try:
        done = novbe("central", "verify", "--code", "GANJA1", central=shipped.url)
        assert done.returncode == 1
        assert done.stdout == "GANJA1: BROKEN at event 100: event 100: hash does not match its content\n"
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE events SET payload = rtrim(payload) WHERE center = 'GANJA1' AND seq = 100")
            )
            conn.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
        engine.dispose()


def test_a_hall_log_is_restored_from_the_central_copy(shipped: Shipped, tmp_path: Path) -> None:
    """The hall's own rows come back, byte for byte; the chain verifies; the hall goes on:
    its server adopts the restored log and numbers the next event after the last shipped."""
    home = make_center(tmp_path, "GANJA1")  # the hall set up again: its folder, no log
    done = novbe("central", "export", "GANJA1", "--db", home.db_url, central=shipped.url)
    assert done.returncode == 0, done.stderr
    assert "the chain verifies" in done.stdout
    with (
        EventStore(home.db_url) as restored,
        EventStore(f"sqlite:///{shipped.folders['GANJA1'] / 'novbe.db'}") as own,
    ):
        assert restored.rows(0, 10**6) == own.rows(0, 10**6)
        last = own.last_seq()
    assert novbe("audit", "verify", "--db", home.db_url).returncode == 0
    again = novbe("central", "export", "GANJA1", "--db", home.db_url, central=shipped.url)
    assert (again.returncode, "already holds events" in again.stderr) == (1, True)
    server = ServerProcess(home).start()
    try:
        booth = kiosk(server)
        service = read_center(reference_center()).agencies[0].services[0].code
        assert booth.request("issue", service=service)["type"] == "reply"
        booth.close()
    finally:
        server.stop()
    with EventStore(home.db_url) as restored:
        assert restored.last_seq() > last
        assert restored.verify().ok
    assert json.loads((home.path / MARKER_NAME).read_text(encoding="utf-8"))["events"]["seq"] > last


def test_central_queues_in_each_language(shipped: Shipped, tmp_path: Path) -> None:
    page = tmp_path / "queues.html"
    done = novbe("central", "queues", "--lang", "ru", "--html", str(page), central=shipped.url)
    assert done.returncode == 0, done.stderr
    assert "Очереди всех центров" in done.stdout
    assert "Центр ASAN xidmət № 1 г. Баку" in done.stdout
    assert "Все центры" in done.stdout
    assert "Очереди всех центров" in page.read_text(encoding="utf-8")
    done = novbe("central", "queues", "--agencies", central=shipped.url)
    assert "Bütün mərkəzlərin növbələri" in done.stdout


def test_report_of_a_center_from_the_central_record_is_its_own(shipped: Shipped, tmp_path: Path) -> None:
    """The same CSV, byte for byte, from the hall's log and from the central record."""
    day = FIRST_DAY.isoformat()
    own = novbe("report", "--dir", str(shipped.folders["GANJA1"]), "--day", day, "--format", "csv",
                "--out", str(tmp_path / "own"))  # fmt: skip
    assert own.returncode == 0, own.stderr
    central = novbe("report", "--central", shipped.url, "--code", "GANJA1", "--day", day, "--format", "csv",
                    "--out", str(tmp_path / "central"))  # fmt: skip
    assert central.returncode == 0, central.stderr
    name = f"report-{day}-az.csv"
    assert (tmp_path / "central" / "GANJA1" / name).read_bytes() == (tmp_path / "own" / name).read_bytes()


def test_national_report_from_the_command_line(shipped: Shipped, tmp_path: Path) -> None:
    done = novbe("report", "--central", shipped.url, "--day", FIRST_DAY.isoformat(), "--lang", "en",
                 "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    stem = f"report-national-{FIRST_DAY.isoformat()}-en"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{stem}-matrix.csv", f"{stem}.csv", f"{stem}.html"]
    rows = list(csv.DictReader((tmp_path / f"{stem}.csv").open(encoding="utf-8")))
    centers = [r for r in rows if r["level"] == "center"]
    assert [r["key"] for r in centers] == ["BAKU1", "GANJA1"]
    assert int(rows[0]["tickets"]) == sum(int(r["tickets"]) for r in centers)
    assert "All centers: report" in (tmp_path / f"{stem}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["central", "status"], "novbe central: no central database given; give --central"),
        (["central", "add", "no such code!", "--central", "postgresql://x@h/db"], "is not a center code"),
        (
            ["central", "queues", "--watch", "0", "--central", "postgresql://x@h/db"],
            "--watch must be a positive number of seconds",
        ),
        (["report", "--code", "BAKU1"], "--code names a center of the central record"),
    ],
)
def test_central_commands_answer_a_mistake_in_one_line(args: list[str], problem: str) -> None:
    done = novbe(*args)
    assert done.returncode == 2
    assert problem in done.stderr
    assert done.stderr.count("\n") == 1


def test_report_names_a_center_the_record_does_not_have(shipped: Shipped) -> None:
    done = novbe("report", "--central", shipped.url, "--code", "NOPE1")
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "no center NOPE1 in the central record" in done.stderr


def test_central_commands_say_when_the_database_is_not_there() -> None:
    done = novbe("central", "status", central="postgresql://nobody@127.0.0.1:1/central")
    assert (done.returncode, done.stderr.count("\n")) == (3, 1)
    assert "unreachable" in done.stderr


def test_the_bus_center_file_is_a_center_file(tmp_path: Path) -> None:
    """A mobile unit is a center of its own code: novbe simulate --store and ship take it."""
    bus = read_center(reference_center()).model_copy(update={"code": "BUS07"})
    path = tmp_path / "center.toml"
    path.write_text(dump_center(bus), encoding="utf-8")
    with EventStore(f"sqlite:///{tmp_path / 'novbe.db'}") as store:
        store.migrate()
    assert ConfigWatch(path)() is not None
