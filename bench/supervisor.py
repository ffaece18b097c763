"""The supervisor's desk at the reference center's peak: server event -> tile painted, and
the desk's CPU.

A real ``novbe server`` process with the reference center; a second process plays the hall
(all 81 counters logged in, a kiosk issuing, the counters calling, starting and finishing)
at 10 events a second; the desk (view-model + window, offscreen at 1920x1080, no sound)
runs in this process, signed in as the supervisor. Each event about a counter is timed to the
end of the next paint of that counter's tile twice: from the moment the desk's client thread
received it, and from the event's own time on the server (the engine's decision, before the
log's commit and the broadcast; one machine, one clock). The desk process's CPU time is read
from the operating system over the run.
Goals: p95 under 100 ms, under 10% of one core.

``python -m bench supervisor``; ``python -m bench.supervisor --hall URL HOME SECONDS`` is the
hall's process.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SECONDS = 60.0
EVENTS_PER_SECOND = 10.0
COUNTERS = range(1, 82)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the hall: 81 counters and a kiosk, in a process of their own -------------------------


def hall(url: str, home: Path, seconds: float, rate: float = EVENTS_PER_SECOND) -> None:
    """Log every counter in, then make ``rate`` events a second for ``seconds``: each request
    below causes exactly one event (an issue, a call, a start or a finish)."""
    from tests.server.harness import DEMO_PASSWORD, WsClient
    from wire.device import load_device

    def device(role: str, code: str) -> WsClient:
        client = WsClient(url)
        token = load_device(home / "devices" / f"{role}-{code}.toml").token
        welcome = client.hello(role=role, device=code, token=token)
        assert welcome["type"] == "welcome", welcome
        return client

    booth = device("kiosk", "kiosk-1")
    center = booth.seen[0]["center"]
    first_service = {c["number"]: c["services"][0] for c in center["counters"]}
    desks: dict[int, WsClient] = {}
    for n in COUNTERS:
        desks[n] = device("counter", str(n))
        reply = desks[n].request("login", login=f"op{n}", password=DEMO_PASSWORD)
        assert reply["type"] == "reply", reply
    # What each counter does next: issue-and-call, start, finish, in turn.
    step = dict.fromkeys(COUNTERS, 0)
    order = deque(random.Random(7).sample(list(COUNTERS), len(COUNTERS)))
    interval = 1.0 / rate
    next_at = time.monotonic() + 0.5
    end = next_at + seconds
    pending: deque[tuple[WsClient, str, dict[str, Any]]] = deque()
    while time.monotonic() < end:
        if not pending:
            n = order[0]
            order.rotate(-1)
            if step[n] == 0:
                pending.append((booth, "issue", {"service": first_service[n]}))
                pending.append((desks[n], "call_next", {}))
            else:
                pending.append((desks[n], "start" if step[n] == 1 else "finish", {}))
            step[n] = (step[n] + 1) % 3
        client, kind, fields = pending.popleft()
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += interval
        client.request(kind, **fields)
        # Nobody reads the events these plain clients get: drop them as they come.
        for other in (booth, *desks.values()):
            other.seen.clear()
    for client in (booth, *desks.values()):
        client.close()


# --- the desk --------------------------------------------------------------------------------


def measure(seconds: float = SECONDS) -> None:
    """Run the hall for ``seconds`` against the desk; print the figures."""
    from PySide6.QtWidgets import QApplication

    from supervisor import qt_supervisor
    from supervisor.app import SupervisorApp
    from tests.server.harness import DEMO_PASSWORD, ServerProcess, make_home
    from wire.device import load_device
    from wire.messages import EventMessage, ServerMessage

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp) / "home")
        server = ServerProcess(home).start()
        config = load_device(home.path / "devices" / "supervisor-1.toml")
        desk = SupervisorApp(config, app, server_url=server.url, sound=False)
        desk.window.resize(1920, 1080)
        desk.window.show()

        received: dict[int, tuple[float, float]] = {}
        """Counter -> when the desk's client thread got the oldest event not yet painted
        (perf_counter), and that event's time on the server (epoch seconds)."""
        latencies: list[float] = []
        from_server: list[float] = []
        events = [0]
        client = desk.session.client
        on_message = client.on_message

        def spy(message: ServerMessage) -> None:
            if isinstance(message, EventMessage):
                events[0] += 1
                number = _counter_of(message.event)
                if number is not None:
                    received.setdefault(number, (time.perf_counter(), message.event.at.timestamp()))
            on_message(message)

        client.on_message = spy
        paint = qt_supervisor.QtTile.paintEvent

        def painted(tile: Any, event: Any) -> None:
            paint(tile, event)
            since = received.pop(tile.number, None)
            if since is not None:
                latencies.append(time.perf_counter() - since[0])
                from_server.append(time.time() - since[1])

        qt_supervisor.QtTile.paintEvent = painted  # type: ignore[method-assign]
        desk.model.sign_in("supervisor", DEMO_PASSWORD)
        deadline = time.monotonic() + 30
        while not (desk.model.online and len(desk.window.tiles) == 81) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)

        play = subprocess.Popen(
            [sys.executable, "-m", "bench.supervisor", "--hall", server.url, str(home.path), str(seconds)],
            cwd=Path(__file__).resolve().parents[1],
        )
        # Wait for the hall's logins (81 password checks) before measuring.
        while events[0] < 81 and play.poll() is None:
            app.processEvents()
            time.sleep(0.005)
        latencies.clear()
        from_server.clear()
        received.clear()
        counted = events[0]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while play.poll() is None:
            app.processEvents()
            time.sleep(0.002)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        for _ in range(50):
            app.processEvents()
            time.sleep(0.002)
        events_run = events[0] - counted
        desk.stop()
        server.stop()
        qt_supervisor.QtTile.paintEvent = paint  # type: ignore[method-assign]
    if not latencies:
        print("   no event was measured")
        return
    ms = [t * 1000 for t in latencies]
    print(
        f"   hall: 81 counters, {events_run:,} events in {wall:.0f} s ({events_run / wall:.1f}/s), "
        f"{len(desk.model.alerts)} alerts raised"
    )
    print(
        f"   event received by the desk -> counter's tile painted, n={len(ms)}: "
        f"p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, max {max(ms):.1f} ms"
        f"  [{'ok' if _pct(ms, 0.95) < 100 else 'OVER'}]"
    )
    ms = [t * 1000 for t in from_server]
    print(
        f"   event decided on the server -> counter's tile painted, n={len(ms)}: "
        f"p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, max {max(ms):.1f} ms"
        f"  [{'ok' if _pct(ms, 0.95) < 100 else 'OVER'}]"
    )
    share = cpu / wall * 100
    print(
        f"   desk process CPU: {cpu:.2f} s in {wall:.1f} s = {share:.1f}% of one core"
        f"  [{'ok' if share < 10 else 'OVER'}]"
    )


def _counter_of(event: Any) -> int | None:
    """The counter whose tile an event changes (a transfer: the one it left)."""
    number = getattr(event, "counter", None)
    if number is None:
        number = getattr(event, "from_counter", None)
    return number if isinstance(number, int) else None


def main() -> None:
    measure()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.supervisor")
    parser.add_argument("--hall", nargs=3, metavar=("URL", "HOME", "SECONDS"))
    args = parser.parse_args()
    if args.hall:
        url, home, secs = args.hall
        hall(url, Path(home), float(secs))
    else:
        main()
