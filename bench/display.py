"""The hall display: server event -> row painted, and memory after 10,000 calls.

Latency: a real ``novbe server`` process and the real display (view-model + window, offscreen at
1920x1080, sound off) in this process. Counters call at 50 calls a minute, each one finishing its
previous citizen first; each call is timed from just before the counter sends ``call_next`` to
the end of the first paint of the rows that shows it (so it includes the server's commit and the
websocket hop), and from the moment the display's client thread received the event to that paint.
Goal: p95 under 100 ms.

Memory: 10,000 call / start / finish cycles fed to a view-model and its shown window, with Qt's
events processed after each call (so every call is painted, with what changed before it). RSS
and Python's allocated memory blocks after 1,000 cycles (warm) and after 10,000 must be about
the same.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CALLS = 40
CALLS_PER_MINUTE = 50
MEMORY_CYCLES = 10_000
WARM_CYCLES = 1_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def latency(app: Any, calls: int = CALLS) -> None:
    from PySide6.QtWidgets import QApplication

    from display.app import DisplayApp
    from tests.server.harness import ServerProcess, counter, kiosk, make_home
    from wire.device import load_device
    from wire.events import TicketCalled
    from wire.messages import EventMessage, ServerMessage

    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp) / "home")
        server = ServerProcess(home).start()
        display = DisplayApp(
            load_device(home.path / "devices" / "display-lobby.toml"), server_url=server.url, multimedia=False
        )
        display.window.resize(1920, 1080)
        display.window.show()
        sent: dict[str, float] = {}
        received: dict[str, float] = {}
        total: list[float] = []
        client_side: list[float] = []
        client = display.session.client
        on_message = client.on_message

        def spy(message: ServerMessage) -> None:
            if isinstance(message, EventMessage) and isinstance(message.event, TicketCalled):
                received[message.event.number] = time.perf_counter()
            on_message(message)

        client.on_message = spy

        def painted() -> None:
            rows = display.model.rows
            if rows and rows[0].number in sent and rows[0].number in received:
                now = time.perf_counter()
                number = rows[0].number
                total.append(now - sent.pop(number))
                client_side.append(now - received.pop(number))

        display.window.calls.painted.connect(painted)
        display.start()
        desks_no = list(range(1, 9))
        done = threading.Event()
        failures: list[str] = []

        def drive() -> None:
            try:
                k = kiosk(server)
                for _ in range(calls + 10):
                    k.request("issue", service="DIN-ID")
                # An idle client that does not read its messages stops answering pings: close it.
                k.close()
                desks = {n: counter(server, n) for n in desks_no}
                busy: set[int] = set()
                interval = 60.0 / CALLS_PER_MINUTE
                next_at = time.monotonic() + 1.0
                for i in range(calls):
                    n = desks_no[i % len(desks_no)]
                    desk = desks[n]
                    if n in busy:
                        desk.request("start")
                        desk.request("finish")
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                    t0 = time.perf_counter()
                    reply = desk.request("call_next")
                    if reply.get("type") != "reply":
                        failures.append(str(reply))
                        continue
                    sent[reply["result"]["ticket"]["number"]] = t0
                    busy.add(n)
                for desk in desks.values():
                    desk.close()
            except (
                OSError,
                TimeoutError,
                KeyError,
                RuntimeError,
            ) as exc:  # reported below; the loop must end
                failures.append(repr(exc))
            finally:
                done.set()

        thread = threading.Thread(target=drive, daemon=True)
        thread.start()
        while not done.is_set() or (sent and time.perf_counter() - max(sent.values(), default=0) < 2):
            QApplication.processEvents()
            time.sleep(0.002)
        for _ in range(50):
            QApplication.processEvents()
            time.sleep(0.002)
        display.stop()
        server.stop()
    if failures:
        print(f"   failures: {failures[:3]}")
    if not total:
        print("   no call was measured")
        return
    ms = [t * 1000 for t in total]
    cs = [t * 1000 for t in client_side]
    print(
        f"   call_next -> row painted, {len(ms)} calls at {CALLS_PER_MINUTE}/min: "
        f"p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, max {max(ms):.1f} ms"
    )
    print(
        f"   event received by the display -> row painted: "
        f"p50 {statistics.median(cs):.1f} ms, p95 {_pct(cs, 0.95):.1f} ms, max {max(cs):.1f} ms"
    )


def memory(app: Any, cycles: int = MEMORY_CYCLES) -> None:
    from PySide6.QtWidgets import QApplication

    from display.qt_display import DisplayWindow
    from display.screenshots import SAMPLE_TIME, sample_model
    from wire.events import Event, ServiceStarted, TicketCalled, TicketFinished
    from wire.messages import EventMessage, QueueFigures, QueuesNotice

    clock = [SAMPLE_TIME]
    model = sample_model(SAMPLE_TIME, clock=lambda: clock[0])
    window = DisplayWindow(model)
    window.resize(1920, 1080)
    window.show()
    counters = [1, 2, 3, 7, 12, 4, 5, 21, 22, 31]
    seq = [1000]
    announced = [0]
    model.announce.connect(lambda call, at: announced.__setitem__(0, announced[0] + 1))

    def event(event: Event) -> None:
        seq[0] += 1
        model.on_message(EventMessage(seq=seq[0], event=event))

    def run(n: int, start: int) -> None:
        for i in range(start, start + n):
            number, desk = f"A{i % 999 + 1:03d}", counters[i % len(counters)]
            ticket = f"t-{number}"
            event(TicketCalled(ticket=ticket, number=number, service="DIN-1", counter=desk, at=clock[0]))
            QApplication.processEvents()
            clock[0] += timedelta(seconds=5)
            event(ServiceStarted(ticket=ticket, number=number, counter=desk, at=clock[0]))
            clock[0] += timedelta(seconds=30)
            event(TicketFinished(ticket=ticket, number=number, counter=desk, at=clock[0]))
            figures = QueueFigures(waiting=i % 30, oldest_wait_min=0.0, open_counters=1, available=True)
            model.on_message(QueuesNotice(services={"DIN-1": figures}))
            model.tick()

    started = time.perf_counter()
    run(WARM_CYCLES, 0)
    gc.collect()
    rss_warm = _rss_mib()
    blocks_warm = sys.getallocatedblocks()
    run(cycles, WARM_CYCLES)
    gc.collect()
    rss_after = _rss_mib()
    blocks_after = sys.getallocatedblocks()
    elapsed = time.perf_counter() - started
    window.close()
    print(
        f"   memory, view-model + window after {WARM_CYCLES:,} calls: RSS {rss_warm:.1f} MiB; "
        f"after {WARM_CYCLES + cycles:,}: RSS {rss_after:.1f} MiB ({rss_after - rss_warm:+.1f} MiB)"
    )
    print(
        f"   Python memory blocks held after the last {cycles:,} calls: "
        f"{blocks_after - blocks_warm:+,}; rows kept: {len(model.rows)}; "
        f"{announced[0]:,} calls announced; {elapsed:.1f} s"
    )


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    latency(app)
    memory(app)


if __name__ == "__main__":
    main()
