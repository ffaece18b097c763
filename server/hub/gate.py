"""The door of the hub: connections before they introduce themselves, the open-file limit,
and peers that stop reading.

* **Hello in time.** A connection must finish the websocket handshake and be welcomed
  within :attr:`Gate.hello_timeout` of connecting, or it is closed (4002; before the
  handshake, the TCP connection is reset).
* **Few waiting.** At most :attr:`Gate.max_waiting` connections wait for their welcome at
  once, and :data:`WAITING_PER_ADDRESS` from one address (the server's own machine aside).
  A new connection beyond that pushes out the one that has waited longest (TCP reset): a
  device says hello as soon as it is connected, so a flood of connections that say nothing
  only pushes out its own.
* **The open-file limit.** Each connection is a file descriptor. At start the soft limit is
  raised to the hard one, and a connection that would leave fewer than :data:`RESERVED_FDS`
  free is reset as it arrives, so the database, the log and the devices already connected
  keep theirs, and the server never runs into "Too many open files".
* **Peers that stop reading.** A peer whose link is gone (no FIN, no RST) acknowledges
  nothing, and one that stops reading (a frozen app) acknowledges no new data: a connection
  with data waiting to go out (in the kernel's send queue or the server's) whose peer has
  acknowledged nothing new for :attr:`Gate.write_timeout`, or whose unsent data grows over
  :data:`WRITE_LIMIT`, is dropped; the kernel also gives up on unacknowledged data after as
  long (``TCP_USER_TIMEOUT``). Without this, events keep being queued for it, the keep-alive
  ping waits behind them, and the kernel holds it for 15 minutes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import ipaddress
import json
import logging
import os
import resource
import socket
import struct
import termios
import time

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

log = logging.getLogger("novbe.server")

HELLO_TIMEOUT_S = 10.0
MAX_WAITING = 256
WAITING_PER_ADDRESS = 32
RESERVED_FDS = 128
"""Descriptors kept free for everything but new connections: the database's connections
(SQLite opens three files for each), the log, the event loop's own."""

WRITE_LIMIT = 1024 * 1024
"""Unsent bytes queued for one connection at most (a day's events for a display are far
less): past it, the peer is not reading and is dropped."""

SWEEP_EVERY_S = 1.0
TROUBLE_FOR_S = 60.0
"""After connections were refused or pushed out, the gate is "full" this long."""

CLOSE_HELLO_TIMEOUT = 4002


def raise_open_file_limit() -> int:
    """Raise the soft limit of open files to the hard one; return the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def open_fds() -> int:
    """Descriptors this process has open now."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 32


def is_local(address: str) -> bool:
    """Whether ``address`` is this machine's loopback."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def peer_address(ws: ServerConnection) -> str:
    """The peer's IP address (``"?"`` if the socket no longer says)."""
    peer = ws.transport.get_extra_info("peername") if ws.transport is not None else None
    if not peer:
        return "?"
    return str(peer[0]).removeprefix("::ffff:")


class Gate:
    """Counts and polices the connections of one server (see the module's rules).

    Args:
        hello_timeout: Seconds a connection has to be welcomed.
        write_timeout: Seconds a peer may leave sent data unacknowledged (and unsent data
            queued) before it is dropped.
        open_files: The soft limit of open files (default: raised to the hard limit).
    """

    def __init__(
        self,
        *,
        hello_timeout: float = HELLO_TIMEOUT_S,
        write_timeout: float = 40.0,
        open_files: int | None = None,
    ) -> None:
        self.hello_timeout = hello_timeout
        self.write_timeout = write_timeout
        self.open_files = open_files if open_files is not None else raise_open_file_limit()
        self.budget = max(16, self.open_files - open_fds() - RESERVED_FDS)
        """Connections that may be open at once."""
        self.max_waiting = max(4, min(MAX_WAITING, self.budget // 4))
        self.open = 0
        self._waiting: collections.OrderedDict[ServerConnection, float] = collections.OrderedDict()
        self._per_address: collections.Counter[str] = collections.Counter()
        self._address: dict[ServerConnection, str] = {}
        self._stalled: dict[ServerConnection, tuple[float, int]] = {}
        """Connections with data waiting: since when, and the bytes acknowledged then."""
        self._connections: set[ServerConnection] = set()
        self.refused = 0
        """Connections reset as they arrived: the open-file budget was used up."""
        self.pushed_out = 0
        """Connections waiting for their welcome, pushed out by newer ones."""
        self.timed_out = 0
        """Connections closed for not being welcomed in time."""
        self.dropped = 0
        """Connections dropped for not reading what was sent to them."""
        self._trouble_at = self._logged_at = -TROUBLE_FOR_S
        self._closing: set[asyncio.Task[None]] = set()
        self.connection: type[ServerConnection] = type(
            "GuardedConnection", (_GuardedConnection,), {"gate": self}
        )
        """The connection class for ``websockets.serve(create_connection=...)``."""

    # --- the server's connection class calls these ---------------------------------------

    def opened(self, ws: ServerConnection) -> None:
        self.open += 1
        self._connections.add(ws)
        address = peer_address(ws)
        if self.open > self.budget:
            self.refused += 1
            self._trouble("open-file budget used up: connection refused", address)
            ws.transport.abort()
            return
        self._limit_unacknowledged(ws)
        if not is_local(address) and self._per_address[address] >= WAITING_PER_ADDRESS:
            self._push_out(next(c for c in self._waiting if self._address.get(c) == address))
        elif len(self._waiting) >= self.max_waiting:
            self._push_out(next(iter(self._waiting)))
        self._waiting[ws] = time.monotonic()
        self._address[ws] = address
        self._per_address[address] += 1

    def closed(self, ws: ServerConnection, exc: Exception | None = None) -> None:
        if isinstance(exc, TimeoutError):
            # ETIMEDOUT: the kernel gave up on data the peer never acknowledged
            # (TCP_USER_TIMEOUT), before the sweep saw the stall.
            self.dropped += 1
            log.warning(json.dumps({"msg": "peer not acknowledging: dropped", "address": peer_address(ws)}))
        self.open -= 1
        self._connections.discard(ws)
        self._stalled.pop(ws, None)
        self.welcomed(ws)

    def welcomed(self, ws: ServerConnection) -> None:
        """``ws`` introduced itself: it no longer waits (no-op for one not waiting)."""
        if self._waiting.pop(ws, None) is None:
            return
        address = self._address.pop(ws)
        self._per_address[address] -= 1
        if not self._per_address[address]:
            del self._per_address[address]

    # --- state ---------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def trouble(self) -> str | None:
        """What went wrong with the connections in the last minute, or None."""
        if time.monotonic() - self._trouble_at > TROUBLE_FOR_S:
            return None
        return (
            f"{self.refused} refused (open-file budget {self.budget}), {self.pushed_out} pushed out"
            f" while waiting for hello (at most {self.max_waiting}) since start"
        )

    def figures(self) -> dict[str, int]:
        return {
            "open": self.open,
            "waiting": self.waiting,
            "budget": self.budget,
            "refused": self.refused,
            "pushed_out": self.pushed_out,
            "hello_timeouts": self.timed_out,
            "stalled_dropped": self.dropped,
        }

    # --- the sweep -----------------------------------------------------------------------

    async def run(self) -> None:
        """Close the connections that waited too long and drop the ones that stopped
        reading, every :data:`SWEEP_EVERY_S`, until cancelled."""
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            try:
                self.sweep(time.monotonic())
            except Exception:
                log.exception("connection sweep failed")

    def sweep(self, now: float) -> None:
        late = now - self.hello_timeout
        for ws, since in list(self._waiting.items()):
            if since > late:
                break  # in order of arrival: the rest came later
            self.timed_out += 1
            self.welcomed(ws)
            if ws.protocol.state is State.OPEN:
                closing = asyncio.create_task(
                    ws.close(CLOSE_HELLO_TIMEOUT, f"no hello within {self.hello_timeout:g} s")
                )
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            else:
                ws.transport.abort()
        for ws in list(self._connections):
            self._check_writes(ws, now)

    def _check_writes(self, ws: ServerConnection, now: float) -> None:
        transport = ws.transport
        if transport is None:
            return
        unsent = transport.get_write_buffer_size()
        sock = transport.get_extra_info("socket")
        queued = unsent + _kernel_queue(sock)
        if not queued:
            self._stalled.pop(ws, None)
            return
        acked = _bytes_acked(sock)
        since, acked_then = self._stalled.get(ws, (now, -1))
        if acked != acked_then:  # the peer took something: it reads, however slowly
            self._stalled[ws] = (now, acked)
            since = now
        if unsent > WRITE_LIMIT or now - since > self.write_timeout:
            self.dropped += 1
            log.warning(
                json.dumps(
                    {
                        "msg": "peer not reading: dropped",
                        "address": peer_address(ws),
                        "queued_bytes": queued,
                        "stalled_s": round(now - since, 1),
                    }
                )
            )
            self._stalled.pop(ws, None)
            transport.abort()

    # --- helpers -------------------------------------------------------------------------

    def _push_out(self, ws: ServerConnection) -> None:
        self.pushed_out += 1
        self._trouble("too many connections waiting for hello: the oldest pushed out", self._address[ws])
        self.welcomed(ws)
        ws.transport.abort()

    def _limit_unacknowledged(self, ws: ServerConnection) -> None:
        sock = ws.transport.get_extra_info("socket")
        if sock is None or not hasattr(socket, "TCP_USER_TIMEOUT") or sock.family == socket.AF_UNIX:
            return
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(self.write_timeout * 1000))

    def _trouble(self, what: str, address: str) -> None:
        now = time.monotonic()
        # One line a minute at most: a flood must not flood the log too.
        if now - self._logged_at > TROUBLE_FOR_S:
            self._logged_at = now
            log.warning(json.dumps({"msg": what, "address": address} | self.figures()))
        self._trouble_at = now


_TCP_INFO_BYTES_ACKED = 120
"""Offset of ``tcpi_bytes_acked`` (u64) in Linux's ``struct tcp_info`` (since 4.1)."""


def _kernel_queue(sock: socket.socket | None) -> int:
    """Bytes in the kernel's send queue, sent but unacknowledged or not sent yet (0 if the
    socket can't say)."""
    if sock is None:
        return 0
    try:
        found = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return int(struct.unpack("i", found)[0])


def _bytes_acked(sock: socket.socket | None) -> int:
    """Bytes the peer has acknowledged so far (-1 if the socket can't say: then only the
    time with data queued counts)."""
    if sock is None or sock.family == socket.AF_UNIX:
        return -1
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_BYTES_ACKED + 8)
    except (OSError, ValueError):
        return -1
    if len(info) < _TCP_INFO_BYTES_ACKED + 8:
        return -1
    return int(struct.unpack_from("Q", info, _TCP_INFO_BYTES_ACKED)[0])


class _GuardedConnection(ServerConnection):
    """A server connection that tells its gate when it opens and closes (each gate makes a
    subclass naming itself: :attr:`Gate.connection`)."""

    gate: Gate

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.gate.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.gate.closed(self, exc)
