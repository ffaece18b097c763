"""Real halls shipping to one real central PostgreSQL: the link cut for minutes while they
issue and serve, a shipper and a server killed, a bus two days offline; then every log is
in the central record, once, its chain verified, and the central figures are the sum of
the centers' own."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from central import CentralRecord
from central.queues import NationalQueues
from central.reports import read_centers
from report.build import build_report
from report.national import national_report
from report.periods import span
from server.center import dump_center, load_center
from server.reference import reference_center
from server.simulate.run import read_center
from server.store import verify_log
from server.tally.facts import day_starts
from tests.server.harness import Home

from .conftest import wait_for
from .figures import assert_national_is_the_sum, assert_same_figures
from .halls import Hall, make_center
from .proxy import Proxy
from .test_record import central_rows, local_rows
from .test_ship import via

pytestmark = pytest.mark.postgres

OUTAGE_S = float(os.environ.get("NOVBE_TEST_OUTAGE_S", "120"))
"""How long the halls' link is down (two minutes; shorten it while working on the test)."""


def _services() -> list[str]:
    """Two services of the agency the driven counters serve, and one nobody serves today."""
    center = read_center(reference_center())
    din = next(a for a in center.agencies if a.code == "DIN")
    other = next(a for a in center.agencies if a.code != "DIN")
    return [din.services[0].code, din.services[1].code, other.services[0].code]


def _waiting_by_agency(snapshot: dict[str, object], services: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    queues = snapshot["queues"]
    assert isinstance(queues, dict)
    for code, queue in queues.items():
        out[services[code]] = out.get(services[code], 0) + queue["waiting"]
    return out


@pytest.mark.slow
def test_halls_ship_through_outages_and_kills_and_the_central_figures_add_up(
    central_url: str, proxy: Proxy, tmp_path: Path
) -> None:
    with CentralRecord(central_url) as record:
        for code in ("BAKU1", "GANJA1", "BUS07"):
            record.add_center(code)
    # The bus: two days on the road, offline, written through the real store.
    bus_file = tmp_path / "bus07.toml"
    bus_file.write_text(
        dump_center(read_center(reference_center()).model_copy(update={"code": "BUS07"})), encoding="utf-8"
    )
    simulated = subprocess.run(
        [sys.executable, "-m", "novbe", "simulate", "--center", str(bus_file), "--days", "2",
         "--store", str(tmp_path / "BUS07")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    bus_link = Proxy(proxy.target[1])
    bus_link.cut()
    bus = Hall(
        Home(tmp_path / "BUS07", f"sqlite:///{tmp_path / 'BUS07' / 'novbe.db'}"), via(bus_link, central_url)
    )

    central = via(proxy, central_url)
    halls = [Hall(make_center(tmp_path, code), central) for code in ("BAKU1", "GANJA1")]
    services = _services()
    every = [bus, *halls]
    try:
        bus.start_shipper()
        for hall in halls:
            hall.start_server()
            hall.start_shipper()
            hall.drive(services)
        record = CentralRecord(central_url)
        wait_for(lambda: all(record.head(h.code).seq > 50 for h in halls), what="first shipments")

        proxy.cut()
        cut_at = {h.code: record.head(h.code).seq for h in halls}
        began = time.monotonic()
        time.sleep(min(10.0, OUTAGE_S / 4))
        halls[1].kill_shipper()  # GANJA1's shipper dies with the link down...
        halls[1].start_shipper()  # ...and its replacement can't reach the central side either
        time.sleep(min(10.0, OUTAGE_S / 4))
        halls[0].kill_server()  # BAKU1's server dies mid-day and comes back
        halls[0].start_server()
        halls[0].drive(services)
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began)))
        assert {h.code: record.head(h.code).seq for h in halls} == cut_at, "nothing crossed a cut link"
        for hall in halls:
            assert hall.last_seq() > cut_at[hall.code] + 100, f"{hall.code} kept working"

        proxy.restore()
        bus_link.restore()  # the bus finds a connection
        time.sleep(3)
        for hall in halls:
            hall.stop_driving()
            assert not hall.errors, hall.errors[:3]

        def caught_up() -> bool:
            return all(record.head(hall.code).seq == hall.last_seq() for hall in every)

        wait_for(caught_up, timeout=120, what="every log in the central record")
        # The national view of the queues is each hall's own.
        view = {q.code: q for q in NationalQueues(record).refresh()}
        agency_of = {s.code: a.code for a in read_center(reference_center()).agencies for s in a.services}
        for hall in halls:
            own = _waiting_by_agency(hall.snapshot(), agency_of)
            shown = {a.agency: a.waiting for a in view[hall.code].agencies}
            assert shown == own
            assert view[hall.code].open
            assert view[hall.code].waiting == sum(own.values()) > 0
        assert not view["BUS07"].open  # its last day closed
        assert view["BUS07"].as_of is not None
        for hall in halls:
            hall.close_day()
        wait_for(caught_up, timeout=60, what="the closed days in the central record")

        for hall in every:
            with hall.log() as log:
                assert central_rows(central_url, hall.code) == local_rows(log), hall.code
            assert record.verify(hall.code).ok
            assert verify_log(hall.home.db_url).ok
        assert record.alerts() == []
        assert "unreachable" in halls[0].shipper_log.read_text()

        # Ticket ids repeat from center to center; the central record keeps them apart.
        engine = sa.create_engine(central_url)
        with engine.connect() as conn:
            shared = conn.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT payload::jsonb->>'ticket' FROM events"
                    " WHERE type = 'TicketIssued' GROUP BY 1 HAVING count(DISTINCT center) > 1) t"
                )
            ).scalar()
        engine.dispose()
        assert shared is not None
        assert shared > 10

        # The same reports, and the nation's figures the sum of the centers' own.
        days = sorted({d for h in every for _, d in day_starts(record.log(h.code))})
        period = span(days[0], days[-1])
        codes = [h.code for h in every]
        national = national_report(
            [p for p, _ in read_centers(central_url, codes, period, workers=2)], period
        )
        own = []
        for hall in sorted(every, key=lambda h: h.code):
            center = load_center(hall.home.path / "center.toml")
            with hall.log() as log:
                mine = build_report(log, center, period)
            own.append(mine.figures)
            got = national.centers[national.codes.index(hall.code)]
            assert_same_figures(got.figures, mine.figures)
            assert got.index == mine.index
        assert_national_is_the_sum(national.figures, own)
        assert {i.agency for i in national.standing} == set(codes)
        record.close()
    finally:
        for hall in every:
            hall.stop()
        bus_link.close()


def test_a_tampered_event_in_a_hall_log_is_refused_and_alerted(
    central_url: str, proxy: Proxy, tmp_path: Path
) -> None:
    """Someone edits an event the hall has not shipped yet: the central side keeps what came
    before, refuses the edited event and what follows, records an alert, and the shipper
    says so in its log; the hall itself goes on serving."""
    with CentralRecord(central_url) as record:
        record.add_center("BAKU1")
        hall = Hall(make_center(tmp_path, "BAKU1"), via(proxy, central_url))
        try:
            hall.start_server()
            hall.start_shipper()
            hall.drive(_services()[:1])
            wait_for(lambda: record.head("BAKU1").seq > 30, what="first shipments")
            proxy.cut()
            shipped = record.head("BAKU1").seq
            wait_for(lambda: hall.last_seq() > shipped + 20, what="more events in the hall")
            target = shipped + 10
            db = sqlite3.connect(hall.home.path / "novbe.db", timeout=10)
            with db:
                (payload,) = db.execute("SELECT payload FROM events WHERE seq = ?", (target,)).fetchone()
                content = {**json.loads(payload), "at": "2026-01-01T00:00:00+04:00"}
                edited = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                db.execute("UPDATE events SET payload = ? WHERE seq = ?", (edited, target))
            db.close()
            proxy.restore()
            wait_for(lambda: record.alerts() != [], what="the alert")
            (alert,) = record.alerts()
            assert (alert.center, alert.kind, alert.seq) == ("BAKU1", "hash", target)
            assert record.head("BAKU1").seq == target - 1
            wait_for(
                lambda: "refused by the central record" in hall.shipper_log.read_text(), what="the log line"
            )
            lines = hall.shipper_log.read_text().splitlines()
            line = next(json.loads(x) for x in lines if "refused by the central record" in x)
            assert line["level"] == "error"
            assert f"event {target} of BAKU1: hash does not match its content" in line["msg"]
            grown = hall.last_seq()
            wait_for(lambda: hall.last_seq() > grown + 10, what="the hall serving on")
            assert record.verify("BAKU1").ok
            assert record.head("BAKU1").seq == target - 1
        finally:
            hall.stop()
