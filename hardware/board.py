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

"""

from __future__ import annotations

import threading
import time
from dataclasses import fields, replace
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .exceptions import BoardUnavailable
from .serial_frames import DEFAULT_FORMAT, BoardCommand, FrameFormat, encode_frame
from .serial_link import LinkSettings, SerialLink

__all__ = ["BoardLine", "CounterBoard", "board_text", "open_board_line", "parse_board_url"]

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
    fmt = replace(DEFAULT_FORMAT, **frame)
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
        if not 1 <= address <= line.fmt.max_address:
            raise ValueError(f"board address must be 1-{line.fmt.max_address} (0 is broadcast)")
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
