"""
Frames for counter number boards: pure encoding and decoding, no I/O.

The default frame, for a board at address 12 showing ``A015``::

    02  31 32  53  20 41 30 31 35  30 35  03
    STX addr   cmd text (width 5)  chk    ETX

- ``STX`` (0x02) starts a frame, ``ETX`` (0x03) ends it.
- The address is two ASCII decimal digits, ``00``-``99``; ``00`` is a broadcast
  every board on the line obeys.
- The command is one byte: ``S`` show steady, ``B`` show blinking, ``C`` clear.
- The text is exactly ``width`` bytes of ASCII, right-aligned, padded with spaces.
- The checksum is the XOR of every byte from the address through the text,
  written as two uppercase hexadecimal ASCII digits (here 0x05: ``30 35``).

With the ASCII forms no byte inside a frame can be mistaken for ``STX`` or
``ETX``, so a board that missed part of a frame resynchronizes on the next
``STX``. Every element is configurable in :class:`FrameFormat` because boards
from different makers differ in exactly these points; ``docs/hardware.md``
lists the options.

"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .exceptions import FrameError

__all__ = [
    "DEFAULT_FORMAT",
    "BoardCommand",
    "BoardFrame",
    "FrameFormat",
    "FrameReader",
    "checksum",
    "decode_frame",
    "encode_frame",
]


class BoardCommand(enum.Enum):
    """What a frame tells a board to do."""

    SHOW = "show"
    BLINK = "blink"
    CLEAR = "clear"


AddressForm = Literal["ascii2", "ascii3", "byte"]
ChecksumKind = Literal["xor", "sum8", "lrc", "none"]
ChecksumForm = Literal["hex2", "byte"]


@dataclass(frozen=True)
class FrameFormat:
    """The byte layout of a board frame: ``start addr cmd text chk end``."""

    start: bytes = b"\x02"
    end: bytes = b"\x03"
    address: AddressForm = "ascii2"
    """``ascii2``: two decimal digits; ``ascii3``: three; ``byte``: one binary byte."""
    show: bytes = b"S"
    blink: bytes = b"B"
    clear: bytes = b"C"
    width: int = 5
    """Characters the board shows; text is padded or refused to fit."""
    align: Literal["left", "right", "center"] = "right"
    pad: bytes = b" "
    encoding: str = "ascii"
    checksum: ChecksumKind = "xor"
    """``xor`` of the bytes, ``sum8`` (their sum mod 256), ``lrc`` (its two's complement), or ``none``."""
    checksum_form: ChecksumForm = "hex2"
    """``hex2``: two uppercase hexadecimal ASCII digits; ``byte``: one binary byte."""

    def __post_init__(self) -> None:
        choices = {
            "address": ("ascii2", "ascii3", "byte"),
            "align": ("left", "right", "center"),
            "checksum": ("xor", "sum8", "lrc", "none"),
            "checksum_form": ("hex2", "byte"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if not self.start or not self.end:
            raise ValueError("start and end markers can't be empty")
        if not 1 <= self.width <= 64:
            raise ValueError("width must be 1-64")
        if len(self.pad) != 1:
            raise ValueError("pad must be one byte")
        commands = (self.show, self.blink, self.clear)
        if any(len(c) != 1 for c in commands) or len(set(commands)) != 3:
            raise ValueError("show, blink and clear must be three different single bytes")

    @property
    def max_address(self) -> int:
        return {"ascii2": 99, "ascii3": 999, "byte": 255}[self.address]

    @property
    def frame_length(self) -> int:
        """Every frame of a format has the same length."""
        address = {"ascii2": 2, "ascii3": 3, "byte": 1}[self.address]
        check = 0 if self.checksum == "none" else (2 if self.checksum_form == "hex2" else 1)
        return len(self.start) + address + 1 + self.width + check + len(self.end)

    def address_problem(self, address: int) -> str | None:
        """
        Say what is wrong with ``address`` in this format, or return None if it can be sent.

        With ``address = "byte"`` the address goes out as one binary byte: board 2 would be
        0x02, the start marker, and a board resynchronizing on the line would take it for the
        start of a frame. Such addresses are refused rather than escaped, since boards know
        no escape.

        """
        if not 0 <= address <= self.max_address:
            return f"board address {address} is outside 0-{self.max_address}"
        clash = sorted(set(_address_bytes(address, self)) & set(self.start + self.end))
        if clash:
            return (
                f"board address {address} is sent as byte 0x{clash[0]:02X}, which marks the "
                f"{'start' if clash[0] in self.start else 'end'} of a frame; set the board to another address"
            )
        return None

    def command_byte(self, command: BoardCommand) -> bytes:
        return {BoardCommand.SHOW: self.show, BoardCommand.BLINK: self.blink, BoardCommand.CLEAR: self.clear}[
            command
        ]


DEFAULT_FORMAT = FrameFormat()


@dataclass(frozen=True)
class BoardFrame:
    """A decoded frame."""

    address: int
    command: BoardCommand
    text: str
    """The text as sent, padding included."""


def checksum(data: bytes, kind: ChecksumKind) -> int:
    """Compute a frame checksum over ``data``."""
    if kind == "xor":
        value = 0
        for byte in data:
            value ^= byte
        return value
    if kind == "sum8":
        return sum(data) & 0xFF
    if kind == "lrc":
        return (-sum(data)) & 0xFF
    return 0


def _address_bytes(address: int, fmt: FrameFormat) -> bytes:
    if fmt.address == "byte":
        return bytes((address,))
    return str(address).zfill(3 if fmt.address == "ascii3" else 2).encode("ascii")


def _encode_address(address: int, fmt: FrameFormat) -> bytes:
    problem = fmt.address_problem(address)
    if problem is not None:
        raise ValueError(problem)
    return _address_bytes(address, fmt)


def _fit(text: str, fmt: FrameFormat) -> bytes:
    try:
        raw = text.encode(fmt.encoding)
    except UnicodeEncodeError:
        raise ValueError(f"board text {text!r} can't be written in {fmt.encoding}") from None
    if len(raw) > fmt.width:
        raise ValueError(f"board text {text!r} is longer than the board's {fmt.width} characters")
    if any(byte < 0x20 for byte in raw):
        raise ValueError(f"board text {text!r} contains control characters")
    room = fmt.width - len(raw)
    if fmt.align == "left":
        return raw + fmt.pad * room
    if fmt.align == "center":
        return fmt.pad * (room // 2) + raw + fmt.pad * (room - room // 2)
    return fmt.pad * room + raw


def encode_frame(
    address: int, command: BoardCommand, text: str = "", fmt: FrameFormat = DEFAULT_FORMAT
) -> bytes:
    """
    Build one frame.

    Args:
        address: The board's address; 0 reaches every board.
        command: Show, blink or clear.
        text: What to show (ignored for clear, which sends blanks).
        fmt: The frame format.

    Raises:
        ValueError: If the address is out of range or the text doesn't fit the board.

    """
    body = (
        _encode_address(address, fmt)
        + fmt.command_byte(command)
        + _fit("" if command is BoardCommand.CLEAR else text, fmt)
    )
    check = b""
    if fmt.checksum != "none":
        value = checksum(body, fmt.checksum)
        check = f"{value:02X}".encode("ascii") if fmt.checksum_form == "hex2" else bytes((value,))
    return fmt.start + body + check + fmt.end


def decode_frame(frame: bytes, fmt: FrameFormat = DEFAULT_FORMAT) -> BoardFrame:
    """
    Parse one complete frame.

    Raises:
        FrameError: If the start, end, length, address, command or checksum is wrong.

    """
    if len(frame) != fmt.frame_length:
        raise FrameError(f"frame is {len(frame)} bytes, expected {fmt.frame_length}: {frame!r}")
    if not frame.startswith(fmt.start) or not frame.endswith(fmt.end):
        raise FrameError(f"frame doesn't start with {fmt.start!r} and end with {fmt.end!r}: {frame!r}")
    inner = frame[len(fmt.start) : len(frame) - len(fmt.end)]
    check_len = 0 if fmt.checksum == "none" else (2 if fmt.checksum_form == "hex2" else 1)
    body, check = inner[: len(inner) - check_len], inner[len(inner) - check_len :]
    if fmt.checksum != "none":
        expected = checksum(body, fmt.checksum)
        try:
            got = int(check.decode("ascii"), 16) if fmt.checksum_form == "hex2" else check[0]
        except (UnicodeDecodeError, ValueError):
            raise FrameError(f"checksum field {check!r} isn't hexadecimal") from None
        if got != expected:
            raise FrameError(f"checksum 0x{got:02X} doesn't match 0x{expected:02X}: {frame!r}")
    address_len = {"ascii2": 2, "ascii3": 3, "byte": 1}[fmt.address]
    raw_address, command_byte, text = (
        body[:address_len],
        body[address_len : address_len + 1],
        body[address_len + 1 :],
    )
    if fmt.address == "byte":
        address = raw_address[0]
    elif raw_address.isdigit():
        address = int(raw_address)
    else:
        raise FrameError(f"address {raw_address!r} isn't decimal")
    commands = {fmt.show: BoardCommand.SHOW, fmt.blink: BoardCommand.BLINK, fmt.clear: BoardCommand.CLEAR}
    if command_byte not in commands:
        raise FrameError(f"unknown command {command_byte!r}")
    try:
        decoded = text.decode(fmt.encoding)
    except UnicodeDecodeError:
        raise FrameError(f"text {text!r} isn't {fmt.encoding}") from None
    return BoardFrame(address=address, command=commands[command_byte], text=decoded)


class FrameReader:
    """
    Split a byte stream into frames, as a board on the line does.

    Bytes before a start marker are skipped; a frame that doesn't decode is
    skipped and counted in :attr:`errors`, and reading resumes at the next start.

    """

    def __init__(self, fmt: FrameFormat = DEFAULT_FORMAT) -> None:
        self.fmt = fmt
        self.errors = 0
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[BoardFrame]:
        """Add received bytes; yield every complete frame."""
        self._buffer += data
        size = self.fmt.frame_length
        while True:
            start = self._buffer.find(self.fmt.start)
            if start < 0:
                del self._buffer[: max(0, len(self._buffer) - len(self.fmt.start) + 1)]
                return
            del self._buffer[:start]
            if len(self._buffer) < size:
                return
            candidate = bytes(self._buffer[:size])
            try:
                frame = decode_frame(candidate, self.fmt)
            except FrameError:
                self.errors += 1
                del self._buffer[: len(self.fmt.start)]
                continue
            del self._buffer[:size]
            yield frame
