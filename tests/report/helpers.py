"""A small center and a hand-written log for the report's edge cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from report.build import Report, build_report
from report.periods import Period, span
from server.center import Center, dump_center
from server.queue import Command, Event, OpenCounter, OpenDay, QueueEngine
from server.store import Commit, EventStore
from server.store.chain import GENESIS_HASH, canonical_json, chain_hash

BAKU = timezone(timedelta(hours=4))
MONDAY = date(2026, 11, 23)


def names(text: str) -> dict[str, str]:
    return {"az": f"{text} (az)", "ru": f"{text} (ru)", "en": text}


def small_center(**rules: Any) -> Center:
    """DIN (ID, PASS) at counters 1-2, BANK (FEE) at 3, TAX (TAX) at 4; standard 15 min."""
    return Center.model_validate(
        {
            "code": "T1",
            "name": {"az": "Sınaq mərkəzi", "ru": "Тестовый центр", "en": "Test center"},
            "rules": rules,
            "zones": [{"code": "hall", "name": names("Hall")}],
            "agencies": [
                {"code": "DIN", "prefix": "A", "zone": "hall", "name": names("Interior"), "services": [
                    {"code": "ID", "name": names("Identity card"), "mean_service_min": 8},
                    {"code": "PASS", "name": names("Passport"), "mean_service_min": 10}]},
                {"code": "BANK", "prefix": "B", "zone": "hall", "name": names("Bank"), "services": [
                    {"code": "FEE", "name": names("State fee"), "mean_service_min": 3}]},
                {"code": "TAX", "prefix": "C", "zone": "hall", "name": names("Taxes"), "services": [
                    {"code": "TAX", "name": names("Tax certificate"), "mean_service_min": 6}]},
            ],
            "counters": [
                {"number": 1, "zone": "hall", "services": ["ID", "PASS"]},
                {"number": 2, "zone": "hall", "services": ["ID", "PASS"]},
                {"number": 3, "zone": "hall", "services": ["FEE"]},
                {"number": 4, "zone": "hall", "services": ["TAX"]},
            ],
        }
    )  # fmt: skip


def at(day: date, minutes: float) -> datetime:
    """``minutes`` after 09:00 of ``day``, Baku time."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=BAKU) + timedelta(minutes=minutes)


class Hall:
    """An engine on the small center whose events go to a store as they happen."""

    def __init__(self, folder: Path, center: Center | None = None) -> None:
        self.center = center or small_center()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "center.toml").write_text(dump_center(self.center), encoding="utf-8")
        self.url = f"sqlite:///{folder / 'novbe.db'}"
        self.store = EventStore(self.url)
        self.store.migrate()
        self.engine = QueueEngine(self.center.to_hall())
        self.day = MONDAY

    def __call__(self, command: Command) -> list[Event]:
        events = self.engine.handle(command)
        self.store.append([Commit(events)])
        return events

    def open_day(self, day: date, counters: tuple[int, ...] = (1, 2, 3)) -> None:
        self.day = day
        self(OpenDay(day=day, at=at(day, -30)))
        for no in counters:
            self(OpenCounter(counter=no, at=at(day, 0), operator=f"op{no}"))

    def at(self, minutes: float) -> datetime:
        return at(self.day, minutes)

    def report(self, period: Period | None = None) -> Report:
        return build_report(self.store, self.center, period or span(MONDAY, self.day))

    @staticmethod
    def report_of(store: EventStore, center: Center, period: Period | None = None) -> Report:
        return build_report(store, center, period or span(MONDAY, MONDAY))

    def close(self) -> None:
        self.store.close()


def append_raw(url: str, events: list[dict[str, Any]]) -> None:
    """Append events as JSON written by another version, with a correct hash chain."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            row = conn.execute(sa.text("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")).first()
            seq, prev = (0, GENESIS_HASH) if row is None else (row[0], row[1])
            for data in events:
                seq += 1
                payload = canonical_json(data)
                digest = chain_hash(prev, payload)
                conn.execute(
                    sa.text(
                        "INSERT INTO events (seq, type, payload, prev_hash, hash, recorded_at)"
                        " VALUES (:seq, :type, :payload, :prev, :hash, :now)"
                    ),
                    {"seq": seq, "type": data["type"], "payload": payload, "prev": prev, "hash": digest,
                     "now": datetime.now(UTC).replace(tzinfo=None)},
                )  # fmt: skip
                prev = digest
    finally:
        engine.dispose()
