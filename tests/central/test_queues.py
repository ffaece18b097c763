"""The national view of the queues: each center's own engine state, as of its last event
shipped, kept up to date from what arrives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from central import CentralRecord, public_config
from central.cli import queues_html
from central.queues import NationalQueues
from central.ship import Shipper
from server.queue import (
    CallNext,
    CloseDay,
    Command,
    FinishService,
    IssueTicket,
    OpenCounter,
    OpenDay,
    QueueEngine,
    StartService,
)
from server.reference import reference_center
from server.simulate.run import read_center
from server.store import Commit, EventStore
from wire.i18n import catalog

pytestmark = pytest.mark.postgres

BAKU = ZoneInfo("Asia/Baku")
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=BAKU)


class Hall:
    """The real engine of the reference center, its events written to a SQLite log."""

    def __init__(self, path: Path, record: CentralRecord, code: str) -> None:
        self.center = read_center(reference_center()).model_copy(update={"code": code})
        self.engine = QueueEngine(self.center.to_hall())
        self.store = EventStore(f"sqlite:///{path}")
        self.store.migrate()
        record.add_center(code)
        record.publish_config(code, public_config(self.center))
        self.shipper = Shipper(self.store, record, code)
        self.minute = 0

    def __call__(self, *commands: Command) -> None:
        events = [e for c in commands for e in self.engine.handle(c)]
        self.store.append([Commit(events)])
        self.shipper.ship_pending()

    def at(self, minutes: float = 1) -> datetime:
        self.minute += minutes
        return T0 + timedelta(minutes=self.minute)


def test_national_view_shows_each_hall_as_its_engine_has_it(central_url: str, tmp_path: Path) -> None:
    record = CentralRecord(central_url)
    baku, ganja = Hall(tmp_path / "b.db", record, "BAKU1"), Hall(tmp_path / "g.db", record, "GANJA1")
    for hall in (baku, ganja):
        hall(OpenDay(day=date(2026, 11, 30), at=T0), OpenCounter(counter=1, operator="op1", at=hall.at()))
    baku(*(IssueTicket(service="DIN-ID", at=baku.at()) for _ in range(5)), CallNext(counter=1, at=baku.at(3)))
    ganja(IssueTicket(service="EDL-POA", at=ganja.at()))
    view = NationalQueues(record)
    shown = {q.code: q for q in view.refresh()}
    b = shown["BAKU1"]
    assert (b.open, b.day, b.issued, b.waiting, b.in_service, b.counters_open) == (
        True, date(2026, 11, 30), 5, 4, 1, 1,
    )  # fmt: skip
    assert b.as_of == T0 + timedelta(minutes=9)
    din = next(a for a in b.agencies if a.agency == "DIN")
    assert (din.waiting, din.counters_open) == (4, 1)
    stat = baku.engine.queue_stats()["DIN-ID"]
    assert stat.oldest_issued_at is not None
    assert din.oldest_wait_min == pytest.approx((b.as_of - stat.oldest_issued_at).total_seconds() / 60)
    g = shown["GANJA1"]
    assert (g.waiting, g.issued, g.counters_open) == (1, 1, 1)
    assert next(a for a in g.agencies if a.agency == "EDL").counters_open == 0

    # Later events are applied on top; a new day starts afresh.
    baku(StartService(counter=1, at=baku.at()), FinishService(counter=1, at=baku.at(5)))
    baku(CallNext(counter=1, at=baku.at()))
    b = {q.code: q for q in view.refresh()}["BAKU1"]
    assert (b.waiting, b.in_service, b.served) == (3, 1, 1)
    baku(CloseDay(at=baku.at(60)), OpenDay(day=date(2026, 12, 1), at=T0 + timedelta(days=1)))
    b = {q.code: q for q in NationalQueues(record).refresh()}["BAKU1"]
    assert (b.day, b.open, b.waiting, b.issued, b.served) == (date(2026, 12, 1), True, 0, 0, 0)

    page = queues_html(list(shown.values()), "az", T0)
    assert "Bütün mərkəzlərin növbələri" in page
    assert "Bakı" in page
    record.close()


def test_a_center_without_its_configuration_is_shown_without_figures(central_url: str) -> None:
    with CentralRecord(central_url) as record:
        record.add_center("BUS07")
        (bus,) = NationalQueues(record).refresh()
        assert (bus.code, bus.center, bus.problem) == ("BUS07", None, "no configuration shipped yet")


def test_the_views_words_are_in_every_language() -> None:
    assert catalog("central").check() == []
