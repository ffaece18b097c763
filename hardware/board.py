"""
Counter number boards: the LED display above each counter.

Boards hang on a serial line, usually RS-485 with several boards sharing one
pair of wires and one USB adapter, each board set to its own address. A
:class:`BoardLine` is that shared line; a :class:`CounterBoard` is one board on
it. Frames are built by :mod:`hardware.serial_frames`; the port is a
:class:`~hardware.serial_link.SerialLink`, which reopens after the adapter is
replugged.

A line is configured with a URL::

    serial:///dev/ttyUSB1?baudrate=9600&rs485=1&width=4&checksum=sum8
    socket://10.0.0.21:4001?width=4            (serial-over-Ethernet converter)

Options not listed in ``docs/hardware.md`` are passed on to pyserial.

Exactly one process may own a line. Boards that acknowledge answer on the same wires,
and every process reading the line would take the others' answers: the owner drives
every board on it with a :class:`LineDriver`, from one thread.

"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .exceptions import BoardUnavailable
from .serial_frames import DEFAULT_FORMAT, BoardCommand, FrameFormat, encode_frame
from .serial_link import LinkSettings, SerialLink

__all__ = [
    "BLANK",
    "RETRY_SECONDS",
    "BoardLine",
    "CounterBoard",
    "LineDriver",
    "Picture",
    "board_text",
    "open_board_line",
    "parse_board_url",
]

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
"""How often a failed board is tried again while its picture stays the same."""

_LINK_INT = {"baudrate", "bytesize"}
_LINK_FLOAT = {"stopbits", "timeout", "write_timeout"}
_FRAME_BYTES = {"start", "end", "show", "blink", "clear", "pad"}
_FRAME_STR = {"address", "align", "encoding", "checksum", "checksum_form"}


def _hex_bytes(value: str) -> bytes:
    # Frame markers are given in hex ("02", "1b40"), command letters as themselves ("S").
    if len(value) % 2 == 0 and len(value) >= 2 and all(c in "0123456789abcdefABCDEF" for c in value):
        return bytes.fromhex(value)
    return value.encode("ascii")


def parse_board_url(url: str) -> tuple[str, LinkSettings, FrameFormat, dict[str, Any]]:
    """
    Split a board line URL into the pyserial URL, port settings, frame format and line options.

    Raises:
        ValueError: If an option has a bad value.

    """
    parts = urlsplit(url)
    settings: dict[str, Any] = {}
    frame: dict[str, Any] = {}
    line: dict[str, Any] = {}
    passthrough: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        try:
            if key in _LINK_INT:
                settings[key] = int(value)
            elif key in _LINK_FLOAT:
                settings[key] = float(value)
            elif key == "parity":
                settings[key] = value.upper()
            elif key == "rs485":
                settings[key] = value.lower() in ("1", "true", "yes", "on")
            elif key == "width":
                frame[key] = int(value)
            elif key in _FRAME_BYTES:
                frame[key] = _hex_bytes(value)
            elif key in _FRAME_STR:
                frame[key] = value
            elif key == "gap_ms":
                line["gap"] = float(value) / 1000
            elif key == "ack":
                line["ack"] = _hex_bytes(value)
            else:
                passthrough.append((key, value))
        except ValueError as exc:
            raise ValueError(f"board URL {url!r}: {key}={value!r}: {exc}") from None
    try:
        fmt = replace(DEFAULT_FORMAT, **frame)
    except ValueError as exc:
        raise ValueError(f"board URL {url!r}: {exc}") from None
    known = {f.name for f in fields(FrameFormat)}
    assert set(frame) <= known, "option table and FrameFormat disagree"
    if parts.scheme == "serial":
        port_url = parts.netloc + parts.path
        if not port_url:
            raise ValueError(f"board URL {url!r}: no device path")
    else:
        port_url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(passthrough), ""))
        passthrough = []
    extra = dict(passthrough)
    return port_url, LinkSettings(**settings, extra=extra), fmt, line


class BoardLine:
    """
    One serial line with number boards on it.

    Frames are written whole and one at a time (a lock serializes callers), with
    an optional idle gap after each so multi-drop boards see where a frame ends.

    """

    def __init__(
        self,
        link: SerialLink,
        fmt: FrameFormat = DEFAULT_FORMAT,
        *,
        gap: float = 0.0,
        ack: bytes | None = None,
    ) -> None:
        self.link = link
        self.fmt = fmt
        self.gap = gap
        """Seconds of silence after each frame."""
        self.ack = ack
        """Byte(s) an addressed board answers when it took a frame; ``None`` if boards don't answer."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<BoardLine {self.link.url}>"

    def __enter__(self) -> BoardLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, address: int, command: BoardCommand, text: str = "") -> None:
        """
        Send one frame.

        Raises:
            ValueError: If the address or text doesn't fit the frame format.
            BoardUnavailable: If the line can't be written or the board didn't acknowledge.

        """
        frame = encode_frame(address, command, text, self.fmt)
        with self._lock:
            if self.ack is not None and address != 0:
                self.link.reset_input()
            self.link.write(frame)
            if self.ack is not None and address != 0:
                answer = self.link.read(len(self.ack))
                if answer != self.ack:
                    raise BoardUnavailable(
                        f"board {address} didn't acknowledge (got {answer!r})", device=self.link.url
                    )
            if self.gap:
                time.sleep(self.gap)

    def show(self, address: int, text: str, blink: bool = False) -> None:
        """Show ``text`` on the board at ``address`` (0: every board), blinking if asked."""
        self.send(address, BoardCommand.BLINK if blink else BoardCommand.SHOW, text)

    def clear(self, address: int) -> None:
        """Blank the board at ``address``."""
        self.send(address, BoardCommand.CLEAR)

    def close(self) -> None:
        self.link.close()


class CounterBoard:
    """The number board of one counter."""

    def __init__(self, line: BoardLine, address: int) -> None:
        if address == 0:
            raise ValueError("board address 0 is the broadcast every board obeys; give each board its own")
        problem = line.fmt.address_problem(address)
        if problem is not None:
            raise ValueError(problem)
        self.line = line
        self.address = address

    def __repr__(self) -> str:
        return f"<CounterBoard {self.address} on {self.line.link.url}>"

    def show_ticket(self, number: str, blink: bool = False) -> None:
        """Show the ticket being served; ``blink`` while it is being called.

        A number longer than the board is shown by its digits alone (see :func:`board_text`).

        Raises:
            ValueError: If even the digits don't fit the board.
            BoardUnavailable: If the line can't be written or the board didn't acknowledge.

        """
        self.line.show(self.address, board_text(number, self.line.fmt.width), blink)

    def clear(self) -> None:
        self.line.clear(self.address)


def board_text(number: str, width: int) -> str:
    """What a board ``width`` characters wide shows for ticket ``number``.

    The whole number when it fits. Past 999 a number grows (A999, A1000) and may be longer
    than the board: it then drops its prefix letters, since the digits are what a citizen
    looks for above the counter (the hall display shows the whole number). "DN1000" on a
    5-character board is "1000"; "A015" on a 3-character one is "015".
    """
    if len(number) <= width:
        return number
    return number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def open_board_line(url: str, *, fmt: FrameFormat | None = None) -> BoardLine:
    """
    Configure a board line from its URL; the port opens on the first frame.

    Args:
        url: ``serial:///dev/...`` or any pyserial URL, with options (see the module docstring).
        fmt: A frame format; overrides the frame options of the URL.

    Raises:
        ValueError: If the URL has a bad option.

    """
    port_url, settings, url_fmt, line = parse_board_url(url)
    return BoardLine(
        SerialLink(port_url, settings),
        fmt or url_fmt,
        gap=cast(float, line.get("gap", 0.0)),
        ack=cast("bytes | None", line.get("ack")),
    )


@dataclass(frozen=True)
class Picture:
    """What a board should show. ``recalls`` makes a recall a new picture (it blinks again)."""

    number: str | None
    """The ticket number; None blanks the board."""
    blink: bool = False
    recalls: int = 0


BLANK = Picture(None)

Report = Callable[[int, str, "str | None"], None]
"""``report(address, status, detail)``: status ``ok``, ``offline`` (the line or the board
doesn't answer) or ``error`` (a picture the board can't show); called from the worker."""


class LineDriver:
    """
    Keeps every board of one line showing what it should, from one worker thread.

    :meth:`show` records what a board should show and returns at once: serial writes
    block (up to the write timeout, plus the acknowledgement timeout per board), so they
    never run in the caller's thread. Only the latest picture of each board is written
    (a board back after an outage shows the current ticket, not the backlog), boards in the
    order they changed. A board that fails doesn't hold up the others: it is tried again
    with its next picture, or after :data:`RETRY_SECONDS`. Each change of a board's health
    is reported once.

    Args:
        url: The board line URL (see :func:`open_board_line`); the port opens on the first frame.
        report: Called with each change of a board's health.
        retry: Seconds before a failed picture is tried again.

    """

    def __init__(self, url: str, report: Report, *, retry: float = RETRY_SECONDS) -> None:
        self.url = url
        self.retry = retry
        self._report = report
        self._line: BoardLine | None = None
        self._boards: dict[int, CounterBoard] = {}
        self._wanted: dict[int, Picture] = {}
        self._shown: dict[int, Picture] = {}
        self._failed: dict[int, tuple[Picture, float]] = {}
        """Address -> the picture that failed, and when to try it again."""
        self._dirty: dict[int, None] = {}
        """Boards whose picture changed, oldest change first (a dict keeps insertion order)."""
        self._status: dict[int, str] = {}
        self._wake = threading.Condition()
        self._stopping = False
        self.frames = 0
        """Frames written successfully, for logs and tests."""
        self._thread = threading.Thread(target=self._run, name="board-line", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"<LineDriver {self.url} {len(self._wanted)} boards>"

    def show(self, address: int, picture: Picture) -> None:
        """Ask the board at ``address`` to show ``picture``; returns at once."""
        with self._wake:
            if self._wanted.get(address) == picture:
                return
            self._wanted[address] = picture
            if self._shown.get(address) != picture:
                self._dirty.setdefault(address, None)
            self._wake.notify_all()

    def status(self, address: int) -> str | None:
        """The board's health: ``ok``, ``offline``, ``error``, or None before its first write."""
        with self._wake:
            return self._status.get(address)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every board shows its picture or failed it; for tests and shutdown."""
        with self._wake:
            return self._wake.wait_for(self._settled, timeout)

    def close(self) -> None:
        """Stop the worker and close the port."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(3.0)
        if self._line is not None:
            self._line.close()

    # -- the worker ----------------------------------------------------------

    def _settled(self) -> bool:
        return all(
            self._shown.get(a) == p or self._failed.get(a, (None, 0.0))[0] == p
            for a, p in self._wanted.items()
        )

    def _next(self, now: float) -> tuple[int | None, float | None]:
        """The next board to write, or None and how long until a failed one may be tried again."""
        wait: float | None = None
        for address in list(self._dirty):
            picture = self._wanted[address]
            if self._shown.get(address) == picture:
                del self._dirty[address]
                continue
            failed = self._failed.get(address)
            if failed is not None and failed[0] == picture and failed[1] > now:
                wait = failed[1] - now if wait is None else min(wait, failed[1] - now)
                continue
            return address, None
        return None, wait

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    if self._stopping:
                        return
                    address, wait = self._next(time.monotonic())
                    if address is not None:
                        break
                    self._wake.wait(wait)
                picture = self._wanted[address]
            status, detail = self._write(address, picture)
            with self._wake:
                if status == "ok":
                    self._shown[address] = picture
                    self._failed.pop(address, None)
                    self.frames += 1
                else:
                    self._failed[address] = (picture, time.monotonic() + self.retry)
                    self._shown.pop(address, None)
                changed = status != self._status.get(address)
                self._status[address] = status
                self._wake.notify_all()
            if changed:
                try:
                    self._report(address, status, detail)
                except Exception:
                    log.exception("board report failed")

    def _write(self, address: int, picture: Picture) -> tuple[str, str | None]:
        try:
            board = self._board(address)
            if picture.number is None:
                board.clear()
            else:
                board.show_ticket(picture.number, blink=picture.blink)
        except BoardUnavailable as exc:
            log.warning("number board %d on %s: %s", address, self.url, exc)
            return "offline", str(exc)
        except (ValueError, OSError) as exc:
            log.warning("number board %d on %s: %s", address, self.url, exc)
            return "error", str(exc)
        return "ok", None

    def _board(self, address: int) -> CounterBoard:
        board = self._boards.get(address)
        if board is None:
            if self._line is None:
                self._line = open_board_line(self.url)
            board = self._boards[address] = CounterBoard(self._line, address)
        return board
