"""``novbe server``: load the center, replay the log, serve the hall until SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server, serve

from wire.cli import JsonLines, UsageError
from wire.device import DEFAULT_HOST, DEFAULT_PORT

from .center import Center
from .hub import Hub
from .hub.gate import HELLO_TIMEOUT_S, Gate
from .store import EventStore

if TYPE_CHECKING:
    from .booking.api import BookingApi

log = logging.getLogger("novbe.server")

CLOSE_WAIT_S = 3.0
"""At SIGTERM, how long the connections and then the store get to close."""

STOP_DEADLINE_S = 15.0
"""At SIGTERM, the process ends within this many seconds whatever it waits for (systemd's
``TimeoutStopSec`` in docs/operations.md is 30)."""

MAX_FRAME = 1024 * 1024
"""websockets closes a connection (1009) on a frame above this; frames between
wire.protocol.MAX_MESSAGE_BYTES and this get a ``too_large`` error reply instead."""


@dataclass
class ServerOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    certfile: Path | None = None
    keyfile: Path | None = None
    ping_interval: float = 20.0
    """Seconds between pings; a connection that doesn't answer one within as long again
    is closed, so that dead devices don't pile up. A peer that leaves sent data
    unacknowledged for twice as long is dropped too (see server/hub/gate.py)."""
    hello_timeout: float = HELLO_TIMEOUT_S
    """Seconds a connection has to introduce itself (``hello``) before it is closed."""
    offline_after: float = 60.0
    """Seconds a device's connection may be gone before the supervisors are told it is
    offline (docs/protocol.md, "device_status, alert, recovered")."""
    booking_port: int | None = None
    """The booking API's port on ``host`` (0: a free one); None: no booking API
    (docs/appointments.md)."""


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger("novbe")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


TLS_FIX = "give --cert the server's certificate and --key its private key, both PEM files"


def tls_context(options: ServerOptions) -> ssl.SSLContext | None:
    """The TLS context for ``--cert`` and ``--key``; None without them.

    Raises:
        UsageError: A file is missing or unreadable, or is not a PEM certificate and its key.
    """
    if options.certfile is None:
        if options.keyfile is not None:
            raise UsageError("--key was given without --cert", TLS_FIX)
        return None
    for what, path in (("--cert", options.certfile), ("--key", options.keyfile)):
        if path is None:
            continue
        try:
            path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}", TLS_FIX) from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(options.certfile, options.keyfile)
    except ssl.SSLError as exc:
        files = f"{options.certfile}" + (f" and {options.keyfile}" if options.keyfile else "")
        raise UsageError(
            f"{files} are not a PEM certificate and its key ({exc.reason or exc})", TLS_FIX
        ) from None
    return context


def listen_error(host: str, port: int, exc: OSError) -> UsageError:
    """Why the server cannot listen on ``host``:``port``, as the user can fix it."""
    where = f"port {port} on {host}"
    if isinstance(exc, socket.gaierror):
        return UsageError(
            f'cannot listen on "{host}": {exc.strerror}',
            "give --host an address or name of this machine (0.0.0.0: every network interface)",
        )
    if exc.errno == errno.EADDRINUSE:
        return UsageError(
            f"{where} is already in use (another novbe server?)",
            "stop the program using it, or give another --port",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return UsageError(
            f"{host} is not an address of this machine",
            "give --host one of its addresses (0.0.0.0: every network interface)",
        )
    if exc.errno == errno.EACCES:
        return UsageError(
            f"not allowed to listen on {where}", "give a --port above 1023, or run as a user allowed to"
        )
    return UsageError(f"cannot listen on {where}: {exc.strerror or exc}", "check --host and --port")


def check_can_listen(host: str, port: int) -> None:
    """Bind to ``host``:``port`` and let go at once, as asyncio would bind the server.

    Tried before the log is replayed, so that a port already taken is said in a moment, not
    after the whole day's events were read.

    Raises:
        UsageError: The address is unknown, not this machine's, taken or not allowed.
    """
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in found:
            with socket.socket(family, kind, proto) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
    except OSError as exc:
        raise listen_error(host, port, exc) from None


async def serve_hall(center: Center, store: EventStore, options: ServerOptions) -> None:
    """Run the hub until SIGTERM/SIGINT, then stop cleanly: no new requests, the
    in-flight ones finished and committed, connections closed, the store closed."""
    started = time.perf_counter()
    context = tls_context(options)
    check_can_listen(options.host, options.port)
    gate = Gate(hello_timeout=options.hello_timeout, write_timeout=2 * options.ping_interval)
    hub = Hub(center, store, gate=gate, offline_after=timedelta(seconds=options.offline_after))
    replayed = await asyncio.to_thread(hub.load)
    await hub.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        listening: Server = await serve(
            hub.handler,
            options.host,
            options.port,
            process_request=hub.process_request,
            create_connection=gate.connection,
            # Who asks needs not know which Python and websockets versions answer.
            server_header=None,
            open_timeout=options.hello_timeout,
            compression=None,
            max_size=MAX_FRAME,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_interval,
            # A peer that stopped answering won't answer the closing handshake either.
            close_timeout=min(5.0, options.ping_interval),
            ssl=context,
            logger=logging.getLogger("novbe.websockets"),
        )
    except OSError as exc:
        # Taken since check_can_listen() let go of it.
        await hub.stop()
        store.close()
        raise listen_error(options.host, options.port, exc) from None
    port = next(iter(listening.sockets)).getsockname()[1]
    scheme = "wss" if context else "ws"
    try:
        bookings, booked_at = await _booking_api(hub, center, options)
    except OSError as exc:
        listening.close()
        await hub.stop()
        store.close()
        raise listen_error(options.host, options.booking_port or 0, exc) from None
    print(  # noqa: T201 - the one line an operator (and the tests) read to find the port
        f"novbe server: listening on {scheme}://{options.host}:{port} "
        f"(center {center.code}, {len(center.counters)} counters, "
        f"{replayed} events replayed, ready in {time.perf_counter() - started:.2f} s)"
        + (f"; bookings on {booked_at}" if booked_at else ""),
        flush=True,
    )
    log.info(
        json.dumps(
            {
                "msg": "listening",
                "url": f"{scheme}://{options.host}:{port}",
                "events": replayed,
                "open_files": gate.open_files,
                "connections_at_most": gate.budget,
            }
        )
    )
    await stop.wait()
    log.info(json.dumps({"msg": "stopping"}))
    _exit_after(STOP_DEADLINE_S)
    if bookings is not None:
        await bookings.stop()
    await hub.stop()
    # Close every connection (1001) and wait for their handlers, but not for ever.
    listening.close()
    try:
        await asyncio.wait_for(listening.wait_closed(), CLOSE_WAIT_S)
    except TimeoutError:
        log.warning(json.dumps({"msg": "connections did not close in time; dropped"}))
        for connection in list(listening.connections):
            connection.transport.abort()
    # Closing the store's connections may itself wait on a database that stopped answering.
    closing = threading.Thread(target=store.close, name="novbe-store-close", daemon=True)
    closing.start()
    await asyncio.to_thread(closing.join, CLOSE_WAIT_S)
    log.info(json.dumps({"msg": "stopped", "seq": hub.seq}))
    print("novbe server: stopped", flush=True)  # noqa: T201


async def _booking_api(hub: Hub, center: Center, options: ServerOptions) -> tuple[BookingApi | None, str]:
    """Start the booking API if ``--booking-port`` was given; returns it and its URL.

    Raises:
        OSError: The port can't be listened on.
    """
    if options.booking_port is None:
        return None, ""
    from .booking.api import BookingApi

    token_sha256 = center.appointments.token_sha256
    assert token_sha256 is not None, "checked before the log was opened (check_booking_api)"
    api = BookingApi(hub, token_sha256)
    port = await api.start(options.host, options.booking_port)
    url = f"http://{options.host}:{port}"
    log.info(json.dumps({"msg": "booking API listening", "url": url}))
    return api, url


def check_booking_api(center: Center, options: ServerOptions) -> None:
    """Refuse ``--booking-port`` for a center without ``[appointments] token_sha256``."""
    if options.booking_port is not None and not center.appointments.token_sha256:
        raise UsageError(
            "--booking-port needs the booking API's token: center.toml has no [appointments] token_sha256",
            "run novbe appointments token, then start the server again",
        )


def _exit_after(seconds: float) -> None:
    """The last resort of a stop: if the process still runs ``seconds`` from now (a call
    into the database that never returns keeps a thread alive), it exits anyway."""

    def force() -> None:
        log.error(json.dumps({"msg": "stop took too long; exiting now", "after_s": seconds}))
        for handler in logging.getLogger("novbe").handlers:
            handler.flush()
        os._exit(1)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def leftover_threads(grace_s: float = 1.0) -> list[threading.Thread]:
    """The threads other than the main one still running after a stop (a database call
    that never returned), after giving each ``grace_s`` to end."""
    left = []
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        thread.join(grace_s)
        if thread.is_alive():
            left.append(thread)
    return left


def run_hall(center: Center, store: EventStore, options: ServerOptions) -> None:
    """``novbe server``: :func:`serve_hall` in its own event loop, until SIGTERM.

    A thread left in a call into the database that never returns (a database that stopped
    answering) would keep the process alive at exit: it is not waited for. The log holds
    whole commits only, so nothing is lost by not waiting.
    """
    asyncio.run(serve_hall(center, store, options))
    left = leftover_threads()
    if left:
        log.warning(json.dumps({"msg": "not waiting for a stuck database call", "threads": len(left)}))
        for handler in logging.getLogger("novbe").handlers:
            handler.flush()
        sys.stdout.flush()
        os._exit(0)
