"""``novbe report`` on a month of the reference center: time and memory.

``python -m bench report``. Simulates 34 days of the reference center through the real
store (``novbe simulate --store``): the whole of December 2026 and the three days before,
about 93,000 tickets and 510,000 events. Then runs ``novbe report`` as its own process, as
an administrator would, and measures it from process start to the last file written (HTML
with plots, CSV, XLSX), with its peak resident memory. The month's report reads the days
before too, for the index's change since the previous period. PostgreSQL is measured too
when its binaries are installed (the same log, copied row by row).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from server.reference import reference_center
from server.simulate.run import center_setup, read_center
from server.simulate.store import open_store_dir, run_days_to_store
from tests import pg

FIRST = date(2026, 11, 28)
DAYS = 34
RUNS = 3


def report(folder: Path, *args: str, runs: int = RUNS) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MiB) of one ``novbe report`` process, the best of
    ``runs`` (CPU time says what the machine's other work does to the wall time)."""
    best = cpu = float("inf")
    peak = 0.0
    for _ in range(runs):
        command = [sys.executable, "-m", "novbe", "report", "--dir", str(folder), *args]
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # wait4 gives this child's own resource use: ru_maxrss is its peak, in KiB.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise RuntimeError(f"{' '.join(command)} failed with status {child.returncode}")
        best = min(best, time.perf_counter() - began)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, cpu, peak


def show(backend: str, label: str, seconds: float, cpu: float, mib: float) -> None:
    figures = f"{seconds:5.2f} s wall, {cpu:5.2f} s CPU, peak RSS {mib:.0f} MiB"
    print(f"   report  {backend:<11} {label:<30} {figures}", flush=True)


def copy_log(source: str, target: str) -> None:
    """Copy the events table as it is (same payloads, same hashes)."""
    rows = sa.text("SELECT seq, type, payload, prev_hash, hash, recorded_at FROM events ORDER BY seq")
    insert = sa.text(
        "INSERT INTO events (seq, type, payload, prev_hash, hash, recorded_at)"
        " VALUES (:seq, :type, :payload, :prev_hash, :hash, :recorded_at)"
    )
    src, dst = sa.create_engine(source), sa.create_engine(target)
    try:
        with src.connect() as read, dst.begin() as write:
            batch: list[dict[str, object]] = []
            for row in read.execute(rows).mappings():
                batch.append(dict(row))
                if len(batch) == 20_000:
                    write.execute(insert, batch)
                    batch = []
            if batch:
                write.execute(insert, batch)
    finally:
        src.dispose()
        dst.dispose()


def main() -> None:
    center = read_center(reference_center())
    with tempfile.TemporaryDirectory(prefix="novbe-bench-") as tmp:
        folder = Path(tmp) / "center"
        store = open_store_dir(folder, center)
        began = time.perf_counter()
        with store:
            run = run_days_to_store(center_setup(center), DAYS, 1, store, first_day=FIRST)
            events = store.last_seq()
        tickets = len(run.records.issued)
        took = time.perf_counter() - began
        ratings = len(run.records.ratings)
        print(
            f"   log: {DAYS} days from {FIRST}, {tickets:,} tickets, {events:,} events, "
            f"{ratings:,} ratings (simulated and written in {took:.0f} s)",
            flush=True,
        )
        print(f"   log file: {(folder / 'novbe.db').stat().st_size / 2**20:.0f} MiB", flush=True)
        for label, args in (
            ("month 2026-12, html+csv+xlsx", ("--month", "2026-12")),
            ("month 2026-12, csv only", ("--month", "2026-12", "--format", "csv")),
            ("week 2026-W53, html+csv+xlsx", ("--week", "2026-W53")),
            ("day 2026-12-31, html+csv+xlsx", ("--day", "2026-12-31")),
        ):
            show("sqlite", label, *report(folder, *args, "--out", str(Path(tmp) / "out")))
        if not pg.available():
            print(f"   postgresql: skipped (no server binaries in {pg.BINDIR})")
            return
        with pg.running_cluster(durable=True) as cluster:
            url = pg.create_database(cluster.url(), "bench")
            from server.store import EventStore

            with EventStore(url) as target:
                target.migrate()
            copy_log(f"sqlite:///{folder / 'novbe.db'}", url)
            figures = report(folder, "--db", url, "--month", "2026-12", "--out", str(Path(tmp) / "out"))
            show("postgresql", "month 2026-12, html+csv+xlsx", *figures)


if __name__ == "__main__":
    main()
