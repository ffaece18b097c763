"""The citizens' phone pages at a day's scale: ``python -m bench phone [--pages N] [--calls M]``.

A real ``novbe server`` and a real ``novbe web`` beside it on loopback, a fresh reference
center with every counter open. ``N`` tickets are issued over every service, as a day's are (a
service whose promised wait would end after closing refuses, as at the kiosk: the next one
takes the ticket), and then:

1. **Without the pages**: counters (one per agency) call ``M`` times, each finishing its
   previous citizen first; a hall display (a plain websocket client of role ``display``)
   notes when each call reaches it. Call -> display, from just before ``call_next`` is sent.
2. The ``N`` pages open, one live websocket per ticket (``/t/TOKEN/live``), in a process of
   their own (as on the citizens' phones), from 100 loopback addresses (the web process
   holds at most 300 live pages per address). The web process's and the hub's RSS before and
   after: memory per page.
3. **With the pages**: ``M`` more calls, timed the same way at the display; and at the page
   of each called ticket, from the counter's reply to the frame that says "called" (and from
   the ``call_next`` sent). The web process's CPU per call.

The display, the counters and the kiosk run in this process, the pages in another, all on the
same cores as the two servers: every figure includes the clients' own work. The load average
of the machine is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.server import _cpu_s, _open, _pct, _rss_kib
from novbe.process import WebProcess
from novbe.screenshots.phone import page_path
from tests.server.harness import DEMO_PASSWORD, Home, ServerProcess, make_home

PAGES = 3_000
CALLS = 60
CALL_GAP_S = 0.25
"""Between two calls: every page and the display have the last one before the next."""
ADDRESSES = 100
"""Loopback addresses the pages come from (127.0.1.1 ...): at most 300 live pages an address."""


def _raise_open_files(wanted: int) -> None:
    """Room for ``wanted`` sockets on each end (the children inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@dataclass
class _Peer:
    """A plain websocket client that answers its requests by id and keeps the rest."""

    ws: ClientConnection
    waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    called: dict[str, float] = field(default_factory=dict)
    """Ticket id -> when its ``TicketCalled`` arrived (the display)."""
    count: int = 0

    async def read(self) -> None:
        async for raw in self.ws:
            at = time.perf_counter()
            message = json.loads(raw)
            kind = message.get("type")
            if kind in ("reply", "error"):
                future = self.waiting.pop(message.get("id", ""), None)
                if future is not None:
                    future.set_result(message)
            elif kind == "event" and message["event"]["type"] == "TicketCalled":
                self.called.setdefault(message["event"]["ticket"], at)

    async def ask(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.count += 1
        rid = f"{kind}-{self.count}-{time.monotonic_ns()}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[rid] = future
        await self.ws.send(json.dumps({"type": kind, "id": rid, **fields}))
        return await asyncio.wait_for(future, 30)


def _hall(home: Home) -> tuple[list[str], list[int], list[int]]:
    """Every service, every counter, and the first counter of each agency (those that call)."""
    data = tomllib.loads((home.path / "center.toml").read_text(encoding="utf-8"))
    services = [svc["code"] for agency in data["agencies"] for svc in agency["services"]]
    counters = [int(desk["number"]) for desk in data["counters"]]
    callers: list[int] = []
    for agency in data["agencies"]:
        first = agency["services"][0]["code"]
        callers.append(next(int(d["number"]) for d in data["counters"] if first in d["services"]))
    return services, counters, sorted(set(callers))


def _pages(web_url: str, paths: list[str], pipe: Connection) -> None:
    """The citizens' phones, in a process of their own: open every page's live websocket,
    then note when each first hears that its ticket is called, until told to stop."""
    asyncio.run(_pages_main(web_url, paths, pipe))


async def _pages_main(web_url: str, paths: list[str], pipe: Connection) -> None:
    base = web_url.replace("http://", "ws://")
    port = int(web_url.rsplit(":", 1)[1])
    called: dict[str, float] = {}
    frames = [0]
    opened: list[ClientConnection] = []

    async def page(i: int, path: str, ready: asyncio.Event) -> None:
        address = f"127.0.1.{1 + i % ADDRESSES}"
        ws = await connect(
            f"{base}{path}/live",
            compression=None,
            max_size=None,
            open_timeout=120,
            ping_interval=None,
            local_addr=(address, 0),
        )
        opened.append(ws)
        await ws.recv()  # the page as it is now
        ready.set()
        async for raw in ws:
            frames[0] += 1
            # A substring test, not a JSON parse: the phones' own work stays out of the figure.
            if isinstance(raw, str) and raw.startswith('{"state": "called"') and path not in called:
                called[path] = time.perf_counter()

    tasks: list[asyncio.Task[None]] = []
    for start in range(0, len(paths), 200):
        batch = []
        for i in range(start, min(len(paths), start + 200)):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(page(i, paths[i], ready)))
            batch.append(ready.wait())
        await asyncio.wait_for(asyncio.gather(*batch), 120)
    assert port
    pipe.send(len(opened))
    await asyncio.to_thread(pipe.recv)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    pipe.send((called, frames[0]))


async def _calls(
    desks: dict[int, _Peer], display: _Peer, calls: int, busy: set[int]
) -> tuple[dict[str, tuple[float, float]], list[float]]:
    """``calls`` calls round the counters: ticket -> (call_next sent, reply read); and the
    call -> display latencies (ms)."""
    sent: dict[str, tuple[float, float]] = {}
    numbers = sorted(desks)
    for i in range(calls):
        number = numbers[i % len(numbers)]
        desk = desks[number]
        if number in busy:
            for step in ("start", "finish"):
                await desk.ask(step)
            busy.discard(number)
        started = time.perf_counter()
        reply = await desk.ask("call_next")
        answered = time.perf_counter()
        if reply["type"] == "reply":
            sent[reply["result"]["ticket"]["id"]] = (started, answered)
            busy.add(number)
        await asyncio.sleep(CALL_GAP_S)
    await asyncio.sleep(0.5)
    latencies = [(display.called[t] - s) * 1000 for t, (s, _) in sent.items() if t in display.called]
    return sent, latencies


def _line(values: list[float]) -> str:
    if not values:
        return "none measured"
    return (
        f"p50 {statistics.median(values):.1f} ms, p99 {_pct(values, 99):.1f} ms, "
        f"max {max(values):.1f} ms ({len(values)})"
    )


async def measure(
    server: ServerProcess, web: WebProcess, home: Home, pages: int, calls: int
) -> dict[str, Any]:
    assert server.proc is not None
    assert web.proc is not None
    kiosk = _Peer(
        await _open(
            server.url, {"role": "kiosk", "device": "kiosk-1", "token": home.token("kiosk", "kiosk-1")}
        )
    )
    readers = [asyncio.create_task(kiosk.read())]
    services, counters, callers = _hall(home)
    # Every counter open (as at a day's peak), then a day's tickets over every service: a
    # service whose wait would end after closing refuses (as a kiosk would), the next one takes it.
    desks: dict[int, _Peer] = {}
    for number in counters:
        hello = {"role": "counter", "device": str(number), "token": home.token("counter", str(number))}
        desk = _Peer(await _open(server.url, hello))
        readers.append(asyncio.create_task(desk.read()))
        assert (await desk.ask("login", login=f"op{number}", password=DEMO_PASSWORD))["type"] == "reply"
        desks[number] = desk
    tickets: list[dict[str, Any]] = []
    refused = 0
    i = 0
    while len(tickets) < pages and refused < 10 * pages:
        answer = await kiosk.ask("issue", service=services[i % len(services)])
        i += 1
        if answer["type"] == "reply":
            tickets.append(answer["result"]["ticket"])
        else:
            refused += 1
    display = _Peer(
        await _open(
            server.url, {"role": "display", "device": "lobby", "token": home.token("display", "lobby")}
        )
    )
    readers.append(asyncio.create_task(display.read()))
    calling = {n: desks[n] for n in callers}
    busy: set[int] = set()
    await asyncio.sleep(1.0)  # the issues' echo settled (the web process has read them all)
    _, display_without = await _calls(calling, display, calls, busy)

    await asyncio.sleep(1.0)
    web_before, hub_before = _rss_kib(web.proc.pid), _rss_kib(server.proc.pid)
    here, there = multiprocessing.get_context("spawn").Pipe()
    paths = [page_path(t["url"]) for t in tickets]
    phones = multiprocessing.get_context("spawn").Process(target=_pages, args=(web.url, paths, there))
    phones.start()
    opened = await asyncio.to_thread(here.recv)
    await asyncio.sleep(2.0)
    web_after, hub_after = _rss_kib(web.proc.pid), _rss_kib(server.proc.pid)

    cpu = _cpu_s(web.proc.pid)
    sent, display_with = await _calls(calling, display, calls, busy)
    cpu = _cpu_s(web.proc.pid) - cpu
    here.send("done")
    called, frames = await asyncio.to_thread(here.recv)
    phones.join(60)
    by_path = {page_path(t["url"]): t["id"] for t in tickets}
    at_page = {by_path[p]: at for p, at in called.items()}
    from_reply = [(at_page[t] - answered) * 1000 for t, (_, answered) in sent.items() if t in at_page]
    from_send = [(at_page[t] - started) * 1000 for t, (started, _) in sent.items() if t in at_page]
    for task in readers:
        task.cancel()
    await asyncio.gather(*(p.ws.close() for p in (kiosk, display, *desks.values())), return_exceptions=True)
    return {
        "tickets": len(tickets),
        "refused": refused,
        "opened": opened,
        "calls": len(sent),
        "display_without": display_without,
        "display_with": display_with,
        "page_from_reply": from_reply,
        "page_from_send": from_send,
        "missed": len(sent) - len(from_reply),
        "frames": frames,
        "web_kib": (web_before, web_after),
        "hub_kib": (hub_before, hub_after),
        "web_cpu_ms": cpu * 1000 / max(1, len(sent)),
    }


@contextlib.contextmanager
def _servers(pages: int) -> Iterator[tuple[ServerProcess, WebProcess, Home]]:
    _raise_open_files(2 * pages + 1000)
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp))
        server = ServerProcess(home).start()
        # Every page comes from loopback: the limit of requests per address would refuse
        # the bench's own phones (each address opens its pages at once).
        web = WebProcess(
            home.path, server_url=server.url, extra_args=["--burst", "100000", "--per-second", "100000"]
        )
        try:
            web.start().wait_ready()
            yield server, web, home
        finally:
            if web.running:
                web.stop()
            server.stop()


def run(pages: int = PAGES, calls: int = CALLS) -> dict[str, Any]:
    """One measurement (the test runs it small); the figures as :func:`measure` returns them."""
    with _servers(pages) as (server, web, home):
        gc.collect()
        return asyncio.run(measure(server, web, home, pages, calls))


def report(result: dict[str, Any], pages: int) -> list[str]:
    web_before, web_after = result["web_kib"]
    hub_before, hub_after = result["hub_kib"]
    opened = max(1, result["opened"])
    return [
        f"{result['tickets']:,} tickets issued ({result['refused']} refused: service full), "
        f"{result['opened']:,} live pages open, "
        f"{result['calls']} calls measured with them ({result['missed']} not seen at their page), "
        f"{result['frames']:,} page frames received",
        f"call -> page (from the counter's reply): {_line(result['page_from_reply'])}",
        f"call -> page (from call_next sent): {_line(result['page_from_send'])}",
        f"call -> display without the pages: {_line(result['display_without'])}",
        f"call -> display with {result['opened']:,} pages open: {_line(result['display_with'])}",
        f"web process RSS {web_before / 1024:.1f} MiB -> {web_after / 1024:.1f} MiB: "
        f"{(web_after - web_before) / opened:.1f} KiB a page",
        f"hub RSS {hub_before / 1024:.1f} MiB -> {hub_after / 1024:.1f} MiB "
        f"({(hub_after - hub_before) / opened:+.2f} KiB a page)",
        f"web process CPU {result['web_cpu_ms']:.1f} ms a call (with start and finish) with the pages open",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench phone", description=__doc__)
    parser.add_argument("--pages", type=int, default=PAGES, help=f"live pages (default {PAGES:,})")
    parser.add_argument(
        "--calls", type=int, default=CALLS, help=f"calls with and without them (default {CALLS})"
    )
    args = parser.parse_args(argv if argv is not None else [])
    load = os.getloadavg()
    print(f"   load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    result = run(args.pages, args.calls)
    for line in report(result, args.pages):
        print(f"   {line}")
    load = os.getloadavg()
    print(f"   load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
