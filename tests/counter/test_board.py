"""The counter's number board over a pseudo-terminal pair, and a board that fails."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable, Iterator

import pytest

from counter.board import BoardDriver
from hardware.serial_frames import BoardCommand, BoardFrame, FrameReader
from tests.counter.helpers import issue, queued_vms
from tests.server.harness import DEMO_PASSWORD, ServerProcess, supervisor
from wire.session import CallQueue


class FakeBoardEnd:
    """The board's side of a pty pair: reads the frames the counter sends."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.reader = FrameReader()
        self.frames: list[BoardFrame] = []

    def read_until(
        self, predicate: Callable[[BoardFrame], bool], pump: CallQueue, timeout: float = 10.0
    ) -> BoardFrame:
        """Read frames (while ``pump`` runs the view-model's callbacks) until one matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pump.drain()
            for frame in self.frames:
                if predicate(frame):
                    return frame
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                self.frames.extend(self.reader.feed(os.read(self.master, 1024)))
        raise TimeoutError(f"no such frame; got {self.frames}")

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def board_end() -> Iterator[FakeBoardEnd]:
    end = FakeBoardEnd()
    yield end
    end.close()


def test_board_shows_the_called_ticket(server: ServerProcess, board_end: FakeBoardEnd) -> None:
    issue(server, "DIN-ID")
    reports: list[tuple[str, str | None]] = []
    driver = BoardDriver(
        f"serial://{board_end.path}", 12, lambda status, detail: reports.append((status, detail))
    )
    try:
        with queued_vms(server, [12]) as ([vm], calls, _):
            driver.follow(vm)
            assert calls.run_until(lambda: vm.online)
            vm.login("op12", DEMO_PASSWORD)
            assert calls.run_until(lambda: vm.logged_in)
            board_end.read_until(lambda f: f.command is BoardCommand.CLEAR and f.address == 12, calls)

            vm.call_next()
            frame = board_end.read_until(lambda f: f.text.strip() == "A001", calls)
            assert (frame.address, frame.command) == (12, BoardCommand.BLINK)

            assert calls.run_until(lambda: vm.pending is None)
            vm.start()
            board_end.read_until(lambda f: f.text.strip() == "A001" and f.command is BoardCommand.SHOW, calls)
            assert calls.run_until(lambda: vm.pending is None)
            vm.finish()
            assert calls.run_until(lambda: vm.current is None)
            board_end.read_until(
                lambda f: f.command is BoardCommand.CLEAR and board_end.frames[-1] is f, calls
            )
        assert reports == [("ok", None)]
    finally:
        driver.close()


def test_a_dead_board_is_reported_and_never_stops_the_counter(server: ServerProcess) -> None:
    issue(server, "DIN-ID")
    reports: list[str] = []
    with queued_vms(server, [12]) as ([vm], calls, [session]):

        def report(status: str, detail: str | None) -> None:
            reports.append(status)
            session.report_health("board", status, detail)
            calls.post(lambda: vm.set_board_status(status))

        driver = BoardDriver("serial:///dev/novbe-no-such-board", 12, report)
        try:
            driver.follow(vm)
            assert calls.run_until(lambda: vm.online)
            vm.login("op12", DEMO_PASSWORD)
            assert calls.run_until(lambda: vm.logged_in)
            vm.call_next()
            assert calls.run_until(lambda: vm.current is not None and vm.pending is None)
            assert driver.flush()
            assert calls.run_until(lambda: vm.board_status == "offline")
            vm.start()
            assert calls.run_until(lambda: vm.current is not None and vm.current.state == "serving")
            assert driver.flush()
            assert reports == ["offline"]  # reported once, not once per picture
        finally:
            driver.close()
    boss = supervisor(server)
    try:
        devices = boss.seen[-1]["snapshot"]["devices"]
        assert devices["counter:12/board"]["status"]["status"] == "offline"
    finally:
        boss.close()
