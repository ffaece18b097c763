"""``novbe report --central`` on a month of 24 centers: time and memory.

``python -m bench central_report``. Simulates 34 days (December 2026 and the three days
before) of the reference center with four seeds through the real store, ships the first
with the real shipper (``novbe ship --once``, its catch-up rate is printed) and loads the
three others as the shipper would leave them (the same rows, copied in bulk, which is much
quicker than checking every chain again). Then the 24 centers: each of the four logs under
six center codes (the central side copies the rows in SQL). Then ``novbe report --central``
as its own process, as the head office would run it: the national report of December (and
the November days before it, for the change), and one center's report, from process start
to the last file, with the CPU time and peak memory of the process and its workers: the
first run, which reads every event (and digests each complete day as it goes), then again
(each complete day from its digest, as after a nightly ``novbe central digest``, which is
timed too).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
import sqlalchemy as sa

from bench.report import report as run_report
from central import CentralRecord, public_config
from server.center import Center, dump_center
from server.reference import reference_center
from server.simulate.run import center_setup, read_center
from server.simulate.store import open_store_dir, run_days_to_store
from tests import pg

FIRST = date(2026, 11, 28)
DAYS = 34
SEEDS = 4
CENTERS = 24


def simulate(folder: Path, seed: int) -> int:
    """Simulate the days of one seed into ``folder``; return the events written."""
    center = read_center(reference_center()).model_copy(update={"code": f"C{seed:02d}"})
    store = open_store_dir(folder, center)
    with store:
        run_days_to_store(center_setup(center), DAYS, seed, store, first_day=FIRST)
        return store.last_seq()


def copy_rows(source: Path, url: str, code: str) -> None:
    """The center's rows as the shipper leaves them (bulk, through COPY)."""
    src = sa.create_engine(f"sqlite:///{source}")
    query = sa.text("SELECT seq, type, payload, prev_hash, hash, recorded_at FROM events ORDER BY seq")
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = "center, seq, type, payload, prev_hash, hash, recorded_at, shipped_at"
    try:
        with (
            src.connect() as read,
            psycopg.connect(conninfo) as write,
            write.cursor() as cursor,
            cursor.copy(f"COPY events ({columns}) FROM STDIN") as copy,
        ):
            for seq, kind, payload, prev, digest, recorded in read.execute(query):
                copy.write_row((code, seq, kind, payload, prev, digest, f"{recorded}+00", f"{recorded}+00"))
    finally:
        src.dispose()


def set_head(url: str, code: str, config: Center) -> None:
    """The center's head and configuration, as shipping leaves them."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE centers c SET last_seq = e.seq, last_hash = e.hash, last_recorded_at = e.recorded_at,"
                " last_shipped_at = e.shipped_at, config = :config, config_at = now()"
                " FROM (SELECT seq, hash, recorded_at, shipped_at FROM events WHERE center = :code"
                " ORDER BY seq DESC LIMIT 1) e WHERE c.code = :code"
            ),
            {"code": code, "config": json.dumps(public_config(config), ensure_ascii=False)},
        )
    engine.dispose()


def main() -> None:
    if not pg.available():
        print(f"   skipped: no PostgreSQL server binaries in {pg.BINDIR}")
        return
    with (
        tempfile.TemporaryDirectory(prefix="novbe-bench-") as tmp,
        pg.running_cluster(durable=True) as cluster,
    ):
        root = Path(tmp)
        began = time.perf_counter()
        folders = [root / f"C{seed:02d}" for seed in range(1, SEEDS + 1)]
        with ProcessPoolExecutor(2) as pool:
            counts = list(pool.map(simulate, folders, range(1, SEEDS + 1)))
        print(
            f"   {SEEDS} logs of {DAYS} days from {FIRST}: {sum(counts):,} events"
            f" (simulated in {time.perf_counter() - began:.0f} s)",
            flush=True,
        )
        url = pg.create_database(cluster.url(), "central")
        record = CentralRecord(url)
        record.migrate()
        codes = [f"C{n:02d}" for n in range(1, CENTERS + 1)]
        for code in codes:
            record.add_center(code)
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "novbe", "ship", "--dir", str(folders[0]), "--central", url,
             "--once"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        took = time.perf_counter() - began
        print(
            f"   ship    {counts[0]:,} events of C01 with novbe ship --once: {took:.1f} s"
            f" ({counts[0] / took:,.0f} events/s, process start included)",
            flush=True,
        )
        began = time.perf_counter()
        for folder in folders[1:]:
            copy_rows(folder / "novbe.db", url, folder.name)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for n, code in enumerate(codes[SEEDS:], start=SEEDS):
                source = codes[n % SEEDS]
                conn.execute(
                    sa.text(
                        "INSERT INTO events SELECT :code, seq, type, payload, prev_hash, hash, recorded_at,"
                        " shipped_at FROM events WHERE center = :source"
                    ),
                    {"code": code, "source": source},
                )
            conn.execute(sa.text("ANALYZE events"))
            total = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
            size = conn.execute(sa.text("SELECT pg_total_relation_size('events')")).scalar_one()
        engine.dispose()
        base = read_center(reference_center())
        for n, code in enumerate(codes):
            center = base.model_copy(update={"code": code})
            set_head(url, code, center)
            if n == 0:
                (root / "center.toml").write_text(dump_center(center), encoding="utf-8")
        record.close()
        print(
            f"   central record: {CENTERS} centers, {total:,} events, {size / 2**30:.1f} GiB"
            f" (loaded in {time.perf_counter() - began:.0f} s)",
            flush=True,
        )
        out = str(root / "out")
        national = ("--central", url, "--month", "2026-12", "--out", out)
        show("national, month 2026-12, first run", run_report(root, *national, runs=1))
        show("national, month 2026-12, again", run_report(root, *national))
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM day_digests"))
        engine.dispose()
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "novbe", "central", "digest", "--central", url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print(
            f"   digest  every complete day of the {CENTERS} centers, from nothing:"
            f" {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        show(
            "C07, month 2026-12, html+csv+xlsx",
            run_report(root, "--central", url, "--code", "C07", "--month", "2026-12", "--out", out),
        )


def show(label: str, figures: tuple[float, float, float]) -> None:
    seconds, cpu, mib = figures
    print(
        f"   report  {label:<40} {seconds:5.1f} s wall, {cpu:5.1f} s CPU (with its workers),"
        f" peak RSS {mib:.0f} MiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
