"""Counter number boards over a real pty (hardware/board.py, hardware/serial_link.py)."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.board import (
    BLANK,
    CounterBoard,
    LineDriver,
    Picture,
    board_text,
    open_board_line,
    parse_board_url,
)
from hardware.exceptions import BoardUnavailable
from hardware.serial_frames import BoardCommand, FrameFormat, FrameReader, encode_frame

from .rs485_bus import Rs485Bus, Seen


class PtyBoards:
    """The boards' end of the line: a pty master that records, and may acknowledge, frames."""

    def __init__(self, ack: bytes | None = None, fmt: FrameFormat | None = None) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.ack = ack
        self.received = bytearray()
        self.reader = FrameReader(fmt or FrameFormat())
        self.frames: list[tuple[int, BoardCommand, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            self.received += chunk
            for frame in self.reader.feed(chunk):
                self.frames.append((frame.address, frame.command, frame.text))
                if self.ack is not None:
                    os.write(self.master, self.ack)

    def wait_bytes(self, count: int, timeout: float = 2.0) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return bytes(self.received)

    def unplug(self) -> None:
        self._stop.set()
        self._thread.join(1)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def boards() -> Iterator[list[PtyBoards]]:
    made: list[PtyBoards] = []
    yield made
    for fake in made:
        fake.unplug()


def plug(made: list[PtyBoards], **kwargs: object) -> PtyBoards:
    fake = PtyBoards(**kwargs)  # type: ignore[arg-type]
    made.append(fake)
    return fake


def test_board_line_sends_exact_frames(boards: list[PtyBoards]) -> None:
    fake = plug(boards)
    with open_board_line(f"serial://{fake.path}?baudrate=9600") as line:
        board = CounterBoard(line, 12)
        board.show_ticket("A015")
        board.show_ticket("A016", blink=True)
        board.clear()
    expected = (
        encode_frame(12, BoardCommand.SHOW, "A015")
        + encode_frame(12, BoardCommand.BLINK, "A016")
        + encode_frame(12, BoardCommand.CLEAR)
    )
    assert expected.startswith(bytes.fromhex("02 3132 53 2041303135 3035 03"))
    assert fake.wait_bytes(len(expected)) == expected


def test_board_line_drives_several_boards_on_one_line(boards: list[PtyBoards]) -> None:
    """RS-485 multi-drop: one line, one address per board, frames kept whole and in order."""
    fake = plug(boards)
    line = open_board_line(f"serial://{fake.path}?gap_ms=2")
    counters = [CounterBoard(line, address) for address in (1, 2, 3, 17)]
    threads = [
        threading.Thread(target=lambda b=b: [b.show_ticket(f"A{b.address:03d}") for _ in range(5)])
        for b in counters
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    line.show(0, "----")  # broadcast
    line.close()
    fake.wait_bytes(21 * 12)
    assert fake.reader.errors == 0
    assert len(fake.frames) == 21
    for board in counters:
        mine = [f for f in fake.frames if f[0] == board.address]
        assert mine == [(board.address, BoardCommand.SHOW, f" A{board.address:03d}")] * 5
    assert fake.frames[-1] == (0, BoardCommand.SHOW, " ----")


def test_board_line_reconnects_after_the_adapter_is_replugged(
    boards: list[PtyBoards], tmp_path: Path
) -> None:
    """Pull the adapter: the write fails with BoardUnavailable. Plug it back: the next write goes through."""
    link = tmp_path / "ttyBOARDS"
    first = plug(boards)
    link.symlink_to(first.path)
    line = open_board_line(f"serial://{link}?write_timeout=0.5")
    line.show(5, "C001")
    assert first.wait_bytes(12) == encode_frame(5, BoardCommand.SHOW, "C001")

    first.unplug()
    link.unlink()
    with pytest.raises(BoardUnavailable) as info:
        line.show(5, "C002")
    assert info.value.code == "board_unavailable"
    assert str(link) in str(info.value)
    with pytest.raises(BoardUnavailable):
        line.show(5, "C002")  # still gone

    second = plug(boards)
    link.symlink_to(second.path)
    line.show(5, "C003")
    assert second.wait_bytes(12) == encode_frame(5, BoardCommand.SHOW, "C003")
    line.close()


def test_board_line_reopens_a_stale_handle_within_one_write(boards: list[PtyBoards], tmp_path: Path) -> None:
    """Replugged between two calls: the old handle is dead, the same write reopens and succeeds."""
    link = tmp_path / "ttyBOARDS"
    first = plug(boards)
    link.symlink_to(first.path)
    line = open_board_line(f"serial://{link}")
    line.show(1, "A1")
    first.unplug()
    second = plug(boards)
    link.unlink()
    link.symlink_to(second.path)
    line.show(1, "A2")
    assert second.wait_bytes(12) == encode_frame(1, BoardCommand.SHOW, "A2")
    assert line.link.reconnects == 1
    line.close()


def test_board_line_missing_device_is_unavailable(tmp_path: Path) -> None:
    line = open_board_line(f"serial://{tmp_path}/ttyUSB7")
    with pytest.raises(BoardUnavailable, match="can't"):
        line.show(1, "A001")


def test_board_line_waits_for_acknowledgements(boards: list[PtyBoards]) -> None:
    fake = plug(boards, ack=b"\x06")
    line = open_board_line(f"serial://{fake.path}?ack=06&timeout=0.3")
    line.show(4, "D004")
    line.show(0, "D004")  # broadcasts are never acknowledged
    fake.ack = None  # the board stops answering
    with pytest.raises(BoardUnavailable, match="didn't acknowledge"):
        line.show(4, "D005")
    line.close()


def test_board_url_configures_the_frame_format(boards: list[PtyBoards]) -> None:
    fmt_url = "address=byte&checksum=sum8&checksum_form=byte&width=4&start=aa&end=55&show=S&align=left"
    fake = plug(boards, fmt=FrameFormat(start=b"\xaa", end=b"\x55", address="byte", width=4, align="left",
                                        checksum="sum8", checksum_form="byte"))  # fmt: skip
    line = open_board_line(f"serial://{fake.path}?{fmt_url}")
    line.show(9, "A15")
    body = b"\x09SA15 "
    expected = b"\xaa" + body + bytes((sum(body) & 0xFF,)) + b"\x55"
    assert fake.wait_bytes(len(expected)) == expected
    line.close()


def test_board_url_parsing() -> None:
    port, settings, fmt, options = parse_board_url(
        "serial:///dev/ttyUSB1?baudrate=19200&rs485=1&width=4&gap_ms=20"
    )
    assert port == "/dev/ttyUSB1"
    assert (settings.baudrate, settings.rs485, fmt.width, options["gap"]) == (19200, True, 4, 0.02)
    port, settings, _, _ = parse_board_url("socket://10.0.0.21:4001?width=4&logging=debug")
    assert port == "socket://10.0.0.21:4001?logging=debug"
    with pytest.raises(ValueError, match="baudrate"):
        parse_board_url("serial:///dev/ttyUSB1?baudrate=fast")
    with pytest.raises(ValueError, match="checksum"):
        parse_board_url("serial:///dev/ttyUSB1?checksum=crc99")


def test_board_addresses_are_checked(boards: list[PtyBoards]) -> None:
    fake = plug(boards)
    line = open_board_line(f"serial://{fake.path}")
    with pytest.raises(ValueError, match="broadcast"):
        CounterBoard(line, 0)
    with pytest.raises(ValueError, match="outside"):
        line.show(150, "A1")
    line.close()


# -- one driver for a shared line ------------------------------------------------------

Reports = list[tuple[int, str, str | None]]


@pytest.fixture
def bus_of_20() -> Iterator[Rs485Bus]:
    bus = Rs485Bus(range(1, 21))
    yield bus
    bus.close()


def test_line_driver_drives_twenty_acknowledging_boards_without_a_false_failure(bus_of_20: Rs485Bus) -> None:
    """10,000 frames to 20 boards that answer ACK on one line: every frame taken, none failed."""
    reports: Reports = []
    # A generous acknowledgement timeout: a loaded test machine must not pass for a lost ACK.
    driver = LineDriver(f"serial://{bus_of_20.path}?ack=06&timeout=2", lambda *r: reports.append(r))
    expected: dict[int, list[Seen]] = {a: [] for a in range(1, 21)}
    try:
        for round_no in range(500):
            for address in range(1, 21):
                number = f"{chr(64 + address)}{round_no:03d}"
                blink = round_no % 3 == 0
                driver.show(address, Picture(number, blink=blink))
                expected[address].append(Seen(address, "blink" if blink else "show", number))
            assert driver.flush(30.0)
    finally:
        driver.close()
    assert driver.frames == 10_000
    assert bus_of_20.frames == 10_000
    assert bus_of_20.rejected == 0
    assert dict(bus_of_20.seen) == expected
    assert sorted(reports) == [(a, "ok", None) for a in range(1, 21)]


def test_line_driver_keeps_driving_the_others_when_one_board_is_dead() -> None:
    """A board that never answers is reported once and retried later; the rest carry on."""
    bus = Rs485Bus(range(1, 6), dead=frozenset({3}))
    reports: Reports = []
    driver = LineDriver(f"serial://{bus.path}?ack=06&timeout=0.3", lambda *r: reports.append(r), retry=0.5)
    try:
        for round_no in range(3):
            for address in range(1, 6):
                driver.show(address, Picture(f"A{round_no:03d}"))
            assert driver.flush(10.0)
        assert [bus.shown(a) for a in (1, 2, 4, 5)] == [Seen(a, "show", "A002") for a in (1, 2, 4, 5)]
        assert driver.status(3) == "offline"
        assert [r[:2] for r in reports if r[0] == 3] == [(3, "offline")]
        # The same picture is tried again after the retry time; the board is back by then.
        bus.dead = frozenset()
        assert bus.wait(lambda: driver.status(3) == "ok", timeout=5.0)
        assert bus.shown(3) == Seen(3, "show", "A002")
        assert [r[:2] for r in reports if r[0] == 3] == [(3, "offline"), (3, "ok")]
    finally:
        driver.close()
        bus.close()


def test_line_driver_writes_only_the_latest_picture_of_a_board(bus_of_20: Rs485Bus) -> None:
    """Pictures asked for faster than the line takes them collapse into the newest."""
    driver = LineDriver(f"serial://{bus_of_20.path}?ack=06&timeout=2", lambda *r: None)
    try:
        for n in range(200):
            driver.show(7, Picture(f"B{n:03d}"))
        driver.show(7, BLANK)
        assert driver.flush(10.0)
    finally:
        driver.close()
    frames = bus_of_20.seen[7]
    assert frames[-1] == Seen(7, "clear", "")
    assert len(frames) < 201


def test_board_shows_a_number_past_999(boards: list[PtyBoards]) -> None:
    """A1000 fills a 5-character board exactly; a longer number keeps its digits."""
    fake = plug(boards)
    with open_board_line(f"serial://{fake.path}") as line:
        board = CounterBoard(line, 12)
        board.show_ticket("A1000", blink=True)
        board.show_ticket("DN1000")
        board.show_ticket("A10000")
    expected = (
        encode_frame(12, BoardCommand.BLINK, "A1000")
        + encode_frame(12, BoardCommand.SHOW, "1000")
        + encode_frame(12, BoardCommand.SHOW, "10000")
    )
    assert fake.wait_bytes(len(expected)) == expected
    assert expected[: 2 + 2 + 5] == b"\x0212BA1000"


@pytest.mark.parametrize(
    ("number", "width", "shown"),
    [("A015", 5, "A015"), ("A1000", 5, "A1000"), ("A1000", 4, "1000"), ("DN1000", 5, "1000"),
     ("DN1000", 6, "DN1000"), ("ABC015", 5, "015"), ("A015", 3, "015")],
)  # fmt: skip
def test_board_text_drops_the_prefix_only_when_the_number_is_too_long(
    number: str, width: int, shown: str
) -> None:
    assert board_text(number, width) == shown


def test_board_refuses_digits_longer_than_itself(boards: list[PtyBoards]) -> None:
    fake = plug(boards, fmt=FrameFormat(width=4))
    with (
        open_board_line(f"serial://{fake.path}?width=4") as line,
        pytest.raises(ValueError, match="longer than the board's 4 characters"),
    ):
        CounterBoard(line, 12).show_ticket("A10000")
    assert fake.received == b""
