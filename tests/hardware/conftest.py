"""Fakes for the hardware tests: a printer at the far end of a pty or a TCP socket."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from hardware.ticket import TicketView
from server.reference import reference_center
from wire.types import WaitRange

MS = float(os.environ.get("NOVBE_TEST_MS", "0.001"))
"""One millisecond, scaled up on slow machines by setting NOVBE_TEST_MS."""

# DLE EOT answers: bits 1 and 4 are always set.
READY = {1: 0x12, 2: 0x12, 4: 0x12}
PAPER_LOW = {1: 0x12, 2: 0x12, 4: 0x1E}
PAPER_OUT = {1: 0x1A, 2: 0x32, 4: 0x72}
COVER_OPEN = {1: 0x1A, 2: 0x16, 4: 0x12}
OFFLINE = {1: 0x1A, 2: 0x12, 4: 0x12}


class StatusAnswerer:
    """Answers DLE EOT n as a printer does, and records everything else it receives."""

    def __init__(self, answers: dict[int, int] | None) -> None:
        self.answers = answers
        self.received = bytearray()
        self.queries: list[int] = []
        self._scanned = 0

    def take(self, chunk: bytes) -> bytes:
        """Record ``chunk``; return the answer bytes to send back."""
        self.received += chunk
        data = self.received
        reply = bytearray()
        while True:
            i = data.find(b"\x10\x04", self._scanned)
            if i < 0:
                self._scanned = len(data) - (1 if data.endswith(b"\x10") else 0)
                break
            if i + 2 >= len(data):
                self._scanned = i  # the query's last byte is still on its way
                break
            n = data[i + 2]
            self.queries.append(n)
            if self.answers is not None and n in self.answers:
                reply.append(self.answers[n])
            self._scanned = i + 3
        return bytes(reply)

    def job_bytes(self) -> bytes:
        """What was received, less the status queries."""
        out = bytes(self.received)
        for n in set(self.queries):
            out = out.replace(b"\x10\x04" + bytes((n,)), b"")
        return out


class PtyPrinter:
    """A printer on the master side of a pty; the code under test opens the slave path."""

    def __init__(self, answers: dict[int, int] | None = READY) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.answerer = StatusAnswerer(answers)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def answers(self) -> dict[int, int] | None:
        return self.answerer.answers

    @answers.setter
    def answers(self, value: dict[int, int] | None) -> None:
        self.answerer.answers = value

    @property
    def received(self) -> bytes:
        return bytes(self.answerer.received)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                time.sleep(0.01)
                continue
            reply = self.answerer.take(chunk)
            if reply:
                os.write(self.master, reply)

    def wait_for(self, predicate: Callable[[bytes], bool], timeout: float = 2.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.received):
                return self.received
            time.sleep(0.005)
        raise AssertionError(f"the far end never got what was expected; it got {self.received[-60:]!r}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class TcpPrinter:
    """A network printer on 127.0.0.1: records each connection's bytes, answers DLE EOT."""

    def __init__(self, answers: dict[int, int] | None = READY) -> None:
        self.answers = answers
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.connections: list[StatusAnswerer] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            answerer = StatusAnswerer(self.answers)
            self.connections.append(answerer)
            thread = threading.Thread(target=self._serve, args=(conn, answerer), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, answerer: StatusAnswerer) -> None:
        conn.settimeout(0.05)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                reply = answerer.take(chunk)
                if reply:
                    conn.sendall(reply)

    def received(self) -> bytes:
        return b"".join(bytes(c.received) for c in self.connections)

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        for thread in self._threads:
            thread.join(1)


@pytest.fixture
def pty_printer() -> Iterator[Callable[..., PtyPrinter]]:
    made: list[PtyPrinter] = []

    def make(answers: dict[int, int] | None = READY) -> PtyPrinter:
        printer = PtyPrinter(answers)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.close()


@pytest.fixture
def tcp_printer() -> Iterator[Callable[..., TcpPrinter]]:
    made: list[TcpPrinter] = []

    def make(answers: dict[int, int] | None = READY) -> TcpPrinter:
        printer = TcpPrinter(answers)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.close()


@pytest.fixture(scope="session")
def center() -> dict[str, Any]:
    """The reference center."""
    data: dict[str, Any] = json.loads((reference_center()).read_text(encoding="utf-8"))
    return data


def agency_view(center: dict[str, Any], agency: dict[str, Any], lang: str, **changes: Any) -> TicketView:
    """A ticket for the first service of ``agency``."""
    zones = {zone["code"]: zone["name"] for zone in center["zones"]}
    service = agency["services"][0]
    number = f"{agency['prefix']}015"
    values: dict[str, Any] = {
        "center_name": center["center"]["name"],
        "agency_name": agency["name"],
        "service_name": service["name"],
        "number": number,
        "issued_at": datetime(2026, 11, 23, 10, 42),
        "lang": lang,
        "ahead": 7,
        "wait": WaitRange(10, 20),
        "zone_name": zones[agency["zone"]],
        "ticket_id": f"20261123-{number}",
        "qr_data": f"https://novbe.example/t/20261123-{number}",
    }
    values.update(changes)
    return TicketView(**values)


@pytest.fixture
def din_view(center: dict[str, Any]) -> Callable[..., TicketView]:
    """Tickets for the Ministry of Internal Affairs (identity cards)."""
    return lambda lang="ru", **changes: agency_view(center, center["agencies"][0], lang, **changes)
