"""
A fake RS-485 bus of number boards at the far end of a pty.

It shares no code with ``hardware/``: it splits the byte stream into frames and checks
them as a board's firmware would, from the frame format in docs/hardware.md (STX, two
ASCII address digits, command, five text bytes, XOR checksum in two hex digits, ETX),
and each board answers ACK to the frames addressed to it, as boards with ``ack=06`` do.
Every board hears every frame: they all hang on the same pair of wires.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce

STX, ETX, ACK = 0x02, 0x03, b"\x06"
FRAME_LENGTH = 1 + 2 + 1 + 5 + 2 + 1
COMMANDS = {ord("S"): "show", ord("B"): "blink", ord("C"): "clear"}


@dataclass(frozen=True)
class Seen:
    """A frame as a board understood it."""

    address: int
    command: str
    text: str


def parse(frame: bytes) -> Seen | None:
    """One frame, or None if a board would throw it away."""
    if len(frame) != FRAME_LENGTH or frame[0] != STX or frame[-1] != ETX:
        return None
    body, check = frame[1:9], frame[9:11]
    if not body[:2].isdigit() or body[2] not in COMMANDS:
        return None
    try:
        if int(check.decode("ascii"), 16) != reduce(lambda a, b: a ^ b, body, 0):
            return None
        text = body[3:].decode("ascii")
    except (UnicodeDecodeError, ValueError):
        return None
    return Seen(int(body[:2].decode("ascii")), COMMANDS[body[2]], text.strip())


class Rs485Bus:
    """Boards at ``addresses`` on one line; ``path`` is the line's end for the driver."""

    def __init__(self, addresses: range | list[int], *, ack: bool = True, dead: frozenset[int] = frozenset()):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.addresses = set(addresses)
        self.ack = ack
        self.dead = dead
        """Boards that hear but never answer (unplugged from power)."""
        self.seen: dict[int, list[Seen]] = defaultdict(list)
        self.frames = 0
        self.rejected = 0
        """Frames with a bad checksum, length or field."""
        self._buffer = bytearray()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rs485-bus", daemon=True)
        self._thread.start()

    def shown(self, address: int) -> Seen | None:
        """What the board at ``address`` shows now (the last frame it took)."""
        with self._lock:
            frames = self.seen.get(address)
            return frames[-1] if frames else None

    def wait(self, condition: object, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if condition():  # type: ignore[operator]
                    return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            self._buffer += chunk
            for seen in self._frames():
                answer = seen.address in self.addresses and seen.address not in self.dead
                if self.ack and answer:
                    os.write(self.master, ACK)

    def _frames(self) -> list[Seen]:
        out: list[Seen] = []
        while True:
            start = self._buffer.find(bytes((STX,)))
            if start < 0:
                self._buffer.clear()
                return out
            del self._buffer[:start]
            if len(self._buffer) < FRAME_LENGTH:
                return out
            seen = parse(bytes(self._buffer[:FRAME_LENGTH]))
            if seen is None:
                self.rejected += 1
                del self._buffer[:1]
                continue
            del self._buffer[:FRAME_LENGTH]
            with self._lock:
                self.frames += 1
                self.seen[seen.address].append(seen)
            out.append(seen)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
