"""Store benchmark: append throughput by group-commit size and durability setting,
and the start-up replay rate for 100,000 events.

``python -m bench store``. PostgreSQL is measured too when its binaries are
installed (a throwaway cluster with fsync on, as in production).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server.store import Commit, EventStore
from tests import pg
from wire.events import Event, ServiceStarted, TicketCalled, TicketFinished, TicketIssued

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
GROUPS = (1, 10, 50)
SECONDS_PER_RUN = 1.5
REPLAY_EVENTS = 100_000


def ticket_events(k: int) -> list[Event]:
    """A ticket's life: the typical four events, heavy TicketIssued first."""
    ticket, number, at = f"20261122-A{k:05d}", f"A{k % 1000:03d}", T0 + timedelta(seconds=k)
    return [
        TicketIssued(ticket=ticket, number=number, service="passport", agency="DMX", at=at, ahead=k % 40,
                     wait_low_min=5.0, wait_high_min=15.0, wait_est_min=9.5),
        TicketCalled(ticket=ticket, number=number, service="passport", counter=1 + k % 81, at=at),
        ServiceStarted(ticket=ticket, number=number, counter=1 + k % 81, at=at),
        TicketFinished(ticket=ticket, number=number, counter=1 + k % 81, at=at),
    ]  # fmt: skip


def request_commits() -> Iterator[Commit]:
    """One commit per client request: one event and its reply, as a kiosk or counter makes."""
    k = 0
    while True:
        k += 1
        for i, event in enumerate(ticket_events(k)):
            yield Commit([event], request=(f"client-{k % 90}", f"{k}-{i}"), reply={"ok": True, "seq": k})


def appends_per_second(store: EventStore, group: int) -> tuple[float, float]:
    """(commits/s, transactions/s) appending ``group`` commits per transaction."""
    commits = request_commits()
    done = 0
    transactions = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS_PER_RUN:
        store.append([next(commits) for _ in range(group)])
        done += group
        transactions += 1
    return done / elapsed, transactions / elapsed


def bench_appends(label: str, url_for: dict[int, str], **kwargs: str) -> None:
    for group in GROUPS:
        with EventStore(url_for[group], **kwargs) as store:  # type: ignore[arg-type]
            store.migrate()
            commits, transactions = appends_per_second(store, group)
        print(
            f"   append  {label:<18} {group:>2} commits/txn: {commits:>8,.0f} commits/s"
            f"  {transactions:>7,.0f} txn/s  ({1000 / transactions:.2f} ms/txn)",
            flush=True,
        )


def bench_replay(label: str, url: str) -> None:
    with EventStore(url) as store:
        store.migrate()
        events = [e for k in range(1, REPLAY_EVENTS // 4 + 1) for e in ticket_events(k)]
        for i in range(0, len(events), 2000):
            store.append([Commit([e]) for e in events[i : i + 2000]])
    with EventStore(url) as store:  # a fresh process's view: nothing cached
        started, cpu_started = time.perf_counter(), time.process_time()
        count = sum(1 for _ in store.load())
        load_s, load_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        started = time.perf_counter()
        report = store.verify()
        verify_s = time.perf_counter() - started
    if count != REPLAY_EVENTS or not report.ok:
        raise RuntimeError(f"replay read {count} events; audit: {report}")
    print(
        f"   replay  {label:<18} {count:,} events: load {load_s:.2f} s ({count / load_s:,.0f}/s,"
        f" {load_cpu:.2f} s CPU in this process), verify {verify_s:.2f} s",
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="novbe-bench-") as tmp:
        root = Path(tmp)
        for sync in ("FULL", "NORMAL"):
            urls = {g: f"sqlite:///{root / f'{sync}-{g}.db'}" for g in GROUPS}
            bench_appends(f"sqlite {sync}", urls, sqlite_synchronous=sync)
        bench_replay("sqlite", f"sqlite:///{root / 'replay.db'}")
    if not pg.available():
        print(f"   postgresql: skipped (no server binaries in {pg.BINDIR})")
        return
    with pg.running_cluster(durable=True) as cluster:
        admin = cluster.url()
        bench_appends("postgresql", {g: pg.create_database(admin, "bench") for g in GROUPS})
        bench_replay("postgresql", pg.create_database(admin, "bench"))


if __name__ == "__main__":
    main()
