"""A serial QR scanner: lines into codes, and the reader over a real pseudo-terminal."""

from __future__ import annotations

import os
import queue
import time

import pytest

from hardware.scanner import MAX_CODE, ScannerReader, split_codes


@pytest.mark.parametrize(
    ("data", "codes", "rest"),
    [
        (b"NOVBE:BAKU1:20261122-A007\r", ["NOVBE:BAKU1:20261122-A007"], b""),
        (b"A7\r\nA8\nA9", ["A7", "A8"], b"A9"),
        (b"\r\n\r\n", [], b""),
        (b"  A7  \n", ["A7"], b""),
        (b"\xffA7\n", ["\ufffdA7"], b""),
        (b"x" * (MAX_CODE + 1) + b"\nA7\n", ["A7"], b""),
        (b"x" * (MAX_CODE + 1), [], b""),
    ],
)
def test_lines_become_codes(data: bytes, codes: list[str], rest: bytes) -> None:
    assert split_codes(data) == (codes, rest)


def test_reader_hands_each_scanned_code_over_and_reports_the_port() -> None:
    master, slave = os.openpty()
    codes: queue.Queue[str] = queue.Queue()
    states: list[str] = []
    reader = ScannerReader(
        f"serial://{os.ttyname(slave)}?baudrate=9600", codes.put, lambda s, _d: states.append(s)
    )
    reader.start()
    try:
        deadline = time.monotonic() + 5
        while reader.status != "ok" and time.monotonic() < deadline:
            time.sleep(0.02)
        os.write(master, b"NOVBE:BAKU1:20261122-")
        os.write(master, b"A007\r\nA8\r")
        assert codes.get(timeout=5) == "NOVBE:BAKU1:20261122-A007"
        assert codes.get(timeout=5) == "A8"
        assert states == ["ok"]
    finally:
        reader.close()
        os.close(master)
        os.close(slave)


def test_a_missing_scanner_is_reported_offline_once() -> None:
    states: list[tuple[str, str | None]] = []
    reader = ScannerReader(
        "serial:///dev/novbe-no-such-scanner", lambda _code: None, lambda *s: states.append(s)
    )
    reader.start()
    try:
        deadline = time.monotonic() + 5
        while not states and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        reader.close()
    assert [state for state, _ in states] == ["offline"]
    assert "can't open the scanner" in str(states[0][1])


def test_a_bad_scanner_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="baudrate"):
        ScannerReader("serial:///dev/ttyACM0?baudrate=fast", lambda _code: None)
