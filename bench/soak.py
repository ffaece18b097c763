"""A hall at its peak for hours: ``make soak HOURS=2`` (``python -m bench.soak --hours 2``).

A real ``novbe server`` on a SQLite file; in this process, 4 kiosks issuing tickets, 40
counters calling, starting and finishing them, 50 displays and a supervisor's desk watching
(the reference center, open around the clock). Every minute it records the server's memory
(RSS), the call -> display latency (from a counter's ``call_next`` sent to each display that
shows the counter having the event: p50, p99), the events committed and the requests
answered, and at the end plots them to a PNG and checks that every acknowledged ticket is in
the log exactly once.

Printed, and written beside the PNG as CSV: one row a minute. The verdicts at the end:
memory after warm-up (the first fifth, at least 2 minutes) flat within 5%, p99 latency of
the last quarter against the first after warm-up, nothing acknowledged lost.

The day's tickets are the one thing that grows with the day by design (a new day clears
them): the verdict also gives what they hold, measured apart (:func:`day_ticket_bytes`), and
the growth beyond them, which is what a leak would show.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.server import _cpu_s, _pct, _rss_kib
from server.store import EventStore
from tests.server.harness import DEMO_PASSWORD, Home, ServerProcess, make_home
from wire import events as ev

COUNTERS = 40
DISPLAYS = 50
KIOSKS = 4


@dataclass
class Minute:
    rss_kib: list[int] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    issued: int = 0
    calls: int = 0
    errors: int = 0


class Conn:
    """A websocket client that reads all the time (as the apps do): answers go to whoever
    asked, everything else to ``on_event``."""

    def __init__(self, ws: ClientConnection, on_event: Any = None) -> None:
        self.ws = ws
        self.on_event = on_event
        self.waiting: dict[str | None, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    async def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[message.get("id")] = future
        await self.ws.send(json.dumps(message))
        return await future

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if message["type"] in ("reply", "error", "welcome") and message.get("id") in self.waiting:
                    self.waiting.pop(message.get("id")).set_result(message)
                elif self.on_event is not None:
                    self.on_event(message)
        except ConnectionClosed as exc:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(exc)
            raise

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


@dataclass
class Soak:
    url: str
    home: Home
    rate: float
    """Tickets per second, over all kiosks."""
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    minute: Minute = field(default_factory=Minute)
    acked: dict[str, str] = field(default_factory=dict)
    """Ticket id -> the request id that got it."""
    calls: dict[int, float] = field(default_factory=dict)
    """Counter -> when its last call_next was sent (perf_counter)."""

    async def open(self, hello: dict[str, Any], on_event: Any = None) -> Conn:
        ws = await connect(self.url, compression=None, max_size=None, open_timeout=30)
        conn = Conn(ws, on_event)
        welcome = await conn.ask({"type": "hello", **hello})
        assert welcome["type"] == "welcome", welcome
        return conn

    def device(self, role: str, code: str) -> dict[str, Any]:
        return {"role": role, "device": code, "token": self.home.token(role, code)}

    async def ask(self, conn: Conn, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a request and wait for its answer; one refused as ``store_unavailable`` or
        ``too_many_attempts`` is sent again with the same id, as the protocol says."""
        rid = uuid.uuid4().hex[:12]
        while True:
            message = await conn.ask({"type": kind, "id": rid, **fields})
            if message.get("code") == "too_many_attempts":
                await asyncio.sleep(message["details"]["retry_after_s"])
                continue
            if message.get("code") != "store_unavailable":
                message["rid"] = rid
                return message
            await asyncio.sleep(0.2)

    async def kiosk(self, code: str, services: list[str]) -> None:
        conn = await self.open(self.device("kiosk", code))
        rng = random.Random(code)
        while not self.stop.is_set():
            await asyncio.sleep(rng.expovariate(self.rate / KIOSKS))
            answer = await self.ask(conn, "issue", service=rng.choice(services))
            if answer["type"] == "reply":
                self.acked[answer["result"]["ticket"]["id"]] = answer["rid"]
                self.minute.issued += 1
            else:
                self.minute.errors += 1
        await conn.close()

    async def counter(self, number: int) -> None:
        conn = await self.open(self.device("counter", str(number)))
        answer = await self.ask(conn, "login", login=f"op{number}", password=DEMO_PASSWORD)
        assert answer["type"] == "reply", answer
        rng = random.Random(number)
        # Each counter serves a citizen in about COUNTERS / rate seconds: the hall keeps up.
        service_s = COUNTERS / self.rate
        while not self.stop.is_set():
            self.calls[number] = time.perf_counter()
            answer = await self.ask(conn, "call_next")
            if answer["type"] != "reply":
                await asyncio.sleep(1.0)  # nobody waiting for this counter
                continue
            self.minute.calls += 1
            await asyncio.sleep(min(5.0, rng.expovariate(1 / 2)))
            await self.ask(conn, "start")
            await asyncio.sleep(rng.uniform(0.5, 1.5) * service_s)
            await self.ask(conn, "finish")
        await conn.close()

    async def display(self, code: str) -> None:
        def seen(message: dict[str, Any]) -> None:
            if message["type"] == "event" and message["event"]["type"] == "TicketCalled":
                sent = self.calls.get(message["event"]["counter"])
                if sent is not None:
                    self.minute.latency_ms.append((time.perf_counter() - sent) * 1000)

        conn = await self.open(self.device("display", code), seen)
        await conn.reader

    async def supervisor(self) -> None:
        conn = await self.open({"role": "supervisor", "login": "supervisor", "password": DEMO_PASSWORD})
        await conn.reader


def _center(home: Home) -> tuple[list[str], list[int], list[str]]:
    import tomllib

    data = tomllib.loads((home.path / "center.toml").read_text(encoding="utf-8"))
    counters = sorted(c["number"] for c in data["counters"])[:COUNTERS]
    served = {s for c in data["counters"] if c["number"] in counters for s in c.get("services", [])}
    services = [
        s["code"] for a in data["agencies"] for s in a["services"] if not served or s["code"] in served
    ]
    displays = [
        p.stem.removeprefix("display-") for p in sorted((home.path / "devices").glob("display-*.toml"))
    ]
    return services, counters, displays


async def _soak(seconds: float, rate: float, out: Path) -> dict[str, Any]:
    home = make_home(Path(tempfile.mkdtemp(prefix="novbe-soak-")) / "center")
    server = ServerProcess(home, extra_args=["--log-level", "WARNING"]).start()
    assert server.proc is not None
    pid = server.proc.pid
    soak = Soak(server.url, home, rate)
    services, counters, displays = _center(home)
    tasks = [asyncio.create_task(soak.supervisor())]
    tasks += [asyncio.create_task(soak.display(displays[n % len(displays)])) for n in range(DISPLAYS)]
    tasks += [asyncio.create_task(soak.counter(number)) for number in counters]
    tasks += [asyncio.create_task(soak.kiosk(f"kiosk-{n + 1}", services)) for n in range(KIOSKS)]
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    cpu = _cpu_s(pid)
    try:
        while time.monotonic() - started < seconds:
            minute_end = min(started + seconds, time.monotonic() + 60)
            while time.monotonic() < minute_end:
                await asyncio.sleep(min(5.0, max(0.0, minute_end - time.monotonic())))
                soak.minute.rss_kib.append(_rss_kib(pid))
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
            done, soak.minute = soak.minute, Minute()
            seq = json.loads(_get(f"http://127.0.0.1:{server.port}/health"))["seq"]
            now_cpu = _cpu_s(pid)
            row = {
                "minute": len(rows) + 1,
                "rss_mib": round(max(done.rss_kib) / 1024, 1),
                "p50_ms": round(_pct(done.latency_ms, 50), 1) if done.latency_ms else "",
                "p99_ms": round(_pct(done.latency_ms, 99), 1) if done.latency_ms else "",
                "issued": done.issued,
                "calls": done.calls,
                "errors": done.errors,
                "seq": seq,
                "cpu_pct": round((now_cpu - cpu) / 60 * 100, 1),
            }
            cpu = now_cpu
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        soak.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.stop()
    store = EventStore(home.db_url)
    logged = [s.event.ticket for s in store.load() if isinstance(s.event, ev.TicketIssued)]
    store.close()
    lost = set(soak.acked) - set(logged)
    twice = len(logged) - len(set(logged))
    _write(rows, out)
    return _verdict(rows, len(soak.acked), lost, twice, out)


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def _write(rows: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.with_suffix(".csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r["minute"] for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    axes[0].plot(minutes, [r["rss_mib"] for r in rows])
    axes[0].set_ylabel("server RSS, MiB")
    axes[1].plot(minutes, [r["p50_ms"] or None for r in rows], label="p50")
    axes[1].plot(minutes, [r["p99_ms"] or None for r in rows], label="p99")
    axes[1].set_ylabel("call -> display, ms")
    axes[1].legend()
    axes[2].plot(minutes, [r["issued"] for r in rows], label="tickets issued")
    axes[2].plot(minutes, [r["calls"] for r in rows], label="calls")
    axes[2].set_ylabel("per minute")
    axes[2].set_xlabel("minute")
    axes[2].legend()
    fig.suptitle(f"novbe soak: {KIOSKS} kiosks, {COUNTERS} counters, {DISPLAYS} displays")
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=90)


def day_ticket_bytes(tickets: int = 2000) -> float:
    """The memory one ticket of the day holds in the hall server, in bytes: the hub keeps the
    day's tickets in two engines (the live one and the committed one it is rebuilt from) and
    the token of each ticket's page. Measured with tracemalloc on the reference hall, each
    ticket issued, called, started and finished."""
    import gc
    import tracemalloc

    from bench.engine import life_cycles, reference_hall
    from server.queue import QueueEngine
    from server.queue.estimate import PoolEstimator
    from server.security import TicketTokens

    hall, shares = reference_hall()
    engines: list[QueueEngine] = []

    def make(h: Any) -> QueueEngine:
        engines.append(QueueEngine(h, estimator=PoolEstimator()))
        return engines[-1]

    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _, _, log = life_cycles(hall, shares, tickets, make_engine=make)
        mirror = QueueEngine(hall, estimator=PoolEstimator())
        tokens = TicketTokens("s" * 32)
        for event in log:
            mirror.apply(event)
            tokens.apply(event)
        del log
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The issued counts every ticket of every engine's day, the set-up's backlog included.
    issued = sum(len(e.tickets) for e in engines)
    return held / issued


def _verdict(rows: list[dict[str, Any]], acked: int, lost: set[str], twice: int, out: Path) -> dict[str, Any]:
    warm = max(2, len(rows) // 5)
    after = rows[warm:] or rows[-1:]
    rss = [r["rss_mib"] for r in after]
    growth = (max(rss) - rss[0]) / rss[0] * 100
    per_ticket = day_ticket_bytes()
    tickets_after = sum(int(r["issued"]) for r in after[1:])
    day_mib = tickets_after * per_ticket / 2**20
    beyond = (max(rss) - rss[0] - day_mib) / rss[0] * 100
    quarter = max(1, len(after) // 4)
    p99 = [float(r["p99_ms"]) for r in after if r["p99_ms"] != ""]
    first, last = (p99[:quarter], p99[-quarter:]) if p99 else ([0.0], [0.0])
    verdict = {
        "minutes": len(rows),
        "acknowledged": acked,
        "lost": len(lost),
        "issued_twice": twice,
        "rss_after_warmup_mib": [rss[0], max(rss), rss[-1]],
        "rss_growth_pct": round(growth, 1),
        "day_ticket_kib": round(per_ticket / 1024, 2),
        "tickets_after_warmup": tickets_after,
        "day_tickets_mib": round(day_mib, 1),
        "rss_growth_beyond_day_tickets_pct": round(beyond, 1),
        "p99_first_quarter_ms": round(max(first), 1),
        "p99_last_quarter_ms": round(max(last), 1),
        "plot": str(out.with_suffix(".png")),
    }
    print(json.dumps(verdict), flush=True)
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=0.5, help="tickets a second over all kiosks")
    parser.add_argument("--out", type=Path, default=Path("var/soak/soak.png"))
    args = parser.parse_args(argv)
    verdict = asyncio.run(_soak(args.hours * 3600, args.rate, args.out))
    ok = verdict["lost"] == 0 and verdict["issued_twice"] == 0 and verdict["rss_growth_pct"] <= 5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
