"""Server benchmarks over the wire, against a real `novbe server` process on loopback.

1. Ticket issues per second from 4 kiosk connections, durable commits on SQLite.
2. Call-to-display latency: a counter's "call next" sent -> every one of 1,000 display
   connections has the event (p50, p99); the same with the counter's rating terminal told
   after each change and rating each visit.
3. Memory per idle connection with 10,000 connections held.
4. Start-up time with 100,000 events in the log (and the first start on a log without marker).

The clients run in this process (asyncio) on the same two cores as the server, so the
figures include the clients' own cost. The server's own CPU time per ticket and per call
(read from /proc) is also given: on a machine shared with other work it moves far less than
the wall-clock figures, so it is the one to compare two versions of the server by.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from server.store import Commit, EventStore
from tests.server.harness import DEMO_PASSWORD, Home, ServerProcess, make_home
from wire import events as ev

SCALE = float(os.environ.get("NOVBE_BENCH_SCALE", "1"))


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _open(url: str, hello: dict[str, Any]) -> ClientConnection:
    ws = await connect(url, compression=None, max_size=None, open_timeout=30, ping_interval=None)
    await ws.send(json.dumps({"type": "hello", **hello}))
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome", welcome
    return ws


async def _reply(ws: ClientConnection, rid: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await ws.recv())
        if message.get("id") == rid and message["type"] in ("reply", "error"):
            return message


def _first_services(home: Home) -> list[dict[str, Any]]:
    import tomllib

    data = tomllib.loads((home.path / "center.toml").read_text(encoding="utf-8"))
    return [agency["services"][0] for agency in data["agencies"]]


async def issue_rate(
    server: ServerProcess, home: Home, total: int, in_flight: int
) -> tuple[float, int, float]:
    """Issue ``total`` tickets from 4 kiosks, each keeping ``in_flight`` requests open.
    Returns tickets per second, how many were refused, and the server's CPU ms per ticket."""
    assert server.proc is not None
    kiosks = [
        await _open(
            server.url, {"role": "kiosk", "device": f"kiosk-{i}", "token": home.token("kiosk", f"kiosk-{i}")}
        )
        for i in range(1, 5)
    ]
    # One service per agency: each prefix numbers 999 tickets a day.
    services = [svc["code"] for svc in _first_services(home)]
    errors = 0

    async def kiosk_loop(n: int, ws: ClientConnection) -> None:
        nonlocal errors
        count = total // len(kiosks)
        sent = 0
        answered = 0
        window = asyncio.Semaphore(in_flight)

        async def reader() -> None:
            nonlocal answered, errors
            while answered < count:
                message = json.loads(await ws.recv())
                if message["type"] in ("reply", "error"):
                    answered += 1
                    errors += message["type"] == "error"
                    window.release()

        task = asyncio.create_task(reader())
        while sent < count:
            await window.acquire()
            svc = services[(n + sent) % len(services)]
            await ws.send(json.dumps({"type": "issue", "id": f"b{n}-{sent}", "service": svc}))
            sent += 1
        await task

    started, cpu = time.perf_counter(), _cpu_s(server.proc.pid)
    await asyncio.gather(*(kiosk_loop(i, ws) for i, ws in enumerate(kiosks)))
    elapsed, cpu = time.perf_counter() - started, _cpu_s(server.proc.pid) - cpu
    for ws in kiosks:
        await ws.close()
    return total / elapsed, errors, cpu * 1000 / total


def _health_fanout(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        figures: dict[str, float] = json.loads(response.read())["fanout_ms"]
        return figures


def _screens(url: str, token: str, count: int, pipe: Connection) -> None:
    """The hall's displays, in a process of their own (as on their own machines): connect
    ``count`` of them, then note when each receives each call, until told to stop."""
    asyncio.run(_screens_main(url, token, count, pipe))


async def _screens_main(url: str, token: str, count: int, pipe: Connection) -> None:
    conns: list[ClientConnection] = []
    for start in range(0, count, 100):
        conns += await asyncio.gather(
            *(
                _open(url, {"role": "display", "device": "lobby", "token": token})
                for _ in range(start, min(count, start + 100))
            )
        )
    received: dict[str, list[float]] = {}

    async def watch(ws: ClientConnection) -> None:
        # A substring test, not a JSON parse: the displays' own work stays out of the figure.
        async for raw in ws:
            if isinstance(raw, str) and '"TicketCalled"' in raw:
                start = raw.index('"ticket":"') + 10
                received.setdefault(raw[start : raw.index('"', start)], []).append(time.perf_counter())

    watchers = [asyncio.create_task(watch(ws)) for ws in conns]
    pipe.send("ready")
    await asyncio.to_thread(pipe.recv)
    for task in watchers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    pipe.send(received)


async def call_latency(
    server: ServerProcess, home: Home, displays: int, calls: int, *, terminal: bool = False
) -> dict[str, float]:
    """A counter calls ``calls`` times; ``displays`` display connections in another process
    note when each call reaches them. ``perf_counter`` is the system's monotonic clock, the
    same in both processes. ``terminal``: the counter's rating terminal is connected (and
    told its counter after each change) and rates each visit after its finish."""
    here, there = multiprocessing.get_context("spawn").Pipe()
    screens = multiprocessing.get_context("spawn").Process(
        target=_screens, args=(server.url, home.token("display", "lobby"), displays, there)
    )
    screens.start()
    assert await asyncio.to_thread(here.recv) == "ready"
    kiosk = await _open(
        server.url, {"role": "kiosk", "device": "kiosk-1", "token": home.token("kiosk", "kiosk-1")}
    )
    counter = await _open(server.url, {"role": "counter", "device": "1", "token": home.token("counter", "1")})
    rating: ClientConnection | None = None
    rated: list[dict[str, Any]] = []
    if terminal:
        rating = await _open(
            server.url, {"role": "rating", "device": "1", "token": home.token("rating", "1")}
        )
    run = f"{displays}-{time.monotonic_ns()}"  # request ids are remembered: never reuse one
    await counter.send(
        json.dumps({"type": "login", "id": f"login{run}", "login": "op1", "password": DEMO_PASSWORD})
    )
    assert (await _reply(counter, f"login{run}"))["type"] == "reply"
    for i in range(calls):
        await kiosk.send(json.dumps({"type": "issue", "id": f"i{run}-{i}", "service": "DIN-ID"}))
        await _reply(kiosk, f"i{run}-{i}")
    sent: dict[str, float] = {}
    assert server.proc is not None
    cpu = _cpu_s(server.proc.pid)
    for i in range(calls):
        started = time.perf_counter()
        await counter.send(json.dumps({"type": "call_next", "id": f"c{run}-{i}"}))
        reply = await _reply(counter, f"c{run}-{i}")
        sent[reply["result"]["ticket"]["id"]] = started
        await asyncio.sleep(0.25)  # let every display have it before the next call
        for step in ("start", "finish"):
            await counter.send(json.dumps({"type": step, "id": f"{step}{run}-{i}"}))
            await _reply(counter, f"{step}{run}-{i}")
        if rating is not None:
            ticket = reply["result"]["ticket"]["id"]
            await rating.send(json.dumps({"type": "rate", "id": f"r{run}-{i}", "ticket": ticket, "score": 4}))
            rated.append(await _reply(rating, f"r{run}-{i}"))
    cpu = _cpu_s(server.proc.pid) - cpu
    assert all(answer["type"] == "reply" for answer in rated), rated
    here.send("done")
    received: dict[str, list[float]] = await asyncio.to_thread(here.recv)
    screens.join(30)
    fanout = await asyncio.to_thread(_health_fanout, server.port)
    await asyncio.gather(
        kiosk.close(), counter.close(), *([rating.close()] if rating else []), return_exceptions=True
    )
    all_have, each = [], []
    for ticket, at in sent.items():
        times = received.get(ticket, [])
        each += [(t - at) * 1000 for t in times]
        all_have.append((max(times) - at) * 1000 if len(times) == displays else float("inf"))
    return {
        "all_p50": _pct(all_have, 50),
        "all_p99": _pct(all_have, 99),
        "each_p50": _pct(each, 50),
        "each_p99": _pct(each, 99),
        "server_p50": fanout.get("p50", 0.0),
        "server_p99": fanout.get("p99", 0.0),
        "cpu_ms": cpu * 1000 / calls,
    }


async def idle_memory(server: ServerProcess, home: Home, count: int) -> tuple[int, float]:
    assert server.proc is not None
    token = home.token("display", "floor-1-1")
    before = _rss_kib(server.proc.pid)
    conns: list[ClientConnection] = []
    for start in range(0, count, 250):
        conns += await asyncio.gather(
            *(
                _open(server.url, {"role": "display", "device": "floor-1-1", "token": token})
                for _ in range(start, min(count, start + 250))
            )
        )
    await asyncio.sleep(1.0)
    after = _rss_kib(server.proc.pid)
    held = len(conns)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return held, (after - before) / held


def startup_time(events: int, *, per_day: int) -> tuple[float, float]:
    """Seconds from starting the server process to its listening line, with ``events`` in
    the log, ``per_day`` of them a day (the last day ending yesterday): the first start,
    which adopts the log (it has no marker yet: its whole chain is checked), and the next,
    which checks only what came after the marker."""
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp))
        store = EventStore(home.db_url)
        store.migrate()
        at = datetime.now().astimezone()
        days = -(-events // per_day)
        written = 0
        for back in range(days, 0, -1):
            day = at.date() - timedelta(days=back)
            batch: list[ev.Event] = [ev.DayOpened(day=day, at=at)]
            number = 0
            todo = min(per_day, events - written) - 2
            while len(batch) < todo:
                number += 1
                tid, num = f"{day:%Y%m%d}-Z{number:06d}", f"A{number % 1000:03d}"
                batch += [
                    ev.TicketIssued(ticket=tid, number=num, service="DIN-ID", agency="DIN", at=at),
                    ev.TicketCancelled(ticket=tid, number=num, at=at),
                ]
                if len(batch) >= 1000:
                    store.append([Commit(events=batch)])
                    written += len(batch)
                    todo -= len(batch)
                    batch = []
            store.append([Commit(events=[*batch, ev.DayClosed(at=at)])])
            written += len(batch) + 1
        count = store.last_seq()
        store.close()
        walls = []
        for _ in range(2):
            started = time.perf_counter()
            server = ServerProcess(home).start()
            walls.append(time.perf_counter() - started)
            server.stop()
        assert count >= events - days, count
        return walls[0], walls[1]


@contextlib.contextmanager
def _hall() -> Iterator[tuple[ServerProcess, Home]]:
    """A fresh reference center and a server on it, for one measurement."""
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp))
        server = ServerProcess(home).start()
        try:
            yield server, home
        finally:
            server.stop()


def main() -> None:
    with _hall() as (server, home):
        total = int(2400 * SCALE)
        for in_flight in (1, 16):
            rate, errors, cpu_ms = asyncio.run(issue_rate(server, home, total, in_flight))
            print(
                f"issue rate, 4 kiosks, {in_flight} request(s) in flight each: {rate:,.0f} tickets/s "
                f"({total} tickets, {errors} refused); server CPU {cpu_ms:.3f} ms a ticket"
            )
    with _hall() as (server, home):
        for displays in (100, 1000):
            lat = asyncio.run(call_latency(server, home, displays=displays, calls=int(60 * SCALE)))
            print(
                f"call -> all {displays:,} displays have it: p50 {lat['all_p50']:.1f} ms, "
                f"p99 {lat['all_p99']:.1f} ms; per display p50 {lat['each_p50']:.1f} ms, "
                f"p99 {lat['each_p99']:.1f} ms; the server's own fan-out p50 {lat['server_p50']:.1f} ms, "
                f"p99 {lat['server_p99']:.1f} ms; server CPU {lat['cpu_ms']:.2f} ms a call "
                "(call, start, finish, fan-out)"
            )
        lat = asyncio.run(call_latency(server, home, displays=100, calls=int(60 * SCALE), terminal=True))
        print(
            "the same with the counter's rating terminal, 100 displays: "
            f"server CPU {lat['cpu_ms']:.2f} ms a call "
            "(call, start, finish, a rating, fan-out, the terminal told after each)"
        )
    with _hall() as (server, home):
        held, per = asyncio.run(idle_memory(server, home, count=int(10_000 * SCALE)))
        print(f"idle connections held: {held:,}; server memory per connection: {per:.1f} KiB")
    for per_day, what in ((3_000, "over 34 days of 3,000"), (100_000, "all in one day")):
        first, again = startup_time(100_000, per_day=per_day)
        print(
            f"start-up, 100,000 events in the log {what}: {again:.2f} s (process start to listening);"
            f" the first start, which checks the whole chain of a log without marker: {first:.2f} s"
        )


if __name__ == "__main__":
    main()
