"""Password guessing against a real ``novbe server``: what it costs honest clients, and
whether the answer's time tells which logins exist.

1. Four kiosks issue tickets (one request in flight each); their latency (p50, p99) quiet,
   then while 30 connections guess passwords as fast as answers come: the supervisor's
   password (the count per login stops it after 5), then made-up logins (each new, so only
   the bound on waiting checks and the single password thread hold it; from loopback the
   count per address does not apply, the worst case).
2. The time of a ``wrong_password`` answer for known logins and unknown ones (each login
   tried at most 5 times, so none is delayed).

The demo center's password hashes are cheap ones (``novbe init --demo``); a real center's
cost about 35 ms of a core each, which the single password thread bounds the same way.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.server import _pct
from tests.server.harness import Home, ServerProcess, make_home

ATTACKERS = 30


async def _kiosk(url: str, home: Home, code: str, until: float, latencies: list[float]) -> None:
    token = home.token("kiosk", code)
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "kiosk", "device": code, "token": token}))
        await ws.recv()
        n = 0
        while time.monotonic() < until:
            rid = uuid.uuid4().hex[:10]
            services = ("DIN-ID", "EMDX-REG", "EMDX-EXTR")
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "issue", "id": rid, "service": services[n % 3]}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == rid:
                    break
            latencies.append((time.perf_counter() - sent) * 1000)
            n += 1
            await asyncio.sleep(0.01)


async def _guesser(url: str, until: float, login: str | None, counts: dict[str, int]) -> None:
    while time.monotonic() < until:
        try:
            async with connect(url, compression=None) as ws:
                name = login or f"user-{uuid.uuid4().hex[:8]}"
                await ws.send(
                    json.dumps({"type": "hello", "role": "supervisor", "login": name, "password": "guess"})
                )
                answer = json.loads(await ws.recv())
                counts[answer.get("code", answer["type"])] = (
                    counts.get(answer.get("code", answer["type"]), 0) + 1
                )
        except (ConnectionClosed, OSError):
            pass


async def _phase(url: str, home: Home, seconds: float, login: str | None, attackers: int) -> dict[str, Any]:
    until = time.monotonic() + seconds
    latencies: list[float] = []
    counts: dict[str, int] = {}
    tasks = [_kiosk(url, home, f"kiosk-{n + 1}", until, latencies) for n in range(4)]
    tasks += [_guesser(url, until, login, counts) for _ in range(attackers)]
    await asyncio.gather(*tasks)
    return {
        "issues": len(latencies),
        "p50_ms": round(_pct(latencies, 50), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        "guesses": counts,
    }


async def _answer_ms(url: str, login: str) -> float:
    async with connect(url, compression=None) as ws:
        sent = time.perf_counter()
        await ws.send(
            json.dumps({"type": "hello", "role": "supervisor", "login": login, "password": "wrong"})
        )
        await ws.recv()
        return (time.perf_counter() - sent) * 1000


async def _timing(url: str, operators: int) -> dict[str, Any]:
    known: list[float] = []
    unknown: list[float] = []
    for attempt in range(4):
        for n in range(1, operators + 1):
            known.append(await _answer_ms(url, f"op{n}"))
            unknown.append(await _answer_ms(url, f"nobody{n}-{attempt}"))
    return {
        "known_p50_ms": round(_pct(known, 50), 2),
        "unknown_p50_ms": round(_pct(unknown, 50), 2),
        "known_p90_ms": round(_pct(known, 90), 2),
        "unknown_p90_ms": round(_pct(unknown, 90), 2),
        "n": len(known),
    }


async def _run(seconds: float) -> None:
    home = make_home(Path(tempfile.mkdtemp(prefix="novbe-bench-pw-")) / "center")
    server = ServerProcess(home, extra_args=["--log-level", "WARNING"]).start()
    try:
        quiet = await _phase(server.url, home, seconds, None, 0)
        print(f"quiet: {json.dumps(quiet)}", flush=True)
        one = await _phase(server.url, home, seconds, "supervisor", ATTACKERS)
        print(f"{ATTACKERS} guessing the supervisor's password: {json.dumps(one)}", flush=True)
        many = await _phase(server.url, home, seconds, None, ATTACKERS)
        print(f"{ATTACKERS} guessing made-up logins: {json.dumps(many)}", flush=True)
        for name, phase in (("supervisor", one), ("made-up logins", many)):
            ratio = phase["p99_ms"] / quiet["p99_ms"]
            print(f"honest p99 under attack ({name}) / quiet: {ratio:.2f}x (goal: at most 2x)", flush=True)
    finally:
        server.stop()
    # A fresh server: the phases above left logins delayed.
    server = ServerProcess(home, extra_args=["--log-level", "WARNING"]).start()
    try:
        timing = await _timing(server.url, 40)
        print(f"wrong_password answer, known vs unknown login: {json.dumps(timing)}", flush=True)
    finally:
        server.stop()


def main(seconds: float = 20.0) -> None:
    asyncio.run(_run(seconds))


if __name__ == "__main__":
    main()
