"""``python -m bench ship``: 24 centers in their peak hour at once, each shipping its log to
one central PostgreSQL; how far behind the hall the central record is.

Four reference days are simulated (3,000 tickets each, four seeds) and the events of each
day's busiest hour kept, with their times. 24 centers (six per day, each shifted by a random
part of a minute) write those events into their own SQLite log through the real store, as a
hall server does, at the moment they happened: in real time for :data:`REAL_S` seconds, then
:data:`FAST` times faster for the rest of the hour, to show the headroom. Meanwhile 24
``novbe ship`` processes, one beside each hall, ship to a durable central cluster on the
same two cores. The lag of an event is the time from its commit in the hall
(``recorded_at``) to its commit in the central record (``shipped_at``).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from central import CentralRecord
from server.center import dump_center
from server.queue import Event
from server.reference import reference_center
from server.simulate.run import center_setup, read_center
from server.simulate.store import run_days_to_store
from server.store import Commit, EventStore
from tests import pg

CENTERS = 24
DAYS = 4
REAL_S = 120.0
"""Seconds of the peak hour played in real time."""
FAST = 30.0
"""How much faster the rest of the hour is played."""


def peak_hour(seed: int, folder: Path) -> list[tuple[float, Event]]:
    """The events of the busiest hour of a simulated reference day: (seconds into the hour, event)."""
    center = read_center(reference_center())
    with EventStore(f"sqlite:///{folder / f'day{seed}.db'}", sqlite_synchronous="NORMAL") as store:
        store.migrate()
        run_days_to_store(center_setup(center), 1, seed, store)
        events = [s.event for s in store.load()]
    hours = Counter(e.at.replace(minute=0, second=0, microsecond=0) for e in events)
    start, _ = hours.most_common(1)[0]
    return [((e.at - start).total_seconds(), e) for e in events if start <= e.at < start + timedelta(hours=1)]


class Hall(threading.Thread):
    """One center writing its peak hour into its own log, each event at its time."""

    def __init__(self, store: EventStore, events: list[tuple[float, Event]], began: float) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.events = events
        self.began = began
        self.latencies: list[float] = []

    @staticmethod
    def due(offset: float) -> float:
        """Seconds after the start at which an event ``offset`` seconds into the hour is written."""
        return offset if offset <= REAL_S else REAL_S + (offset - REAL_S) / FAST

    def run(self) -> None:
        i = 0
        while i < len(self.events):
            wait = self.began + self.due(self.events[i][0]) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            now = time.perf_counter() - self.began
            batch = []
            while i < len(self.events) and self.due(self.events[i][0]) <= now:
                batch.append(self.events[i][1])
                i += 1
            started = time.perf_counter()
            self.store.append([Commit(batch)])
            self.latencies.append(time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # clock ticks; 100 per second on Linux


def lag_figures(url: str, since: datetime, until: datetime) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        lags = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT extract(epoch FROM shipped_at - recorded_at) FROM events"
                    " WHERE recorded_at >= :since AND recorded_at < :until"
                ),
                {"since": since, "until": until},
            )
        ]
    engine.dispose()
    values = np.asarray(lags, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return (
        f"{values.size:,} events, lag p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s,"
        f" max {values.max():.2f} s"
    )


def main() -> None:
    if not pg.available():
        print(f"   skipped: no PostgreSQL server binaries in {pg.BINDIR}")
        return
    rng = random.Random(7)
    with (
        tempfile.TemporaryDirectory(prefix="novbe-bench-") as tmp,
        pg.running_cluster(durable=True) as cluster,
    ):
        root = Path(tmp)
        hours = [peak_hour(seed, root) for seed in range(1, DAYS + 1)]
        url = pg.create_database(cluster.url(), "central")
        record = CentralRecord(url)
        record.migrate()
        base = read_center(reference_center())
        stores, shippers = [], []
        for n in range(CENTERS):
            code = f"C{n + 1:02d}"
            folder = root / code
            folder.mkdir()
            (folder / "center.toml").write_text(dump_center(base.model_copy(update={"code": code})), "utf-8")
            store = EventStore(f"sqlite:///{folder / 'novbe.db'}")
            store.migrate()
            stores.append(store)
            record.add_center(code)
            shippers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "novbe", "ship", "--dir", str(folder), "--central", url],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        engine = sa.create_engine(url)
        deadline = time.monotonic() + 120
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'novbe-ship-%'")
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(query).scalar_one() >= CENTERS:
                    break
            time.sleep(0.5)
        engine.dispose()
        per_hour = [len(h) for h in hours]
        print(
            f"   {CENTERS} centers, peak hours of {DAYS} simulated reference days:"
            f" {min(per_hour):,}-{max(per_hour):,} events each in the hour",
            flush=True,
        )
        cpu_before = [cpu_seconds(p.pid) for p in shippers]
        began = time.perf_counter()
        wall_began = datetime.now(UTC)
        halls = []
        for n, store in enumerate(stores):
            shift = rng.uniform(0, 60)
            events = [(offset + shift, e) for offset, e in hours[n % DAYS]]
            halls.append(Hall(store, events, began))
        for hall in halls:
            hall.start()
        for hall in halls:
            hall.join()
        written = time.perf_counter() - began
        heads = [s.last_seq() for s in stores]
        codes = [f"C{n + 1:02d}" for n in range(CENTERS)]
        while any(record.head(code).seq < head for code, head in zip(codes, heads, strict=True)):
            time.sleep(0.2)
        cpu = sum(cpu_seconds(p.pid) - b for p, b in zip(shippers, cpu_before, strict=True))
        for p in shippers:
            p.terminate()
        for p in shippers:
            p.wait(30)
        record.close()
        switch = wall_began + timedelta(seconds=REAL_S)
        total = sum(heads)
        print(f"   written: {total:,} events in {written:.0f} s by {CENTERS} halls", flush=True)
        print(
            f"   real time ({REAL_S:.0f} s, {CENTERS} peak hours at once): "
            f"{lag_figures(url, wall_began, switch)}",
            flush=True,
        )
        print(
            f"   {FAST:.0f}x faster (the rest of the hour in {written - REAL_S:.0f} s): "
            f"{lag_figures(url, switch, datetime.now(UTC))}",
            flush=True,
        )
        appends = np.asarray([x for h in halls for x in h.latencies]) * 1000
        print(
            f"   hall appends meanwhile (SQLite, synchronous=FULL): p50 {np.percentile(appends, 50):.1f} ms,"
            f" p99 {np.percentile(appends, 99):.1f} ms, max {appends.max():.1f} ms"
            f" ({appends.size:,} commits)",
            flush=True,
        )
        print(
            f"   shippers' CPU: {cpu:.1f} s for the {CENTERS} over {written:.0f} s"
            f" ({100 * cpu / written / CENTERS:.2f}% of a core each)",
            flush=True,
        )
        for store in stores:
            store.close()


if __name__ == "__main__":
    main()
