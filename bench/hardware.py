"""
Time to lay out and encode one ticket into ESC/POS bytes (python-escpos Dummy printer).

Two cases: a ticket whose every line fits a code page (the English ticket without
the Azerbaijani lines underneath), and the Azerbaijani ticket, whose lines with ə
are drawn as raster images.
Goals: p95 under 20 ms and under 60 ms.

Then a whole ticket through a printer on the far end of a pty (tests/hardware/conftest.py),
status checked before and after: the transport's own cost, with no baud rate to wait for.

Then a board line: one LineDriver sending 10,000 frames to 20 boards that answer ACK, at
the far end of a pty (tests/hardware/rs485_bus.py). A pty has no baud rate: this is the
driver's own cost per frame, which a 9,600-baud line (about 13 ms a frame) dwarfs.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable

from escpos.printer import Dummy

from hardware.board import LineDriver, Picture
from hardware.layout import Layout, load_layout
from hardware.printer import open_printer
from hardware.receipts import print_ticket
from hardware.render_samples import sample_view
from hardware.ticket import TicketView
from tests.hardware.conftest import READY, PtyPrinter
from tests.hardware.rs485_bus import Rs485Bus

RUNS = 400
WARMUP = 20
GOALS_MS = {"code-page text": 20.0, "raster Azerbaijani": 60.0}


def _time(run: Callable[[], int]) -> tuple[list[float], int]:
    size = 0
    for _ in range(WARMUP):  # font loading and code page tables are cached after the first ticket
        size = run()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        size = run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, size


def _case(view: TicketView, layout: Layout) -> Callable[[], int]:
    def run() -> int:
        printer = Dummy()
        print_ticket(printer, view, layout)
        return len(printer.output)

    return run


def main() -> None:
    layout = load_layout()
    cases = {
        "code-page text": _case(sample_view("en"), dataclasses.replace(layout, second_language=None)),
        "raster Azerbaijani": _case(sample_view("az"), layout),
    }
    for name, run in cases.items():
        samples, size = _time(run)
        quantiles = statistics.quantiles(samples, n=100)
        p50, p95 = statistics.median(samples), quantiles[94]
        goal = GOALS_MS[name]
        verdict = "ok" if p95 < goal else "OVER GOAL"
        print(
            f"   ticket encode, {name:<18} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
            f"(goal p95 < {goal:.0f} ms: {verdict}; {size} bytes, {RUNS} runs)"
        )
    printer_over_pty()
    board_line()


def printer_over_pty(runs: int = 100) -> None:
    fake = PtyPrinter(READY)
    view = sample_view("az")
    try:
        with open_printer(f"serial://{fake.path}?baudrate=115200&timeout=2&status_timeout=0.2") as printer:
            samples, size = [], 0
            for n in range(WARMUP + runs):
                started = time.perf_counter()
                size = printer.print_ticket(view).bytes_sent
                if n >= WARMUP:
                    samples.append((time.perf_counter() - started) * 1000)
    finally:
        fake.close()
    p50, p95 = statistics.median(samples), statistics.quantiles(samples, n=100)[94]
    print(
        f"   ticket print over a pty, Azerbaijani  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
        f"(4 status queries, {size} bytes, {runs} runs)"
    )


def board_line(rounds: int = 500, boards: int = 20) -> None:
    bus = Rs485Bus(range(1, boards + 1))
    failures: list[tuple[int, str, str | None]] = []
    driver = LineDriver(
        f"serial://{bus.path}?ack=06&timeout=2", lambda *r: failures.append(r) if r[1] != "ok" else None
    )
    samples = []
    try:
        started = time.perf_counter()
        for n in range(rounds):
            begun = time.perf_counter()
            for address in range(1, boards + 1):
                driver.show(address, Picture(f"A{n:03d}", blink=n % 2 == 0))
            driver.flush(30.0)
            samples.append((time.perf_counter() - begun) * 1000)
        wall = time.perf_counter() - started
    finally:
        driver.close()
        bus.close()
    quantiles = statistics.quantiles(samples, n=100)
    print(
        f"   board line, {boards} boards with ACK  {driver.frames} frames in {wall:.2f} s "
        f"({driver.frames / wall:,.0f}/s; a frame to each board p50 {statistics.median(samples):.1f} ms, "
        f"p95 {quantiles[94]:.1f} ms); failures {len(failures)}, rejected by the boards {bus.rejected}"
    )


if __name__ == "__main__":
    main()
